//! The changes a feed shows, read from the store: each stored version's
//! change (the report stored beside it, else a comparison with the
//! version before it, as the catch-up of alerts does) and each return to
//! an earlier version the watch's state remembers.
//!
//! Reads only. A change carries the id of the alert that announced it, so
//! regenerating a feed gives every entry the id it had. It must not write
//! or render.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use crate::check::{Move, Tag, compare_versions, stored_move};
use crate::report::Report;
use crate::store::{Return, Snapshot, Store, StoreError, VersionInfo};
use crate::watchlist::{Watch, WatchName};

/// One change of one watch, as a feed shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// The id of the alert that announced it (`story/v1-…/v2-…`).
    pub id: String,
    /// The watch.
    pub watch: WatchName,
    /// The article's address, its password masked.
    pub url: String,
    /// The headline of the version the page shows after the change.
    pub headline: Option<String>,
    /// The version the page left.
    pub from: u32,
    /// The version the page shows after the change.
    pub to: u32,
    /// Whether `to` is a version the page showed before (a return).
    pub reverted: bool,
    /// When the change was seen: the new version's capture time, or the
    /// time of the check that saw the return.
    pub at: DateTime<Utc>,
    /// What changed.
    pub report: Report,
}

/// The newest `limit` changes of the watch `name`, newest first: its
/// stored versions' changes and its `returns` (from its state). `watch`,
/// when the watchlist still holds it, gives the address shown and the
/// comparison's options; without it the address is the one each version
/// was fetched from (stored with its password masked).
///
/// A return is shown once per move, the first time the page made it, as
/// its alert is sent once per move; a return that repeats a change still
/// in the feed is left out for the same reason.
///
/// # Errors
///
/// When the versions cannot be listed or one of them cannot be read.
pub fn recent(
    store: &Store,
    name: &WatchName,
    watch: Option<&Watch>,
    returns: &[Return],
    limit: usize,
) -> Result<Vec<Change>, StoreError> {
    recent_of(store, name, watch, &store.versions(name)?, returns, limit)
}

/// [`recent`] of the stored `versions` of `name` (a listing in hand).
///
/// # Errors
///
/// When one of the versions cannot be read.
pub fn recent_of(
    store: &Store,
    name: &WatchName,
    watch: Option<&Watch>,
    versions: &[VersionInfo],
    returns: &[Return],
    limit: usize,
) -> Result<Vec<Change>, StoreError> {
    let mut changes = Vec::new();
    // The first stored version is the baseline: nothing changed into it.
    for index in versions.len().saturating_sub(limit).max(1)..versions.len() {
        changes.push(stored_change(store, name, watch, versions, index)?);
    }
    let mut seen: HashSet<(u32, u32)> = changes.iter().map(|c| (c.from, c.to)).collect();
    let firsts: Vec<&Return> = returns
        .iter()
        .filter(|r| seen.insert((r.from, r.to)))
        .collect();
    let mut loaded = HashMap::new();
    for back in firsts.iter().rev().take(limit) {
        if let Some(change) = returned(store, name, watch, versions, back, &mut loaded)? {
            changes.push(change);
        }
    }
    // Newest first; the id breaks ties so that a regeneration is identical.
    changes.sort_by(|a, b| b.at.cmp(&a.at).then_with(|| b.id.cmp(&a.id)));
    changes.truncate(limit);
    Ok(changes)
}

/// The change into the stored version `versions[index]` (not the first:
/// nothing changed into the baseline).
///
/// # Errors
///
/// When the version or the one it is compared with cannot be read.
pub fn stored_change(
    store: &Store,
    name: &WatchName,
    watch: Option<&Watch>,
    versions: &[VersionInfo],
    index: usize,
) -> Result<Change, StoreError> {
    let (step, new) = stored_move(store, watch, versions, index)?;
    Ok(change(name, watch, step, &new, new.captured_at))
}

/// The change of a return, `None` when either version is no longer stored.
fn returned(
    store: &Store,
    name: &WatchName,
    watch: Option<&Watch>,
    versions: &[VersionInfo],
    back: &Return,
    loaded: &mut HashMap<u32, Snapshot>,
) -> Result<Option<Change>, StoreError> {
    let find = |number: u32| versions.iter().find(|v| v.version == number);
    let (Some(from), Some(to)) = (find(back.from), find(back.to)) else {
        return Ok(None);
    };
    for info in [from, to] {
        if let Entry::Vacant(slot) = loaded.entry(info.version) {
            slot.insert(store.read(info)?);
        }
    }
    let (old, new) = (&loaded[&from.version], &loaded[&to.version]);
    let step = Move {
        from: Tag::info(from),
        to: Tag::info(to),
        headline: new.article.headline.clone(),
        report: compare_versions(&old.article, &new.article, watch),
        reverted: true,
    };
    Ok(Some(change(name, watch, step, new, back.at)))
}

fn change(
    name: &WatchName,
    watch: Option<&Watch>,
    step: Move,
    new: &Snapshot,
    at: DateTime<Utc>,
) -> Change {
    Change {
        id: step.id(name),
        watch: name.clone(),
        url: watch.map_or_else(|| new.url.clone(), Watch::display_url),
        headline: step.headline,
        from: step.from.version,
        to: step.to.version,
        reverted: step.reverted,
        at,
        report: step.report,
    }
}
