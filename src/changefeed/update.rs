//! A watch's feed brought up to date after a check that stored a version,
//! without making it again from the store: the entries its file holds,
//! read back, plus one entry for each version stored since the newest one
//! the feed shows. Made change by change, the feed is the one the store
//! would make (see `a_watch_feed_kept_change_by_change_is_the_one_made_from_the_store`
//! in the tests), at the cost of the new versions only instead of the
//! newest fifty and their reports.
//!
//! A file this process wrote and nobody replaced since is read back
//! without parsing (its entries are cut at their tags, which its own
//! writer's escaping keeps out of every text); any other is parsed. It
//! must not decide when a feed is made whole again beyond what the file
//! shows (missing, unreadable, another address): the caller makes it
//! whole after a return, which the store does not show as a version.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use chrono::DateTime;

use super::atom::{self, Written};
use super::entries::stored_change;
use super::{ENTRIES, FeedError, read, read_bytes};
use crate::check::Tag;
use crate::store::{FileIdentity, Store, VersionInfo, file_identity};
use crate::watchlist::Watch;

/// The watches' feeds as this process last wrote them: each file's
/// identity then and the address its entries link to. A few dozen bytes a
/// watch, never the entries themselves: they are read back from the file.
static WRITTEN: Mutex<BTreeMap<PathBuf, (FileIdentity, String)>> = Mutex::new(BTreeMap::new());

/// Remembers the feed just written at `path` for `url`, so that the next
/// change reads it back without parsing it.
pub fn remember(path: &Path, url: &str) {
    let mut written = WRITTEN.lock().unwrap_or_else(PoisonError::into_inner);
    match file_identity(path) {
        Some(identity) => written.insert(path.to_owned(), (identity, url.to_owned())),
        None => written.remove(path),
    };
}

/// The entries of `watch`'s feed at `path` with the changes into the
/// `versions` (its listing) stored since the newest one it shows; `None` when the feed
/// must be made whole from the store (missing, unreadable, or showing
/// another address).
///
/// # Errors
///
/// When a new version cannot be read, or an entry cannot be written.
pub fn brought_up_to_date(
    store: &Store,
    watch: &Watch,
    path: &Path,
    versions: &[VersionInfo],
) -> Result<Option<Vec<Written>>, FeedError> {
    let url = watch.display_url();
    let Some(mut entries) = read_back(path, watch.name.as_str(), &url) else {
        return Ok(None);
    };
    // Where each stored version stands, by the tag the ids show.
    let stored: HashMap<String, usize> = versions
        .iter()
        .enumerate()
        .map(|(index, info)| (Tag::info(info).to_string(), index))
        .collect();
    let prefix = format!("urn:redline:{}/", watch.name);
    let mut newest = 0;
    // As a feed made from the store: a change into a version no longer
    // stored (or into the oldest kept, now the baseline) leaves it, and so
    // does a return to or from one.
    entries.retain(|entry| match moved(&entry.id, &prefix) {
        Some((false, _, to)) => match stored.get(to) {
            Some(&index) if index > 0 => {
                newest = newest.max(index);
                true
            }
            _ => false,
        },
        Some((true, from, to)) => stored.contains_key(from) && stored.contains_key(to),
        None => false,
    });
    let first = (newest + 1)
        .max(versions.len().saturating_sub(ENTRIES))
        .max(1);
    for index in first..versions.len() {
        let change = stored_change(store, &watch.name, Some(watch), versions, index)?;
        entries.push(atom::written(&atom::entry(&change))?);
    }
    atom::newest_written_first(&mut entries, ENTRIES);
    Ok(Some(entries))
}

/// The entries of the feed at `path`, `None` when it is missing,
/// unreadable or links to another address than `url`.
fn read_back(path: &Path, watch: &str, url: &str) -> Option<Vec<Written>> {
    let known = WRITTEN
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(path)
        .cloned();
    if let Some((identity, written_for)) = known
        && written_for == url
        && file_identity(path) == Some(identity)
        && let Some(entries) = read_bytes(path)
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .and_then(|xml| cut(&xml, watch))
    {
        return Some(entries);
    }
    let feed = read(path)?;
    let same_page = feed
        .links
        .iter()
        .any(|l| l.rel == "alternate" && l.href == url);
    if !same_page {
        return None;
    }
    feed.entries.iter().map(|e| atom::written(e).ok()).collect()
}

/// The entries of a feed this module wrote, cut at their tags; `None`
/// when an entry lacks its id or time.
fn cut(xml: &str, watch: &str) -> Option<Vec<Written>> {
    const START: &str = "<entry>";
    const END: &str = "</entry>";
    let mut entries = Vec::new();
    let mut rest = xml;
    while let Some(start) = rest.find(START) {
        let end = start + rest[start..].find(END)? + END.len();
        let element = &rest[start..end];
        let id = between(element, "<id>", "</id>")?;
        let updated = DateTime::parse_from_rfc3339(between(element, "<updated>", "</updated>")?);
        // An id with an escaped character is not one of this module's.
        if id.contains('&') {
            return None;
        }
        entries.push(Written {
            updated: updated.ok()?,
            id: id.to_owned(),
            watch: Some(watch.to_owned()),
            xml: element.into(),
        });
        rest = &rest[end..];
    }
    Some(entries)
}

/// The text of the first `open`…`close` element of `xml`.
fn between<'a>(xml: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let start = xml.find(open)? + open.len();
    let length = xml[start..].find(close)?;
    Some(&xml[start..start + length])
}

/// What the entry id `id` says of its move: whether it is a return, and
/// the tags of the versions it left and went to (see `Move::id`); `None`
/// for an id of another watch or of no move.
fn moved<'a>(id: &'a str, prefix: &str) -> Option<(bool, &'a str, &'a str)> {
    let rest = id.strip_prefix(prefix)?;
    let (reverted, rest) = match rest.strip_prefix("revert/") {
        Some(rest) => (true, rest),
        None => (false, rest),
    };
    let (from, to) = rest.split_once('/')?;
    Some((reverted, from, to))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_say_which_versions_an_entry_moved_between() {
        let prefix = "urn:redline:story/";
        assert_eq!(
            moved("urn:redline:story/v1-aa/v2-bb", prefix),
            Some((false, "v1-aa", "v2-bb"))
        );
        assert_eq!(
            moved("urn:redline:story/revert/v2-bb/v1-aa", prefix),
            Some((true, "v2-bb", "v1-aa"))
        );
        assert_eq!(moved("urn:redline:other/v1-aa/v2-bb", prefix), None);
        assert_eq!(moved("urn:redline:story-2/v1-aa/v2-bb", prefix), None);
    }

    #[test]
    fn entries_cut_from_a_written_feed_are_the_written_ones() {
        let xml = "<feed><title>t</title><entry><title>a &lt;entry&gt;</title>\
            <id>urn:redline:story/v1-aa/v2-bb</id><updated>2026-04-25T10:00:00+00:00</updated>\
            </entry><entry><id>urn:redline:story/v2-bb/v3-cc</id>\
            <updated>2026-04-25T11:00:00+00:00</updated></entry></feed>";
        let entries = cut(xml, "story").expect("two entries");
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].id, "urn:redline:story/v1-aa/v2-bb");
        assert!(entries[0].xml.starts_with("<entry><title>a &lt;entry&gt;"));
        assert!(entries[1].xml.ends_with("</entry>"));
        assert_eq!(entries[1].updated.to_rfc3339(), "2026-04-25T11:00:00+00:00");
        assert!(cut("<feed><entry><id>x</id></entry></feed>", "story").is_none());
    }
}
