//! Problems found in a watchlist: the one collector every table's
//! validation records into, and the translation of byte spans into file,
//! line, column and dotted field names for the user.
//!
//! It knows nothing of any table's keys (they are `raw`'s and `validate`'s)
//! and must not stop at the first problem: a user fixes a watchlist in one go.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use toml::Spanned;

use super::Channel;
use crate::schedule::{Adaptive, Policy, Schedule};

/// One problem found while validating a watchlist, located by the byte span
/// of the offending value so that the error can name its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Byte range of the offending value (or table) in the file, when known.
    pub span: Option<Range<usize>>,
    /// The dotted key of the field, e.g. `watch[2].schedule` or `email.server`
    /// (empty when not known).
    pub field: String,
    /// What is wrong, lowercase, no trailing period.
    pub message: String,
    /// How to fix it, when there is something useful to say.
    pub hint: Option<String>,
}

/// Why a watchlist could not be used.
#[derive(Debug, thiserror::Error)]
pub enum WatchlistError {
    /// The file could not be read.
    #[error("cannot read watchlist {}: {source}", path.display())]
    Read {
        /// The watchlist's path.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file was read but is not a valid watchlist.
    #[error("{}", render_problems(path, problems))]
    Invalid {
        /// The watchlist's path.
        path: PathBuf,
        /// Every problem found, in file order.
        problems: Vec<Problem>,
    },
}

/// One located problem in a watchlist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
    /// The dotted key of the field, when known.
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub hint: Option<String>,
}

fn render_problems(path: &Path, problems: &[Problem]) -> String {
    let mut out = format!(
        "invalid watchlist {} ({} problem{})",
        path.display(),
        problems.len(),
        if problems.len() == 1 { "" } else { "s" }
    );
    for p in problems {
        out.push_str(&format!("\n  {}", path.display()));
        if let Some(line) = p.line {
            out.push_str(&format!(":{line}:{}", p.column.unwrap_or(1)));
        }
        out.push_str(": ");
        if let Some(field) = &p.field {
            out.push_str(&format!("{field}: "));
        }
        out.push_str(&p.message);
        if let Some(hint) = &p.hint {
            out.push_str(&format!("\n    hint: {hint}"));
        }
    }
    out
}

/// The one collector of field errors: each validator records what it finds
/// and returns a usable value (or `None`), so that one pass over every
/// table reports every problem at once.
#[derive(Debug, Default)]
pub struct Collector {
    errors: Vec<FieldError>,
}

impl Collector {
    /// How many problems were recorded so far; a table compares it before
    /// and after to learn whether it is valid.
    pub fn len(&self) -> usize {
        self.errors.len()
    }

    /// Whether no problem was recorded.
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// The problems recorded, in the order they were found.
    pub fn into_errors(self) -> Vec<FieldError> {
        self.errors
    }

    /// Records a problem at `at` (a table without the key passes `None`).
    pub fn fail<T>(
        &mut self,
        at: Option<&Spanned<T>>,
        field: &str,
        message: impl Into<String>,
        hint: Option<&str>,
    ) {
        self.fail_at(at.map(Spanned::span), field, message, hint);
    }

    /// Records a problem at a byte span.
    pub fn fail_at(
        &mut self,
        span: Option<Range<usize>>,
        field: &str,
        message: impl Into<String>,
        hint: Option<&str>,
    ) {
        self.errors.push(FieldError {
            span,
            field: field.to_owned(),
            message: message.into(),
            hint: hint.map(str::to_owned),
        });
    }

