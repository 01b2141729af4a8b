//! Furniture that the other clean-up rules leave behind or cannot see by
//! links alone: a pointer line to another story set inside the body
//! ("Le puede interesar: <link>", "Lesen Sie auch: <link>"); a widget's
//! title left alone at the end of the body once its list was removed
//! ("Das könnte Sie auch interessieren", "Mehr Themen:"), or a short link
//! back to a listing in the same place; teaser cards (a kicker, a linked
//! headline, a line of teaser text) that follow a widget's title; affiliate
//! disclosures; date stamps further down than the head; and a picture's
//! caption set beside it in the same block rather than in `figcaption`.
//!
//! Each rule reads the shape and text of the chosen subtree, never a site's
//! class names, and only marks nodes to skip; it must not choose the
//! article nor render text.

use std::sync::LazyLock;

use regex::Regex;

use super::dom::{Dom, Kind, Role};
use super::furniture::is_widget_title;
use super::hints;
use super::stats::PageStats;

/// Longest text (visible characters) a pointer line may have.
const MAX_POINTER_CHARS: u32 = 200;
/// Longest label ("Le puede interesar:") a pointer line may open with.
const MAX_LABEL_CHARS: usize = 40;
/// Most words such a label has.
const MAX_LABEL_WORDS: usize = 5;
/// The share of the text after the label that must be link text.
const POINTER_LINK_SHARE: f64 = 0.8;
/// Fewest words the link of a pointer line has: a story's title, not a
/// product's or a shop's name ("Kreole: Stella Hoops").
const MIN_POINTER_TITLE_WORDS: usize = 5;
/// Longest text a teaser card may have: more is a section of its own.
const MAX_CARD_CHARS: u32 = 600;

/// Longest text (visible characters) an affiliate disclosure may have;
/// longer is prose about such links.
pub(crate) const MAX_DISCLOSURE_CHARS: u32 = 400;

/// Whether a short text discloses that the page's links earn it money
/// ("Für Links auf dieser Seite erhält … eine Provision", "We may receive
/// compensation if you visit partners we recommend", "Anzeige, enthält
/// Affiliate Links"): a notice the page prints on every story, not the
/// story.
pub(crate) fn is_disclosure(text: &str) -> bool {
    static DISCLOSURE: LazyLock<Regex> = LazyLock::new(|| {
        // ASCII word boundaries: Unicode ones keep the regex crate from
        // its fast automaton on non-ASCII text, and this runs on every
        // short block.
        Regex::new(
            r"(?ix)
            affiliate[\s-]*(?:links?|partner|programm|provision|commission)|
            partnerlinks?(?-u:\b)|werbelinks?(?-u:\b)|provisions-?links?|
            (?-u:\b)(?:eine|kleine|ggf\.?)\s+(?:kleine\s+)?provision(?-u:\b)|
            (?:may|might)\s+(?:receive|earn)\s+(?:a\s+)?(?:compensation|commission)|
            advertiser\s+disclosure|
            liens?\s+affili[ée]s?|enlaces?\s+de\s+afiliad|linki\s+afiliacyjn",
        )
        .expect("the disclosure pattern is fixed and valid")
    });
    DISCLOSURE.is_match(text)
}

/// Longest text (visible characters) a date stamp inside the body may have.
pub(crate) const MAX_STAMP_CHARS: u32 = 60;
/// Fewest digits a date stamp holds.
const MIN_STAMP_DIGITS: usize = 4;

/// Whether a short block of the body is a date stamp ("Aktualisiert:
/// 11.04.2020, 10:27", "Publiziert: 03.04.2020"): mostly a date, once its
/// first word is set aside, so that a sentence opening with "Published"
/// or "By" is not one. Head datelines are trimmed by `detect`; these sit
/// further down, and pages re-stamp them freely.
pub(crate) fn is_stamp_line(text: &str) -> bool {
    // A date has four digits at least ("3.4.20"); counting them first
    // spares most short blocks the dateline patterns.
    if text.bytes().filter(u8::is_ascii_digit).count() < MIN_STAMP_DIGITS {
        return false;
    }
    let text = text.trim();
    let rest = text
        .split_once(char::is_whitespace)
        .map_or("", |(_, rest)| rest);
    hints::is_dateline(text) && (rest.trim().is_empty() || hints::is_dateline(rest))
}

/// Longest text (visible characters) a caption set beside its picture may
/// have.
pub(crate) const MAX_CAPTION_CHARS: u32 = 250;

