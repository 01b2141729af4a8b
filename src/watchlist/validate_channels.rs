//! The `[webhook.NAME]` and `[command.NAME]` tables: their raw shapes, and
//! their validation into the values of `channels`.
//!
//! Keys of `[webhook.NAME]`:
//!
//! | key | meaning |
//! |---|---|
//! | `url` | where alerts are posted (http or https) |
//! | `url_env` | or: the environment variable holding that address (it often carries a token) |
//! | `preset` | the body: `json` (the report's versioned JSON, default), `slack` or `discord` |
//! | `secret_env` | optional: environment variable holding the HMAC-SHA256 signing secret |
//! | `timeout` | how long one request may take (`"10s"`) |
//!
//! Keys of `[command.NAME]`: `program` (a name looked up on `PATH`, or a
//! path, relative ones resolved against the watchlist's folder), `args` (a
//! list, passed as they are, no shell) and `timeout` (`"60s"`).
//!
//! This module reads no environment and runs nothing: secrets are named
//! here and read when the channel is built. Problems go to the watchlist's
//! one [`Collector`].

use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;
use toml::de::DeValue;
use url::Url;

use super::channels::{
    ChannelName, Channels, CommandSettings, Preset, WebhookSettings, WebhookUrl,
};
use super::problems::Collector;
use super::raw::{RawList, shape};

/// A `[webhook.NAME]` table as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWebhook {
    url: Option<Spanned<String>>,
    url_env: Option<Spanned<String>>,
    preset: Option<Spanned<String>>,
    secret_env: Option<Spanned<String>>,
    timeout: Option<Spanned<String>>,
}

/// A `[command.NAME]` table as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCommand {
    program: Spanned<String>,
    args: Option<RawList>,
    timeout: Option<Spanned<String>>,
}

/// The named channel tables as written, each with its name.
#[derive(Debug, Default)]
pub(super) struct RawChannels {
    pub(super) webhooks: Vec<(Spanned<String>, RawWebhook)>,
    pub(super) commands: Vec<(Spanned<String>, RawCommand)>,
}

impl RawChannels {
    /// The names of every table as written, valid or not.
    pub(super) fn names(&self) -> impl Iterator<Item = &str> {
        self.webhooks
            .iter()
            .map(|(n, _)| n.get_ref().as_str())
            .chain(self.commands.iter().map(|(n, _)| n.get_ref().as_str()))
    }

    /// Reads the tables under `kind` (`webhook` or `command`), each on its
    /// own, recording the problems of those that cannot be read.
    pub(super) fn read(
        &mut self,
        text: &str,
        kind: &str,
        value: Spanned<DeValue<'_>>,
        c: &mut Collector,
    ) {
        let span = value.span();
        let DeValue::Table(tables) = value.into_inner() else {
            let hint = format!("write each channel as a [{kind}.NAME] table");
            c.fail_at(
                Some(span),
                kind,
                format!("`{kind}` is not a table of channels"),
                Some(&hint),
            );
            return;
        };
        for (name, table) in tables {
            let name = Spanned::new(name.span(), name.into_inner().into_owned());
            if kind == "webhook" {
                if let Some(raw) = shape(text, table, c) {
                    self.webhooks.push((name, raw));
                }
            } else if let Some(raw) = shape(text, table, c) {
                self.commands.push((name, raw));
            }
        }
    }

    /// Validates every table into `c`; relative program paths are resolved
    /// against `base`. A table with a problem is left out (the watchlist is
    /// refused through the recorded problem).
    pub(super) fn validate(&self, base: &Path, c: &mut Collector) -> Channels {
        let mut channels = Channels::default();
        let mut seen = Vec::new();
        for (n, raw) in &self.webhooks {
            let name = channel_name(c, &mut seen, n, "webhook");
            let label = format!("webhook.{}", n.get_ref());
            channels.webhooks.extend(webhook(raw, name, &label, c));
        }
        for (n, raw) in &self.commands {
            let name = channel_name(c, &mut seen, n, "command");
            let label = format!("command.{}", n.get_ref());
            channels
                .commands
                .extend(command(raw, name, &label, base, c));
        }
        channels
    }
}

