//! Table-driven tests of the aligner: each case is an old and a new body and
//! the report it must give.

#[path = "fixtures/diff/support.rs"]
mod support;

use redline::article::{Article, Block, BlockKind, Emphasis, Style};
use redline::diff::{DiffOptions, compare};
use redline::report::{Change, Finding, NoteKind, NoteStatus, PARAGRAPH_BREAK, Report, SegmentOp};

/// Distinct paragraphs with nothing in common but function words.
const P: [&str; 6] = [
    "The central bank raised its key rate on Tuesday. Analysts had expected a smaller step.",
    "Shares of regional lenders fell sharply after the announcement. Trading volumes doubled.",
    "The finance minister said the government would review mortgage relief. No date was given.",
    "Opposition parties called for an emergency debate in parliament. The speaker declined.",
    "Consumer prices rose faster than forecast in March. Food and energy led the increase.",
    "Exporters welcomed the stronger currency. Importers warned of shortages of spare parts.",
];

fn article(texts: &[&str]) -> Article {
    Article {
        blocks: texts
            .iter()
            .map(|t| Block::new(BlockKind::Paragraph, t))
            .collect(),
        ..Article::default()
    }
}

fn diff(old: &Article, new: &Article) -> Report {
    let report = compare(old, new, &DiffOptions::default());
    support::check_segments(old, new, &report);
    report
}

/// A short description of each change, for table comparisons.
fn shape(report: &Report) -> Vec<String> {
    report
        .changes
        .iter()
        .map(|c| match c {
            Change::Added { new_index, blocks } => format!("added {new_index}+{}", blocks.len()),
            Change::Removed { old_index, blocks } => {
                format!("removed {old_index}+{}", blocks.len())
            }
            Change::Edited {
                old_index,
                new_index,
                old_count,
                new_count,
                ..
            } => {
                format!("edited {old_index}x{old_count}->{new_index}x{new_count}")
            }
            Change::Moved {
                old_index,
                new_index,
                segments,
                ..
            } => {
                format!(
                    "moved {old_index}->{new_index}{}",
                    if segments.is_empty() { "" } else { " edited" }
                )
            }
            Change::Emphasised {
                new_index,
                text,
                style,
            } => format!("emphasised {new_index} {style:?} {text:?}"),
            Change::Deemphasised {
                new_index,
                text,
                style,
            } => format!("deemphasised {new_index} {style:?} {text:?}"),
            Change::Note {
                new_index,
                kind,
                status,
                ..
            } => format!("note {new_index} {kind:?} {status:?}"),
        })
        .collect()
}

/// The deleted and inserted text of the report's first edit.
fn first_edit(report: &Report) -> (String, String) {
    let segments = report
        .changes
        .iter()
        .find_map(|c| match c {
            Change::Edited { segments, .. }
            | Change::Moved { segments, .. }
            | Change::Note { segments, .. } => Some(segments),
            _ => None,
        })
        .expect("the report has an edit");
    let pick = |op| {
        segments
            .iter()
            .filter(|s| s.op == op)
            .map(|s| s.text.as_str())
            .collect::<Vec<_>>()
            .join("|")
    };
    (pick(SegmentOp::Deleted), pick(SegmentOp::Inserted))
}

