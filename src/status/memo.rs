//! What the status pages keep between views, so that a view of many
//! watches costs, per watch, one listing of its versions and a look at its
//! state files' metadata, instead of reading its state, its newest
//! versions and comparing them again.
//!
//! Nothing kept goes stale. A version file is never rewritten (its name
//! carries its number and fingerprint) and its report is written before
//! it, so the change that made a version is kept by the version's path
//! for good. A watch's state is kept with the identity of its two files
//! (inode, size, modification time), which every atomic write changes (see
//! `store::FileIdentity`), and is read again when they differ. Past a
//! bound the memo starts afresh. Reads only; the lock is held to look up
//! or insert, never across a read of the store.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Utc};

use crate::check::stored_move;
use crate::report::Report;
use crate::store::{FileIdentity, Store, StoreError, VersionInfo, WatchState, file_identity};
use crate::watchlist::{Watch, WatchName};

/// How many versions' changes and states are kept before starting afresh:
/// a few megabytes of reports at most for the overview's newest changes.
const BOUND: usize = 20_000;

/// The change that made a stored version, as the pages show it.
#[derive(Debug)]
pub struct Made {
    /// The version compared against.
    pub from: u32,
    /// The new version's headline.
    pub headline: Option<String>,
    /// When the new version was captured.
    pub at: DateTime<Utc>,
    /// What changed.
    pub report: Arc<Report>,
}

/// The memo; shared by the server's handlers.
#[derive(Debug, Default)]
pub struct Memo {
    changes: Mutex<HashMap<PathBuf, Arc<Made>>>,
    states: Mutex<HashMap<WatchName, (Stamp, WatchState)>>,
}

/// The identity of a state's two files; `None` for a missing file.
type Stamp = [Option<FileIdentity>; 2];

impl Memo {
    /// The change that made `versions[index]` (`index` > 0): its stored
    /// report, else a comparison with the version before it, as the alerts
    /// have it (see `check::stored_move`).
    ///
    /// # Errors
    ///
    /// When a version cannot be read.
    pub fn made(
        &self,
        store: &Store,
        watch: &Watch,
        versions: &[VersionInfo],
        index: usize,
    ) -> Result<Arc<Made>, StoreError> {
        let path = &versions[index].path;
        if let Some(made) = lock(&self.changes).get(path) {
            return Ok(made.clone());
        }
        let (step, new) = stored_move(store, Some(watch), versions, index)?;
        let made = Arc::new(Made {
            from: step.from.version,
            headline: step.headline,
            at: new.captured_at,
            report: Arc::new(step.report),
        });
        let mut changes = lock(&self.changes);
        if changes.len() >= BOUND {
            changes.clear();
        }
        changes.insert(path.clone(), made.clone());
        Ok(made)
    }

    /// The watch's check state, read again only when its files changed.
    ///
    /// # Errors
    ///
    /// When the state cannot be read.
    pub fn state(&self, store: &Store, name: &WatchName) -> Result<WatchState, StoreError> {
        let folder = store.root().join(name.as_str());
        let stamp = [
            file_identity(&folder.join("state.json")),
            file_identity(&folder.join("checked.json")),
        ];
        if let Some((kept, state)) = lock(&self.states).get(name)
            && *kept == stamp
        {
            return Ok(state.clone());
        }
        let state = store.state(name)?;
        let mut states = lock(&self.states);
        if states.len() >= BOUND {
            states.clear();
        }
        states.insert(name.clone(), (stamp, state.clone()));
        Ok(state)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding it leaves a map that is still whole.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
