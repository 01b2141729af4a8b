//! Alerts and the channels that deliver them.
//!
//! An [`Alert`] is what the pipeline hands over when a watch changed, started
//! failing or recovered. This module owns that vocabulary and the routing to
//! channels: `log` writes at once, every other channel is an [`Outlet`] with
//! a durable queue (`delivery`, over `outbox`), and each lives in its own
//! file (`email`, `webhook`, `command`). It must not
//! compute differences or decide whether something changed: it delivers what
//! it is given, and never drops it.

pub mod command;
pub mod delivery;
pub mod email;
pub mod log;
pub mod named;
pub mod outbox;
pub mod payload;
mod wake;
pub mod webhook;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::metrics::Metrics;
use crate::report::Report;
use crate::watchlist::{Channel, Watch, WatchName};
use delivery::Delivery;
use email::Mailer;
use outbox::Put;

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
#[allow(
    clippy::large_enum_variant,
    reason = "alerts are few and short-lived; boxing the report would only add indirection"
)]
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
    /// A named channel is asked for but was not set up.
    #[error("watch `{watch}` asks for channel `{channel}`, which is not set up")]
    NoChannel {
        /// The watch.
        watch: WatchName,
        /// The channel's name.
        channel: String,
    },
    /// The alert could not be written to a channel's outbox.
    #[error("cannot queue the {channel} alert: {reason}")]
    Outbox {
        /// The channel's name.
        channel: String,
        /// Why, with its causes.
        reason: String,
    },
}

/// A boxed future, so that channels of different types share one list.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A channel with a durable queue, as the notifier, the daemon and `check`
/// see it: every channel but `log` is one, whatever it delivers to.
pub trait Outlet: Send + Sync + std::fmt::Debug {
    /// The channel's name in `notify` lists.
    fn channel(&self) -> Channel;

    /// The kind of channel (`email`, `webhook`, `command`), the first word
    /// of its log lines.
    fn kind(&self) -> &'static str;

    /// Queues `alert` about `watch`: durable when it returns. It syncs
    /// files, so callers run it on a blocking thread.
    ///
    /// # Errors
    ///
    /// When the outbox cannot be written: the caller must keep the alert.
    fn enqueue(&self, alert: &Alert, watch: &Watch) -> Result<Put, NotifyError>;

    /// The daemon's delivery loop, until `shutdown` fires.
    fn run(&self, shutdown: CancellationToken) -> BoxFuture<'_, ()>;

    /// One delivery pass over what is due now (`redline check`).
    fn flush(&self) -> BoxFuture<'_, Result<Delivery, NotifyError>>;

    /// How many alerts wait refused under `rejected/`.
    ///
    /// # Errors
    ///
    /// When the outbox cannot be read.
    fn refused(&self) -> Result<usize, NotifyError>;

    /// The settings the channel was built from, in words with secrets
    /// hashed: a reload keeps a channel whose words did not change. `None`
    /// for a channel the reload compares otherwise (email).
    fn built_from(&self) -> Option<&str> {
        None
    }
}

/// Routes alerts to the channels each watch asks for.
#[derive(Debug, Clone, Default)]
pub struct Notifier {
    /// Every channel with a queue, email included, in the watchlist's order.
    outlets: Vec<Arc<dyn Outlet>>,
    /// The email channel again, typed, for what only email does (digests,
    /// the outbox listing of mail, the reload's comparison).
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
            outlets: email.iter().map(|m| m.clone() as Arc<dyn Outlet>).collect(),
            email,
            metrics: Metrics::default(),
        }
    }

    /// This notifier with one more queued channel.
    pub fn with_outlet(mut self, outlet: Arc<dyn Outlet>) -> Self {
        self.outlets.push(outlet);
        self
    }

    /// This notifier, counting the alerts it hands over in `metrics`.
    pub fn with_metrics(self, metrics: Metrics) -> Self {
        Notifier { metrics, ..self }
    }

    /// The email channel, for `check`'s flush and the outbox listing.
    pub fn mailer(&self) -> Option<&Arc<Mailer>> {
        self.email.as_ref()
    }

    /// Every channel with a queue, for the daemon's delivery loops and
    /// `check`'s flush.
    pub fn outlets(&self) -> &[Arc<dyn Outlet>] {
        &self.outlets
    }

    /// The queued channel named `channel`, if it was set up.
    pub fn outlet(&self, channel: &Channel) -> Option<&Arc<dyn Outlet>> {
        self.outlets.iter().find(|o| o.channel() == *channel)
    }

    /// Hands `alert` to every channel of `watch`: first each queued channel
    /// (durable when this returns), then the log, so that an alert a queue
    /// refused is not half-announced.
    ///
    /// # Errors
    ///
    /// When a channel is asked for but absent, or its outbox could not be
    /// written; the caller must then keep the alert. Channels that queued
    /// it before the failure recognise it by its id when it comes again.
    pub async fn send(&self, alert: Alert, watch: &Watch) -> Result<(), NotifyError> {
        for channel in watch.notify.iter().filter(|c| **c != Channel::Log) {
            let outlet = self.outlet(channel).cloned().ok_or_else(|| match channel {
                Channel::Email => NotifyError::NoEmail(watch.name.clone()),
                other => NotifyError::NoChannel {
                    watch: watch.name.clone(),
                    channel: other.to_string(),
                },
            })?;
            let (queued, owner) = (alert.clone(), watch.clone());
            // The outbox syncs to disk: keep that off the async workers.
            let put = tokio::task::spawn_blocking(move || outlet.enqueue(&queued, &owner))
                .await
                .map_err(|e| NotifyError::Outbox {
                    channel: channel.to_string(),
                    reason: e.to_string(),
                })??;
            // Ids are never reused, so a repeat is the same alert handed
            // over again (after a crash); still, a dropped alert is said.
            let name = channel.to_string();
            match put {
                Put::Queued => self.metrics.alert_queued(&name),
                Put::AlreadyQueued => {
                    tracing::info!(alert = %alert.id, channel = %name, "alert already queued; not queued twice")
                }
                Put::AlreadySent => {
                    tracing::warn!(alert = %alert.id, channel = %name, "alert was delivered before; not sent again")
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
