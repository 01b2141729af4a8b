//! The mutation benchmark: edits applied to the real pages of the
//! extraction dev split, each checked the way a watch's check would see
//! it, counting false alerts and misses per kind of edit.
//!
//! For each page, the baseline is extracted with no anchor (a watch's first
//! check), then each mutated page is extracted with the baseline's anchor
//! and compared with `diff::compare`, behind the same plausibility guard
//! and fingerprint test as `check`. Chrome edits (a view counter, rotated
//! link lists, a promo in the header or beside the article, edited
//! navigation links, attribute churn) must stay silent; article edits (a
//! number, a word, an appended bold paragraph, a removed paragraph, the
//! visible headline, a removed list item) must alert with the changed text
//! in the report. Every mutation is made on elements found by parsing the
//! page (the body's own paragraphs, its `h1`, its link lists), on a copy of
//! the parsed tree that is then serialised, and is seeded per page and
//! kind, so that runs are reproducible.
//!
//! Run with `cargo bench --bench mutation`. The data is found as
//! `benches/extraction.rs` finds it (`../shared/data/extraction/dev`, or
//! `$REDLINE_EXTRACTION_DATA`). `REDLINE_MUTATION_SHOW=KIND` prints every
//! failure of that kind; `REDLINE_MUTATION_NO_ANCHOR=1` extracts every
//! version afresh, without the baseline's anchor, for comparison.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use ego_tree::NodeId;
use redline::article::{Article, normalize_text};
use redline::diff::{DiffOptions, compare};
use redline::extract::{ExtractOptions, check_plausible, extract_at};
use redline::report::{Change, Report};
use scraper::node::Text;
use scraper::{ElementRef, Html, Node, StrTendril};

/// Stands for raw HTML in a serialised tree until it is replaced.
const MARKER: &str = "ZZMUTATIONMARKERZZ";

/// A promo set in the page's header or beside the article: prose with
/// commas, as tempting to a detector as any paragraph.
const PROMO: &str = "<div class=\"box-3\"><p>NEWS</p><p>Our newsroom relies on readers like you, and every subscription, however small, keeps independent reporting alive in this region for another year.</p><p>Subscribe today, and get our award-winning journalism, every morning, in your inbox, for less than the price of a coffee.</p></div>";

/// The kinds of edit, chrome first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Counter,
    RotatedLinks,
    HeaderPromo,
    BesidePromo,
    NavLinkText,
    AttributeChurn,
    Number,
    Word,
    AppendedBold,
    RemovedParagraph,
    Headline,
    RemovedListItem,
}

const KINDS: [Kind; 12] = [
    Kind::Counter,
    Kind::RotatedLinks,
    Kind::HeaderPromo,
    Kind::BesidePromo,
    Kind::NavLinkText,
    Kind::AttributeChurn,
    Kind::Number,
    Kind::Word,
    Kind::AppendedBold,
    Kind::RemovedParagraph,
    Kind::Headline,
    Kind::RemovedListItem,
];

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::RotatedLinks => "rotated-links",
            Kind::HeaderPromo => "header-promo",
            Kind::BesidePromo => "beside-promo",
            Kind::NavLinkText => "nav-link-text",
            Kind::AttributeChurn => "attribute-churn",
            Kind::Number => "number",
            Kind::Word => "word",
            Kind::AppendedBold => "appended-bold",
            Kind::RemovedParagraph => "removed-paragraph",
            Kind::Headline => "headline",
            Kind::RemovedListItem => "removed-list-item",
        }
    }

    fn is_chrome(self) -> bool {
        matches!(
            self,
            Kind::Counter
                | Kind::RotatedLinks
                | Kind::HeaderPromo
                | Kind::BesidePromo
                | Kind::NavLinkText
                | Kind::AttributeChurn
        )
    }
}

/// One mutated pair: the page before and after, and for an article edit
/// the text its report must show.
struct Trial {
    before: String,
    after: String,
    expect: Option<String>,
}

/// The counts of one kind.
#[derive(Default)]
struct Tally {
    trials: usize,
    failures: Vec<String>,
}

