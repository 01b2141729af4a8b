//! Assembling a [`Pipeline`] from a watchlist's settings: for a start, and
//! again on every reload, carrying over what a reload must not rebuild (the
//! store and its lock, the CPU bound, unchanged alert channels).
//!
//! This part must not run checks; it only builds what they run on.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

use super::{Drive, Pipeline, SetupError};
use crate::fetch::Fetcher;
use crate::metrics::Metrics;
use crate::notify::delivery::Pacing;
use crate::notify::email::{Mailer, MailerOptions};
use crate::notify::{Notifier, Outlet, named};
use crate::store::Store;
use crate::watchlist::Watchlist;

/// What a reload carries over from the running pipeline into the next.
pub(super) struct Parts {
    pub(super) store: Arc<Store>,
    pub(super) cpu: Arc<Semaphore>,
    /// `Some(mailer)` to keep the running email channel (or its absence),
    /// `None` to build one from the watchlist.
    pub(super) mailer: Option<Option<Arc<Mailer>>>,
    /// The running named channels, kept where their settings did not
    /// change; `None` for no named channel at all (a dry run).
    pub(super) named: Option<Vec<Arc<dyn Outlet>>>,
    pub(super) drive: Drive,
    pub(super) metrics: Metrics,
    /// The watches caught up with their stored versions (kept by a reload:
    /// the store is the same); `None` where each watch is checked once.
    pub(super) caught_up: Option<super::CaughtUp>,
}

impl Parts {
    /// The pipeline `watchlist`'s settings describe, on these parts.
    pub(super) fn assemble(self, watchlist: &Watchlist) -> Result<Pipeline, SetupError> {
        let settings = &watchlist.settings;
        let fetcher = Fetcher::new(settings)?;
        let mailer = match self.mailer {
            Some(kept) => kept,
            None => match &watchlist.email {
                Some(email) => {
                    let mut options = MailerOptions {
                        timezone: settings.timezone,
                        metrics: self.metrics.clone(),
                        ..MailerOptions::default()
                    };
                    if self.drive == Drive::OnePass {
                        options.first_retry = Duration::ZERO;
                        options.max_retry = Duration::ZERO;
                    }
                    let dir = self.store.outbox_dir("email");
                    Some(Arc::new(Mailer::open(email.clone(), &dir, options)?))
                }
                None => None,
            },
        };
        let mut notifier = Notifier::new(mailer).with_metrics(self.metrics.clone());
        if let Some(kept) = &self.named {
            let options = named::Options {
                pacing: match self.drive {
                    Drive::OnePass => Pacing::ONE_PASS,
                    Drive::Daemon => Pacing::DAEMON,
                },
                metrics: self.metrics.clone(),
            };
            let root = self.store.outbox_dir("");
            for outlet in named::open_all(watchlist, &root, &options, kept)? {
                notifier = notifier.with_outlet(outlet);
            }
        }
        Ok(Pipeline {
            fetcher,
            store: self.store,
            notifier,
            cpu: self.cpu,
            failure_alert_after: settings.failure_alert_after,
            keep_versions: settings.keep_versions,
            drive: self.drive,
            email_key: email_key(watchlist),
            metrics: self.metrics,
            caught_up: self.caught_up,
            dry_run: false,
        })
    }
}

/// What the email channel is built from, in words. The settings' debug
/// output names the password's source, never the password, so comparing
/// it compares everything that matters.
pub(super) fn email_key(watchlist: &Watchlist) -> String {
    format!("{:?} {}", watchlist.email, watchlist.settings.timezone)
}