/// A channel's name, unique among every named channel of the watchlist.
fn channel_name(
    c: &mut Collector,
    seen: &mut Vec<String>,
    name: &Spanned<String>,
    kind: &str,
) -> Option<ChannelName> {
    let field = format!("{kind}.{}", name.get_ref());
    let hint = "name it with lowercase letters, digits, `-` and `_`";
    let parsed = c.parse(name, &field, Some(hint), ChannelName::parse)?;
    if seen.contains(name.get_ref()) {
        let message = format!("a channel named `{}` is already set up", name.get_ref());
        c.fail(
            Some(name),
            &field,
            message,
            Some("every channel needs its own name"),
        );
        return None;
    }
    seen.push(name.get_ref().clone());
    Some(parsed)
}

/// An environment variable's name, or the problem recorded.
fn env_name(
    c: &mut Collector,
    value: &Spanned<String>,
    field: &str,
    example: &str,
) -> Option<String> {
    let name = value.get_ref();
    if name.trim().is_empty() || name.contains('=') || name.contains(char::is_whitespace) {
        let hint = format!("write a name such as \"{example}\"");
        c.fail(
            Some(value),
            field,
            format!("`{name}` is not an environment variable name"),
            Some(&hint),
        );
        return None;
    }
    Some(name.clone())
}

/// One `[webhook.NAME]` table; `None` when it or its name has a problem.
fn webhook(
    raw: &RawWebhook,
    name: Option<ChannelName>,
    label: &str,
    c: &mut Collector,
) -> Option<WebhookSettings> {
    let before = c.len();
    let f = |key: &str| format!("{label}.{key}");
    let url = match (&raw.url, &raw.url_env) {
        (Some(url), None) => {
            let hint = "write a full address such as \"https://hooks.example.org/redline\"";
            c.parse(url, &f("url"), Some(hint), parse_webhook_url)
                .map(WebhookUrl::Given)
        }
        (None, Some(env)) => {
            env_name(c, env, &f("url_env"), "REDLINE_SLACK_WEBHOOK").map(WebhookUrl::Env)
        }
        (Some(url), Some(_)) => {
            c.fail(
                Some(url),
                &f("url"),
                "both url and url_env are set",
                Some("keep one of them"),
            );
            None
        }
        (None, None) => {
            let hint =
                "add url = \"https://…\", or url_env = \"NAME\" when the address carries a token";
            c.fail_at(None, &f("url"), format!("[{label}] has no url"), Some(hint));
            None
        }
    };
    let preset = match &raw.preset {
        Some(p) => c.parse(
            p,
            &f("preset"),
            Some("use \"json\", \"slack\" or \"discord\""),
            Preset::parse,
        ),
        None => Some(Preset::Json),
    };
    let secret_env = raw
        .secret_env
        .as_ref()
        .and_then(|s| env_name(c, s, &f("secret_env"), "REDLINE_WEBHOOK_SECRET"));
    let timeout = match &raw.timeout {
        Some(t) => c.duration(t, &f("timeout")),
        None => Some(WebhookSettings::DEFAULT_TIMEOUT),
    };
    (c.len() == before).then_some(WebhookSettings {
        name: name?,
        url: url?,
        preset: preset?,
        secret_env,
        timeout: timeout?,
    })
}

