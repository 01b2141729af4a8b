//! The whole pipeline against a real HTTP server on loopback: the seed
//! article's April 25 update, a chrome-only change, 304 answers, faults,
//! flip-flops and failure streaks.

#![allow(clippy::unwrap_used)]

mod support;

use chrono::Utc;
use redline::check::{CheckError, Outcome};
use redline::report::{Change, NoteKind, NoteStatus, Report, SegmentOp};
use redline::store::{KeptAnchor, Store};
use support::{Fault, SEED_V1, SEED_V1_CHROME, SEED_V2, Setup, Site, Story, watch};

/// A one-line description of a change, for comparing whole reports.
fn describe(change: &Change) -> String {
    match change {
        Change::Edited { segments, .. } => {
            let join = |op| {
                segments
                    .iter()
                    .filter(|s| s.op == op)
                    .map(|s| s.text.trim())
                    .collect::<Vec<_>>()
                    .join(" | ")
            };
            format!(
                "edited: -[{}] +[{}]",
                join(SegmentOp::Deleted),
                join(SegmentOp::Inserted)
            )
        }
        Change::Added { blocks, .. } => {
            let bold = blocks
                .iter()
                .all(|b| b.emphasised_share(redline::article::Style::Bold) > 0.9);
            let first: String = blocks[0].text.chars().take(30).collect();
            format!(
                "added {} block(s){}: {first}",
                blocks.len(),
                if bold { " in bold" } else { "" }
            )
        }
        Change::Note {
            kind, status, text, ..
        } => {
            let start: String = text.chars().take(40).collect();
            format!("note {kind:?} {status:?}: {start}")
        }
        other => format!("{other:?}"),
    }
}

async fn seed_update_report() -> Report {
    let story = Story::start(SEED_V1).await;
    let (site, pipeline, binance) = (&story.site, &story.pipeline, story.watch());

    let first = pipeline.check(binance, Utc::now()).await;
    assert!(
        matches!(first.result, Ok(Outcome::Baseline { version: 1 })),
        "{:?}",
        first.result
    );

    site.serve(SEED_V2);
    let second = pipeline.check(binance, Utc::now()).await;
    let Ok(Outcome::Changed {
        from: 1,
        to: 2,
        report,
        headline,
    }) = second.result
    else {
        panic!(
            "the update was not reported as a change: {:?}",
            second.result
        );
    };
    assert_eq!(
        headline.as_deref(),
        Some("Binance Regional Head Agreed to Hand Client Data to Russia After Meeting – Reuters")
    );
    *report
}

#[tokio::test]
async fn seed_update_reports_exactly_the_six_reference_changes() {
    let report = seed_update_report().await;
    assert!(
        report.headline.is_none() && report.byline.is_none(),
        "headline and byline did not change: {report:?}"
    );
    let described: Vec<String> = report.changes.iter().map(describe).collect();
    let expected = [
        "edited: -[president] +[President]",
        "edited: -[Cryptonews.com has reached out to Binance for a comment.] +[]",
        "added 6 block(s) in bold: A Binance spokesperson told th",
        "edited: -[Still | admitted] +[Meanwhile | previously stated]",
        "added 1 block(s) in bold: Per the Saturday blog post, “a",
        "note Update Added: The article has been updated on April 25",
    ];
    // The third edit's word boundaries may group punctuation differently;
    // compare it on its words.
    assert_eq!(
        described.len(),
        6,
        "exactly six changes, got:\n{}",
        described.join("\n")
    );
    for (got, want) in described.iter().zip(expected) {
        if want.starts_with("edited: -[Still") {
            for word in ["Still", "admitted", "Meanwhile", "previously stated"] {
                assert!(got.contains(word), "{got} should mention {word}");
            }
        } else {
            assert_eq!(got, want);
        }
    }
    let Change::Note {
        kind: NoteKind::Update,
        status: NoteStatus::Added,
        date,
        ..
    } = &report.changes[5]
    else {
        unreachable!("checked above")
    };
    assert_eq!(date.as_deref(), Some("April 25, 8:30 UTC"));
}

