//! Scratch diagnostics for tuning detection (printed when REDLINE_DEBUG is
//! set). Not part of the extractor's behaviour.

use super::dom::{Dom, Kind};
use super::score::Selection;
use super::stats::PageStats;

pub(crate) fn selection(dom: &Dom<'_>, page: &PageStats, selection: &Selection, label: &str) {
    for &r in &selection.roots {
        eprintln!(
            "{label}: root {r} <{} {:?}>",
            dom.tag(r),
            dom.nodes[r].hints
        );
    }
    if let Ok(needle) = std::env::var("REDLINE_NEEDLE") {
        if needle.is_empty() {
            return;
        }
        let found = (0..dom.nodes.len()).find(
            |&i| matches!(dom.nodes[i].kind, Kind::Text(x, _) if x.contains(needle.as_str())),
        );
        if let Some(t) = found {
            let mut a = t;
            while a != 0 {
                a = dom.nodes[a].parent as usize;
                eprintln!(
                    "   N{a} <{} {:?} {:?}> chars {} chrome {} skip {}",
                    dom.tag(a),
                    dom.nodes[a].hints,
                    dom.nodes[a].chrome,
                    page.stats[a].chars,
                    page.context[a].in_chrome,
                    selection.skip[a]
                );
            }
        }
    }
}
