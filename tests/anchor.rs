//! Stable extraction across versions, through the real pipeline: a watch
//! extracts from where its article was found, so that furniture inserted
//! around it (an ad block in the page's header, a promo beside the
//! article) changes nothing, and a container that disappears sends
//! detection back to the whole page, which the log says.

#![allow(clippy::unwrap_used)]

mod support;

use chrono::Utc;
use redline::check::Outcome;
use redline::extract::{Anchor, ExtractOptions, Fallback, Seen, extract, extract_at};
use support::{Setup, Site, Story, redline, watch};

/// The story's paragraphs: prose, with commas, as detection expects.
const PARAGRAPHS: [&str; 5] = [
    "The harbour reopened on Saturday morning, three days after the storm tore through the coast, and the first ferries left on time.",
    "Crews worked through the night to clear the wreckage, said the harbour master, who thanked volunteers, fishermen and the coast guard.",
    "Damage to the eastern pier is still being assessed, and engineers expect repairs to take several weeks, perhaps longer if the weather turns.",
    "Local businesses, many of which had closed for the week, said they were relieved, although some had lost stock, equipment and bookings.",
    "The council will meet on Monday to discuss emergency funding, a spokesperson said, adding that residents could apply for support online.",
];

/// A news page: site header with navigation, the article in a main
/// column, a sidebar and a footer. `header_extra` goes at the end of the
/// header, `beside` right after the article in the main column.
fn page(header_extra: &str, beside: &str) -> String {
    let paragraphs: String = PARAGRAPHS.iter().map(|p| format!("<p>{p}</p>\n")).collect();
    format!(
        r#"<!DOCTYPE html><html lang="en"><head><title>Harbour reopens after the storm | Coast News</title>
<meta property="og:title" content="Harbour reopens after the storm">
<meta property="og:site_name" content="Coast News"></head>
<body>
<header class="site-header"><a class="logo" href="/">Coast News</a>
<nav><ul><li><a href="/world">World</a></li><li><a href="/local">Local</a></li><li><a href="/sport">Sport</a></li></ul></nav>
{header_extra}</header>
<div class="layout">
<div class="main-column">
<article class="story">
<h1>Harbour reopens after the storm</h1>
<p class="byline">By Claire Martin</p>
{paragraphs}</article>
{beside}
</div>
<aside class="sidebar"><h3>Most read</h3><ul><li><a href="/a">Storm warning issued</a></li><li><a href="/b">Ferry timetable</a></li></ul></aside>
</div>
<footer><p>© Coast News</p></footer>
</body></html>"#
    )
}

/// An ad block of the kind that once read as "+1 paragraph: NEWS".
const HEADER_AD: &str = r#"<div class="ad-banner"><p>NEWS</p><p>Breaking coverage, live updates, analysis and opinion from our reporters, all day, every day, on every device you own.</p></div>"#;

/// A promo beside the article, as much prose as a paragraph of it.
const BESIDE: &str = r#"<div class="promo"><p>Our newsroom relies on readers like you, and every subscription, however small, keeps independent reporting alive in this region.</p><p>Subscribe today, and get our award-winning journalism, every morning, in your inbox, for less than the price of a coffee.</p></div>"#;

/// Checks the watch of `story` once and returns the outcome.
async fn check(story: &Story) -> Outcome {
    let checked = story.pipeline.check(story.watch(), Utc::now()).await;
    checked.result.expect("the check succeeds")
}

#[tokio::test]
async fn an_ad_block_inserted_in_the_header_changes_nothing() {
    let story = Story::start(&page("", "")).await;
    assert!(matches!(check(&story).await, Outcome::Baseline { .. }));
    let state = story.pipeline.store().state(&story.watch().name).unwrap();
    assert!(
        state.anchor.is_some(),
        "the baseline remembers its container"
    );

    story.site.serve(&page(HEADER_AD, ""));
    let outcome = check(&story).await;
    assert!(matches!(outcome, Outcome::Unchanged), "{outcome:?}");
}

#[tokio::test]
async fn a_block_inserted_beside_the_article_leaves_the_extraction_unchanged() {
    let story = Story::start(&page("", "")).await;
    assert!(matches!(check(&story).await, Outcome::Baseline { .. }));

    story.site.serve(&page("", BESIDE));
    let outcome = check(&story).await;
    assert!(matches!(outcome, Outcome::Unchanged), "{outcome:?}");
    assert_eq!(
        story
            .pipeline
            .store()
            .versions(&story.watch().name)
            .unwrap()
            .len(),
        1
    );

    // An edit inside the article is still seen through the anchor.
    let edited = page("", BESIDE).replace("three days", "four days");
    story.site.serve(&edited);
    let Outcome::Changed { report, .. } = check(&story).await else {
        panic!("the edit inside the article was missed")
    };
    assert_eq!(report.summary(), "1 edit, 1 number changed");
}

