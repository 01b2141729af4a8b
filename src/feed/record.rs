//! A feed's record: the watches derived from its entries, active and
//! retired, kept in the store (`snapshots/.feeds/NAME.json`, one file per
//! shard in a sharded run) rather than in the user's watchlist.
//!
//! The derivation rules live here and are pure: a new entry becomes a
//! watch unless it is already too old; at most the feed's `limit` newest
//! entries are active; an entry older than `retire_after` is retired, and
//! so is every entry of a feed removed from the watchlist. A retired entry
//! stays in the record (and its versions in the store) but is no longer
//! checked. The file is written with the store's atomic write; this module
//! must not fetch or check anything.

use std::io;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use url::Url;

use super::Entry;
use crate::store::{StoreError, write_atomic};
use crate::watchlist::{Feed, Shard, Watch, WatchName};

/// The folder of the feeds' records under the store's root. A dot keeps it
/// apart from watch folders, whose names never start with one.
pub const FOLDER: &str = ".feeds";

/// A feed's derived watches.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// The on-disk format version.
    pub schema: u32,
    /// The feed's own address as last read (after autodiscovery).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Every entry ever derived, oldest first.
    #[serde(default)]
    pub entries: Vec<Derived>,
}

/// One entry of the feed and its watch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Derived {
    /// The derived watch's name (see [`Feed::derived_name`]).
    pub name: WatchName,
    /// The article's address.
    pub url: Url,
    /// Its title in the feed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// When the feed says it was published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<DateTime<Utc>>,
    /// When redline first read it in the feed.
    pub first_seen: DateTime<Utc>,
    /// When its watch was retired; `None` while it is checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retired: Option<DateTime<Utc>>,
}

impl Derived {
    /// Where its age counts from: publication, else first sight.
    pub fn born(&self) -> DateTime<Utc> {
        self.published.unwrap_or(self.first_seen)
    }

    /// Whether its watch is still checked.
    pub fn active(&self) -> bool {
        self.retired.is_none()
    }
}

impl Record {
    /// The record file of feed `name` for `shard` in the store at `root`.
    pub fn path(root: &Path, name: &WatchName, shard: Option<Shard>) -> PathBuf {
        let file = match shard {
            Some(shard) => format!("{name}.{}.json", shard.tag()),
            None => format!("{name}.json"),
        };
        root.join(FOLDER).join(file)
    }

