//! The watchlist: parsing and validating `watchlist.toml` into typed values.
//!
//! Everything a running check needs is validated here, once, before any task
//! starts: the rest of the program never meets a configuration error. This
//! module must not fetch, schedule or touch the snapshot store.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use toml::Spanned;
use url::Url;

use crate::schedule::Schedule;

/// A watch's stable name: used as its snapshot folder and in alerts, so it is
/// restricted to lowercase ASCII letters, digits, `-` and `_`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct WatchName(String);

impl WatchName {
    /// The longest name accepted: folder names stay well under file-system limits.
    pub const MAX_LEN: usize = 64;

    /// Checks that `name` is safe as a folder name and stable as an id.
    ///
    /// # Errors
    ///
    /// Returns a message saying what is wrong with the name.
    pub fn parse(name: &str) -> Result<Self, String> {
        if name.is_empty() {
            return Err("name is empty".into());
        }
        if name.len() > Self::MAX_LEN {
            return Err(format!("name is longer than {} characters", Self::MAX_LEN));
        }
        if !name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit()) {
            return Err(format!(
                "name `{name}` must start with a lowercase letter or a digit"
            ));
        }
        if let Some(bad) = name
            .chars()
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-' || *c == '_'))
        {
            return Err(format!(
                "name `{name}` contains `{bad}`; use lowercase letters, digits, `-` and `_`"
            ));
        }
        Ok(WatchName(name.to_owned()))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for WatchName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One problem found while validating a watchlist, located by the byte span
/// of the offending value so that the error can name its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Byte range of the offending value (or table) in the file, when known.
    pub span: Option<Range<usize>>,
    /// The dotted key of the field, e.g. `watch[2].schedule` or `email.server`.
    pub field: String,
    /// What is wrong, lowercase, no trailing period.
    pub message: String,
    /// How to fix it, when there is something useful to say.
    pub hint: Option<String>,
}

/// A validated watchlist: everything the daemon and `check` run on.
#[derive(Debug, Clone)]
pub struct Watchlist {
    /// The file it was read from; relative paths in it are resolved against
    /// its folder.
    pub path: PathBuf,
    /// Global settings, defaults filled in.
    pub settings: Settings,
    /// The watches, in file order.
    pub watches: Vec<Watch>,
}

/// Global settings. Every default lives in [`Settings::default`] and nowhere else.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The snapshot store's folder (absolute, resolved against the watchlist's folder).
    pub snapshots: PathBuf,
    /// The schedule of watches that set none.
    pub schedule: Schedule,
    /// The time zone in which schedules are read.
    pub timezone: Tz,
    /// The channels of watches that set none.
    pub notify: Vec<Channel>,
    /// The User-Agent sent with every request.
    pub user_agent: String,
    /// How long one request may take, connection to last byte.
    pub timeout: Duration,
    /// The largest response body accepted, in bytes.
    pub max_body: u64,
    /// How many checks may run at once.
    pub concurrency: usize,
    /// The least time between two requests to the same host.
    pub per_host_interval: Duration,
    /// How many times a transient failure is retried within one check.
    pub retries: u32,
    /// The widest window over which checks due at the same moment are spread.
    pub spread: Duration,
    /// After how many failed checks in a row a "failing" alert is sent.
    pub failure_alert_after: u32,
    /// How many versions of each article to keep (`None`: all of them).
    pub keep_versions: Option<usize>,
}

impl Settings {
    /// The settings a watchlist gets for everything it leaves out, with the
    /// store resolved against `base`.
    pub fn default_in(base: &Path) -> Self {
        Settings {
            snapshots: base.join("snapshots"),
            schedule: Schedule::parse("*/30 * * * *").expect("the default schedule is valid"),
            timezone: Tz::UTC,
            notify: vec![Channel::Log],
            user_agent: default_user_agent(),
            timeout: Duration::from_secs(30),
            max_body: 10 * 1024 * 1024,
            concurrency: 8,
            per_host_interval: Duration::from_secs(1),
            retries: 2,
            spread: Duration::from_secs(60),
            failure_alert_after: 3,
            keep_versions: None,
        }
    }
}