/// Whether the block at `index` is a picture with its caption set in the
/// same block, outside `figcaption` ("<p><img><br><em>Abbildung 4: …</em></p>",
/// "<div><img><span>Foto: …</span></div>"): the picture comes first, and
/// all the text is short and set in inline elements after it, none of it
/// the block's own running text.
pub(crate) fn is_image_caption(dom: &Dom<'_>, page: &PageStats, index: usize) -> bool {
    let s = &page.stats[index];
    if s.images == 0 || s.chars == 0 || s.chars > MAX_CAPTION_CHARS {
        return false;
    }
    if !matches!(dom.role(index), Some(Role::Para | Role::Container)) {
        return false;
    }
    let end = dom.nodes[index].end as usize;
    let mut seen_image = false;
    for i in index + 1..end {
        match dom.nodes[i].kind {
            Kind::Element { tag: "img", .. } => seen_image = true,
            Kind::Element { role, .. } if role.is_block() => return false,
            // Text before the picture, or straight in the block, is
            // running text with a picture in it.
            Kind::Text(_, counts)
                if counts.chars > 0 && (!seen_image || dom.nodes[i].parent as usize == index) =>
            {
                return false;
            }
            _ => {}
        }
    }
    seen_image
}

/// Whether the block at `index` is a pointer line: a short label ending
/// with a colon, then a link to another page and next to nothing else.
pub(crate) fn is_pointer(dom: &Dom<'_>, page: &PageStats, index: usize) -> bool {
    if !matches!(dom.role(index), Some(Role::Para | Role::Quote)) {
        return false;
    }
    let s = &page.stats[index];
    if s.chars == 0 || s.chars > MAX_POINTER_CHARS || s.link_chars == 0 {
        return false;
    }
    let mut label = String::new();
    let mut labelled = false;
    let (mut rest, mut rest_links, mut title_words) = (0usize, 0usize, 0usize);
    for i in index + 1..dom.nodes[index].end as usize {
        let Kind::Text(text, counts) = dom.nodes[i].kind else {
            continue;
        };
        let in_link = page.context[i].in_link;
        if labelled {
            rest += counts.chars as usize;
            if in_link {
                rest_links += counts.chars as usize;
                title_words += text.split_whitespace().count();
            }
            continue;
        }
        // The label is plain text before any link.
        if in_link {
            return false;
        }
        match text.split_once(':') {
            Some((head, tail)) => {
                label.push_str(head);
                labelled = true;
                rest += tail.chars().filter(|c| !c.is_whitespace()).count();
            }
            None => label.push_str(text),
        }
        if label.chars().count() > MAX_LABEL_CHARS {
            return false;
        }
    }
    labelled
        && !label.trim().is_empty()
        && label.split_whitespace().count() <= MAX_LABEL_WORDS
        && title_words >= MIN_POINTER_TITLE_WORDS
        && rest_links as f64 >= rest as f64 * POINTER_LINK_SHARE
}

/// Marks the last blocks of the body at `root` while they are titles with
/// nothing under them, a widget's title ("More from the newsroom", "Mehr
/// Themen:") whose list clean-up removed or the page left outside the
/// article, or a short link set on a line of its own ("zurück zur
/// Listenansicht"), the way back to a listing.
pub(crate) fn mark_trailing_titles(
    dom: &Dom<'_>,
    page: &PageStats,
    root: usize,
    skip: &mut [bool],
) {
    // A title and its lead-in at most ("Mehr Themen:" under a rule).
    for _ in 0..2 {
        let Some(last) = last_text(dom, root, skip) else {
            return;
        };
        if let Some(link) = trailing_link(dom, page, last) {
            let block = outermost_block(dom, page, root, last);
            let whole = block != root && page.stats[block].chars == page.stats[link].chars;
            skip[if whole { block } else { link }] = true;
            continue;
        }
        let block = outermost_block(dom, page, root, last);
        if block == root {
            return;
        }
        let text = text_of(dom, block);
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let text = text.as_str();
        if !is_widget_title(text) {
            return;
        }
        skip[block] = true;
    }
}

/// Longest text (visible characters) a link on a line of its own at the
/// end of the body may have to be read as navigation.
const MAX_LINK_LINE_CHARS: u32 = 60;

/// The link holding the text node `text` when it is short and the whole
/// of its block's own text (a line of its own, not a link in a sentence).
fn trailing_link(dom: &Dom<'_>, page: &PageStats, text: usize) -> Option<usize> {
    let mut link = None;
    let mut at = dom.nodes[text].parent as usize;
    while at != 0 && dom.role(at) == Some(Role::Inline) {
        if dom.nodes[at].link {
            link = Some(at);
        }
        at = dom.nodes[at].parent as usize;
    }
    let link = link?;
    let chars = page.stats[link].chars;
    (chars <= MAX_LINK_LINE_CHARS && page.stats[at].direct_chars == chars).then_some(link)
}

