//! The snapshot store: every distinct version of every watched article, and
//! each watch's check state, on disk under one folder.
//!
//! Layout (all JSON, pretty-printed so that a person can read it):
//!
//! ```text
//! snapshots/
//!   .lock                       held by the one process that may write
//!                               (shared by the instances of a sharded run)
//!   .lock-<I>-of-<N>            held by shard I of N (see `Store::open_shard`)
//!   <watch>/state.json          validators, last check, failure streak
//!   <watch>/checked.json        the time, outcome and validators of a
//!                               later check that changed nothing else
//!                               (written unsynced, in place)
//!   <watch>/accept              present while `redline accept` waits for a check
//!   feed.atom, <watch>/feed.atom  the feeds of changes (written by `changefeed`)
//!   <watch>/versions/000001-<fingerprint>.json         one file per distinct version
//!   <watch>/versions/000002-<fingerprint>.report.json  its change report (schema of
//!                                                      `report::render`'s JSON)
//! ```
//!
//! Every write goes through [`write_atomic`] (a version and its report
//! through [`write_atomic_together`], one folder sync for both): a crash
//! leaves the old file or the new one, never half of either. A version's
//! report is renamed into place before the version itself, so a version
//! lacks its report only after a power cut that kept the later rename and
//! lost the earlier (a store from before reports were kept has none too):
//! readers then recompute it.
//! Version files are never rewritten and their numbers never reused; only
//! retention deletes them. Temporary files left by a killed writer are
//! removed when the store is opened for writing. This module must not
//! fetch, extract or compare: it stores what it is given and answers what
//! it holds.

use std::borrow::Cow;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::article::{Article, Fingerprint};
use crate::report::{self, Format, RenderContext};
use crate::watchlist::{Shard, WatchName};

mod atomic;
mod cache;
mod kept_anchor;
mod reports;
mod state;

use atomic::identity_of;
pub use atomic::{
    FileIdentity, file_identity, remove_temporaries, replace_atomic, write_atomic,
    write_atomic_together,
};
pub use kept_anchor::{KeptAnchor, Trimmed};
pub use reports::StoredReport;
use reports::report_file_name;
pub use state::{Return, STATE_MEMORY, Shown, Shrink, WatchState};

/// The version of the on-disk format, written into every file.
pub const SCHEMA: u32 = 1;

/// Errors of the snapshot store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another process holds the store's lock.
    #[error("snapshot store {} is in use by another redline process; stop it or use another store", .0.display())]
    Locked(PathBuf),
    /// A file operation failed.
    #[error("snapshot store: cannot {action} {}: {source}", path.display())]
    Io {
        /// What was being done ("write", "read", …).
        action: &'static str,
        /// The file or folder concerned.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// A file holds something that is not a valid store file.
    #[error("snapshot store: {} is damaged: {reason}; move it aside to continue", path.display())]
    Corrupt {
        /// The damaged file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A version that does not exist was asked for.
    #[error("watch `{watch}` has no version {version}; `redline history {watch}` lists them")]
    NoSuchVersion {
        /// The watch.
        watch: WatchName,
        /// The version asked for.
        version: u32,
    },
}

fn io_error<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> StoreError + 'a {
    move |source| StoreError::Io {
        action,
        path: path.to_owned(),
        source,
    }
}

/// One stored version of an article.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// The on-disk format version.
    pub schema: u32,
    /// The version's number for its watch, from 1.
    pub version: u32,
    /// When this content was first seen.
    pub captured_at: DateTime<Utc>,
    /// The address it was fetched from (after redirects).
    pub url: String,
    /// The content digest (see [`Article::fingerprint`]).
    pub fingerprint: Fingerprint,
    /// The extracted article.
    pub article: Article,
}

/// What the store knows of a version without reading it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionInfo {
    /// The version's number.
    pub version: u32,
    /// Its content digest, from the file name.
    pub fingerprint: Fingerprint,
    /// The file holding it.
    pub path: PathBuf,
}

/// A version to store.
#[derive(Debug)]
pub struct NewVersion<'a> {
    /// The extracted article.
    pub article: Article,
    /// Where it was fetched from.
    pub url: &'a str,
    /// When it was first seen.
    pub captured_at: DateTime<Utc>,
    /// Its change report (none for a baseline).
    pub report: Option<StoredReport>,
    /// The highest number ever given out for this watch, as far as the
    /// caller knows: the new number is above it even when the versions
    /// holding those numbers were moved aside, so that no number (and no
    /// alert about it) is ever reused.
    pub above: u32,
}

/// The snapshot store. Opened for writing it holds an exclusive lock on the
/// folder for its whole life; opened read-only it takes no lock, so that
/// `history` and `diff` work beside a running daemon.
#[derive(Debug)]
pub struct Store {
    root: PathBuf,
    /// The share of the watches this store's writer takes.
    shard: Option<Shard>,
    /// The open lock files; the locks are released when they are dropped.
    _locks: Vec<File>,
    /// The watches' state files as last read or written, for a writer
    /// only (see `cache`).
    cache: Option<cache::StateCache>,
}

