//! Automatic main-content detection: which part of a page is the article.
//!
//! Paragraph-like blocks earn their ancestors a score for their length and
//! commas; containers are weighted by their tag, class and id hints and by
//! how much of their text is links. The best container, its qualifying
//! siblings, and then a clean-up of link lists, image galleries and forms
//! inside it make the body. This module decides *what* is article; it must
//! not render text (that is `blocks`) nor read metadata.

use super::dom::{Chrome, Dom, Role};
use super::stats::{PageStats, Stats};
use super::{furniture, items, lead};

/// How far detection may go in removing things, loosened step by step when
/// a strict pass finds too little text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Strictness {
    /// The chrome hints honoured: `Weak` honours all, `Strong` only the
    /// strong ones, `No` none.
    pub chrome: Chrome,
    /// Whether class and id hints weigh candidates.
    pub weigh_classes: bool,
    /// Whether link lists, galleries and forms inside the body are removed.
    pub clean: bool,
}

/// The part of the page chosen as the article: subtrees to render, in order,
/// and the nodes inside them to leave out.
#[derive(Debug)]
pub(crate) struct Selection {
    /// Roots of the chosen subtrees, in document order.
    pub roots: Vec<usize>,
    /// Per node: whether to leave it out with its subtree.
    pub skip: Vec<bool>,
}

/// Chooses the article in `dom`, whose statistics are `page`.
pub(crate) fn select(dom: &Dom<'_>, page: &PageStats, strictness: Strictness) -> Selection {
    let (scores, points) = score_candidates(dom, page, strictness);
    let mut roots = match best_candidate(dom, &scores) {
        Some(top) => with_siblings(dom, page, &scores, &points, top),
        None => vec![0],
    };
    if let Some(lead) = lead_before(dom, page, roots[0]) {
        roots.insert(0, lead);
    }
    let mut skip = vec![false; dom.nodes.len()];
    for &root in &roots {
        mark_skips(dom, page, &scores, root, strictness, &mut skip);
        if strictness.clean {
            furniture::mark(dom, page, root, &mut skip);
        }
    }
    items::include(dom, &mut roots, &mut skip);
    Selection { roots, skip }
}

/// The container most likely to hold the article, before siblings and
/// clean-up.
pub(crate) fn top_candidate(
    dom: &Dom<'_>,
    page: &PageStats,
    strictness: Strictness,
) -> Option<usize> {
    let (scores, _) = score_candidates(dom, page, strictness);
    best_candidate(dom, &scores)
}

/// Content scores of candidate containers (0 for non-candidates), already
/// multiplied by their share of non-link text; and the points their
/// paragraphs alone earned them.
fn score_candidates(
    dom: &Dom<'_>,
    page: &PageStats,
    strictness: Strictness,
) -> (Vec<f64>, Vec<f64>) {
    let n = dom.nodes.len();
    let mut raw = vec![0.0f64; n];
    let mut earned = vec![0.0f64; n];
    let mut initialised = vec![false; n];
    for i in 0..n {
        let Some(role) = dom.role(i) else { continue };
        let s = &page.stats[i];
        if page.context[i].in_chrome || s.direct_chars < 25 {
            continue;
        }
        let first = match role {
            Role::Para | Role::Pre | Role::Quote => parent(dom, i),
            // A container's own text is an implicit paragraph inside it.
            Role::Container => Some(i),
            _ => continue,
        };
        let points =
            1.0 + f64::from(s.direct_commas) + (f64::from(s.direct_chars) / 85.0).floor().min(3.0);
        let mut at = first;
        let mut level = 0u8;
        while level < 5 {
            let Some(a) = at else { break };
            if !initialised[a] {
                initialised[a] = true;
                raw[a] = initial_score(dom, a, strictness);
            }
            let divider = match level {
                0 => 1.0,
                1 => 2.0,
                l => f64::from(l) * 3.0,
            };
            raw[a] += points / divider;
            earned[a] += points / divider;
            // A wrapper around a single text-bearing child is the same
            // container twice over: it shares the child's level, so that
            // layouts nesting paragraphs ten wrappers deep score as flat
            // ones do.
            let s = &page.stats[a];
            if !(s.text_children == 1 && s.direct_chars == 0) {
                level += 1;
            }
            at = parent(dom, a);
        }
    }
    for (i, score) in raw.iter_mut().enumerate() {
        if initialised[i] {
            *score *= 1.0 - page.stats[i].link_density();
        }
    }
    (raw, earned)
}

