//! Widgets of other stories that survive inside the chosen body in a
//! shape the list rules do not see: a row of links under a widget's title
//! set in one paragraph ("Siehe auch<br><a>…</a><br><a>…</a>").
//!
//! Each rule reads the shape and text of the chosen subtree and the
//! widget titles `furniture` knows, never a site's class names, and only
//! marks nodes to skip; it must not choose the article nor render text.

use super::dom::{Dom, Kind, Role};
use super::furniture::is_widget_title;
use super::stats::PageStats;

/// The share of the text after a row's title that must be link text.
const ROW_LINK_SHARE: f64 = 0.8;

/// Fewest links a titled row of links holds: one link after a title is a
/// pointer line, judged by `leftovers::is_pointer`.
const MIN_ROW_LINKS: usize = 2;

/// Whether the block at `index` is a row of links to other stories under
/// a widget's title set in the same paragraph ("Siehe auch<br><a>…</a><br>
/// <a>…</a>", "Related: <a>…</a>, <a>…</a>"): the text before the first
/// link is the title, and links fill the rest. A paragraph that names the
/// same words in running text has no title of its own before its links.
pub(crate) fn is_titled_link_row(dom: &Dom<'_>, page: &PageStats, index: usize) -> bool {
    if !matches!(dom.role(index), Some(Role::Para | Role::Container)) {
        return false;
    }
    let mut label = String::new();
    let (mut rest, mut rest_links, mut links) = (0usize, 0usize, 0usize);
    let mut last_link = None;
    for i in index + 1..dom.nodes[index].end as usize {
        let Kind::Text(text, counts) = dom.nodes[i].kind else {
            continue;
        };
        if !page.context[i].in_link {
            if links == 0 {
                label.push_str(text);
            } else {
                rest += counts.chars as usize;
            }
            continue;
        }
        rest += counts.chars as usize;
        rest_links += counts.chars as usize;
        // Text nodes of one link share the link's parent run.
        let parent = dom.nodes[i].parent as usize;
        if last_link != Some(parent) {
            links += 1;
            last_link = Some(parent);
        }
    }
    links >= MIN_ROW_LINKS
        && is_widget_title(label.trim().trim_end_matches(':'))
        && rest_links as f64 >= rest as f64 * ROW_LINK_SHARE
}

#[cfg(test)]
mod tests {
    // The same story fixture as the other clean-up rules' tests.
    use crate::extract::leftovers::tests::{body, page};

    #[test]
    fn a_row_of_links_under_a_title_in_one_paragraph_is_dropped() {
        let text = body(&page(
            "",
            "<p>Siehe auch<br><a href=/a>Die Brücke und ihre Kosten im Rat</a><br>\
             <a href=/b>Warum die Fähren wieder fahren</a><br>\
             <a href=/c>Der Busersatz im Sommer</a></p>",
        ));
        assert!(!text.contains("Siehe auch"), "{text}");
        assert!(!text.contains("Fähren"), "{text}");
        assert!(text.ends_with("voted late."), "{text}");
    }

    #[test]
    fn running_text_that_names_related_links_stays() {
        let line = "<p>Related reading for the council: <a href=/a>the budget</a>, \
                    which the mayor cited, and <a href=/b>the audit</a> of the works, \
                    which nobody in the chamber had read before the vote.</p>";
        let text = body(&page(line, ""));
        assert!(text.contains("Related reading for the council"), "{text}");
    }
}