/// The file a writer of the whole store leaves when it closes the store:
/// no write of it was cut short, so the next writer need not look for
/// temporary files. Taken away when a writer opens the store, so a writer
/// killed before it closes leaves none.
const CLOSED: &str = ".closed";

impl Drop for Store {
    fn drop(&mut self) {
        // The last holder of this store is done with it: every write it
        // made has returned (a panic midway may leave a temporary file,
        // which is never read).
        if self.shard.is_none() && !self._locks.is_empty() {
            let _ = File::create(self.root.join(CLOSED));
        }
    }
}

impl Store {
    /// Opens (creating if needed) the store at `root` for writing.
    ///
    /// # Errors
    ///
    /// [`StoreError::Locked`] when another process writes the store, or an
    /// I/O error when the folder cannot be made.
    pub fn open(root: &Path) -> Result<Self, StoreError> {
        Self::open_shard(root, None)
    }

    /// Opens the store at `root` for writing as `shard` of a sharded run.
    /// The instances of one run share the store: each holds `.lock` shared
    /// and its own `.lock-I-of-N` exclusively, so two instances of one shard
    /// are refused, and so is an unsharded writer beside any of them (it
    /// holds `.lock` exclusively). Their watch folders are disjoint by
    /// construction, as each watch belongs to one shard.
    ///
    /// # Errors
    ///
    /// As [`Store::open`].
    pub fn open_shard(root: &Path, shard: Option<Shard>) -> Result<Self, StoreError> {
        fs::create_dir_all(root).map_err(io_error("create", root))?;
        let mut locks = vec![lock(root, ".lock", shard.is_some())?];
        if let Some(shard) = shard {
            locks.push(lock(root, &format!(".lock-{}", shard.tag()), false)?);
        }
        // Only the lock holder writes, so every temporary file is the
        // leftover of a writer that was killed mid-write: none when the
        // last writer closed the store (looking costs a listing of every
        // watch's folders). The shards of a shared store (maybe on several
        // machines) cannot tell whose a leftover is: they leave them, which
        // is harmless (never read).
        if shard.is_none() && fs::remove_file(root.join(CLOSED)).is_err() {
            remove_temporaries(root, 2);
        }
        Ok(Store {
            root: root.to_owned(),
            shard,
            _locks: locks,
            cache: Some(cache::StateCache::default()),
        })
    }

    /// The store, keeping no state in memory: for a process that checks
    /// each watch once (`redline check`), where what the cache keeps is
    /// never asked for again and only takes memory, about 0.5 KB a watch.
    pub fn keeping_no_states(mut self) -> Self {
        self.cache = None;
        self
    }

    /// Opens the store at `root` for reading only.
    pub fn open_read_only(root: &Path) -> Self {
        Store {
            root: root.to_owned(),
            shard: None,
            _locks: Vec::new(),
            cache: None,
        }
    }

    /// The store's folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The share of the watches this store's writer takes (`None`: all).
    pub fn shard(&self) -> Option<Shard> {
        self.shard
    }

    /// The folder of a delivery channel's outbox (`channel`: "email"):
    /// `.outbox/<channel>`, or `.outbox/shard-I-of-N/<channel>` for a shard,
    /// so that the instances sharing a store never deliver each other's
    /// alerts.
    pub fn outbox_dir(&self, channel: &str) -> PathBuf {
        outbox_dir(&self.root, self.shard, channel)
    }

    fn watch_dir(&self, watch: &WatchName) -> PathBuf {
        self.root.join(watch.as_str())
    }

    fn versions_dir(&self, watch: &WatchName) -> PathBuf {
        self.watch_dir(watch).join("versions")
    }

    /// The watch's check state (the default state for a watch never checked).
    ///
    /// # Errors
    ///
    /// An I/O error, or [`StoreError::Corrupt`] when the file is unreadable.
    pub fn state(&self, watch: &WatchName) -> Result<WatchState, StoreError> {
        if let Some(state) = self.kept_state(watch) {
            return Ok(state);
        }
        let dir = self.watch_dir(watch);
        let (path, note_path) = (dir.join("state.json"), dir.join(CHECK_NOTE));
        // Each identity is taken before its file is read: a file replaced
        // in between is read again next time, never kept as the old one.
        let identity = self.cache.as_ref().and_then(|_| file_identity(&path));
        let state = read_state(&path)?;
        let note_identity = self.cache.as_ref().and_then(|_| file_identity(&note_path));
        let note = read_note(&note_path);
        if let Some(cache) = &self.cache {
            if let Some(identity) = identity {
                cache.keep_state(watch, identity, &state);
            }
            if let Some(identity) = note_identity {
                cache.keep_note(watch, identity, note.clone());
            }
        }
        Ok(with_note(state, note.as_ref()))
    }