/// The score a container starts with, before its paragraphs add to it.
fn initial_score(dom: &Dom<'_>, index: usize, strictness: Strictness) -> f64 {
    let base = match dom.tag(index) {
        "div" | "article" | "main" | "section" => 5.0,
        "pre" | "td" | "blockquote" => 3.0,
        "address" | "ol" | "ul" | "dl" | "dd" | "dt" | "li" | "form" => -3.0,
        "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "th" => -5.0,
        _ => 0.0,
    };
    let node = &dom.nodes[index];
    let weight = if strictness.weigh_classes {
        dom.class_weight(index)
    } else {
        0.0
    };
    let semantic = if node.semantic { 10.0 } else { 0.0 };
    base + weight + semantic
}

fn parent(dom: &Dom<'_>, index: usize) -> Option<usize> {
    (index != 0).then(|| dom.nodes[index].parent as usize)
}

/// The best-scoring container, moved up the tree when its ancestors hold
/// more of the article than it does.
fn best_candidate(dom: &Dom<'_>, scores: &[f64]) -> Option<usize> {
    let mut ranked: Vec<usize> = (0..scores.len()).filter(|&i| scores[i] > 0.0).collect();
    ranked.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let mut top = *ranked.first()?;
    let best = scores[top];
    // Several near-equal candidates that share an ancestor are parts of one
    // article split into sections: take the ancestor.
    let close: Vec<usize> = ranked
        .iter()
        .skip(1)
        .take(4)
        .copied()
        .filter(|&c| scores[c] >= best * 0.75)
        .collect();
    if close.len() >= 2 {
        let mut ancestor = parent(dom, top);
        while let Some(a) = ancestor {
            if a == 0 {
                break;
            }
            let end = dom.nodes[a].end as usize;
            let inside = close.iter().filter(|&&c| c > a && c < end).count();
            if inside >= 2 {
                top = a;
                break;
            }
            ancestor = parent(dom, a);
        }
    }
    // Climb while a parent scores better than the child's last ancestor did.
    let mut last = scores[top];
    let mut ancestor = parent(dom, top);
    while let Some(a) = ancestor {
        if a == 0 {
            break;
        }
        if scores[a] > 0.0 {
            if scores[a] < last / 3.0 {
                break;
            }
            if scores[a] > last {
                top = a;
                break;
            }
            last = scores[a];
        }
        ancestor = parent(dom, a);
    }
    // A lone child says nothing its parent does not.
    while let Some(p) = parent(dom, top) {
        if p == 0 || dom.children(p).filter(|&c| dom.role(c).is_some()).count() != 1 {
            break;
        }
        top = p;
    }
    Some(top)
}

/// The top candidate and those of its siblings that look like more of the
/// same article.
fn with_siblings(
    dom: &Dom<'_>,
    page: &PageStats,
    scores: &[f64],
    points: &[f64],
    top: usize,
) -> Vec<usize> {
    let Some(p) = parent(dom, top) else {
        return vec![top];
    };
    let threshold = (scores[top] * 0.2).max(10.0);
    let top_hints = &dom.nodes[top].hints;
    let mut roots = Vec::new();
    for sibling in dom.children(p) {
        if sibling == top {
            roots.push(sibling);
            continue;
        }
        let Some(role) = dom.role(sibling) else {
            continue;
        };
        if page.context[sibling].in_chrome {
            continue;
        }
        let s: &Stats = &page.stats[sibling];
        let mut bonus = 0.0;
        if !top_hints.is_empty() && dom.nodes[sibling].hints == *top_hints {
            bonus = scores[top] * 0.2;
        }
        // Class words alone do not make a sibling part of the article: it
        // must hold prose of its own.
        let keep = if points[sibling] >= 5.0 && scores[sibling] + bonus >= threshold {
            true
        } else if role == Role::Para {
            let density = s.link_density();
            (s.chars > 70 && density < 0.25)
                || (s.chars > 0 && s.chars <= 70 && density == 0.0 && ends_sentence(dom, sibling))
        } else {
            false
        };
        if keep {
            roots.push(sibling);
        }
    }
    roots
}

/// How many ancestors of the body are searched for its lead.
const LEAD_LEVELS: usize = 4;