#[test]
fn the_anchor_keeps_what_detection_found_and_ignores_a_promo_beside_it() {
    let options = ExtractOptions::default();
    let first = extract_at(&page("", ""), &options, None).unwrap();
    assert_eq!(first.article, extract(&page("", ""), &options).unwrap());
    let anchor = first.anchor.expect("the article sits in one container");
    assert_eq!(anchor.path.last().map(|s| s.tag.as_str()), Some("article"));

    let second = extract_at(&page(HEADER_AD, BESIDE), &options, Some(&anchor)).unwrap();
    assert_eq!(second.fallback, None);
    assert_eq!(second.article.blocks, first.article.blocks);
}

/// An anchor that knows the article it was made from (as a check records
/// it) reads the page as one that does not, to the byte: only the work of
/// hashing the same text again is spared. A changed article is still
/// sketched and tested.
#[test]
fn an_anchor_that_knows_its_article_reads_pages_as_one_that_does_not() {
    let options = ExtractOptions::default();
    let first = extract_at(&page("", ""), &options, None).unwrap();
    let plain = first.anchor.expect("the article sits in one container");
    let knowing = Anchor {
        seen: Some(Seen {
            page: "a page".into(),
            fingerprint: first.article.fingerprint().0,
            region: None,
        }),
        ..plain.clone()
    };
    let edited = page(HEADER_AD, BESIDE).replace("three days", "four days");
    assert_ne!(edited, page(HEADER_AD, BESIDE));
    for html in [page(HEADER_AD, BESIDE), edited] {
        let unknowing = extract_at(&html, &options, Some(&plain)).unwrap();
        let known = extract_at(&html, &options, Some(&knowing)).unwrap();
        assert_eq!(known.article, unknowing.article);
        assert_eq!(known.fallback, unknowing.fallback);
        assert_eq!(known.anchor, unknowing.anchor);
    }
}

/// The same story after a redesign: no `article` element any more.
fn redesigned() -> String {
    page("", "")
        .replace("<article class=\"story\">", "<section class=\"post-body\">")
        .replace("</article>", "</section>")
}

#[test]
fn a_container_that_disappears_falls_back_to_detection() {
    let options = ExtractOptions::default();
    let anchor = extract_at(&page("", ""), &options, None)
        .unwrap()
        .anchor
        .unwrap();
    let after = extract_at(&redesigned(), &options, Some(&anchor)).unwrap();
    assert_eq!(after.fallback, Some(Fallback::Gone));
    assert_eq!(
        after.article.blocks,
        extract(&redesigned(), &options).unwrap().blocks
    );
    assert!(after.anchor.is_some(), "the new container is remembered");

    // The container is there but holds another story: detected afresh too.
    let other = page("", "")
        .replace("harbour", "airport")
        .replace("storm", "strike");
    let other = PARAGRAPHS
        .iter()
        .enumerate()
        .fold(other, |page, (i, p)| {
            page.replace(p, &format!("Another story, paragraph {i}, about trains, buses, timetables and fares in the city."))
        });
    let after = extract_at(&other, &options, Some(&anchor)).unwrap();
    assert!(
        matches!(after.fallback, Some(Fallback::Implausible(_))),
        "{:?}",
        after.fallback
    );
}

