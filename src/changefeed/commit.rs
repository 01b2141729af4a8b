//! The store feeds' group commit: the watches' entries are queued per feed
//! file, and one check writes all that are queued in one synced write of
//! the store's feed (merged into the entries it last wrote, kept by file
//! identity, or into the file read back, or into a feed made from the
//! watches' feeds). A check returns only once its entries reached the
//! disk, so its state is saved after the store's feed holds its change.
//!
//! Changes seen at once would each write the whole feed (fifty entries,
//! two syncs) if they merely queued as they came: a write about to start
//! first waits, briefly, for the checks already on their way here (see
//! [`Coming`]). It must not write a watch's feed, nor decide what goes
//! into one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use chrono::Utc;

use super::atom::{self, About, Written};
use super::{ENTRIES, FeedError, every_watch, read, store_feed_path, write};
use crate::store::{FileIdentity, Store, file_identity};
use crate::watchlist::WatchName;

/// Serialises the read-modify-write of a store's feed between the checks
/// of one process. One process at most writes a store (or a shard's feed:
/// see [`store_feed_path`]), so a lock in the process is enough.
static STORE_FEED: Mutex<()> = Mutex::new(());

/// Per feed file, the watches' entries waiting to be merged into it.
/// Checks that change at once queue their entries here, and whichever
/// takes [`STORE_FEED`] first merges and writes them all in one synced
/// write; the others find theirs written.
static WAITING: Mutex<BTreeMap<PathBuf, Waiting>> = Mutex::new(BTreeMap::new());

/// Told whenever a check on its way queues its entries or gives up.
static ARRIVED: Condvar = Condvar::new();

/// How long a write waits at most for the checks on their way: a few of
/// their own watch feeds' synced writes. It holds no thread of the
/// async runtime (the feed is written on a blocking thread).
const GATHER: Duration = Duration::from_millis(10);

/// The entries waiting for one store feed (see [`WAITING`]).
#[derive(Default)]
struct Waiting {
    /// Each watch's entries, its whole feed (a later check's replace an
    /// earlier one's), written once by the check that queued them.
    entries: BTreeMap<WatchName, Vec<Written>>,
    /// The number the next write of this feed gets, from 1.
    next: u64,
    /// The number of the last write that reached the disk; every entry
    /// queued before a write took them is in it.
    written: u64,
    /// The checks on their way (see [`Coming`]).
    coming: usize,
    /// The entries of the feed as this process last wrote it, with the
    /// file's identity then: while the file is still that one, the next
    /// write merges into them without reading and parsing it again, and
    /// assembles the document from their XML without writing it again.
    kept: Option<(FileIdentity, Vec<Written>)>,
}

/// A check on its way to the queue of the store feed at its path: counted
/// from the start of its feed update until it queues its entries (or gives
/// up), so that a write about to start waits for it rather than leaving
/// its entries to a write of their own.
pub struct Coming(PathBuf);

impl Coming {
    /// A check of `store` on its way to the queue.
    pub fn new(store: &Store) -> Coming {
        let path = store_feed_path(store.root(), store.shard());
        waiting(&path, |w| w.coming += 1);
        Coming(path)
    }
}

impl Drop for Coming {
    fn drop(&mut self) {
        waiting(&self.0, |w| w.coming = w.coming.saturating_sub(1));
        ARRIVED.notify_all();
    }
}

/// Merges `entries` (the whole feed of the watch `name`) into the store's
/// feed, and returns once they reached the disk: written by this check,
/// with every other one queued by then, or by another check's write.
///
/// # Errors
///
/// When the store's feed cannot be read, made or written; the entries
/// stay queued for the next write.
pub fn into_store_feed(
    store: &Store,
    coming: Coming,
    name: &WatchName,
    entries: Vec<Written>,
) -> Result<(), FeedError> {
    let path = coming.0.clone();
    let mine = queue(&path, name, entries);
    drop(coming);
    let _only_writer = STORE_FEED.lock().unwrap_or_else(PoisonError::into_inner);
    gather(&path);
    // Another check's write took these entries while this one waited.
    let Some((number, taken)) = take(&path, mine) else {
        return Ok(());
    };
    match merge(store, &path, &taken) {
        Ok(()) => {
            waiting(&path, |w| w.written = number);
            Ok(())
        }
        Err(e) => {
            // Put back for the next write, behind any newer entries; the
            // checks that queued them try again themselves.
            waiting(&path, |w| {
                for (name, entries) in taken {
                    w.entries.entry(name).or_insert(entries);
                }
            });
            Err(e)
        }
    }
}