fn main() {
    let Some(dev) = find_dev() else {
        eprintln!(
            "extraction data not found: set REDLINE_EXTRACTION_DATA to the folder holding dev/"
        );
        std::process::exit(2);
    };
    let pages = load_pages(&dev);
    let show = std::env::var("REDLINE_MUTATION_SHOW").ok();
    let mut tallies: Vec<Tally> = KINDS.iter().map(|_| Tally::default()).collect();
    let mut skipped = 0;
    for (name, raw) in &pages {
        let original = Html::parse_document(raw);
        let base_html = original.html();
        let Ok(base) = extract_at(&base_html, &ExtractOptions::default(), None) else {
            skipped += 1;
            continue;
        };
        let page = Page::new(original, &base.article);
        for (k, kind) in KINDS.iter().enumerate() {
            let mut rng = fastrand::Rng::with_seed(seed(name, *kind));
            let Some(trial) = page.mutate(*kind, &mut rng, &base_html) else {
                continue;
            };
            let verdict = run(&trial, &base_html, &base);
            tallies[k].trials += 1;
            if let Err(why) = verdict {
                if show.as_deref() == Some(kind.name()) {
                    println!("--- {name} {}: {why}", kind.name());
                    println!(
                        "    anchor: {:?}",
                        base.anchor.as_ref().map(|a| (&a.path, &a.children))
                    );
                }
                tallies[k].failures.push(format!("{name}: {why}"));
            }
        }
    }
    report(&tallies, pages.len(), skipped);
}

/// Runs one trial as a check would: `Ok` when the outcome is right.
fn run(trial: &Trial, base_html: &str, base: &redline::extract::Anchored) -> Result<(), String> {
    let options = ExtractOptions::default();
    // The counter's baseline carries the counter: extract it as its own.
    let fresh;
    let before = if trial.before == base_html {
        base
    } else {
        fresh = extract_at(&trial.before, &options, None).map_err(|e| format!("baseline: {e}"))?;
        &fresh
    };
    // Without the anchor, each version is detected on its own, as a
    // stateless extractor would: the comparison that shows what it buys.
    let anchor = if std::env::var_os("REDLINE_MUTATION_NO_ANCHOR").is_some() {
        None
    } else {
        before.anchor.as_ref()
    };
    let after = extract_at(&trial.after, &options, anchor);
    let alert = match &after {
        Ok(after) if check_plausible(&before.article, &after.article).is_ok() => {
            let report = compare(&before.article, &after.article, &DiffOptions::default());
            (after.article.fingerprint() != before.article.fingerprint() && !report.is_empty())
                .then_some(report)
        }
        _ => None,
    };
    let fallback = after
        .as_ref()
        .ok()
        .and_then(|a| a.fallback.as_ref())
        .map(|f| format!(" (fell back: {f})"))
        .unwrap_or_else(|| match &before.anchor {
            None => " (no anchor)".to_string(),
            Some(_) => String::new(),
        });
    match (&trial.expect, alert) {
        (None, None) => Ok(()),
        (None, Some(report)) => Err(format!("false alert: {}{fallback}", brief(&report))),
        (Some(text), None) => Err(format!("missed {text:?}{fallback}")),
        (Some(text), Some(report)) if shows(&report, text) => Ok(()),
        (Some(text), Some(report)) => Err(format!(
            "alert without {text:?}: {}{fallback}",
            brief(&report)
        )),
    }
}

/// The report's summary and the first of its changed texts.
fn brief(report: &Report) -> String {
    let texts = changed_texts(report);
    let first: String = texts
        .first()
        .map(|t| t.chars().take(80).collect())
        .unwrap_or_default();
    format!("{} [{first}]", report.summary())
}

/// Whether the report shows `text` among what changed.
fn shows(report: &Report, text: &str) -> bool {
    let key = normalize_text(text);
    changed_texts(report).iter().any(|t| t.contains(&key))
}