    /// The watch's check state as [`Store::state`] reads it, when this
    /// store (opened for writing) keeps both its files as they are now:
    /// two `stat`s, no file opened or parsed, so that it may be asked on
    /// an async thread. `None` when a file must be read.
    pub fn kept_state(&self, watch: &WatchName) -> Option<WatchState> {
        let cache = self.cache.as_ref()?;
        let dir = self.watch_dir(watch);
        let state = cache.state(watch, file_identity(&dir.join("state.json"))?)?;
        let note = match fs::metadata(dir.join(CHECK_NOTE)) {
            Ok(meta) => cache.note(watch, identity_of(&meta)?)?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(_) => return None,
        };
        Some(with_note(state, note.as_ref()))
    }

    /// The watch's whole anchor as `state.json` holds it, read past the
    /// cache (one read): what a full extraction needs after a state read
    /// with its anchor trimmed. `None` when the state has none.
    ///
    /// # Errors
    ///
    /// As [`Store::state`].
    pub fn anchor(&self, watch: &WatchName) -> Result<Option<crate::extract::Anchor>, StoreError> {
        let path = self.watch_dir(watch).join("state.json");
        Ok(match read_state(&path)?.anchor {
            Some(KeptAnchor::Whole(anchor)) => Some(*anchor),
            Some(KeptAnchor::Trimmed(_)) | None => None,
        })
    }

    /// Replaces the watch's check state, atomically.
    ///
    /// # Errors
    ///
    /// An I/O error; the previous state is then still in place.
    pub fn save_state(&self, watch: &WatchName, state: &WatchState) -> Result<(), StoreError> {
        self.save_state_with(watch, state, Durability::Durable)
    }

    /// [`Store::save_state`], synced or not: a check that changed nothing
    /// but its own time, outcome word and the page's validators need not
    /// wait for the disk (see [`Durability::Lazy`]). A lazy save whose note
    /// would not fit one disk sector is made durable instead.
    ///
    /// # Errors
    ///
    /// As [`Store::save_state`].
    pub fn save_state_with(
        &self,
        watch: &WatchName,
        state: &WatchState,
        sync: Durability,
    ) -> Result<(), StoreError> {
        let dir = self.watch_dir(watch);
        let written = in_folder(&dir, || write_state(&dir, state, sync));
        // Each file is kept as written, under the identity it has now: the
        // state is what reading it back would give (its JSON holds no
        // floating-point number to lose a digit of). A note that failed
        // midway is forgotten: rewritten in place, it may keep its identity.
        if let Some(cache) = &self.cache {
            match &written {
                Ok(Written::Note(Some(identity), note)) => {
                    cache.keep_note(watch, *identity, Some(note.clone()));
                }
                Ok(Written::State(identity, written, note)) => {
                    if let Some(identity) = identity {
                        cache.keep_state(watch, *identity, written);
                    }
                    // An empty note says nothing: kept as one that does
                    // not parse, as reading it would give.
                    if let Some(note) = note {
                        cache.keep_note(watch, *note, None);
                    }
                }
                Ok(Written::Note(None, _)) | Err(_) => cache.forget_note(watch),
            }
        }
        written.map(drop)
    }

    /// Asks the next check of `watch` to take the page as it is, even when
    /// the quality guard would refuse it (`redline accept`). A file of its
    /// own, so that it can be asked for beside a running daemon, which
    /// holds the lock.
    ///
    /// # Errors
    ///
    /// An I/O error writing the request.
    pub fn request_accept(&self, watch: &WatchName) -> Result<(), StoreError> {
        let dir = self.watch_dir(watch);
        fs::create_dir_all(&dir).map_err(io_error("create", &dir))?;
        // An empty file needs no temporary copy: a crash leaves it or not.
        let path = dir.join("accept");
        File::create(&path).map_err(io_error("write", &path))?;
        Ok(())
    }

    /// Whether the page's next text is to be taken as it is.
    pub fn accept_requested(&self, watch: &WatchName) -> bool {
        self.watch_dir(watch).join("accept").exists()
    }

    /// Withdraws the request of [`Store::request_accept`] (it was honoured).
    ///
    /// # Errors
    ///
    /// An I/O error removing the request.
    pub fn clear_accept(&self, watch: &WatchName) -> Result<(), StoreError> {
        let path = self.watch_dir(watch).join("accept");
        match fs::remove_file(&path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(io_error("delete", &path)(e)),
            _ => Ok(()),
        }
    }

