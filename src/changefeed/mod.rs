//! The feed of changes: Atom documents of recent changes with their
//! marked-up diffs, so that any feed reader can follow a store.
//!
//! ```text
//! snapshots/feed.atom              the newest changes of every watch
//! snapshots/feed-<I>-of-<N>.atom   the same for shard I of N (shards share a store)
//! snapshots/<watch>/feed.atom      the newest changes of one watch
//! ```
//!
//! A feed holds the [`ENTRIES`] newest changes and returns, each under the
//! id of the alert that announced it. A check that moved the page to
//! another version brings the watch's feed up to date (the entries its
//! file holds, and one for each version stored since the newest it shows;
//! made whole from the store's versions, reports and the returns its state
//! remembers after a return, or when the file is missing or unreadable)
//! and merges it into the store's feed, before the watch's state is saved:
//! a crash in between repeats the check's announcement, and with it the
//! feed's update, so a feed never misses a change the store holds. A
//! store's feed that is missing or unreadable is rebuilt from the watches'
//! feeds, and theirs from the store. Writes are atomic and synced, like
//! every store file. It must not decide what changed: it shows what the
//! store holds.

mod atom;
mod commit;
mod entries;
mod update;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use atom_syndication::{Entry, Feed};
use chrono::Utc;

use crate::store::{Durability, Store, StoreError, WatchState, replace_atomic};
use crate::watchlist::{Shard, Watch, WatchName};
pub use atom::{About, MEDIA_TYPE};
use entries::recent_of;
pub use entries::{Change, recent};

/// How many changes a feed holds: the newest.
pub const ENTRIES: usize = 50;

/// A feed's file name, in the store and in a watch's folder.
pub const FILE: &str = "feed.atom";

