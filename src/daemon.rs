//! The daemon: checks every watch on its schedule until told to stop, and
//! picks up edits of the watchlist without a restart.
//!
//! Shutdown is a [`CancellationToken`] passed in by the caller (the binary
//! cancels it on SIGINT/SIGTERM). Every task observes it; the daemon then
//! waits for checks in flight up to a deadline and abandons the rest, which
//! is safe because the store only ever replaces whole files. This module
//! must not know how a check works: it calls [`Pipeline::check`] and logs
//! what comes back.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::check::{Checked, Outcome, Pipeline};
use crate::schedule;
use crate::watchlist::{Settings, Watch, WatchName, Watchlist};

/// How often the watchlist file is looked at for edits.
pub const RELOAD_POLL: Duration = Duration::from_secs(2);
/// How long checks in flight may take to finish once a stop is asked for.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(20);

/// Runs the daemon on `watchlist` until `shutdown` is cancelled.
///
/// # Errors
///
/// Only for what prevents starting at all; a failing watch is logged and
/// the daemon goes on.
pub async fn run(
    watchlist: Watchlist,
    pipeline: Pipeline,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let checks = Checks {
        tracker: TaskTracker::new(),
        limit: Arc::new(Semaphore::new(watchlist.settings.concurrency)),
        running: Arc::default(),
        pipeline: pipeline.clone(),
        shutdown: shutdown.clone(),
    };
    let mut plan = Plan {
        entries: HashMap::new(),
    };
    let fresh = never_checked(&pipeline, &plan, &watchlist).await;
    plan.update(&watchlist, Utc::now(), &fresh);
    let mut reloader = Reloader::new(&watchlist.path);
    let mut current = watchlist;
    if let Some(mailer) = pipeline.notifier().mailer().cloned() {
        let token = shutdown.clone();
        checks.tracker.spawn(async move { mailer.run(token).await });
    }
    tracing::info!(watches = current.watches.len(), store = %pipeline.store().root().display(), "daemon started");
    if let Some((name, due)) = plan.next_due() {
        tracing::info!(watch = %name, at = %due, "first check");
    }

    loop {
        let wait = plan
            .next_due()
            .map_or(RELOAD_POLL, |(_, due)| until(due).min(RELOAD_POLL));
        tokio::select! {
            () = shutdown.cancelled() => break,
            () = tokio::time::sleep(wait) => {}
        }
        if let Some(next) = reloader.poll(&current) {
            let fresh = never_checked(&pipeline, &plan, &next).await;
            plan.update(&next, Utc::now(), &fresh);
            current = next;
        }
        for watch in plan.take_due(Utc::now(), &current.settings) {
            checks.start(watch);
        }
    }
    checks.finish().await;
    Ok(())
}

/// The checks in flight: bounded in number, never two of one watch at once,
/// each abandoned when shutdown is asked for.
struct Checks {
    tracker: TaskTracker,
    /// `settings.concurrency` permits.
    limit: Arc<Semaphore>,
    /// The watches with a check in flight.
    running: Arc<Mutex<HashSet<WatchName>>>,
    pipeline: Pipeline,
    shutdown: CancellationToken,
}

