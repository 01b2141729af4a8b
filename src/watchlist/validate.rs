//! Validation of the watchlist file: its raw shape (every value `Spanned`,
//! so that a problem can name its line), the checks of every field, and the
//! translation of byte spans into lines, columns and dotted field names.
//!
//! It builds the typed values of the parent module and must not be reached
//! from anywhere else.

use std::fmt;
use std::ops::Range;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use chrono_tz::Tz;
use serde::Deserialize;
use toml::Spanned;
use url::Url;

use super::{Channel, CssSelector, FieldError, Problem, Settings, Watch, WatchName};
use crate::notify::email::{self, EmailSettings, RawEmailSettings, RawWatchEmail, WatchEmail};
use crate::schedule::Schedule;

/// Parses and validates watchlist `text` read from `path` (relative paths
/// in it are resolved against `path`'s folder).
///
/// Every problem is collected, in file order, rather than stopping at the
/// first: a user fixes a watchlist in one go.
pub(super) fn validate(text: &str, path: &Path) -> Result<Validated, Vec<Problem>> {
    let raw: RawWatchlist = toml::from_str(text).map_err(|e| vec![toml_problem(text, &e)])?;
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut errors = Vec::new();
    let email = raw
        .email
        .as_ref()
        .and_then(|e| match email::validate(e.get_ref()) {
            Ok(settings) => Some(settings.resolve_paths(&base)),
            Err(problems) => {
                errors.extend(problems);
                None
            }
        });
    let settings = validate_settings(raw.settings.unwrap_or_default(), &base, &mut errors);
    let watches = validate_watches(&raw.watches, &settings, &mut errors);
    // The email channel needs the [email] table; say so where it is asked for.
    if raw.email.is_none() {
        for (watch, raw_watch) in watches.iter().zip(&raw.watches) {
            if watch.notify.contains(&Channel::Email) {
                let span = raw_watch
                    .get_ref()
                    .notify
                    .as_ref()
                    .map_or(raw_watch.span(), |n| n.span());
                errors.push(FieldError {
                    span: Some(span),
                    field: format!("watch.{}.notify", watch.name),
                    message: "the email channel needs an [email] table".into(),
                    hint: Some("add [email] with server, from and to (see README), or use notify = [\"log\"]".into()),
                });
            }
        }
    }
    if errors.is_empty() {
        return Ok(Validated {
            settings,
            email,
            watches,
        });
    }
    errors.sort_by_key(|e| e.span.as_ref().map_or(0, |s| s.start));
    Err(errors.into_iter().map(|e| locate(text, e)).collect())
}

/// What a valid watchlist file holds.
pub(super) struct Validated {
    pub(super) settings: Settings,
    pub(super) email: Option<EmailSettings>,
    pub(super) watches: Vec<Watch>,
}

fn toml_problem(text: &str, error: &toml::de::Error) -> Problem {
    let (line, column) = error.span().map(|s| line_column(text, s.start)).unzip();
    let field = error.span().and_then(|s| field_at(text, s.start));
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
    Problem {
        line,
        column,
        field,
        message,
        hint: hint.map(str::to_owned),
    }
}

/// The dotted key of the value at byte `offset`, read off the file's text
/// (the key on that line under the nearest table header above it), for
/// errors that the TOML parser reports by position only.
fn field_at(text: &str, offset: usize) -> Option<String> {
    // The parser's offset may fall inside a character of a garbled file.
    let offset = (0..=offset.min(text.len()))
        .rev()
        .find(|&at| text.is_char_boundary(at))
        .unwrap_or(0);
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
        field: Some(error.field),
        message: error.message,
        hint: error.hint,
    }
}

/// The 1-based line and column of byte `offset` in `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

// ---------------------------------------------------------------------------
// The file's shape, before validation. Every value is `Spanned` so that a
// problem found later can still name its line.

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWatchlist {
    settings: Option<RawSettings>,
    email: Option<Spanned<RawEmailSettings>>,
    #[serde(default, rename = "watch")]
    watches: Vec<Spanned<RawWatch>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    snapshots: Option<Spanned<String>>,
    schedule: Option<Spanned<String>>,
    timezone: Option<Spanned<String>>,
    notify: Option<Spanned<Vec<Spanned<String>>>>,
    user_agent: Option<Spanned<String>>,
    timeout: Option<Spanned<String>>,
    max_body: Option<Spanned<String>>,
    concurrency: Option<Spanned<i64>>,
    per_host_interval: Option<Spanned<String>>,
    retries: Option<Spanned<i64>>,
    spread: Option<Spanned<String>>,
    failure_alert_after: Option<Spanned<i64>>,
    keep_versions: Option<Spanned<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWatch {
    name: Spanned<String>,
    url: Spanned<String>,
    selector: Option<Spanned<String>>,
    #[serde(default)]
    ignore: Vec<Spanned<String>>,
    #[serde(default)]
    ignore_text: Vec<Spanned<String>>,
    schedule: Option<Spanned<String>>,
    notify: Option<Spanned<Vec<Spanned<String>>>>,
    email: Option<RawWatchEmail>,
}

/// Collects field errors; each validator records what it finds and returns a
/// usable value, so that one pass reports every problem at once.
struct Check<'a> {
    errors: &'a mut Vec<FieldError>,
}

