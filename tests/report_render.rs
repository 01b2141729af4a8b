//! Snapshot tests of the renderers: the seed pair and a kitchen-sink pair
//! (moves, splits, emphasis, findings, a changed headline and note)
//! rendered in every format and compared with the files under
//! `tests/fixtures/diff/`. Run with `REDLINE_BLESS=1` to rewrite the files
//! after an intended change, then review the diff before committing.

#[path = "fixtures/diff/support.rs"]
mod support;

use std::path::PathBuf;

use redline::article::{Article, Block, BlockKind, Emphasis, Style};
use redline::diff::{DiffOptions, compare};
use redline::report::{Format, RenderContext, Report, render};

const FORMATS: [(Format, &str); 5] = [
    (Format::Text, "txt"),
    (Format::Terminal, "ansi"),
    (Format::Markdown, "md"),
    (Format::Html, "html"),
    (Format::Json, "json"),
];

fn snapshot_path(name: &str, ext: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/diff")
        .join(format!("{name}.{ext}"))
}

/// Compares `actual` with the stored snapshot, or rewrites it when
/// `REDLINE_BLESS` is set.
fn check_snapshot(name: &str, ext: &str, actual: &str) {
    let path = snapshot_path(name, ext);
    if std::env::var_os("REDLINE_BLESS").is_some() {
        std::fs::write(&path, actual).expect("the fixture folder is writable");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {}: {e}; run with REDLINE_BLESS=1 to create it",
            path.display()
        )
    });
    if expected != actual {
        let first = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b);
        panic!(
            "{} differs from the rendering (first differing line: {first:?}); run with REDLINE_BLESS=1 to accept\n--- rendered ---\n{actual}",
            path.display()
        );
    }
}

fn render_all(name: &str, report: &Report, ctx: &RenderContext) {
    for (format, ext) in FORMATS {
        check_snapshot(name, ext, &render(report, ctx, format));
    }
}

#[test]
fn seed_report_in_every_format() {
    let (v1, v2) = (support::v1(), support::v2());
    let report = compare(&v1, &v2, &DiffOptions::default());
    let ctx = RenderContext {
        watch: Some("binance-russia-data"),
        url: Some(
            "https://cryptonews.com/news/binance-regional-head-agreed-hand-client-data-russia-after-meeting-report.htm",
        ),
        headline: v2.headline.as_deref(),
        from: Some("v1 · 2022-04-22 10:55 UTC"),
        to: Some("v2 · 2022-04-25 08:30 UTC"),
    };
    render_all("seed", &report, &ctx);
}

fn para(text: &str) -> Block {
    Block::new(BlockKind::Paragraph, text)
}

fn bold(text: &str, part: &str) -> Block {
    let mut block = para(text);
    let start = block.text.find(part).expect("the part is in the text");
    block.emphasis.push(Emphasis {
        start,
        end: start + part.len(),
        style: Style::Bold,
    });
    block
}

/// Two versions that exercise every kind of change and finding.
fn kitchen_sink() -> (Article, Article) {
    let intro = "The city council approved the new budget on Monday after a five-hour debate.";
    let moved = "Opposition members walked out before the final vote, calling the process rushed.";
    let stay1 = "The budget totals EUR 412 million, the largest in the city's history.";
    let split = "Spending on schools rises by 4 percent. Road repairs get an extra EUR 2 million. \
                 The mayor called it a budget for families.";
    let removed = "A spokesperson for the finance department said the figures were “final and audited” last week.";
    let rewritten = "Taxes will not rise this year. The council will review fees in the autumn.";
    let stay2 = "The budget takes effect on January 1 and runs for one year.";
    let plain_now = "Residents can comment on the plan at the town hall until Friday.";
    let old = Article {
        headline: Some("Council approves budget".into()),
        byline: Some("Ann Lee".into()),
        blocks: vec![
            para(intro),
            para(moved),
            para(stay1),
            para(split),
            para(removed),
            para(rewritten),
            para(stay2),
            bold(plain_now, "until Friday"),
            para("Update: This story was updated on May 2 with the vote count."),
        ],
        ..Article::default()
    };
    let new = Article {
        headline: Some("Council approves budget after <heated> debate".into()),
        byline: Some("Ann Lee and Tom Berg".into()),
        blocks: vec![
            bold(intro, "five-hour debate"),
            para(stay1),
            para(
                "Spending on schools rises by 4 percent. Road repairs get an extra EUR 3 million.",
            ),
            para("The mayor called it a budget for families."),
            para(
                "Taxes will not rise this year. Critics said the fee schedule hides a tax rise by another name.",
            ),
            para(moved),
            para(stay2),
            para(plain_now),
            bold(
                "The council meets again on June 12 to vote on the fee schedule.",
                "June 12",
            ),
            para("Update: This story was updated on May 3 with the vote count and reactions."),
        ],
        ..Article::default()
    };
    (old, new)
}

