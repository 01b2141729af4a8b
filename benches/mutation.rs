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
//! version afresh, without the baseline's anchor, for comparison;
//! `REDLINE_MUTATION_DUMP=DIR` writes each failing trial's two pages to
//! `DIR/PAGE.KIND.before.html` and `.after.html`, to rerun them alone.
//!
//! Each trial is also put to the prescreen (`extract::prescreen_unchanged`
//! with the region the "before" page's extraction recorded): an article
//! edit it answers "unchanged" would be a lost alert, and is counted as a
//! miss; on chrome edits its answers are the share of checks spared a
//! parse.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use ego_tree::NodeId;
use redline::article::{Article, normalize_text};
use redline::diff::{DiffOptions, compare};
use redline::extract::{ExtractOptions, check_plausible, extract_at, prescreen_unchanged};
use redline::report::{Change, Report};
use scraper::{ElementRef, Html, Node, StrTendril};

#[path = "mutation/edits.rs"]
mod edits;
use edits::*;

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
    /// Trials the prescreen answered "unchanged" without a parse.
    prescreened: usize,
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
    let (mut skipped, mut regions) = (0, 0);
    for (name, raw) in &pages {
        let original = Html::parse_document(raw);
        let base_html = original.html();
        let Ok(base) = extract_at(&base_html, &ExtractOptions::default(), None) else {
            skipped += 1;
            continue;
        };
        regions += usize::from(base.region.is_some());
        let page = Page::new(original, &base.article);
        for (k, kind) in KINDS.iter().enumerate() {
            let mut rng = fastrand::Rng::with_seed(seed(name, *kind));
            let Some(trial) = page.mutate(*kind, &mut rng, &base_html) else {
                continue;
            };
            let (verdict, prescreened) = run(&trial, &base_html, &base);
            tallies[k].trials += 1;
            if prescreened {
                tallies[k].prescreened += 1;
                if !kind.is_chrome() {
                    tallies[k]
                        .failures
                        .push(format!("{name}: the prescreen hid the edit"));
                }
            }
            if let Err(why) = verdict {
                if show.as_deref() == Some(kind.name()) {
                    println!("--- {name} {}: {why}", kind.name());
                    println!(
                        "    anchor: {:?}",
                        base.anchor.as_ref().map(|a| (&a.path, &a.kinds))
                    );
                }
                if let Some(dir) = std::env::var_os("REDLINE_MUTATION_DUMP") {
                    dump(Path::new(&dir), &format!("{name}.{}", kind.name()), &trial);
                }
                tallies[k].failures.push(format!("{name}: {why}"));
            }
        }
    }
    report(&tallies, pages.len(), skipped, regions);
}

/// Writes a failing trial's two pages as `DIR/STEM.before.html` and
/// `DIR/STEM.after.html`.
fn dump(dir: &Path, stem: &str, trial: &Trial) {
    let written = std::fs::create_dir_all(dir).and_then(|()| {
        std::fs::write(dir.join(format!("{stem}.before.html")), &trial.before)?;
        std::fs::write(dir.join(format!("{stem}.after.html")), &trial.after)
    });
    if let Err(e) = written {
        eprintln!("{}: cannot write the trial: {e}", dir.display());
    }
}

/// Runs one trial as a check would: `Ok` when the outcome is right; and
/// whether the prescreen answered "unchanged" for it.
fn run(
    trial: &Trial,
    base_html: &str,
    base: &redline::extract::Anchored,
) -> (Result<(), String>, bool) {
    let options = ExtractOptions::default();
    // The counter's baseline carries the counter: extract it as its own.
    let fresh;
    let before = if trial.before == base_html {
        base
    } else {
        match extract_at(&trial.before, &options, None) {
            Ok(extracted) => fresh = extracted,
            Err(e) => return (Err(format!("baseline: {e}")), false),
        }
        &fresh
    };
    let prescreened = before
        .region
        .as_ref()
        .is_some_and(|region| prescreen_unchanged(&trial.after, &options, region));
    (judge(trial, before, &options), prescreened)
}

/// The full extraction's outcome of one trial: `Ok` when it is right.
fn judge(
    trial: &Trial,
    before: &redline::extract::Anchored,
    options: &ExtractOptions,
) -> Result<(), String> {
    // Without the anchor, each version is detected on its own, as a
    // stateless extractor would: the comparison that shows what it buys.
    let anchor = if std::env::var_os("REDLINE_MUTATION_NO_ANCHOR").is_some() {
        None
    } else {
        before.anchor.as_ref()
    };
    let after = extract_at(&trial.after, options, anchor);
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
fn report(tallies: &[Tally], pages: usize, skipped: usize, regions: usize) {
    println!(
        "mutation benchmark: {pages} pages ({skipped} without a baseline article, {regions} with a prescreen region)"
    );
    println!(
        "{:<20} {:>7} {:>9} {:>8} {:>12}",
        "kind", "trials", "failures", "rate", "prescreened"
    );
    let mut totals = [(0, 0, 0); 2];
    for (kind, tally) in KINDS.iter().zip(tallies) {
        let label = if kind.is_chrome() {
            "false alerts"
        } else {
            "misses"
        };
        let failed = tally.failures.len();
        println!(
            "{:<20} {:>7} {:>9} {:>7.1}% {:>12}  ({label})",
            kind.name(),
            tally.trials,
            failed,
            100.0 * failed as f64 / tally.trials.max(1) as f64,
            tally.prescreened,
        );
        let t = &mut totals[usize::from(!kind.is_chrome())];
        t.0 += tally.trials;
        t.1 += failed;
        t.2 += tally.prescreened;
    }
    println!(
        "chrome edits: {} trials, {} false alerts; article edits: {} trials, {} misses",
        totals[0].0, totals[0].1, totals[1].0, totals[1].1
    );
    println!(
        "prescreen: chrome edits answered unchanged without a parse {} of {} ({:.1}%); article edits answered unchanged {} (must be 0)",
        totals[0].2,
        totals[0].0,
        100.0 * totals[0].2 as f64 / totals[0].0.max(1) as f64,
        totals[1].2
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
        let page_text = normalize_text(&html.root_element().text().collect::<String>());
        for element in html.root_element().descendent_elements() {
            let tag = element.value().name();
            if !matches!(tag, "p" | "li" | "h1") {
                continue;
            }
            let text = text_of(&element);
            if text.is_empty() {
                continue;
            }
            // A text the page repeats (a list item also in a menu) could
            // name an element outside the body: such texts are not edited.
            let unique = page_text.matches(text.as_str()).count() == 1;
            match tag {
                "p" if unique && blocks.contains(text.as_str()) => paragraphs.push(element.id()),
                "li" if unique && blocks.contains(text.as_str()) => items.push(element.id()),
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
                // Appended to the running text: a paragraph inside a
                // figure is its caption, where an update is never typed.
                let last = self.paragraphs.iter().rev().copied().find(|&p| {
                    self.html.tree.get(p).is_some_and(|p| {
                        !p.ancestors().filter_map(ElementRef::wrap).any(|a| {
                            matches!(a.value().name(), "figure" | "figcaption" | "caption")
                        })
                    })
                })?;
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