impl Check<'_> {
    fn fail<T>(&mut self, value: &Spanned<T>, field: &str, message: String, hint: Option<&str>) {
        self.errors.push(FieldError {
            span: Some(value.span()),
            field: field.to_owned(),
            message,
            hint: hint.map(str::to_owned),
        });
    }

    fn parse<T, E: fmt::Display>(
        &mut self,
        value: &Spanned<String>,
        field: &str,
        hint: Option<&str>,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Option<T> {
        match parse(value.get_ref()) {
            Ok(v) => Some(v),
            Err(e) => {
                self.fail(value, field, e.to_string(), hint);
                None
            }
        }
    }

    fn duration(&mut self, value: &Spanned<String>, field: &str) -> Option<Duration> {
        self.parse(
            value,
            field,
            Some("write a duration such as \"30s\", \"2m\" or \"1h 30m\""),
            |s| humantime::parse_duration(s).map_err(|e| format!("`{s}` is not a duration: {e}")),
        )
    }

    fn count(&mut self, value: &Spanned<i64>, field: &str, range: Range<i64>) -> Option<i64> {
        let n = *value.get_ref();
        if range.contains(&n) {
            return Some(n);
        }
        let message = format!(
            "{n} is out of range: use {} to {}",
            range.start,
            range.end - 1
        );
        self.fail(value, field, message, None);
        None
    }

    fn channels(
        &mut self,
        value: &Spanned<Vec<Spanned<String>>>,
        field: &str,
    ) -> Option<Vec<Channel>> {
        let mut channels = Vec::new();
        for item in value.get_ref() {
            channels.push(self.parse(
                item,
                field,
                Some("channels are \"log\" and \"email\""),
                Channel::from_str,
            )?);
        }
        Some(channels)
    }
}

fn validate_settings(raw: RawSettings, base: &Path, errors: &mut Vec<FieldError>) -> Settings {
    let mut check = Check { errors };
    let mut s = Settings::default_in(base);
    if let Some(v) = &raw.snapshots {
        s.snapshots = base.join(v.get_ref());
    }
    if let Some(v) = &raw.schedule {
        s.schedule = check
            .parse(
                v,
                "settings.schedule",
                Some(Schedule::HINT),
                Schedule::parse,
            )
            .unwrap_or(s.schedule);
    }
    if let Some(v) = &raw.timezone {
        let hint = Some("use an IANA time zone name such as \"UTC\" or \"Europe/Berlin\"");
        s.timezone = check
            .parse(v, "settings.timezone", hint, |z| {
                Tz::from_str(z).map_err(|_| format!("unknown time zone `{z}`"))
            })
            .unwrap_or(s.timezone);
    }
    if let Some(v) = &raw.notify {
        s.notify = check.channels(v, "settings.notify").unwrap_or(s.notify);
    }
    if let Some(v) = &raw.user_agent {
        s.user_agent = v.get_ref().clone();
    }
    if let Some(v) = &raw.timeout {
        s.timeout = check.duration(v, "settings.timeout").unwrap_or(s.timeout);
    }
    if let Some(v) = &raw.max_body {
        let hint = Some("write a size such as \"10 MiB\" or \"500 KB\"");
        s.max_body = check
            .parse(v, "settings.max_body", hint, |t| {
                t.parse::<bytesize::ByteSize>().map(|b| b.as_u64())
            })
            .unwrap_or(s.max_body);
    }
    if let Some(v) = &raw.concurrency {
        s.concurrency = check
            .count(v, "settings.concurrency", 1..1025)
            .map_or(s.concurrency, |n| n as usize);
    }
    if let Some(v) = &raw.per_host_interval {
        s.per_host_interval = check
            .duration(v, "settings.per_host_interval")
            .unwrap_or(s.per_host_interval);
    }
    if let Some(v) = &raw.retries {
        s.retries = check
            .count(v, "settings.retries", 0..11)
            .map_or(s.retries, |n| n as u32);
    }
    if let Some(v) = &raw.spread {
        s.spread = check.duration(v, "settings.spread").unwrap_or(s.spread);
    }
    if let Some(v) = &raw.failure_alert_after {
        s.failure_alert_after = check
            .count(v, "settings.failure_alert_after", 1..1001)
            .map_or(s.failure_alert_after, |n| n as u32);
    }
    if let Some(v) = &raw.keep_versions {
        s.keep_versions = check
            .count(v, "settings.keep_versions", 0..1_000_001)
            .and_then(|n| (n > 0).then_some(n as usize));
    }
    s
}

