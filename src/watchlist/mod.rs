//! The watchlist: parsing and validating `watchlist.toml` into typed values.
//!
//! Configuration owns its schema: every table (`[settings]`, `[email]`,
//! `[webhook.NAME]`, `[command.NAME]`, `[[watch]]`, `[[feed]]` and a
//! watch's `email = { … }`) has its raw shape in `raw` (the named channels'
//! in `validate_channels`), its validated values here, in [`email`] and in
//! [`channels`], and reports problems through
//! the one collector of `problems`. Channels and the pipeline depend on
//! these types, never the reverse.
//!
//! Everything a running check needs is validated here, once, before any task
//! starts: the rest of the program never meets a configuration error. This
//! module must not fetch, schedule, deliver or touch the snapshot store.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use url::Url;

use crate::schedule::{Adaptive, Policy, Schedule};

pub mod channels;
pub mod email;
mod feed;
mod problems;
mod raw;
mod redact;
mod shard;
mod validate;
mod validate_channels;
mod validate_email;

pub use channels::{ChannelName, Channels};
pub use feed::Feed;
pub use problems::{FieldError, Problem, WatchlistError};
pub use raw::{RawEmailSettings, RawList, RawWatchEmail};
pub use shard::{Shard, ShardError};
pub use validate_email::{validate_email, validate_watch_email};

pub use redact::{redact_text, redacted};

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

/// A validated watchlist: everything the daemon and `check` run on.
#[derive(Debug, Clone)]
pub struct Watchlist {
    /// The file it was read from; relative paths in it are resolved against
    /// its folder.
    pub path: PathBuf,
    /// Global settings, defaults filled in.
    pub settings: Settings,
    /// The `[email]` settings, when the watchlist has them.
    pub email: Option<email::EmailSettings>,
    /// The `[webhook.NAME]` and `[command.NAME]` channels.
    pub channels: Channels,
    /// The watches, in file order.
    pub watches: Vec<Watch>,
    /// The feeds whose entries become watches, in file order.
    pub feeds: Vec<Feed>,
}

/// Global settings. Every default lives in [`Settings::default`] and nowhere else.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The snapshot store's folder (absolute, resolved against the watchlist's folder).
    pub snapshots: PathBuf,
    /// The schedule policy of watches that set none.
    pub schedule: Policy,
    /// The steps of the `adaptive` schedule policy.
    pub adaptive: Adaptive,
    /// The time zone in which schedules are read.
    pub timezone: Tz,
    /// The channels of watches that set none (shared with each of them).
    pub notify: Arc<[Channel]>,
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
    /// Where the daemon's status server listens (`None`: no server).
    pub listen: Option<std::net::SocketAddr>,
    /// The share of the watches this instance takes (`None`: all of them).
    pub shard: Option<Shard>,
}

impl Settings {
    /// The settings a watchlist gets for everything it leaves out, with the
    /// store resolved against `base`.
    pub fn default_in(base: &Path) -> Self {
        Settings {
            snapshots: base.join("snapshots"),
            schedule: Policy::Cron(
                Schedule::parse("*/30 * * * *").expect("the default schedule is valid"),
            ),
            adaptive: Adaptive::default(),
            timezone: Tz::UTC,
            notify: Arc::from([Channel::Log]),
            user_agent: default_user_agent(),
            timeout: Duration::from_secs(30),
            max_body: 10 * 1024 * 1024,
            concurrency: 8,
            per_host_interval: Duration::from_secs(1),
            retries: 2,
            spread: Duration::from_secs(60),
            failure_alert_after: 3,
            keep_versions: None,
            listen: None,
            shard: None,
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
    /// When it is checked: a crontab line or the adaptive policy.
    pub schedule: Policy,
    /// Where its alerts go: shared with `[settings] notify` when the watch
    /// names none, rather than a list copied into each of thousands.
    pub notify: Arc<[Channel]>,
    /// Its email recipients and digest, over the `[email]` defaults: shared,
    /// as most watches have none of their own (the empty settings are over
    /// 100 bytes, a tenth of a watch).
    pub email: Arc<email::WatchEmail>,
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

/// An alert channel, as a `notify` list names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Channel {
    /// A structured change report in the log (always available).
    Log,
    /// An email through the `[email]` settings.
    Email,
    /// A `[webhook.NAME]` or `[command.NAME]` channel.
    Named(ChannelName),
}

impl FromStr for Channel {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "log" => Ok(Channel::Log),
            "email" => Ok(Channel::Email),
            other => ChannelName::parse(other)
                .map(Channel::Named)
                .map_err(|_| format!("unknown channel `{other}`")),
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Channel::Log => f.write_str("log"),
            Channel::Email => f.write_str("email"),
            Channel::Named(name) => f.write_str(name.as_str()),
        }
    }
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
        let valid = validate::validate(text, path).map_err(|problems| WatchlistError::Invalid {
            path: path.to_owned(),
            problems,
        })?;
        Ok(Watchlist {
            path: path.to_owned(),
            settings: valid.settings,
            email: valid.email,
            channels: valid.channels,
            watches: valid.watches,
            feeds: valid.feeds,
        })
    }

    /// Keeps only this instance's share of the watches: `flag` (the command
    /// line's `--shard`) overrides `[settings] shard`; with neither, every
    /// watch stays.
    pub fn take_share(&mut self, flag: Option<Shard>) {
        if flag.is_some() {
            self.settings.shard = flag;
        }
        if let Some(shard) = self.settings.shard {
            self.watches.retain(|w| shard.owns(&w.name));
        }
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

/// The candidate closest to `name` when it is close enough to be a likely
/// typo (an edit or two, more for long names), for "did you mean …".
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(2);
    candidates
        .into_iter()
        .map(|c| (edit_distance(name, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (diagonal + usize::from(ca != *cb))
                .min(above + 1)
                .min(row[j] + 1);
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_names_a_likely_typo_only() {
        let names = ["binance-russia-data", "story", "reuters-story"];
        let cases = [
            ("binance-rusia-data", Some("binance-russia-data")),
            ("stroy", Some("story")),
            ("reuters-stroy", Some("reuters-story")),
            ("something-else", None),
            ("", None),
        ];
        for (typo, expected) in cases {
            assert_eq!(closest(typo, names), expected, "{typo}");
        }
    }
}