/// Every changed text of a report: headline and titles, added and removed
/// blocks, the changed segments of edits and notes.
fn changed_texts(report: &Report) -> Vec<String> {
    let mut texts = Vec::new();
    for (_, field) in report.field_changes() {
        texts.push(field.old.clone());
        texts.push(field.new.clone());
    }
    for change in &report.changes {
        match change {
            Change::Added { blocks, .. } | Change::Removed { blocks, .. } => {
                texts.extend(blocks.iter().map(|b| b.text.clone()));
            }
            Change::Edited { segments, .. }
            | Change::Moved { segments, .. }
            | Change::Note { segments, .. } => {
                let changed: String = segments
                    .iter()
                    .filter(|s| s.op != redline::report::SegmentOp::Equal)
                    .map(|s| s.text.as_str())
                    .collect::<Vec<_>>()
                    .join(" ");
                texts.push(changed);
                if let Change::Note { text, .. } = change {
                    texts.push(text.clone());
                }
            }
            Change::Emphasised { text, .. } | Change::Deemphasised { text, .. } => {
                texts.push(text.clone());
            }
        }
    }
    texts
}

/// Prints the table.
fn report(tallies: &[Tally], pages: usize, skipped: usize) {
    println!("mutation benchmark: {pages} pages ({skipped} without a baseline article)");
    println!(
        "{:<20} {:>7} {:>9} {:>8}",
        "kind", "trials", "failures", "rate"
    );
    let mut totals = [(0, 0); 2];
    for (kind, tally) in KINDS.iter().zip(tallies) {
        let label = if kind.is_chrome() {
            "false alerts"
        } else {
            "misses"
        };
        let failed = tally.failures.len();
        println!(
            "{:<20} {:>7} {:>9} {:>7.1}%  ({label})",
            kind.name(),
            tally.trials,
            failed,
            100.0 * failed as f64 / tally.trials.max(1) as f64
        );
        let t = &mut totals[usize::from(!kind.is_chrome())];
        t.0 += tally.trials;
        t.1 += failed;
    }
    println!(
        "chrome edits: {} trials, {} false alerts; article edits: {} trials, {} misses",
        totals[0].0, totals[0].1, totals[1].0, totals[1].1
    );
    for (kind, tally) in KINDS.iter().zip(tallies) {
        for failure in tally.failures.iter().take(12) {
            println!("  {}: {failure}", kind.name());
        }
    }
}

/// A seed for one page and kind, stable across runs and builds.
fn seed(name: &str, kind: Kind) -> u64 {
    name.bytes()
        .chain(kind.name().bytes())
        .fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        })
}

/// A parsed page and the elements of its body, found by the baseline's
/// text.
struct Page {
    html: Html,
    /// `p` elements whose text is one of the body's blocks.
    paragraphs: Vec<NodeId>,
    /// `li` elements whose text is one of the body's blocks.
    items: Vec<NodeId>,
    /// The `h1`s whose text is the visible headline.
    headlines: Vec<NodeId>,
}

impl Page {
    fn new(html: Html, article: &Article) -> Page {
        let blocks: HashSet<&str> = article.blocks.iter().map(|b| b.text.as_str()).collect();
        let text_of = |e: &ElementRef<'_>| normalize_text(&e.text().collect::<String>());
        let mut paragraphs = Vec::new();
        let mut items = Vec::new();
        let mut headlines = Vec::new();
        for element in html.root_element().descendent_elements() {
            let tag = element.value().name();
            if !matches!(tag, "p" | "li" | "h1") {
                continue;
            }
            let text = text_of(&element);
            if text.is_empty() {
                continue;
            }
            match tag {
                "p" if blocks.contains(text.as_str()) => paragraphs.push(element.id()),
                "li" if blocks.contains(text.as_str()) => items.push(element.id()),
                "h1" if article.headline.as_deref() == Some(&text) => {
                    headlines.push(element.id());
                }
                _ => {}
            }
        }
        Page {
            html,
            paragraphs,
            items,
            headlines,
        }
    }

