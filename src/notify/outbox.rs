//! The durable outbox: alerts (or any serialisable item) waiting to be
//! delivered, kept on disk until a channel confirms delivery.
//!
//! Layout, one folder per queue:
//!
//! ```text
//! <dir>/<key>.json          an entry waiting for delivery (or its retry time)
//! <dir>/rejected/<key>.json an entry the receiver refused for good, kept for inspection
//! <dir>/sent/<key>          an empty marker: this id was delivered, never send it again
//! <dir>/discarded/<key>.json a refused entry a person dismissed
//! ```
//!
//! Every write is atomic ([`crate::store::write_atomic`]), and opening the
//! outbox removes the temporary files of writes a crash interrupted.
//! Delivery is marked in two steps, first the `sent` marker, then the
//! entry's removal, so that a crash between them leaves a marker that makes
//! the entry disappear on the next read instead of being delivered twice.
//! The marker is one file creation, so that the moment between a server's
//! acceptance and its record is as short as a system call. This module
//! must not know what the items mean or how they are delivered: it keeps
//! them, answers which are due, and records outcomes.

use std::fs;
use std::io;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::store::{remove_temporaries, write_atomic};

/// The version of the entry file format.
pub const SCHEMA: u32 = 1;

/// How long `sent` markers are kept: longer than any pipeline would take
/// to re-emit an alert it already handed over.
pub const SENT_MARKER_TTL: Duration = Duration::from_secs(30 * 24 * 3600);

/// One item in the outbox with its delivery record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry<T> {
    /// The file format's version.
    pub schema: u32,
    /// The item's unique id; entries with the same id are one entry.
    pub id: String,
    /// When the item was put in the outbox.
    pub created: DateTime<Utc>,
    /// How many delivery attempts have failed.
    pub attempts: u32,
    /// When the next attempt is due.
    pub next_attempt: DateTime<Utc>,
    /// Why the last attempt failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// The item itself.
    pub item: T,
}

/// What [`Outbox::put`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Put {
    /// The item is now in the outbox, durably.
    Queued,
    /// An entry with this id is already waiting.
    AlreadyQueued,
    /// An item with this id was delivered already; it is not queued again.
    AlreadySent,
}

/// A folder of entries of type `T`.
#[derive(Debug)]
pub struct Outbox<T> {
    dir: PathBuf,
    item: PhantomData<fn() -> T>,
}

// By hand: a handle on a folder is cloned whatever its items are.
impl<T> Clone for Outbox<T> {
    fn clone(&self) -> Self {
        Outbox {
            dir: self.dir.clone(),
            item: PhantomData,
        }
    }
}

/// A file error of the outbox, naming the file.
#[derive(Debug, thiserror::Error)]
#[error("outbox: cannot {action} {}: {source}", path.display())]
pub struct OutboxError {
    /// What was being done.
    pub action: &'static str,
    /// The file or folder.
    pub path: PathBuf,
    /// The cause.
    pub source: io::Error,
}

fn err<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> OutboxError + 'a {
    move |source| OutboxError {
        action,
        path: path.to_owned(),
        source,
    }
}

