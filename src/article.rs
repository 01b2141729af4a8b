//! The extracted article: what `extract` produces, what `store` keeps and
//! what `diff` compares.
//!
//! This module is plain data plus the text normalisation that every block's
//! text obeys. It must not know where an article came from (no HTML, no
//! HTTP) nor how two articles are compared.
//!
//! # Invariants
//!
//! * [`Block::text`] is normalised by [`normalize_text`]: Unicode NFC, no soft
//!   hyphens or zero-width characters, every run of white space (NBSP
//!   included) folded to one ASCII space, no leading or trailing space. Two
//!   texts that look the same on a page are therefore equal byte for byte.
//! * [`Emphasis`] ranges are byte offsets into their block's `text`, on
//!   character boundaries, non-empty, sorted by `start`, and never overlap
//!   another range of the same [`Style`].

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};

/// One version of a watched article, as extracted from a page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Article {
    /// The visible headline: what a reader sees at the top of the article
    /// (its `h1`), else the document's `<title>` without the site's name.
    /// Versions stored before [`Article::titles`] existed hold the headline
    /// the page's metadata gave instead (JSON-LD or `og:title` first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headline: Option<String>,
    /// The titles the page's metadata gives the article, each kept as it
    /// is. `None` marks a version stored before redline kept them: for such
    /// a version neither these titles nor the headline (whose meaning
    /// changed with them) are known, and comparisons leave them out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub titles: Option<Titles>,
    /// Who wrote it ("Fredrik Vold"), without a leading "By".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub byline: Option<String>,
    /// When it was first published, as the page states it (ISO 8601 where the
    /// page gives machine-readable time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    /// [`Article::published`] read as a time, when the page states it in a
    /// form a machine can read (ISO 8601 / RFC 3339 as in JSON-LD
    /// `datePublished` and `article:published_time`, or RFC 2822). The
    /// adaptive schedule counts an article's age from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_at: Option<DateTime<Utc>>,
    /// When it was last modified, as the page states it. Pages re-stamp this
    /// freely, so it is kept for the record but never compared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified: Option<String>,
    /// The page's canonical address (`<link rel=canonical>`, `og:url`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canonical_url: Option<String>,
    /// The page's language tag (`<html lang>`, `og:locale`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// The body, in reading order.
    pub blocks: Vec<Block>,
}

/// The titles in a page's metadata, besides the visible headline. Each is
/// entity-decoded and normalised like body text; `None` when the page does
/// not state it. Newsrooms often change one and not the others (the SEO
/// title stays while the display headline is rewritten), so each is
/// compared on its own.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Titles {
    /// `<meta property="og:title">`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub og: Option<String>,
    /// The `headline` of the page's JSON-LD article entity (`Article`,
    /// `NewsArticle`, `BlogPosting`…; never a `WebSite`, `Organization` or
    /// `BreadcrumbList`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json_ld: Option<String>,
    /// The document's `<title>`, whole (site name included).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<String>,
}

/// One unit of the body: a paragraph, heading, list item, quote, caption or
/// preformatted passage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    /// What kind of block this is.
    pub kind: BlockKind,
    /// The block's text, normalised (see the module's invariants).
    pub text: String,
    /// The inline emphasis within `text`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub emphasis: Vec<Emphasis>,
}

/// The kinds of body block. Headings keep no level: a level change alone is
/// presentation, not an edit a reader would be told about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockKind {
    /// Running text.
    Paragraph,
    /// A section heading inside the body.
    Heading,
    /// One item of a bulleted or numbered list.
    ListItem,
    /// A block quotation.
    Quote,
    /// A figure or table caption.
    Caption,
    /// Preformatted text (code, tables flattened to text).
    Preformatted,
}

/// A range of a block's text set in one style.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Emphasis {
    /// Byte offset of the first emphasised character.
    pub start: usize,
    /// Byte offset just past the last emphasised character.
    pub end: usize,
    /// The style of the range.
    pub style: Style,
}

/// Inline emphasis styles that carry meaning in news pages: updates are
/// often set in bold, titles and notes in italic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Style {
    /// `<b>`, `<strong>`, or a bold font weight.
    Bold,
    /// `<i>`, `<em>`, or an italic font style.
    Italic,
}

