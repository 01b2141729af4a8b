//! Feeds: an RSS or Atom document read into its entries, the feed a page
//! links to (autodiscovery), and each feed's [`record`] of the watches
//! derived from its entries.
//!
//! Reading and deriving are functions of their inputs (the text, the feed's
//! settings, the time); the one I/O here is the record's file, written
//! atomically like every store file. This module must not fetch (the daemon
//! reads feeds through the one `Fetcher`) nor check an article (its derived
//! watches go through `check` like any other).

use chrono::{DateTime, Utc};
use scraper::{Html, Selector};
use url::Url;

pub mod record;

pub use record::{Derived, Record, active_watches};

/// One entry of a feed: an article to watch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The article's address.
    pub url: Url,
    /// Its title in the feed.
    pub title: Option<String>,
    /// When the feed says it was published (else updated).
    pub published: Option<DateTime<Utc>>,
}

/// What a fetched document turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Document {
    /// A feed, with its entries in the feed's order.
    Feed(Vec<Entry>),
    /// A page that names its feed in a `<link rel="alternate">`.
    Page {
        /// The feed's address.
        feed: Url,
    },
}

/// Why a feed could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    /// The document is neither a feed nor a page linking to one.
    #[error(
        "{url} is not an RSS or Atom feed ({reason}) and links to none; give the feed's own address"
    )]
    NotAFeed {
        /// The address read.
        url: String,
        /// What the feed parser said.
        reason: String,
    },
    /// The feed could not be fetched.
    #[error(transparent)]
    Fetch(#[from] crate::fetch::FetchError),
    /// The feed's record could not be read or written.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// Reads the document at `base`: its entries when it is a feed, else the
/// feed it links to.
///
/// # Errors
///
/// [`FeedError::NotAFeed`] when it is neither.
pub fn read(text: &str, base: &Url) -> Result<Document, FeedError> {
    let parser = feed_rs::parser::Builder::new()
        .base_uri(Some(base.as_str()))
        .build();
    match parser.parse(text.as_bytes()) {
        Ok(feed) => Ok(Document::Feed(entries(feed, base))),
        Err(error) => match discover(text, base) {
            Some(feed) => Ok(Document::Page { feed }),
            None => Err(FeedError::NotAFeed {
                url: crate::watchlist::redacted(base).to_string(),
                reason: error.to_string(),
            }),
        },
    }
}

/// The feed's entries that name a web address, in the feed's order.
fn entries(feed: feed_rs::model::Feed, base: &Url) -> Vec<Entry> {
    feed.entries
        .into_iter()
        .filter_map(|entry| {
            // The entry's page: its alternate link (Atom), its only link
            // (RSS), else an id that is an address (RSS guid permalinks).
            let link = entry
                .links
                .iter()
                .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
                .map(|l| l.href.as_str())
                .or(Some(entry.id.as_str()))?;
            let url = web_address(link, base)?;
            Some(Entry {
                url,
                title: entry
                    .title
                    .map(|t| t.content.trim().to_owned())
                    .filter(|t| !t.is_empty()),
                published: entry.published.or(entry.updated),
            })
        })
        .collect()
}

/// `href` resolved against `base`, when it is an http(s) address.
fn web_address(href: &str, base: &Url) -> Option<Url> {
    let url = base.join(href.trim()).ok()?;
    matches!(url.scheme(), "http" | "https").then_some(url)
}

/// The feed a page names in `<link rel="alternate" type="application/rss+xml">`
/// (or `application/atom+xml`), the first one when it names several.
pub fn discover(html: &str, base: &Url) -> Option<Url> {
    let page = Html::parse_document(html);
    let links = Selector::parse("link[rel][type][href]").expect("a valid selector");
    page.select(&links).find_map(|link| {
        let attr = |name| link.value().attr(name).unwrap_or_default();
        let alternate = attr("rel")
            .split_ascii_whitespace()
            .any(|r| r.eq_ignore_ascii_case("alternate"));
        let kind = attr("type").trim().to_ascii_lowercase();
        let is_feed = matches!(
            kind.as_str(),
            "application/rss+xml" | "application/atom+xml"
        );
        (alternate && is_feed)
            .then(|| web_address(attr("href"), base))
            .flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://news.example.org/section/").expect("valid")
    }

    #[test]
    fn rss_and_atom_entries_become_addresses_with_titles_and_times() {
        let rss = r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>
            <item><title>First</title><link>https://news.example.org/a</link>
            <pubDate>Tue, 01 Dec 2026 10:00:00 GMT</pubDate></item>
            <item><title>Relative</title><link>/b</link></item>
            <item><title>No link</title><guid isPermaLink="false">tag:1</guid></item>
            </channel></rss>"#;
        let Ok(Document::Feed(entries)) = read(rss, &base()) else {
            panic!("an RSS feed");
        };
        let urls: Vec<_> = entries.iter().map(|e| e.url.as_str()).collect();
        assert_eq!(
            urls,
            ["https://news.example.org/a", "https://news.example.org/b"]
        );
        assert_eq!(entries[0].title.as_deref(), Some("First"));
        assert_eq!(
            entries[0].published.map(|t| t.to_rfc3339()),
            Some("2026-12-01T10:00:00+00:00".to_owned())
        );
        let atom = r#"<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">
            <title>Desk</title><id>urn:desk</id><updated>2026-12-01T10:00:00Z</updated>
            <entry><title>One</title><id>urn:1</id><updated>2026-12-01T09:00:00Z</updated>
            <link rel="alternate" href="https://news.example.org/one"/>
            <link rel="edit" href="https://news.example.org/edit/one"/></entry></feed>"#;
        let Ok(Document::Feed(entries)) = read(atom, &base()) else {
            panic!("an Atom feed");
        };
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].url.as_str(), "https://news.example.org/one");
        assert!(entries[0].published.is_some());
    }

    #[test]
    fn a_page_names_its_feed_by_autodiscovery() {
        let cases = [
            (
                r#"<link rel="alternate" type="application/rss+xml" href="/feed.xml">"#,
                Some("https://news.example.org/feed.xml"),
            ),
            (
                r#"<link rel="stylesheet" href="/s.css"><link rel="Alternate" type="application/atom+xml" href="atom">"#,
                Some("https://news.example.org/section/atom"),
            ),
            (
                r#"<link rel="alternate" type="application/json+oembed" href="/o"><link rel="alternate" hreflang="de" type="text/html" href="/de">"#,
                None,
            ),
            (
                r#"<link rel="alternate" type="application/rss+xml" href="javascript:x">"#,
                None,
            ),
        ];
        for (head, expected) in cases {
            let html = format!("<html><head>{head}</head><body><p>text</p></body></html>");
            assert_eq!(
                discover(&html, &base()).as_ref().map(Url::as_str),
                expected,
                "{head}"
            );
        }
        let page = r#"<html><head><link rel="alternate" type="application/rss+xml" href="/rss"></head></html>"#;
        assert_eq!(
            read(page, &base()).ok(),
            Some(Document::Page {
                feed: Url::parse("https://news.example.org/rss").expect("valid")
            })
        );
        assert!(matches!(
            read("<html><body>nothing</body></html>", &base()),
            Err(FeedError::NotAFeed { .. })
        ));
    }
}
