//! Extraction: from a page's HTML to an [`Article`] — headline, byline,
//! times, canonical address, language and the body as blocks with their
//! emphasis — with a watch's selector or by detecting the main content.
//!
//! Extraction is pure: it takes the page's text and options and returns the
//! article, with no I/O and no clock (the one exception, [`extract_folder`],
//! lives in its own file for the benchmark). The page is parsed once with
//! `scraper`; everything after is linear walks over a compact view of it.
//!
//! Parts: `bounds` (caps on nesting, tags and attributes before parsing),
//! `dom` (the view of the page), `hints` (what class, id and style
//! words mean), `stats` (text statistics per node), `score` (which part is
//! the article), `furniture` (counters, date lines, prompts and teaser
//! widgets inside the chosen column), `detect` (strict to loose passes and
//! the JSON-LD cross-check), `blocks` (rendering to blocks with emphasis),
//! `lead` (a lead set inside the article's weakly marked header), `items`
//! (ingredient lists that microdata marks as main content),
//! `meta` (metadata), `summary` (the meta description as the lead shown
//! before the body, or as the body of a page with none), `headline` (the
//! visible headline), `guard`
//! (plausibility of a result), `anchor` (extraction from where the previous
//! version's article was), `folder` (bulk runs), `leftovers` (furniture
//! the other clean-up leaves: pointer lines, trailing widget titles, teaser
//! cards, disclosures, date stamps, captions beside their pictures),
//! `notices` (the same notices and rights lines judged on rendered blocks,
//! where element rules cannot see them), and
//! `prescreen` (a page whose article region and metadata are those a full
//! extraction last read, told without parsing) over `region` (the walk
//! that digests it), `names` (what that walk knows of a tag's name),
//! `lockstep` (the proof that a region's bytes spell the parsed subtree)
//! and `tags` (a raw view of the page's markup).

mod anchor;
mod blocks;
mod bounds;
mod detect;
mod dom;
mod folder;
mod furniture;
mod guard;
mod headline;
mod hints;
mod items;
mod lead;
mod meta;
mod names;
mod leftovers;
mod lockstep;
mod notices;
mod prescreen;
mod region;
mod score;
mod sketch;
mod stats;
mod summary;
mod tags;
mod widgets;

use std::collections::HashSet;

use scraper::selector::ToCss;
use scraper::{Html, Selector};

pub use anchor::{Anchor, Anchored, Fallback, Seen, extract_at};
pub use bounds::{MAX_ATTRIBUTES, MAX_DEPTH, MAX_NODES, MIN_NODES, bound, node_budget};
pub use folder::{FolderRun, extract_folder};
pub use guard::{Implausible, PageKind, check_plausible, stand_in_kind};
pub use prescreen::{Region, unchanged as prescreen_unchanged};

use crate::article::{Article, Block};
use dom::{Dom, WalkOptions};

/// How to find the body of a page.
#[derive(Debug, Clone, Default)]
pub struct ExtractOptions {
    /// The watch's CSS selector for the body; `None` detects it
    /// automatically. When it matches several elements, their texts are
    /// joined in document order.
    pub selector: Option<Selector>,
    /// Elements removed, with their content, before anything is extracted.
    pub ignore: Vec<Selector>,
}

/// Why no article could be extracted from a page.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtractError {
    /// The watch's selector matched no element.
    #[error(
        "selector `{selector}` matched nothing on the page; check it with \
         `redline extract URL --selector '{selector}'` or remove it to detect the body automatically"
    )]
    SelectorMatchedNothing {
        /// The selector, as CSS.
        selector: String,
    },
    /// The watch's selector matched only elements without text.
    #[error("selector `{selector}` matched only empty elements; check it with `redline extract`")]
    SelectorMatchedEmpty {
        /// The selector, as CSS.
        selector: String,
    },
    /// Automatic detection found no text that could be an article.
    #[error("no article text found on the page; give the watch a selector (see `redline extract`)")]
    NoArticle,
    /// The page is a consent wall, an error page or a bot check.
    #[error("the page looks like {0}, not the article; it was not compared")]
    NotTheArticle(PageKind),
}

/// Extracts the article from a page.
///
/// # Errors
///
/// [`ExtractError`]: the selector matched nothing or only empty elements,
/// no article text was found, or the page is a consent, error or bot-check
/// page.
pub fn extract(html: &str, options: &ExtractOptions) -> Result<Article, ExtractError> {
    // Hostile shapes (deep nesting, millions of tags or attributes) are cut
    // down first: the parser's cost grows with them faster than with size.
    let page = Html::parse_document(&bound(html));
    article_of(&page, options, HashSet::new())
}

/// The article of a parsed page, detection leaving out the elements in
/// `outside` (with their subtrees) as well as the watch's ignored ones.
/// Metadata is always read from the whole page.
fn article_of(
    page: &Html,
    options: &ExtractOptions,
    outside: HashSet<ego_tree::NodeId>,
) -> Result<Article, ExtractError> {
    let metadata = meta::read(page);
    let mut ignored = outside;
    for selector in &options.ignore {
        ignored.extend(page.select(selector).map(|e| e.id()));
    }
    let mut blocks = match &options.selector {
        Some(selector) => by_selector(page, selector, &ignored)?,
        None => detect::detect(page, &ignored, &metadata),
    };
    drop_repeated_headline(&mut blocks, metadata.headline.as_deref());
    let article = Article {
        headline: metadata.headline,
        titles: Some(metadata.titles),
        byline: metadata.byline,
        published_at: metadata
            .published
            .as_deref()
            .and_then(crate::article::parse_time),
        published: metadata.published,
        modified: metadata.modified,
        canonical_url: metadata.canonical_url,
        language: metadata.language,
        blocks,
    };
    if let Some(kind) = stand_in_kind(&article) {
        return Err(ExtractError::NotTheArticle(kind));
    }
    if article.blocks.is_empty() {
        return match &options.selector {
            Some(selector) => Err(ExtractError::SelectorMatchedEmpty {
                selector: selector.to_css_string(),
            }),
            None => Err(ExtractError::NoArticle),
        };
    }
    Ok(article)
}

/// The blocks of every element `selector` matches, outermost matches only.
fn by_selector(
    page: &Html,
    selector: &Selector,
    ignored: &HashSet<ego_tree::NodeId>,
) -> Result<Vec<Block>, ExtractError> {
    let matches: Vec<_> = page.select(selector).collect();
    if matches.is_empty() {
        return Err(ExtractError::SelectorMatchedNothing {
            selector: selector.to_css_string(),
        });
    }
    let walk = WalkOptions {
        ignored,
        mark_chrome: false,
    };
    let mut blocks = Vec::new();
    let mut taken: HashSet<ego_tree::NodeId> = HashSet::new();
    for element in matches {
        // A match inside an earlier match is already part of its text.
        if element.ancestors().any(|a| taken.contains(&a.id())) || ignored.contains(&element.id()) {
            continue;
        }
        taken.insert(element.id());
        let dom = Dom::build_from(element, &walk);
        blocks.extend(blocks::render(&dom, &[0], &vec![false; dom.nodes.len()]));
    }
    Ok(blocks)
}

/// Removes a first block that repeats the headline: the headline is kept in
/// [`Article::headline`], never in the body.
fn drop_repeated_headline(blocks: &mut Vec<Block>, headline: Option<&str>) {
    let Some(headline) = headline else { return };
    if blocks.first().is_some_and(|b| b.text == headline) {
        blocks.remove(0);
    }
}