    /// The trial of one kind of edit on this page, or `None` when the page
    /// has nothing to apply it to.
    fn mutate(&self, kind: Kind, rng: &mut fastrand::Rng, base: &str) -> Option<Trial> {
        let mut html = self.html.clone();
        let article = |after: String, expect: String| Trial {
            before: base.to_string(),
            after,
            expect: Some(expect),
        };
        let chrome = |after: String| Trial {
            before: base.to_string(),
            after,
            expect: None,
        };
        match kind {
            Kind::Number => {
                let (_, new) = self.edit_text(&mut html, rng, &self.paragraphs, number_edit)?;
                Some(article(html.html(), new))
            }
            Kind::Word => {
                let (_, new) = self.edit_text(&mut html, rng, &self.paragraphs, word_edit)?;
                Some(article(html.html(), new))
            }
            Kind::Headline => {
                // Pages repeat the headline (a sticky bar, a hidden copy):
                // an edit made in the CMS changes every copy.
                let (node, new) = self.edit_text(&mut html, rng, &self.headlines, word_edit)?;
                let edited = html.tree.get(node)?.value().as_text()?.to_string();
                let old = self.html.tree.get(node)?.value().as_text()?.to_string();
                retext_all(&mut html, &old, &edited);
                Some(article(html.html(), new))
            }
            Kind::AppendedBold => {
                let last = *self.paragraphs.last()?;
                let text = "Update: the council added three new members on Friday evening.";
                insert_after(&mut html, last, &format!("<p><b>{text}</b></p>"));
                Some(article(with_raw(&html), text.to_string()))
            }
            Kind::RemovedParagraph => {
                removed(&mut html, rng, &self.paragraphs, 40).map(|text| article(html.html(), text))
            }
            Kind::RemovedListItem => {
                removed(&mut html, rng, &self.items, 3).map(|text| article(html.html(), text))
            }
            Kind::Counter => self.counter(rng),
            Kind::RotatedLinks => rotate_links(&mut html, rng).then(|| chrome(html.html())),
            Kind::HeaderPromo => {
                let at = header_of(&html)?;
                prepend(&mut html, at, PROMO);
                Some(chrome(with_raw(&html)))
            }
            Kind::BesidePromo => {
                let container = self.container()?;
                insert_after(&mut html, container, PROMO);
                Some(chrome(with_raw(&html)))
            }
            Kind::NavLinkText => edit_nav_links(&mut html, rng).then(|| chrome(html.html())),
            Kind::AttributeChurn => {
                churn_attributes(&mut html, rng);
                Some(chrome(html.html()))
            }
        }
    }

    /// Edits one text node inside one of `elements`, chosen by `rng`, with
    /// `edit`; returns the node and the new text the report must show.
    fn edit_text(
        &self,
        html: &mut Html,
        rng: &mut fastrand::Rng,
        elements: &[NodeId],
        edit: fn(&str, &mut fastrand::Rng) -> Option<(String, String)>,
    ) -> Option<(NodeId, String)> {
        let mut texts: Vec<NodeId> = Vec::new();
        for &id in elements {
            let element = ElementRef::wrap(html.tree.get(id)?)?;
            texts.extend(
                element
                    .descendants()
                    .filter(|n| {
                        n.value()
                            .as_text()
                            .is_some_and(|t| edit(t, &mut fastrand::Rng::with_seed(0)).is_some())
                    })
                    .map(|n| n.id()),
            );
        }
        if texts.is_empty() {
            return None;
        }
        let node = texts[rng.usize(..texts.len())];
        let mut node_mut = html.tree.get_mut(node)?;
        let Node::Text(text) = node_mut.value() else {
            return None;
        };
        let (new_text, shown) = edit(&text.text, rng)?;
        text.text = StrTendril::from(new_text.as_str());
        Some((node, shown))
    }

    /// A view counter after the headline (or at the top of the body), its
    /// number different in the two versions.
    fn counter(&self, rng: &mut fastrand::Rng) -> Option<Trial> {
        let views = |n: u32| {
            let mut html = self.html.clone();
            let raw = format!(
                "<div class=\"post-meta\"><span class=\"views\">{},{:03} views</span></div>",
                n / 1000,
                n % 1000
            );
            match self.headlines.first() {
                Some(&h1) => insert_after(&mut html, h1, &raw),
                None => {
                    let body = body_id(&html)?;
                    prepend(&mut html, body, &raw);
                }
            }
            Some(with_raw(&html))
        };
        let n = rng.u32(1_000..90_000);
        Some(Trial {
            before: views(n)?,
            after: views(n + rng.u32(1..500))?,
            expect: None,
        })
    }

