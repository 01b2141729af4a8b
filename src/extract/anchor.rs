//! Stable extraction across versions: a watch remembers where its article
//! was found, and later checks extract from the same place while it still
//! plausibly holds the article.
//!
//! A monitor has what an extractor does not: the previous version of the
//! same page. Detection alone weighs the whole page every time, so an ad
//! block inserted in the page's header or a promo set beside the article
//! can move its boundary and read as an edit. An [`Anchor`] names the
//! container the article was found in (its path of tags, ids and classes
//! from `<body>`) and sketches its text. The next extraction finds that
//! container again and runs the same detection inside it only, so that
//! furniture around it cannot enter. Inside it, a block element of a kind
//! the container never held whose text is new (a promo set beside the
//! paragraphs, a widget) is left out too: the anchor remembers the kinds
//! of block the container held and hashes of the text it held last time.
//! When the container is gone, or what
//! it now holds shares too little text with the previous version or has a
//! very different size, detection runs on the whole page afresh and the
//! result says why ([`Fallback`]).
//!
//! This module reuses detection as it is (`detect`, through the module's
//! `article_of`) and must not score nodes itself. It is pure: the caller
//! keeps the anchor between checks and logs the fallbacks.

use std::collections::{HashMap, HashSet};

use ego_tree::NodeId;
use scraper::{ElementRef, Html};
use serde::{Deserialize, Serialize};

use super::prescreen::{self, Region};
use super::{ExtractError, ExtractOptions, article_of, dom, sketch};
use crate::article::Article;

/// How many shingle hashes an anchor's text sketch keeps.
const SKETCH: usize = 64;

/// The least share of the previous version's sketch the container's text
/// must still hold: most of an article survives any real revision.
const MIN_SHARED: f64 = 0.7;

/// The bounds of the container's new size as a multiple of the previous
/// one: beyond them it holds something else (a collapsed teaser, a whole
/// new page section).
const SIZE_BOUNDS: (f64, f64) = (0.5, 3.0);

/// The least path similarity for an element to be tried as the container.
const MIN_PATH: f64 = 0.4;

/// How many of the most similar elements are tried as the container.
const TRIES: usize = 3;

/// Text nodes shorter than this (in bytes, normalised) do not locate the
/// article: "Share" or "News" occur anywhere.
const LOCATING_TEXT: usize = 20;

/// The share of the located article text the container must hold.
const HOLDS: f64 = 0.9;

/// How many kinds of block element an anchor remembers: a container
/// holding more kinds is remembered without them, and nothing in it is
/// left out as unfamiliar.
const MAX_KINDS: usize = 256;

/// How many hashes of its text runs an anchor keeps: the smallest ones,
/// so that a longer text is still known exactly below the largest kept.
const MAX_RUNS: usize = 512;

/// How many ancestors above the located container are tried when
/// detection inside it does not give the page's result.
const CLIMBS: usize = 3;

/// Where a watch's article was found on its page, kept in the watch's
/// state between checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Anchor {
    /// The container's path below `<body>`, outermost first; its last step
    /// is the container itself. Empty when the container is the body.
    pub path: Vec<Step>,
    /// A sketch of the article's text: the smallest hashes (FNV-1a, stable
    /// across builds) of its three-word shingles, sorted.
    pub sketch: Vec<u64>,
    /// The body's length in characters.
    pub chars: usize,
    /// The kinds of block element (tag and classes) the container held, at
    /// any depth, when the article was first found there; `None` when they
    /// were not remembered (an anchor stored before they were, or more
    /// than [`MAX_KINDS`] of them), and the next check learns them from its
    /// page. A block element unlike all of them whose text is new
    /// is furniture set beside the article (a promo, a widget) and is left
    /// out, so that it cannot move the article's boundary; new paragraphs
    /// are like the old ones and stay.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kinds: Option<Vec<Step>>,
    /// What text the container held in the previous version: the smallest
    /// hashes (32-bit FNV-1a) of its normalised text runs long enough to
    /// locate (see [`LOCATING_TEXT`]), sorted. An element whose text holds
    /// one of them is old content, whatever new wrapper or class it has.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub runs: Vec<u32>,
    /// The page this anchor was made from and what was read from it, when
    /// the check recorded them (extraction itself never does): the same
    /// page read the same way gives the same article, so the next check
    /// can answer it without parsing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seen: Option<Seen>,
}

