//! The validated email settings: what the email channel runs on once the
//! watchlist's `[email]` table and a watch's `email = { … }` were checked
//! (by `validate_email`), and how a watch's recipients and digest follow
//! from them.
//!
//! Plain data owned by the configuration: no parsing, no files, no
//! environment, no delivery (that is `crate::notify::email`). A password is
//! only named here ([`PasswordSource`]) and its `Debug` output never shows
//! more.

use std::path::{Path, PathBuf};
use std::time::Duration;

use lettre::message::Mailbox;

use crate::schedule::Schedule;

/// How the connection to the SMTP server is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// TLS from the first byte (SMTPS, port 465).
    Tls,
    /// Plain connection upgraded with STARTTLS, which is required (port 587).
    StartTls,
    /// No encryption: for a relay on the same machine or network only.
    None,
}

impl Security {
    /// The port used when the server names none.
    pub fn default_port(self) -> u16 {
        match self {
            Security::Tls => 465,
            Security::StartTls => 587,
            Security::None => 25,
        }
    }

    /// Reads `tls`, `starttls` or `none`.
    ///
    /// # Errors
    ///
    /// Names the unknown value.
    pub fn parse(text: &str) -> Result<Self, String> {
        match text {
            "tls" => Ok(Security::Tls),
            "starttls" => Ok(Security::StartTls),
            "none" => Ok(Security::None),
            other => Err(format!("unknown security `{other}`")),
        }
    }
}

/// Where the SMTP password is read from when the mailer is built.
#[derive(Clone, PartialEq, Eq)]
pub enum PasswordSource {
    /// An environment variable's name.
    Env(String),
    /// A file's path (relative paths are resolved by [`EmailSettings::resolve_paths`]).
    File(PathBuf),
}

impl std::fmt::Debug for PasswordSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Only where the password comes from, never the password.
        match self {
            PasswordSource::Env(name) => write!(f, "Env({name:?})"),
            PasswordSource::File(path) => write!(f, "File({path:?})"),
        }
    }
}

/// Login details: the name, and where the password is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Auth {
    /// The login name.
    pub username: String,
    /// Where the password is read from.
    pub password: PasswordSource,
}

/// Validated `[email]` settings.
#[derive(Debug, Clone)]
pub struct EmailSettings {
    /// The server's host name or address.
    pub host: String,
    /// The server's port.
    pub port: u16,
    /// How the connection is secured.
    pub security: Security,
    /// Login details, when the server needs them.
    pub auth: Option<Auth>,
    /// The sender.
    pub from: Mailbox,
    /// Default To recipients (at least one).
    pub to: Vec<Mailbox>,
    /// Default Cc recipients.
    pub cc: Vec<Mailbox>,
    /// When set, change alerts are gathered and mailed on this schedule.
    pub digest: Option<Schedule>,
    /// A PEM certificate trusted in addition to the system's roots.
    pub ca_file: Option<PathBuf>,
    /// How long one SMTP exchange may take.
    pub timeout: Duration,
}

impl EmailSettings {
    /// The SMTP timeout when the watchlist sets none.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

    /// Resolves relative `password_file` and `ca_file` paths against `base`
    /// (the watchlist's folder).
    pub fn resolve_paths(mut self, base: &Path) -> Self {
        if let Some(Auth {
            password: PasswordSource::File(path),
            ..
        }) = &mut self.auth
        {
            *path = base.join(&*path);
        }
        if let Some(path) = &mut self.ca_file {
            *path = base.join(&*path);
        }
        self
    }
}

/// A watch's validated email part; the default is "the global settings".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WatchEmail {
    /// Replaces the default To recipients when set.
    pub to: Option<Vec<Mailbox>>,
    /// Replaces the default Cc recipients when set.
    pub cc: Option<Vec<Mailbox>>,
    /// Added to the To recipients.
    pub add_to: Vec<Mailbox>,
    /// Added to the Cc recipients.
    pub add_cc: Vec<Mailbox>,
    /// This watch's digest choice, overriding the global one.
    pub digest: DigestChoice,
}

/// Whether a watch's alerts follow the global digest, their own, or none.
#[derive(Debug, Clone, Default)]
pub enum DigestChoice {
    /// As `[email].digest` says.
    #[default]
    Inherit,
    /// This watch's own schedule.
    Schedule(Box<Schedule>),
    /// Mail every alert at once, even when a global digest is set.
    Off,
}

impl PartialEq for DigestChoice {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (DigestChoice::Schedule(a), DigestChoice::Schedule(b)) => a.as_str() == b.as_str(),
            (DigestChoice::Inherit, DigestChoice::Inherit)
            | (DigestChoice::Off, DigestChoice::Off) => true,
            _ => false,
        }
    }
}

/// The recipients of one watch's alerts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipients {
    /// To.
    pub to: Vec<Mailbox>,
    /// Cc.
    pub cc: Vec<Mailbox>,
}

impl WatchEmail {
    /// The recipients of this watch's alerts under `settings`.
    pub fn recipients(&self, settings: &EmailSettings) -> Recipients {
        let mut to = self.to.clone().unwrap_or_else(|| settings.to.clone());
        let mut cc = self.cc.clone().unwrap_or_else(|| settings.cc.clone());
        to.extend(self.add_to.iter().cloned());
        cc.extend(self.add_cc.iter().cloned());
        dedup(&mut to);
        dedup(&mut cc);
        // Someone in To need not get a second copy through Cc.
        cc.retain(|c| !to.iter().any(|t| t.email == c.email));
        Recipients { to, cc }
    }

    /// The digest schedule this watch's change alerts follow, if any.
    pub fn digest<'a>(&'a self, settings: &'a EmailSettings) -> Option<&'a Schedule> {
        match &self.digest {
            DigestChoice::Inherit => settings.digest.as_ref(),
            DigestChoice::Schedule(s) => Some(&**s),
            DigestChoice::Off => None,
        }
    }
}

fn dedup(list: &mut Vec<Mailbox>) {
    let mut seen = Vec::new();
    list.retain(|m| {
        let fresh = !seen.contains(&m.email);
        seen.push(m.email.clone());
        fresh
    });
}
