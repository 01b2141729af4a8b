//! Text the page itself marks as part of its main content by microdata: a
//! recipe's ingredients (`itemprop=recipeIngredient`). Recipe templates set
//! the ingredient list in a column beside the instructions, as a list of
//! short lines without commas, which the detector scores as furniture; the
//! page's own markup says otherwise.
//!
//! Pages that state the ingredients only in JSON-LD (`recipeIngredient`)
//! get the same treatment: the visible list whose items show those
//! ingredients is marked as if microdata had marked it.
//!
//! This module only adds such lists to a selection `score` made: it must
//! not choose the article nor read class names. A list the page repeats for
//! another screen size (the same items twice) is added once.

use super::dom::{Dom, Kind};

/// Fewer marked items than this are not a list worth adding.
const MIN_ITEMS: usize = 2;

/// A visible item shows a stated ingredient when its text holds the
/// ingredient's and is at most this many times longer (an amount or a
/// note beside the name); a paragraph that mentions it is not an item.
const ITEM_SPREAD: usize = 2;

/// The list holding the shown ingredients must hold at least this share
/// of the stated ones.
const MIN_SHOWN_SHARE: f64 = 0.5;

/// The items must make up at least this share of their list's text.
const MIN_ITEMS_SHARE: f64 = 0.5;

/// Marks as ingredients the items of the visible list that shows the
/// ingredients JSON-LD states (`stated`, normalised), when no microdata
/// marks any: the list is the smallest element holding items for at least
/// half the stated ingredients, and its children that hold such items are
/// marked.
pub(crate) fn mark_stated(dom: &mut Dom<'_>, stated: &[String]) {
    if stated.len() < MIN_ITEMS || dom.nodes.iter().any(|n| n.ingredient) {
        return;
    }
    let stated: Vec<String> = stated.iter().map(|s| s.to_lowercase()).collect();
    let hits = shown_items(dom, &stated);
    let needed = ((stated.len() as f64 * MIN_SHOWN_SHARE).ceil() as usize).max(MIN_ITEMS);
    let Some(list) = smallest_holding(dom, &hits, needed) else {
        return;
    };
    let children: Vec<usize> = dom.children(list).collect();
    for child in children {
        let end = dom.nodes[child].end as usize;
        if hits.iter().any(|&(node, _)| node >= child && node < end) {
            dom.nodes[child].ingredient = true;
        }
    }
}

/// The elements whose text shows one of the `stated` ingredients, with
/// that ingredient's index: an item and the name inside it both count.
fn shown_items(dom: &Dom<'_>, stated: &[String]) -> Vec<(usize, usize)> {
    let longest = stated.iter().map(String::len).max().unwrap_or(0);
    let mut hits = Vec::new();
    for (i, node) in dom.nodes.iter().enumerate() {
        if !matches!(node.kind, Kind::Element { .. }) {
            continue;
        }
        // Counted characters leave out white space: a cheap bound first.
        if text_chars(dom, i) as usize > longest * ITEM_SPREAD {
            continue;
        }
        let text = crate::article::normalize_text(&subtree_text(dom, i)).to_lowercase();
        if text.is_empty() {
            continue;
        }
        let shown = stated
            .iter()
            .position(|s| text.contains(s.as_str()) && text.len() <= s.len() * ITEM_SPREAD);
        if let Some(index) = shown {
            hits.push((i, index));
        }
    }
    hits
}

/// The text of the subtree at `index`, its runs joined by spaces.
fn subtree_text(dom: &Dom<'_>, index: usize) -> String {
    let end = dom.nodes[index].end as usize;
    let mut text = String::new();
    for node in &dom.nodes[index..end] {
        if let Kind::Text(run, _) = node.kind {
            text.push_str(run);
            text.push(' ');
        }
    }
    text
}

/// The smallest element (by subtree) holding hits for at least `needed`
/// distinct ingredients, searched among the ancestors of each hit.
fn smallest_holding(dom: &Dom<'_>, hits: &[(usize, usize)], needed: usize) -> Option<usize> {
    let mut best: Option<usize> = None;
    for &(hit, _) in hits {
        let mut at = dom.nodes[hit].parent as usize;
        while at != 0 {
            let end = dom.nodes[at].end as usize;
            if best.is_some_and(|b| dom.nodes[b].end as usize - b <= end - at) {
                break;
            }
            let mut shown: Vec<usize> = hits
                .iter()
                .filter(|&&(n, _)| n > at && n < end)
                .map(|&(_, s)| s)
                .collect();
            shown.sort_unstable();
            shown.dedup();
            if shown.len() >= needed {
                // Instructions that name the ingredients hold as many:
                // a list is mostly its items, prose is not.
                if mostly_items(dom, hits, at) {
                    best = Some(at);
                }
                break;
            }
            at = dom.nodes[at].parent as usize;
        }
    }
    best
}

/// Whether the items shown in the element at `list` make up most of its
/// text.
fn mostly_items(dom: &Dom<'_>, hits: &[(usize, usize)], list: usize) -> bool {
    let end = dom.nodes[list].end as usize;
    let mut covered_to = list;
    let mut items = 0;
    for &(hit, _) in hits {
        // An item's name inside the item is counted with the item.
        if hit <= list || hit >= end || hit < covered_to {
            continue;
        }
        items += text_chars(dom, hit);
        covered_to = dom.nodes[hit].end as usize;
    }
    f64::from(items) >= f64::from(text_chars(dom, list)) * MIN_ITEMS_SHARE
}