/// The page an anchor was made from, and the article read from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seen {
    /// A digest of the page's text and of how it was read (the check's
    /// `page_digest`).
    pub page: String,
    /// The fingerprint of the article read from it.
    pub fingerprint: String,
    /// Its article's region, for the prescreen: a later page whose region
    /// is the same is this article again, whatever changed around it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<Region>,
}

/// One element of an anchor's path.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Step {
    /// Its local name.
    pub tag: String,
    /// Its `id`, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Its classes, sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub classes: Vec<String>,
    /// Its place among its parent's children of the same tag, from 0.
    pub nth: usize,
}

/// An extraction and where it was made.
#[derive(Debug, Clone)]
pub struct Anchored {
    /// The article.
    pub article: Article,
    /// Where the article was found, for the next extraction; `None` when it
    /// cannot be pinned to one container (a watch's selector, a body taken
    /// from JSON-LD).
    pub anchor: Option<Anchor>,
    /// Why the anchor given was not used, when it was not.
    pub fallback: Option<Fallback>,
    /// The article's region for the prescreen, when the container read
    /// holds all of it and the next check would read it from there again
    /// (see `prescreen_unchanged`).
    pub region: Option<Region>,
}

/// Why an extraction detected the article afresh instead of reading it
/// where the previous version's was.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Fallback {
    /// No element of the page resembles the container any more.
    #[error("the article's container is gone from the page")]
    Gone,
    /// The container is there but no longer holds the article.
    #[error("the article's container no longer holds the article: {0}")]
    Implausible(String),
}

/// Extracts the article, from where `anchor` says the previous version's
/// was when it still plausibly holds it, else by detection on the whole
/// page; and returns the anchor for the next extraction.
///
/// # Errors
///
/// As [`super::extract`], for the page's fresh extraction.
pub fn extract_at(
    html: &str,
    options: &ExtractOptions,
    anchor: Option<&Anchor>,
) -> Result<Anchored, ExtractError> {
    // Bounded as `extract` bounds it: a hostile page costs no more here.
    let bounded = super::bound(html);
    // A page the bounds cut is not the one the prescreen reads: no region.
    let whole = matches!(bounded, std::borrow::Cow::Borrowed(_));
    let page = Html::parse_document(&bounded);
    if options.selector.is_some() {
        // A watch's selector is its own anchor.
        let article = article_of(&page, options, HashSet::new())?;
        return Ok(Anchored {
            article,
            anchor: None,
            fallback: None,
            region: None,
        });
    }
    let fallback = match anchor.map(|a| at_anchor(html, &page, options, a)) {
        Some(Ok(anchored)) => {
            let region = anchored.region.filter(|_| whole);
            return Ok(Anchored { region, ..anchored });
        }
        Some(Err(why)) => Some(why),
        None => None,
    };
    let article = article_of(&page, options, HashSet::new())?;
    let located = locate(&page, options, &article);
    // A first sighting is read at its container by the next check (which
    // `locate` tried); after a fallback the next check may fall back again.
    let region = match &located {
        Some((_, container)) if fallback.is_none() && whole => {
            prescreen::record(html, *container, options)
        }
        _ => None,
    };
    Ok(Anchored {
        article,
        anchor: located.map(|(anchor, _)| anchor),
        fallback,
        region,
    })
}

