//! The watchlist file's shape before validation: every table of it,
//! `[settings]`, `[email]`, `[[watch]]` and a watch's `email = { … }`.
//!
//! Every value is `Spanned`, so that a problem found later can still name
//! its line. Unknown keys are refused here (`deny_unknown_fields`). These
//! types are read by `validate` and `validate_email` only: nothing outside
//! the configuration ever sees an unvalidated value.

use serde::Deserialize;
use toml::Spanned;

/// A list of strings as written, each element with its own span.
pub type RawList = Spanned<Vec<Spanned<String>>>;

/// The whole file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWatchlist {
    pub(super) settings: Option<RawSettings>,
    pub(super) email: Option<Spanned<RawEmailSettings>>,
    #[serde(default, rename = "watch")]
    pub(super) watches: Vec<Spanned<RawWatch>>,
}

/// `[settings]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSettings {
    pub(super) snapshots: Option<Spanned<String>>,
    pub(super) schedule: Option<Spanned<String>>,
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