    /// Parses a string value, recording the parser's complaint.
    pub fn parse<T, E: fmt::Display>(
        &mut self,
        value: &Spanned<String>,
        field: &str,
        hint: Option<&str>,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Option<T> {
        match parse(value.get_ref()) {
            Ok(v) => Some(v),
            Err(e) => {
                self.fail(Some(value), field, e.to_string(), hint);
                None
            }
        }
    }

    /// A duration such as `"30s"`.
    pub fn duration(&mut self, value: &Spanned<String>, field: &str) -> Option<Duration> {
        self.parse(
            value,
            field,
            Some("write a duration such as \"30s\", \"2m\" or \"1h 30m\""),
            |s| humantime::parse_duration(s).map_err(|e| format!("`{s}` is not a duration: {e}")),
        )
    }

    /// A crontab schedule.
    pub fn schedule(&mut self, value: &Spanned<String>, field: &str) -> Option<Schedule> {
        self.parse(value, field, Some(Schedule::HINT), |s| {
            Schedule::parse(s).map_err(|e| e.to_string().trim_end_matches('.').to_owned())
        })
    }

    /// A schedule policy: `adaptive` (on `adaptive`'s steps) or a crontab line.
    pub fn policy(
        &mut self,
        value: &Spanned<String>,
        field: &str,
        adaptive: &Adaptive,
    ) -> Option<Policy> {
        self.parse(value, field, Some(Policy::HINT), |s| {
            Policy::parse(s, adaptive).map_err(|e| e.to_string().trim_end_matches('.').to_owned())
        })
    }

    /// The steps of the adaptive policy, each `every INTERVAL until AGE`.
    pub fn steps(&mut self, value: &super::RawList, field: &str) -> Option<Adaptive> {
        let texts: Vec<&str> = value
            .get_ref()
            .iter()
            .map(|s| s.get_ref().as_str())
            .collect();
        match Adaptive::parse(&texts) {
            Ok(adaptive) => Some(adaptive),
            Err(e) => {
                // The span of the step at fault, else the whole list's.
                let at = value.get_ref().iter().find(|s| *s.get_ref() == e.step);
                let span = at.map_or(value.span(), |s| s.span());
                self.fail_at(Some(span), field, e.to_string(), Some(Adaptive::HINT));
                None
            }
        }
    }

    /// A whole number in `range`.
    pub fn count(&mut self, value: &Spanned<i64>, field: &str, range: Range<i64>) -> Option<i64> {
        let n = *value.get_ref();
        if range.contains(&n) {
            return Some(n);
        }
        let message = format!(
            "{n} is out of range: use {} to {}",
            range.start,
            range.end - 1
        );
        self.fail(Some(value), field, message, None);
        None
    }

    /// A list of alert channels: `log`, `email` and the names in `named`.
    pub fn channels(
        &mut self,
        value: &Spanned<Vec<Spanned<String>>>,
        field: &str,
        named: &[&str],
    ) -> Option<Vec<Channel>> {
        let mut known = String::from("channels are \"log\", \"email\"");
        for name in named {
            known.push_str(&format!(", \"{name}\""));
        }
        known.push_str(" and the names of [webhook.NAME] and [command.NAME] tables");
        self.every(value.get_ref(), |c, item| {
            c.parse(item, field, Some(&known), |text| {
                match Channel::from_str(text) {
                    Ok(Channel::Named(name)) if !named.contains(&name.as_str()) => {
                        Err(format!("unknown channel `{text}`"))
                    }
                    other => other,
                }
            })
        })
    }

    /// Checks every item of a list, recording each bad one rather than
    /// stopping at the first; `None` when any was bad.
    pub fn every<S, T>(
        &mut self,
        items: impl IntoIterator<Item = S>,
        mut check: impl FnMut(&mut Self, S) -> Option<T>,
    ) -> Option<Vec<T>> {
        let checked: Vec<Option<T>> = items.into_iter().map(|i| check(self, i)).collect();
        checked.into_iter().collect()
    }

    /// Records a TOML syntax or shape error; the dotted field is read off
    /// the text when the parser gives only a position.
    pub fn toml(&mut self, text: &str, error: &toml::de::Error) {
        let field = error
            .span()
            .and_then(|s| field_at(text, s.start))
            .unwrap_or_default();
        let message = error.message().trim_end_matches('.').to_owned();
        let hint = if message.contains("unknown field") {
            Some("check the spelling; the shipped watchlist.toml lists every key with a comment")
        } else if message.contains("missing field") {
            Some("every [[watch]] needs a `name` and a `url`")
        } else if message.contains("invalid type") {
            Some("the shipped watchlist.toml shows each key's form in its comments")
        } else {
            None
        };
        self.fail_at(error.span(), &field, message, hint);
    }

    /// The recorded problems located in `text`, in file order.
    pub(super) fn locate(self, text: &str) -> Vec<Problem> {
        let mut errors = self.errors;
        errors.sort_by_key(|e| e.span.as_ref().map_or(0, |s| s.start));
        errors.into_iter().map(|e| locate(text, e)).collect()
    }
}

/// The dotted key of the value at byte `offset`, read off the file's text
/// (the key on that line under the nearest table header above it), for
/// errors that the TOML parser reports by position only.
fn field_at(text: &str, offset: usize) -> Option<String> {
    let offset = char_floor(text, offset);
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[line_start..]
        .find('\n')
        .map_or(text.len(), |i| line_start + i);
    let line = text[line_start..line_end].trim();
    let key = line
        .split_once('=')
        .map(|(k, _)| k.trim().trim_matches('"').to_owned())
        .filter(|k| !k.is_empty() && !k.starts_with('['));
    let mut watch_count = 0;
    let mut table = None;
    for header in text[..line_end].lines().map(str::trim) {
        if header == "[[watch]]" {
            watch_count += 1;
            table = Some(format!("watch[{watch_count}]"));
        } else if let Some(name) = header.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
            table = Some(name.trim().to_owned());
        }
    }
    match (table, key) {
        (Some(table), Some(key)) => Some(format!("{table}.{key}")),
        (table, key) => table.or(key),
    }
}

fn locate(text: &str, error: FieldError) -> Problem {
    let (line, column) = error.span.map(|s| line_column(text, s.start)).unzip();
    Problem {
        line,
        column,
        field: (!error.field.is_empty()).then_some(error.field),
        message: error.message,
        hint: error.hint,
    }
}

/// The 1-based line and column of byte `offset` in `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..char_floor(text, offset)];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// The start of the character at byte `offset` (clamped to the text): the
/// parser's offset may fall inside a character of a garbled file.
fn char_floor(text: &str, offset: usize) -> usize {
    (0..=offset.min(text.len()))
        .rev()
        .find(|&at| text.is_char_boundary(at))
        .unwrap_or(0)
}