/// The extraction inside the container `anchor` names, when one of the
/// page's elements resembles it and plausibly holds the article.
fn at_anchor(
    html: &str,
    page: &Html,
    options: &ExtractOptions,
    anchor: &Anchor,
) -> Result<Anchored, Fallback> {
    let candidates = find(page, anchor);
    let mut why = Fallback::Gone;
    for (tried, container) in candidates.into_iter().enumerate() {
        // The kinds stay those of the first sighting: what was left out as
        // unfamiliar must stay so.
        let kinds = anchor.kinds.clone().or_else(|| kinds_of(container));
        let left_out = kinds
            .as_deref()
            .map(|kinds| unfamiliar(container, kinds, &anchor.runs))
            .unwrap_or_default();
        let mut outside = outside_of(container);
        outside.extend(left_out.iter().copied());
        let reason = match article_of(page, options, outside) {
            Ok(article) => match unchanged_or_plausible(anchor, &article) {
                Ok(shingles) => {
                    let same = shingles.is_none();
                    // What was left out is no part of the text the next
                    // version is compared with: it stays new.
                    let shingles = shingles.unwrap_or_default();
                    let mut next = anchor_of(container, &article, shingles, &left_out, kinds);
                    if same {
                        next.sketch.clone_from(&anchor.sketch);
                    }
                    // Only the most similar element, with nothing left out
                    // as unfamiliar, is read the same way by the next check.
                    let region = (tried == 0 && left_out.is_empty())
                        .then(|| prescreen::record(html, container, options))
                        .flatten();
                    return Ok(Anchored {
                        anchor: Some(next),
                        article,
                        fallback: None,
                        region,
                    });
                }
                Err(reason) => reason,
            },
            Err(e) => e.to_string(),
        };
        // The most similar element's reason is the one worth telling.
        if why == Fallback::Gone {
            why = Fallback::Implausible(reason);
        }
    }
    Err(why)
}

/// The elements most like the anchor's container: the few most alike in
/// their path, the one holding most of the sketched text first (a page's
/// sections often share one template), then by path.
fn find<'a>(page: &'a Html, anchor: &Anchor) -> Vec<ElementRef<'a>> {
    let body = dom::body_of(page);
    // An anchor at the body itself (see `locate`) finds it on any page.
    let Some(last) = anchor.path.last() else {
        return vec![body];
    };
    let mut scored: Vec<(f64, ElementRef<'a>)> = body
        .descendent_elements()
        .filter(|e| e.value().name() == last.tag)
        .map(|e| (path_similarity(&anchor.path, e, body.id()), e))
        .filter(|(score, _)| *score >= MIN_PATH)
        .collect();
    // Stable: among equals, the first in the document.
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    scored.truncate(TRIES);
    // One element needs no ranking, nor its text hashed for it.
    if scored.len() < 2 {
        return scored.into_iter().map(|(_, e)| e).collect();
    }
    let mut ranked: Vec<(f64, f64, ElementRef<'a>)> = scored
        .into_iter()
        .map(|(path, e)| {
            let words: Vec<_> = e.text().flat_map(sketch::words_of).collect();
            (
                sketch::shared(&anchor.sketch, &sketch::shingles_of(&words)),
                path,
                e,
            )
        })
        .collect();
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.1.total_cmp(&a.1)));
    ranked.into_iter().map(|(_, _, e)| e).collect()
}

/// How much `element`'s path below `body` resembles `path`, from 0 to 1,
/// compared from the container up: a page that changed above the article
/// loses little, and a wrapper inserted on the way costs only the levels
/// above it.
fn path_similarity(path: &[Step], element: ElementRef<'_>, body: NodeId) -> f64 {
    let ancestors = std::iter::once(element).chain(
        element
            .ancestors()
            .filter_map(ElementRef::wrap)
            .take_while(|a| a.id() != body),
    );
    let mut depth = 0;
    let mut sum = 0.0;
    let mut steps = path.iter().rev();
    for ancestor in ancestors {
        depth += 1;
        if let Some(step) = steps.next() {
            sum += step_similarity(step, ancestor);
        }
    }
    sum / depth.max(path.len()) as f64
}

