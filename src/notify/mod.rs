//! Alerts and the channels that deliver them.
//!
//! An [`Alert`] is what the pipeline hands over when a watch changed, started
//! failing or recovered. This module owns that vocabulary and the routing to
//! channels; each channel (`log`, `email`) lives in its own file. It must not
//! compute differences or decide whether something changed: it delivers what
//! it is given, and never drops it.

pub mod email;
pub mod outbox;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::report::Report;
use crate::watchlist::{Channel, Watch, WatchName};

pub mod log;

/// Something a user must be told about one watch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// Unique and stable: the same event always has the same id, so that a
    /// retried delivery can be recognised (e.g. `binance-russia/v3`).
    pub id: String,
    /// The watch this alert is about.
    pub watch: WatchName,
    /// The watched address.
    pub url: String,
    /// When the event was seen.
    pub time: DateTime<Utc>,
    /// What happened.
    pub event: Event,
}

/// What an [`Alert`] reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// The article changed from one stored version to another.
    Changed {
        /// The article's headline in the new version.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        headline: Option<String>,
        /// The stored version compared against.
        from_version: u32,
        /// The stored version that is new.
        to_version: u32,
        /// What changed.
        report: Report,
    },
    /// The watch's checks have failed several times in a row.
    Failing {
        /// The last failure, with its causes.
        reason: String,
        /// How many checks in a row have failed.
        failures: u32,
        /// When the first of those failures happened.
        since: DateTime<Utc>,
    },
    /// The watch's check succeeded again after a [`Event::Failing`] alert.
    Recovered {
        /// How many checks in a row had failed.
        failures: u32,
        /// When the failures began.
        since: DateTime<Utc>,
    },
}

/// Why an alert could not be handed to a channel. The alert is then not
/// counted as announced, and the next check hands it over again.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// The email channel is asked for but the watchlist has no `[email]`.
    #[error("watch `{0}` asks for email alerts but the watchlist has no [email] settings")]
    NoEmail(WatchName),
    /// The alert could not be written to the outbox.
    #[error("cannot queue the email alert: {0}")]
    Outbox(String),
}

/// Routes alerts to the channels each watch asks for.
#[derive(Debug, Clone, Default)]
pub struct Notifier {}

impl Notifier {
    /// A notifier with the log channel only.
    pub fn log_only() -> Self {
        Notifier {}
    }

    /// Hands `alert` to every channel of `watch`. The log channel cannot
    /// fail; the email channel has the alert on disk when this returns.
    ///
    /// # Errors
    ///
    /// When a channel could not take the alert.
    pub async fn send(&self, alert: Alert, watch: &Watch) -> Result<(), NotifyError> {
        for channel in &watch.notify {
            match channel {
                Channel::Log => log::write(&alert),
                Channel::Email => return Err(NotifyError::NoEmail(watch.name.clone())),
            }
        }
        Ok(())
    }
}