    /// The watch's stored versions, oldest first.
    ///
    /// # Errors
    ///
    /// An I/O error reading the folder.
    pub fn versions(&self, watch: &WatchName) -> Result<Vec<VersionInfo>, StoreError> {
        let dir = self.versions_dir(watch);
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_error("list", &dir)(e)),
        };
        let mut versions = Vec::new();
        for entry in entries {
            let entry = entry.map_err(io_error("list", &dir))?;
            let name = entry.file_name();
            // Temporary files of an interrupted write start with a dot and
            // are not versions.
            if let Some(info) = name.to_str().and_then(parse_version_file_name) {
                versions.push(VersionInfo {
                    path: entry.path(),
                    ..info
                });
            }
        }
        versions.sort_by_key(|v| v.version);
        Ok(versions)
    }

    /// Reads one stored version.
    ///
    /// # Errors
    ///
    /// [`StoreError::NoSuchVersion`], an I/O error, or [`StoreError::Corrupt`].
    pub fn load(&self, watch: &WatchName, version: u32) -> Result<Snapshot, StoreError> {
        let info = self
            .versions(watch)?
            .into_iter()
            .find(|v| v.version == version)
            .ok_or_else(|| StoreError::NoSuchVersion {
                watch: watch.clone(),
                version,
            })?;
        read_json(&info.path)
    }

    /// Reads the version `info` names, from a listing of
    /// [`Store::versions`] already in hand (no second listing).
    ///
    /// # Errors
    ///
    /// An I/O error (the version was removed since), or
    /// [`StoreError::Corrupt`].
    pub fn read(&self, info: &VersionInfo) -> Result<Snapshot, StoreError> {
        read_json(&info.path)
    }

    /// The newest stored version, if any.
    ///
    /// # Errors
    ///
    /// An I/O error, or [`StoreError::Corrupt`].
    pub fn latest(&self, watch: &WatchName) -> Result<Option<Snapshot>, StoreError> {
        match self.versions(watch)?.last() {
            Some(info) => read_json(&info.path).map(Some),
            None => Ok(None),
        }
    }

    /// The number the next version of `watch` gets: one above every number
    /// stored or ever used (`new.above`), so a number is never reused.
    fn next_number(&self, watch: &WatchName, new: &NewVersion<'_>) -> Result<u32, StoreError> {
        Ok(next_number(&self.versions(watch)?, new))
    }

    /// The snapshot [`Store::add_version`] would store, without writing
    /// anything: what a dry run reports.
    ///
    /// # Errors
    ///
    /// When the watch's versions cannot be listed.
    pub fn would_add(
        &self,
        watch: &WatchName,
        new: NewVersion<'_>,
    ) -> Result<Snapshot, StoreError> {
        Ok(Snapshot {
            schema: SCHEMA,
            version: self.next_number(watch, &new)?,
            captured_at: new.captured_at,
            url: new.url.to_owned(),
            fingerprint: new.article.fingerprint(),
            article: new.article,
        })
    }

    /// Stores a new version above every number the watch used and returns
    /// it. Its report and the version are both complete on disk before
    /// this returns (see [`Store::add_version_listed`]).
    ///
    /// # Errors
    ///
    /// An I/O error; no partial version is then left behind.
    pub fn add_version(
        &self,
        watch: &WatchName,
        new: NewVersion<'_>,
    ) -> Result<Snapshot, StoreError> {
        let listed = self.versions(watch)?;
        self.add_version_listed(watch, new, &listed)
    }

    /// [`Store::add_version`] with the watch's versions as the caller
    /// listed them through this store: the one writer of the watch's
    /// folder, so no version was added since and none needs listing again.
    /// The report and the version are written and synced each to a
    /// temporary file, renamed report first, and the folder they share is
    /// synced once for both: a power cut before that sync may keep the
    /// version without its report, which readers then recompute, as for a
    /// version stored before reports were kept.
    ///
    /// # Errors
    ///
    /// As [`Store::add_version`].
    pub fn add_version_listed(
        &self,
        watch: &WatchName,
        new: NewVersion<'_>,
        listed: &[VersionInfo],
    ) -> Result<Snapshot, StoreError> {
        let dir = self.versions_dir(watch);
        let snapshot = Snapshot {
            schema: SCHEMA,
            version: next_number(listed, &new),
            captured_at: new.captured_at,
            url: new.url.to_owned(),
            fingerprint: new.article.fingerprint(),
            article: new.article,
        };
        let version = snapshot.version;
        let name = version_file_name(version, &snapshot.fingerprint);
        let mut files = Vec::with_capacity(2);
        if let Some(stored) = &new.report {
            let (from, to) = (format!("v{}", stored.from), format!("v{version}"));
            let context = RenderContext {
                watch: Some(watch.as_str()),
                url: Some(&snapshot.url),
                headline: snapshot.article.headline.as_deref(),
                from: Some(&from),
                to: Some(&to),
            };
            let json = report::render(&stored.report, &context, Format::Json);
            files.push((dir.join(report_file_name(&name)), json.into_bytes()));
        }
        files.push((dir.join(name), json_bytes(&snapshot)));
        in_folder(&dir, || {
            write_atomic_together(&dir, &files)
                .map_err(|(path, source)| io_error("write", &path)(source))
        })?;
        Ok(snapshot)
    }

    /// Deletes the oldest versions so that at most `keep` remain, and returns
    /// how many were deleted.
    ///
    /// # Errors
    ///
    /// An I/O error; the versions not yet deleted are then kept.
    pub fn prune(&self, watch: &WatchName, keep: usize) -> Result<usize, StoreError> {
        let versions = self.versions(watch)?;
        let excess = versions.len().saturating_sub(keep.max(1));
        for info in &versions[..excess] {
            // The report first: a version is never left without its report.
            if let Some(name) = info.path.file_name().and_then(|n| n.to_str()) {
                let _ = fs::remove_file(info.path.with_file_name(report_file_name(name)));
            }
            fs::remove_file(&info.path).map_err(io_error("delete", &info.path))?;
        }
        Ok(excess)
    }
}

