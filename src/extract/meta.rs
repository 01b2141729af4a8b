//! The article's metadata: the visible headline and the metadata titles,
//! byline, published and modified times, canonical address and language,
//! from meta tags, JSON-LD, microdata and the page itself; and JSON-LD's
//! `articleBody`, which content detection uses as a cross-check.
//!
//! Every text field is entity-decoded (JSON-LD strings often carry
//! `&#8216;` or `&amp;`, and meta attributes are sometimes encoded twice)
//! and normalised like body text, so that an encoding change never reads
//! as an edit.
//!
//! This module reads attributes and small texts in one pass over the page.
//! It must not touch the body's blocks: choosing the body is `score`'s job,
//! and which `h1` is the headline is `headline`'s.

use scraper::{ElementRef, Html};
use serde_json::Value;

use super::headline::{self, Candidate};
use crate::article::{Titles, normalize_text};

/// What the page says about its article, before the body is chosen.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Metadata {
    /// The visible headline.
    pub headline: Option<String>,
    /// The metadata titles.
    pub titles: Titles,
    /// The author(s), without a leading "By".
    pub byline: Option<String>,
    /// When it was first published, as the page states it.
    pub published: Option<String>,
    /// When it was last modified, as the page states it.
    pub modified: Option<String>,
    /// The canonical address.
    pub canonical_url: Option<String>,
    /// The language tag (`en-US`).
    pub language: Option<String>,
    /// JSON-LD's `articleBody` when the page has one: one normalised
    /// paragraph a line.
    pub article_body: Option<String>,
    /// The page's summary of itself (`og:description`, else the
    /// `description` or `twitter:description` meta tag), normalised: often
    /// the lead the article's header shows above the body.
    pub description: Option<String>,
    /// A recipe's ingredients as JSON-LD states them (`recipeIngredient`),
    /// normalised: the page's own word that a list showing them is main
    /// content.
    pub ingredients: Vec<String>,
}

/// The candidates found in the page, by source, before they are ranked.
#[derive(Default)]
struct Found {
    og_title: Option<String>,
    og_description: Option<String>,
    description: Option<String>,
    twitter_title: Option<String>,
    site_name: Option<String>,
    title: Option<String>,
    h1s: Vec<Candidate>,
    author_meta: Option<String>,
    author_page: Option<String>,
    author_class: Option<String>,
    published_meta: Option<String>,
    modified_meta: Option<String>,
    time_element: Option<String>,
    canonical: Option<String>,
    og_url: Option<String>,
    lang: Option<String>,
    locale: Option<String>,
    ld: Metadata,
}

/// Reads the page's metadata.
pub(crate) fn read(html: &Html) -> Metadata {
    let mut found = Found::default();
    let root = html.root_element();
    found.lang = root.value().attr("lang").and_then(non_empty);
    for element in root.descendent_elements() {
        visit(element, &mut found);
    }
    let titles = Titles {
        og: found.og_title.as_deref().and_then(clean_text),
        json_ld: found.ld.headline.as_deref().and_then(clean_text),
        document: found.title.as_deref().and_then(clean_text),
    };
    let headline = visible_headline(&found, &titles);
    let field = |value: Option<String>| value.as_deref().and_then(clean_text);
    Metadata {
        headline,
        titles,
        byline: found
            .ld
            .byline
            .or(found.author_meta)
            .or(found.author_page)
            .or(found.author_class)
            .and_then(|b| clean_text(&b))
            .and_then(clean_byline),
        published: field(
            found
                .published_meta
                .or(found.ld.published)
                .or(found.time_element),
        ),
        modified: field(found.modified_meta.or(found.ld.modified)),
        canonical_url: field(found.canonical.or(found.og_url).or(found.ld.canonical_url)),
        language: field(
            found
                .lang
                .or(found.ld.language)
                .or(found.locale.map(|l| l.replace('_', "-"))),
        ),
        article_body: found.ld.article_body,
        description: field(found.og_description.or(found.description)),
        ingredients: found.ld.ingredients,
    }
}

