//! When each watch is next due: its schedule policy (a cron schedule or
//! the adaptive policy fed by the checks' results), shifted by its stable
//! spread offset, and "at once" for a watch never checked.
//!
//! A pure part of the daemon: it takes the time as an argument and never
//! reads a clock, a file or the store. What the store knows of each watch
//! comes in through [`Known`], and each check's result through
//! [`Plan::checked`].
//!
//! Every call costs the watches it touches, not the plan's size: the due
//! times are indexed in order, and the watches whose due time moved are
//! noted for the status board ([`Plan::take_moved`]), so that a daemon of
//! many watches does not go over all of them at each check's result.

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Utc};

use crate::schedule::{Life, Policy};
use crate::watchlist::{Settings, Watch, WatchName};

/// When each watch is next due.
#[derive(Debug, Default)]
pub(super) struct Plan {
    entries: HashMap<WatchName, Entry>,
    /// Every due time with its watch, soonest first: an entry's `due`,
    /// for each entry that has one.
    queue: BTreeSet<(DateTime<Utc>, WatchName)>,
    /// The watches whose due time moved since [`Plan::take_moved`];
    /// `None` once the watches themselves changed (every one may have).
    moved: Option<HashSet<WatchName>>,
}

/// What moved in a plan (see [`Plan::take_moved`]).
#[derive(Debug, PartialEq)]
pub(super) enum Moved {
    /// The watches changed: the whole plan is to be taken again.
    All,
    /// These watches' due times moved (`None`: never due again).
    Some(Vec<(WatchName, Option<DateTime<Utc>>)>),
}

/// One planned watch.
#[derive(Debug)]
struct Entry {
    watch: Watch,
    /// `None`: never due again (an adaptive watch past its last step).
    due: Option<DateTime<Utc>>,
    /// What the last check said of the article's life.
    life: Option<Life>,
}

/// What the store says of a watch new to the plan.
#[derive(Debug, Clone, Default)]
pub(super) struct Known {
    /// Never checked: its baseline is taken at once.
    pub(super) fresh: bool,
    /// The article's life, from its state.
    pub(super) life: Option<Life>,
}

impl Plan {
    /// Whether `name` is planned already.
    pub(super) fn knows(&self, name: &WatchName) -> bool {
        self.entries.contains_key(name)
    }