    /// Reads the record at `path`; an absent file is an empty record.
    ///
    /// # Errors
    ///
    /// When the file cannot be read or is damaged.
    pub fn load(path: &Path) -> Result<Record, StoreError> {
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Record::default()),
            Err(source) => return Err(io_error("read", path, source)),
        };
        serde_json::from_slice(&bytes).map_err(|e| StoreError::Corrupt {
            path: path.to_owned(),
            reason: e.to_string(),
        })
    }

    /// Writes the record to `path` atomically.
    ///
    /// # Errors
    ///
    /// When the folder or file cannot be written.
    pub fn save(&self, path: &Path) -> Result<(), StoreError> {
        if let Some(folder) = path.parent() {
            std::fs::create_dir_all(folder).map_err(|e| io_error("create", folder, e))?;
        }
        let mut record = self.clone();
        record.schema = crate::store::SCHEMA;
        let json = serde_json::to_vec_pretty(&record).expect("a record always serialises");
        write_atomic(path, &json).map_err(|e| io_error("write", path, e))
    }

    /// Every record file in the store at `root`, with its feed's name
    /// (several per feed in a sharded store), sorted by path.
    pub fn files(root: &Path) -> Vec<(String, PathBuf)> {
        let Ok(dir) = std::fs::read_dir(root.join(FOLDER)) else {
            return Vec::new();
        };
        let mut files: Vec<(String, PathBuf)> = dir
            .flatten()
            .filter_map(|entry| {
                let file = entry.file_name().into_string().ok()?;
                let stem = file.strip_suffix(".json")?;
                let feed = stem.split('.').next()?.to_owned();
                Some((feed, entry.path()))
            })
            .collect();
        files.sort_by(|a, b| a.1.cmp(&b.1));
        files
    }

    /// Takes in a read of `feed` at `now`: entries not yet known (and
    /// owned by this instance, see `--shard`) become watches unless older
    /// than `retire_after` or past the `limit` newest; active ones past
    /// either are retired. Returns the names of the new watches.
    pub fn merge(
        &mut self,
        feed: &Feed,
        entries: &[Entry],
        now: DateTime<Utc>,
        owns: impl Fn(&WatchName) -> bool,
    ) -> Vec<WatchName> {
        let retire_after = chrono::Duration::from_std(feed.retire_after).unwrap_or_default();
        let mut new = Vec::new();
        for entry in entries {
            let name = feed.derived_name(&entry.url);
            if !owns(&name) || new.contains(&name) {
                continue;
            }
            if let Some(known) = self.entries.iter_mut().find(|d| d.name == name) {
                known.title = entry.title.clone().or(known.title.take());
                known.published = known.published.or(entry.published);
                continue;
            }
            let derived = Derived {
                name: name.clone(),
                url: entry.url.clone(),
                title: entry.title.clone(),
                published: entry.published,
                first_seen: now,
                retired: None,
            };
            if now - derived.born() < retire_after {
                self.entries.push(derived);
                new.push(name);
            }
        }
        self.retire(feed, now);
        // A new entry that did not make the cut was never watched: it
        // leaves no trace in the record.
        self.entries
            .retain(|d| !(new.contains(&d.name) && d.retired.is_some()));
        new.retain(|name| self.entries.iter().any(|d| d.name == *name));
        new
    }

    /// Retires the active entries older than `retire_after`, then those
    /// past the `limit` newest, and forgets retired entries older than
    /// twice `retire_after` (so that a busy feed's record stays small; a
    /// feed rarely lists an entry that old, and its versions stay in the
    /// store). Returns whether any was retired.
    pub fn retire(&mut self, feed: &Feed, now: DateTime<Utc>) -> bool {
        let retire_after = chrono::Duration::from_std(feed.retire_after).unwrap_or_default();
        self.entries
            .retain(|d| d.active() || now - d.born() < retire_after * 2);
        let mut active: Vec<usize> = (0..self.entries.len())
            .filter(|i| self.entries[*i].active())
            .collect();
        // Newest first; the name breaks ties so the order is stable.
        active.sort_by(|a, b| {
            let (a, b) = (&self.entries[*a], &self.entries[*b]);
            b.born().cmp(&a.born()).then_with(|| a.name.cmp(&b.name))
        });
        let mut changed = false;
        for (rank, index) in active.into_iter().enumerate() {
            let entry = &mut self.entries[index];
            if rank >= feed.limit || now - entry.born() >= retire_after {
                entry.retired = Some(now);
                changed = true;
            }
        }
        changed
    }

    /// Retires every active entry (the feed left the watchlist). Returns
    /// whether any was active.
    pub fn retire_all(&mut self, now: DateTime<Utc>) -> bool {
        let mut changed = false;
        for entry in self.entries.iter_mut().filter(|d| d.active()) {
            entry.retired = Some(now);
            changed = true;
        }
        changed
    }

    /// The watches of the active entries, with `feed`'s defaults.
    pub fn watches(&self, feed: &Feed) -> Vec<Watch> {
        self.entries
            .iter()
            .filter(|d| d.active())
            .map(|d| feed.watch(d.url.clone()))
            .collect()
    }
}

/// The watches of every active entry of `watchlist`'s feeds, as the
/// store's records hold them (every shard's): what a one-pass `check`
/// checks besides the watchlist's own watches. A damaged record is logged
/// and skipped.
pub fn active_watches(watchlist: &crate::watchlist::Watchlist) -> Vec<Watch> {
    let files = Record::files(&watchlist.settings.snapshots);
    let mut watches: Vec<Watch> = Vec::new();
    for feed in &watchlist.feeds {
        for (_, path) in files.iter().filter(|(name, _)| name == feed.name.as_str()) {
            match Record::load(path) {
                Ok(record) => watches.extend(record.watches(feed)),
                Err(e) => tracing::error!(feed = %feed.name, "{}", crate::error_chain(&e)),
            }
        }
    }
    watches.sort_by(|a, b| a.name.cmp(&b.name));
    watches.dedup_by(|a, b| a.name == b.name);
    watches
}

