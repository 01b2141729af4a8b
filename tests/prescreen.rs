//! The prescreen: a page whose furniture changed around the same article
//! is answered "unchanged" without being parsed, and every change the
//! article or its metadata could show is still read in full. A wrong
//! "unchanged" is a lost alert, so most tests here are of pages it must
//! not answer for.

#![allow(clippy::unwrap_used)]

mod support;

use chrono::Utc;
use redline::check::Outcome;
use redline::extract::{ExtractOptions, Region, extract_at, prescreen_unchanged};
use support::Story;

/// The article's paragraphs.
const PARAGRAPHS: [&str; 4] = [
    "The harbour reopened on Saturday morning, three days after the storm tore through the coast, and the first ferries left on time.",
    "Crews worked through the night to clear the wreckage, said the harbour master, who thanked volunteers, fishermen and the coast guard.",
    "Damage to the eastern pier is still being assessed, and engineers expect repairs to take several weeks, perhaps longer if the weather turns.",
    "The council will meet on Monday to discuss emergency funding, a spokesperson said, adding that residents could apply for support online.",
];

/// What a test varies in the page.
#[derive(Default, Clone)]
struct Parts {
    /// The furniture's ticker line, its ad and its script.
    ticker: &'static str,
    /// Markup just before the article's container.
    before: &'static str,
    /// The article's headline (`h1` outside the container, title, og:title
    /// and JSON-LD all say it).
    headline: Option<&'static str>,
    /// Replaces one word of the body: `(from, to)`.
    edit: Option<(&'static str, &'static str)>,
    /// Markup at the start of the container's last paragraph.
    inside: &'static str,
}

fn page(parts: &Parts) -> String {
    let headline = parts.headline.unwrap_or("Harbour reopens after the storm");
    let mut paragraphs: String = PARAGRAPHS.iter().map(|p| format!("<p>{p}</p>\n")).collect();
    if let Some((from, to)) = parts.edit {
        paragraphs = paragraphs.replacen(from, to, 1);
    }
    let ticker = parts.ticker;
    let (before, inside) = (parts.before, parts.inside);
    format!(
        r#"<!DOCTYPE html><html lang="en"><head><title>{headline} | Coast News</title>
<meta property="og:title" content="{headline}">
<script type="application/ld+json">{{"@type":"NewsArticle","headline":"{headline}"}}</script>
<script>var ticker = "{ticker}";</script></head>
<body>
<header class="site-header"><a class="logo" href="/">Coast News</a>
<nav><ul><li><a href="/world">World</a></li><li><a href="/local">Local {ticker}</a></li></ul></nav></header>
<div class="ticker"><p>Markets: {ticker}</p></div>
<div class="ad"><iframe src="/ads?slot={ticker}"></iframe></div>
<div class="layout">
<h1 class="headline">{headline}</h1>
<p class="byline">By Claire Martin</p>
{before}<div class="story-body" id="story">
{paragraphs}<p>{inside}Residents said the reopening came as a relief, and shops along the quay were busy by noon.</p>
</div>
<aside class="sidebar"><h3>Most read</h3><ul><li><a href="/a">Storm warning {ticker}</a></li></ul></aside>
</div>
<footer><p>© Coast News {ticker}</p></footer>
</body></html>"#
    )
}

/// The region a full extraction of `parts`'s page records.
fn recorded(parts: &Parts) -> Option<Region> {
    extract_at(&page(parts), &ExtractOptions::default(), None)
        .unwrap()
        .region
}

/// Whether the prescreen answers "unchanged" for `after` against the
/// region recorded from `before`.
fn answers_unchanged(before: &Parts, after: &Parts) -> bool {
    let region = recorded(before).expect("the plain page records a region");
    prescreen_unchanged(&page(after), &ExtractOptions::default(), &region)
}

fn furniture(ticker: &'static str) -> Parts {
    Parts {
        ticker,
        ..Parts::default()
    }
}

#[test]
fn a_furniture_only_change_is_answered_unchanged() {
    let region = recorded(&furniture("FTSE up 0.4%")).unwrap();
    assert!(region.start_tag.contains("story-body"), "{region:?}");
    assert!(answers_unchanged(
        &furniture("FTSE up 0.4%"),
        &furniture("FTSE down 1.2%, oil flat")
    ));
}

#[test]
fn a_one_word_edit_of_the_article_is_read_in_full() {
    let edited = Parts {
        edit: Some(("three days", "four days")),
        ..furniture("b")
    };
    assert!(!answers_unchanged(&furniture("a"), &edited));
}

#[test]
fn a_headline_edit_outside_the_container_is_read_in_full() {
    let retitled = Parts {
        headline: Some("Harbour reopens after the great storm"),
        ..furniture("b")
    };
    assert!(!answers_unchanged(&furniture("a"), &retitled));
    // Each source alone: the h1, the title, og:title, JSON-LD, the byline.
    let base = page(&furniture("a"));
    let region = recorded(&furniture("a")).unwrap();
    for (from, to) in [
        (
            "\">Harbour reopens after the storm</h1>",
            "\">Harbour reopens</h1>",
        ),
        ("<title>Harbour", "<title>Port"),
        ("content=\"Harbour", "content=\"Port"),
        ("\"headline\":\"Harbour", "\"headline\":\"Port"),
        ("By Claire Martin", "By Clara Martin"),
    ] {
        let edited = base.replacen(from, to, 1);
        assert_ne!(edited, base, "{from}");
        assert!(
            !prescreen_unchanged(&edited, &ExtractOptions::default(), &region),
            "{from}"
        );
    }
}

