//! The daemon: checks every watch on its schedule until told to stop, and
//! reloads the watchlist on SIGHUP or when its file is edited.
//!
//! Shutdown is a [`CancellationToken`] passed in by the caller (the binary
//! cancels it on SIGINT/SIGTERM). Every task observes it; the daemon then
//! waits for checks in flight up to a deadline and abandons the rest, which
//! is safe because the store only ever replaces whole files.
//!
//! A reload builds a new [`Pipeline`] from the new settings (fetcher,
//! channels, failure threshold, retention) and swaps it in between checks:
//! each check holds the pipeline it started with, so none runs half on the
//! old settings and half on the new. Only the store's location and the
//! status server's address wait for a restart, and a warning says so.
//!
//! This module must not know how a check works: it calls
//! [`Pipeline::check`], logs and counts what comes back, and publishes its
//! plan on the status [`Board`].

mod clock;
mod feeds;
mod plan;
mod reload;
mod rounds;
mod scheduler;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::check::{Checked, Outcome, Pipeline};
use crate::notify::Outlet;
use crate::schedule::Life;
use crate::status::Board;
use crate::watchlist::{Watch, WatchName, Watchlist};
use plan::Moved;
use reload::{Reader, Requests, Trigger};
use scheduler::Scheduler;

pub use clock::{Clock, SystemClock};
pub use reload::DEBOUNCE;
pub use rounds::Rounds;

/// The longest the scheduler sleeps when nothing is due sooner. It need
/// not wake to look alive (`/healthz` compares the clock with the time it
/// said it would wake): this only bounds how long a jump of the wall clock
/// can go unnoticed.
pub const HEARTBEAT: Duration = Duration::from_secs(3600);
/// How long checks in flight may take to finish once a stop is asked for.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(20);

/// Runs the daemon on `watchlist` until `shutdown` is cancelled.
///
/// # Errors
///
/// Only for what prevents starting at all (SIGHUP cannot be caught); a
/// failing watch is logged and the daemon goes on.
pub async fn run(
    watchlist: Watchlist,
    pipeline: Pipeline,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let board = Board::new(pipeline.metrics().clone());
    run_with(watchlist, pipeline, board, shutdown).await
}

/// Runs the daemon like [`run`], publishing its plan on `board` (what the
/// status server shows).
///
/// # Errors
///
/// As [`run`].
pub async fn run_with(
    watchlist: Watchlist,
    pipeline: Pipeline,
    board: Board,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let mut requests = Requests::start(&watchlist.path)
        .map_err(|e| anyhow::anyhow!("cannot listen for SIGHUP: {e}"))?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let mut daemon = Daemon::start(watchlist, pipeline, board, shutdown.clone(), clock).await;
    loop {
        let now = daemon.scheduler.clock.now();
        let wait = daemon
            .scheduler
            .next_due()
            .map_or(HEARTBEAT, |due| until(due, now).min(HEARTBEAT));
        let wake = now + chrono::Duration::from_std(wait).unwrap_or_default();
        daemon.board.sleeping_until(wake);
        tokio::select! {
            () = shutdown.cancelled() => break,
            () = tokio::time::sleep(wait) => {}
            Some(first) = requests.recv() => {
                let trigger = requests.settle(first).await;
                daemon.reload(trigger).await;
            }
            Some((name, life)) = daemon.results.recv() => daemon.scheduler.checked(&name, life),
            Some((name, reading)) = daemon.readings.recv() => {
                daemon.scheduler.feed_read(&name, reading, &daemon.pipeline).await;
            }
        }
        daemon.round();
    }
    daemon.checks.finish().await;
    Ok(())
}

/// The running daemon's state, owned by its loop.
struct Daemon {
    /// The watchlist, feeds and plan in force.
    scheduler: Scheduler,
    /// The pipeline new checks start with.
    pipeline: Pipeline,
    checks: Checks,
    /// The queued channels' delivery loops.
    delivery: Delivery,
    reader: Reader,
    board: Board,
    /// The checks' results, as they end: the plan's input.
    results: mpsc::UnboundedReceiver<(WatchName, Option<Life>)>,
    /// Where feed readings, made beside the loop, come back.
    readings: mpsc::UnboundedReceiver<(WatchName, Reading)>,
    read: mpsc::UnboundedSender<(WatchName, Reading)>,
}

/// A feed's reading, or why it could not be read.
type Reading = Result<feeds::Reading, crate::feed::FeedError>;

