//! When each watch is next due: its cron schedule, shifted by its stable
//! spread offset, and "at once" for a watch never checked.
//!
//! A pure part of the daemon: it takes the time as an argument and never
//! reads a clock, a file or the store.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::schedule;
use crate::watchlist::{Settings, Watch, WatchName, Watchlist};

/// When each watch is next due.
#[derive(Debug, Default)]
pub(super) struct Plan {
    entries: HashMap<WatchName, (Watch, DateTime<Utc>)>,
}

impl Plan {
    /// Whether `name` is planned already.
    pub(super) fn knows(&self, name: &WatchName) -> bool {
        self.entries.contains_key(name)
    }

    /// Takes in a (re)loaded watchlist: new watches are planned (at once
    /// when in `fresh`, the never checked), removed ones dropped, and a
    /// watch whose schedule is unchanged keeps its due time.
    pub(super) fn update(
        &mut self,
        watchlist: &Watchlist,
        now: DateTime<Utc>,
        fresh: &HashSet<WatchName>,
    ) {
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

    /// The watch due soonest, and when.
    pub(super) fn next_due(&self) -> Option<(&WatchName, DateTime<Utc>)> {
        self.entries
            .iter()
            .map(|(name, (_, due))| (name, *due))
            .min_by_key(|(_, due)| *due)
    }

    /// Every watch with its next due time.
    pub(super) fn due_times(&self) -> HashMap<WatchName, DateTime<Utc>> {
        self.entries
            .iter()
            .map(|(name, (_, due))| (name.clone(), *due))
            .collect()
    }

    /// The watches due at `now`, each planned again for its next firing.
    pub(super) fn take_due(&mut self, now: DateTime<Utc>, settings: &Settings) -> Vec<Watch> {
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