/// The outbox folder of `channel` for `shard` in the store at `root` (see
/// [`Store::outbox_dir`]).
pub fn outbox_dir(root: &Path, shard: Option<Shard>, channel: &str) -> PathBuf {
    let outbox = root.join(".outbox");
    match shard {
        Some(shard) => outbox.join(format!("shard-{}", shard.tag())).join(channel),
        None => outbox.join(channel),
    }
}

/// Opens and locks `root/name` without waiting: exclusively, or `shared`.
fn lock(root: &Path, name: &str, shared: bool) -> Result<File, StoreError> {
    let path = root.join(name);
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(io_error("open", &path))?;
    let locked = if shared {
        file.try_lock_shared()
    } else {
        file.try_lock()
    };
    match locked {
        Ok(()) => Ok(file),
        Err(fs::TryLockError::WouldBlock) => Err(StoreError::Locked(root.to_owned())),
        Err(fs::TryLockError::Error(e)) => Err(io_error("lock", &path)(e)),
    }
}

fn version_file_name(version: u32, fingerprint: &Fingerprint) -> String {
    format!(
        "{version:06}-{}.json",
        &fingerprint.0[..16.min(fingerprint.0.len())]
    )
}

/// Reads `000012-<fingerprint>.json` back into its parts.
fn parse_version_file_name(name: &str) -> Option<VersionInfo> {
    let stem = name.strip_suffix(".json")?;
    let (number, fingerprint) = stem.split_once('-')?;
    // Report files (`….report.json`) have a dot in what would be the
    // fingerprint: they are not versions.
    if number.is_empty()
        || !number.bytes().all(|b| b.is_ascii_digit())
        || !fingerprint.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        return None;
    }
    Some(VersionInfo {
        version: number.parse().ok()?,
        fingerprint: Fingerprint(fingerprint.to_owned()),
        path: PathBuf::new(),
    })
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, StoreError> {
    let bytes = fs::read(path).map_err(io_error("read", path))?;
    serde_json::from_slice(&bytes).map_err(|e| StoreError::Corrupt {
        path: path.to_owned(),
        reason: e.to_string(),
    })
}

/// Which file a save wrote, with its identity after the write.
enum Written<'a> {
    /// `state.json`, the state written (its anchor whole), and the check
    /// note when this save made it, empty.
    State(
        Option<FileIdentity>,
        Box<Cow<'a, WatchState>>,
        Option<FileIdentity>,
    ),
    /// The check note, and what it says.
    Note(Option<FileIdentity>, CheckNote),
}

/// Writes `state` (or only its check note) into the watch's folder `dir`
/// (see [`Store::save_state_with`]).
fn write_state<'a>(
    dir: &Path,
    state: &'a WatchState,
    sync: Durability,
) -> Result<Written<'a>, StoreError> {
    match (sync, state.last_check) {
        // Only the note is written, unsynced: state.json, which holds
        // what the guarantees rest on, is not touched.
        (Durability::Lazy, Some(at)) => {
            let note = CheckNote {
                at,
                outcome: state.last_outcome.clone(),
                validators: Some(NotedValidators {
                    version: state.current_version,
                    etag: state.etag.clone(),
                    last_modified: state.last_modified.clone(),
                }),
            };
            match note_bytes(&note) {
                Some(bytes) => Ok(Written::Note(
                    write_note(&dir.join(CHECK_NOTE), &bytes)?,
                    note,
                )),
                None => write_state_file(dir, state),
            }
        }
        _ => write_state_file(dir, state),
    }
}

/// Writes `state.json`, synced (see [`Store::save_state_with`]). A
/// trimmed anchor is never written: the anchor the file holds is written
/// in its place (the one it was trimmed from, unless another process
/// replaced the file since), so that no save loses the whole anchor.
fn write_state_file<'a>(dir: &Path, state: &'a WatchState) -> Result<Written<'a>, StoreError> {
    let path = dir.join("state.json");
    let state = match &state.anchor {
        Some(KeptAnchor::Trimmed(_)) => {
            let mut whole = state.clone();
            whole.anchor = read_state(&path)?.anchor;
            Cow::Owned(whole)
        }
        _ => Cow::Borrowed(state),
    };
    let identity = replace_atomic(&path, &json_bytes(&*state), Durability::Durable)
        .map_err(io_error("write", &path))?;
    Ok(Written::State(
        identity,
        Box::new(state),
        make_note_file(dir),
    ))
}