#[test]
fn an_unclosed_comment_or_script_before_the_container_is_parsed() {
    let region = recorded(&furniture("a")).unwrap();
    for before in ["<!-- promo ", "<script>var promo = 1;"] {
        let parts = Parts {
            before,
            ..furniture("b")
        };
        let html = page(&parts);
        assert!(
            !prescreen_unchanged(&html, &ExtractOptions::default(), &region),
            "{before}"
        );
        // The full parse sees no article where the prescreen saw none.
        let full = extract_at(&html, &ExtractOptions::default(), None);
        let body = full.map(|a| a.article.body_text()).unwrap_or_default();
        assert!(!body.contains("eastern pier"), "{before}: {body}");
    }
}

#[test]
fn an_unclosed_formatting_element_before_the_container_changes_the_context() {
    let bold = Parts {
        before: "<b>Live:",
        ..furniture("b")
    };
    assert!(!answers_unchanged(&furniture("a"), &bold));
    // A link left open, and one closed only by the next link's start tag,
    // which leaves the second open.
    for before in [
        r#"<a href="/live">Live"#,
        r#"<a href="/live">Live<a href="/live">Now</a><a href="/live">"#,
    ] {
        let open = Parts {
            before,
            ..furniture("b")
        };
        assert!(!answers_unchanged(&furniture("a"), &open), "{before}");
    }
    // Closed, the same words leave the context as it was.
    let closed = Parts {
        before: "<b>Live:</b>",
        ..furniture("b")
    };
    assert!(answers_unchanged(&furniture("a"), &closed));
}

#[test]
fn a_stray_end_tag_in_a_table_cell_refuses_the_region() {
    // The parser ignores `</div>` inside a cell; naive counting would end
    // the container there, and the check of the span says so.
    let stray = Parts {
        inside: "<table><tr><td>Tide table</div> high at noon</td></tr></table>",
        ..furniture("a")
    };
    let full = extract_at(&page(&stray), &ExtractOptions::default(), None).unwrap();
    assert!(full.anchor.is_some());
    assert_eq!(full.region, None);
    // The same table without the stray tag is recorded (the `tbody` the
    // parser adds breaks the lockstep; a parse of the span alone proves it).
    let table = Parts {
        inside: "<table><tr><td>Tide table high at noon</td></tr></table>",
        ..furniture("a")
    };
    assert!(recorded(&table).is_some());
}

#[test]
fn a_container_start_tag_seen_twice_gives_no_answer() {
    let region = recorded(&furniture("a")).unwrap();
    let twice = Parts {
        before: r#"<div class="story-body" id="story"><p>Related</p></div>"#,
        ..furniture("b")
    };
    let html = page(&twice);
    assert_eq!(html.matches(region.start_tag.as_str()).count(), 2);
    assert!(!prescreen_unchanged(
        &html,
        &ExtractOptions::default(),
        &region
    ));
}

/// Checks the story's watch once and returns the outcome.
async fn check(story: &Story) -> Outcome {
    let checked = story.pipeline.check(story.watch(), Utc::now()).await;
    checked.result.expect("the check succeeds")
}

#[tokio::test]
async fn a_check_answers_a_furniture_change_without_parsing_and_reads_an_edit() {
    let story = Story::start(&page(&furniture("a"))).await;
    assert!(matches!(check(&story).await, Outcome::Baseline { .. }));
    let metrics = story.pipeline.metrics().clone();

    story.site.serve(&page(&furniture("b")));
    assert!(matches!(check(&story).await, Outcome::Unchanged));
    assert_eq!(metrics.prescreened_count(), 1, "answered without a parse");

    story.site.serve(&page(&Parts {
        edit: Some(("three days", "four days")),
        ..furniture("c")
    }));
    assert!(matches!(check(&story).await, Outcome::Changed { .. }));
    assert_eq!(metrics.prescreened_count(), 1, "the edit was parsed");
}

#[test]
fn svg_icons_in_the_furniture_are_followed_and_a_breakout_gives_no_answer() {
    let icon = Parts {
        before: r#"<svg viewBox="0 0 8 8"><title>Share</title><path d="M0 0h8"/><![CDATA[ <div> ]]></svg>"#,
        ..furniture("a")
    };
    let region = recorded(&icon).expect("an icon leaves the region recordable");
    let churned = Parts {
        ticker: "b",
        ..icon.clone()
    };
    assert!(prescreen_unchanged(
        &page(&churned),
        &ExtractOptions::default(),
        &region
    ));
    // An HTML tag inside SVG ends it early in the parser: not followed,
    // though nothing the digest reads changed.
    let breakout = Parts {
        before: r#"<svg viewBox="0 0 8 8"><title>Share</title><path d="M0 0h8"/><![CDATA[ <div> ]]><p>x</p></svg>"#,
        ..furniture("b")
    };
    assert!(!prescreen_unchanged(
        &page(&breakout),
        &ExtractOptions::default(),
        &region
    ));
}
