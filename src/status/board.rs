//! The status board: what the running daemon publishes for the status
//! server to show (the watchlist in force, when each watch is next due,
//! when the scheduler last went round its loop), and the daemon's metrics.
//!
//! The daemon writes, the server reads; the lock is held only to copy a
//! few values in or out, never across an `.await`. It must not read the
//! store or the clock itself.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

use crate::metrics::Metrics;
use crate::watchlist::{WatchName, Watchlist};

/// Shared handle on the board; clones see the same board.
#[derive(Debug, Clone)]
pub struct Board {
    live: Arc<Mutex<View>>,
    metrics: Metrics,
}

/// A copy of what the daemon last published.
#[derive(Debug, Clone, Default)]
pub struct View {
    /// When the scheduler last went round its loop (`None` before it ran).
    pub last_loop: Option<DateTime<Utc>>,
    /// When the scheduler, going to sleep, said it would go round again
    /// (`None` before it first slept). `/healthz` compares the clock with
    /// this, so the loop need not wake just to look alive.
    pub sleeping_until: Option<DateTime<Utc>>,
    /// The watchlist in force.
    pub watchlist: Option<Arc<Watchlist>>,
    /// The store the daemon writes.
    pub store: Option<PathBuf>,
    /// When each watch is next checked.
    pub next_due: HashMap<WatchName, DateTime<Utc>>,
}

impl Board {
    /// An empty board over `metrics`.
    pub fn new(metrics: Metrics) -> Self {
        Board {
            live: Arc::default(),
            metrics,
        }
    }

    /// The daemon's metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// Publishes a round of the scheduler.
    pub fn publish(
        &self,
        now: DateTime<Utc>,
        watchlist: &Arc<Watchlist>,
        store: &Path,
        next_due: HashMap<WatchName, DateTime<Utc>>,
    ) {
        self.metrics.scheduled(
            now,
            next_due.iter().map(|(name, due)| (name.as_str(), *due)),
        );
        let mut live = self
            .live
            .lock()
            .expect("the board's lock is never poisoned");
        live.last_loop = Some(now);
        live.watchlist = Some(watchlist.clone());
        live.store = Some(store.to_owned());
        live.next_due = next_due;
    }

    /// Publishes a round of the scheduler that moved only the due times
    /// of `moved` (`None`: never due again).
    pub fn publish_moved(
        &self,
        now: DateTime<Utc>,
        moved: Vec<(WatchName, Option<DateTime<Utc>>)>,
    ) {
        self.metrics
            .moved(now, moved.iter().map(|(name, due)| (name.as_str(), *due)));
        let mut live = self
            .live
            .lock()
            .expect("the board's lock is never poisoned");
        live.last_loop = Some(now);
        for (name, due) in moved {
            match due {
                Some(due) => live.next_due.insert(name, due),
                None => live.next_due.remove(&name),
            };
        }
    }

    /// Records that the scheduler sleeps until `wake`.
    pub fn sleeping_until(&self, wake: DateTime<Utc>) {
        self.live
            .lock()
            .expect("the board's lock is never poisoned")
            .sleeping_until = Some(wake);
    }

    /// A copy of what was last published.
    pub fn view(&self) -> View {
        self.live
            .lock()
            .expect("the board's lock is never poisoned")
            .clone()
    }
}