/// Makes the watch's check note, empty (a note that does not parse is
/// none), when it has none yet: a check that only notes its time then
/// writes into a file that exists. Creating a file is the dearest thing a
/// lazy save would do (the file system looks for a free inode past the
/// many that atomic renames free), and it belongs with the synced save
/// that first made the watch's state, not with the first quiet check.
/// Best effort: without the file, the first note makes it. Returns the
/// identity of the note made, for the store's memory of its files.
fn make_note_file(dir: &Path) -> Option<FileIdentity> {
    let made = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(dir.join(CHECK_NOTE));
    match made {
        Ok(file) => identity_of(&file.metadata().ok()?),
        Err(e) => {
            if e.kind() != io::ErrorKind::AlreadyExists {
                tracing::debug!(folder = %dir.display(), error = %e, "no check note made ahead");
            }
            None
        }
    }
}

/// Runs `write` into the folder `dir`, making the folder first only when
/// the write found it missing: a folder that exists, as at every check
/// of a watch but its first, costs no call to make it.
fn in_folder<T>(dir: &Path, write: impl Fn() -> Result<T, StoreError>) -> Result<T, StoreError> {
    match write() {
        Err(StoreError::Io { source, .. })
            if source.kind() == io::ErrorKind::NotFound && !dir.is_dir() =>
        {
            fs::create_dir_all(dir).map_err(io_error("create", dir))?;
            write()
        }
        other => other,
    }
}

/// A store file's bytes: pretty JSON, so that a person can read it.
fn json_bytes<T: Serialize>(value: &T) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(value).expect("store types always serialise to JSON");
    bytes.push(b'\n');
    bytes
}

/// The number a new version gets: one above every number `listed` and
/// every number ever used (`new.above`), so a number is never reused.
fn next_number(listed: &[VersionInfo], new: &NewVersion<'_>) -> u32 {
    let last = listed.iter().map(|v| v.version).max().unwrap_or(0);
    last.max(new.above) + 1
}

/// The file beside `state.json` that holds the time of the last check when
/// nothing else changed (see [`Durability::Lazy`]).
const CHECK_NOTE: &str = "checked.json";

/// The watch's `state.json` (the default state for a watch never checked).
fn read_state(path: &Path) -> Result<WatchState, StoreError> {
    match read_json(path) {
        Err(StoreError::Io { source, .. }) if source.kind() == io::ErrorKind::NotFound => {
            Ok(WatchState {
                schema: SCHEMA,
                ..WatchState::default()
            })
        }
        other => other,
    }
}

/// The watch's check note; `None` when there is none or it does not
/// parse (a note cut short is ignored, not an error).
fn read_note(path: &Path) -> Option<CheckNote> {
    let bytes = fs::read(path).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// `state` with what a later check that changed nothing else noted
/// apart; an older note is ignored.
fn with_note(mut state: WatchState, note: Option<&CheckNote>) -> WatchState {
    let Some(note) = note.filter(|n| Some(n.at) > state.last_check) else {
        return state;
    };
    state.last_check = Some(note.at);
    state.last_outcome.clone_from(&note.outcome);
    // A note from before validators were noted leaves them as synced, and
    // so does one written while the page showed another version (a clock
    // set back can make an older note look newer): its validators answer
    // for that version's page only.
    if let Some(validators) = &note.validators
        && validators.version == state.current_version
    {
        state.etag.clone_from(&validators.etag);
        state.last_modified.clone_from(&validators.last_modified);
    }
    state
}

/// The time, outcome word and validators of a check that changed nothing
/// else. It holds every field a lazy save may change, so that a note read
/// back over an older `state.json` gives the state as that check left it.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct CheckNote {
    at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    outcome: Option<String>,
    /// The page's validators after the check (`None`: a note written
    /// before they were noted, which leaves those of `state.json`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    validators: Option<NotedValidators>,
}

/// The validators a check note carries, both always: a response without
/// an `ETag` clears the one `state.json` holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct NotedValidators {
    /// The version the page showed (`current_version`): the validators
    /// stand for a page of that version.
    version: Option<u32>,
    etag: Option<String>,
    last_modified: Option<String>,
}

/// The note's bytes, padded to [`NOTE_WIDTH`] (JSON allows white space
/// after the value); `None` when it does not fit in one disk sector
/// ([`NOTE_LIMIT`]: a very long `ETag`), as an in-place write of more
/// could be torn into a mix of two notes.
fn note_bytes(note: &CheckNote) -> Option<Vec<u8>> {
    let mut bytes = serde_json::to_vec(note).expect("a check note always serialises to JSON");
    if bytes.len() > NOTE_LIMIT {
        return None;
    }
    bytes.resize(bytes.len().next_multiple_of(NOTE_WIDTH), b' ');
    Some(bytes)
}