#[tokio::test]
async fn chrome_only_changes_alert_nothing_and_store_nothing() {
    let story = Story::start(SEED_V1).await;
    let (site, pipeline, binance) = (&story.site, &story.pipeline, story.watch());
    assert!(matches!(
        pipeline.check(binance, Utc::now()).await.result,
        Ok(Outcome::Baseline { .. })
    ));

    // Another ad, related links reordered, a new "x minutes ago", a new CSRF
    // token, cache-busting asset queries: the page differs, the article not.
    assert_ne!(SEED_V1, SEED_V1_CHROME);
    site.serve(SEED_V1_CHROME);
    let checked = pipeline.check(binance, Utc::now()).await;
    assert!(
        matches!(checked.result, Ok(Outcome::Unchanged)),
        "{:?}",
        checked.result
    );
    assert_eq!(
        pipeline.store().versions(&binance.name).unwrap().len(),
        1,
        "no new version stored"
    );
    let state = pipeline.store().state(&binance.name).unwrap();
    assert_eq!(state.last_outcome.as_deref(), Some("unchanged"));
}

#[tokio::test]
async fn an_unchanged_article_is_answered_from_the_state_without_reading_the_version() {
    let story = Story::start(SEED_V1).await;
    let (site, pipeline, binance) = (&story.site, &story.pipeline, story.watch());
    pipeline.check(binance, Utc::now()).await.result.unwrap();
    // Damage the stored version: a check that read it would fail.
    let versions = pipeline.store().versions(&binance.name).unwrap();
    std::fs::write(&versions[0].path, "not json").unwrap();
    site.serve(SEED_V1_CHROME);
    let checked = pipeline.check(binance, Utc::now()).await;
    assert!(
        matches!(checked.result, Ok(Outcome::Unchanged)),
        "{:?}",
        checked.result
    );
    let state = pipeline.store().state(&binance.name).unwrap();
    assert_eq!(state.shows.map(|s| s.version), Some(1));
}

/// `redline check`'s pipeline checks each watch once: its store keeps no
/// state in memory (the daemon's does), and what it decides is the same,
/// each state read from its files.
#[tokio::test]
async fn the_one_pass_pipeline_keeps_no_state_in_memory_and_finds_the_same_changes() {
    let story = Story::start(SEED_V1).await;
    let binance = &story.watch().clone();
    let checked = story.pipeline.check(binance, Utc::now()).await;
    assert!(matches!(checked.result, Ok(Outcome::Baseline { .. })));
    assert!(
        story.pipeline.store().kept_state(&binance.name).is_some(),
        "a pipeline from `from_watchlist`, as the daemon's, keeps the state it wrote"
    );
    drop(story.pipeline);

    let once = redline::check::Pipeline::checking_each_once(&story.watchlist).unwrap();
    story.site.serve(SEED_V1_CHROME);
    let checked = once.check(binance, Utc::now()).await;
    assert!(
        matches!(checked.result, Ok(Outcome::Unchanged)),
        "{:?}",
        checked.result
    );
    assert!(once.store().kept_state(&binance.name).is_none());
    story.site.serve(SEED_V2);
    let checked = once.check(binance, Utc::now()).await;
    let Ok(Outcome::Changed { from: 1, to: 2, .. }) = checked.result else {
        panic!("the update is a change: {:?}", checked.result);
    };
    assert!(once.store().kept_state(&binance.name).is_none());
    let state = once.store().state(&binance.name).unwrap();
    assert_eq!((state.current_version, state.announced), (Some(2), Some(2)));
}

