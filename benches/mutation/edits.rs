//! The mutation benchmark's edits: each finds real elements of a parsed
//! page and changes the tree (text, order, attributes), or marks where raw
//! HTML goes in, for `with_raw` to put in after serialisation.

use ego_tree::NodeId;
use redline::article::normalize_text;
use scraper::node::Text;
use scraper::{ElementRef, Html, Node, StrTendril};

/// Stands for raw HTML in a serialised tree until it is replaced.
pub(crate) const MARKER: &str = "ZZMUTATIONMARKERZZ";

/// Gives every text node whose text reads as `old` the text `new`.
pub(crate) fn retext_all(html: &mut Html, old: &str, new: &str) {
    let ids: Vec<NodeId> = html
        .tree
        .nodes()
        .filter(|n| {
            n.value()
                .as_text()
                .is_some_and(|t| normalize_text(t) == normalize_text(old))
        })
        .map(|n| n.id())
        .collect();
    for id in ids {
        if let Some(mut node) = html.tree.get_mut(id)
            && let Node::Text(text) = node.value()
        {
            text.text = StrTendril::from(new);
        }
    }
}

/// "12" → "13" in a text with a number: the new text and the new number.
pub(crate) fn number_edit(text: &str, rng: &mut fastrand::Rng) -> Option<(String, String)> {
    let runs: Vec<(usize, usize)> = digit_runs(text);
    if runs.is_empty() {
        return None;
    }
    let (start, end) = runs[rng.usize(..runs.len())];
    let value: u64 = text[start..end].parse().ok()?;
    let new = (value + 1 + rng.u64(0..7)).to_string();
    Some((format!("{}{new}{}", &text[..start], &text[end..]), new))
}

/// The runs of ASCII digits in a text, up to nine digits long.
pub(crate) fn digit_runs(text: &str) -> Vec<(usize, usize)> {
    runs(text, |b| b.is_ascii_digit())
        .into_iter()
        .filter(|(start, end)| end - start <= 9)
        .collect()
}

/// The maximal runs of bytes that `keep` accepts, as byte ranges.
pub(crate) fn runs(text: &str, keep: fn(u8) -> bool) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if keep(bytes[i]) {
            let start = i;
            while i < bytes.len() && keep(bytes[i]) {
                i += 1;
            }
            found.push((start, i));
        } else {
            i += 1;
        }
    }
    found
}

/// A word of five letters or more replaced by another: the new text and
/// the new word.
pub(crate) fn word_edit(text: &str, rng: &mut fastrand::Rng) -> Option<(String, String)> {
    // Runs of ASCII letters: bytes of other characters are never ASCII, so
    // the runs start and end on character boundaries.
    let words: Vec<(usize, &str)> = runs(text, |b| b.is_ascii_alphabetic())
        .into_iter()
        .filter(|(start, end)| end - start >= 5)
        .map(|(start, end)| (start, &text[start..end]))
        .collect();
    if words.is_empty() {
        return None;
    }
    let (start, word) = words[rng.usize(..words.len())];
    let new = if word.starts_with(|c: char| c.is_ascii_uppercase()) {
        "Marmalade"
    } else {
        "marmalade"
    };
    if word.eq_ignore_ascii_case(new) {
        return None;
    }
    let edited = format!("{}{new}{}", &text[..start], &text[start + word.len()..]);
    Some((edited, new.to_string()))
}

/// Removes one of `elements` (text of at least `min` characters), chosen
/// by `rng`; returns its text.
pub(crate) fn removed(
    html: &mut Html,
    rng: &mut fastrand::Rng,
    elements: &[NodeId],
    min: usize,
) -> Option<String> {
    let texts: Vec<(NodeId, String)> = elements
        .iter()
        .filter_map(|&id| {
            let e = ElementRef::wrap(html.tree.get(id)?)?;
            let text = normalize_text(&e.text().collect::<String>());
            (text.chars().count() >= min).then_some((id, text))
        })
        .collect();
    if texts.is_empty() {
        return None;
    }
    let (id, text) = texts[rng.usize(..texts.len())].clone();
    html.tree.get_mut(id)?.detach();
    Some(text)
}

/// Inserts raw HTML after an element, through a marker text node.
pub(crate) fn insert_after(html: &mut Html, id: NodeId, raw: &str) {
    if let Some(mut node) = html.tree.get_mut(id) {
        node.insert_after(marker(raw));
    }
}

/// Inserts raw HTML as the first child of an element.
pub(crate) fn prepend(html: &mut Html, id: NodeId, raw: &str) {
    if let Some(mut node) = html.tree.get_mut(id) {
        node.prepend(marker(raw));
    }
}