/// A time as pages state it in their metadata: RFC 3339 (`2024-01-02T03:04:05Z`,
/// with or without fractions or the offset's colon), a date and time without
/// offset (read as UTC), a bare date (midnight UTC) or RFC 2822. `None` for
/// prose such as "April 25, 2024", which no machine-readable field holds.
pub fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Some(time.to_utc());
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%.f%z"] {
        if let Ok(time) = DateTime::parse_from_str(text, format) {
            return Some(time.to_utc());
        }
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
    ] {
        if let Ok(time) = NaiveDateTime::parse_from_str(text, format) {
            return Some(time.and_utc());
        }
    }
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return date.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
    }
    DateTime::parse_from_rfc2822(text).ok().map(|t| t.to_utc())
}

impl Article {
    /// A digest of everything a reader would call the article's content:
    /// headline, titles, byline and body with its emphasis. Metadata that
    /// pages re-stamp on every request (times, canonical URL) is left out,
    /// so a re-served or re-timestamped page has the same fingerprint.
    ///
    /// The titles count because a change to any of them is reported, and a
    /// check compares only when fingerprints differ. They are hashed only
    /// when known, so a version stored before they existed keeps the digest
    /// its file name holds. After an upgrade the new extraction's digest
    /// differs from the stored one; the comparison then leaves out what the
    /// old version did not know (see `diff::compare`), finds nothing, and
    /// the check stores the new version silently as its baseline: an
    /// upgrade never alerts.
    pub fn fingerprint(&self) -> Fingerprint {
        let mut hasher = blake3::Hasher::new();
        let mut field = |bytes: &[u8]| {
            // Length-prefixed so that moving text between fields changes the digest.
            hasher.update(&(bytes.len() as u64).to_le_bytes());
            hasher.update(bytes);
        };
        field(self.headline.as_deref().unwrap_or("").as_bytes());
        field(self.byline.as_deref().unwrap_or("").as_bytes());
        if let Some(titles) = &self.titles {
            // A marker first, so that known-but-empty titles differ from
            // unknown ones.
            field(b"titles");
            for title in [&titles.og, &titles.json_ld, &titles.document] {
                field(title.as_deref().unwrap_or("").as_bytes());
            }
        }
        for block in &self.blocks {
            field(block.kind.as_str().as_bytes());
            field(block.text.as_bytes());
            for e in &block.emphasis {
                field(&[e.style as u8]);
                field(&(e.start as u64).to_le_bytes());
                field(&(e.end as u64).to_le_bytes());
            }
        }
        Fingerprint(hasher.finalize().to_hex()[..32].to_string())
    }

    /// The number of words in the body, for summaries and plausibility checks.
    pub fn word_count(&self) -> usize {
        self.blocks
            .iter()
            .map(|b| b.text.split_whitespace().count())
            .sum()
    }

    /// The article as plain text: the headline (when there is one), then the
    /// body's blocks, separated by blank lines.
    pub fn to_text(&self) -> String {
        match &self.headline {
            Some(headline) if !self.blocks.is_empty() => {
                format!("{headline}\n\n{}", self.body_text())
            }
            Some(headline) => headline.clone(),
            None => self.body_text(),
        }
    }

    /// The body as plain text: blocks separated by blank lines.
    pub fn body_text(&self) -> String {
        let mut out = String::new();
        for (i, block) in self.blocks.iter().enumerate() {
            if i > 0 {
                out.push_str("\n\n");
            }
            out.push_str(&block.text);
        }
        out
    }
}

impl Block {
    /// A block of `kind` with `text` normalised and no emphasis.
    pub fn new(kind: BlockKind, text: &str) -> Self {
        Block {
            kind,
            text: normalize_text(text),
            emphasis: Vec::new(),
        }
    }

    /// The share (0.0–1.0) of this block's non-space characters that are set
    /// in `style`.
    pub fn emphasised_share(&self, style: Style) -> f64 {
        self.emphasised_share_in(0..self.text.len(), style)
    }

    /// The share (0.0–1.0) of the non-space characters in the byte range
    /// `range` of this block's text that are set in `style`. An empty or
    /// all-space range has a share of 0.
    pub fn emphasised_share_in(&self, range: std::ops::Range<usize>, style: Style) -> f64 {
        let spans: Vec<_> = self.emphasis.iter().filter(|e| e.style == style).collect();
        let (mut total, mut styled, mut next) = (0usize, 0usize, 0usize);
        for (offset, ch) in self.text[range.clone()].char_indices() {
            if ch.is_whitespace() {
                continue;
            }
            let at = range.start + offset;
            // Spans are sorted and disjoint, so one forward-moving cursor
            // finds the span that may cover `at`.
            while next < spans.len() && spans[next].end <= at {
                next += 1;
            }
            total += 1;
            if spans.get(next).is_some_and(|e| e.start <= at) {
                styled += 1;
            }
        }
        if total == 0 {
            0.0
        } else {
            styled as f64 / total as f64
        }
    }
}

