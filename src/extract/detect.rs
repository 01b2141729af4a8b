//! The driver of automatic detection: strict to loose passes over the page,
//! the cross-check of the result against JSON-LD's `articleBody`, and the
//! last trim of the kept blocks (leading datelines, short captions, credit
//! lines), which reads block text only.
//!
//! Each pass is `stats` + `score` + `blocks` under one [`Strictness`]; this
//! module only decides which pass's result to keep. It must not score nodes
//! itself.

use std::collections::HashSet;

use scraper::Html;

use super::dom::{Chrome, Dom, WalkOptions};
use super::meta::Metadata;
use super::score::{self, Strictness};
use super::{blocks, hints, items, notices, stats, summary};
use crate::article::{Block, BlockKind};

/// The passes, strictest first: each later pass honours fewer chrome hints
/// or cleans less, for pages whose strict pass finds too little.
const PASSES: [Strictness; 4] = [
    Strictness {
        chrome: Chrome::Weak,
        weigh_classes: true,
        clean: true,
    },
    Strictness {
        chrome: Chrome::Strong,
        weigh_classes: true,
        clean: true,
    },
    Strictness {
        chrome: Chrome::Strong,
        weigh_classes: false,
        clean: true,
    },
    // The last resort ignores every hint: only for pages where the others
    // found next to nothing, since it lets comment threads compete.
    Strictness {
        chrome: Chrome::No,
        weigh_classes: false,
        clean: false,
    },
];

/// Bodies shorter than this (in visible characters) send detection on to
/// a looser pass: a strict pass may have removed too much.
const MIN_BODY_CHARS: usize = 500;

/// The share of link text above which a pass's body is a list of links
/// rather than an article.
const MAX_BODY_LINK_DENSITY: f64 = 0.5;

/// How many times more text a looser pass must find to be preferred.
const LOOSER_PASS_GAIN: f64 = 1.5;

/// Below this many characters the looser passes found "next to nothing".
const NOTHING_CHARS: usize = 140;

/// JSON-LD bodies with no more words than this are teasers, too short to
/// check by.
const MIN_CHECK_WORDS: usize = 80;

/// A result that holds less than this share of a full JSON-LD body's words
/// missed the article.
const MIN_COVERAGE: f64 = 0.5;

/// Detects the body of `page` automatically.
pub(crate) fn detect(
    page: &Html,
    ignored: &HashSet<ego_tree::NodeId>,
    metadata: &Metadata,
) -> Vec<Block> {
    let mut dom = Dom::build(
        page,
        &WalkOptions {
            ignored,
            mark_chrome: true,
        },
    );
    items::mark_stated(&mut dom, &metadata.ingredients);
    let detector = Detector::new(&dom);
    let mut best: Vec<Block> = Vec::new();
    let mut best_chars = 0;
    // Where the kept pass's body starts, for finding its lead before it.
    let mut first = usize::MAX;
    for pass in 0..PASSES.len() {
        if pass == PASSES.len() - 1 && best_chars >= NOTHING_CHARS {
            break;
        }
        let (blocks, root, linked) = detector.run_from(pass);
        let chars = char_count(&blocks);
        // A looser pass must find much more to replace a stricter one's
        // short but plausible result: short articles exist.
        if best.is_empty() || chars as f64 >= best_chars as f64 * LOOSER_PASS_GAIN {
            best = blocks;
            best_chars = chars;
            first = root;
        }
        // A body mostly made of links is a menu or a teaser list that a
        // strict pass kept when its hints hid the article: a looser pass
        // may find it.
        if best_chars >= MIN_BODY_CHARS && !linked {
            break;
        }
    }
    let mut blocks = match metadata.article_body.as_deref() {
        Some(body) if body.split_whitespace().nth(MIN_CHECK_WORDS).is_some() => {
            let (checked, replaced) = cross_check(&detector, best, body);
            // A body taken from elsewhere has no place on the page to look
            // for its lead before.
            if replaced {
                first = usize::MAX;
            }
            checked
        }
        _ => best,
    };
    if let Some(description) = metadata.description.as_deref()
        && let Some(lead) = summary::lead(&dom, &detector.strong, first, &blocks, description)
    {
        blocks.insert(0, lead);
    }
    drop_leading_datelines(&mut blocks);
    drop_short_captions(&mut blocks);
    // Credits set as paragraphs of their own, and short captions ending
    // with their credit, are captions by another markup; a body that is
    // nothing else is left as it is.
    if blocks.len() > 1 {
        blocks.retain(|b| !hints::is_credit_line(&b.text) && !hints::is_credited_caption(&b.text));
    }
    notices::drop_notices(&mut blocks);
    // A page whose elements hold next to no article text (a row of
    // language names, a copyright line) may still say what it is.
    if let Some(description) = metadata.description.as_deref() {
        summary::stand_in(&mut blocks, description);
    }
    blocks
}