/// The page a check last read, served again byte for byte without
/// validators, is answered from the state without being parsed; a page
/// that differs is read in full, so an edit after it is still found.
#[tokio::test]
async fn a_page_seen_before_is_not_parsed_again_and_an_edit_after_it_is_found() {
    let story = Story::start(SEED_V1).await;
    let (site, pipeline, binance) = (&story.site, &story.pipeline, story.watch());
    pipeline.check(binance, Utc::now()).await.result.unwrap();
    // No ETag, so the server answers 200 with the same page; and an anchor
    // whose size no reading of the page could pass: a check that read the
    // page would detect it afresh and remember the real size.
    let mut state = pipeline.store().state(&binance.name).unwrap();
    state.etag = None;
    let mut anchor =
        (pipeline.store().anchor(&binance.name).unwrap()).expect("the baseline is anchored");
    assert!(anchor.seen.is_some(), "the baseline's page is remembered");
    anchor.chars = 1;
    state.anchor = Some(KeptAnchor::Whole(Box::new(anchor)));
    pipeline.store().save_state(&binance.name, &state).unwrap();
    let checked = pipeline.check(binance, Utc::now()).await;
    assert!(
        matches!(checked.result, Ok(Outcome::Unchanged)),
        "{:?}",
        checked.result
    );
    let kept = pipeline.store().anchor(&binance.name).unwrap();
    assert_eq!(kept.map(|a| a.chars), Some(1), "the page was not read");

    // Other furniture, the same article: read, and unchanged.
    site.serve(SEED_V1_CHROME);
    let checked = pipeline.check(binance, Utc::now()).await;
    assert!(
        matches!(checked.result, Ok(Outcome::Unchanged)),
        "{:?}",
        checked.result
    );
    let read = pipeline.store().anchor(&binance.name).unwrap();
    assert!(read.is_some_and(|a| a.chars > 1), "the page was read");

    site.serve(SEED_V2);
    let checked = pipeline.check(binance, Utc::now()).await;
    assert!(
        matches!(checked.result, Ok(Outcome::Changed { from: 1, to: 2, .. })),
        "{:?}",
        checked.result
    );
}

#[tokio::test]
async fn not_modified_costs_no_extraction_and_is_recorded() {
    let story = Story::start(SEED_V1).await;
    let (site, pipeline, binance) = (&story.site, &story.pipeline, story.watch());
    pipeline.check(binance, Utc::now()).await.result.unwrap();
    let before = pipeline.store().state(&binance.name).unwrap();
    assert!(before.etag.is_some(), "the ETag is kept for the next check");

    let checked = pipeline.check(binance, Utc::now()).await;
    assert!(
        matches!(checked.result, Ok(Outcome::NotModified)),
        "{:?}",
        checked.result
    );
    assert_eq!(site.not_modified(), 1, "the server answered 304 once");
    let after = pipeline.store().state(&binance.name).unwrap();
    assert_eq!(after.last_outcome.as_deref(), Some("not-modified"));
    assert!(
        after.last_check > before.last_check,
        "the check is recorded"
    );
    assert_eq!(pipeline.store().versions(&binance.name).unwrap().len(), 1);
}

#[tokio::test]
async fn transient_errors_are_retried_and_permanent_ones_are_not() {
    let story = Story::start(SEED_V1).await;
    let (site, pipeline, binance) = (&story.site, &story.pipeline, story.watch());

    // One 503 is retried (retries = 1 in the test settings): the check succeeds.
    site.fail_next([Fault::Status(503)]);
    let checked = pipeline.check(binance, Utc::now()).await;
    assert!(
        matches!(checked.result, Ok(Outcome::Baseline { .. })),
        "{:?}",
        checked.result
    );
    assert_eq!(site.requests(), 2);

    // A 404 is not worth retrying.
    site.fail_next([Fault::Status(404)]);
    let checked = pipeline.check(binance, Utc::now()).await;
    assert!(
        matches!(checked.result, Err(CheckError::Fetch(_))),
        "{:?}",
        checked.result
    );
    assert_eq!(site.requests(), 3);
    let message = redline::error_chain(&checked.result.unwrap_err());
    assert!(
        message.contains("404") && message.contains("check the watch's address"),
        "{message}"
    );

    // Retry-After is honoured (1 s) and the retry succeeds.
    site.fail_next([Fault::RetryAfter(429, 1)]);
    let checked = pipeline.check(binance, Utc::now()).await;
    assert!(checked.result.is_ok(), "{:?}", checked.result);
}

