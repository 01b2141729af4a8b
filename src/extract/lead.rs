//! The article's lead when the page sets it inside weakly marked chrome:
//! templates put the standfirst in the article's header ("article-header",
//! "content-detail-header"), a class that otherwise marks page chrome, so
//! the statistics count its text as absent. This module measures such a
//! lead from the page's own text and says which chrome may be entered to
//! keep it.
//!
//! It only measures and locates; whether an element *is* a lead (its class
//! words, its prose) is `score`'s decision, and it must not read class
//! names itself. Strong chrome (share bars, related teasers, navigation)
//! never holds a lead.

use super::dom::{Chrome, Dom, Kind, Role};
use super::stats::PageStats;

/// Paragraphs from this many visible characters are the body's prose:
/// a lead rescued from chrome must come before the first of them.
const BODY_PARAGRAPH_CHARS: u32 = 150;

/// Visible and link characters of the subtree at `index`: the statistics'
/// figures outside chrome, the page's own text inside weak chrome, and
/// `None` inside strong chrome.
pub(crate) fn counts(dom: &Dom<'_>, page: &PageStats, index: usize) -> Option<(u32, u32)> {
    if !page.context[index].in_chrome {
        let s = &page.stats[index];
        return Some((s.chars, s.link_chars));
    }
    if in_strong_chrome(dom, index) {
        return None;
    }
    let end = dom.nodes[index].end as usize;
    let (mut chars, mut links) = (0, 0);
    for i in index..end {
        if let Kind::Text(_, c) = dom.nodes[i].kind {
            chars += c.chars;
            if page.context[i].in_link {
                links += c.chars;
            }
        }
    }
    Some((chars, links))
}

/// Whether the element at `index` or one of its ancestors is marked as
/// strong chrome.
fn in_strong_chrome(dom: &Dom<'_>, index: usize) -> bool {
    let mut at = index;
    loop {
        if dom.nodes[at].chrome == Chrome::Strong {
            return true;
        }
        if at == 0 {
            return false;
        }
        at = dom.nodes[at].parent as usize;
    }
}

/// Where the body's prose starts inside the subtree at `root`: the first
/// paragraph outside chrome long enough to be prose (the subtree's end when
/// there is none). A header's lead comes before it; text in chrome after
/// it (a sidebar's teaser) is not the lead.
pub(crate) fn body_start(dom: &Dom<'_>, page: &PageStats, root: usize) -> usize {
    let end = dom.nodes[root].end as usize;
    (root..end)
        .find(|&i| {
            dom.role(i) == Some(Role::Para)
                && !page.context[i].in_chrome
                && page.stats[i].chars >= BODY_PARAGRAPH_CHARS
        })
        .unwrap_or(end)
}

/// The lead inside the chrome element at `index`, found by `is_lead`, when
/// that element is weak chrome that ends before `body_start`.
pub(crate) fn inside_chrome(
    dom: &Dom<'_>,
    index: usize,
    body_start: usize,
    is_lead: impl Fn(usize) -> bool,
) -> Option<usize> {
    let end = dom.nodes[index].end as usize;
    if end > body_start || dom.nodes[index].chrome == Chrome::Strong {
        return None;
    }
    (index..end).find(|&i| is_lead(i))
}