/// How much an element resembles one step of a path: its tag must match;
/// its id, classes and place add to it.
fn step_similarity(step: &Step, element: ElementRef<'_>) -> f64 {
    let value = element.value();
    if value.name() != step.tag {
        return 0.0;
    }
    let id = f64::from(u8::from(value.id() == step.id.as_deref()));
    let classes: HashSet<&str> = value.classes().collect();
    let common = step
        .classes
        .iter()
        .filter(|c| classes.contains(c.as_str()))
        .count();
    let union = step.classes.len() + classes.len() - common;
    let class = if union == 0 {
        1.0
    } else {
        common as f64 / union as f64
    };
    let place = f64::from(u8::from(nth_of(element) == step.nth));
    0.4 + 0.25 * id + 0.25 * class + 0.1 * place
}

/// The element's place among its parent's children of the same tag.
fn nth_of(element: ElementRef<'_>) -> usize {
    let tag = element.value().name();
    element
        .prev_siblings()
        .filter_map(ElementRef::wrap)
        .filter(|s| s.value().name() == tag)
        .count()
}

/// Every element outside `container`'s subtree that detection would walk:
/// the other children of each of its ancestors up to `<body>`.
fn outside_of(container: ElementRef<'_>) -> HashSet<NodeId> {
    let mut outside = HashSet::new();
    let mut on_path = container.id();
    for ancestor in container.ancestors().filter_map(ElementRef::wrap) {
        outside.extend(
            ancestor
                .child_elements()
                .map(|c| c.id())
                .filter(|&id| id != on_path),
        );
        if ancestor.value().name() == "body" {
            break;
        }
        on_path = ancestor.id();
    }
    outside
}

/// The block elements inside `container` that are furniture new to it:
/// each of a kind unlike all of `kinds` and holding text none of which is
/// in `runs`, outermost only. A bare element resembles any of its tag
/// (content typed into the article comes bare); an element with classes
/// resembles a kind of its tag with at least half of their classes in
/// common. Old text under a new wrapper or a new class is not furniture:
/// pages restyle their articles.
fn unfamiliar(container: ElementRef<'_>, kinds: &[Step], runs: &[u32]) -> HashSet<NodeId> {
    let mut found = HashSet::new();
    let mut stack: Vec<ElementRef<'_>> = container.child_elements().collect();
    while let Some(element) = stack.pop() {
        let value = element.value();
        if is_block(value.name()) && !familiar(element, kinds) && is_new(element, runs) {
            found.insert(element.id());
            continue;
        }
        stack.extend(element.child_elements());
    }
    found
}

/// Whether an element resembles one of `kinds` (see [`unfamiliar`]).
fn familiar(element: ElementRef<'_>, kinds: &[Step]) -> bool {
    let value = element.value();
    let classes: HashSet<&str> = value.classes().collect();
    if classes.is_empty() {
        return true;
    }
    kinds.iter().any(|k| {
        let common = k
            .classes
            .iter()
            .filter(|c| classes.contains(c.as_str()))
            .count();
        let union = k.classes.len() + classes.len() - common;
        k.tag == value.name() && common * 2 >= union
    })
}

/// Whether the text of `element` is certainly new: it has runs whose
/// hashes fall where `runs` is complete, and none of them is there. Runs
/// hashed above the largest kept could be old, and decide nothing.
fn is_new(element: ElementRef<'_>, runs: &[u32]) -> bool {
    let complete_below = if runs.len() < MAX_RUNS {
        u32::MAX
    } else {
        runs.last().copied().unwrap_or(u32::MAX)
    };
    let mut judged = false;
    for hash in run_hashes(element) {
        if hash <= complete_below {
            if runs.binary_search(&hash).is_ok() {
                return false;
            }
            judged = true;
        }
    }
    judged
}