/// Writes the check note over the old one in place. Not through a
/// temporary file: making a file is most of what a check answered by 304
/// costs (the file system allocates an inode and frees the old one every
/// time), and the note need not be all-or-nothing. Every note is padded to
/// a multiple of [`NOTE_WIDTH`] bytes, so a note overwrites the last byte
/// for byte and no block is freed and allocated again. A note is at most
/// one disk sector, so a crash mid-write leaves the old note or the new
/// one, and at worst a note that does not parse, which [`Store::state`]
/// ignores, falling back to the synced `state.json`. Returns the note's
/// [`FileIdentity`] after the write.
fn write_note(path: &Path, bytes: &[u8]) -> Result<Option<FileIdentity>, StoreError> {
    let written = (|| {
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        file.write_all(bytes)?;
        // Only a note of another width (a longer outcome word) is cut.
        let mut meta = file.metadata()?;
        if meta.len() != bytes.len() as u64 {
            file.set_len(bytes.len() as u64)?;
            meta = file.metadata()?;
        }
        Ok(identity_of(&meta))
    })();
    written.map_err(io_error("write", path))
}

/// The width every check note is padded to a multiple of (see
/// [`write_note`]).
const NOTE_WIDTH: usize = 128;

/// The longest check note: one disk sector (see [`note_bytes`]).
const NOTE_LIMIT: usize = 512;