fn parse_webhook_url(text: &str) -> Result<Url, String> {
    // Never the address itself in the message: it may carry a token.
    let url = Url::parse(text).map_err(|e| format!("the address is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err("the address is not an http or https address with a host".into());
    }
    Ok(url)
}

/// One `[command.NAME]` table; `None` when it or its name has a problem.
fn command(
    raw: &RawCommand,
    name: Option<ChannelName>,
    label: &str,
    base: &Path,
    c: &mut Collector,
) -> Option<CommandSettings> {
    let before = c.len();
    let f = |key: &str| format!("{label}.{key}");
    let program = raw.program.get_ref();
    if program.trim().is_empty() {
        let hint =
            "name the program, such as \"/usr/local/bin/archive-change\"; it runs without a shell";
        c.fail(
            Some(&raw.program),
            &f("program"),
            "the program is empty",
            Some(hint),
        );
    }
    // A bare name is looked up on PATH; a path is the watchlist's to resolve.
    let program = if program.contains('/') {
        base.join(program)
    } else {
        PathBuf::from(program)
    };
    let args = raw
        .args
        .as_ref()
        .map(|a| a.get_ref().iter().map(|s| s.get_ref().clone()).collect())
        .unwrap_or_default();
    let timeout = match &raw.timeout {
        Some(t) => c.duration(t, &f("timeout")),
        None => Some(CommandSettings::DEFAULT_TIMEOUT),
    };
    (c.len() == before).then_some(CommandSettings {
        name: name?,
        program,
        args,
        timeout: timeout?,
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::super::Watchlist;
    use super::super::channels::{Preset, WebhookUrl};

    const WATCH: &str = "[[watch]]\nname = \"a\"\nurl = \"https://e.org/a\"\n";

    /// `line:field` of every problem in `text`, in file order.
    fn problems(text: &str) -> Vec<String> {
        match Watchlist::parse(text, Path::new("/w/watchlist.toml")) {
            Ok(_) => Vec::new(),
            Err(super::super::WatchlistError::Invalid { problems, .. }) => problems
                .into_iter()
                .map(|p| format!("{}:{}", p.line.unwrap_or(0), p.field.unwrap_or_default()))
                .collect(),
            Err(e) => vec![e.to_string()],
        }
    }

    #[test]
    fn channel_tables_are_checked_in_one_pass() {
        let cases: [(&str, &[&str]); 6] = [
            (
                "[webhook.desk]\nurl = \"ftp://x\"\npreset = \"teams\"\ntimeout = \"soon\"\n",
                &[
                    "2:webhook.desk.url",
                    "3:webhook.desk.preset",
                    "4:webhook.desk.timeout",
                ],
            ),
            (
                "[webhook.desk]\nurl = \"https://h.example/x\"\nurl_env = \"H\"\n",
                &["2:webhook.desk.url"],
            ),
            (
                "[webhook.Desk]\nurl = \"https://h.example/x\"\n",
                &["1:webhook.Desk"],
            ),
            (
                "[webhook.desk]\nurl_env = \"H\"\n[command.desk]\nprogram = \"x\"\n",
                &["3:command.desk"],
            ),
            (
                "[command.a]\nprogram = \"x\"\nshell = true\n",
                &["3:command.a.shell"],
            ),
            (
                &format!(
                    "[command.archive]\nprogram = \"x\"\n{WATCH}notify = [\"archive\", \"pager\"]\n"
                ),
                &["6:watch.a.notify"],
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(problems(text), expected, "{text}");
        }
    }

    #[test]
    fn watches_name_the_channels_they_notify() {
        let text = format!(
            "[settings]\nnotify = [\"log\", \"desk\"]\n[webhook.desk]\nurl_env = \"REDLINE_DESK\"\npreset = \"slack\"\n\
             [command.archive]\nprogram = \"bin/archive\"\nargs = [\"--quiet\"]\n{WATCH}notify = [\"archive\"]\n"
        );
        let watchlist = Watchlist::parse(&text, Path::new("/w/watchlist.toml")).expect("valid");
        let hook = &watchlist.channels.webhooks[0];
        assert_eq!(
            (hook.preset, &hook.url),
            (Preset::Slack, &WebhookUrl::Env("REDLINE_DESK".into()))
        );
        let command = &watchlist.channels.commands[0];
        assert_eq!(command.program, Path::new("/w/bin/archive"));
        assert_eq!(watchlist.settings.notify[1].to_string(), "desk");
        assert_eq!(watchlist.watches[0].notify[0].to_string(), "archive");
    }
}
