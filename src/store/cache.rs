//! What the store's writer last read or wrote of each watch's
//! `state.json` and check note, kept in memory while each file is still
//! the one it was ([`FileIdentity`]: inode, size, modification time). A
//! check then reads its state with two `stat`s, neither opening nor
//! parsing a file. A state is kept packed, its anchor trimmed (see
//! `packed` and `KeptAnchor`), so that what is kept stays small whatever
//! the page and however many watches. A file another process replaced
//! (under another identity: a `state.json` write swaps in a file whose
//! modification time is set to the nanosecond) is read again. The note is rewritten in place,
//! keeping its inode, which is sound because only the lock holder writes
//! notes; so only a store opened for writing keeps this cache. It must
//! not read or write files.

mod packed;

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use super::{CheckNote, FileIdentity, WatchState};
use crate::watchlist::WatchName;

/// The most watches whose files are kept: the first this many asked for
/// are kept, the others read every time, so that a store of very many
/// watches holds a bounded amount (a kept state with its note, packed,
/// takes about 0.5 KB with the map's share, against 1.2 KB as structs
/// and 2.7 KB with the anchor whole) and no watch is pushed out to make
/// room for another, which over a pass through more watches than this
/// would keep none long enough to be asked again.
const LIMIT: usize = 8_192;

/// One file as last read or written: its identity then and what it held,
/// packed. A missing file has no identity and is not kept: reading it
/// costs one failed open.
#[derive(Debug)]
struct Kept {
    identity: FileIdentity,
    bytes: Box<[u8]>,
}

/// A watch's two files, each kept on its own: a check that only notes
/// its time replaces the note and leaves `state.json` as it was. The
/// state is packed by `packed`; the note as its JSON, empty for a note
/// that did not parse (a note is a hundred bytes: its JSON is compact
/// enough, and follows the note's fields as they change).
#[derive(Debug, Default)]
struct Files {
    state: Option<Kept>,
    note: Option<Kept>,
}

/// The cache of every watch's state files (see the module's header).
#[derive(Debug, Default)]
pub(super) struct StateCache {
    /// Boxed, so that the map's spare room costs a pointer a slot.
    watches: Mutex<HashMap<WatchName, Box<Files>>>,
}

impl StateCache {
    /// `state.json` as kept (its anchor trimmed), when the file at
    /// `identity` is still the one it was read from.
    pub(super) fn state(&self, watch: &WatchName, identity: FileIdentity) -> Option<WatchState> {
        self.with(watch, |files| {
            let kept = files.state.as_ref()?;
            (kept.identity == identity).then(|| packed::unpack(&kept.bytes))?
        })
    }

    /// The note as kept (`Some(None)`: one that did not parse), when the
    /// file at `identity` is still the one it was.
    pub(super) fn note(
        &self,
        watch: &WatchName,
        identity: FileIdentity,
    ) -> Option<Option<CheckNote>> {
        self.with(watch, |files| {
            let kept = files.note.as_ref()?;
            if kept.identity != identity {
                return None;
            }
            if kept.bytes.is_empty() {
                return Some(None);
            }
            serde_json::from_slice(&kept.bytes).ok().map(Some)
        })
    }

    /// Keeps `state`, packed with its anchor trimmed, as read from the
    /// file at `identity`, taken before it was read: a file replaced in
    /// between is then read again next time, never taken for the one read.
    pub(super) fn keep_state(&self, watch: &WatchName, identity: FileIdentity, state: &WatchState) {
        // Packed before the lock is taken: other checks wait for none of it.
        let bytes = packed::pack(state);
        self.with(watch, |files| files.state = Some(Kept { identity, bytes }));
    }

    /// Keeps `note` as read from, or written to, the file at `identity`.
    pub(super) fn keep_note(
        &self,
        watch: &WatchName,
        identity: FileIdentity,
        note: Option<CheckNote>,
    ) {
        let bytes = match &note {
            Some(note) => serde_json::to_vec(note)
                .expect("a check note always serialises to JSON")
                .into_boxed_slice(),
            None => Box::default(),
        };
        self.with(watch, |files| files.note = Some(Kept { identity, bytes }));
    }

    /// Forgets what was kept of `watch`'s note: a write of it failed
    /// midway, and what it left may still look like the note kept.
    pub(super) fn forget_note(&self, watch: &WatchName) {
        self.with(watch, |files| files.note = None);
    }

    fn with<T>(&self, watch: &WatchName, f: impl FnOnce(&mut Files) -> T) -> T {
        let mut watches = self.watches.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(files) = watches.get_mut(watch) {
            return f(files);
        }
        if watches.len() >= LIMIT {
            return f(&mut Files::default());
        }
        f(watches.entry(watch.clone()).or_default())
    }
}

#[cfg(test)]
mod tests {
    use std::fs;

    use crate::store::{Durability, SCHEMA, Store, WatchState};
    use crate::watchlist::WatchName;

    fn state(etag: &str) -> WatchState {
        WatchState {
            schema: SCHEMA,
            etag: Some(etag.to_owned()),
            last_check: Some(chrono::Utc::now()),
            ..WatchState::default()
        }
    }