fn validate_watches(
    raw: &[Spanned<RawWatch>],
    settings: &Settings,
    errors: &mut Vec<FieldError>,
) -> Vec<Watch> {
    let mut check = Check { errors };
    let mut seen: Vec<(&str, usize)> = Vec::new();
    let mut watches = Vec::new();
    for (index, spanned) in raw.iter().enumerate() {
        let w = spanned.get_ref();
        let label = match WatchName::parse(w.name.get_ref()) {
            Ok(_) => format!("watch.{}", w.name.get_ref()),
            Err(_) => format!("watch[{}]", index + 1),
        };
        if let Some((_, first)) = seen.iter().find(|(n, _)| *n == w.name.get_ref()) {
            let message = format!(
                "duplicate name `{}` (first used by watch {first})",
                w.name.get_ref()
            );
            check.fail(
                &w.name,
                &format!("{label}.name"),
                message,
                Some("every watch needs its own name"),
            );
        }
        seen.push((w.name.get_ref(), index + 1));
        // A watch with any invalid field is left out; its errors are
        // recorded and the whole watchlist will be refused.
        if let Some(watch) = validate_watch(w, &label, settings, &mut check) {
            watches.push(watch);
        }
    }
    watches
}

/// Validates one `[[watch]]` table; `None` when any field is invalid.
fn validate_watch(
    w: &RawWatch,
    label: &str,
    settings: &Settings,
    check: &mut Check,
) -> Option<Watch> {
    let f = |key: &str| format!("{label}.{key}");
    let name_hint = "the name becomes a folder name: use lowercase letters, digits, `-` and `_`";
    let name = check.parse(&w.name, &f("name"), Some(name_hint), WatchName::parse);
    let url_hint = "write a full address such as \"https://example.org/news/story\"";
    let url = check.parse(&w.url, &f("url"), Some(url_hint), parse_url);
    let selector_hint = "try the selector with `redline extract URL --selector CSS`";
    let selector = match &w.selector {
        Some(s) => Some(check.parse(s, &f("selector"), Some(selector_hint), CssSelector::parse)?),
        None => None,
    };
    let ignore_hint = "ignore takes CSS selectors such as \".newsletter-box\"";
    let ignore: Option<Vec<_>> = w
        .ignore
        .iter()
        .map(|s| check.parse(s, &f("ignore"), Some(ignore_hint), CssSelector::parse))
        .collect();
    let regex_hint =
        "write a regular expression in single quotes, which keep backslashes: '\\d+ minutes ago'";
    let ignore_text: Option<Vec<_>> = w
        .ignore_text
        .iter()
        .map(|s| check.parse(s, &f("ignore_text"), Some(regex_hint), parse_regex))
        .collect();
    let schedule = match &w.schedule {
        Some(s) => check.parse(s, &f("schedule"), Some(Schedule::HINT), Schedule::parse),
        None => Some(settings.schedule.clone()),
    };
    let notify = match &w.notify {
        Some(n) => check.channels(n, &f("notify")),
        None => Some(settings.notify.clone()),
    };
    let email = match &w.email {
        Some(raw) => email::validate_watch(raw, &f("email"))
            .map_err(|e| check.errors.extend(e))
            .ok(),
        None => Some(WatchEmail::default()),
    };
    Some(Watch {
        name: name?,
        url: url?,
        selector,
        ignore: ignore?,
        ignore_text: ignore_text?,
        schedule: schedule?,
        notify: notify?,
        email: email?,
    })
}

fn parse_regex(text: &str) -> Result<regex::Regex, String> {
    regex::Regex::new(text).map_err(|e| {
        // The regex crate draws a caret diagram over several lines; one line
        // with the reason reads better in a list of problems.
        let reason = e
            .to_string()
            .lines()
            .last()
            .unwrap_or_default()
            .trim_start_matches("error: ")
            .to_owned();
        format!("`{text}` is not a regular expression: {reason}")
    })
}

fn parse_url(text: &str) -> Result<Url, String> {
    let url = Url::parse(text).map_err(|e| format!("`{text}` is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("`{text}` is not an http or https address"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("`{text}` has no host"));
    }
    Ok(url)
}