impl Daemon {
    async fn start(
        watchlist: Watchlist,
        pipeline: Pipeline,
        board: Board,
        shutdown: CancellationToken,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let (done, results) = mpsc::unbounded_channel();
        let (read, readings) = mpsc::unbounded_channel();
        let checks = Checks {
            tracker: TaskTracker::new(),
            limit: Arc::new(Semaphore::new(watchlist.settings.concurrency)),
            running: Arc::default(),
            shutdown: shutdown.clone(),
            clock: clock.clone(),
            done,
        };
        let reader = Reader::new(&watchlist.path);
        let scheduler = Scheduler::start(watchlist, &pipeline, clock).await;
        let mut delivery = Delivery::default();
        delivery.switch(pipeline.notifier().outlets(), &checks.tracker, &shutdown);
        tracing::info!(watches = scheduler.watches().len(), feeds = scheduler.current.feeds.len(), store = %pipeline.store().root().display(), "daemon started");
        if let Some((name, due)) = scheduler.plan.next_due() {
            tracing::info!(watch = %name, at = %due, "first check");
        }
        let mut daemon = Daemon {
            scheduler,
            reader,
            pipeline,
            checks,
            delivery,
            board,
            results,
            readings,
            read,
        };
        daemon.publish();
        daemon
    }

    /// One round of the loop: starts reading the feeds that are due
    /// (beside the loop: a slow feed must not hold the checks up), then
    /// starts the checks that are due.
    fn round(&mut self) {
        for ask in self.scheduler.feeds_due() {
            let (fetcher, read) = (self.pipeline.fetcher().clone(), self.read.clone());
            let token = self.checks.shutdown.clone();
            self.checks.tracker.spawn(async move {
                tokio::select! {
                    reading = feeds::read(&fetcher, &ask) => {
                        // The loop may be gone at shutdown: nothing to take in then.
                        let _ = read.send((ask.name, reading));
                    }
                    () = token.cancelled() => {}
                }
            });
        }
        for watch in self.scheduler.take_due() {
            self.checks.start(watch, &self.pipeline);
        }
        self.publish();
    }

    /// Tells the status board (and the metrics) when each watch is due:
    /// the whole plan when the watches changed, else only the due times
    /// that moved, so that a check's result costs what it moved, not the
    /// number of watches.
    fn publish(&mut self) {
        let now = self.scheduler.clock.now();
        match self.scheduler.plan.take_moved() {
            Moved::All => self.board.publish(
                now,
                self.scheduler.shown(),
                self.pipeline.store().root(),
                self.scheduler.plan.due_times(),
            ),
            Moved::Some(moved) => self.board.publish_moved(now, moved),
        }
    }

    /// Reads the watchlist again and applies it, or keeps the one in force
    /// when the edit is invalid or its channels cannot be set up.
    async fn reload(&mut self, trigger: Trigger) {
        let Some(mut next) = self.reader.read(trigger) else {
            return;
        };
        let current = self.scheduler.current.clone();
        // The shard names the store's lock and outbox: it waits for a restart.
        let asked = next.settings.shard;
        next.settings.shard = current.settings.shard;
        next.take_share(None);
        if asked.is_some() && asked != next.settings.shard {
            tracing::warn!("settings.shard changed; kept as before until a restart");
        }
        let pipeline = match self.pipeline.reconfigured(&next) {
            Ok(pipeline) => pipeline,
            Err(e) => {
                tracing::error!(
                    "watchlist edit not applied, still running on the last good one: {}",
                    crate::error_chain(&e)
                );
                return;
            }
        };
        let waiting = reload::restart_only_changes(&current, &next);
        if !waiting.is_empty() {
            tracing::warn!(
                "{} changed; kept as before until a restart (the running store and status server stay where they are)",
                waiting.join(", ")
            );
        }
        let applied = reload::applied_changes(&current, &next);
        if next.settings.concurrency != current.settings.concurrency {
            // Checks in flight keep their permits of the old bound.
            self.checks.limit = Arc::new(Semaphore::new(next.settings.concurrency));
        }
        let shutdown = self.checks.shutdown.clone();
        self.delivery.switch(
            pipeline.notifier().outlets(),
            &self.checks.tracker,
            &shutdown,
        );
        self.pipeline = pipeline;
        // Every due time was computed in the old zone or window.
        let reset = applied.contains(&"settings.timezone") || applied.contains(&"settings.spread");
        let (watches, feeds) = (next.watches.len(), next.feeds.len());
        self.scheduler
            .apply(Some(next), &self.pipeline, reset)
            .await;
        tracing::info!(
            trigger = trigger.word(),
            watches,
            feeds,
            applied = %applied.join(", "),
            "watchlist reloaded"
        );
        self.publish();
    }
}

/// The checks in flight: bounded in number, never two of one watch at once,
/// each abandoned when shutdown is asked for.
struct Checks {
    tracker: TaskTracker,
    /// `settings.concurrency` permits (replaced when a reload changes it).
    limit: Arc<Semaphore>,
    /// The watches with a check in flight.
    running: Arc<Mutex<HashSet<WatchName>>>,
    shutdown: CancellationToken,
    /// The time each check starts at.
    clock: Arc<dyn Clock>,
    /// Where each check's result goes back to the plan.
    done: mpsc::UnboundedSender<(WatchName, Option<Life>)>,
}

