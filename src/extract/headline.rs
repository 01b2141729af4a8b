//! The visible headline: which `h1` of a page is the article's, and the
//! document title without the site's name when none is.
//!
//! A page may hold several `h1`s: the site's logo or name, a section's
//! name, the article's headline. The article's is told apart by general
//! signals only: where it sits (inside the article or main content, not in
//! the page's navigation or banner), what it is (not a logo, not a link
//! home, not the site's name) and how much its words overlap the titles
//! the page's metadata states. This module must not name a site, a domain
//! or a class seen on one site only, and must not read the body's blocks.

use scraper::ElementRef;

use super::hints;
use crate::article::normalize_text;

/// Headlines longer than this (in bytes) are a block of text set as `h1`.
const MAX_HEADLINE: usize = 400;

/// The word overlap with a metadata title above which an `h1` is taken as
/// the article's headline with no other sign.
const SAME_TITLE: f64 = 0.5;

/// Separators between a title and the site's name: "Headline | Site".
const SEPARATORS: [&str; 7] = [" | ", " – ", " — ", " - ", " :: ", " · ", " / "];

/// An `h1` of the page and what its place says about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Candidate {
    /// Its text, normalised.
    pub text: String,
    /// Inside `<article>`, `<main>`, `role=main` or the article's
    /// microdata, or marked `itemprop=headline` itself.
    pub in_article: bool,
    /// Page furniture: inside navigation or the page's banner, a logo, or
    /// a link to the site's home.
    pub furniture: bool,
}

/// The candidate an `h1` element makes, or `None` when it has no text or
/// too much to be a headline.
pub(crate) fn candidate(h1: ElementRef<'_>) -> Option<Candidate> {
    let text = normalize_text(&h1.text().collect::<String>());
    if text.is_empty() || text.len() > MAX_HEADLINE {
        return None;
    }
    let value = h1.value();
    let mut in_article = value
        .attr("itemprop")
        .is_some_and(|p| p.eq_ignore_ascii_case("headline"));
    // A banner above any article ancestor is the page's; one inside the
    // article is the article's own header.
    let mut in_banner = false;
    for ancestor in h1.ancestors().filter_map(ElementRef::wrap) {
        let a = ancestor.value();
        let role = a.attr("role").unwrap_or("");
        let itemprop = a.attr("itemprop").unwrap_or("");
        match a.name() {
            "article" | "main" => in_article = true,
            _ if role.eq_ignore_ascii_case("main")
                || itemprop.eq_ignore_ascii_case("articleBody") =>
            {
                in_article = true
            }
            "nav" => in_banner = true,
            "header" if !in_article && is_site_banner(ancestor) => in_banner = true,
            _ if ["navigation", "banner", "menubar", "menu"]
                .iter()
                .any(|r| role.eq_ignore_ascii_case(r)) =>
            {
                in_banner = true
            }
            _ => {}
        }
    }
    let furniture =
        (in_banner && !in_article) || is_hidden(h1) || is_logo(h1) || links_home(h1, &text);
    Some(Candidate {
        text,
        in_article,
        furniture,
    })
}

/// Whether a `header` outside any article is the site's banner rather than
/// the article's own header (which pages often set outside `<article>`):
/// the banner holds the navigation or the logo.
fn is_site_banner(header: ElementRef<'_>) -> bool {
    header.descendent_elements().any(|e| {
        let v = e.value();
        v.name() == "nav"
            || v.attr("role")
                .is_some_and(|r| r.eq_ignore_ascii_case("navigation"))
            || marked_as(e, &["logo", "brand"])
    })
}

/// Whether the page hides the `h1` from readers (a copy kept for search
/// engines or screen readers).
fn is_hidden(h1: ElementRef<'_>) -> bool {
    let v = h1.value();
    v.attr("hidden").is_some()
        || v.attr("aria-hidden")
            .is_some_and(|a| a.eq_ignore_ascii_case("true"))
        || v.attr("style").is_some_and(hints::is_hidden_style)
        || marked_as(
            h1,
            &["hidden", "sr-only", "screen-reader", "visuallyhidden"],
        )
}

/// Whether an element's class or id contains one of `words`.
fn marked_as(element: ElementRef<'_>, words: &[&str]) -> bool {
    let v = element.value();
    [v.attr("class"), v.attr("id")]
        .into_iter()
        .flatten()
        .any(|hint| {
            let hint = hint.to_ascii_lowercase();
            words.iter().any(|w| hint.contains(w))
        })
}

