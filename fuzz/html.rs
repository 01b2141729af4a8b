//! The extractor target: bytes with a declared charset go through
//! `charset::decode` and `extract`, with or without a selector. Inputs are
//! real pages mutated byte by byte, or pages generated tag by tag with
//! misnesting, hostile attributes and odd text. Extraction must not panic
//! and every article it returns must keep the model's invariants.

use redline::article::{Article, Style};
use redline::extract::{ExtractOptions, extract};

/// Real and synthetic pages from the fixtures.
const SEEDS: [&str; 5] = [
    include_str!("../tests/fixtures/seed/v1.html"),
    include_str!("../tests/fixtures/seed/v2.html"),
    include_str!("../tests/fixtures/extract/synthetic/microdata.html"),
    include_str!("../tests/fixtures/extract/synthetic/json-ld-only.html"),
    include_str!("../tests/fixtures/extract/synthetic/short-article-long-comments.html"),
];

/// How the first input byte declares the body's charset.
const CONTENT_TYPES: [&str; 6] = [
    "text/html; charset=utf-8",
    "text/html",
    "text/html; charset=iso-8859-1",
    "text/html; charset=windows-1252",
    "text/html; charset=shift_jis",
    "text/html; charset=utf-16le",
];

/// Selectors the second input byte may pick (0: automatic detection).
const SELECTORS: [&str; 4] = ["article", "div.entry-content", "p", "body > *"];

const TAGS: [&str; 40] = [
    "div",
    "p",
    "article",
    "main",
    "section",
    "h1",
    "h2",
    "span",
    "b",
    "strong",
    "i",
    "em",
    "a",
    "table",
    "tr",
    "td",
    "ul",
    "ol",
    "li",
    "blockquote",
    "pre",
    "code",
    "figure",
    "figcaption",
    "nav",
    "header",
    "footer",
    "aside",
    "script",
    "style",
    "noscript",
    "template",
    "svg",
    "math",
    "select",
    "option",
    "textarea",
    "title",
    "font",
    "iframe",
];
const VOID: [&str; 6] = ["br", "img", "hr", "meta", "input", "wbr"];
const ATTRIBUTES: [&str; 16] = [
    "class=\"entry-content\"",
    "class=\"comments\"",
    "class=share",
    "id=main",
    "hidden",
    "style=\"display:none\"",
    "style=\"font-weight:bold\"",
    "aria-hidden=true",
    "itemprop=articleBody",
    "itemprop=headline",
    "role=main",
    "lang=fr",
    "dir=rtl",
    "href=\"javascript:x\"",
    "class",
    "x=\"a>b\"",
];
const WORDS: [&str; 20] = [
    "Update:",
    "Correction:",
    "the",
    "minister",
    "said",
    "on",
    "Monday",
    "42",
    "—",
    "“quoted”",
    "café",
    "\u{00a0}",
    "\u{00ad}",
    "\u{200b}",
    "&amp;",
    "&nbsp;",
    "&#x1F600;",
    "&bogus;",
    "مرحبا",
    "<",
];
/// Fragments the byte mutator inserts.
const TOKENS: [&str; 16] = [
    "<div>",
    "</div>",
    "<p>",
    "</p>",
    "<b>",
    "</b>",
    "<!--",
    "-->",
    "<script>",
    "</script>",
    "<![CDATA[",
    "]]>",
    "<table><tr><td>",
    "\u{fffd}",
    "Ã©",
    "<h1>",
];

pub(crate) fn input(rng: &mut fastrand::Rng) -> Vec<u8> {
    let mut input = vec![rng.u8(..), rng.u8(..)];
    if rng.bool() {
        let mut page = SEEDS[rng.usize(..SEEDS.len())].as_bytes().to_vec();
        super::mutate(rng, &mut page, &TOKENS);
        input.extend(page);
    } else {
        let mut page = String::from("<!doctype html><html><head><title>t</title></head><body>");
        for _ in 0..rng.usize(1..40) {
            element(rng, &mut page, 0);
        }
        input.extend(page.into_bytes());
    }
    input
}

/// Appends one generated element, with children, misnested at times.
fn element(rng: &mut fastrand::Rng, page: &mut String, depth: usize) {
    if depth > 8 || rng.u8(..10) == 0 {
        let words = rng.usize(1..30);
        for _ in 0..words {
            page.push_str(WORDS[rng.usize(..WORDS.len())]);
            page.push(' ');
        }
        return;
    }
    if rng.u8(..8) == 0 {
        page.push_str(&format!("<{}>", VOID[rng.usize(..VOID.len())]));
        return;
    }
    let tag = TAGS[rng.usize(..TAGS.len())];
    page.push('<');
    page.push_str(tag);
    for _ in 0..rng.usize(..3) {
        page.push(' ');
        page.push_str(ATTRIBUTES[rng.usize(..ATTRIBUTES.len())]);
    }
    page.push('>');
    for _ in 0..rng.usize(..4) {
        element(rng, page, depth + 1);
    }
    match rng.u8(..10) {
        // Left open, or closed as something else.
        0 => {}
        1 => page.push_str(&format!("</{}>", TAGS[rng.usize(..TAGS.len())])),
        _ => page.push_str(&format!("</{tag}>")),
    }
}

pub(crate) fn target(input: &[u8]) -> Result<(), String> {
    let [charset, selector, body @ ..] = input else {
        return Ok(());
    };
    let content_type = CONTENT_TYPES[usize::from(*charset) % CONTENT_TYPES.len()];
    let html = redline::charset::decode(body.to_vec(), content_type).text;
    let options = ExtractOptions {
        selector: match usize::from(*selector) % (SELECTORS.len() + 1) {
            0 => None,
            n => Some(scraper::Selector::parse(SELECTORS[n - 1]).unwrap()),
        },
        ignore: vec![scraper::Selector::parse("aside, .share").unwrap()],
    };
    match extract(&html, &options) {
        Ok(article) => invariants(&article),
        Err(error) => {
            let _ = error.to_string();
            Ok(())
        }
    }
}

/// The article model's invariants: blocks non-empty and normalised, emphasis
/// ranges on character boundaries, non-empty, sorted, and never overlapping
/// another range of their style.
fn invariants(article: &Article) -> Result<(), String> {
    for block in &article.blocks {
        if block.text.is_empty() {
            return Err("an empty block".to_owned());
        }
        if redline::article::normalize_text(&block.text) != block.text {
            return Err(format!("a block not normalised: {:?}", block.text));
        }
        let mut last_end = [0usize; 2];
        let mut last_start = 0;
        for range in &block.emphasis {
            let (start, end) = (range.start, range.end);
            let fits = start < end
                && end <= block.text.len()
                && block.text.is_char_boundary(start)
                && block.text.is_char_boundary(end);
            let slot = usize::from(range.style == Style::Italic);
            if !fits || start < last_start || start < last_end[slot] {
                return Err(format!("bad emphasis {range:?} in {:?}", block.text));
            }
            last_start = start;
            last_end[slot] = end;
        }
    }
    Ok(())
}