#[test]
fn block_level_cases() {
    let split_old = format!("{} {}", P[0], P[1]);
    let three = format!("{} {} {}", P[0], P[1], P[2]);
    // (name, old body, new body, expected changes)
    type Case<'a> = (&'a str, Vec<&'a str>, Vec<&'a str>, Vec<&'a str>);
    let cases: Vec<Case> = vec![
        ("identical", P.to_vec(), P.to_vec(), vec![]),
        (
            "moved paragraph",
            vec![P[0], P[1], P[2], P[3], P[4]],
            vec![P[0], P[2], P[3], P[1], P[4]],
            vec!["moved 1->3"],
        ),
        (
            "moved to the top",
            vec![P[0], P[1], P[2], P[3]],
            vec![P[3], P[0], P[1], P[2]],
            vec!["moved 3->0"],
        ),
        (
            "added at the end",
            vec![P[0], P[1]],
            vec![P[0], P[1], P[2]],
            vec!["added 2+1"],
        ),
        (
            "removed in the middle",
            vec![P[0], P[1], P[2]],
            vec![P[0], P[2]],
            vec!["removed 1+1"],
        ),
        (
            "split in two",
            vec![&split_old, P[2]],
            vec![P[0], P[1], P[2]],
            vec!["edited 0x1->0x2"],
        ),
        (
            "split in three",
            vec![&three, P[3]],
            vec![P[0], P[1], P[2], P[3]],
            vec!["edited 0x1->0x3"],
        ),
        (
            "three merged into one",
            vec![P[0], P[1], P[2], P[3]],
            vec![&three, P[3]],
            vec!["edited 0x3->0x1"],
        ),
        (
            "two merged into one",
            vec![P[0], P[1], P[2]],
            vec![&split_old, P[2]],
            vec!["edited 0x2->0x1"],
        ),
        (
            "replaced by an unrelated paragraph",
            vec![P[0], P[1], P[2]],
            vec![P[0], P[5], P[2]],
            vec!["removed 1+1", "added 1+1"],
        ),
        (
            "whole rewrite",
            vec![P[0], P[1], P[2]],
            vec![P[3], P[4], P[5]],
            vec!["removed 0+3", "added 0+3"],
        ),
        (
            "everything removed",
            vec![P[0], P[1]],
            vec![],
            vec!["removed 0+2"],
        ),
        ("first version empty", vec![], vec![P[0]], vec!["added 0+1"]),
    ];
    for (name, old, new, want) in cases {
        let report = diff(&article(&old), &article(&new));
        assert_eq!(shape(&report), want, "{name}: {:#?}", report.changes);
    }
}

#[test]
fn a_split_reads_as_one_edit_with_a_paragraph_break() {
    let old = article(&[&format!("{} {}", P[0], P[1])]);
    let report = diff(&old, &article(&[P[0], P[1]]));
    let Change::Edited { segments, .. } = &report.changes[0] else {
        panic!("{report:#?}")
    };
    let changed: Vec<(SegmentOp, &str)> = segments
        .iter()
        .filter(|s| s.op != SegmentOp::Equal)
        .map(|s| (s.op, s.text.as_str()))
        .collect();
    assert_eq!(
        changed,
        [
            (SegmentOp::Deleted, " "),
            (SegmentOp::Inserted, PARAGRAPH_BREAK)
        ]
    );
}

#[test]
fn reordered_list_items_read_as_one_move() {
    let items = [
        "Flour, 500 grams",
        "Sugar, 200 grams",
        "Butter, 250 grams",
        "Two eggs",
        "A pinch of salt",
    ];
    let list = |order: &[usize]| Article {
        blocks: order
            .iter()
            .map(|&i| Block::new(BlockKind::ListItem, items[i]))
            .collect(),
        ..Article::default()
    };
    let report = diff(&list(&[0, 1, 2, 3, 4]), &list(&[0, 2, 1, 3, 4]));
    assert_eq!(report.changes.len(), 1, "{report:#?}");
    assert!(
        matches!(report.changes[0], Change::Moved { .. }),
        "{report:#?}"
    );
}

#[test]
fn a_moved_paragraph_with_a_small_edit_is_a_move() {
    let edited = P[1].replace("sharply", "steeply");
    let report = diff(
        &article(&[P[0], P[1], P[2], P[3]]),
        &article(&[P[0], P[2], P[3], &edited]),
    );
    assert_eq!(shape(&report), ["moved 1->3 edited"], "{report:#?}");
    assert_eq!(first_edit(&report), ("sharply".into(), "steeply".into()));
}

#[test]
fn a_number_change_in_a_long_sentence_is_one_word_and_a_finding() {
    let long = "Rescue workers said on Sunday that at least 12 people had been killed and dozens more injured when \
                the overnight storm brought down power lines and flooded the low-lying districts along the river.";
    let new = long.replace("12 people", "15 people");
    let report = diff(&article(&[P[0], long]), &article(&[P[0], &new]));
    assert_eq!(shape(&report), ["edited 1x1->1x1"]);
    assert_eq!(first_edit(&report), ("12".into(), "15".into()));
    let Finding::NumberChanged {
        new_index,
        old,
        new: now,
        sentence,
    } = &report.findings[0]
    else {
        panic!("{:#?}", report.findings)
    };
    assert_eq!((*new_index, old.as_str(), now.as_str()), (1, "12", "15"));
    assert!(sentence.starts_with("Rescue workers") && sentence.contains("15 people"));
    assert_eq!(report.summary(), "1 edit, 1 number changed");
}