/// The User-Agent redline sends: honest about what it is and where to read more.
pub fn default_user_agent() -> String {
    format!(
        "redline/{} (article change monitor; +https://github.com/redline-news/redline)",
        env!("CARGO_PKG_VERSION")
    )
}

/// One watched article.
#[derive(Debug, Clone)]
pub struct Watch {
    /// Its stable name.
    pub name: WatchName,
    /// Where the article lives.
    pub url: Url,
    /// The CSS selector of the article body; automatic detection when absent.
    pub selector: Option<CssSelector>,
    /// Selectors of page parts removed before extraction.
    pub ignore: Vec<CssSelector>,
    /// Patterns of text masked before comparison (e.g. relative times).
    pub ignore_text: Vec<regex::Regex>,
    /// When it is checked.
    pub schedule: Schedule,
    /// Where its alerts go.
    pub notify: Vec<Channel>,
}

/// A CSS selector with the text it was parsed from.
#[derive(Debug, Clone)]
pub struct CssSelector {
    /// The selector as written.
    pub source: String,
    /// The parsed selector.
    pub selector: scraper::Selector,
}

impl CssSelector {
    /// Parses a CSS selector.
    ///
    /// # Errors
    ///
    /// Returns the parser's complaint, in words.
    pub fn parse(source: &str) -> Result<Self, String> {
        let selector = scraper::Selector::parse(source).map_err(|e| {
            // Some of the parser's messages span lines or ask to be reported
            // upstream; the last line names the problem.
            let reason = e.to_string();
            let reason = reason
                .lines()
                .last()
                .unwrap_or_default()
                .trim()
                .trim_end_matches('.');
            format!("`{source}` is not a valid CSS selector ({reason})")
        })?;
        Ok(CssSelector {
            source: source.to_owned(),
            selector,
        })
    }
}

/// An alert channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// A structured change report in the log (always available).
    Log,
    /// An email through the `[email]` settings.
    Email,
}

impl FromStr for Channel {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "log" => Ok(Channel::Log),
            "email" => Ok(Channel::Email),
            other => Err(format!("unknown channel `{other}`")),
        }
    }
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

impl Watchlist {
    /// The environment variable that names the watchlist when no flag does.
    pub const ENV: &'static str = "REDLINE_WATCHLIST";
    /// The watchlist used when neither flag nor environment names one.
    pub const DEFAULT_PATH: &'static str = "watchlist.toml";