impl BlockKind {
    /// The kind's name as written in snapshots and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            BlockKind::Paragraph => "paragraph",
            BlockKind::Heading => "heading",
            BlockKind::ListItem => "list_item",
            BlockKind::Quote => "quote",
            BlockKind::Caption => "caption",
            BlockKind::Preformatted => "preformatted",
        }
    }
}

/// The content digest of an [`Article`]: 32 hex digits of BLAKE3.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Fingerprint(pub String);

impl std::fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Normalises text so that differences a reader cannot see never count:
/// Unicode NFC; soft hyphens, zero-width spaces and joiners, BOMs and
/// control characters removed; every run of white space (including NBSP and
/// the other Unicode spaces) folded to one ASCII space; trimmed.
pub fn normalize_text(text: &str) -> String {
    // Most text is already in NFC (all of ASCII is): composing it again
    // would give the same characters at several times the cost, and the
    // anchor normalises every text node of a page at each check.
    if text.is_ascii() || is_nfc_quick(text.chars()) == IsNormalized::Yes {
        fold_text(text.chars(), text.len())
    } else {
        fold_text(text.nfc(), text.len())
    }
}

/// The folding of [`normalize_text`] over characters already in NFC.
fn fold_text(chars: impl Iterator<Item = char>, len: usize) -> String {
    let mut out = String::with_capacity(len);
    let mut pending_space = false;
    for ch in chars {
        match ch {
            '\u{00AD}' | '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' => {}
            c if c.is_whitespace() => pending_space = true,
            c if c.is_control() => {}
            c => {
                if pending_space && !out.is_empty() {
                    out.push(' ');
                }
                pending_space = false;
                out.push(c);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_already_composed_is_folded_as_composed_text_is() {
        for text in [
            "  plain\tascii\u{7}  text ",
            "caf\u{e9} \u{a0}na\u{ef}ve\u{ad}",
            "cafe\u{301} and \u{212b}ngstr\u{f6}m\u{200b}",
        ] {
            let composed: String = text.nfc().collect();
            assert_eq!(normalize_text(text), fold_text(text.nfc(), text.len()));
            assert_eq!(normalize_text(text), normalize_text(&composed));
        }
        assert_eq!(normalize_text("cafe\u{301}"), "caf\u{e9}");
    }

    fn article(titles: Option<Titles>) -> Article {
        Article {
            headline: Some("Rates rise".into()),
            titles,
            byline: Some("Ann Lee".into()),
            blocks: vec![Block::new(BlockKind::Paragraph, "The bank raised rates.")],
            ..Article::default()
        }
    }

    /// A version stored before titles were kept keeps the digest in its
    /// file name: an article without titles hashes exactly the bytes it
    /// hashed before titles existed, and this value pins that down.
    #[test]
    fn published_times_are_read_from_the_forms_pages_use() {
        let at = |text: &str| parse_time(text).map(|t| t.to_rfc3339());
        let cases = [
            ("2024-01-02T03:04:05Z", Some("2024-01-02T03:04:05+00:00")),
            (
                "2022-04-22T10:55:00+02:00",
                Some("2022-04-22T08:55:00+00:00"),
            ),
            (
                "2015-02-24T19:56:33.374Z",
                Some("2015-02-24T19:56:33.374+00:00"),
            ),
            (
                "2024-01-02T03:04:05+0100",
                Some("2024-01-02T02:04:05+00:00"),
            ),
            ("2024-01-02T03:04:05", Some("2024-01-02T03:04:05+00:00")),
            ("2024-01-02", Some("2024-01-02T00:00:00+00:00")),
            (
                "Tue, 02 Jan 2024 03:04:05 GMT",
                Some("2024-01-02T03:04:05+00:00"),
            ),
            ("April 25, 2024", None),
            ("", None),
        ];
        for (text, expected) in cases {
            assert_eq!(at(text).as_deref(), expected, "{text}");
        }
    }

    #[test]
    fn fingerprints_of_versions_without_titles_are_unchanged() {
        assert_eq!(
            article(None).fingerprint().0,
            "c40aec5f3254d3320899c41d0aec36e6"
        );
    }

    #[test]
    fn known_titles_count_in_the_fingerprint() {
        let known = article(Some(Titles::default()));
        assert_ne!(known.fingerprint(), article(None).fingerprint());
        let mut retitled = known.clone();
        retitled.titles = Some(Titles {
            og: Some("Rates rise again".into()),
            ..Titles::default()
        });
        assert_ne!(retitled.fingerprint(), known.fingerprint());
    }
}