#[test]
fn sums_and_dates_are_numbers_too() {
    let cases = [
        (
            "exceeding the value of EUR 10,000 (USD 10,900).",
            "exceeding the value of EUR 10,000 (USD 11,200).",
            "10,900",
            "11,200",
        ),
        (
            "The vote was held on April 25 in the capital.",
            "The vote was held on April 26 in the capital.",
            "25",
            "26",
        ),
        (
            "Officials counted twelve victims in total.",
            "Officials counted fifteen victims in total.",
            "twelve",
            "fifteen",
        ),
    ];
    for (old, new, want_old, want_new) in cases {
        let report = diff(&article(&[old]), &article(&[new]));
        let found: Vec<(&str, &str)> = report
            .findings
            .iter()
            .filter_map(|f| match f {
                Finding::NumberChanged { old, new, .. } => Some((old.as_str(), new.as_str())),
                _ => None,
            })
            .collect();
        assert_eq!(found, [(want_old, want_new)], "{old:?}");
    }
}

#[test]
fn headline_only_change() {
    let mut old = article(&P);
    old.headline = Some("Central bank raises rates".into());
    let mut new = old.clone();
    new.headline = Some("Central bank raises rates again".into());
    let report = diff(&old, &new);
    assert!(report.changes.is_empty());
    let headline = report.headline.as_ref().expect("the headline changed");
    assert_eq!(
        (headline.old.as_str(), headline.new.as_str()),
        (
            "Central bank raises rates",
            "Central bank raises rates again"
        )
    );
    let inserted: Vec<&str> = headline
        .segments
        .iter()
        .filter(|s| s.op == SegmentOp::Inserted)
        .map(|s| s.text.as_str())
        .collect();
    assert_eq!(inserted, [" again"]);
    assert_eq!(report.summary(), "headline changed");
}

#[test]
fn byline_change_is_reported() {
    let mut old = article(&P[..2]);
    old.byline = Some("Fredrik Vold".into());
    let mut new = old.clone();
    new.byline = Some("Fredrik Vold and Ann Lee".into());
    assert_eq!(diff(&old, &new).summary(), "byline changed");
}

fn styled(text: &str, spans: &[(&str, Style)]) -> Block {
    let mut block = Block::new(BlockKind::Paragraph, text);
    for (part, style) in spans {
        let start = block.text.find(part).expect("the part is in the text");
        block.emphasis.push(Emphasis {
            start,
            end: start + part.len(),
            style: *style,
        });
    }
    block.emphasis.sort_by_key(|e| (e.start, e.style));
    block
}

#[test]
fn emphasis_only_changes() {
    let plain = styled(P[0], &[]);
    let cases: Vec<(&str, Block, Block, Vec<String>)> = vec![
        (
            "sentence set in bold",
            plain.clone(),
            styled(
                P[0],
                &[("Analysts had expected a smaller step.", Style::Bold)],
            ),
            vec!["emphasised 0 Bold \"Analysts had expected a smaller step.\"".into()],
        ),
        (
            "word set in italic",
            plain.clone(),
            styled(P[0], &[("Tuesday", Style::Italic)]),
            vec!["emphasised 0 Italic \"Tuesday\"".into()],
        ),
        (
            "bold removed",
            styled(P[0], &[("central bank", Style::Bold)]),
            plain.clone(),
            vec!["deemphasised 0 Bold \"central bank\"".into()],
        ),
        (
            "same emphasis",
            styled(P[0], &[("Tuesday", Style::Bold)]),
            styled(P[0], &[("Tuesday", Style::Bold)]),
            vec![],
        ),
    ];
    for (name, old, new, want) in cases {
        let report = diff(
            &Article {
                blocks: vec![old],
                ..Article::default()
            },
            &Article {
                blocks: vec![new],
                ..Article::default()
            },
        );
        assert_eq!(shape(&report), want, "{name}");
    }
}

