//! The prescreen: tells, without parsing, that a page is the one a full
//! extraction last read as far as its article goes, although its furniture
//! (ads, navigation, tickers, scripts) changed around it.
//!
//! A full extraction that read the article from one container records a
//! [`Region`]: the container's start tag as the page wrote it, and a digest
//! of everything extraction there reads — the container's bytes, the
//! parser's context entering it (the open elements' start tags and the
//! formatting elements left open, which the parser carries into it), the
//! text set directly in its ancestors, and every metadata source outside
//! it (`meta` and `headline`: the `<html>`, `<body>`, `<meta>`, `<link>`
//! and `<time>` tags, titles, doctypes, every `h1` with its ancestors and
//! the banner around it, JSON-LD, microdata and byline elements). A later
//! page with the same digest is answered "unchanged" by the check.
//!
//! Soundness comes first: a wrong "unchanged" is a lost alert, a wrong
//! "changed" costs one parse. So every doubt gives no answer — a markup
//! state this scanner does not follow (escaped scripts, SVG or MathML
//! breakouts, raw text in a select), a page `bounds` would cut, a start
//! tag seen twice, a container never closed — and a region is recorded
//! only once its bytes are proven to give the very subtree the page's
//! parse holds: its tokens nest into exactly that subtree, walked in
//! lockstep with it (`lockstep`, no second parse), or else a parse of its
//! bytes alone gives it. This module owns the [`Region`], when one is
//! recorded and the answer for a page; the walk that digests a page (and
//! finds the container's start tag in the same pass) is `region`'s. It is
//! pure: no I/O, no clock, and it must not judge what is article and what
//! is not.

use std::borrow::Cow;

use scraper::{ElementRef, Html};
use serde::{Deserialize, Serialize};

use super::region::Walk;
use super::{ExtractOptions, lockstep};

/// What a full extraction recorded for the prescreen, kept in the watch's
/// state with the page it was read from ([`Seen`](super::Seen)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Region {
    /// The container's start tag as the page wrote it: the page must hold
    /// it exactly once.
    pub start_tag: String,
    /// The digest of what extraction reads there (see the module's
    /// documentation).
    pub digest: String,
}

/// Whether `html` holds the region read when `region` was recorded,
/// unchanged with everything extraction reads beside it: the article
/// read from it is the one read then. `false` when unsure.
pub fn unchanged(html: &str, options: &ExtractOptions, region: &Region) -> bool {
    if !readable(options) {
        return false;
    }
    let mut walk = Walk::new(html, region.start_tag.as_bytes(), None);
    let same = walk
        .run()
        .and_then(|()| walk.finish())
        .is_some_and(|(digest, _)| digest == region.digest);
    // The page's bounds are read last: a changed region needs no second
    // pass over the page.
    // A page `bounds` cuts is not the page the parser would see.
    same && matches!(super::bound(html), Cow::Borrowed(_))
}

/// The region of `container`, an element of `page` parsed from `html`,
/// when the prescreen can answer for it later; `None` when unsure. The
/// caller parsed `html` whole: it drops the region of a page `bounds`
/// cut (which it knows without a second pass over the page).
pub(super) fn record(
    html: &str,
    container: ElementRef<'_>,
    options: &ExtractOptions,
) -> Option<Region> {
    if matches!(container.value().name(), "html" | "body" | "head") {
        return None;
    }
    // One walk finds the container's start tag (the only one whose
    // attributes are its) and digests the page around it.
    if !readable(options) {
        return None;
    }
    let mut walk = Walk::new(html, b"", Some(container));
    walk.run()?;
    let start_tag = walk.start_tag();
    let (digest, span) = walk.finish()?;
    // The naive end of the span must be the parser's: a stray end tag the
    // parser ignores (in a table cell) ends it early, and this says so.
    // The lockstep proves most containers without a second parse.
    let verified =
        lockstep::proven(html, span, container) || same_subtree(&html[span.0..span.1], container);
    verified.then(|| Region {
        start_tag: String::from_utf8_lossy(start_tag).into_owned(),
        digest,
    })
}

/// Whether the prescreen may read pages at all with `options`: a watch's
/// own selectors read the page in ways a region does not cover
/// (`:nth-child`, sibling combinators), so its pages are always parsed.
fn readable(options: &ExtractOptions) -> bool {
    options.selector.is_none() && options.ignore.is_empty()
}

/// Whether `span` alone, parsed as a fragment, is one element whose
/// subtree is `container`'s and which its own end tag closes (an element
/// after it is its sibling, not its child).
fn same_subtree(span: &str, container: ElementRef<'_>) -> bool {
    let fragment = Html::parse_fragment(&format!("{span}<span data-redline-probe></span>"));
    let children: Vec<_> = fragment.root_element().children().collect();
    let [first, probe] = children.as_slice() else {
        return false;
    };
    let closed =
        ElementRef::wrap(*probe).is_some_and(|p| p.value().attr("data-redline-probe").is_some());
    closed && ElementRef::wrap(*first).is_some_and(|first| first.html() == container.html())
}
