//! Text the page itself marks as part of its main content by microdata: a
//! recipe's ingredients (`itemprop=recipeIngredient`). Recipe templates set
//! the ingredient list in a column beside the instructions, as a list of
//! short lines without commas, which the detector scores as furniture; the
//! page's own markup says otherwise.
//!
//! This module only adds such lists to a selection `score` made: it must
//! not choose the article nor read class names. A list the page repeats for
//! another screen size (the same items twice) is added once.

use super::dom::{Dom, Kind};

/// Fewer marked items than this are not a list worth adding.
const MIN_ITEMS: usize = 2;

/// Adds to the selection (`roots` in document order, `skip` per node) the
/// lists of marked ingredients that it leaves out: a list outside every
/// root becomes a root of its own, one that clean-up removed inside a root
/// is kept.
pub(crate) fn include(dom: &Dom<'_>, roots: &mut Vec<usize>, skip: &mut [bool]) {
    let lists = lists(dom);
    if lists.iter().map(|l| l.items).sum::<usize>() < MIN_ITEMS {
        return;
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
