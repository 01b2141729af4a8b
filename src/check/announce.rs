//! Alerts about versions: their ids, and the catch-up that announces every
//! stored version the state does not record as announced, in order, before
//! a new page is compared.
//!
//! An id names the versions by number and fingerprint
//! (`story/v2-1f0c…/v3-9ab2…`), so it is the same whenever the same move is
//! announced again (a check that stopped between storing and recording, the
//! outbox then drops the repeat) and different for any other move, even
//! after the store was reset or a version moved aside: a delivered id never
//! swallows a new alert. This module must not fetch or extract.

use std::fmt;

use chrono::{DateTime, Utc};

use crate::check::compare_versions;
use crate::notify::{Alert, Event};
use crate::report::Report;
use crate::store::{Snapshot, Store, StoreError, VersionInfo};
use crate::watchlist::{Watch, WatchName};

/// A version as alert ids name it: number and fingerprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tag {
    pub version: u32,
    /// The fingerprint's first 16 characters, as in the version's file name.
    pub fingerprint: String,
}

impl Tag {
    pub fn of(snapshot: &Snapshot) -> Tag {
        Tag::new(snapshot.version, &snapshot.fingerprint.0)
    }

    pub fn info(info: &VersionInfo) -> Tag {
        Tag::new(info.version, &info.fingerprint.0)
    }

    fn new(version: u32, fingerprint: &str) -> Tag {
        Tag {
            version,
            fingerprint: fingerprint.chars().take(16).collect(),
        }
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}-{}", self.version, self.fingerprint)
    }
}

/// A move between two versions, to be announced (or shown in the feed of
/// changes, under the same id).
#[derive(Debug)]
pub(crate) struct Move {
    pub from: Tag,
    pub to: Tag,
    pub headline: Option<String>,
    pub report: Report,
    /// Whether `to` is a version the page showed before.
    pub reverted: bool,
}

impl Move {
    /// The id of the alert announcing this move of `watch`'s page.
    pub fn id(&self, watch: &WatchName) -> String {
        let kind = if self.reverted { "revert/" } else { "" };
        format!("{watch}/{kind}{}/{}", self.from, self.to)
    }

    /// The alert announcing this move.
    pub fn alert(&self, watch: &Watch, time: DateTime<Utc>) -> Alert {
        Alert {
            id: self.id(&watch.name),
            watch: watch.name.clone(),
            url: watch.display_url(),
            time,
            event: Event::Changed {
                headline: self.headline.clone(),
                from_version: self.from.version,
                to_version: self.to.version,
                report: self.report.clone(),
                reverted: self.reverted,
            },
        }
    }
}

/// What a watch's catch-up finds in the store (see [`pending`]).
pub(super) enum Pending {
    /// The state records nothing announced: the newest stored version,
    /// which the catch-up takes as announced.
    Newest(Option<u32>),
    /// The moves to announce, oldest first.
    Moves(Vec<Move>),
}

/// What the catch-up of a watch whose state records `announced` must do:
/// read from the store alone, so that it can be read in the same trip to a
/// blocking thread as the watch's state.
///
/// # Errors
///
/// As [`unannounced`].
pub(super) fn pending(
    store: &Store,
    watch: &Watch,
    announced: Option<u32>,
) -> Result<Pending, StoreError> {
    match announced {
        None => Ok(Pending::Newest(
            store.versions(&watch.name)?.last().map(|v| v.version),
        )),
        Some(announced) => unannounced(store, watch, announced).map(Pending::Moves),
    }
}

/// The stored versions above `announced`, oldest first, each as the move
/// that made it: from the version its stored report names (else the
/// stored version before it) to itself. A version with nothing before it
/// is a baseline and needs no alert.
///
/// # Errors
///
/// When the store cannot be read or a version to announce is damaged (its
/// message says to move it aside, after which the rest are announced).
fn unannounced(store: &Store, watch: &Watch, announced: u32) -> Result<Vec<Move>, StoreError> {
    let versions = store.versions(&watch.name)?;
    let mut moves = Vec::new();
    for (index, info) in versions.iter().enumerate() {
        if info.version <= announced || index == 0 {
            continue;
        }
        moves.push(stored_move(store, Some(watch), &versions, index)?.0);
    }
    Ok(moves)
}

/// The move that made the stored version `versions[index]` (`index` > 0):
/// from the version its stored report names (else the stored version
/// before it) to itself, with that version. `watch`, when known, sets the
/// comparison's options for a version stored without its report.
///
/// # Errors
///
/// When a version cannot be read.
pub(crate) fn stored_move(
    store: &Store,
    watch: Option<&Watch>,
    versions: &[VersionInfo],
    index: usize,
) -> Result<(Move, Snapshot), StoreError> {
    let info = &versions[index];
    let new = store.read(info)?;
    let stored = store.report(info).ok().flatten();
    let from_info = stored
        .as_ref()
        .and_then(|s| versions.iter().find(|v| v.version == s.from))
        .unwrap_or(&versions[index.saturating_sub(1)]);
    let report = match stored {
        Some(stored) if stored.from == from_info.version => stored.report,
        _ => {
            let old = store.read(from_info)?;
            compare_versions(&old.article, &new.article, watch)
        }
    };
    let step = Move {
        from: Tag::info(from_info),
        to: Tag::of(&new),
        headline: new.article.headline.clone(),
        report,
        reverted: false,
    };
    Ok((step, new))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::watchlist::Watchlist;
    use chrono::Utc;

    fn watch() -> Watch {
        let text = "[[watch]]\nname = \"story\"\nurl = \"https://example.org/a\"\n";
        let list = Watchlist::parse(text, std::path::Path::new("w.toml")).expect("valid");
        list.watches[0].clone()
    }

    fn step(from: (u32, &str), to: (u32, &str), reverted: bool) -> Move {
        Move {
            from: Tag::new(from.0, from.1),
            to: Tag::new(to.0, to.1),
            headline: None,
            report: Report::default(),
            reverted,
        }
    }

    #[test]
    fn ids_name_both_versions_and_never_repeat_for_another_move() {
        let (w, now) = (watch(), Utc::now());
        let id = |s: Move| s.alert(&w, now).id;
        let first = id(step((1, "aaaa"), (2, "bbbb"), false));
        assert_eq!(first, "story/v1-aaaa/v2-bbbb");
        // The same move announced again (after a crash) is the same alert.
        assert_eq!(id(step((1, "aaaa"), (2, "bbbb"), false)), first);
        // Version 2 again after a reset, with another text: another alert.
        assert_ne!(id(step((1, "aaaa"), (2, "cccc"), false)), first);
        assert_eq!(
            id(step((2, "bbbb"), (1, "aaaa"), true)),
            "story/revert/v2-bbbb/v1-aaaa"
        );
        // Fingerprints are cut to the 16 characters of the file names.
        let long = "0123456789abcdef0123";
        assert_eq!(Tag::new(3, long).to_string(), "v3-0123456789abcdef");
    }
}