/// The last text node with visible characters in the subtree at `root`,
/// skipped parts left out.
fn last_text(dom: &Dom<'_>, root: usize, skip: &[bool]) -> Option<usize> {
    let end = dom.nodes[root].end as usize;
    let mut found = None;
    let mut i = root;
    while i < end {
        if skip[i] {
            i = dom.nodes[i].end as usize;
            continue;
        }
        if matches!(dom.nodes[i].kind, Kind::Text(_, c) if c.chars > 0) {
            found = Some(i);
        }
        i += 1;
    }
    found
}

/// The outermost element below `root` whose visible text is exactly that
/// of the block holding the text node `text`.
fn outermost_block(dom: &Dom<'_>, page: &PageStats, root: usize, text: usize) -> usize {
    let mut block = page.context[text].owner as usize;
    let chars = page.stats[block].chars;
    while block != root {
        let parent = dom.nodes[block].parent as usize;
        if parent == root || page.stats[parent].chars != chars {
            break;
        }
        block = parent;
    }
    block
}

/// Whether the subtree at `index` is a row of teaser cards: once single
/// wrappers are passed, at least two items, two thirds of them short and
/// holding a linked headline.
pub(crate) fn is_cards(dom: &Dom<'_>, page: &PageStats, index: usize) -> bool {
    let mut at = index;
    while page.stats[at].text_children == 1 && page.stats[at].direct_chars == 0 {
        let Some(only) = dom
            .children(at)
            .find(|&c| dom.role(c).is_some() && page.stats[c].chars > 0)
        else {
            return false;
        };
        at = only;
    }
    let items: Vec<usize> = dom
        .children(at)
        .filter(|&c| dom.role(c).is_some() && page.stats[c].chars > 0)
        .collect();
    let cards = items
        .iter()
        .filter(|&&c| page.stats[c].chars <= MAX_CARD_CHARS && has_linked_heading(dom, page, c))
        .count();
    items.len() >= 2 && cards * 3 >= items.len() * 2
}

/// Whether the subtree at `index` holds a heading whose text is mostly a
/// link: a teaser's headline, pointing to its story.
fn has_linked_heading(dom: &Dom<'_>, page: &PageStats, index: usize) -> bool {
    (index..dom.nodes[index].end as usize).any(|i| {
        let s = &page.stats[i];
        matches!(dom.role(i), Some(Role::Heading(_))) && s.chars > 0 && s.link_chars * 2 > s.chars
    })
}

/// Whether the children of `container` other than the one holding the
/// widget title at `title` are all rows of teaser cards (and there is at
/// least one).
pub(crate) fn rest_is_cards(
    dom: &Dom<'_>,
    page: &PageStats,
    container: usize,
    title: usize,
) -> bool {
    let mut rest = dom
        .children(container)
        .filter(|&c| !(c <= title && title < dom.nodes[c].end as usize))
        .filter(|&c| dom.role(c).is_some() && page.stats[c].chars > 0)
        .peekable();
    rest.peek().is_some() && rest.all(|c| is_cards(dom, page, c))
}

/// The text of a subtree, its runs joined by spaces.
fn text_of(dom: &Dom<'_>, index: usize) -> String {
    let mut text = String::new();
    for node in &dom.nodes[index..dom.nodes[index].end as usize] {
        if let Kind::Text(t, _) = node.kind {
            text.push_str(t);
            text.push(' ');
        }
    }
    text
}

#[cfg(test)]
pub(super) mod tests {
    use crate::extract::{ExtractOptions, extract};

    /// A story of four paragraphs with `inside` after its second paragraph
    /// and `after` after its last, all in one column.
    pub(in crate::extract) fn page(inside: &str, after: &str) -> String {
        let para = |n: u32| {
            format!(
                "<p>Paragraph {n} of the story: the council met on Tuesday, \
                 argued for hours about the harbour bridge, its cost, its \
                 closure and the buses that replace it, and voted late.</p>"
            )
        };
        format!(
            "<html><body><nav><a href=/>Home</a> <a href=/news>News</a></nav>\
             <div class=column><h1>Bridge vote</h1>{}{}{inside}{}{}{after}</div>\
             <footer>Contact</footer></body></html>",
            para(1),
            para(2),
            para(3),
            para(4)
        )
    }

    pub(in crate::extract) fn body(html: &str) -> String {
        extract(html, &ExtractOptions::default())
            .expect("the fixture has an article")
            .body_text()
    }

    #[test]
    fn a_pointer_line_to_another_story_is_dropped() {
        let text = body(&page(
            "<p>Lesen Sie auch: <a href=/other>Warum die Brücke so teuer wurde</a></p>\
             <blockquote><b>PUEDES VER: </b><a href=/b>¿Qué pasó con el puente?</a></blockquote>",
            "",
        ));
        assert!(!text.contains("Lesen Sie auch"), "{text}");
        assert!(!text.contains("PUEDES VER"), "{text}");
        assert!(text.contains("Paragraph 3"), "{text}");
    }

