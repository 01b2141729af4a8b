//! Furniture inside the article column (issue 8): a rotating "featured
//! stories" widget, a view counter and a "today is …" line sit in the same
//! column as the story, yet changes to them are not changes to the article;
//! an item removed from a list that belongs to the story is.
//!
//! One fixture page (`tests/fixtures/extract/furniture/column.html`); each
//! test edits it the way a real page changes between two fetches. A list
//! article (`deals.html`) keeps its items although each opens with a link.

use std::path::PathBuf;

use redline::article::{Article, BlockKind};
use redline::diff::{DiffOptions, compare};
use redline::extract::{ExtractOptions, extract};

fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/extract/furniture")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn column_page() -> String {
    fixture("column.html")
}

fn article(html: &str) -> Article {
    extract(html, &ExtractOptions::default()).expect("the fixture has an article")
}

/// Replaces `from` (which must be on the page) with `to`.
fn edited(html: &str, from: &str, to: &str) -> String {
    assert!(html.contains(from), "the fixture holds {from:?}");
    html.replace(from, to)
}

#[test]
fn the_column_gives_the_story_and_its_list() {
    let got = article(&column_page());
    let text = got.body_text();
    assert!(text.starts_with("The harbour bridge reopened"), "{text}");
    assert!(text.ends_with("too steep for cargo bikes."), "{text}");
    let items = got
        .blocks
        .iter()
        .filter(|b| b.kind == BlockKind::ListItem)
        .count();
    assert_eq!(items, 4, "the body's list stays whole: {text}");
}

#[test]
fn a_view_counter_and_todays_date_in_the_column_are_dropped() {
    let text = article(&column_page()).body_text();
    assert!(!text.contains("views"), "{text}");
    assert!(!text.contains("Today is"), "{text}");
    assert!(!text.contains("newsletter"), "{text}");
}

#[test]
fn a_rotating_featured_widget_in_the_column_is_not_a_change() {
    let before = column_page();
    let rotated = edited(
        &before,
        r#"<li><a href="/a">Night buses return</a><p>The service, which the city cut in spring to save money, runs again from Friday, with buses every half hour, on four lines, until two in the morning.</p></li>"#,
        r#"<li><a href="/d">Swimming pool closes</a><p>The outdoor pool, which had its best summer in a decade, closes for the winter on Sunday, and opens again in May, the city said, after repairs to its roof.</p></li>"#,
    );
    // The counter ticks and the date line moves on between the two fetches.
    let rotated = edited(&rotated, "1,234 views", "1,310 views");
    let rotated = edited(
        &rotated,
        "Today is Monday, December 1, 2026",
        "Today is Tuesday, December 2, 2026",
    );
    let (old, new) = (article(&before), article(&rotated));
    assert!(!new.body_text().contains("Swimming pool"));
    assert_eq!(old.blocks, new.blocks);
    let report = compare(&old, &new, &DiffOptions::default());
    assert!(report.is_empty(), "{report:?}");
}

#[test]
fn an_item_removed_from_a_body_list_is_a_change() {
    let before = column_page();
    let removed = edited(
        &before,
        "<li>rebuilding the pedestrian rails on both sides</li>",
        "",
    );
    let (old, new) = (article(&before), article(&removed));
    assert_ne!(old.blocks, new.blocks);
    let report = compare(&old, &new, &DiffOptions::default());
    let counts = report.counts();
    assert_eq!(counts.removed, 1, "{report:?}");
    assert_eq!(counts.added + counts.edited, 0, "{report:?}");
}

#[test]
fn a_list_articles_linked_items_are_kept() {
    let text = article(&fixture("deals.html")).body_text();
    for name in [
        "Brightwater 1.7",
        "Alder Steel",
        "Copperline Mini",
        "Orbit Travel",
    ] {
        assert!(text.contains(name), "{name} is kept: {text}");
    }
    assert!(text.contains("keep-warm setting"), "{text}");
}