#[tokio::test]
async fn oversized_and_non_html_answers_fail_without_touching_the_store() {
    let story = Story::start(SEED_V1).await;
    let (site, pipeline, binance) = (&story.site, &story.pipeline, story.watch());
    pipeline.check(binance, Utc::now()).await.result.unwrap();
    site.serve(SEED_V2);

    site.fail_next([Fault::Oversized(11 * 1024 * 1024)]);
    let checked = pipeline.check(binance, Utc::now()).await;
    assert!(redline::error_chain(&checked.result.unwrap_err()).contains("larger than"));

    site.fail_next([Fault::ContentType("application/pdf")]);
    let checked = pipeline.check(binance, Utc::now()).await;
    assert!(redline::error_chain(&checked.result.unwrap_err()).contains("not an HTML page"));

    assert_eq!(pipeline.store().versions(&binance.name).unwrap().len(), 1);
    // The change is still caught once the site behaves.
    let checked = pipeline.check(binance, Utc::now()).await;
    assert!(
        matches!(checked.result, Ok(Outcome::Changed { .. })),
        "{:?}",
        checked.result
    );
}

#[tokio::test]
async fn a_failure_streak_alerts_once_and_recovery_once() {
    let story = Story::start(SEED_V1).await;
    let (site, pipeline, binance) = (&story.site, &story.pipeline, story.watch());
    pipeline.check(binance, Utc::now()).await.result.unwrap();

    // failure_alert_after = 2 in the test settings; each check tries twice.
    // (failures in a row, whether the streak's one alert went out)
    let state = |p: &redline::check::Pipeline| p.store().state(&binance.name).unwrap();
    for expected in [(1, false), (2, true), (3, true)] {
        site.fail_next([Fault::Status(500), Fault::Status(500)]);
        assert!(pipeline.check(binance, Utc::now()).await.result.is_err());
        let now = state(pipeline);
        assert_eq!(
            (now.failures, now.failure_alerted),
            expected,
            "one alert for the streak"
        );
    }
    let failing = state(pipeline);
    assert!(failing.last_error.unwrap().contains("500"));

    pipeline.check(binance, Utc::now()).await.result.unwrap();
    let recovered = state(pipeline);
    assert_eq!(
        (
            recovered.failures,
            recovered.failure_alerted,
            recovered.failing_since
        ),
        (0, false, None)
    );
}

#[tokio::test]
async fn a_flip_flopping_page_alerts_once_per_distinct_version() {
    let story = Story::start(SEED_V1).await;
    let (site, pipeline, binance) = (&story.site, &story.pipeline, story.watch());
    pipeline.check(binance, Utc::now()).await.result.unwrap();

    let mut outcomes = Vec::new();
    for page in [SEED_V2, SEED_V1, SEED_V2, SEED_V1] {
        site.serve(page);
        outcomes.push(
            pipeline
                .check(binance, Utc::now())
                .await
                .result
                .unwrap()
                .word(),
        );
    }
    assert_eq!(outcomes, ["changed", "reverted", "reverted", "reverted"]);
    assert_eq!(pipeline.store().versions(&binance.name).unwrap().len(), 2);
}

#[tokio::test]
async fn a_version_stored_but_never_announced_is_announced_by_the_next_check() {
    // A crash between storing version 2 and handing over its alert leaves a
    // version newer than the last announced one.
    let site = Site::start(SEED_V1).await;
    let setup = Setup::new(&watch("binance", &site.url(), ""));
    let watchlist = setup.watchlist();
    let binance = &watchlist.watches[0];
    {
        let pipeline = setup.pipeline();
        pipeline.check(binance, Utc::now()).await.result.unwrap();
        site.serve(SEED_V2);
        pipeline.check(binance, Utc::now()).await.result.unwrap();
        // Roll the state back to before the announcement.
        let mut state = pipeline.store().state(&binance.name).unwrap();
        state.announced = Some(1);
        state.current_version = Some(1);
        state.etag = None;
        pipeline.store().save_state(&binance.name, &state).unwrap();
    }
    let pipeline = setup.pipeline();
    let checked = pipeline.check(binance, Utc::now()).await;
    assert!(
        matches!(checked.result, Ok(Outcome::Changed { from: 1, to: 2, .. })),
        "{:?}",
        checked.result
    );
    assert_eq!(
        pipeline.store().versions(&binance.name).unwrap().len(),
        2,
        "not stored twice"
    );
}