/// Whether the `h1`, its parent or anything inside it is marked as the
/// site's logo or brand.
fn is_logo(h1: ElementRef<'_>) -> bool {
    let marked = |e: ElementRef<'_>| {
        marked_as(
            e,
            &[
                "logo",
                "brand",
                "masthead",
                "site-title",
                "site-name",
                "sitename",
            ],
        )
    };
    let parent = h1.parent().and_then(ElementRef::wrap);
    std::iter::once(h1)
        .chain(parent)
        .chain(h1.descendent_elements())
        .any(marked)
}

/// Whether the `h1`'s whole text is a link to the site's home page.
fn links_home(h1: ElementRef<'_>, text: &str) -> bool {
    h1.descendent_elements()
        .filter(|e| e.value().name() == "a")
        .any(|a| {
            let href = a.value().attr("href").unwrap_or("").trim();
            let path = match href.split_once("://") {
                Some((_, rest)) => rest.find('/').map_or("/", |at| &rest[at..]),
                None => href,
            };
            matches!(path, "/" | "" | "./" | "/index.html")
                && normalize_text(&a.text().collect::<String>()) == text
        })
}

/// Chooses the visible headline among the page's `h1`s, given the titles
/// its metadata states (the document title already without its site
/// name) and the site's name. `None` when no `h1` is the article's.
pub(crate) fn choose(
    candidates: &[Candidate],
    titles: &[&str],
    site_name: Option<&str>,
) -> Option<String> {
    let is_site = |text: &str| site_name.is_some_and(|s| s.eq_ignore_ascii_case(text));
    let eligible: Vec<&Candidate> = candidates
        .iter()
        .filter(|c| !c.furniture && !is_site(&c.text))
        .collect();
    if titles.is_empty() {
        let first = eligible.iter().find(|c| c.in_article).or(eligible.first());
        return first.map(|c| c.text.clone());
    }
    let overlap = |c: &Candidate| {
        titles
            .iter()
            .map(|t| similarity(&c.text, t))
            .fold(0.0, f64::max)
    };
    // The best overlap wins; among equals, one inside the article, then
    // the first.
    let mut best: Option<(&Candidate, f64)> = None;
    for &c in &eligible {
        let score = overlap(c);
        let better = best.is_none_or(|(b, s)| {
            score > s + 1e-9 || ((score - s).abs() <= 1e-9 && c.in_article && !b.in_article)
        });
        if better {
            best = Some((c, score));
        }
    }
    if let Some((c, score)) = best
        && score >= SAME_TITLE
    {
        return Some(c.text.clone());
    }
    // A display headline rewritten away from the SEO title still sits in
    // the article; a lone `h1` of a few words is the page's headline.
    let words = |text: &str| text.split_whitespace().count();
    if let Some(c) = eligible
        .iter()
        .find(|c| c.in_article && words(&c.text) >= 2)
    {
        return Some(c.text.clone());
    }
    match eligible.as_slice() {
        [only] if words(&only.text) >= 4 => Some(only.text.clone()),
        _ => None,
    }
}

/// The share of words two titles have in common (Dice's coefficient over
/// their lowercased word sets): 1.0 for the same words, 0.0 for none.
/// Scripts written without spaces count each character as a word.
pub(crate) fn similarity(a: &str, b: &str) -> f64 {
    let set = |text: &str| -> std::collections::HashSet<String> {
        let mut words = std::collections::HashSet::new();
        let mut word = String::new();
        for c in text.chars() {
            if c.is_alphanumeric() && !unspaced(c) {
                word.extend(c.to_lowercase());
                continue;
            }
            if !word.is_empty() {
                words.insert(std::mem::take(&mut word));
            }
            if unspaced(c) {
                words.insert(c.to_string());
            }
        }
        if !word.is_empty() {
            words.insert(word);
        }
        words
    };
    let (a, b) = (set(a), set(b));
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let common = a.intersection(&b).count();
    2.0 * common as f64 / (a.len() + b.len()) as f64
}

/// Whether a character belongs to a script written without spaces between
/// words (Chinese, Japanese, Thai…).
fn unspaced(c: char) -> bool {
    matches!(c,
        '\u{0E00}'..='\u{0EFF}' // Thai, Lao
        | '\u{3040}'..='\u{30FF}' // Hiragana, Katakana
        | '\u{3400}'..='\u{4DBF}' // CJK extension A
        | '\u{4E00}'..='\u{9FFF}' // CJK unified ideographs
        | '\u{F900}'..='\u{FAFF}') // CJK compatibility ideographs
}

