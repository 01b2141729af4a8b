//! The seed article's pages (`tests/fixtures/seed/`): automatic detection
//! must find exactly the `div.entry-content` body, with the April 25
//! update's bold passages and italic editor's note, and none of the chrome
//! (image credit, "Learn more" links, newsletter box, share bar, comments).

use redline::article::{Article, BlockKind, Style};
use redline::extract::{ExtractError, ExtractOptions, Implausible, check_plausible, extract};
use scraper::Selector;

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/seed/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn auto(name: &str) -> Article {
    extract(&fixture(name), &ExtractOptions::default()).expect("the seed pages extract")
}

fn with_selector(name: &str, css: &str) -> Result<Article, ExtractError> {
    let options = ExtractOptions {
        selector: Some(Selector::parse(css).expect("valid css")),
        ignore: vec![],
    };
    extract(&fixture(name), &options)
}

#[test]
fn automatic_detection_finds_exactly_the_entry_content() {
    for name in ["v1.html", "v2.html", "v1-chrome.html"] {
        let auto = auto(name);
        let selected = with_selector(name, "div.entry-content").expect("the body is there");
        assert_eq!(auto.blocks, selected.blocks, "{name}");
    }
}

#[test]
fn v1_body_is_its_eleven_paragraphs() {
    let article = auto("v1.html");
    assert_eq!(article.blocks.len(), 11);
    assert!(
        article
            .blocks
            .iter()
            .all(|b| b.kind == BlockKind::Paragraph)
    );
    assert!(
        article.blocks[0]
            .text
            .starts_with("A local representative for the major crypto exchange")
    );
    assert!(
        article
            .blocks
            .last()
            .is_some_and(|b| b.text.starts_with("Binance has continued to operate"))
    );
    assert!(article.blocks.iter().all(|b| b.emphasis.is_empty()));
    assert!(
        article
            .body_text()
            .contains("including president Vladimir Putin")
    );
}

#[test]
fn chrome_is_never_extracted() {
    for name in ["v1.html", "v2.html", "v1-chrome.html"] {
        let body = auto(name).body_text();
        for chrome in [
            "Binance Regional Head Agreed",
            "AdobeStock",
            "Learn more",
            "Binance Wins Day in Court",
            "newsletter",
            "Share on Twitter",
            "Please log in",
            "cookies",
            "Most read",
            "Fredrik Vold",
            "min read",
            "All rights reserved",
        ] {
            assert!(!body.contains(chrome), "{name} body has chrome {chrome:?}");
        }
    }
}

#[test]
fn v1_and_its_rechromed_copy_are_the_same_article() {
    assert_eq!(
        auto("v1.html").fingerprint(),
        auto("v1-chrome.html").fingerprint()
    );
}

#[test]
fn v2_update_is_bold_and_its_note_italic() {
    let article = auto("v2.html");
    let bold: Vec<&str> = article
        .blocks
        .iter()
        .filter(|b| b.emphasised_share(Style::Bold) == 1.0)
        .map(|b| b.text.as_str())
        .collect();
    assert_eq!(bold.len(), 7);
    assert!(bold[0].starts_with("A Binance spokesperson told"));
    assert!(bold[6].starts_with("Per the Saturday blog post"));
    let note = article.blocks.last().expect("v2 has a body");
    assert!(
        note.text
            .starts_with("The article has been updated on April 25")
    );
    assert_eq!(note.emphasised_share(Style::Italic), 1.0);
    assert!(
        article
            .blocks
            .iter()
            .filter(|b| !std::ptr::eq(*b, note))
            .all(|b| b.emphasised_share(Style::Italic) == 0.0)
    );
}

#[test]
fn seed_metadata() {
    let article = auto("v2.html");
    assert_eq!(
        article.headline.as_deref(),
        Some("Binance Regional Head Agreed to Hand Client Data to Russia After Meeting – Reuters")
    );
    assert_eq!(article.byline.as_deref(), Some("Fredrik Vold"));
    assert_eq!(
        article.published.as_deref(),
        Some("2022-04-22T10:55:00+00:00")
    );
    assert_eq!(
        article.modified.as_deref(),
        Some("2022-04-25T08:30:00+00:00")
    );
    assert_eq!(
        article.canonical_url.as_deref(),
        Some(
            "https://cryptonews.com/news/binance-regional-head-agreed-hand-client-data-russia-after-meeting-report.htm"
        )
    );
    assert_eq!(article.language.as_deref(), Some("en-US"));
}

#[test]
fn a_selector_that_matches_nothing_is_named_in_the_error() {
    let error = with_selector("v1.html", "div.story-body").expect_err("nothing matches");
    assert_eq!(
        error,
        ExtractError::SelectorMatchedNothing {
            selector: "div.story-body".into()
        }
    );
    assert!(error.to_string().contains("redline extract"));
}

#[test]
fn ignore_selectors_remove_their_elements() {
    let options = ExtractOptions {
        selector: Some(Selector::parse("article.post").expect("valid css")),
        ignore: vec![Selector::parse(".newsletter-box, .learn-more").expect("valid css")],
    };
    let body = extract(&fixture("v2.html"), &options)
        .expect("the article is there")
        .body_text();
    assert!(!body.contains("Sign up for our newsletter"));
    assert!(!body.contains("Binance Wins Day in Court"));
    assert!(body.contains("Per the Saturday blog post"));
}

#[test]
fn the_april_25_update_is_a_plausible_next_version() {
    let (v1, v2, chrome) = (auto("v1.html"), auto("v2.html"), auto("v1-chrome.html"));
    assert_eq!(check_plausible(&v1, &v2), Ok(()));
    assert_eq!(check_plausible(&v2, &v1), Ok(()));
    assert_eq!(check_plausible(&v1, &chrome), Ok(()));
}

#[test]
fn a_collapsed_body_is_implausible() {
    let v2 = auto("v2.html");
    let mut cut = v2.clone();
    cut.blocks.truncate(2);
    assert!(matches!(
        check_plausible(&v2, &cut),
        Err(Implausible::Collapsed { .. })
    ));
}