#[test]
fn a_sentence_rewritten_beyond_recognition_is_shown_whole() {
    let old = "The mayor opened the new bridge on Friday. It cost four million euros to build.";
    let new = "The mayor opened the new bridge on Friday. Critics have long called the project a waste of public money.";
    let report = diff(&article(&[old]), &article(&[new]));
    assert_eq!(shape(&report), ["edited 0x1->0x1"]);
    assert_eq!(
        first_edit(&report),
        (
            "It cost four million euros to build.".into(),
            "Critics have long called the project a waste of public money.".into()
        )
    );
}

#[test]
fn invisible_differences_are_no_change() {
    let cases = [
        (
            "He said “no comment” today.",
            "He said \"no comment\" today.",
        ),
        ("Binance’s head", "Binance's head"),
        ("a\u{00A0}b", "a b"),
        ("co\u{00AD}operate fully", "cooperate fully"),
        ("2020–2022 figures", "2020-2022 figures"),
        ("  two   spaces ", "two spaces"),
        ("Cafe\u{0301} owners", "Café owners"),
    ];
    for (old, new) in cases {
        let old = Article {
            blocks: vec![Block {
                kind: BlockKind::Paragraph,
                text: old.into(),
                emphasis: vec![],
            }],
            ..Article::default()
        };
        let report = diff(&old, &article(&[new]));
        assert!(report.is_empty(), "{new:?}: {report:#?}");
    }
}

#[test]
fn ignore_patterns_mask_relative_times() {
    let options = DiffOptions {
        ignore_text: vec![regex::Regex::new(r"\d+ (?:minutes?|hours?) ago").expect("valid")],
    };
    let old = article(&[P[0], "Last updated 5 minutes ago"]);
    let new = article(&[P[0], "Last updated 2 hours ago"]);
    assert!(compare(&old, &new, &options).is_empty());
    assert!(!compare(&old, &new, &DiffOptions::default()).is_empty());
}

#[test]
fn notes_are_recognised_new_and_changed() {
    let note1 = "Correction: An earlier version of this story misstated the rate, on April 3.";
    let note2 =
        "Correction: An earlier version of this story misstated the rate and the date, on April 4.";
    let report = diff(&article(&[P[0]]), &article(&[P[0], note1]));
    assert_eq!(shape(&report), ["note 1 Correction Added"]);
    let report = diff(&article(&[P[0], note1]), &article(&[P[0], note2]));
    assert_eq!(shape(&report), ["note 1 Correction Changed"]);
    let Change::Note { date, .. } = &report.changes[0] else {
        unreachable!()
    };
    assert_eq!(date.as_deref(), Some("April 4"));
    assert_eq!(report.summary(), "1 correction changed");
    let _ = (NoteKind::Update, NoteStatus::Added);
}

#[test]
fn quotes_removed_and_added_are_findings() {
    let old = "The spokesperson said the claims were “categorically false” and refused to comment further.";
    let new = "The spokesperson refused to comment further, adding that “no user data was shared with anyone”.";
    let report = diff(&article(&[P[0], old]), &article(&[P[0], new]));
    let found: Vec<String> = report.findings.iter().map(|f| format!("{f:?}")).collect();
    assert!(
        report.findings.contains(&Finding::QuoteRemoved {
            old_index: 1,
            text: "categorically false".into()
        }),
        "{found:#?}"
    );
    assert!(
        report.findings.contains(&Finding::QuoteAdded {
            new_index: 1,
            text: "no user data was shared with anyone".into()
        }),
        "{found:#?}"
    );
    let removed = diff(&article(&[P[0], old]), &article(&[P[0]]));
    assert_eq!(removed.summary(), "-1 paragraph, 1 quote removed");
}

#[test]
fn a_small_edit_in_a_huge_unpunctuated_block_is_marked_word_by_word() {
    let words: Vec<String> = (0..3_000).map(|i| format!("name{i}")).collect();
    let old = words.join(" ");
    let mut edited = words.clone();
    edited[1_500] = "replaced".into();
    edited.insert(200, "inserted".into());
    let report = diff(&article(&[&old]), &article(&[&edited.join(" ")]));
    assert_eq!(shape(&report), ["edited 0x1->0x1"]);
    assert_eq!(
        first_edit(&report),
        ("name1500".into(), "inserted |replaced".into())
    );
}