/// The lead paragraph of the article whose body starts at `first`: an
/// element just before the body, within a few ancestors of it, whose class
/// calls it the lead, intro, abstract or summary. Article templates often
/// set the lead in the article's header, apart from the body's container,
/// where it would otherwise be lost; it is prose the reader sees first.
fn lead_before(dom: &Dom<'_>, page: &PageStats, first: usize) -> Option<usize> {
    let mut ancestor = first;
    for _ in 0..LEAD_LEVELS {
        ancestor = parent(dom, ancestor).filter(|&p| p != 0)?;
        // The nearest lead before the body wins; one that holds another
        // lead (a header holding the intro) gives way to the inner one.
        let lead = (ancestor + 1..first)
            .rev()
            .find(|&i| dom.nodes[i].end as usize <= first && is_lead(dom, page, i));
        if lead.is_some() {
            return lead;
        }
    }
    None
}

/// Whether the element at `index` is marked as a lead and holds prose.
fn is_lead(dom: &Dom<'_>, page: &PageStats, index: usize) -> bool {
    let role = dom.role(index);
    if !matches!(role, Some(Role::Para | Role::Container | Role::Heading(_))) {
        return false;
    }
    // The statistics first, outside chrome: most elements fail on them,
    // and they cost less than the class words.
    let in_chrome = page.context[index].in_chrome;
    let s = &page.stats[index];
    if !in_chrome && !lead_sized(s.chars, s.link_chars) {
        return false;
    }
    if !dom.is_lead_hint(index) {
        return false;
    }
    // A lead set in the article's header counts although the header is
    // weakly marked chrome: it is measured from the page's text.
    if in_chrome
        && !lead::counts(dom, page, index).is_some_and(|(chars, links)| lead_sized(chars, links))
    {
        return false;
    }
    // A container marked as a summary must read as prose: a market
    // summary's quotes do not end a sentence.
    role != Some(Role::Container) || ends_sentence(dom, index)
}

/// Whether a lead's visible and link characters fit a lead: a sentence
/// or a short paragraph, mostly not links.
fn lead_sized(chars: u32, links: u32) -> bool {
    (40..=1500).contains(&chars) && f64::from(links) < f64::from(chars) * 0.25
}

/// Whether the last text in a subtree ends a sentence.
fn ends_sentence(dom: &Dom<'_>, index: usize) -> bool {
    let end = dom.nodes[index].end as usize;
    (index..end).rev().find_map(|i| match dom.nodes[i].kind {
        super::dom::Kind::Text(t, _) if !t.trim().is_empty() => {
            Some(t.trim_end().ends_with(['.', '!', '?', '"', '”']))
        }
        _ => None,
    }) == Some(true)
}

/// Marks what to leave out inside the chosen subtree at `root`: chrome,
/// the page's title heading, and containers that are link lists, galleries or
/// forms rather than prose.
fn mark_skips(
    dom: &Dom<'_>,
    page: &PageStats,
    scores: &[f64],
    root: usize,
    strictness: Strictness,
    skip: &mut [bool],
) {
    let end = dom.nodes[root].end as usize;
    let root_chars = page.stats[root].chars;
    let body_start = lead::body_start(dom, page, root);
    // One lead is kept from weak chrome before the body (the standfirst
    // in the article's header); the rest of that chrome goes.
    let mut lead_kept = false;
    let mut i = root;
    while i < end {
        if page.context[i].in_chrome && !lead_kept {
            match lead::inside_chrome(dom, i, body_start, |j| is_lead(dom, page, j)) {
                Some(lead) if lead == i => {
                    lead_kept = true;
                    i = dom.nodes[i].end as usize;
                    continue;
                }
                Some(_) => {
                    i += 1;
                    continue;
                }
                None => {}
            }
        }
        // Clean-up removes asides within the article, never most of it.
        let drop = page.context[i].in_chrome
            || (i != root
                && page.stats[i].chars * 2 <= root_chars
                && drop_element(dom, page, scores, i, strictness));
        if drop {
            skip[i] = true;
            i = dom.nodes[i].end as usize;
        } else {
            i += 1;
        }
    }
}

