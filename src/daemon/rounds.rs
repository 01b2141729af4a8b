//! The daemon's scheduling driven one round at a time, on a clock handed in
//! from outside: what tests and simulations use to run days of schedules
//! in moments, without sleeping.
//!
//! A round makes the decisions the running daemon makes (the shared
//! `Scheduler`: feeds read when due, checks due, results fed back to the
//! plan) but waits for each check and delivers queued email before it
//! returns, so the caller sees its whole effect. It must not sleep or read
//! the system clock: time moves only when the caller moves its clock.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::scheduler::Scheduler;
use super::{Clock, log_checked};
use crate::check::{Checked, Pipeline};
use crate::watchlist::{Watch, Watchlist};

/// The scheduler of one watchlist, stepped by its caller.
#[derive(Debug)]
pub struct Rounds {
    scheduler: Scheduler,
    pipeline: Pipeline,
}

impl Rounds {
    /// Plans `watchlist` on `pipeline` at `clock`'s time, as the daemon
    /// does when it starts.
    pub async fn start(watchlist: Watchlist, pipeline: Pipeline, clock: Arc<dyn Clock>) -> Self {
        let scheduler = Scheduler::start(watchlist, &pipeline, clock).await;
        Rounds {
            scheduler,
            pipeline,
        }
    }

    /// One round at the clock's time: reads the feeds that are due, runs
    /// every check that is due (one after the other), plans each watch
    /// again from its result, then hands what the checks queued for every
    /// channel (email, webhooks, commands) to it once. Returns the checks' results.
    pub async fn step(&mut self) -> Vec<Checked> {
        self.scheduler.refresh_feeds(&self.pipeline).await;
        let mut results = Vec::new();
        for watch in self.scheduler.take_due() {
            let checked = self
                .pipeline
                .check(&watch, self.scheduler.clock.now())
                .await;
            log_checked(&checked);
            self.scheduler.checked(&checked.watch, checked.life);
            results.push(checked);
        }
        for outlet in self.pipeline.notifier().outlets() {
            if let Err(e) = outlet.flush().await {
                tracing::error!(
                    channel = %outlet.channel(),
                    "{} delivery failed; the alerts stay in the outbox: {}",
                    outlet.kind(),
                    crate::error_chain(&e)
                );
            }
        }
        results
    }

    /// When the next check or feed reading is due.
    pub fn next_due(&self) -> Option<DateTime<Utc>> {
        self.scheduler.next_due()
    }

    /// The watches checked now: the watchlist's and the feeds' active ones.
    pub fn watches(&self) -> Vec<Watch> {
        self.scheduler.watches()
    }

    /// Takes in an edited watchlist, as a reload does (feeds removed from
    /// it have their watches retired). The pipeline stays as it is.
    pub async fn reload(&mut self, watchlist: Watchlist) {
        self.scheduler
            .apply(Some(watchlist), &self.pipeline, false)
            .await;
    }
}