/// A file name for `id`: letters, digits, `-` and `_` are kept, every other
/// byte is written `%XX`, so that distinct ids never share a file.
pub fn file_key(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl<T: Serialize + DeserializeOwned> Outbox<T> {
    /// Opens (creating when needed) the outbox in `dir`, and forgets
    /// `sent` markers older than [`SENT_MARKER_TTL`].
    ///
    /// # Errors
    ///
    /// When the folders cannot be created.
    pub fn open(dir: &Path) -> Result<Self, OutboxError> {
        for sub in ["", "rejected", "sent"] {
            let path = dir.join(sub);
            fs::create_dir_all(&path).map_err(err("create", &path))?;
        }
        // The outbox is opened by the one process holding the store's
        // lock: a temporary file here is the leftover of a killed writer.
        remove_temporaries(dir, 1);
        let outbox = Outbox::at(dir);
        outbox.forget_old_markers();
        Ok(outbox)
    }

    /// The outbox in `dir` as it is, without creating or cleaning anything:
    /// for commands that look at it beside a running daemon.
    pub fn at(dir: &Path) -> Self {
        Outbox {
            dir: dir.to_owned(),
            item: PhantomData,
        }
    }

    /// The outbox's folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn entry_path(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{}.json", file_key(id)))
    }

    fn sent_path(&self, id: &str) -> PathBuf {
        self.dir.join("sent").join(file_key(id))
    }

    /// Whether an item with `id` was delivered.
    pub fn was_sent(&self, id: &str) -> bool {
        self.sent_path(id).exists()
    }

    /// Puts `item` in the outbox under `id`, due at `now`. Durable when it
    /// returns; idempotent for an id that is waiting or was delivered.
    ///
    /// # Errors
    ///
    /// When the entry cannot be written.
    pub fn put(&self, id: &str, item: &T, now: DateTime<Utc>) -> Result<Put, OutboxError> {
        if self.was_sent(id) {
            return Ok(Put::AlreadySent);
        }
        let path = self.entry_path(id);
        if path.exists() {
            return Ok(Put::AlreadyQueued);
        }
        let entry = Entry {
            schema: SCHEMA,
            id: id.to_owned(),
            created: now,
            attempts: 0,
            next_attempt: now,
            last_error: None,
            item,
        };
        self.write(&path, &entry)?;
        Ok(Put::Queued)
    }

    fn write<I: Serialize>(&self, path: &Path, entry: &Entry<I>) -> Result<(), OutboxError> {
        let bytes = serde_json::to_vec_pretty(entry).map_err(|e| OutboxError {
            action: "encode",
            path: path.to_owned(),
            source: io::Error::other(e),
        })?;
        write_atomic(path, &bytes).map_err(err("write", path))
    }

    /// Every waiting entry, oldest first. An entry already marked sent is
    /// removed (the crash window of [`Outbox::delivered`]); an unreadable
    /// file is moved to `rejected/` with a log line, never deleted.
    ///
    /// # Errors
    ///
    /// When the folder cannot be listed.
    pub fn entries(&self) -> Result<Vec<Entry<T>>, OutboxError> {
        let mut entries = Vec::new();
        for dirent in fs::read_dir(&self.dir).map_err(err("list", &self.dir))? {
            let path = dirent.map_err(err("list", &self.dir))?.path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            // Temporary files of an interrupted write start with a dot.
            if name.starts_with('.') || !name.ends_with(".json") || !path.is_file() {
                continue;
            }
            match fs::read(&path)
                .map_err(io::Error::other)
                .and_then(|b| serde_json::from_slice::<Entry<T>>(&b).map_err(io::Error::other))
            {
                Ok(entry) if self.was_sent(&entry.id) => match fs::remove_file(&path) {
                    // Another reader (a command beside the daemon) got there first.
                    Err(e) if e.kind() != io::ErrorKind::NotFound => {
                        return Err(err("remove", &path)(e));
                    }
                    _ => {}
                },
                Ok(entry) => entries.push(entry),
                Err(e) => {
                    let aside = self.dir.join("rejected").join(name);
                    tracing::error!(file = %path.display(), error = %e, "outbox entry is unreadable; moved to {}", aside.display());
                    fs::rename(&path, &aside).map_err(err("move aside", &path))?;
                }
            }
        }
        entries.sort_by(|a, b| (a.created, &a.id).cmp(&(b.created, &b.id)));
        Ok(entries)
    }

    /// The entries due at `now`, oldest first.
    ///
    /// # Errors
    ///
    /// As [`Outbox::entries`].
    pub fn due(&self, now: DateTime<Utc>) -> Result<Vec<Entry<T>>, OutboxError> {
        Ok(self
            .entries()?
            .into_iter()
            .filter(|e| e.next_attempt <= now)
            .collect())
    }

    /// Records that `id` was delivered: writes its `sent` marker, then
    /// removes the entry.
    ///
    /// # Errors
    ///
    /// When the marker cannot be written or the entry removed.
    pub fn delivered(&self, id: &str) -> Result<(), OutboxError> {
        self.mark_sent(id)?;
        self.settle_sent(id)
    }

    /// Writes `id`'s `sent` marker: one file creation, visible to the next
    /// process at once. An empty file needs no temporary copy (a crash
    /// leaves it or nothing), which keeps the moment between a server's
    /// acceptance and this record as short as it can be.
    ///
    /// # Errors
    ///
    /// When the marker cannot be created.
    pub fn mark_sent(&self, id: &str) -> Result<(), OutboxError> {
        let marker = self.sent_path(id);
        fs::File::create(&marker).map_err(err("write", &marker))?;
        Ok(())
    }

    /// Finishes what [`Outbox::mark_sent`] began: makes the marker durable
    /// against a power cut and removes the entry.
    ///
    /// # Errors
    ///
    /// When the folder cannot be synced or the entry removed.
    pub fn settle_sent(&self, id: &str) -> Result<(), OutboxError> {
        let sent = self.dir.join("sent");
        if let Ok(folder) = fs::File::open(&sent) {
            folder.sync_all().map_err(err("sync", &sent))?;
        }
        self.remove(id)
    }

    /// Removes `id`'s entry without marking it sent (an item folded into
    /// another, such as an alert gathered into a digest).
    ///
    /// # Errors
    ///
    /// When the entry exists and cannot be removed.
    pub fn remove(&self, id: &str) -> Result<(), OutboxError> {
        let path = self.entry_path(id);
        match fs::remove_file(&path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(err("remove", &path)(e)),
            _ => Ok(()),
        }
    }

    /// Records a failed attempt: the entry is kept and due again at `next`.
    ///
    /// # Errors
    ///
    /// When the entry cannot be rewritten.
    pub fn retry_at(
        &self,
        mut entry: Entry<T>,
        error: &str,
        next: DateTime<Utc>,
    ) -> Result<Entry<T>, OutboxError> {
        entry.attempts += 1;
        entry.last_error = Some(error.to_owned());
        entry.next_attempt = next;
        self.write(&self.entry_path(&entry.id), &entry)?;
        Ok(entry)
    }

    /// Records a permanent refusal: the entry moves to `rejected/`, where it
    /// stays for a person to look at and is never retried.
    ///
    /// # Errors
    ///
    /// When the entry cannot be moved.
    pub fn reject(&self, mut entry: Entry<T>, error: &str) -> Result<PathBuf, OutboxError> {
        entry.attempts += 1;
        entry.last_error = Some(error.to_owned());
        let aside = self
            .dir
            .join("rejected")
            .join(format!("{}.json", file_key(&entry.id)));
        self.write(&aside, &entry)?;
        self.remove(&entry.id)?;
        Ok(aside)
    }

    /// Puts a refused entry back in the queue, due at `now` (after the
    /// address or the server was fixed). Returns whether `id` was refused.
    ///
    /// # Errors
    ///
    /// When the entry cannot be read or moved.
    pub fn requeue(&self, id: &str, now: DateTime<Utc>) -> Result<bool, OutboxError> {
        let aside = self
            .dir
            .join("rejected")
            .join(format!("{}.json", file_key(id)));
        let bytes = match fs::read(&aside) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(err("read", &aside)(e)),
        };
        let mut entry: Entry<T> = serde_json::from_slice(&bytes)
            .map_err(|e| err("decode", &aside)(io::Error::other(e)))?;
        entry.attempts = 0;
        entry.next_attempt = now;
        self.write(&self.entry_path(id), &entry)?;
        fs::remove_file(&aside).map_err(err("remove", &aside))?;
        Ok(true)
    }

    /// Moves a refused entry to `discarded/`: a person saw it and chose not
    /// to send it. Returns whether `id` was refused.
    ///
    /// # Errors
    ///
    /// When the entry cannot be moved.
    pub fn discard(&self, id: &str) -> Result<bool, OutboxError> {
        let name = format!("{}.json", file_key(id));
        let aside = self.dir.join("rejected").join(&name);
        if !aside.exists() {
            return Ok(false);
        }
        let dir = self.dir.join("discarded");
        fs::create_dir_all(&dir).map_err(err("create", &dir))?;
        fs::rename(&aside, dir.join(&name)).map_err(err("move", &aside))?;
        Ok(true)
    }

    /// The entries that were refused for good.
    ///
    /// # Errors
    ///
    /// When the folder cannot be listed.
    pub fn rejected(&self) -> Result<Vec<Entry<T>>, OutboxError> {
        let dir = self.dir.join("rejected");
        let mut out = Vec::new();
        let listing = match fs::read_dir(&dir) {
            Ok(listing) => listing,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(out),
            Err(e) => return Err(err("list", &dir)(e)),
        };
        for dirent in listing {
            let path = dirent.map_err(err("list", &dir))?.path();
            if path.extension().is_none_or(|x| x != "json") {
                continue;
            }
            if let Ok(entry) = fs::read(&path)
                .map_err(io::Error::other)
                .and_then(|b| serde_json::from_slice(&b).map_err(io::Error::other))
            {
                out.push(entry);
            }
        }
        Ok(out)
    }

    fn forget_old_markers(&self) {
        let dir = self.dir.join("sent");
        let Ok(list) = fs::read_dir(&dir) else { return };
        let cutoff = SystemTime::now()
            .checked_sub(SENT_MARKER_TTL)
            .unwrap_or(SystemTime::UNIX_EPOCH);
        for dirent in list.flatten() {
            let old = dirent
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| t < cutoff);
            if old {
                let _ = fs::remove_file(dirent.path());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outbox() -> (tempfile::TempDir, Outbox<String>) {
        let dir = tempfile::tempdir().expect("temp dir");
        let outbox = Outbox::open(&dir.path().join("mail")).expect("open");
        (dir, outbox)
    }

    #[test]
    fn file_keys_are_distinct_and_safe() {
        let cases = [
            ("story/v3", "story%2Fv3"),
            ("a.b", "a%2Eb"),
            ("a%2Eb", "a%252Eb"),
            ("../x", "%2E%2E%2Fx"),
        ];
        for (id, key) in cases {
            assert_eq!(file_key(id), key);
        }
    }

    #[test]
    fn put_is_idempotent_and_delivery_is_final() {
        let (_dir, outbox) = outbox();
        let now = Utc::now();
        assert_eq!(
            outbox
                .put("story/v2", &"hello".to_owned(), now)
                .expect("put"),
            Put::Queued
        );
        assert_eq!(
            outbox
                .put("story/v2", &"again".to_owned(), now)
                .expect("put"),
            Put::AlreadyQueued
        );
        assert_eq!(outbox.due(now).expect("due")[0].item, "hello");
        outbox.delivered("story/v2").expect("delivered");
        assert!(outbox.entries().expect("list").is_empty());
        assert_eq!(
            outbox
                .put("story/v2", &"hello".to_owned(), now)
                .expect("put"),
            Put::AlreadySent
        );
    }

    #[test]
    fn a_crash_between_marker_and_removal_does_not_resend() {
        let (_dir, outbox) = outbox();
        let now = Utc::now();
        outbox.put("a", &"x".to_owned(), now).expect("put");
        // The marker is written, then the process dies before the removal.
        write_atomic(&outbox.sent_path("a"), b"").expect("marker");
        assert!(outbox.due(now).expect("due").is_empty());
        assert!(!outbox.entry_path("a").exists());
    }

    #[test]
    fn retries_wait_and_rejections_are_kept() {
        let (_dir, outbox) = outbox();
        let now = Utc::now();
        outbox.put("a", &"x".to_owned(), now).expect("put");
        outbox.put("b", &"y".to_owned(), now).expect("put");
        let entries = outbox.due(now).expect("due");
        let later = now + chrono::Duration::minutes(5);
        outbox
            .retry_at(entries[0].clone(), "connection refused", later)
            .expect("retry");
        outbox
            .reject(entries[1].clone(), "550 no such user")
            .expect("reject");
        assert!(outbox.due(now).expect("due").is_empty());
        let again = outbox.due(later).expect("due");
        assert_eq!(
            (
                again.len(),
                again[0].attempts,
                again[0].last_error.as_deref()
            ),
            (1, 1, Some("connection refused"))
        );
        let rejected = outbox.rejected().expect("rejected");
        assert_eq!(
            (rejected[0].id.as_str(), rejected[0].item.as_str()),
            ("b", "y")
        );
        assert!(outbox.requeue("b", later).expect("requeue"));
        assert!(!outbox.requeue("b", later).expect("requeue"));
        assert!(outbox.rejected().expect("rejected").is_empty());
        assert_eq!(outbox.due(later).expect("due").len(), 2);
    }

    #[test]
    fn stale_temporaries_are_removed_at_open_and_discarded_entries_kept() {
        let (dir, outbox) = outbox();
        let leftover = outbox.dir().join(".a.json.9999999.tmp");
        fs::write(&leftover, b"{half").expect("write");
        let outbox: Outbox<String> = Outbox::open(&dir.path().join("mail")).expect("open");
        assert!(!leftover.exists());
        let now = Utc::now();
        outbox.put("a", &"x".to_owned(), now).expect("put");
        let entry = outbox.due(now).expect("due").remove(0);
        outbox.reject(entry, "550").expect("reject");
        assert!(outbox.discard("a").expect("discard"));
        assert!(outbox.rejected().expect("rejected").is_empty());
        assert!(outbox.dir().join("discarded/a.json").exists());
    }

    #[test]
    fn unreadable_entries_are_moved_aside_not_lost() {
        let (_dir, outbox) = outbox();
        fs::write(outbox.dir().join("broken.json"), b"{half").expect("write");
        fs::write(outbox.dir().join(".tmp.json.123.tmp"), b"{half").expect("write");
        assert!(outbox.entries().expect("list").is_empty());
        assert!(outbox.dir().join("rejected/broken.json").exists());
    }
}