    /// Takes in a (re)loaded list of watches: new ones are planned (at once
    /// when `known` says they were never checked), removed ones dropped, and
    /// a watch whose schedule policy is unchanged keeps its due time.
    pub(super) fn update<'a>(
        &mut self,
        watches: impl IntoIterator<Item = &'a Watch>,
        settings: &Settings,
        now: DateTime<Utc>,
        known: &HashMap<WatchName, Known>,
    ) {
        let mut entries = HashMap::new();
        for watch in watches {
            let entry = match self.entries.remove(&watch.name) {
                Some(old) if old.watch.schedule.same_as(&watch.schedule) => Entry {
                    watch: watch.clone(),
                    ..old
                },
                Some(old) => Entry {
                    due: next_due(watch, settings, now, old.life.as_ref()),
                    watch: watch.clone(),
                    life: old.life,
                },
                None => {
                    let known = known.get(&watch.name).cloned().unwrap_or_default();
                    let due = if known.fresh {
                        Some(now + spread(watch, settings, now))
                    } else {
                        next_due(watch, settings, now, known.life.as_ref())
                    };
                    Entry {
                        watch: watch.clone(),
                        due,
                        life: known.life,
                    }
                }
            };
            entries.insert(watch.name.clone(), entry);
        }
        self.entries = entries;
        self.queue = self
            .entries
            .iter()
            .filter_map(|(name, entry)| Some((entry.due?, name.clone())))
            .collect();
        // Watches came or went: the board takes the whole plan again.
        self.moved = None;
    }

    /// The watch due soonest, and when.
    pub(super) fn next_due(&self) -> Option<(&WatchName, DateTime<Utc>)> {
        self.queue.first().map(|(due, name)| (name, *due))
    }

    /// Every watch still due some time, with its next due time.
    pub(super) fn due_times(&self) -> HashMap<WatchName, DateTime<Utc>> {
        self.entries
            .iter()
            .filter_map(|(name, entry)| Some((name.clone(), entry.due?)))
            .collect()
    }

    /// The watches due at `now`, each planned again for its next firing
    /// (an adaptive one provisionally: its check's result replans it).
    pub(super) fn take_due(&mut self, now: DateTime<Utc>, settings: &Settings) -> Vec<Watch> {
        // Taken first, then planned again: each due watch once per call,
        // even one whose next firing is due already.
        let names: Vec<WatchName> = self
            .queue
            .iter()
            .take_while(|(at, _)| *at <= now)
            .map(|(_, name)| name.clone())
            .collect();
        let mut due = Vec::with_capacity(names.len());
        for name in names {
            let Some(entry) = self.entries.get(&name) else {
                continue;
            };
            due.push(entry.watch.clone());
            let next = next_due(&entry.watch, settings, now, entry.life.as_ref());
            self.set_due(&name, next);
        }
        due
    }

    /// Takes in a check's result: an adaptive watch is planned from the
    /// article's life as the check left it (a change makes it young
    /// again). `now` is when the check ended.
    pub(super) fn checked(
        &mut self,
        name: &WatchName,
        life: Option<Life>,
        now: DateTime<Utc>,
        settings: &Settings,
    ) {
        let Some(entry) = self.entries.get_mut(name) else {
            return;
        };
        entry.life = life.or(entry.life);
        if matches!(entry.watch.schedule, Policy::Adaptive(_)) {
            let next = next_due(&entry.watch, settings, now, entry.life.as_ref());
            self.set_due(name, next);
        }
    }

    /// What moved since the last call: the watches whose due time moved,
    /// each with its due time now, or all of them when the watches were
    /// updated since.
    pub(super) fn take_moved(&mut self) -> Moved {
        match self.moved.replace(HashSet::new()) {
            None => Moved::All,
            Some(names) => Moved::Some(
                names
                    .into_iter()
                    .filter_map(|name| {
                        let due = self.entries.get(&name)?.due;
                        Some((name, due))
                    })
                    .collect(),
            ),
        }
    }

    /// Moves `name`'s due time to `due`, in its entry and in the queue.
    fn set_due(&mut self, name: &WatchName, due: Option<DateTime<Utc>>) {
        let Some(entry) = self.entries.get_mut(name) else {
            return;
        };
        if entry.due == due {
            return;
        }
        if let Some(old) = entry.due {
            self.queue.remove(&(old, name.clone()));
        }
        if let Some(new) = due {
            self.queue.insert((new, name.clone()));
        }
        entry.due = due;
        if let Some(moved) = &mut self.moved {
            moved.insert(name.clone());
        }
    }
}

/// The next time `watch` is due after a check at `now`, shifted by its
/// stable spread offset; `None` when its policy says never.
fn next_due(
    watch: &Watch,
    settings: &Settings,
    now: DateTime<Utc>,
    life: Option<&Life>,
) -> Option<DateTime<Utc>> {
    let due = watch.schedule.next_due(
        watch.name.as_str(),
        now,
        life,
        settings.timezone,
        settings.spread,
    );
    match (&watch.schedule, due) {
        // Validation refuses schedules that never fire; a year-long wait is
        // the safe reading of one that stops firing later.
        (Policy::Cron(_), None) => Some(now + chrono::Duration::days(365)),
        (_, due) => due,
    }
}