impl Checks {
    /// Starts a check of `watch`, unless one is still running.
    fn start(&self, watch: Watch) {
        let mut running = self.running.lock().expect("running set is never poisoned");
        if !running.insert(watch.name.clone()) {
            tracing::warn!(watch = %watch.name, "previous check still running; skipping this one");
            return;
        }
        drop(running);
        let (pipeline, limit, running, token) = (
            self.pipeline.clone(),
            self.limit.clone(),
            self.running.clone(),
            self.shutdown.clone(),
        );
        self.tracker.spawn(async move {
            if let Ok(_permit) = limit.acquire_owned().await {
                tokio::select! {
                    checked = pipeline.check(&watch, Utc::now()) => log_checked(&checked),
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

fn until(due: DateTime<Utc>) -> Duration {
    (due - Utc::now()).to_std().unwrap_or(Duration::ZERO)
}

/// The watches of `watchlist` new to `plan` that were never checked: they
/// get their baseline at once rather than at their first scheduled firing,
/// which may be hours away. A store that cannot say is taken as "checked",
/// so the watch simply waits for its schedule.
async fn never_checked(
    pipeline: &Pipeline,
    plan: &Plan,
    watchlist: &Watchlist,
) -> HashSet<WatchName> {
    let new: Vec<WatchName> = watchlist
        .watches
        .iter()
        .filter(|w| !plan.entries.contains_key(&w.name))
        .map(|w| w.name.clone())
        .collect();
    pipeline.never_checked(new).await.unwrap_or_else(|e| {
        tracing::warn!(
            "cannot read check state; new watches wait for their schedule: {}",
            crate::error_chain(&e)
        );
        HashSet::new()
    })
}

/// When each watch is next due.
struct Plan {
    entries: HashMap<WatchName, (Watch, DateTime<Utc>)>,
}

impl Plan {
    /// Takes in a (re)loaded watchlist: new watches are planned (at once
    /// when in `fresh`, the never checked), removed ones dropped, and a
    /// watch whose schedule is unchanged keeps its due time.
    fn update(&mut self, watchlist: &Watchlist, now: DateTime<Utc>, fresh: &HashSet<WatchName>) {
        let mut entries = HashMap::new();
        for watch in &watchlist.watches {
            let due = match self.entries.remove(&watch.name) {
                Some((old, due)) if old.schedule.as_str() == watch.schedule.as_str() => due,
                _ if fresh.contains(&watch.name) => now + spread(watch, &watchlist.settings, now),
                _ => next_due(watch, &watchlist.settings, now),
            };
            entries.insert(watch.name.clone(), (watch.clone(), due));
        }
        self.entries = entries;
    }

    fn next_due(&self) -> Option<(&WatchName, DateTime<Utc>)> {
        self.entries
            .iter()
            .map(|(name, (_, due))| (name, *due))
            .min_by_key(|(_, due)| *due)
    }

    /// The watches due at `now`, each planned again for its next firing.
    fn take_due(&mut self, now: DateTime<Utc>, settings: &Settings) -> Vec<Watch> {
        let mut due = Vec::new();
        for (watch, at) in self.entries.values_mut() {
            if *at <= now {
                due.push(watch.clone());
                *at = next_due(watch, settings, now);
            }
        }
        due
    }
}

/// The next firing of `watch` after `now`, shifted by its stable spread offset.
fn next_due(watch: &Watch, settings: &Settings, now: DateTime<Utc>) -> DateTime<Utc> {
    let zone = settings.timezone;
    let Some(fire) = watch.schedule.next_after(now, zone) else {
        // Validation refuses schedules that never fire; a year-long wait is
        // the safe reading of one that stops firing later.
        return now + chrono::Duration::days(365);
    };
    fire + spread(watch, settings, now)
}

/// The watch's stable offset within the window over which checks due
/// together are spread.
fn spread(watch: &Watch, settings: &Settings, now: DateTime<Utc>) -> chrono::Duration {
    let period = watch
        .schedule
        .period_after(now, settings.timezone)
        .unwrap_or(Duration::from_secs(3600));
    let offset = schedule::spread_offset(watch.name.as_str(), period, settings.spread);
    chrono::Duration::from_std(offset).unwrap_or_default()
}

/// Watches the watchlist file and re-validates it when it changes.
struct Reloader {
    path: PathBuf,
    seen: Option<SystemTime>,
}

impl Reloader {
    fn new(path: &Path) -> Self {
        Reloader {
            path: path.to_owned(),
            seen: modified(path),
        }
    }

    /// A new watchlist when the file changed and is valid. An invalid edit
    /// is reported once and the last good watchlist stays in force.
    fn poll(&mut self, current: &Watchlist) -> Option<Watchlist> {
        let stamp = modified(&self.path);
        if stamp == self.seen {
            return None;
        }
        self.seen = stamp;
        match Watchlist::load(&self.path) {
            Ok(next) => {
                for changed in restart_only_changes(current, &next) {
                    tracing::warn!("{changed} changed; the new value takes effect after a restart");
                }
                tracing::info!(watches = next.watches.len(), "watchlist reloaded");
                Some(next)
            }
            Err(error) => {
                tracing::error!(
                    "watchlist edit not applied, still running on the last good one: {error}"
                );
                None
            }
        }
    }
}

/// The settings that shape the running daemon itself (its store, its
/// concurrency, its mailer) and so cannot change under it.
fn restart_only_changes(current: &Watchlist, next: &Watchlist) -> Vec<&'static str> {
    let mut changed = Vec::new();
    if next.settings.snapshots != current.settings.snapshots {
        changed.push("settings.snapshots");
    }
    if next.settings.concurrency != current.settings.concurrency {
        changed.push("settings.concurrency");
    }
    // Debug output of the email settings names the password's source, never
    // the password, so comparing it compares everything that matters.
    if format!("{:?}", next.email) != format!("{:?}", current.email) {
        changed.push("[email]");
    }
    changed
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}