    #[test]
    fn a_shopping_line_naming_a_product_stays() {
        let text = body(&page("<p>Kreole: <a href=/shop>Stella Hoops</a></p>", ""));
        assert!(text.contains("Kreole: Stella Hoops"), "{text}");
    }

    #[test]
    fn a_sentence_with_a_link_after_a_colon_stays() {
        let line = "<p>The mayor said on the radio this morning, after the vote: \
                    <a href=/i>the bridge will reopen in May</a>.</p>";
        let text = body(&page(line, ""));
        assert!(text.contains("The mayor said"), "{text}");
    }

    #[test]
    fn an_affiliate_disclosure_is_dropped() {
        let text = body(&page(
            "<p>Für Links auf dieser Seite erhält die Redaktion ggf. eine Provision vom Händler.</p>\
             <p>With a network of staff, board and affiliates around the world.</p>",
            "<p>We recommend the best products through an independent review process. \
             We may receive compensation if you visit partners we recommend.</p>",
        ));
        assert!(!text.contains("Provision"), "{text}");
        assert!(!text.contains("compensation"), "{text}");
        assert!(text.contains("affiliates around the world"), "{text}");
        assert!(text.contains("Paragraph 3"), "{text}");
    }

    #[test]
    fn date_stamps_inside_the_body_are_dropped() {
        let text = body(&page(
            "<div>Aktualisiert: 11.04.2020, 10:27</div>",
            "<p>Publiziert: 03.04.2020, 12:35</p>",
        ));
        assert!(!text.contains("2020"), "{text}");
        assert!(super::is_stamp_line("03.04.2020"));
        assert!(!super::is_stamp_line(
            "Published in 2019, the book sold well."
        ));
        assert!(!super::is_stamp_line(
            "Von 2010 bis 2015 war er Bürgermeister."
        ));
    }

    #[test]
    fn a_caption_set_beside_its_picture_is_dropped() {
        let text = body(&page(
            "<p><img src=a.jpg><br><em><sub>Abbildung 4: klassische Schwachschicht.</sub></em></p>\
             <div class=imginline><img src=b.png><span>Abbildung: Vergleich der Schneehöhen</span></div>",
            "<p><img src=flag.png> The mayor closed the meeting at ten.</p>",
        ));
        assert!(!text.contains("Abbildung"), "{text}");
        assert!(text.contains("The mayor closed the meeting"), "{text}");
    }

    #[test]
    fn a_widget_title_left_at_the_end_is_dropped() {
        let text = body(&page(
            "",
            "<p><strong>Mehr Themen:</strong></p>\
             <ul><li><div><span>Das könnte Sie auch interessieren</span></div></li></ul>",
        ));
        assert!(text.ends_with("voted late."), "{text}");
    }

    #[test]
    fn a_link_back_to_the_listing_at_the_end_is_dropped() {
        let text = body(&page("", "<a href=/presse>zurück zur Listenansicht</a>"));
        assert!(text.ends_with("voted late."), "{text}");
    }

    #[test]
    fn a_lead_in_followed_by_its_content_stays() {
        let text = body(&page(
            "",
            "<p>Infos:</p><p>The bridge opens at six every morning.</p>",
        ));
        assert!(text.contains("Infos:"), "{text}");
    }

    #[test]
    fn a_body_list_with_links_under_a_recommendations_heading_stays() {
        let list = "<h4>Empfehlungen</h4><ul>\
             <li>Beachten Sie die ausführlichen Informationen zur Gesundheitslage, \
             bestehende Beschränkungen und die <a href=/a>Hinweise</a> vor der Reise.</li>\
             <li>Folgen Sie den Anweisungen der örtlichen Behörden, auch wenn sie \
             sich kurzfristig ändern, und lesen Sie die <a href=/b>Regeln</a>.</li></ul>";
        let text = body(&page("", list));
        assert!(text.contains("Beachten Sie die ausführlichen"), "{text}");
        assert!(text.contains("Folgen Sie den Anweisungen"), "{text}");
    }

    #[test]
    fn teaser_cards_under_a_widget_title_are_dropped() {
        let card = |n: u32| {
            format!(
                "<div class=slide><div>News</div><h3><a href=/s{n}>Story number {n}</a></h3>\
                 <p>A teaser for story {n}, which is about something else entirely.</p></div>"
            )
        };
        let widget = format!(
            "<div class=panel><h2>Mehr zum Thema</h2><div class=slider>{}{}{}</div></div>",
            card(1),
            card(2),
            card(3)
        );
        let text = body(&page("", &widget));
        assert!(!text.contains("Mehr zum Thema"), "{text}");
        assert!(!text.contains("teaser for story"), "{text}");
        assert!(text.ends_with("voted late."), "{text}");
    }
}
