//! A watch's check state (`<watch>/state.json`): what must survive a
//! restart, from validators to the failure streak and the moves between
//! versions already alerted. Plain data and small bookkeeping; the store
//! reads and writes it, the pipeline decides what goes in it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::KeptAnchor;

/// A watch's check state: what must survive a restart.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WatchState {
    /// The on-disk format version.
    pub schema: u32,
    /// The address last checked (a changed URL resets the validators).
    #[serde(default)]
    pub url: String,
    /// The `ETag` of the last full response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// The `Last-Modified` of the last full response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
    /// When the last check finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_check: Option<DateTime<Utc>>,
    /// How the last check ended, in a word ("changed", "unchanged", …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_outcome: Option<String>,
    /// The version the page showed at the last successful check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_version: Option<u32>,
    /// The version the page showed last with its fingerprint, so that an
    /// unchanged page is answered without reading the stored version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shows: Option<Shown>,
    /// The newest version whose alert was handed to the channels. A stored
    /// version newer than this was never announced (the check stopped after
    /// storing it) and is announced by the next check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub announced: Option<u32>,
    /// Failed checks in a row.
    #[serde(default)]
    pub failures: u32,
    /// When the current failure streak began.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failing_since: Option<DateTime<Utc>>,
    /// The last failure's message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// Whether a "failing" alert was sent for the current streak. It stays
    /// set until the "recovered" alert was handed over.
    #[serde(default)]
    pub failure_alerted: bool,
    /// A new article that the quality guard refused, seen unchanged at
    /// every check since: once stable long enough it is accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shrink: Option<Shrink>,
    /// The moves between versions already alerted, `[from, to]`, so that a
    /// page flip-flopping between two versions alerts once per direction.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alerted: Vec<[u32; 2]>,
    /// The page's returns to earlier versions, oldest first, for `history`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub returns: Vec<Return>,
    /// Where the article was found at the last successful check, so that
    /// the next one extracts from the same place (see `extract::anchor`);
    /// trimmed when read from the store's cache (see [`KeptAnchor`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anchor: Option<KeptAnchor>,
    /// When the article was published, as its page's metadata last said
    /// (typed), for the adaptive schedule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<DateTime<Utc>>,
    /// When a check first read the article (for a watch older than this
    /// field: the first check that knew it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<DateTime<Utc>>,
    /// When a change, or a return to an earlier version, was last stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_change: Option<DateTime<Utc>>,
}

/// A stored version and its fingerprint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shown {
    /// The version's number.
    pub version: u32,
    /// Its full content fingerprint.
    pub fingerprint: String,
}

impl Shown {
    /// What a stored snapshot is.
    pub fn of(snapshot: &super::Snapshot) -> Self {
        Shown {
            version: snapshot.version,
            fingerprint: snapshot.fingerprint.0.clone(),
        }
    }
}

/// A refused extraction seen again and again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shrink {
    /// The refused article's fingerprint.
    pub fingerprint: String,
    /// How many checks in a row saw it.
    pub checks: u32,
}

/// A return of the page to a version stored earlier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Return {
    /// When it was seen.
    pub at: DateTime<Utc>,
    /// The version the page left.
    pub from: u32,
    /// The earlier version it shows again.
    pub to: u32,
}

/// How many moves and returns a state remembers; older ones are forgotten
/// (a move forgotten may alert once more, which is the safe side).
pub const STATE_MEMORY: usize = 200;

impl WatchState {
    /// What the adaptive schedule knows of the article's life; `None`
    /// until a check read it.
    pub fn life(&self) -> Option<crate::schedule::Life> {
        self.first_seen.map(|first_seen| crate::schedule::Life {
            published: self.published,
            first_seen,
            changed: self.last_change,
        })
    }

    /// This state with its anchor trimmed: what the store's cache gives
    /// back (it keeps the state packed, see `store::cache`).
    pub fn trimmed(&self) -> WatchState {
        // The bulk is cloned with the rest and dropped at once; the cache
        // packs a state without this copy.
        let mut trimmed = self.clone();
        trimmed.anchor = self.anchor.as_ref().map(KeptAnchor::trimmed);
        trimmed
    }

    /// Records that the move `from → to` was alerted.
    pub fn remember_alerted(&mut self, from: u32, to: u32) {
        if !self.was_alerted(from, to) {
            self.alerted.push([from, to]);
        }
        let excess = self.alerted.len().saturating_sub(STATE_MEMORY);
        self.alerted.drain(..excess);
    }

    /// Whether the move `from → to` was alerted before.
    pub fn was_alerted(&self, from: u32, to: u32) -> bool {
        self.alerted.contains(&[from, to])
    }

    /// Records a return of the page to an earlier version.
    pub fn remember_return(&mut self, at: DateTime<Utc>, from: u32, to: u32) {
        self.returns.push(Return { at, from, to });
        let excess = self.returns.len().saturating_sub(STATE_MEMORY);
        self.returns.drain(..excess);
    }
}