/// Why a feed could not be made or written.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    /// The store could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The feed's file could not be written.
    #[error("feed of changes: cannot write {}: {source}; the watch's next change writes it again", path.display())]
    Write {
        /// The feed's file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The Atom writer failed.
    #[error("feed of changes: cannot write the atom document: {0}")]
    Atom(#[from] atom_syndication::Error),
}

/// The store's feed: `feed.atom`, or `feed-I-of-N.atom` for a shard, as
/// the instances of a sharded run share the store's folder.
pub fn store_feed_path(root: &Path, shard: Option<Shard>) -> PathBuf {
    match shard {
        None => root.join(FILE),
        Some(shard) => root.join(format!("feed-{}.atom", shard.tag())),
    }
}

/// A watch's feed: `<watch>/feed.atom`.
pub fn watch_feed_path(root: &Path, name: &WatchName) -> PathBuf {
    root.join(name.as_str()).join(FILE)
}

/// Rewrites the feeds after a check that moved `watch`'s page to another
/// version (`before` → `after`: its state as loaded and as it will be
/// saved). Called before the state is saved; a feed that cannot be written
/// is logged, and the watch's next change writes it whole again.
pub async fn after_check(
    store: Arc<Store>,
    watch: &Watch,
    before: &WatchState,
    after: &WatchState,
) {
    // An unchanged page changes nothing. A baseline is let through (a
    // state moved aside looks like one), and `record` finds no change in it
    // at the cost of one listing.
    if after.current_version.is_none() || after.current_version == before.current_version {
        return;
    }
    // A return is no new version: the feed is made whole, returns and all.
    let whole = after.returns != before.returns;
    let (watch, state) = (watch.clone(), after.clone());
    let done = tokio::task::spawn_blocking(move || {
        update(&store, &watch, &state, whole).map_err(|e| (watch.name, e))
    })
    .await;
    match done {
        Ok(Ok(())) => {}
        Ok(Err((name, e))) => {
            tracing::error!(watch = %name, error = %crate::error_chain(&e), "cannot update the feed of changes");
        }
        Err(e) => tracing::error!("the feed of changes' task failed: {e}"),
    }
}

/// Rewrites `watch`'s feed from the store and `state` (its returns), and
/// merges it into the store's feed. A watch that never changed gets no
/// file.
///
/// # Errors
///
/// When the store cannot be read or a feed cannot be written.
pub fn record(store: &Store, watch: &Watch, state: &WatchState) -> Result<(), FeedError> {
    update(store, watch, state, true)
}

/// [`record`], bringing the watch's feed up to date from its file unless
/// `whole` (see [`update::brought_up_to_date`]).
fn update(store: &Store, watch: &Watch, state: &WatchState, whole: bool) -> Result<(), FeedError> {
    let coming = commit::Coming::new(store);
    let path = watch_feed_path(store.root(), &watch.name);
    let versions = store.versions(&watch.name)?;
    // Two versions make one change: the store makes that feed as cheaply
    // as the file would (and a first change finds no file to read).
    let kept = match whole || versions.len() <= 2 {
        true => None,
        false => update::brought_up_to_date(store, watch, &path, &versions)?,
    };
    let entries = match kept {
        Some(entries) => entries,
        None => {
            let returns = &state.returns;
            let changes = recent_of(store, &watch.name, Some(watch), &versions, returns, ENTRIES)?;
            if changes.is_empty() && !path.exists() {
                return Ok(());
            }
            changes
                .iter()
                .map(|change| atom::written(&atom::entry(change)))
                .collect::<Result<Vec<_>, _>>()?
        }
    };
    let url = watch.display_url();
    let about = About::watch(watch.name.as_str(), &url);
    write(&path, &atom::document(&about, &entries, Utc::now())?)?;
    update::remember(&path, &url);

    commit::into_store_feed(store, coming, &watch.name, entries)
}

/// The store's feed as served: its file, else (a store whose watches have
/// not changed since feeds were kept) made from the store without writing.
/// `watches` (the watchlist in force) give the addresses shown.
///
/// # Errors
///
/// When the store cannot be read.
pub fn store_document(
    store: &Store,
    shard: Option<Shard>,
    watches: &[Watch],
) -> Result<Vec<u8>, FeedError> {
    if let Some(bytes) = read_bytes(&store_feed_path(store.root(), shard)) {
        return Ok(bytes);
    }
    let entries = every_watch(store, shard, watches)?;
    Ok(atom::to_bytes(&atom::feed(
        &About::store(),
        entries,
        Utc::now(),
    ))?)
}

/// A watch's feed as served: its file, else made from the store without
/// writing.
///
/// # Errors
///
/// When the store cannot be read.
pub fn watch_document(store: &Store, watch: &Watch) -> Result<Vec<u8>, FeedError> {
    if let Some(bytes) = read_bytes(&watch_feed_path(store.root(), &watch.name)) {
        return Ok(bytes);
    }
    let entries = made_from_store(store, &watch.name, Some(watch))?;
    let about = About::watch(watch.name.as_str(), &watch.display_url());
    Ok(atom::to_bytes(&atom::feed(&about, entries, Utc::now()))?)
}

/// The newest entries of every watch folder of the store (of `shard`):
/// each from its feed's file, else from the store. `watches` give the
/// address and options of the watches still in the watchlist.
fn every_watch(
    store: &Store,
    shard: Option<Shard>,
    watches: &[Watch],
) -> Result<Vec<Entry>, FeedError> {
    let root = store.root();
    let folders = match fs::read_dir(root) {
        Ok(folders) => folders,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(StoreError::Io {
                action: "list",
                path: root.to_owned(),
                source,
            }
            .into());
        }
    };
    let mut all = Vec::new();
    for folder in folders.flatten() {
        // Hidden folders (the outbox) and files are not watches.
        let Some(name) = folder
            .file_name()
            .to_str()
            .and_then(|n| WatchName::parse(n).ok())
        else {
            continue;
        };
        if !folder.path().is_dir() || shard.is_some_and(|s| !s.owns(&name)) {
            continue;
        }
        match read(&watch_feed_path(root, &name)) {
            Some(feed) => all.extend(feed.entries),
            None => {
                let watch = watches.iter().find(|w| w.name == name);
                // One damaged watch leaves the others' entries in the feed.
                match made_from_store(store, &name, watch) {
                    Ok(entries) => all.extend(entries),
                    Err(e) => {
                        tracing::warn!(watch = %name, error = %crate::error_chain(&e), "the feed of changes leaves this watch out");
                    }
                }
            }
        }
        // Bounded as it goes, so a store of many watches stays small here.
        if all.len() > 4 * ENTRIES {
            atom::newest_first(&mut all, ENTRIES);
        }
    }
    atom::newest_first(&mut all, ENTRIES);
    Ok(all)
}