/// The hashes of the normalised text runs under `element` long enough to
/// locate text by.
fn run_hashes(element: ElementRef<'_>) -> impl Iterator<Item = u32> + '_ {
    element.text().filter_map(|text| {
        let text = crate::article::normalize_text(text);
        (text.len() >= LOCATING_TEXT).then(|| sketch::fnv1a32(text.as_bytes()))
    })
}

/// The kinds of block element with classes inside `container`, each once;
/// `None` past [`MAX_KINDS`].
fn kinds_of(container: ElementRef<'_>) -> Option<Vec<Step>> {
    let mut kinds: Vec<Step> = Vec::new();
    for element in container.descendent_elements().skip(1) {
        let value = element.value();
        if !is_block(value.name()) || value.classes().next().is_none() {
            continue;
        }
        let step = step_of(element, 0);
        if !kinds
            .iter()
            .any(|k| k.tag == step.tag && k.classes == step.classes)
        {
            if kinds.len() == MAX_KINDS {
                return None;
            }
            kinds.push(Step { id: None, ..step });
        }
    }
    Some(kinds)
}

/// The `MAX_RUNS` smallest hashes of the text runs inside `container`,
/// outside the elements `left_out`, sorted.
fn runs_of(container: ElementRef<'_>, left_out: &HashSet<NodeId>) -> Vec<u32> {
    let mut runs: Vec<u32> = Vec::new();
    let mut stack = vec![container];
    while let Some(element) = stack.pop() {
        for child in element.children() {
            if let Some(text) = child.value().as_text() {
                let text = crate::article::normalize_text(text);
                if text.len() >= LOCATING_TEXT {
                    runs.push(sketch::fnv1a32(text.as_bytes()));
                }
            } else if let Some(inner) = ElementRef::wrap(child)
                && !left_out.contains(&inner.id())
            {
                stack.push(inner);
            }
        }
    }
    runs.sort_unstable();
    runs.dedup();
    runs.truncate(MAX_RUNS);
    runs
}

/// Whether elements of this tag hold blocks rather than text: the ones a
/// widget or a promo comes as.
fn is_block(tag: &str) -> bool {
    matches!(
        tag,
        "div"
            | "section"
            | "article"
            | "aside"
            | "figure"
            | "form"
            | "table"
            | "ul"
            | "ol"
            | "dl"
            | "header"
            | "footer"
            | "nav"
            | "details"
            | "main"
    )
}

/// [`plausible`], and the article's shingle hashes; `None` for them when
/// the article is the very one the anchor was made from (the fingerprint
/// the check recorded in [`Anchor::seen`]): it holds all of the sketch at
/// the same size, and its sketch is the anchor's, so its text is not
/// hashed again.
fn unchanged_or_plausible(anchor: &Anchor, article: &Article) -> Result<Option<Vec<u64>>, String> {
    let same = anchor
        .seen
        .as_ref()
        .is_some_and(|seen| seen.fingerprint == article.fingerprint().0)
        && chars(article) == anchor.chars;
    if same {
        return Ok(None);
    }
    // Hashed once: both the test and the next anchor's sketch need them.
    plausible(anchor, article, sketch::shingles(article)).map(Some)
}

/// Whether the article read inside the container is plausibly the one the
/// anchor sketched: most of its text shared, its size within bounds. The
/// article's `shingles` are handed back when it is.
fn plausible(anchor: &Anchor, article: &Article, shingles: Vec<u64>) -> Result<Vec<u64>, String> {
    if !anchor.sketch.is_empty() {
        let shared = sketch::shared(&anchor.sketch, &shingles);
        if shared < MIN_SHARED {
            return Err(format!(
                "it shares {:.0}% of the previous version's text",
                shared * 100.0
            ));
        }
    }
    let ratio = chars(article) as f64 / anchor.chars.max(1) as f64;
    if ratio < SIZE_BOUNDS.0 || ratio > SIZE_BOUNDS.1 {
        return Err(format!("its text is {ratio:.2} times as long as before"));
    }
    Ok(shingles)
}

/// The anchor of `article` (whose shingle hashes are `shingles`) found in
/// `container`, whose elements `left_out` were not read, with the
/// container's `kinds`.
fn anchor_of(
    container: ElementRef<'_>,
    article: &Article,
    shingles: Vec<u64>,
    left_out: &HashSet<NodeId>,
    kinds: Option<Vec<Step>>,
) -> Anchor {
    let mut path: Vec<Step> = std::iter::once(container)
        .chain(container.ancestors().filter_map(ElementRef::wrap))
        .take_while(|e| !matches!(e.value().name(), "body" | "html"))
        .map(|e| step_of(e, nth_of(e)))
        .collect();
    path.reverse();
    Anchor {
        path,
        sketch: sketch::smallest(shingles, SKETCH),
        chars: chars(article),
        kinds,
        runs: runs_of(container, left_out),
        seen: None,
    }
}

/// The step an element makes, at place `nth`.
fn step_of(element: ElementRef<'_>, nth: usize) -> Step {
    let value = element.value();
    let mut classes: Vec<String> = value.classes().map(str::to_string).collect();
    classes.sort();
    Step {
        tag: value.name().to_string(),
        id: value.id().map(str::to_string),
        classes,
        nth,
    }
}

/// The container of a freshly detected article: the deepest element that
/// holds nearly all of the page text the body was made of, moved up while
/// detection inside it does not give the same body, and the body itself
/// when no element below it does. `None` when the body is not the page's
/// text (a JSON-LD stand-in).
fn locate<'a>(
    page: &'a Html,
    options: &ExtractOptions,
    article: &Article,
) -> Option<(Anchor, ElementRef<'a>)> {
    let body_text = article.body_text();
    let body = dom::body_of(page);
    let mut held: HashMap<NodeId, usize> = HashMap::new();
    let mut total = 0;
    for node in body.descendants() {
        let Some(text) = node.value().as_text() else {
            continue;
        };
        let text = crate::article::normalize_text(text);
        if text.len() < LOCATING_TEXT || !body_text.contains(&text) {
            continue;
        }
        total += text.len();
        for ancestor in node.ancestors() {
            *held.entry(ancestor.id()).or_default() += text.len();
        }
    }
    if total * 2 < body_text.len() {
        return None;
    }
    let holds =
        |e: &ElementRef<'_>| held.get(&e.id()).copied().unwrap_or(0) as f64 >= HOLDS * total as f64;
    let mut container = body;
    while let Some(child) = container.child_elements().find(holds) {
        container = child;
    }
    // A body that is one paragraph grows by paragraphs beside it: its
    // container is the paragraph's parent.
    while is_text_level(container.value().name()) {
        container = container.parent().and_then(ElementRef::wrap)?;
    }
    for _ in 0..=CLIMBS {
        if container.id() == body.id() {
            break;
        }
        let inside = article_of(page, options, outside_of(container));
        if inside.is_ok_and(|a| a.blocks == article.blocks) {
            let kinds = kinds_of(container);
            let shingles = sketch::shingles(article);
            let anchor = anchor_of(container, article, shingles, &HashSet::new(), kinds);
            return Some((anchor, container));
        }
        container = container.parent().and_then(ElementRef::wrap)?;
    }
    // Detection over the whole body is the page's own: when no element
    // below it gives the same article (a lead taken from the page's
    // header, a line from its far end), the body is the container, and new
    // furniture anywhere on the page is left out.
    let kinds = kinds_of(body);
    let shingles = sketch::shingles(article);
    let anchor = anchor_of(body, article, shingles, &HashSet::new(), kinds);
    Some((anchor, body))
}

/// Whether elements of this tag hold text rather than blocks of it.
fn is_text_level(tag: &str) -> bool {
    matches!(
        tag,
        "p" | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "li"
            | "blockquote"
            | "pre"
            | "span"
            | "a"
            | "b"
            | "strong"
            | "em"
            | "i"
            | "font"
            | "td"
            | "dd"
            | "figcaption"
    )
}

/// The body's length in characters.
fn chars(article: &Article) -> usize {
    article.blocks.iter().map(|b| b.text.chars().count()).sum()
}