/// Captions with fewer words than this are a picture's label or credit.
const MIN_CAPTION_WORDS: usize = 20;

/// Removes short figure and table captions ("Foto: dpa", "Die Ministerin in
/// Berlin. (REUTERS/Jane Doe)"): they describe a picture, not the story, and
/// pages swap pictures and re-credit them freely. A long caption, as in a
/// slideshow whose captions are the text, is kept.
fn drop_short_captions(blocks: &mut Vec<Block>) {
    blocks.retain(|b| {
        b.kind != BlockKind::Caption
            || b.text
                .split_whitespace()
                .nth(MIN_CAPTION_WORDS - 1)
                .is_some()
    });
}

/// Blocks at the head of the body before this many are checked for
/// bylines and datelines.
const HEAD_BLOCKS: usize = 4;

/// Removes bylines and datelines ("By Jane Doe", "Published November 20th,
/// 2019 - 07:29 GMT", "Updated 2 hours ago") from the head of the body:
/// they belong to the metadata, and pages re-stamp them freely.
fn drop_leading_datelines(blocks: &mut Vec<Block>) {
    let mut index = 0;
    while index < blocks.len().min(HEAD_BLOCKS) {
        let text = &blocks[index].text;
        if text.chars().count() >= 150 {
            break;
        }
        if hints::is_dateline(text) {
            blocks.remove(index);
        } else {
            index += 1;
        }
    }
}

/// Checks a result against the page's own statement of its body: when the
/// result misses most of it, the pass that covers it best wins, and when
/// none does, the statement itself becomes the body. Says whether `best`
/// was replaced.
fn cross_check(detector: &Detector<'_, '_>, best: Vec<Block>, body: &str) -> (Vec<Block>, bool) {
    let expected = words(body);
    if coverage(&best, &expected) >= MIN_COVERAGE {
        return (best, false);
    }
    let (mut winner, mut winner_coverage) = (best, 0.0);
    for pass in 0..PASSES.len() {
        let blocks = detector.run(pass);
        let covered = coverage(&blocks, &expected);
        if covered > winner_coverage {
            (winner, winner_coverage) = (blocks, covered);
        }
    }
    if winner_coverage >= MIN_COVERAGE {
        return (winner, true);
    }
    let stated = body
        .split('\n')
        .map(|p| Block::new(BlockKind::Paragraph, p))
        .filter(|b| !b.text.is_empty())
        .collect();
    (stated, true)
}

/// Runs passes over one page, sharing what passes have in common.
struct Detector<'d, 'a> {
    dom: &'d Dom<'a>,
    /// Statistics honouring strong chrome hints only, shared by two passes.
    strong: stats::PageStats,
    /// The top candidate under strong hints, whose ancestors weak hints do
    /// not mark as chrome.
    anchor: Option<usize>,
}

impl<'d, 'a> Detector<'d, 'a> {
    fn new(dom: &'d Dom<'a>) -> Self {
        let strong = stats::compute(dom, Chrome::Strong, None);
        let anchor = score::top_candidate(dom, &strong, PASSES[1]);
        Detector {
            dom,
            strong,
            anchor,
        }
    }

    /// The blocks that pass number `pass` finds.
    fn run(&self, pass: usize) -> Vec<Block> {
        self.run_from(pass).0
    }

    /// The blocks that pass number `pass` finds, where the first subtree
    /// they come from starts, and whether most of the chosen subtrees'
    /// text is links.
    fn run_from(&self, pass: usize) -> (Vec<Block>, usize, bool) {
        let strictness = PASSES[pass];
        let computed;
        let page_stats = if strictness.chrome == Chrome::Strong {
            &self.strong
        } else {
            computed = stats::compute(self.dom, strictness.chrome, self.anchor);
            &computed
        };
        let selection = score::select(self.dom, page_stats, strictness);
        let first = selection.roots.first().copied().unwrap_or(usize::MAX);
        let (chars, links) = selection.roots.iter().fold((0u32, 0u32), |(c, l), &r| {
            let s = &page_stats.stats[r];
            (c + s.chars, l + s.link_chars)
        });
        let linked = f64::from(links) > f64::from(chars) * MAX_BODY_LINK_DENSITY;
        (
            blocks::render(self.dom, &selection.roots, &selection.skip),
            first,
            linked,
        )
    }
}

fn char_count(blocks: &[Block]) -> usize {
    blocks.iter().map(|b| b.text.chars().count()).sum()
}

/// The distinct lowercased words of a text.
fn words(text: &str) -> HashSet<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// The share of `expected` words that `blocks` hold.
fn coverage(blocks: &[Block], expected: &HashSet<String>) -> f64 {
    if expected.is_empty() {
        return 1.0;
    }
    let mut found = HashSet::new();
    for block in blocks {
        found.extend(words(&block.text));
    }
    expected.iter().filter(|w| found.contains(*w)).count() as f64 / expected.len() as f64
}