/// The headline a reader sees: the article's `h1`, else the document title
/// without the site's name, else a metadata title.
fn visible_headline(found: &Found, titles: &Titles) -> Option<String> {
    let site = found.site_name.as_deref().and_then(clean_text);
    let twitter = found.twitter_title.as_deref().and_then(clean_text);
    let stated: Vec<&str> = [&titles.og, &titles.json_ld, &twitter]
        .into_iter()
        .filter_map(|t| t.as_deref())
        .collect();
    let document = titles
        .document
        .as_deref()
        .map(|t| headline::strip_site_name(t, site.as_deref(), &stated));
    let mut compared = stated.clone();
    compared.extend(document.as_deref());
    headline::choose(&found.h1s, &compared, site.as_deref())
        .or(document)
        .or_else(|| stated.first().map(|t| t.to_string()))
        .filter(|h| !h.is_empty())
}

/// Looks at one element for any metadata it carries.
fn visit(element: ElementRef<'_>, found: &mut Found) {
    let value = element.value();
    match value.name() {
        "meta" => visit_meta(element, found),
        "link" => {
            let rel = value.attr("rel").unwrap_or("");
            if rel.eq_ignore_ascii_case("canonical") && found.canonical.is_none() {
                found.canonical = value.attr("href").and_then(non_empty);
            }
        }
        "title" if found.title.is_none() => found.title = text_of(element),
        "h1" => found.h1s.extend(headline::candidate(element)),
        "time" if found.time_element.is_none() => {
            found.time_element = value.attr("datetime").and_then(non_empty);
        }
        "script" => {
            let kind = value.attr("type").unwrap_or("");
            if kind.eq_ignore_ascii_case("application/ld+json") {
                let json: String = element.text().collect();
                if let Some(parsed) = parse_json_ld(&json) {
                    read_json_ld(&parsed, &mut found.ld);
                }
            }
        }
        _ => {}
    }
    // One pass over the attributes: looking each name up would intern it
    // once per element, and this runs over every element of the page.
    let (mut itemprop, mut rel, mut class) = (None, None, "");
    for (name, attr) in value.attrs() {
        match name {
            "itemprop" => itemprop = Some(attr),
            "rel" => rel = Some(attr),
            "class" => class = attr,
            _ => {}
        }
    }
    if found.author_class.is_none() && is_byline_class(class) {
        found.author_class = text_of(element).filter(|t| t.len() <= 120);
    }
    if let Some(prop) = itemprop {
        let content = || {
            value
                .attr("content")
                .or(value.attr("datetime"))
                .and_then(non_empty)
        };
        match prop {
            "datePublished" if found.published_meta.is_none() => found.published_meta = content(),
            "dateModified" if found.modified_meta.is_none() => found.modified_meta = content(),
            "author" if found.author_page.is_none() => {
                found.author_page = value
                    .attr("content")
                    .and_then(non_empty)
                    .or_else(|| text_of(element));
            }
            _ => {}
        }
    }
    if found.author_page.is_none() && rel == Some("author") {
        found.author_page = text_of(element);
    }
}

/// Whether a class names the element holding the byline ("byline",
/// "author-name"), as opposed to an author's bio or avatar.
fn is_byline_class(class: &str) -> bool {
    // Compared without lowercasing a copy: this runs on every class of
    // every element until a byline is found.
    const NAMES: [&str; 6] = [
        "byline",
        "author",
        "author-name",
        "authorname",
        "byline-name",
        "byline__name",
    ];
    class.split_ascii_whitespace().any(|c| {
        NAMES.iter().any(|n| c.eq_ignore_ascii_case(n))
            || ends_with_ignore_case(c, "__byline")
            || ends_with_ignore_case(c, "-byline")
    })
}

