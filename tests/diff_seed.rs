//! The reference case: the seed article's April 25 update gives exactly the
//! six changes of `../shared/seeds/README.md`, and nothing else.

#[path = "fixtures/diff/support.rs"]
mod support;

use redline::article::{BlockKind, Style};
use redline::diff::{DiffOptions, compare};
use redline::report::{Change, NoteKind, NoteStatus, Report, SegmentOp};

fn seed_report() -> Report {
    compare(&support::v1(), &support::v2(), &DiffOptions::default())
}

/// The deleted and inserted text of an edit, each joined.
fn edit_words(change: &Change) -> (String, String) {
    let Change::Edited { segments, .. } = change else {
        panic!("expected an edit, got {change:?}")
    };
    let pick = |op| {
        segments
            .iter()
            .filter(|s| s.op == op)
            .map(|s| s.text.as_str())
            .collect::<String>()
    };
    (pick(SegmentOp::Deleted), pick(SegmentOp::Inserted))
}

#[test]
fn seed_pair_gives_exactly_the_six_reference_changes() {
    let report = seed_report();
    assert_eq!(report.headline, None);
    assert_eq!(report.byline, None);
    assert_eq!(report.findings, Vec::new(), "{:#?}", report.findings);
    assert_eq!(report.changes.len(), 6, "{:#?}", report.changes);

    // 1. A word edited.
    assert_eq!(
        edit_words(&report.changes[0]),
        ("president".into(), "President".into())
    );
    // 2. A sentence removed from a paragraph.
    assert_eq!(
        edit_words(&report.changes[1]),
        (
            " Cryptonews.com has reached out to Binance for a comment.".into(),
            String::new()
        )
    );
    // 3. Six paragraphs added, in bold.
    let Change::Added {
        new_index: 6,
        blocks,
    } = &report.changes[2]
    else {
        panic!("{:?}", report.changes[2])
    };
    assert_eq!(blocks.len(), 6);
    assert!(
        blocks[0]
            .text
            .starts_with("A Binance spokesperson told that any government")
    );
    assert!(
        blocks[5]
            .text
            .starts_with("The exchange said that it would be writing a formal complaint")
    );
    assert!(
        blocks
            .iter()
            .all(|b| b.emphasised_share(Style::Bold) == 1.0)
    );
    // 4. A sentence edited.
    let (deleted, inserted) = edit_words(&report.changes[3]);
    assert!(
        deleted.contains("Still") && deleted.contains("admitted"),
        "{deleted:?}"
    );
    assert!(
        inserted.contains("Meanwhile") && inserted.contains("previously stated"),
        "{inserted:?}"
    );
    // 5. One paragraph added near the end, in bold.
    let Change::Added {
        new_index: 17,
        blocks,
    } = &report.changes[4]
    else {
        panic!("{:?}", report.changes[4])
    };
    assert_eq!(blocks.len(), 1);
    assert!(blocks[0].text.starts_with("Per the Saturday blog post"));
    assert_eq!(blocks[0].emphasised_share(Style::Bold), 1.0);
    // 6. The update note, reported as a note and not also as added text.
    let Change::Note {
        new_index: 18,
        kind,
        status,
        text,
        date,
        ..
    } = &report.changes[5]
    else {
        panic!("{:?}", report.changes[5])
    };
    assert_eq!((*kind, *status), (NoteKind::Update, NoteStatus::Added));
    assert!(
        text.starts_with("The article has been updated on April 25, 8:30 UTC")
            && text.ends_with("Updates in bold.")
    );
    assert_eq!(date.as_deref(), Some("April 25, 8:30 UTC"));

    assert_eq!(report.summary(), "+7 paragraphs, 3 edits, 1 update note");
}

#[test]
fn seed_edits_are_anchored_where_they_happened() {
    let report = seed_report();
    let places: Vec<(usize, usize, BlockKind)> = report
        .changes
        .iter()
        .filter_map(|c| match c {
            Change::Edited {
                old_index,
                new_index,
                kind,
                old_count: 1,
                new_count: 1,
                ..
            } => Some((*old_index, *new_index, *kind)),
            _ => None,
        })
        .collect();
    assert_eq!(
        places,
        [
            (4, 4, BlockKind::Paragraph),
            (5, 5, BlockKind::Paragraph),
            (6, 12, BlockKind::Paragraph)
        ]
    );
}

#[test]
fn comparing_a_version_with_itself_reports_nothing() {
    let v2 = support::v2();
    let report = compare(&v2, &v2, &DiffOptions::default());
    assert!(report.is_empty(), "{report:#?}");
    assert_eq!(report.summary(), "no change");
}

#[test]
fn chrome_only_page_changes_report_nothing() {
    let html = std::fs::read_to_string(support::seed_dir().join("v1-chrome.html"))
        .expect("fixture is committed");
    let report = compare(
        &support::v1(),
        &support::from_html(&html),
        &DiffOptions::default(),
    );
    assert!(report.is_empty(), "{report:#?}");
}
