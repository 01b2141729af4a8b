//! Changes → Atom (RFC 4287), with `atom_syndication`: one entry per
//! change, its diff as HTML content drawn by the shared HTML renderer (the
//! email's), its one-sentence account (`Report::sentence`) as the summary.
//!
//! Pure: no I/O and no clock; the same changes always give the same
//! document, byte for byte, so that a feed rebuilt from the store is the
//! feed that was written. It must not read the store.

use std::sync::Arc;

use atom_syndication::{
    Category, Content, Entry, Feed, FixedDateTime, Generator, Link, Person, Text, WriteConfig,
};
use chrono::{DateTime, Utc};

use super::entries::Change;
use crate::report::{RenderContext, html_fragment};

/// The media type of an Atom document.
pub const MEDIA_TYPE: &str = "application/atom+xml";

/// The scheme of the category that names an entry's watch.
const WATCH_SCHEME: &str = "urn:redline:watch";

/// What a feed is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct About {
    /// The feed's permanent id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// A page the feed is about (a watch's article), if any.
    pub alternate: Option<String>,
}

impl About {
    /// The feed of every watch of a store.
    pub fn store() -> About {
        About {
            id: "urn:redline:changes".into(),
            title: "redline: recent changes".into(),
            alternate: None,
        }
    }

    /// The feed of one watch of `url` (its password masked).
    pub fn watch(name: &str, url: &str) -> About {
        About {
            id: format!("urn:redline:changes:{name}"),
            title: format!("redline: {name}"),
            alternate: Some(url.to_owned()),
        }
    }
}

/// The Atom entry of a change. Its id is the alert's id as a URN, so it
/// never changes when the feed is rebuilt and never names another change.
pub fn entry(change: &Change) -> Entry {
    let (from, to) = (format!("v{}", change.from), format!("v{}", change.to));
    let headline = change.headline.as_deref();
    let context = RenderContext {
        watch: Some(change.watch.as_str()),
        url: Some(&change.url),
        headline,
        from: Some(&from),
        to: Some(&to),
    };
    let kind = if change.reverted {
        format!("went back to {to} (from {from})")
    } else {
        format!("changed ({from} → {to})")
    };
    let title = match headline {
        Some(headline) => format!("{}: {headline}, {kind}", change.watch),
        None => format!("{}: {kind}", change.watch),
    };
    Entry {
        id: format!("urn:redline:{}", change.id),
        title: Text::plain(title),
        updated: fixed(change.at),
        links: vec![link(&change.url, "alternate", "text/html")],
        categories: vec![Category {
            term: change.watch.to_string(),
            scheme: Some(WATCH_SCHEME.into()),
            label: None,
        }],
        // The title says what kind of change; the summary what changed.
        summary: Some(Text::plain(change.report.sentence())),
        content: Some(Content {
            content_type: Some("html".into()),
            value: Some(html_fragment(&change.report, &context)),
            ..Content::default()
        }),
        ..Entry::default()
    }
}

/// The watch an entry of this module's making is about, from its category.
pub fn watch_of(entry: &Entry) -> Option<&str> {
    entry
        .categories
        .iter()
        .find(|c| c.scheme.as_deref() == Some(WATCH_SCHEME))
        .map(|c| c.term.as_str())
}

/// Newest first, the id breaking ties, at most `limit`: the order every
/// feed of this module keeps.
pub fn newest_first(entries: &mut Vec<Entry>, limit: usize) {
    entries.sort_by(|a, b| b.updated.cmp(&a.updated).then_with(|| b.id.cmp(&a.id)));
    entries.truncate(limit);
}

/// The feed of `entries` (newest first). Its update time is the newest
/// entry's, else `empty_since` (a feed with no change yet).
pub fn feed(about: &About, entries: Vec<Entry>, empty_since: DateTime<Utc>) -> Feed {
    let updated = entries
        .iter()
        .map(|e| e.updated)
        .max()
        .unwrap_or_else(|| fixed(empty_since));
    let mut links = vec![
        // Relative: it resolves to wherever the document is read from,
        // the status server's `/feed.atom` or the file in the store.
        link("feed.atom", "self", MEDIA_TYPE),
    ];
    if let Some(page) = &about.alternate {
        links.push(link(page, "alternate", "text/html"));
    }
    Feed {
        id: about.id.clone(),
        title: Text::plain(about.title.clone()),
        updated,
        // Atom requires an author for each entry; the feed's stands for all.
        authors: vec![Person {
            name: "redline".into(),
            ..Person::default()
        }],
        generator: Some(Generator {
            value: "redline".into(),
            uri: None,
            version: Some(env!("CARGO_PKG_VERSION").into()),
        }),
        links,
        entries,
        ..Feed::default()
    }
}

