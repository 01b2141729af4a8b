//! The watchlist file's shape before validation: every table of it,
//! `[settings]`, `[email]`, `[[watch]]` and a watch's `email = { … }`
//! (`[[feed]]`'s shape is `feed`'s; the named channels' tables are
//! `validate_channels`'s).
//!
//! Every value is `Spanned`, so that a problem found later can still name
//! its line. Unknown keys are refused here (`deny_unknown_fields`). Each
//! table is read on its own, so that a misspelt key in one watch does not
//! hide the problems of the others. These types are read by `validate` and
//! `validate_email` only: nothing outside the configuration ever sees an
//! unvalidated value.

use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use super::problems::Collector;
use super::validate_channels::RawChannels;

/// A list of strings as written, each element with its own span.
pub type RawList = Spanned<Vec<Spanned<String>>>;

/// The whole file: the tables that could be read.
#[derive(Debug, Default)]
pub(super) struct RawWatchlist {
    pub(super) settings: Option<RawSettings>,
    pub(super) email: Option<Spanned<RawEmailSettings>>,
    /// Whether the file has an `[email]` table, even one that could not be read.
    pub(super) has_email: bool,
    pub(super) watches: Vec<Spanned<RawWatch>>,
    pub(super) feeds: Vec<Spanned<super::feed::RawFeed>>,
    /// The `[webhook.NAME]` and `[command.NAME]` tables.
    pub(super) channels: RawChannels,
}

impl RawWatchlist {
    /// Reads `text` table by table, recording every syntax error (the
    /// parser recovers and goes on) or, when the syntax is sound, every
    /// table whose shape is wrong. `None` after a syntax error: half-parsed
    /// tables would only add confusing problems.
    pub(super) fn read(text: &str, c: &mut Collector) -> Option<Self> {
        let (root, syntax) = DeTable::parse_recoverable(text);
        if !syntax.is_empty() {
            for error in &syntax {
                c.toml(text, error);
            }
            return None;
        }
        let mut raw = RawWatchlist::default();
        for (key, value) in root.into_inner() {
            match key.get_ref().as_ref() {
                "settings" => raw.settings = shape(text, value, c),
                "email" => {
                    raw.has_email = true;
                    raw.email = shape(text, value, c);
                }
                "watch" => raw.watches = tables(text, value, "watch", c),
                "feed" => raw.feeds = tables(text, value, "feed", c),
                kind @ ("webhook" | "command") => raw.channels.read(text, kind, value, c),
                other => {
                    let message = format!(
                        "unknown table `{other}`, expected `settings`, `email`, `webhook`, `command`, `watch` or `feed`"
                    );
                    let hint = "check the spelling; the shipped watchlist.toml lists every key with a comment";
                    c.fail(Some(&key), other, message, Some(hint));
                }
            }
        }
        Some(raw)
    }
}

/// One value deserialized into its raw shape, or the problem recorded.
///
/// A misspelt key is recorded, dropped and the table read again, so that
/// the table's other problems are still found in the same pass; the
/// table itself stays refused through the recorded problem.
pub(super) fn shape<T: for<'de> Deserialize<'de>>(
    text: &str,
    mut value: Spanned<DeValue<'_>>,
    c: &mut Collector,
) -> Option<T> {
    loop {
        match T::deserialize(ValueDeserializer::from(value.clone())) {
            Ok(shaped) => return Some(shaped),
            Err(e) => {
                c.toml(text, &e);
                let unknown = unknown_field(e.message())?;
                let DeValue::Table(table) = value.get_mut() else {
                    return None;
                };
                // The key may sit in a nested table: then give up here.
                table.remove(unknown)?;
            }
        }
    }
}

/// The key serde names in "unknown field `key`, expected …".
fn unknown_field(message: &str) -> Option<&str> {
    message
        .strip_prefix("unknown field `")?
        .split_once('`')
        .map(|(key, _)| key)
}

/// The `[[watch]]` or `[[feed]]` tables (`key`), each read on its own.
fn tables<T: for<'de> Deserialize<'de>>(
    text: &str,
    value: Spanned<DeValue<'_>>,
    key: &str,
    c: &mut Collector,
) -> Vec<Spanned<T>> {
    let span = value.span();
    match value.into_inner() {
        DeValue::Array(items) => items
            .iter()
            .filter_map(|item| shape(text, item.clone(), c))
            .collect(),
        _ => {
            let hint = format!("write each {key} as a [[{key}]] table");
            c.fail_at(
                Some(span),
                key,
                format!("`{key}` is not a list of tables"),
                Some(&hint),
            );
            Vec::new()
        }
    }
}

/// `[settings]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSettings {
    pub(super) snapshots: Option<Spanned<String>>,
    pub(super) schedule: Option<Spanned<String>>,
    pub(super) adaptive: Option<RawList>,
    pub(super) timezone: Option<Spanned<String>>,
    pub(super) notify: Option<RawList>,
    pub(super) user_agent: Option<Spanned<String>>,
    pub(super) timeout: Option<Spanned<String>>,
    pub(super) max_body: Option<Spanned<String>>,
    pub(super) concurrency: Option<Spanned<i64>>,
    pub(super) per_host_interval: Option<Spanned<String>>,
    pub(super) retries: Option<Spanned<i64>>,
    pub(super) spread: Option<Spanned<String>>,
    pub(super) failure_alert_after: Option<Spanned<i64>>,
    pub(super) keep_versions: Option<Spanned<i64>>,
    pub(super) listen: Option<Spanned<String>>,
    pub(super) shard: Option<Spanned<String>>,
}

/// One `[[watch]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWatch {
    pub(super) name: Spanned<String>,
    pub(super) url: Spanned<String>,
    pub(super) selector: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) ignore: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) ignore_text: Vec<Spanned<String>>,
    pub(super) schedule: Option<Spanned<String>>,
    pub(super) notify: Option<RawList>,
    pub(super) email: Option<RawWatchEmail>,
}

/// The `[email]` table as written, before validation.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEmailSettings {
    /// `host[:port]` or `smtps://…` / `smtp://…`.
    pub server: Option<Spanned<String>>,
    /// `tls`, `starttls` or `none`.
    pub security: Option<Spanned<String>>,
    /// The login name.
    pub username: Option<Spanned<String>>,
    /// The environment variable holding the password.
    pub password_env: Option<Spanned<String>>,
    /// The file holding the password.
    pub password_file: Option<Spanned<String>>,
    /// The sender.
    pub from: Option<Spanned<String>>,
    /// Default To recipients.
    pub to: Option<RawList>,
    /// Default Cc recipients.
    pub cc: Option<RawList>,
    /// The global digest schedule.
    pub digest: Option<Spanned<String>>,
    /// An extra trusted certificate (PEM).
    pub ca_file: Option<Spanned<String>>,
    /// The SMTP timeout.
    pub timeout: Option<Spanned<String>>,
}

/// A watch's `email = { … }` inline table as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWatchEmail {
    /// Replaces the default To recipients.
    pub to: Option<RawList>,
    /// Replaces the default Cc recipients.
    pub cc: Option<RawList>,
    /// Added to the To recipients.
    pub add_to: Option<RawList>,
    /// Added to the Cc recipients.
    pub add_cc: Option<RawList>,
    /// This watch's digest schedule, or `"off"`.
    pub digest: Option<Spanned<String>>,
}