/// "Headline | Site" → "Headline": the document title without the site's
/// name. The name is recognised as the page's stated site name
/// (`og:site_name`) at either end, else as what follows a metadata title
/// that the document title repeats, else as a short last part after a
/// separator.
pub(crate) fn strip_site_name(title: &str, site_name: Option<&str>, titles: &[&str]) -> String {
    if let Some(site) = site_name.map(str::trim).filter(|s| !s.is_empty()) {
        let lower = title.to_lowercase();
        let site_lower = site.to_lowercase();
        for sep in SEPARATORS {
            if let Some(head) = lower.strip_suffix(&format!("{sep}{site_lower}"))
                && !head.trim().is_empty()
            {
                return title[..head.len()].trim().to_string();
            }
            if let Some(tail) = lower.strip_prefix(&format!("{site_lower}{sep}"))
                && !tail.trim().is_empty()
            {
                return title[title.len() - tail.len()..].trim().to_string();
            }
        }
    }
    for meta in titles {
        if let Some(rest) = title.strip_prefix(meta)
            && SEPARATORS.iter().any(|sep| rest.starts_with(sep))
        {
            return meta.to_string();
        }
    }
    for sep in SEPARATORS {
        if let Some(at) = title.rfind(sep) {
            let (head, tail) = (&title[..at], &title[at + sep.len()..]);
            if head.split_whitespace().count() >= 3 && tail.split_whitespace().count() <= 4 {
                return head.to_string();
            }
        }
    }
    title.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use scraper::{Html, Selector};

    fn candidates(body: &str) -> Vec<Candidate> {
        let page = Html::parse_document(&format!("<html><body>{body}</body></html>"));
        let h1 = Selector::parse("h1").expect("valid selector");
        page.select(&h1).filter_map(candidate).collect()
    }

    #[test]
    fn the_article_h1_wins_over_logo_section_and_banner() {
        let title = ["Council approves the new library budget"];
        let cases = [
            (
                r#"<header><h1 class="site-logo"><a href="/">Daily Planet</a></h1></header>
                   <article><h1>Council approves the new library budget</h1></article>"#,
                Some("Council approves the new library budget"),
            ),
            (
                r#"<h1><a href="https://example.org/">Daily Planet</a></h1>
                   <div><h1>Politics</h1></div>
                   <main><h1>Council approves new library budget, finally</h1></main>"#,
                Some("Council approves new library budget, finally"),
            ),
            // Display headline rewritten, SEO title left alone.
            (
                r#"<nav><h1>Menu</h1></nav><article><h1>Library plan passes after long night</h1></article>"#,
                Some("Library plan passes after long night"),
            ),
            // Only a section name: no visible headline among the h1s.
            (r#"<div><h1>Politics</h1></div>"#, None),
            // The article's header outside <article>; a hidden copy.
            (
                r#"<header class="site"><nav><a href="/a">A</a></nav></header>
                   <h1 class="sr-only">Council approves the new library budget</h1>
                   <header class="hero"><h1>Council approves new library budget</h1></header>"#,
                Some("Council approves new library budget"),
            ),
        ];
        for (body, want) in cases {
            let got = choose(&candidates(body), &title, Some("Daily Planet"));
            assert_eq!(got.as_deref(), want, "{body}");
        }
    }

    #[test]
    fn titles_without_spaces_compare_by_character() {
        assert!(
            similarity(
                "DeepMind新电脑已可利用记忆自学",
                "Marmalade新电脑已可利用记忆自学"
            ) > 0.8
        );
    }

    #[test]
    fn without_metadata_titles_the_article_h1_is_taken() {
        let got = choose(
            &candidates("<h1>Site</h1><article><h1>Story</h1></article>"),
            &[],
            None,
        );
        assert_eq!(got.as_deref(), Some("Story"));
    }

    #[test]
    fn site_names_are_stripped_from_titles() {
        let cases = [
            (
                "Binance Agreed to Hand Data – Reuters | Cryptonews",
                None,
                "Binance Agreed to Hand Data – Reuters",
            ),
            ("Short - Site", None, "Short - Site"),
            ("No separator at all", None, "No separator at all"),
            (
                "Daily Planet — Rates rise",
                Some("Daily Planet"),
                "Rates rise",
            ),
            (
                "Rates rise | DAILY PLANET",
                Some("Daily Planet"),
                "Rates rise",
            ),
            (
                "Rates rise again - Business - Paper Online",
                None,
                "Rates rise again - Business",
            ),
        ];
        for (title, site, want) in cases {
            assert_eq!(strip_site_name(title, site, &[]), want, "{title}");
        }
        assert_eq!(
            strip_site_name("Rates rise - Business - The Paper", None, &["Rates rise"]),
            "Rates rise"
        );
    }
}