thread_local! {
    static RAW: std::cell::RefCell<Vec<String>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A marker text node standing for `raw`.
pub(crate) fn marker(raw: &str) -> Node {
    RAW.with(|r| r.borrow_mut().push(raw.to_string()));
    Node::Text(Text {
        text: StrTendril::from(MARKER),
    })
}

/// The serialised page with each marker replaced by its raw HTML.
pub(crate) fn with_raw(html: &Html) -> String {
    let mut out = html.html();
    RAW.with(|r| {
        for raw in r.borrow_mut().drain(..) {
            out = out.replacen(MARKER, &raw, 1);
        }
    });
    out
}

pub(crate) fn body_id(html: &Html) -> Option<NodeId> {
    html.root_element()
        .child_elements()
        .find(|e| e.value().name() == "body")
        .map(|e| e.id())
}

/// The page's header (`<header>` outside any article, else a banner), or
/// the body when it has none.
pub(crate) fn header_of(html: &Html) -> Option<NodeId> {
    let banner = html.root_element().descendent_elements().find(|e| {
        let v = e.value();
        let outside_article = !e
            .ancestors()
            .filter_map(ElementRef::wrap)
            .any(|a| matches!(a.value().name(), "article" | "main"));
        (v.name() == "header" || v.attr("role") == Some("banner")) && outside_article
    });
    banner.map(|e| e.id()).or_else(|| body_id(html))
}

/// Moves the first item of one link list (three or more items, each mostly
/// a link) to its end. False when the page has no link list.
pub(crate) fn rotate_links(html: &mut Html, rng: &mut fastrand::Rng) -> bool {
    let lists: Vec<(NodeId, NodeId)> = html
        .root_element()
        .descendent_elements()
        .filter(|e| matches!(e.value().name(), "ul" | "ol"))
        .filter_map(|list| {
            let items: Vec<ElementRef> = list
                .child_elements()
                .filter(|c| c.value().name() == "li")
                .collect();
            let linked = items.iter().all(|li| {
                let all: usize = li.text().map(str::len).sum();
                let linked: usize = li
                    .descendent_elements()
                    .filter(|a| a.value().name() == "a")
                    .flat_map(|a| a.text())
                    .map(str::len)
                    .sum();
                all > 0 && linked * 2 >= all
            });
            (items.len() >= 3 && linked).then(|| (list.id(), items[0].id()))
        })
        .collect();
    if lists.is_empty() {
        return false;
    }
    let (list, first) = lists[rng.usize(..lists.len())];
    if let Some(mut list) = html.tree.get_mut(list) {
        list.append_id(first);
    }
    true
}

/// Edits the texts of up to three links in the page's navigation, header
/// or footer. False when it has none.
pub(crate) fn edit_nav_links(html: &mut Html, rng: &mut fastrand::Rng) -> bool {
    let texts: Vec<NodeId> = html
        .root_element()
        .descendent_elements()
        .filter(|e| e.value().name() == "a")
        .filter(|a| {
            a.ancestors().filter_map(ElementRef::wrap).any(|p| {
                matches!(p.value().name(), "nav" | "footer")
                    || p.value().attr("role") == Some("navigation")
            })
        })
        .flat_map(|a| {
            a.descendants()
                .filter(|n| n.value().as_text().is_some_and(|t| !t.trim().is_empty()))
                .map(|n| n.id())
                .collect::<Vec<_>>()
        })
        .collect();
    if texts.is_empty() {
        return false;
    }
    for _ in 0..3 {
        let id = texts[rng.usize(..texts.len())];
        if let Some(mut node) = html.tree.get_mut(id)
            && let Node::Text(text) = node.value()
        {
            let new = format!("{} Today", text.text.trim());
            text.text = StrTendril::from(new.as_str());
        }
    }
    true
}

/// Attribute-only churn: a fresh token added to some classes, every
/// `data-*` value changed, cache-busting queries on every `src` and
/// stylesheet `href`.
pub(crate) fn churn_attributes(html: &mut Html, rng: &mut fastrand::Rng) {
    let ids: Vec<NodeId> = html
        .root_element()
        .descendent_elements()
        .map(|e| e.id())
        .collect();
    let token = format!("x{:05x}", rng.u32(..0xfffff));
    for id in ids {
        let Some(mut node) = html.tree.get_mut(id) else {
            continue;
        };
        let Node::Element(element) = node.value() else {
            continue;
        };
        let is_link = element.name() == "link";
        let churn_class = rng.u8(..10) < 3;
        for (name, value) in element.attrs.iter_mut() {
            let local: &str = &name.local;
            let new = if local == "class" && churn_class {
                format!("{value} {token}")
            } else if local.starts_with("data-") {
                format!("{value}{}", rng.u32(..1000))
            } else if local == "src" || (is_link && local == "href") {
                let sep = if value.contains('?') { '&' } else { '?' };
                format!("{value}{sep}v={}", rng.u32(..100_000))
            } else {
                continue;
            };
            *value = StrTendril::from(new.as_str());
        }
    }
}
