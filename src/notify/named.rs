//! The named channels (`[webhook.NAME]`, `[command.NAME]`) as outlets: a
//! shared [`Queue`] of the alerts themselves over the channel's deliverer,
//! and their assembly from the watchlist, keeping the channels a reload
//! did not change.
//!
//! Each has its own outbox folder, `<outbox>/webhook.NAME` or
//! `<outbox>/command.NAME` (a `.` never appears in a channel's name, so
//! these never meet `email` or a shard's folder). This module must not know
//! how a receiver speaks (that is `webhook` and `command`) nor how a queue
//! delivers (that is `delivery`).

use std::path::Path;
use std::sync::Arc;

use chrono::Utc;
use tokio_util::sync::CancellationToken;

use super::command::Command;
use super::delivery::{Deliver, Delivery, Pacing, Queue};
use super::outbox::{OutboxError, Put};
use super::webhook::{Webhook, WebhookError};
use super::{Alert, BoxFuture, NotifyError, Outlet};
use crate::metrics::Metrics;
use crate::watchlist::{Channel, ChannelName, Watch, Watchlist};

/// Why a named channel could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum ChannelError {
    /// A webhook's address, secret or client.
    #[error(transparent)]
    Webhook(#[from] WebhookError),
    /// The channel's outbox folder.
    #[error(transparent)]
    Outbox(#[from] OutboxError),
}

/// How named channels pace and count their deliveries.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Retries and idle sleep.
    pub pacing: Pacing,
    /// Where the daemon's loops count their passes.
    pub metrics: Metrics,
}

/// A named channel: its queue of alerts, and what it was built from.
pub struct AlertQueue<D: Deliver<Item = Alert>> {
    name: ChannelName,
    kind: &'static str,
    /// The channel's settings in words (secrets hashed), so that a reload
    /// keeps a channel whose settings did not change.
    built_from: String,
    queue: Queue<D>,
    /// Where the daemon's loop counts its passes.
    metrics: Metrics,
}

impl<D: Deliver<Item = Alert>> std::fmt::Debug for AlertQueue<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AlertQueue")
            .field("name", &self.name)
            .field("queue", &self.queue)
            .finish_non_exhaustive()
    }
}

impl<D: Deliver<Item = Alert>> AlertQueue<D> {
    /// Opens the channel's queue in `outbox_root` (the store's outbox
    /// folder for this instance).
    ///
    /// # Errors
    ///
    /// When the outbox folders cannot be created.
    pub fn open(
        kind: &'static str,
        name: &ChannelName,
        built_from: String,
        outbox_root: &Path,
        deliverer: D,
        options: &Options,
    ) -> Result<Self, OutboxError> {
        let dir = outbox_root.join(format!("{kind}.{name}"));
        Ok(AlertQueue {
            name: name.clone(),
            kind,
            built_from,
            queue: Queue::open(kind, name.as_str(), &dir, deliverer, options.pacing)?,
            metrics: options.metrics.clone(),
        })
    }

    /// The queue, for tests and tools that look at it.
    pub fn queue(&self) -> &Queue<D> {
        &self.queue
    }

    fn outbox_error(&self, e: &OutboxError) -> NotifyError {
        NotifyError::Outbox {
            channel: self.name.to_string(),
            reason: crate::error_chain(e),
        }
    }
}

impl<D: Deliver<Item = Alert>> Outlet for AlertQueue<D> {
    fn channel(&self) -> Channel {
        Channel::Named(self.name.clone())
    }

    fn kind(&self) -> &'static str {
        self.kind
    }

    fn enqueue(&self, alert: &Alert, _watch: &Watch) -> Result<Put, NotifyError> {
        self.queue
            .put(&alert.id, alert, Utc::now())
            .map_err(|e| self.outbox_error(&e))
    }

    fn run(&self, shutdown: CancellationToken) -> BoxFuture<'_, ()> {
        let channel = self.name.as_str();
        let count = |d: Delivery| {
            self.metrics
                .delivered(channel, d.sent, d.deferred, d.rejected);
        };
        Box::pin(self.queue.run_with(shutdown, |_| async { None }, count))
    }

    fn flush(&self) -> BoxFuture<'_, Result<Delivery, NotifyError>> {
        Box::pin(async move {
            self.queue
                .deliver_due(Utc::now(), None)
                .await
                .map_err(|e| self.outbox_error(&e))
        })
    }

    fn refused(&self) -> Result<usize, NotifyError> {
        self.queue
            .rejected()
            .map(|r| r.len())
            .map_err(|e| self.outbox_error(&e))
    }

    fn built_from(&self) -> Option<&str> {
        Some(&self.built_from)
    }
}

/// The outlets of `watchlist`'s named channels, their queues in
/// `outbox_root`. A channel of `kept` (the running pipeline's) built from
/// the same settings is kept as it is, with its running loop.
///
/// # Errors
///
/// The first channel that cannot be set up.
pub fn open_all(
    watchlist: &Watchlist,
    outbox_root: &Path,
    options: &Options,
    kept: &[Arc<dyn Outlet>],
) -> Result<Vec<Arc<dyn Outlet>>, ChannelError> {
    let reuse = |name: &ChannelName, built_from: &str| {
        kept.iter()
            .find(|o| {
                o.channel() == Channel::Named(name.clone()) && o.built_from() == Some(built_from)
            })
            .cloned()
    };
    let mut outlets: Vec<Arc<dyn Outlet>> = Vec::new();
    let user_agent = &watchlist.settings.user_agent;
    for settings in &watchlist.channels.webhooks {
        let built_from = format!("{settings:?} {user_agent}");
        if let Some(outlet) = reuse(&settings.name, &built_from) {
            outlets.push(outlet);
            continue;
        }
        let webhook = Webhook::new(settings, user_agent)?;
        let queue = AlertQueue::open(
            "webhook",
            &settings.name,
            built_from,
            outbox_root,
            webhook,
            options,
        )?;
        outlets.push(Arc::new(queue));
    }
    for settings in &watchlist.channels.commands {
        let built_from = format!("{settings:?}");
        if let Some(outlet) = reuse(&settings.name, &built_from) {
            outlets.push(outlet);
            continue;
        }
        let command = Command::new(settings);
        let queue = AlertQueue::open(
            "command",
            &settings.name,
            built_from,
            outbox_root,
            command,
            options,
        )?;
        outlets.push(Arc::new(queue));
    }
    Ok(outlets)
}