/// Whether `text` ends with the ASCII `suffix`, regardless of ASCII case.
fn ends_with_ignore_case(text: &str, suffix: &str) -> bool {
    text.len() >= suffix.len()
        && text.as_bytes()[text.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
}

/// Parses a JSON-LD script, which pages wrap in CDATA or comment markers
/// and fill with raw line breaks that JSON does not allow in strings.
fn parse_json_ld(text: &str) -> Option<Value> {
    let mut text = text.trim();
    for prefix in ["//<![CDATA[", "<![CDATA[", "<!--"] {
        text = text.strip_prefix(prefix).unwrap_or(text).trim_start();
    }
    for suffix in ["//]]>", "]]>", "-->"] {
        text = text.strip_suffix(suffix).unwrap_or(text).trim_end();
    }
    serde_json::from_str(text).ok().or_else(|| {
        let flattened: String = text
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        serde_json::from_str(&flattened).ok()
    })
}

/// Reads `<meta name|property|itemprop=… content=…>`.
fn visit_meta(element: ElementRef<'_>, found: &mut Found) {
    let value = element.value();
    let key = value
        .attr("property")
        .or(value.attr("name"))
        .unwrap_or("")
        .to_ascii_lowercase();
    let Some(content) = value.attr("content").and_then(non_empty) else {
        return;
    };
    let slot = match key.as_str() {
        "og:title" => &mut found.og_title,
        "twitter:title" => &mut found.twitter_title,
        "og:description" => &mut found.og_description,
        "description" | "twitter:description" => &mut found.description,
        "og:site_name" | "application-name" => &mut found.site_name,
        "author" | "article:author" | "parsely-author" | "sailthru.author" | "dc.creator" => {
            if content.starts_with("http") {
                return;
            }
            &mut found.author_meta
        }
        "article:published_time"
        | "datepublished"
        | "pubdate"
        | "publishdate"
        | "date"
        | "parsely-pub-date"
        | "sailthru.date"
        | "dc.date.issued"
        | "dc.date" => &mut found.published_meta,
        "article:modified_time" | "og:updated_time" | "datemodified" | "lastmod" => {
            &mut found.modified_meta
        }
        "og:url" => &mut found.og_url,
        "og:locale" => &mut found.locale,
        "content-language" => &mut found.lang,
        _ => {
            if value
                .attr("http-equiv")
                .is_some_and(|h| h.eq_ignore_ascii_case("content-language"))
            {
                &mut found.lang
            } else {
                return;
            }
        }
    };
    if slot.is_none() {
        *slot = Some(content);
    }
}

/// Reads an article object from a JSON-LD document: a single object, an
/// array of them, or a `@graph`.
fn read_json_ld(value: &Value, ld: &mut Metadata) {
    match value {
        Value::Array(items) => items.iter().for_each(|item| read_json_ld(item, ld)),
        Value::Object(object) => {
            if let Some(graph) = object.get("@graph") {
                read_json_ld(graph, ld);
            }
            if is_article_type(object.get("@type")) {
                read_article_object(object, ld);
            }
            if ld.ingredients.is_empty() {
                ld.ingredients = ingredients(object.get("recipeIngredient"));
            }
        }
        _ => {}
    }
}

/// The ingredients of a JSON-LD `recipeIngredient`: a list of strings, or
/// one string.
fn ingredients(value: Option<&Value>) -> Vec<String> {
    let one = |v: &Value| v.as_str().and_then(clean_text);
    match value {
        Some(Value::Array(items)) => items.iter().filter_map(one).collect(),
        Some(v) => one(v).into_iter().collect(),
        None => Vec::new(),
    }
}

/// Whether a JSON-LD `@type` names a kind of article, or a `WebPage`
/// (read for dates and language only, never for the headline). Every
/// schema.org posting (`BlogPosting`, `LiveBlogPosting`,
/// `SocialMediaPosting`, `DiscussionForumPosting`) is a kind of `Article`
/// there, whose `articleBody` states the post's text.
fn is_article_type(kind: Option<&Value>) -> bool {
    match kind {
        Some(Value::String(s)) => {
            s.contains("Article") || s.ends_with("Posting") || s == "Report" || s == "WebPage"
        }
        Some(Value::Array(kinds)) => kinds.iter().any(|k| is_article_type(Some(k))),
        _ => false,
    }
}

fn read_article_object(object: &serde_json::Map<String, Value>, ld: &mut Metadata) {
    let text = |key: &str| object.get(key).and_then(Value::as_str).and_then(non_empty);
    let is_page = object.get("@type").and_then(Value::as_str) == Some("WebPage");
    // The headline is the article entity's, the first one's when a page
    // states several: a WebPage's name is the document title again.
    if !is_page && ld.headline.is_none() {
        ld.headline = text("headline").or_else(|| text("name"));
    }
    if ld.byline.is_none() {
        ld.byline = object.get("author").and_then(author_names);
    }
    ld.published = ld.published.take().or_else(|| text("datePublished"));
    ld.modified = ld.modified.take().or_else(|| text("dateModified"));
    ld.language = ld.language.take().or_else(|| text("inLanguage"));
    if !is_page {
        ld.canonical_url = ld.canonical_url.take().or_else(|| text("url"));
    }
    if let Some(body) = text("articleBody") {
        // Paragraphs stay on their own lines: the body may stand in for
        // the page's markup.
        let body: Vec<String> = body
            .lines()
            .map(normalize_text)
            .filter(|l| !l.is_empty())
            .collect();
        let body = body.join("\n");
        if ld
            .article_body
            .as_ref()
            .is_none_or(|b| b.len() < body.len())
        {
            ld.article_body = Some(body);
        }
    }
}

/// The names in a JSON-LD `author`: a string, a person, or a list of them.
fn author_names(author: &Value) -> Option<String> {
    match author {
        Value::String(s) => non_empty(s),
        Value::Object(o) => o.get("name").and_then(Value::as_str).and_then(non_empty),
        Value::Array(items) => {
            let names: Vec<String> = items.iter().filter_map(author_names).collect();
            (!names.is_empty()).then(|| names.join(", "))
        }
        _ => None,
    }
}

/// The element's text, normalised, when it has any.
fn text_of(element: ElementRef<'_>) -> Option<String> {
    let text: String = element.text().collect();
    let text = normalize_text(&text);
    (!text.is_empty()).then_some(text)
}

fn non_empty(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

/// A byline without "By", the page's decorations, or a URL.
fn clean_byline(byline: String) -> Option<String> {
    let byline = normalize_text(&byline);
    let lower = byline.to_lowercase();
    let trimmed = if lower.starts_with("by ") {
        &byline[3..]
    } else {
        byline.as_str()
    };
    let trimmed = trimmed.trim();
    if trimmed.is_empty() || trimmed.starts_with("http") || trimmed.len() > 200 {
        return None;
    }
    Some(trimmed.to_string())
}

/// A metadata text entity-decoded and normalised; `None` when empty.
///
/// The page's parser already decoded attributes and text once, but JSON-LD
/// strings are JSON, not HTML, and some pages encode meta attributes twice:
/// what is still an entity is decoded by parsing it as an HTML fragment,
/// which knows every entity the HTML standard names.
fn clean_text(text: &str) -> Option<String> {
    let decoded = if text.contains('&') {
        let fragment = Html::parse_fragment(text);
        fragment.root_element().text().collect::<String>()
    } else {
        text.to_string()
    };
    let text = normalize_text(&decoded);
    (!text.is_empty()).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_with_entities_decode() {
        let page = Html::parse_document(
            r#"<html><head><title>Ruling &amp;amp; reaction | Site</title>
            <meta property="og:title" content="The &amp;#8216;quiet&amp;#8217; ruling">
            <script type="application/ld+json">{"@type":"NewsArticle",
            "headline":"The &#8216;quiet&#8217; ruling &amp; its fallout",
            "author":{"name":"Ann&#233;e Lee"}}</script></head>
            <body><article><h1>The &#8216;quiet&#8217;   ruling</h1></article></body></html>"#,
        );
        let meta = read(&page);
        assert_eq!(meta.headline.as_deref(), Some("The ‘quiet’ ruling"));
        assert_eq!(meta.titles.og.as_deref(), Some("The ‘quiet’ ruling"));
        assert_eq!(
            meta.titles.json_ld.as_deref(),
            Some("The ‘quiet’ ruling & its fallout")
        );
        assert_eq!(
            meta.titles.document.as_deref(),
            Some("Ruling & reaction | Site")
        );
        assert_eq!(meta.byline.as_deref(), Some("Année Lee"));
    }

    #[test]
    fn the_json_ld_headline_is_the_article_entity_s() {
        let page = Html::parse_document(
            r#"<html><head><script type="application/ld+json">[
            {"@type":"WebSite","name":"Daily Planet","headline":"Daily Planet"},
            {"@type":"BreadcrumbList","name":"Home > Politics"},
            {"@type":"WebPage","name":"Rates rise | Daily Planet"},
            {"@type":"NewsArticle","headline":"Rates rise"}]</script></head><body></body></html>"#,
        );
        assert_eq!(read(&page).titles.json_ld.as_deref(), Some("Rates rise"));
    }

    #[test]
    fn without_an_article_h1_the_title_loses_its_site_name() {
        let page = Html::parse_document(
            r#"<html><head><title>Rates rise again | Daily Planet</title>
            <meta property="og:site_name" content="Daily Planet"></head>
            <body><header><h1><a href="/">Daily Planet</a></h1></header><p>Text.</p></body></html>"#,
        );
        assert_eq!(read(&page).headline.as_deref(), Some("Rates rise again"));
    }

    #[test]
    fn bylines_lose_their_by() {
        assert_eq!(
            clean_byline("By  Fredrik Vold".into()).as_deref(),
            Some("Fredrik Vold")
        );
        assert_eq!(clean_byline("https://x.example/a".into()), None);
    }

    #[test]
    fn wrapped_or_sloppy_json_ld_is_read() {
        let cases = [
            "<![CDATA[ {\"a\": 1} ]]>",
            "//<![CDATA[\n{\"a\": 1}\n//]]>",
            "{\"a\": \"line\nbreak\"}",
        ];
        for text in cases {
            assert!(parse_json_ld(text).is_some(), "{text}");
        }
    }

    #[test]
    fn json_ld_in_a_graph_is_read() {
        let page = Html::parse_document(
            r#"<html lang="de"><head><script type="application/ld+json">
            {"@graph":[{"@type":"WebSite","name":"Site"},{"@type":"NewsArticle",
            "headline":"The headline","author":[{"@type":"Person","name":"A. Writer"},{"name":"B. Writer"}],
            "datePublished":"2024-01-02T03:04:05Z","dateModified":"2024-01-03T00:00:00Z",
            "articleBody":"Body  text."}]}</script></head><body></body></html>"#,
        );
        let meta = read(&page);
        assert_eq!(meta.headline.as_deref(), Some("The headline"));
        assert_eq!(meta.byline.as_deref(), Some("A. Writer, B. Writer"));
        assert_eq!(meta.published.as_deref(), Some("2024-01-02T03:04:05Z"));
        assert_eq!(meta.modified.as_deref(), Some("2024-01-03T00:00:00Z"));
        assert_eq!(meta.language.as_deref(), Some("de"));
        assert_eq!(meta.article_body.as_deref(), Some("Body text."));
    }

    #[test]
    fn a_forum_posting_is_an_article() {
        let page = Html::parse_document(
            r#"<html><head><script type="application/ld+json">
            {"@type":"DiscussionForumPosting","headline":"Release notes 2.1",
            "articleBody":"Fixed the login.\nAdded a dark theme."}</script></head><body></body></html>"#,
        );
        let meta = read(&page);
        assert_eq!(meta.titles.json_ld.as_deref(), Some("Release notes 2.1"));
        assert_eq!(
            meta.article_body.as_deref(),
            Some("Fixed the login.\nAdded a dark theme.")
        );
    }
}
