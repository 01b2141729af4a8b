//! The visible headline and the metadata titles, through the real
//! pipeline: an edit to the `h1` alone is reported, a title's edit is
//! reported after the headline, and a version stored before titles were
//! kept upgrades without an alert.

#![allow(clippy::unwrap_used)]

mod support;

use chrono::Utc;
use redline::article::Article;
use redline::check::Outcome;
use redline::extract::{ExtractOptions, extract};
use redline::report::{Format, RenderContext, TitleKind, render};
use redline::store::Store;
use support::{Site, Story};

const PARAGRAPHS: [&str; 4] = [
    "The council approved the budget on Tuesday night after a five-hour debate, with eleven votes in favour and four against.",
    "Spending on schools rises by four percent, while road repairs receive an extra three million euros over the year.",
    "Opposition members said the plan, which relies on higher fees, would hurt families, and promised to fight it next spring.",
    "The mayor called it a budget for everyone, and said the council would review fees again in the autumn, as promised.",
];

/// A page whose visible headline is `h1`, with the given `og:title`,
/// JSON-LD headline (entity-encoded, as pages do) and `<title>`.
fn page(h1: &str, og: &str, ld: &str, title: &str) -> String {
    let paragraphs: String = PARAGRAPHS.iter().map(|p| format!("<p>{p}</p>")).collect();
    format!(
        r#"<!DOCTYPE html><html><head><title>{title}</title>
<meta property="og:title" content="{og}">
<script type="application/ld+json">[{{"@type":"WebSite","name":"Town Daily"}},
{{"@type":"NewsArticle","headline":"{ld}"}}]</script></head>
<body><header><h1 class="site-logo"><a href="/">Town Daily</a></h1></header>
<main><article><h1>{h1}</h1>{paragraphs}</article></main></body></html>"#
    )
}

const H1: &str = "Council approves budget after five-hour debate";
const OG: &str = "Council approves the 2025 budget";
const LD: &str = "Council approves the &#8216;family&#8217; budget";
const TITLE: &str = "Council approves the 2025 budget | Town Daily";

#[test]
fn the_visible_headline_is_the_article_h1_and_titles_decode() {
    let article = extract(&page(H1, OG, LD, TITLE), &ExtractOptions::default()).unwrap();
    assert_eq!(article.headline.as_deref(), Some(H1));
    let titles = article.titles.unwrap();
    assert_eq!(titles.og.as_deref(), Some(OG));
    assert_eq!(
        titles.json_ld.as_deref(),
        Some("Council approves the ‘family’ budget")
    );
    assert_eq!(titles.document.as_deref(), Some(TITLE));
}

#[tokio::test]
async fn a_visible_headline_only_edit_is_reported() {
    let story = Story::start(&page(H1, OG, LD, TITLE)).await;
    let check = || story.pipeline.check(story.watch(), Utc::now());
    assert!(matches!(check().await.result, Ok(Outcome::Baseline { .. })));

    let rewritten = "Council passes budget after five-hour debate";
    story.site.serve(&page(rewritten, OG, LD, TITLE));
    let Ok(Outcome::Changed {
        report, headline, ..
    }) = check().await.result
    else {
        panic!("the headline edit was missed");
    };
    assert_eq!(headline.as_deref(), Some(rewritten));
    let change = report.headline.as_ref().expect("the headline changed");
    assert_eq!((change.old.as_str(), change.new.as_str()), (H1, rewritten));
    assert!(report.titles.is_empty() && report.changes.is_empty());
    assert_eq!(report.summary(), "headline changed");
    let text = render(&report, &RenderContext::default(), Format::Text);
    assert!(text.contains("[-approves-]{+passes+}"), "{text}");
}

#[tokio::test]
async fn a_title_edit_is_reported_after_the_headline() {
    let story = Story::start(&page(H1, OG, LD, TITLE)).await;
    let check = || story.pipeline.check(story.watch(), Utc::now());
    assert!(matches!(check().await.result, Ok(Outcome::Baseline { .. })));

    let new_h1 = "Council approves budget after six-hour debate";
    let new_og = "Council approves the 2025 budget, finally";
    story.site.serve(&page(new_h1, new_og, LD, TITLE));
    let Ok(Outcome::Changed { report, .. }) = check().await.result else {
        panic!("the title edits were missed");
    };
    let kinds: Vec<TitleKind> = report.titles.iter().map(|t| t.kind).collect();
    assert_eq!(kinds, [TitleKind::OgTitle]);
    assert_eq!(report.summary(), "headline changed, og:title changed");
    let labels: Vec<&str> = report.field_changes().iter().map(|(l, _)| *l).collect();
    assert_eq!(labels, ["Headline", "og:title"]);
    for format in [Format::Text, Format::Markdown, Format::Html, Format::Json] {
        let shown = render(&report, &RenderContext::default(), format);
        assert!(shown.contains("finally"), "{format:?}: {shown}");
    }
}

/// A version as redline stored it before it kept titles: no titles, and
/// the headline its metadata gave (the JSON-LD one first).
fn stored_before_titles(html: &str) -> Article {
    let mut article = extract(html, &ExtractOptions::default()).unwrap();
    article.headline = article.titles.take().and_then(|t| t.json_ld);
    article
}

#[tokio::test]
async fn an_upgrade_does_not_alert_and_later_title_edits_do() {
    let html = page(H1, OG, LD, TITLE);
    let site = Site::start(&html).await;
    let setup = support::Setup::new(&support::watch("budget", &site.url(), ""));
    {
        let store = Store::open(&setup.store_dir()).unwrap();
        let name = redline::watchlist::WatchName::parse("budget").unwrap();
        let new = redline::store::NewVersion {
            article: stored_before_titles(&html),
            url: &site.url(),
            captured_at: Utc::now(),
            report: None,
            above: 0,
        };
        store.add_version(&name, new).unwrap();
    }
    let pipeline = setup.pipeline();
    let watchlist = setup.watchlist();
    let watch = &watchlist.watches[0];

    // The stored headline differs from the visible one, and no titles were
    // known: nothing to report, the new version becomes the baseline.
    let first = pipeline.check(watch, Utc::now()).await;
    assert!(
        matches!(first.result, Ok(Outcome::Baseline { version: 2 })),
        "{:?}",
        first.result
    );
    let second = pipeline.check(watch, Utc::now()).await;
    assert!(
        matches!(second.result, Ok(Outcome::Unchanged | Outcome::NotModified)),
        "{second:?}"
    );

    site.serve(&page(
        H1,
        OG,
        LD,
        "Council approves the 2025 budget | Town Daily Online",
    ));
    let Ok(Outcome::Changed { report, .. }) = pipeline.check(watch, Utc::now()).await.result else {
        panic!("the title edit after the upgrade was missed");
    };
    assert_eq!(report.summary(), "page title changed");
}