/// The document's bytes.
///
/// # Errors
///
/// When the XML writer fails (it writes to memory, so only on a text the
/// writer refuses).
pub fn to_bytes(feed: &Feed) -> Result<Vec<u8>, atom_syndication::Error> {
    feed.write_to(Vec::new())
}

/// An entry as a document holds it: its XML, written once, with what
/// ordering and merging need, so that a feed is assembled from entries
/// already written instead of escaping every entry again at each write
/// (the diffs' HTML is most of a feed's bytes).
#[derive(Debug, Clone, PartialEq)]
pub struct Written {
    /// When the change was seen (the entry's `updated`).
    pub updated: FixedDateTime,
    /// The entry's id.
    pub id: String,
    /// The watch it is about (see [`watch_of`]).
    pub watch: Option<String>,
    /// The `<entry>` element, as the feed's writer writes it inside a feed.
    pub xml: Arc<str>,
}

/// The start tag of an entry written alone: the writer declares the
/// namespace that an entry inside a feed inherits from the feed.
const STANDALONE_ENTRY: &str = "<entry xmlns=\"http://www.w3.org/2005/Atom\">";

/// The end of every feed document.
const FEED_END: &str = "</feed>";

/// `entry` written: the bytes [`to_bytes`] writes for it inside a feed.
///
/// # Errors
///
/// When the XML writer fails (see [`to_bytes`]).
pub fn written(entry: &Entry) -> Result<Written, atom_syndication::Error> {
    let config = WriteConfig {
        write_document_declaration: false,
        indent_size: None,
    };
    let bytes = entry.write_with_config(Vec::new(), config)?;
    // The writer writes UTF-8 from UTF-8 strings.
    let alone = String::from_utf8_lossy(&bytes);
    let xml = match alone.strip_prefix(STANDALONE_ENTRY) {
        Some(rest) => format!("<entry>{rest}"),
        None => alone.into_owned(),
    };
    Ok(Written {
        updated: entry.updated,
        id: entry.id.clone(),
        watch: watch_of(entry).map(str::to_owned),
        xml: xml.into(),
    })
}

/// Newest first, the id breaking ties, at most `limit`, as
/// [`newest_first`] orders entries.
pub fn newest_written_first(entries: &mut Vec<Written>, limit: usize) {
    entries.sort_by(|a, b| b.updated.cmp(&a.updated).then_with(|| b.id.cmp(&a.id)));
    entries.truncate(limit);
}

/// The document of the feed of `entries` (newest first): byte for byte
/// what [`to_bytes`] writes for [`feed`] of the same entries, made from
/// their XML without writing them again.
///
/// # Errors
///
/// As [`to_bytes`].
pub fn document(
    about: &About,
    entries: &[Written],
    empty_since: DateTime<Utc>,
) -> Result<Vec<u8>, atom_syndication::Error> {
    let mut empty = feed(about, Vec::new(), empty_since);
    if let Some(newest) = entries.iter().map(|e| e.updated).max() {
        empty.updated = newest;
    }
    // The feed without entries ends with its end tag (its writer writes an
    // element's start and end, never an empty element): the entries go
    // just before it.
    let mut bytes = to_bytes(&empty)?;
    bytes.truncate(bytes.len().saturating_sub(FEED_END.len()));
    let size: usize = entries.iter().map(|e| e.xml.len()).sum();
    bytes.reserve(size + FEED_END.len());
    for entry in entries {
        bytes.extend_from_slice(entry.xml.as_bytes());
    }
    bytes.extend_from_slice(FEED_END.as_bytes());
    Ok(bytes)
}

fn link(href: &str, rel: &str, media_type: &str) -> Link {
    Link {
        href: href.to_owned(),
        rel: rel.to_owned(),
        mime_type: Some(media_type.to_owned()),
        ..Link::default()
    }
}

