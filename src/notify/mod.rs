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

use std::sync::Arc;

use crate::metrics::Metrics;
use crate::report::Report;
use crate::watchlist::{Channel, Watch, WatchName};
use email::Mailer;
use outbox::Put;

pub mod log;

/// Something a user must be told about one watch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// Unique and stable: the same event always has the same id, so that a
    /// retried delivery can be recognised, and never reused for another
    /// event (it names the versions' fingerprints, e.g.
    /// `binance-russia/v2-1f0c…/v3-9ab2…`).
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
    /// The article changed from one stored version to another, or went
    /// back to an earlier one (`reverted`).
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
        /// Whether `to_version` is an earlier version the page shows again
        /// (a correction withdrawn, a paragraph restored).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        reverted: bool,
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
pub struct Notifier {
    /// The email channel, when the watchlist has `[email]` settings.
    email: Option<Arc<Mailer>>,
    /// Where alerts handed to a channel are counted.
    metrics: Metrics,
}

impl Notifier {
    /// A notifier with the log channel only.
    pub fn log_only() -> Self {
        Notifier::default()
    }

    /// A notifier with the log channel and, when given, the email channel.
    pub fn new(email: Option<Arc<Mailer>>) -> Self {
        Notifier {
            email,
            metrics: Metrics::default(),
        }
    }

    /// This notifier, counting the alerts it hands over in `metrics`.
    pub fn with_metrics(self, metrics: Metrics) -> Self {
        Notifier { metrics, ..self }
    }

    /// The email channel, for the daemon's delivery loop and `check`'s flush.
    pub fn mailer(&self) -> Option<&Arc<Mailer>> {
        self.email.as_ref()
    }

    /// Hands `alert` to every channel of `watch`: first the email outbox
    /// (durable when this returns), then the log, so that an alert the
    /// outbox refused is not half-announced.
    ///
    /// # Errors
    ///
    /// When the email channel is asked for but absent, or its outbox could
    /// not be written; the caller must then keep the alert.
    pub async fn send(&self, alert: Alert, watch: &Watch) -> Result<(), NotifyError> {
        if watch.notify.contains(&Channel::Email) {
            let mailer = self
                .email
                .clone()
                .ok_or_else(|| NotifyError::NoEmail(watch.name.clone()))?;
            let (queued, recipients) = (alert.clone(), watch.email.clone());
            // The outbox syncs to disk: keep that off the async workers.
            let put = tokio::task::spawn_blocking(move || mailer.enqueue(&queued, &recipients))
                .await
                .map_err(|e| NotifyError::Outbox(e.to_string()))?
                .map_err(|e| NotifyError::Outbox(crate::error_chain(&e)))?;
            // Ids are never reused, so a repeat is the same alert handed
            // over again (after a crash); still, a dropped alert is said.
            match put {
                Put::Queued => self.metrics.alert_queued("email"),
                Put::AlreadyQueued => {
                    tracing::info!(alert = %alert.id, "email alert already queued; not queued twice")
                }
                Put::AlreadySent => {
                    tracing::warn!(alert = %alert.id, "email alert was delivered before; not sent again")
                }
            }
        }
        if watch.notify.contains(&Channel::Log) {
            log::write(&alert);
            self.metrics.alert_queued("log");
        }
        Ok(())
    }
}