    /// The deepest element holding at least nine in ten of the body's
    /// paragraphs.
    fn container(&self) -> Option<NodeId> {
        let first = *self.paragraphs.first()?;
        let need = (self.paragraphs.len() * 9).div_ceil(10);
        let node = self.html.tree.get(first)?;
        node.ancestors()
            .filter_map(ElementRef::wrap)
            .find(|a| {
                let inside: HashSet<NodeId> = a.descendants().map(|d| d.id()).collect();
                self.paragraphs
                    .iter()
                    .filter(|p| inside.contains(p))
                    .count()
                    >= need
            })
            .filter(|a| !matches!(a.value().name(), "body" | "html"))
            .map(|a| a.id())
    }
}

/// Gives every text node whose text reads as `old` the text `new`.
fn retext_all(html: &mut Html, old: &str, new: &str) {
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
fn number_edit(text: &str, rng: &mut fastrand::Rng) -> Option<(String, String)> {
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
fn digit_runs(text: &str) -> Vec<(usize, usize)> {
    runs(text, |b| b.is_ascii_digit())
        .into_iter()
        .filter(|(start, end)| end - start <= 9)
        .collect()
}

/// The maximal runs of bytes that `keep` accepts, as byte ranges.
fn runs(text: &str, keep: fn(u8) -> bool) -> Vec<(usize, usize)> {
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
fn word_edit(text: &str, rng: &mut fastrand::Rng) -> Option<(String, String)> {
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
fn removed(
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
fn insert_after(html: &mut Html, id: NodeId, raw: &str) {
    if let Some(mut node) = html.tree.get_mut(id) {
        node.insert_after(marker(raw));
    }
}

/// Inserts raw HTML as the first child of an element.
fn prepend(html: &mut Html, id: NodeId, raw: &str) {
    if let Some(mut node) = html.tree.get_mut(id) {
        node.prepend(marker(raw));
    }
}

thread_local! {
    static RAW: std::cell::RefCell<Vec<String>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A marker text node standing for `raw`.
fn marker(raw: &str) -> Node {
    RAW.with(|r| r.borrow_mut().push(raw.to_string()));
    Node::Text(Text {
        text: StrTendril::from(MARKER),
    })
}

/// The serialised page with each marker replaced by its raw HTML.
fn with_raw(html: &Html) -> String {
    let mut out = html.html();
    RAW.with(|r| {
        for raw in r.borrow_mut().drain(..) {
            out = out.replacen(MARKER, &raw, 1);
        }
    });
    out
}

fn body_id(html: &Html) -> Option<NodeId> {
    html.root_element()
        .child_elements()
        .find(|e| e.value().name() == "body")
        .map(|e| e.id())
}

/// The page's header (`<header>` outside any article, else a banner), or
/// the body when it has none.
fn header_of(html: &Html) -> Option<NodeId> {
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
fn rotate_links(html: &mut Html, rng: &mut fastrand::Rng) -> bool {
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
fn edit_nav_links(html: &mut Html, rng: &mut fastrand::Rng) -> bool {
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
fn churn_attributes(html: &mut Html, rng: &mut fastrand::Rng) {
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

/// The dev split's folder.
fn find_dev() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("REDLINE_EXTRACTION_DATA") {
        return Some(PathBuf::from(dir).join("dev"));
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    root.ancestors()
        .skip(1)
        .map(|a| a.join("shared/data/extraction/dev"))
        .find(|d| d.is_dir())
}

/// Every `NAME/page.html` under `dev`, sorted by name.
fn load_pages(dev: &Path) -> Vec<(String, String)> {
    let mut pages: Vec<(String, String)> = std::fs::read_dir(dev)
        .expect("the dev folder can be listed")
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let bytes = std::fs::read(entry.path().join("page.html")).ok()?;
            let name = entry.file_name().to_string_lossy().into_owned();
            Some((name, String::from_utf8_lossy(&bytes).into_owned()))
        })
        .collect();
    pages.sort();
    pages
}