#[test]
fn kitchen_sink_report_in_every_format() {
    let (old, new) = kitchen_sink();
    let report = compare(&old, &new, &DiffOptions::default());
    support::check_segments(&old, &new, &report);
    let ctx = RenderContext {
        watch: Some("council-budget"),
        url: Some("https://example.org/news/budget?id=1&lang=en"),
        ..RenderContext::default()
    };
    render_all("kitchen-sink", &report, &ctx);
}

#[test]
fn json_is_versioned_and_reads_back_as_the_report() {
    let (old, new) = kitchen_sink();
    let report = compare(&old, &new, &DiffOptions::default());
    let json = render(&report, &RenderContext::default(), Format::Json);
    let value: serde_json::Value =
        serde_json::from_str(&json).expect("the renderer writes valid JSON");
    assert_eq!(value["schema"], Report::SCHEMA);
    assert_eq!(value["summary"], report.summary());
    let back: Report = serde_json::from_str(&json).expect("the JSON holds the report's fields");
    assert_eq!(back, report);
}

#[test]
fn html_escapes_every_page_text() {
    let old = Article {
        blocks: vec![para("Plain <b>text</b> & more.")],
        ..Article::default()
    };
    let new = Article {
        headline: Some("<script>alert(1)</script>".into()),
        blocks: vec![para(
            "Plain <b>text</b> & more <img src=x onerror=alert(1)>.",
        )],
        ..Article::default()
    };
    let report = compare(&old, &new, &DiffOptions::default());
    let html = render(
        &report,
        &RenderContext {
            watch: Some("<w>"),
            ..RenderContext::default()
        },
        Format::Html,
    );
    for needle in ["<script", "<img", "<b>", "<w>"] {
        assert!(!html.contains(needle), "{needle} leaked into {html}");
    }
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
}

#[test]
fn terminal_output_never_passes_page_control_characters() {
    let new = Article {
        blocks: vec![
            para("clean"),
            Block {
                kind: BlockKind::Paragraph,
                text: "bell \u{7} esc \u{1b}[2J".into(),
                emphasis: vec![],
            },
        ],
        ..Article::default()
    };
    let report = compare(&Article::default(), &new, &DiffOptions::default());
    for format in [Format::Text, Format::Markdown] {
        let out = render(&report, &RenderContext::default(), format);
        assert!(
            !out.chars().any(|c| c.is_control() && c != '\n'),
            "{format:?}: {out:?}"
        );
    }
    let ansi = render(&report, &RenderContext::default(), Format::Terminal);
    assert!(
        !ansi.contains('\u{7}') && !ansi.contains("\u{1b}[2J"),
        "{ansi:?}"
    );
}

#[test]
fn no_color_turns_terminal_output_plain() {
    assert_eq!(Format::for_terminal_with(true, false), Format::Terminal);
    assert_eq!(Format::for_terminal_with(true, true), Format::Text);
    assert_eq!(Format::for_terminal_with(false, false), Format::Text);
    assert_eq!("md".parse::<Format>(), Ok(Format::Markdown));
    assert!("yaml".parse::<Format>().is_err());
}