/// The entries of the watch `name`, made from the store.
fn made_from_store(
    store: &Store,
    name: &WatchName,
    watch: Option<&Watch>,
) -> Result<Vec<Entry>, StoreError> {
    // One version or none is neither a change nor a return: the state of
    // such a watch (most of them, when a store's feed is first made) need
    // not be read.
    let versions = store.versions(name)?;
    if versions.len() < 2 {
        return Ok(Vec::new());
    }
    let returns = store.state(name)?.returns;
    let changes = recent_of(store, name, watch, &versions, &returns, ENTRIES)?;
    Ok(changes.iter().map(atom::entry).collect())
}

/// A feed's file, parsed; `None` when it is missing or unreadable (it is
/// then rebuilt, and an unreadable one said so).
fn read(path: &Path) -> Option<Feed> {
    let bytes = read_bytes(path)?;
    match Feed::read_from(bytes.as_slice()) {
        Ok(feed) => Some(feed),
        Err(e) => {
            tracing::warn!(file = %path.display(), "the feed of changes is unreadable ({e}); it is rebuilt from the store");
            None
        }
    }
}

fn read_bytes(path: &Path) -> Option<Vec<u8>> {
    match fs::read(path) {
        Ok(bytes) => Some(bytes),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => {
            tracing::warn!(file = %path.display(), "cannot read the feed of changes ({e}); it is rebuilt from the store");
            None
        }
    }
}

/// Writes a feed's file, atomically and synced (file and folder). Both
/// syncs stay, for each file: a watch's feed must be on the disk before
/// the state that records its change, and nothing orders two renames in
/// one folder before the folder's sync returns (the state's own sync comes
/// after, and a crash before it may keep either rename). A feed left
/// behind by a power cut would miss that change: a watch's until its next
/// change, the store's for good, as it is rebuilt only when missing or
/// unreadable, and a write lost unsynced leaves an old file that reads
/// as well as a current one. So what is saved is writes, not syncs: one
/// store feed write per group of changes (see [`commit`]). Rewritten at
/// every change, a feed is swapped with its spare: no inode made or freed.
fn write(path: &Path, bytes: &[u8]) -> Result<(), FeedError> {
    replace_atomic(path, bytes, Durability::Durable)
        .map(drop)
        .map_err(|source| FeedError::Write {
            path: path.to_owned(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_sharing_a_store_each_write_a_feed_of_their_own() {
        let root = Path::new("snapshots");
        assert_eq!(store_feed_path(root, None), root.join("feed.atom"));
        let shard = Shard::new(1, 3).expect("a valid shard");
        assert_eq!(
            store_feed_path(root, Some(shard)),
            root.join("feed-1-of-3.atom")
        );
        // Never a watch's folder: a watch name has no dot.
        assert!(WatchName::parse("feed.atom").is_err());
        assert!(WatchName::parse("feed-1-of-3.atom").is_err());
        let name = WatchName::parse("story").expect("a valid name");
        assert_eq!(
            watch_feed_path(root, &name),
            root.join("story").join("feed.atom")
        );
    }
}