fn io_error(action: &'static str, path: &Path, source: io::Error) -> StoreError {
    StoreError::Io {
        action,
        path: path.to_owned(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::watchlist::Watchlist;

    fn feed(extra: &str) -> Feed {
        let text = format!("[[feed]]\nname = \"wire\"\nurl = \"https://e.org/rss\"\n{extra}");
        let list = Watchlist::parse(&text, Path::new("/w/watchlist.toml")).expect("valid");
        list.feeds[0].clone()
    }

    fn at(hours: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_777_000_000, 0).expect("valid") + chrono::Duration::hours(hours)
    }

    fn entry(path: &str, published: Option<i64>) -> Entry {
        Entry {
            url: Url::parse(&format!("https://e.org/{path}")).expect("valid"),
            title: Some(path.to_owned()),
            published: published.map(at),
        }
    }

    fn active(record: &Record) -> Vec<String> {
        let mut titles: Vec<String> = record
            .entries
            .iter()
            .filter(|d| d.active())
            .filter_map(|d| d.title.clone())
            .collect();
        titles.sort();
        titles
    }

    #[test]
    fn entries_become_watches_up_to_the_limit_and_retire_with_age() {
        let feed = feed("limit = 2\nretire_after = \"2days\"\n");
        let mut record = Record::default();
        // Three entries, one of them already too old: the two young ones.
        let first = [
            entry("a", Some(-1)),
            entry("b", None),
            entry("old", Some(-72)),
        ];
        let new = record.merge(&feed, &first, at(0), |_| true);
        assert_eq!(new.len(), 2);
        assert_eq!(active(&record), ["a", "b"]);
        // The same read again adds nothing.
        assert!(record.merge(&feed, &first, at(1), |_| true).is_empty());
        // A newer entry: the limit retires the oldest active one (a).
        let new = record.merge(&feed, &[entry("c", Some(2))], at(2), |_| true);
        assert_eq!(new.len(), 1);
        assert_eq!(active(&record), ["b", "c"]);
        assert_eq!(
            record.entries.len(),
            3,
            "retired entries stay in the record"
        );
        // Two days on, b (first seen at 0) retires by age; c (born at 2) too at 50.
        assert!(record.retire(&feed, at(49)));
        assert_eq!(active(&record), ["c"]);
        assert!(record.retire(&feed, at(50)));
        assert!(active(&record).is_empty());
        // Retired entries are forgotten once twice as old as retire_after.
        record.retire(&feed, at(96));
        let kept: Vec<_> = record
            .entries
            .iter()
            .filter_map(|d| d.title.as_deref())
            .collect();
        assert_eq!(kept, ["c"]);
        // A watch derived elsewhere (another shard) is not this one's.
        let mut shard = Record::default();
        assert!(
            shard
                .merge(&feed, &[entry("d", None)], at(0), |_| false)
                .is_empty()
        );
        assert!(shard.entries.is_empty());
    }

    #[test]
    fn a_record_survives_its_file_and_a_removed_feed_retires_all() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let feed = feed("");
        let path = Record::path(dir.path(), &feed.name, None);
        let mut record = Record::load(&path).expect("absent is empty");
        record.merge(&feed, &[entry("a", None), entry("b", None)], at(0), |_| {
            true
        });
        record.save(&path).expect("written");
        let mut back = Record::load(&path).expect("read back");
        assert_eq!(back.entries, record.entries);
        assert_eq!(back.watches(&feed).len(), 2);
        assert!(back.retire_all(at(1)));
        assert!(back.watches(&feed).is_empty());
        assert!(!back.retire_all(at(2)));
        assert_eq!(
            Record::files(dir.path()),
            [("wire".to_owned(), path.clone())]
        );
    }

    #[test]
    fn shards_split_a_feeds_entries_by_derived_name() {
        let feed = feed("");
        let entries: Vec<Entry> = (0..12).map(|i| entry(&format!("s{i}"), None)).collect();
        let mut shares = Vec::new();
        for text in ["0/2", "1/2"] {
            let shard: Shard = text.parse().expect("valid shard");
            let mut record = Record::default();
            record.merge(&feed, &entries, at(0), |name| shard.owns(name));
            shares.push(names(&record));
        }
        // Every entry is watched by exactly one of the two instances.
        assert!(!shares[0].is_empty() && !shares[1].is_empty());
        assert!(shares[0].iter().all(|n| !shares[1].contains(n)));
        assert_eq!(shares[0].len() + shares[1].len(), entries.len());
        // And each instance has its own record file.
        let root = Path::new("/s");
        let one: Shard = "1/2".parse().expect("valid shard");
        assert_eq!(
            Record::path(root, &feed.name, Some(one)),
            Path::new("/s/.feeds/wire.1-of-2.json")
        );
    }

    fn names(record: &Record) -> Vec<WatchName> {
        record.entries.iter().map(|d| d.name.clone()).collect()
    }
}