    /// Reads and validates the watchlist at `path`.
    ///
    /// # Errors
    ///
    /// [`WatchlistError::Read`] when the file cannot be read,
    /// [`WatchlistError::Invalid`] listing every problem otherwise.
    pub fn load(path: &Path) -> Result<Self, WatchlistError> {
        let text = std::fs::read_to_string(path).map_err(|source| WatchlistError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Validates watchlist `text` as if read from `path`.
    ///
    /// # Errors
    ///
    /// [`WatchlistError::Invalid`] listing every problem found.
    pub fn parse(text: &str, path: &Path) -> Result<Self, WatchlistError> {
        let invalid = |problems| WatchlistError::Invalid {
            path: path.to_owned(),
            problems,
        };
        let raw: RawWatchlist =
            toml::from_str(text).map_err(|e| invalid(vec![toml_problem(text, &e)]))?;
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let mut errors = Vec::new();
        let settings = validate_settings(raw.settings.unwrap_or_default(), &base, &mut errors);
        let watches = validate_watches(&raw.watches, &settings, &mut errors);
        if errors.is_empty() {
            return Ok(Watchlist {
                path: path.to_owned(),
                settings,
                watches,
            });
        }
        errors.sort_by_key(|e| e.span.as_ref().map_or(0, |s| s.start));
        Err(invalid(
            errors.into_iter().map(|e| locate(text, e)).collect(),
        ))
    }

    /// The watches whose names are in `names`, or all when `names` is empty.
    ///
    /// # Errors
    ///
    /// Returns the names that match no watch.
    pub fn select(&self, names: &[String]) -> Result<Vec<&Watch>, Vec<String>> {
        if names.is_empty() {
            return Ok(self.watches.iter().collect());
        }
        let unknown: Vec<String> = names
            .iter()
            .filter(|n| !self.watches.iter().any(|w| w.name.as_str() == *n))
            .cloned()
            .collect();
        if !unknown.is_empty() {
            return Err(unknown);
        }
        Ok(self
            .watches
            .iter()
            .filter(|w| names.iter().any(|n| n == w.name.as_str()))
            .collect())
    }
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
    let before = &text[..offset.min(text.len())];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = text[line_start..].lines().next().unwrap_or("").trim();
    let key = line
        .split_once('=')
        .map(|(k, _)| k.trim().trim_matches('"').to_owned())
        .filter(|k| !k.is_empty() && !k.starts_with('['));
    let mut watch_count = 0;
    let mut table = None;
    for header in text[..line_start + line.len().min(text.len() - line_start)]
        .lines()
        .map(str::trim)
    {
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
    let mut seen: Vec<(String, usize)> = Vec::new();
    let mut watches = Vec::new();
    for (index, spanned) in raw.iter().enumerate() {
        let w = spanned.get_ref();
        let label = match WatchName::parse(w.name.get_ref()) {
            Ok(_) => format!("watch.{}", w.name.get_ref()),
            Err(_) => format!("watch[{}]", index + 1),
        };
        let f = |key: &str| format!("{label}.{key}");
        let name = check.parse(
            &w.name,
            &f("name"),
            Some("the name becomes a folder name: use lowercase letters, digits, `-` and `_`"),
            WatchName::parse,
        );
        if let Some(name) = &name {
            if let Some((_, first)) = seen.iter().find(|(n, _)| n == name.as_str()) {
                let message = format!("duplicate name `{name}` (first used by watch {first})");
                check.fail(
                    &w.name,
                    &f("name"),
                    message,
                    Some("every watch needs its own name"),
                );
            }
            seen.push((name.to_string(), index + 1));
        }
        let url = check.parse(
            &w.url,
            &f("url"),
            Some("write a full address such as \"https://example.org/news/story\""),
            parse_url,
        );
        let selector = w.selector.as_ref().and_then(|s| {
            check.parse(
                s,
                &f("selector"),
                Some("try the selector with `redline extract URL --selector CSS`"),
                CssSelector::parse,
            )
        });
        let ignore: Vec<_> = w
            .ignore
            .iter()
            .filter_map(|s| {
                check.parse(
                    s,
                    &f("ignore"),
                    Some("ignore takes CSS selectors such as \".newsletter-box\""),
                    CssSelector::parse,
                )
            })
            .collect();
        let ignore_text: Vec<_> = w.ignore_text.iter().filter_map(|s| check.parse(s, &f("ignore_text"), Some("write a regular expression in single quotes, which keep backslashes: '\\d+ minutes ago'"), parse_regex)).collect();
        let schedule = match &w.schedule {
            Some(s) => check.parse(s, &f("schedule"), Some(Schedule::HINT), Schedule::parse),
            None => Some(settings.schedule.clone()),
        };
        let notify = match &w.notify {
            Some(n) => check.channels(n, &f("notify")),
            None => Some(settings.notify.clone()),
        };
        // A watch with any invalid field is left out; its errors are
        // already recorded and the whole watchlist will be refused.
        let complete = w.ignore.len() == ignore.len()
            && w.ignore_text.len() == ignore_text.len()
            && (w.selector.is_none() || selector.is_some());
        if let (Some(name), Some(url), Some(schedule), Some(notify), true) =
            (name, url, schedule, notify, complete)
        {
            watches.push(Watch {
                name,
                url,
                selector,
                ignore,
                ignore_text,
                schedule,
                notify,
            });
        }
    }
    watches
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