impl Checks {
    /// Starts a check of `watch` on `pipeline`, unless one is still running.
    fn start(&self, watch: Watch, pipeline: &Pipeline) {
        let mut running = self.running.lock().expect("running set is never poisoned");
        if !running.insert(watch.name.clone()) {
            tracing::warn!(watch = %watch.name, "previous check still running; skipping this one");
            return;
        }
        drop(running);
        let (pipeline, limit, running, token) = (
            pipeline.clone(),
            self.limit.clone(),
            self.running.clone(),
            self.shutdown.clone(),
        );
        let (clock, done) = (self.clock.clone(), self.done.clone());
        self.tracker.spawn(async move {
            if let Ok(_permit) = limit.acquire_owned().await {
                tokio::select! {
                    checked = pipeline.check(&watch, clock.now()) => {
                        log_checked(&checked);
                        pipeline.metrics().checked(&checked);
                        // The loop may be gone at shutdown: nothing to plan then.
                        let _ = done.send((checked.watch, checked.life));
                    }
                    () = token.cancelled() => tracing::info!(watch = %watch.name, "check abandoned at shutdown"),
                }
            }
            running.lock().expect("running set is never poisoned").remove(&watch.name);
        });
    }

    /// Waits for the checks in flight, up to [`SHUTDOWN_GRACE`].
    async fn finish(self) {
        let tracker = self.tracker;
        tracker.close();
        tracing::info!(
            in_flight = tracker.len(),
            "stopping; waiting for checks in flight"
        );
        if tokio::time::timeout(SHUTDOWN_GRACE, tracker.wait())
            .await
            .is_err()
        {
            tracing::warn!("checks still running after {SHUTDOWN_GRACE:?}; abandoning them");
        }
        tracing::info!("daemon stopped");
    }
}

/// The delivery loops of the queued channels (email, webhooks, commands),
/// one per channel, each restarted when a reload brings a new one. Two
/// loops never run over one outbox at once: a channel's new loop starts
/// when its old one has returned.
#[derive(Default)]
struct Delivery {
    running: Vec<Loop>,
    /// Loops told to stop that may still be finishing a delivery: a
    /// channel set up again under the same name waits for its old loop.
    stopping: Vec<Loop>,
}

/// One channel's running delivery loop.
struct Loop {
    outlet: Arc<dyn Outlet>,
    stop: CancellationToken,
    task: JoinHandle<()>,
}

impl Delivery {
    /// Runs a loop for each of `outlets`: a running one is kept, a channel
    /// rebuilt by a reload gets a new loop after its old one stops, and
    /// the loops of channels no longer set up are stopped.
    fn switch(
        &mut self,
        outlets: &[Arc<dyn Outlet>],
        tracker: &TaskTracker,
        shutdown: &CancellationToken,
    ) {
        self.stopping.retain(|l| !l.task.is_finished());
        let mut old = std::mem::take(&mut self.running);
        for outlet in outlets {
            if let Some(i) = old.iter().position(|l| Arc::ptr_eq(&l.outlet, outlet)) {
                self.running.push(old.swap_remove(i));
                continue;
            }
            let same_name = |l: &Loop| l.outlet.channel() == outlet.channel();
            let previous: Vec<Loop> = old
                .extract_if(.., |l| same_name(l))
                .chain(self.stopping.extract_if(.., |l| same_name(l)))
                .collect();
            let stop = shutdown.child_token();
            let (next, token) = (outlet.clone(), stop.clone());
            let task = tracker.spawn(async move {
                for previous in previous {
                    previous.stop.cancel();
                    let _ = previous.task.await;
                }
                next.run(token).await;
            });
            self.running.push(Loop {
                outlet: outlet.clone(),
                stop,
                task,
            });
        }
        for gone in old {
            gone.stop.cancel();
            self.stopping.push(gone);
        }
    }
}

/// Logs one check's result: a line per check, a warning per failure.
pub fn log_checked(checked: &Checked) {
    let watch = checked.watch.as_str();
    match &checked.result {
        Ok(Outcome::Changed {
            from, to, report, ..
        }) => {
            tracing::info!(watch, from, to, summary = %report.summary(), "changed");
        }
        Ok(outcome) => tracing::info!(watch, outcome = outcome.word(), "checked"),
        Err(error) => {
            tracing::warn!(watch, url = %checked.url, error = %crate::error_chain(error), "check failed")
        }
    }
}

fn until(due: DateTime<Utc>, now: DateTime<Utc>) -> Duration {
    (due - now).to_std().unwrap_or(Duration::ZERO)
}