#[tokio::test]
async fn charsets_are_decoded_before_extraction() {
    let latin1: Vec<u8> = "<html><head><meta charset=\"iso-8859-1\"><title>Caf\u{e9}</title></head><body><article><h1>Caf\u{e9} story</h1><p>The caf\u{e9} on the corner reopened on Monday after a long renovation, its owner said in a statement that was read out to reporters.</p><p>Regulars returned for the first espresso at seven, and the queue reached the end of the street before the doors opened again.</p></article></body></html>"
        .chars()
        .map(|c| c as u32 as u8)
        .collect();
    let site = Site::start(SEED_V1).await;
    let setup = Setup::new(&watch("cafe", &site.url(), ""));
    let pipeline = setup.pipeline();
    let watchlist = setup.watchlist();
    site.fail_next([Fault::Bytes(latin1, "text/html")]);
    pipeline
        .check(&watchlist.watches[0], Utc::now())
        .await
        .result
        .unwrap();
    let stored = pipeline
        .store()
        .latest(&watchlist.watches[0].name)
        .unwrap()
        .unwrap();
    assert!(
        stored
            .article
            .body_text()
            .contains("The café on the corner"),
        "{}",
        stored.article.body_text()
    );
}

#[tokio::test]
async fn only_one_process_may_write_a_store() {
    let setup = Setup::new("");
    let _held = Store::open(&setup.store_dir()).unwrap();
    let status = support::redline(setup.dir.path())
        .args(["check"])
        .output()
        .unwrap();
    assert_eq!(
        status.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    assert!(String::from_utf8_lossy(&status.stderr).contains("in use by another redline process"));
}

/// A small article page whose body carries a relative time.
fn page_with_age(age: &str) -> String {
    format!(
        "<html><head><title>Port strike</title></head><body><nav><a href=\"/\">Home</a></nav><article><h1>Port strike enters second week</h1>\
         <p>Dock workers at the city's container port stayed off the job for an eighth day on Monday, as talks over pay and automation stalled again.</p>\
         <p>The union said it would keep its members out until the operator withdrew plans to automate two of the port's five cranes by next spring.</p>\
         <p>Shipping lines have begun diverting vessels to neighbouring ports, adding days to deliveries of food and fuel, according to the harbour authority.</p>\
         <p>Talks are due to resume on Tuesday, the union said in a statement posted {age} ago on its website, without giving details.</p>\
         </article></body></html>"
    )
}

#[tokio::test]
async fn ignore_text_masks_relative_times_in_the_body() {
    let site = Site::start(&page_with_age("5 minutes")).await;
    let watches = format!(
        "{}{}",
        watch(
            "masked",
            &site.url(),
            "ignore_text = ['\\d+ (minutes|hours) ago']"
        ),
        watch("unmasked", &site.url(), "")
    );
    let setup = Setup::new(&watches);
    let pipeline = setup.pipeline();
    let watchlist = setup.watchlist();
    for w in &watchlist.watches {
        assert!(matches!(
            pipeline.check(w, Utc::now()).await.result,
            Ok(Outcome::Baseline { .. })
        ));
    }
    site.serve(&page_with_age("2 hours"));
    let masked = pipeline.check(&watchlist.watches[0], Utc::now()).await;
    assert!(
        matches!(masked.result, Ok(Outcome::Unchanged)),
        "{:?}",
        masked.result
    );
    assert_eq!(
        pipeline
            .store()
            .versions(&watchlist.watches[0].name)
            .unwrap()
            .len(),
        1
    );
    let unmasked = pipeline.check(&watchlist.watches[1], Utc::now()).await;
    assert!(
        matches!(unmasked.result, Ok(Outcome::Changed { .. })),
        "without the pattern the edit is real: {:?}",
        unmasked.result
    );
}