/// Whether an element inside the body is not prose.
fn drop_element(
    dom: &Dom<'_>,
    page: &PageStats,
    scores: &[f64],
    i: usize,
    strictness: Strictness,
) -> bool {
    let Some(role) = dom.role(i) else {
        return false;
    };
    let s = &page.stats[i];
    let weight = if strictness.weigh_classes {
        dom.class_weight(i)
    } else {
        0.0
    };
    if let Role::Heading(level) = role {
        // The page's one `h1` is its title, kept as the headline, whatever
        // small differences it has from the title in the metadata.
        if level == 1 {
            return true;
        }
        return level <= 3 && weight < 0.0;
    }
    if !strictness.clean {
        return false;
    }
    // A paragraph that is nothing but a short link is a pointer to another
    // story ("Who will make the Rock Hall in 2020?"), not prose.
    if role == Role::Para && s.chars < 150 && s.link_density() > 0.9 {
        return true;
    }
    let tag = dom.tag(i);
    // An article inside an article is a teaser for another one (HTML's
    // own meaning of nesting them).
    if tag == "article" && has_ancestor(dom, i, "article") {
        return true;
    }
    if !is_container(tag) || !drop_container(tag, s, weight + scores[i].max(0.0)) {
        return false;
    }
    // A gallery or link-heavy container that also sets a paragraph of its
    // own prose (a graphics story's one paragraph above its maps) is
    // judged child by child instead: the prose stays, the pictures and
    // their links go. A class that speaks against it still drops it whole.
    weight < 0.0 || !holds_prose(dom, page, i)
}

/// Visible characters (white space excluded) from which a paragraph alone
/// is prose worth opening its container for.
const OWN_PROSE_CHARS: u32 = 100;

/// Whether a container opens with a paragraph of plain prose (long
/// enough, without links, ending a sentence) before any heading or link of
/// its own: prose introducing the pictures that follow it. A teaser card
/// or a related-stories box says its linked title first, and a summary
/// after it.
fn holds_prose(dom: &Dom<'_>, page: &PageStats, index: usize) -> bool {
    let end = dom.nodes[index].end as usize;
    let mut i = index + 1;
    while i < end {
        let s = &page.stats[i];
        if page.context[i].in_chrome || s.chars == 0 {
            i = dom.nodes[i].end as usize;
            continue;
        }
        match dom.role(i) {
            Some(Role::Heading(_)) => return false,
            Some(Role::Para) => {
                return s.chars >= OWN_PROSE_CHARS && s.link_chars == 0 && ends_sentence(dom, i);
            }
            _ if dom.tag(i) == "a" => return false,
            _ => i += 1,
        }
    }
    false
}

/// The containers that clean-up judges as a whole.
fn is_container(tag: &str) -> bool {
    matches!(
        tag,
        "div"
            | "section"
            | "table"
            | "ul"
            | "ol"
            | "dl"
            | "form"
            | "fieldset"
            | "aside"
            | "header"
            | "footer"
            | "figure"
            | "nav"
    )
}

/// Whether a container inside the body, weighted `weight` by its hints and
/// its own content score, is a link list, a gallery, a form or an empty
/// shell rather than prose. Prose with many commas always stays.
fn drop_container(tag: &str, s: &Stats, weight: f64) -> bool {
    if weight < 0.0 {
        return true;
    }
    if s.commas >= 10 {
        return false;
    }
    if s.chars == 0 {
        return tag != "figure" && s.images == 0;
    }
    let is_list = matches!(tag, "ul" | "ol" | "dl");
    // An item that says a good deal beyond its links (a list article's
    // deal or ranking: a linked name, a paragraph, a shop link) is prose;
    // in a list, each of its items must.
    let units = if is_list { s.items.max(1) } else { 1 };
    if s.paras >= 1
        && (s.chars - s.link_chars) / units >= ITEM_PROSE_CHARS
        && s.link_density() < ITEM_MAX_LINK_DENSITY
    {
        return false;
    }
    let density = s.link_density();
    let paras = f64::from(s.paras);
    let images = f64::from(s.images);
    (images > 1.0 && paras / images < 0.5 && tag != "figure")
        || (!is_list && f64::from(s.items) > paras + 100.0)
        || (!is_list && s.chars < 25 && (s.images == 0 || s.images > 2) && s.heading_chars == 0)
        || (weight < 25.0 && density > 0.2)
        || (weight >= 25.0 && density > 0.5)
}

/// Visible characters outside links from which a container (or each item
/// of a list) is prose rather than a link list.
const ITEM_PROSE_CHARS: u32 = 150;
/// The share of link text under which such a container is still prose.
const ITEM_MAX_LINK_DENSITY: f64 = 0.35;

/// Whether an element has an ancestor with local name `tag`.
fn has_ancestor(dom: &Dom<'_>, index: usize, tag: &str) -> bool {
    let mut at = parent(dom, index);
    while let Some(a) = at {
        if dom.tag(a) == tag {
            return true;
        }
        at = parent(dom, a);
    }
    false
}