/// Whether a write must survive a power cut once it returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// Synced, file and folder: versions, alerts' bookkeeping, validators.
    Durable,
    /// Not synced (the kernel writes it back within seconds): for what a
    /// power cut may lose harmlessly. A state saved lazily writes only the
    /// check's time, outcome word and the page's validators, in place, to
    /// `checked.json` beside `state.json`, which stays as last synced. Lost
    /// validators cost the next check a full fetch, nothing more: they
    /// are noted only when the page's article was the one `state.json`
    /// already records.
    Lazy,
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    use crate::article::{Block, BlockKind};
    use crate::report::{Change, Report};

    fn new(article: Article) -> NewVersion<'static> {
        NewVersion {
            article,
            url: "http://a/",
            captured_at: Utc::now(),
            report: None,
            above: 0,
        }
    }

    /// An article of one paragraph (also for the store's other modules).
    pub(in crate::store) fn article(text: &str) -> Article {
        Article {
            blocks: vec![Block::new(BlockKind::Paragraph, text)],
            ..Article::default()
        }
    }

    #[test]
    fn versions_are_numbered_and_read_back() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(dir.path()).expect("open");
        let watch = WatchName::parse("story").expect("valid name");
        assert!(store.latest(&watch).expect("empty store").is_none());
        let first = store.add_version(&watch, new(article("one"))).expect("v1");
        let second = store.add_version(&watch, new(article("two"))).expect("v2");
        assert_eq!((first.version, second.version), (1, 2));
        let listed = store.versions(&watch).expect("list");
        assert_eq!(listed.iter().map(|v| v.version).collect::<Vec<_>>(), [1, 2]);
        assert_eq!(listed[1].fingerprint.0, second.fingerprint.0[..16]);
        assert_eq!(store.load(&watch, 1).expect("load").article, article("one"));
        assert!(matches!(
            store.load(&watch, 9),
            Err(StoreError::NoSuchVersion { .. })
        ));
    }

    #[test]
    fn reports_are_kept_beside_their_versions_and_numbers_never_reused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(dir.path()).expect("open");
        let watch = WatchName::parse("story").expect("valid name");
        store.add_version(&watch, new(article("one"))).expect("v1");
        let report = Report {
            changes: vec![Change::Added {
                new_index: 1,
                blocks: vec![Block::new(BlockKind::Paragraph, "two")],
            }],
            ..Report::default()
        };
        let v2 = NewVersion {
            report: Some(StoredReport {
                from: 1,
                report: report.clone(),
            }),
            above: 6,
            ..new(article("one two"))
        };
        assert_eq!(store.add_version(&watch, v2).expect("v7").version, 7);
        let listed = store.versions(&watch).expect("list");
        assert_eq!(listed.iter().map(|v| v.version).collect::<Vec<_>>(), [1, 7]);
        assert_eq!(store.report(&listed[0]).expect("read"), None);
        let stored = store.report(&listed[1]).expect("read").expect("kept");
        assert_eq!((stored.from, stored.report), (1, report));
    }

    #[test]
    fn a_second_writer_is_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let _first = Store::open(dir.path()).expect("open");
        assert!(matches!(
            Store::open(dir.path()),
            Err(StoreError::Locked(_))
        ));
    }

    #[test]
    fn a_lazy_save_leaves_the_synced_state_and_notes_the_check_beside_it() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(dir.path()).expect("open");
        let watch = WatchName::parse("story").expect("valid name");
        let first = Utc::now();
        let mut state = WatchState {
            schema: SCHEMA,
            etag: Some("\"a\"".to_owned()),
            last_check: Some(first),
            ..WatchState::default()
        };
        store.save_state(&watch, &state).expect("save");
        let synced = fs::read(dir.path().join("story/state.json")).expect("read");
        state.last_check = Some(first + chrono::Duration::seconds(60));
        state.last_outcome = Some("unchanged".to_owned());
        store
            .save_state_with(&watch, &state, Durability::Lazy)
            .expect("lazy save");
        assert_eq!(
            fs::read(dir.path().join("story/state.json")).expect("read"),
            synced
        );
        assert_eq!(store.state(&watch).expect("state"), state);
        // The note is overwritten in place, a shorter one included.
        state.last_check = Some(first + chrono::Duration::seconds(120));
        state.last_outcome = Some("changed".to_owned());
        store
            .save_state_with(&watch, &state, Durability::Lazy)
            .expect("second lazy save");
        assert_eq!(store.state(&watch).expect("state"), state);
        // The page's new validators ride in the note too.
        state.etag = Some("\"b\"".to_owned());
        state.last_modified = Some("Wed, 02 Dec 2026 02:00:00 GMT".to_owned());
        state.last_check = Some(first + chrono::Duration::seconds(180));
        store
            .save_state_with(&watch, &state, Durability::Lazy)
            .expect("lazy save of validators");
        assert_eq!(
            fs::read(dir.path().join("story/state.json")).expect("read"),
            synced
        );
        assert_eq!(store.state(&watch).expect("state"), state);
        // Noted while the page showed another version: not this state's.
        let mut other = state.clone();
        other.current_version = Some(9);
        store
            .save_state_with(&watch, &other, Durability::Lazy)
            .expect("lazy save");
        assert_eq!(
            store.state(&watch).expect("state").etag.as_deref(),
            Some("\"a\"")
        );
        // A note cut short by a crash is ignored, not an error.
        fs::write(dir.path().join("story").join(CHECK_NOTE), "{\"at\":\"20").expect("cut");
        let fallback = store.state(&watch).expect("state");
        assert_eq!(fallback.last_check, Some(first));
        assert_eq!(fallback.etag.as_deref(), Some("\"a\""));
        // A note that would not fit a disk sector is a synced save instead.
        state.etag = Some(format!("\"{}\"", "e".repeat(600)));
        store
            .save_state_with(&watch, &state, Durability::Lazy)
            .expect("long etag");
        assert_ne!(
            fs::read(dir.path().join("story/state.json")).expect("read"),
            synced
        );
        assert_eq!(store.state(&watch).expect("state"), state);
    }

    #[test]
    fn shards_share_a_store_but_not_a_shard() {
        let dir = tempfile::tempdir().expect("temp dir");
        let shard = |i| Some(Shard::new(i, 2).expect("shard"));
        let first = Store::open_shard(dir.path(), shard(0)).expect("shard 0");
        let second = Store::open_shard(dir.path(), shard(1)).expect("shard 1 beside it");
        let locked = |r: Result<Store, StoreError>| matches!(r, Err(StoreError::Locked(_)));
        assert!(locked(Store::open_shard(dir.path(), shard(0))));
        assert!(
            locked(Store::open(dir.path())),
            "an unsharded writer beside shards"
        );
        assert_ne!(first.outbox_dir("email"), second.outbox_dir("email"));
    }

    #[test]
    fn leftover_temporary_files_are_not_versions() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(dir.path()).expect("open");
        let watch = WatchName::parse("story").expect("valid name");
        store.add_version(&watch, new(article("one"))).expect("v1");
        let versions = dir.path().join("story/versions");
        let leftover = versions.join(".000002-abc.json.9999999.tmp");
        fs::write(&leftover, b"{half").expect("write");
        assert_eq!(store.versions(&watch).expect("list").len(), 1);
        drop(store);
        // The writer that left it was killed: it did not close the store.
        fs::remove_file(dir.path().join(CLOSED)).expect("closed by the drop");
        let store = Store::open(dir.path()).expect("open");
        assert!(!leftover.exists(), "cleaned when the store opens");
        assert!(!dir.path().join(CLOSED).exists(), "open again");
        drop(store);
        // After a writer that closed the store, nobody looks.
        fs::write(&leftover, b"{half").expect("write");
        let _store = Store::open(dir.path()).expect("open");
        assert!(leftover.exists(), "a closed store's folders are not listed");
    }

    #[test]
    fn prune_keeps_the_newest() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(dir.path()).expect("open");
        let watch = WatchName::parse("story").expect("valid name");
        for text in ["a", "b", "c", "d"] {
            store.add_version(&watch, new(article(text))).expect("add");
        }
        assert_eq!(store.prune(&watch, 2).expect("prune"), 2);
        let left: Vec<_> = store
            .versions(&watch)
            .expect("list")
            .iter()
            .map(|v| v.version)
            .collect();
        assert_eq!(left, [3, 4]);
        // Numbering continues after pruning.
        let next = store.add_version(&watch, new(article("e"))).expect("add");
        assert_eq!(next.version, 5);
    }
}