    #[test]
    fn a_state_written_by_another_process_is_seen() {
        let dir = tempfile::tempdir().expect("temp dir");
        let writer = Store::open(dir.path()).expect("open");
        let watch = WatchName::parse("story").expect("valid name");
        writer.save_state(&watch, &state("\"a\"")).expect("save");
        assert_eq!(
            writer.state(&watch).expect("read").etag.as_deref(),
            Some("\"a\"")
        );
        // Kept now; another process (here: a store without the lock)
        // replaces the file, which gives it another identity.
        let other = Store::open_read_only(dir.path());
        let replaced = state("\"b\"");
        other.save_state(&watch, &replaced).expect("save beside");
        assert_eq!(writer.state(&watch).expect("read"), replaced);
        // The writer's own note is kept as written, and read as it is.
        let mut noted = replaced.clone();
        noted.last_check = Some(chrono::Utc::now() + chrono::Duration::seconds(5));
        noted.last_outcome = Some("unchanged".to_owned());
        writer
            .save_state_with(&watch, &noted, Durability::Lazy)
            .expect("lazy save");
        assert_eq!(writer.state(&watch).expect("read"), noted);
        assert_eq!(other.state(&watch).expect("read"), noted);
        // A note removed (as a person moving it aside would) is gone.
        fs::remove_file(dir.path().join("story").join(super::super::CHECK_NOTE)).expect("remove");
        assert_eq!(writer.state(&watch).expect("read"), replaced);
    }

    #[test]
    fn a_state_kept_at_a_save_is_the_state_read_back() {
        let dir = tempfile::tempdir().expect("temp dir");
        let writer = Store::open(dir.path()).expect("open");
        let watch = WatchName::parse("story").expect("valid name");
        let at = chrono::Utc::now();
        let mut saved = state("\"a\"");
        saved.current_version = Some(3);
        saved.announced = Some(3);
        saved.first_seen = Some(at - chrono::Duration::nanoseconds(123_456_789));
        saved.remember_alerted(2, 3);
        saved.remember_return(at, 3, 2);
        saved.anchor = Some(crate::store::KeptAnchor::Whole(Box::new(
            crate::extract::Anchor {
                path: Vec::new(),
                sketch: vec![u64::MAX, 7],
                chars: 1234,
                kinds: None,
                runs: vec![3, 1],
                seen: Some(crate::extract::Seen {
                    page: "digest".to_owned(),
                    fingerprint: "print".to_owned(),
                    region: None,
                }),
            },
        )));
        writer.save_state(&watch, &saved).expect("save");
        // Kept as saved, and the same as a fresh read of the file.
        let fresh = Store::open_read_only(dir.path())
            .state(&watch)
            .expect("read");
        assert_eq!(fresh, saved);
        assert_eq!(writer.kept_state(&watch), Some(saved.trimmed()));
    }

    /// A state read from the cache holds its anchor trimmed; saved again
    /// (synced, as a check that changed more than its time saves it), the
    /// file keeps the whole anchor, and the cache its trimmed form.
    #[test]
    fn a_state_saved_after_a_trimmed_read_keeps_its_anchor() {
        let dir = tempfile::tempdir().expect("temp dir");
        let writer = Store::open(dir.path()).expect("open");
        let watch = WatchName::parse("story").expect("valid name");
        let whole = crate::extract::Anchor {
            path: Vec::new(),
            sketch: vec![9, 8, 7],
            chars: 4321,
            kinds: None,
            runs: vec![5; 300],
            seen: None,
        };
        let mut saved = state("\"a\"");
        saved.anchor = Some(crate::store::KeptAnchor::Whole(Box::new(whole.clone())));
        writer.save_state(&watch, &saved).expect("save");
        let mut read = writer.kept_state(&watch).expect("kept");
        assert!(matches!(
            read.anchor,
            Some(crate::store::KeptAnchor::Trimmed(_))
        ));
        read.failures = 1;
        writer.save_state(&watch, &read).expect("save again");
        assert_eq!(writer.anchor(&watch).expect("read"), Some(whole.clone()));
        let fresh = Store::open_read_only(dir.path())
            .state(&watch)
            .expect("read");
        assert_eq!(fresh.failures, 1);
        assert_eq!(fresh.trimmed(), writer.kept_state(&watch).expect("kept"));
        assert_eq!(
            fresh.anchor,
            Some(crate::store::KeptAnchor::Whole(Box::new(whole)))
        );
    }

    #[test]
    fn past_its_limit_the_cache_keeps_the_watches_it_has() {
        let cache = super::StateCache::default();
        let identity = (1, 2, std::time::SystemTime::UNIX_EPOCH);
        let name = |i: usize| WatchName::parse(&format!("w{i}")).expect("valid name");
        for i in 0..=super::LIMIT {
            cache.keep_state(&name(i), identity, &state("\"a\""));
        }
        assert!(cache.state(&name(0), identity).is_some(), "the first kept");
        assert!(
            cache.state(&name(super::LIMIT), identity).is_none(),
            "one past: not kept"
        );
        assert!(
            cache.state(&name(0), (9, 2, identity.2)).is_none(),
            "another file"
        );
    }
}
