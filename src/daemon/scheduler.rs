//! What the daemon decides, whatever drives it: the watchlist in force,
//! the feeds followed and their derived watches, and the plan of when each
//! watch is due, on a [`Clock`] handed in from outside.
//!
//! The running daemon (`run`) and the round-by-round driver (`Rounds`)
//! share it, so simulated time exercises the same decisions as the real
//! loop. It must not start checks: its callers do, and hand each result
//! back through [`Scheduler::checked`].

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::Clock;
use super::feeds::{self, Ask, Feeds, Reading};
use super::plan::{Known, Plan};
use crate::check::Pipeline;
use crate::feed::FeedError;
use crate::schedule::Life;
use crate::watchlist::{Watch, WatchName, Watchlist};

/// The scheduling state of one daemon.
#[derive(Debug)]
pub(super) struct Scheduler {
    /// The watchlist in force.
    pub(super) current: Arc<Watchlist>,
    pub(super) plan: Plan,
    feeds: Feeds,
    /// The watchlist with the feeds' active watches among its watches:
    /// what the status board shows, rebuilt only when the watches change.
    shown: Arc<Watchlist>,
    /// Where every decision reads the time.
    pub(super) clock: Arc<dyn Clock>,
}

impl Scheduler {
    /// Plans `watchlist` (its watches and its feeds' derived ones) at the
    /// clock's time.
    pub(super) async fn start(
        watchlist: Watchlist,
        pipeline: &Pipeline,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let current = Arc::new(watchlist);
        let mut scheduler = Scheduler {
            shown: current.clone(),
            current,
            plan: Plan::default(),
            feeds: Feeds::default(),
            clock,
        };
        scheduler.apply(None, pipeline, false).await;
        scheduler
    }

    /// Takes in `next` (a reload; `None`: the current watchlist again):
    /// feeds are reloaded, removed ones retired, and every watch planned.
    /// `reset` forgets every due time (the zone or spread changed).
    pub(super) async fn apply(
        &mut self,
        next: Option<Watchlist>,
        pipeline: &Pipeline,
        reset: bool,
    ) {
        if let Some(next) = next {
            self.current = Arc::new(next);
        }
        let before = std::mem::take(&mut self.feeds);
        let root = pipeline.store().root().to_owned();
        let (feeds, shard) = (&self.current.feeds, self.current.settings.shard);
        self.feeds = Feeds::load(feeds, root, shard, self.clock.now(), before).await;
        if reset {
            self.plan = Plan::default();
        }
        self.replan(pipeline).await;
    }

    /// The watchlist with the feeds' active watches among its own.
    pub(super) fn shown(&self) -> &Arc<Watchlist> {
        &self.shown
    }

    /// Every watch checked now: the watchlist's and the feeds' active ones.
    pub(super) fn watches(&self) -> Vec<Watch> {
        let mut watches = self.current.watches.clone();
        watches.extend(self.feeds.watches());
        watches
    }

    /// Plans the watches anew: new ones from what the store knows of them,
    /// gone ones dropped, the others keeping their due times.
    async fn replan(&mut self, pipeline: &Pipeline) {
        let watches = self.watches();
        self.shown = if self.current.feeds.is_empty() {
            self.current.clone()
        } else {
            Arc::new(Watchlist {
                watches: watches.clone(),
                ..(*self.current).clone()
            })
        };
        let known = known(pipeline, &self.plan, &watches).await;
        let now = self.clock.now();
        self.plan
            .update(&watches, &self.current.settings, now, &known);
    }

    /// The feeds due to be read now, each planned for its next reading.
    pub(super) fn feeds_due(&mut self) -> Vec<Ask> {
        let now = self.clock.now();
        self.feeds.due(now)
    }

    /// Takes in a reading of feed `name` and plans the watches its entries
    /// added or retired.
    pub(super) async fn feed_read(
        &mut self,
        name: &WatchName,
        reading: Result<Reading, FeedError>,
        pipeline: &Pipeline,
    ) {
        let now = self.clock.now();
        if self.feeds.take_in(name, reading, now).await {
            self.replan(pipeline).await;
        }
    }

    /// Reads the feeds that are due, one after the other, and takes each
    /// reading in (the round-by-round driver's way; the running daemon
    /// reads them beside its loop).
    pub(super) async fn refresh_feeds(&mut self, pipeline: &Pipeline) {
        for ask in self.feeds_due() {
            let reading = feeds::read(pipeline.fetcher(), &ask).await;
            self.feed_read(&ask.name, reading, pipeline).await;
        }
    }

    /// The watches due now, each planned again.
    pub(super) fn take_due(&mut self) -> Vec<Watch> {
        let now = self.clock.now();
        self.plan.take_due(now, &self.current.settings)
    }

    /// Takes in a check's result.
    pub(super) fn checked(&mut self, name: &WatchName, life: Option<Life>) {
        let now = self.clock.now();
        self.plan.checked(name, life, now, &self.current.settings);
    }

    /// When something is next due: a check or a feed's reading.
    pub(super) fn next_due(&self) -> Option<DateTime<Utc>> {
        let check = self.plan.next_due().map(|(_, due)| due);
        match (check, self.feeds.next_due()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// What the store knows of the watches new to `plan`: whether each was
/// ever checked (one never checked gets its baseline at once rather than
/// at its first scheduled firing, which may be hours away) and its
/// article's life. A store that cannot say is taken as "checked", so the
/// watch simply waits for its schedule.
async fn known(pipeline: &Pipeline, plan: &Plan, watches: &[Watch]) -> HashMap<WatchName, Known> {
    let new: Vec<WatchName> = watches
        .iter()
        .filter(|w| !plan.knows(&w.name))
        .map(|w| w.name.clone())
        .collect();
    match pipeline.states(new).await {
        Ok(states) => states
            .into_iter()
            .map(|(name, state)| {
                let fresh = state.last_check.is_none();
                let life = state.life();
                (name, Known { fresh, life })
            })
            .collect(),
        Err(e) => {
            tracing::warn!(
                "cannot read check state; new watches wait for their schedule: {}",
                crate::error_chain(&e)
            );
            HashMap::new()
        }
    }
}