fn fixed(time: DateTime<Utc>) -> FixedDateTime {
    time.fixed_offset()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Report;
    use crate::watchlist::WatchName;

    fn change(id: &str, at: &str, reverted: bool) -> Change {
        Change {
            id: id.into(),
            watch: WatchName::parse("story").expect("a valid name"),
            url: "https://reader:***@example.org/a?x=<y>".into(),
            headline: Some("Harbour & budget".into()),
            from: 1,
            to: 2,
            reverted,
            at: DateTime::parse_from_rfc3339(at)
                .expect("a valid time")
                .with_timezone(&Utc),
            report: Report::default(),
        }
    }

    #[test]
    fn entries_say_what_kind_of_change_and_keep_the_alert_id() {
        let changed = entry(&change("story/v1-aa/v2-bb", "2026-04-25T10:00:00Z", false));
        assert_eq!(changed.id, "urn:redline:story/v1-aa/v2-bb");
        assert_eq!(
            changed.title.value,
            "story: Harbour & budget, changed (v1 → v2)"
        );
        assert_eq!(watch_of(&changed), Some("story"));
        let back = entry(&change(
            "story/revert/v2-bb/v1-aa",
            "2026-04-25T11:00:00Z",
            true,
        ));
        assert!(back.title.value.ends_with("went back to v2 (from v1)"));
        assert_eq!(
            back.content.and_then(|c| c.content_type).as_deref(),
            Some("html")
        );
    }

    #[test]
    fn a_document_escapes_page_text_and_is_the_same_when_made_again() {
        let make = || {
            let entries = vec![entry(&change(
                "story/v1-aa/v2-bb",
                "2026-04-25T10:00:00Z",
                false,
            ))];
            let feed = feed(
                &About::watch("story", "https://example.org/a"),
                entries,
                Utc::now(),
            );
            String::from_utf8(to_bytes(&feed).expect("writes to memory")).expect("utf-8")
        };
        let xml = make();
        assert_eq!(xml, make());
        assert!(xml.contains("Harbour &amp; budget"), "{xml}");
        assert!(!xml.contains("x=<y>"), "{xml}");
        assert!(
            xml.contains("<updated>2026-04-25T10:00:00+00:00</updated>"),
            "{xml}"
        );
        assert!(xml.contains("rel=\"self\""), "{xml}");
    }

    #[test]
    fn a_document_assembled_from_written_entries_is_the_writers_byte_for_byte() {
        let entries: Vec<Entry> = [
            ("story/v2-bb/v3-cc", "2026-04-25T12:00:00Z", true),
            ("story/v1-aa/v2-bb", "2026-04-25T10:00:00Z", false),
        ]
        .iter()
        .map(|(id, at, back)| entry(&change(id, at, *back)))
        .collect();
        let kept: Vec<Written> = entries
            .iter()
            .map(|e| written(e).expect("writes to memory"))
            .collect();
        assert_eq!(kept[0].watch.as_deref(), Some("story"));
        let about = About::watch("story", "https://example.org/a?x=<y>");
        let since = Utc::now();
        let whole = to_bytes(&feed(&about, entries, since)).expect("writes to memory");
        let assembled = document(&about, &kept, since).expect("writes to memory");
        assert_eq!(
            String::from_utf8_lossy(&assembled),
            String::from_utf8_lossy(&whole)
        );
        // And without entries, as a watch's feed before its first change.
        let empty = to_bytes(&feed(&about, Vec::new(), since)).expect("writes to memory");
        assert_eq!(document(&about, &[], since).expect("writes"), empty);
    }

    #[test]
    fn entries_are_ordered_newest_first_and_bounded() {
        let mut entries: Vec<Entry> = [
            ("a/v1-1/v2-2", "2026-04-25T10:00:00Z"),
            ("a/v2-2/v3-3", "2026-04-25T12:00:00Z"),
            ("a/v3-3/v4-4", "2026-04-25T11:00:00Z"),
        ]
        .iter()
        .map(|(id, at)| entry(&change(id, at, false)))
        .collect();
        newest_first(&mut entries, 2);
        let ids: Vec<&str> = entries.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["urn:redline:a/v2-2/v3-3", "urn:redline:a/v3-3/v4-4"]);
    }
}