/// Runs `redline check` in `dir` off the runtime, which serves the site.
async fn run_check(dir: &std::path::Path) -> std::process::Output {
    let mut command = redline(dir);
    command.arg("check");
    tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_check_whose_container_disappeared_says_so_in_the_log() {
    let site = Site::start(&page("", "")).await;
    let setup = Setup::new(&watch("harbour", &site.url(), ""));
    let first = run_check(setup.dir.path()).await;
    assert!(first.status.success(), "{first:?}");

    site.serve(&redesigned());
    let second = run_check(setup.dir.path()).await;
    assert!(second.status.success(), "{second:?}");
    let log = String::from_utf8_lossy(&second.stderr);
    let line = log
        .lines()
        .find(|l| l.contains("detecting the article afresh"))
        .unwrap_or_else(|| panic!("no fallback in the log:\n{log}"));
    assert!(line.contains("harbour"), "{line}");
    assert!(line.contains("container is gone"), "{line}");
    // The same article, found again elsewhere: no change to report.
    assert!(second.stdout.is_empty(), "{second:?}");
}

/// A story whose anchor is its `article`: a lead apart from the body, and
/// `beside` set inside the body's column, right after its paragraphs, two
/// levels below the container.
fn nested(beside: &str, body_class: &str) -> String {
    let paragraphs: String = PARAGRAPHS.iter().map(|p| format!("<p>{p}</p>\n")).collect();
    let story = format!(
        r#"<article class="story"><h1>Harbour reopens after the storm</h1>
<div class="story-lead"><p>The harbour is open again, and the ferries run, after a week in which the coast counted the cost of the worst storm in decades.</p></div>
<div class="story-main"><div class="{body_class}">
{paragraphs}</div>
{beside}</div></article>"#
    );
    let plain = page("", "");
    let start = plain.find("<article").expect("the page has an article");
    let end = plain.find("</article>").expect("the article ends") + "</article>".len();
    format!("{}{story}{}", &plain[..start], &plain[end..])
}

#[test]
fn a_promo_set_deep_inside_the_container_is_left_out() {
    let options = ExtractOptions::default();
    let first = extract_at(&nested("", "story-body"), &options, None).unwrap();
    let anchor = first.anchor.expect("the article sits in one container");
    assert_eq!(anchor.path.last().map(|s| s.tag.as_str()), Some("article"));
    assert!(
        first
            .article
            .body_text()
            .contains("The harbour is open again")
    );

    // A class that says nothing: only its being new gives it away.
    let with_promo = nested(&BESIDE.replace("promo", "box-3"), "story-body");
    // Detection alone takes the promo in, as more prose of the column.
    let fresh = extract(&with_promo, &options).unwrap();
    assert!(fresh.body_text().contains("Our newsroom"));
    let second = extract_at(&with_promo, &options, Some(&anchor)).unwrap();
    assert_eq!(second.fallback, None);
    assert_eq!(second.article.blocks, first.article.blocks);
    // What was left out stays out on the next check too.
    let next = second.anchor.expect("the container is remembered");
    let third = extract_at(&with_promo, &options, Some(&next)).unwrap();
    assert_eq!(third.article.blocks, first.article.blocks);
}

#[test]
fn old_text_under_a_new_class_is_still_the_article() {
    let options = ExtractOptions::default();
    let first = extract_at(&nested("", "story-body"), &options, None).unwrap();
    let anchor = first.anchor.expect("the article sits in one container");
    // A restyled body: its class is new, its text is not.
    let restyled = nested("", "article-text");
    let second = extract_at(&restyled, &options, Some(&anchor)).unwrap();
    assert_eq!(second.fallback, None);
    assert_eq!(second.article.blocks, first.article.blocks);
}

/// After unchanged checks answered from the store's cache (its anchor
/// trimmed there), a page that must be extracted again is read through
/// the whole anchor: a promo set inside the container, which detection
/// alone takes in (see `a_promo_set_deep_inside_the_container_is_left_out`),
/// stays out, and an edit inside the article is still found.
#[tokio::test]
async fn after_cached_checks_an_extraction_still_uses_the_whole_anchor() {
    let story = Story::start(&nested("", "story-body")).await;
    let name = story.watch().name.clone();
    assert!(matches!(check(&story).await, Outcome::Baseline { .. }));
    for _ in 0..3 {
        let outcome = check(&story).await;
        assert!(
            matches!(outcome, Outcome::Unchanged | Outcome::NotModified),
            "{outcome:?}"
        );
    }
    let kept = story.pipeline.store().kept_state(&name).expect("kept");
    assert!(
        matches!(kept.anchor, Some(redline::store::KeptAnchor::Trimmed(_))),
        "the cache keeps the anchor trimmed"
    );

    let with_promo = nested(&BESIDE.replace("promo", "box-3"), "story-body");
    story.site.serve(&with_promo);
    let outcome = check(&story).await;
    assert!(matches!(outcome, Outcome::Unchanged), "{outcome:?}");
    assert_eq!(story.pipeline.store().versions(&name).unwrap().len(), 1);
    let whole = story.pipeline.store().anchor(&name).unwrap();
    assert!(
        whole.is_some_and(|a| !a.runs.is_empty()),
        "the anchor on disk is whole"
    );

    story
        .site
        .serve(&with_promo.replace("three days", "four days"));
    let Outcome::Changed { report, .. } = check(&story).await else {
        panic!("the edit inside the article was missed")
    };
    assert_eq!(report.summary(), "1 edit, 1 number changed");
}