/// Adds to the selection (`roots` in document order, `skip` per node) the
/// lists of marked ingredients that it leaves out: a list outside every
/// root becomes a root of its own, one that clean-up removed inside a root
/// is kept.
pub(crate) fn include(dom: &Dom<'_>, roots: &mut Vec<usize>, skip: &mut [bool]) {
    let lists = lists(dom);
    if lists.iter().map(|l| l.items).sum::<usize>() < MIN_ITEMS {
        return;
    }
    // Clean-up drops the items one by one (short lines without commas)
    // as readily as the whole list.
    let shown_lists: Vec<usize> = lists
        .iter()
        .filter(|l| rendered(dom, roots, skip, l.node))
        .map(|l| l.node)
        .collect();
    for list in shown_lists {
        keep_items(dom, skip, list);
    }
    // What the selection already shows, by (items, characters): a copy
    // of it for another screen size adds nothing.
    let mut shown: Vec<(usize, u32)> = lists
        .iter()
        .filter(|l| rendered(dom, roots, skip, l.node))
        .map(List::key)
        .collect();
    let first = roots.first().copied().unwrap_or(0);
    let mut missing: Vec<&List> = lists
        .iter()
        .filter(|l| !rendered(dom, roots, skip, l.node))
        .collect();
    // The copy nearest the body is the one its template shows with it.
    missing.sort_by_key(|l| l.node.abs_diff(first));
    for list in missing {
        if shown.contains(&list.key()) {
            continue;
        }
        shown.push(list.key());
        add(dom, roots, skip, list.node);
        keep_items(dom, skip, list.node);
    }
}

/// One list of marked items: the element holding them and how many it
/// holds.
struct List {
    node: usize,
    items: usize,
    chars: u32,
}

impl List {
    fn key(&self) -> (usize, u32) {
        (self.items, self.chars)
    }
}

/// The marked items grouped by the element that holds them (their
/// parent: a `ul`, a table's body), in document order.
fn lists(dom: &Dom<'_>) -> Vec<List> {
    let mut lists: Vec<List> = Vec::new();
    for (i, node) in dom.nodes.iter().enumerate() {
        if !node.ingredient || i == 0 {
            continue;
        }
        let parent = node.parent as usize;
        let chars = text_chars(dom, i);
        match lists.last_mut() {
            Some(last) if last.node == parent => {
                last.items += 1;
                last.chars += chars;
            }
            _ => lists.push(List {
                node: parent,
                items: 1,
                chars,
            }),
        }
    }
    lists
}

/// Visible characters in the subtree at `index`.
fn text_chars(dom: &Dom<'_>, index: usize) -> u32 {
    let end = dom.nodes[index].end as usize;
    dom.nodes[index..end]
        .iter()
        .map(|n| match n.kind {
            Kind::Text(_, counts) => counts.chars,
            Kind::Element { .. } => 0,
        })
        .sum()
}

/// The root whose subtree holds `node`, if any.
fn root_of(dom: &Dom<'_>, roots: &[usize], node: usize) -> Option<usize> {
    roots
        .iter()
        .copied()
        .find(|&r| r <= node && node < dom.nodes[r].end as usize)
}

/// The outermost skipped element from `node` up to `root`, if any.
fn skipped_above(dom: &Dom<'_>, skip: &[bool], root: usize, node: usize) -> Option<usize> {
    let mut outermost = None;
    let mut at = node;
    loop {
        if skip[at] {
            outermost = Some(at);
        }
        if at == root || at == 0 {
            return outermost;
        }
        at = dom.nodes[at].parent as usize;
    }
}

/// Whether the selection renders the element at `node`.
fn rendered(dom: &Dom<'_>, roots: &[usize], skip: &[bool], node: usize) -> bool {
    root_of(dom, roots, node).is_some_and(|r| skipped_above(dom, skip, r, node).is_none())
}

/// Renders the marked items of the list at `node` whole.
fn keep_items(dom: &Dom<'_>, skip: &mut [bool], node: usize) {
    let end = dom.nodes[node].end as usize;
    for item in node..end {
        if dom.nodes[item].ingredient {
            let item_end = dom.nodes[item].end as usize;
            skip[item..item_end].fill(false);
        }
    }
}

/// Makes the selection render the element at `node`.
fn add(dom: &Dom<'_>, roots: &mut Vec<usize>, skip: &mut [bool], node: usize) {
    match root_of(dom, roots, node) {
        // Left out by clean-up as a whole: kept in its place.
        Some(root) if skipped_above(dom, skip, root, node) == Some(node) => skip[node] = false,
        // Inside an element left out for other reasons: rendered after
        // the root that holds it.
        Some(root) => {
            let root_end = dom.nodes[root].end as usize;
            let mut at = roots.iter().position(|&r| r == root).map_or(0, |p| p + 1);
            // After the lists already added from the same root before it.
            while at < roots.len() && roots[at] < node && roots[at] < root_end {
                at += 1;
            }
            skip[node] = false;
            roots.insert(at, node);
        }
        None => {
            // A root that holds other roots would repeat their text.
            let end = dom.nodes[node].end as usize;
            if roots.iter().any(|&r| r > node && r < end) {
                return;
            }
            let at = roots.partition_point(|&r| r < node);
            roots.insert(at, node);
        }
    }
}