/// The watch's stable offset within the window over which checks due
/// together are spread.
fn spread(watch: &Watch, settings: &Settings, now: DateTime<Utc>) -> chrono::Duration {
    let offset =
        watch
            .schedule
            .spread(watch.name.as_str(), now, settings.timezone, settings.spread);
    chrono::Duration::from_std(offset).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::watchlist::Watchlist;
    use std::path::Path;

    fn watchlist() -> Watchlist {
        let text = "[settings]\nspread = \"0s\"\n\
            [[watch]]\nname = \"young\"\nurl = \"https://e.org/a\"\nschedule = \"adaptive\"\n\
            [[watch]]\nname = \"hourly\"\nurl = \"https://e.org/b\"\nschedule = \"0 * * * *\"\n";
        Watchlist::parse(text, Path::new("/w/watchlist.toml")).expect("valid")
    }

    fn at(minutes: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_777_000_000, 0).expect("valid time")
            + chrono::Duration::minutes(minutes)
    }

    fn name(text: &str) -> WatchName {
        WatchName::parse(text).expect("valid name")
    }

    /// The test watchlist, planned at `at(0)` with both watches never
    /// checked.
    fn planned_fresh() -> (Watchlist, Plan) {
        let list = watchlist();
        let mut plan = Plan::default();
        let fresh = Known {
            fresh: true,
            life: None,
        };
        let known = HashMap::from([(name("young"), fresh.clone()), (name("hourly"), fresh)]);
        plan.update(&list.watches, &list.settings, at(0), &known);
        (list, plan)
    }

    #[test]
    fn adaptive_watches_follow_the_article_life_the_checks_report() {
        let (list, mut plan) = planned_fresh();
        // Both never checked: due at once.
        let due: Vec<_> = plan.take_due(at(0), &list.settings);
        assert_eq!(due.len(), 2);
        let born = Life {
            published: Some(at(-10)),
            first_seen: at(0),
            changed: None,
        };
        plan.checked(&name("young"), Some(born), at(0), &list.settings);
        plan.checked(&name("hourly"), None, at(0), &list.settings);
        let times = plan.due_times();
        // Published ten minutes ago: every 15 minutes. The cron watch keeps its firing.
        assert_eq!(times[&name("young")], at(15));
        assert!(times[&name("hourly")] > at(0) && times[&name("hourly")] <= at(60));
        // Four hours later (no change): hourly.
        plan.checked(&name("young"), Some(born), at(240), &list.settings);
        assert_eq!(plan.due_times()[&name("young")], at(300));
        // A change at that check: young again.
        let changed = Life {
            changed: Some(at(240)),
            ..born
        };
        plan.checked(&name("young"), Some(changed), at(240), &list.settings);
        assert_eq!(plan.due_times()[&name("young")], at(255));
        // Forty days without change: never due again.
        plan.checked(
            &name("young"),
            Some(changed),
            at(40 * 24 * 60),
            &list.settings,
        );
        assert!(!plan.due_times().contains_key(&name("young")));
        assert_eq!(plan.next_due().map(|(n, _)| n.as_str()), Some("hourly"));
    }

    #[test]
    fn the_plan_says_what_moved_and_keeps_its_queue_in_order() {
        let (list, mut plan) = planned_fresh();
        assert_eq!(plan.take_moved(), Moved::All);
        assert_eq!(plan.take_moved(), Moved::Some(Vec::new()));
        assert_eq!(plan.take_due(at(0), &list.settings).len(), 2);
        let Moved::Some(mut moved) = plan.take_moved() else {
            panic!("only due times moved");
        };
        moved.sort();
        let times = plan.due_times();
        assert_eq!(
            moved,
            [
                (name("hourly"), Some(times[&name("hourly")])),
                (name("young"), Some(times[&name("young")])),
            ]
        );
        // The soonest is first, and nothing is due before it.
        let (soonest, due) = plan.next_due().expect("a watch is due");
        assert_eq!(Some(&due), times.values().min());
        assert_eq!(times[soonest], due);
        assert!(
            plan.take_due(due - chrono::Duration::seconds(1), &list.settings)
                .is_empty()
        );
        // Never due again: moved, gone from the queue.
        let old = Life {
            published: Some(at(-100 * 24 * 60)),
            first_seen: at(-100 * 24 * 60),
            changed: None,
        };
        plan.checked(&name("young"), Some(old), at(0), &list.settings);
        assert_eq!(plan.take_moved(), Moved::Some(vec![(name("young"), None)]));
        assert_eq!(plan.next_due().map(|(n, _)| n.as_str()), Some("hourly"));
        let later = times[&name("hourly")];
        assert_eq!(plan.take_due(later, &list.settings).len(), 1);
        assert!(plan.take_due(later, &list.settings).is_empty());
    }
}
