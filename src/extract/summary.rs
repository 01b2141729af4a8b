//! The page's summary of itself (its meta description) put to two uses by
//! detection: finding the lead paragraph that an article template sets in
//! its header, apart from the body's container, when the page shows that
//! summary there word for word; and standing in for a body of which
//! detection found next to nothing.
//!
//! The rules read only the page's own statement and the text of its
//! elements, never a site's class names. This module must not choose the
//! article's container: `score` does, and `detect` calls in here after it.

use super::blocks;
use super::dom::{Dom, Role};
use super::stats::PageStats;
use crate::article::{Block, BlockKind, normalize_text};

/// Summaries with fewer words than this are labels or titles, too short to
/// recognise a lead by or to stand in for a body.
const MIN_SUMMARY_WORDS: usize = 8;

/// How far an element's visible characters may differ from the summary's
/// (as a share of the summary's) for the element to be checked against it.
const LENGTH_SLACK: f64 = 0.2;

/// How many times longer than the summary its lead may be.
const MAX_LEAD_GROWTH: f64 = 3.0;

/// The share of link text from which an element is a teaser pointing
/// elsewhere, not the article's own lead.
const MAX_LEAD_LINK_DENSITY: f64 = 0.25;

/// The summary without a trailing ellipsis (pages cut long descriptions),
/// when it is long enough to use.
fn usable(description: &str) -> Option<&str> {
    let trimmed = description
        .trim_end()
        .trim_end_matches(['…', '.'])
        .trim_end();
    let ellipsis = trimmed.len() < description.trim_end().len()
        && (description.ends_with('…') || description.ends_with("..."));
    let summary = if ellipsis {
        trimmed
    } else {
        description.trim()
    };
    summary
        .split_whitespace()
        .nth(MIN_SUMMARY_WORDS - 1)
        .map(|_| summary)
}

/// The block of the lead paragraph that the page shows before the body
/// (whose first root is at `first`; `usize::MAX` when the body did not come
/// from the page's elements) and that repeats the summary, when the body
/// `blocks` do not already hold it.
pub(crate) fn lead(
    dom: &Dom<'_>,
    page: &PageStats,
    first: usize,
    blocks: &[Block],
    description: &str,
) -> Option<Block> {
    let summary = usable(description)?;
    if blocks.iter().any(|b| b.text.contains(summary)) {
        return None;
    }
    let wanted = summary.chars().filter(|c| !c.is_whitespace()).count() as f64;
    // Pages cut long summaries: the lead may be longer than its summary.
    let fits = |chars: u32| {
        let chars = f64::from(chars);
        chars >= wanted * (1.0 - LENGTH_SLACK) && chars <= wanted * MAX_LEAD_GROWTH
    };
    let end = first.min(dom.nodes.len());
    // Allocated once a candidate is found: most pages have none.
    let mut skip = Vec::new();
    (1..end)
        .filter(|&i| {
            let s = &page.stats[i];
            // The element that holds the text itself, not a wrapper of it.
            matches!(
                dom.role(i),
                Some(Role::Para | Role::Container | Role::Heading(_))
            ) && !page.context[i].in_chrome
                && fits(s.chars)
                && f64::from(s.direct_chars) >= f64::from(s.chars) * 0.8
                && s.link_density() < MAX_LEAD_LINK_DENSITY
        })
        .find_map(|i| {
            if skip.is_empty() {
                skip = vec![false; dom.nodes.len()];
            }
            let rendered = blocks::render(dom, &[i], &skip);
            let text = rendered
                .iter()
                .map(|b| b.text.as_str())
                .collect::<Vec<_>>()
                .join(" ");
            (text.contains(summary) && !blocks.iter().any(|b| b.text == text))
                .then(|| Block::new(BlockKind::Paragraph, &text))
        })
}

/// Bodies with fewer words than this are next to nothing: a row of
/// language names, a copyright line, a lone kicker.
const MIN_BODY_WORDS: usize = 20;

/// Sets the summary before a body of next to nothing that says less than
/// the summary does: for a page whose elements hold no article text (a job
/// posting or a product page rendered by scripts) that states what it is
/// in its meta description. The blocks found are kept after it.
pub(crate) fn stand_in(blocks: &mut Vec<Block>, description: &str) {
    let summary = normalize_text(description);
    let Some(usable) = usable(&summary) else {
        return;
    };
    let words: usize = blocks
        .iter()
        .map(|b| b.text.split_whitespace().count())
        .sum();
    if words >= MIN_BODY_WORDS
        || words >= summary.split_whitespace().count()
        || blocks.iter().any(|b| b.text.contains(usable))
    {
        return;
    }
    blocks.insert(0, Block::new(BlockKind::Paragraph, &summary));
}

#[cfg(test)]
mod tests {
    use crate::extract::{ExtractOptions, extract};

    const LEAD: &str = "The council voted on Tuesday to close the old bridge to cars for good, after years of repairs.";

    fn paragraphs() -> String {
        (0..6)
            .map(|i| {
                format!(
                    "<p>Paragraph {i} of the story goes on about the bridge, the vote, the traffic, \
                     the shops nearby and what the neighbours think of it all, at some length.</p>"
                )
            })
            .collect()
    }

    #[test]
    fn a_lead_that_repeats_the_summary_is_kept_before_the_body() {
        let page = format!(
            "<html><head><meta name=description content=\"{LEAD}\"></head><body>\
             <header><h1>Bridge closes</h1><p class=standfirst-x>{LEAD}</p></header>\
             <div><div class=body>{}</div></div></body></html>",
            paragraphs()
        );
        let article = extract(&page, &ExtractOptions::default()).expect("an article");
        assert_eq!(article.blocks[0].text, LEAD);
        assert_eq!(
            article.blocks.iter().filter(|b| b.text == LEAD).count(),
            1,
            "{}",
            article.body_text()
        );
    }

    #[test]
    fn a_page_without_body_text_stands_in_with_its_summary() {
        let page = format!(
            "<html><head><meta property=og:description content=\"{LEAD}\"></head>\
             <body><div id=app></div></body></html>"
        );
        let article = extract(&page, &ExtractOptions::default()).expect("an article");
        assert_eq!(article.body_text(), LEAD);
    }

    #[test]
    fn a_lead_longer_than_its_cut_summary_is_kept() {
        let longer = format!("{LEAD} The shops on both banks expect fewer customers at first.");
        let cut = &LEAD[..60];
        let page = format!(
            "<html><head><meta name=description content=\"{cut}\"></head><body>\
             <header><h1>Bridge closes</h1><div class=x>{longer}</div></header>\
             <div><div class=body>{}</div></div></body></html>",
            paragraphs()
        );
        let article = extract(&page, &ExtractOptions::default()).expect("an article");
        assert_eq!(article.blocks[0].text, longer);
    }

    #[test]
    fn a_body_of_next_to_nothing_gets_the_summary_before_it() {
        let page = format!(
            "<html><head><meta name=description content=\"{LEAD}\"></head>\
             <body><div><p>© Example News 2026</p></div></body></html>"
        );
        let article = extract(&page, &ExtractOptions::default()).expect("an article");
        assert_eq!(article.blocks[0].text, LEAD);
    }

    #[test]
    fn short_summaries_are_not_used() {
        assert!(super::usable("Bridge news").is_none());
        assert_eq!(
            super::usable("one two three four five six seven eight nine…"),
            Some("one two three four five six seven eight nine")
        );
    }
}