/// Waits until no check is on its way to the queue of `path`, for
/// [`GATHER`] at most. Called under [`STORE_FEED`].
fn gather(path: &Path) {
    let until = Instant::now() + GATHER;
    let mut all = lock();
    loop {
        let coming = all.get(path).map_or(0, |w| w.coming);
        let left = until.saturating_duration_since(Instant::now());
        if coming == 0 || left.is_zero() {
            return;
        }
        all = ARRIVED
            .wait_timeout(all, left)
            .unwrap_or_else(PoisonError::into_inner)
            .0;
    }
}

/// Queues a watch's entries for the store feed at `path`; returns the
/// number of the write that will hold them at the latest.
fn queue(path: &Path, name: &WatchName, entries: Vec<Written>) -> u64 {
    waiting(path, |w| {
        w.entries.insert(name.clone(), entries);
        w.next.max(1)
    })
}

/// Takes every entry waiting for `path` and numbers their write; `None`
/// when write `mine` already reached the disk. Called under [`STORE_FEED`].
fn take(path: &Path, mine: u64) -> Option<(u64, BTreeMap<WatchName, Vec<Written>>)> {
    waiting(path, |w| {
        if w.written >= mine {
            return None;
        }
        let number = w.next.max(1);
        w.next = number + 1;
        Some((number, std::mem::take(&mut w.entries)))
    })
}

fn waiting<T>(path: &Path, f: impl FnOnce(&mut Waiting) -> T) -> T {
    f(lock().entry(path.to_owned()).or_default())
}

fn lock() -> MutexGuard<'static, BTreeMap<PathBuf, Waiting>> {
    WAITING.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Merges the watches' entries `taken` into the store feed at `path` (or
/// into one rebuilt from the watches' feeds) and writes it, synced.
fn merge(
    store: &Store,
    path: &Path,
    taken: &BTreeMap<WatchName, Vec<Written>>,
) -> Result<(), FeedError> {
    let kept = waiting(path, |w| w.kept.take())
        .filter(|(id, _)| file_identity(path).as_ref() == Some(id))
        .map(|(_, entries)| entries);
    let mut all = match kept {
        Some(entries) => entries,
        // Read or rebuilt, then written once: later writes reuse them.
        None => {
            let entries = match read(path) {
                Some(feed) => feed.entries,
                None => every_watch(store, store.shard(), &[])?,
            };
            entries
                .iter()
                .map(atom::written)
                .collect::<Result<_, _>>()?
        }
    };
    all.retain(|e| {
        e.watch
            .as_deref()
            .is_none_or(|w| !taken.keys().any(|t| t.as_str() == w))
    });
    all.extend(taken.values().flatten().cloned());
    atom::newest_written_first(&mut all, ENTRIES);
    write(path, &atom::document(&About::store(), &all, Utc::now())?)?;
    if let Some(id) = file_identity(path) {
        waiting(path, |w| w.kept = Some((id, all)));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_write_of_the_store_feed_serves_every_check_queued_before_it() {
        let path = Path::new("group-commit-test").join(super::super::FILE);
        let name = |n| WatchName::parse(n).expect("a valid name");
        let first = queue(&path, &name("a"), Vec::new());
        let second = queue(&path, &name("b"), Vec::new());
        assert_eq!(first, second, "both wait for the same write");
        let (number, taken) = take(&path, first).expect("nothing written yet");
        assert_eq!(
            taken.keys().map(WatchName::as_str).collect::<Vec<_>>(),
            ["a", "b"]
        );
        waiting(&path, |w| w.written = number);
        assert!(take(&path, second).is_none(), "b's entries were written");
        // Entries queued after a write took the others wait for the next.
        let third = queue(&path, &name("a"), Vec::new());
        assert!(third > number);
        assert!(take(&path, third).is_some());
    }

    #[test]
    fn a_write_waits_for_the_checks_on_their_way_and_no_longer() {
        let path = PathBuf::from("gather-test").join(super::super::FILE);
        let on_the_way = Coming(path.clone());
        waiting(&path, |w| w.coming += 1);
        let arrived = std::thread::spawn(move || drop(on_the_way));
        gather(&path);
        arrived.join().expect("the check arrives");
        assert_eq!(waiting(&path, |w| w.coming), 0);
        // One that never comes holds a write back for the bound only.
        waiting(&path, |w| w.coming += 1);
        gather(&path);
    }
}
