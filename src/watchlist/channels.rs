//! The validated named channels: what the `webhook` and `command` channels
//! run on once the watchlist's `[webhook.NAME]` and `[command.NAME]` tables
//! were checked (by `validate_channels`), and the names a watch's `notify`
//! list uses for them.
//!
//! Plain data owned by the configuration: no parsing, no environment, no
//! delivery (that is `crate::notify::webhook` and `crate::notify::command`).
//! A webhook's address may carry a token (Slack's and Discord's do), so its
//! `Debug` output and [`WebhookUrl::shown`] give only its scheme and host;
//! a signing secret is only named here, by its environment variable.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use url::Url;

/// A named channel's stable name, as a watch's `notify` list writes it:
/// lowercase ASCII letters, digits, `-` and `_`, and neither `log` nor
/// `email`, which name the built-in channels.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChannelName(String);

impl ChannelName {
    /// Checks that `name` can name a channel (and its outbox folder).
    ///
    /// # Errors
    ///
    /// A message saying what is wrong with the name.
    pub fn parse(name: &str) -> Result<Self, String> {
        if matches!(name, "log" | "email") {
            return Err(format!("`{name}` is a built-in channel's name"));
        }
        // The same rules as a watch's name: both become folder names.
        super::WatchName::parse(name)
            .map(|n| ChannelName(n.as_str().to_owned()))
            .map_err(|e| e.replacen("name", "channel name", 1))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ChannelName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Every named channel of a watchlist, in file order within each kind.
#[derive(Debug, Clone, Default)]
pub struct Channels {
    /// The `[webhook.NAME]` tables.
    pub webhooks: Vec<WebhookSettings>,
    /// The `[command.NAME]` tables.
    pub commands: Vec<CommandSettings>,
}

impl Channels {
    /// The names of every named channel.
    pub fn names(&self) -> impl Iterator<Item = &ChannelName> {
        self.webhooks
            .iter()
            .map(|w| &w.name)
            .chain(self.commands.iter().map(|c| &c.name))
    }
}

/// The body a webhook receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    /// The change report in its versioned JSON schema (`--format json`),
    /// with the alert's event, id and time.
    Json,
    /// A Slack incoming webhook's `{"text": …}`: a short summary and a link.
    Slack,
    /// A Discord webhook's `{"content": …}`: the same summary.
    Discord,
}

impl Preset {
    /// Reads `json`, `slack` or `discord`.
    ///
    /// # Errors
    ///
    /// Names the unknown value.
    pub fn parse(text: &str) -> Result<Self, String> {
        match text {
            "json" => Ok(Preset::Json),
            "slack" => Ok(Preset::Slack),
            "discord" => Ok(Preset::Discord),
            other => Err(format!("unknown preset `{other}`")),
        }
    }
}

/// Where a webhook's address comes from.
#[derive(Clone, PartialEq, Eq)]
pub enum WebhookUrl {
    /// Written in the watchlist.
    Given(Url),
    /// In this environment variable, read when the channel is built.
    Env(String),
}

impl WebhookUrl {
    /// The address as it may be shown or logged: its scheme and host only,
    /// since the path and query of a webhook address are often its token.
    pub fn shown(&self) -> String {
        match self {
            WebhookUrl::Given(url) => origin_only(url),
            WebhookUrl::Env(name) => format!("${name}"),
        }
    }
}

impl fmt::Debug for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the token: the reload compares this text, which is enough.
        match self {
            WebhookUrl::Given(url) => write!(
                f,
                "Given({:?}, {})",
                origin_only(url),
                blake3::hash(url.as_str().as_bytes()).to_hex()
            ),
            WebhookUrl::Env(name) => write!(f, "Env({name:?})"),
        }
    }
}

/// `https://hooks.slack.com/…`: the scheme and host (and port) of `url`.
pub fn origin_only(url: &Url) -> String {
    let rest = if url.path().len() > 1 || url.query().is_some() {
        "/…"
    } else {
        "/"
    };
    format!("{}{rest}", url.origin().ascii_serialization())
}

/// A validated `[webhook.NAME]` table.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// The channel's name.
    pub name: ChannelName,
    /// Where alerts are posted.
    pub url: WebhookUrl,
    /// The body's shape.
    pub preset: Preset,
    /// The environment variable holding the HMAC-SHA256 signing secret.
    pub secret_env: Option<String>,
    /// How long one request may take.
    pub timeout: Duration,
}

impl WebhookSettings {
    /// The request timeout when the table sets none.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
}

/// A validated `[command.NAME]` table.
#[derive(Debug, Clone)]
pub struct CommandSettings {
    /// The channel's name.
    pub name: ChannelName,
    /// The program: a bare name is looked up on `PATH`, a path with a `/`
    /// is resolved against the watchlist's folder.
    pub program: PathBuf,
    /// Its arguments, passed as they are (no shell).
    pub args: Vec<String>,
    /// How long it may run before it is killed.
    pub timeout: Duration,
}

impl CommandSettings {
    /// How long a command may run when the table sets none.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_addresses_are_shown_without_their_token() {
        let url = Url::parse("https://hooks.slack.com/services/T0/B0/s3cret").expect("url");
        let given = WebhookUrl::Given(url);
        assert_eq!(given.shown(), "https://hooks.slack.com/…");
        assert!(!format!("{given:?}").contains("s3cret"));
        let plain = Url::parse("http://127.0.0.1:8080").expect("url");
        assert_eq!(origin_only(&plain), "http://127.0.0.1:8080/");
    }

    #[test]
    fn channel_names_are_folder_safe_and_not_built_in() {
        assert!(ChannelName::parse("desk-slack").is_ok());
        for bad in ["log", "email", "Desk", "a.b", ""] {
            assert!(ChannelName::parse(bad).is_err(), "{bad}");
        }
    }
}
