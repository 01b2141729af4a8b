//! Page furniture inside the article column: the small things that sit
//! between or after the article's paragraphs without being article text —
//! view and share counters, "today is …" date lines, newsletter prompts,
//! "related" or "featured" teaser lists under their own heading, and
//! section headings left with nothing under them once clean-up removed
//! their content. Their text rotates from one fetch to the next, so
//! keeping them would report page decoration as an edit.
//!
//! Each rule reads the text and structure of the chosen subtree, never a
//! site's class names. It marks nodes to skip inside a selection that
//! `score` made; it must not choose the article nor render text. A list
//! that is part of the body (items that are not link-led teasers) is never
//! touched, so removing one of its items stays a change.

use std::sync::LazyLock;

use regex::Regex;

use super::dom::{Dom, Kind, Role};
use super::leftovers;
use super::stats::PageStats;
use super::widgets;

/// Longest text (visible characters) a counter or date line may have.
const MAX_COUNTER_CHARS: u32 = 80;
/// Longest text a newsletter prompt may have; longer is prose about one.
const MAX_PROMPT_CHARS: u32 = 220;
/// Longest text a heading may have to be read as a widget's title.
const MAX_WIDGET_TITLE_CHARS: usize = 60;
/// Most words a widget's title has: more make a sentence.
const MAX_WIDGET_TITLE_WORDS: usize = 6;
/// The share of link text from which a labelled row is a row of links.
const LABELLED_LINKS_SHARE: f64 = 0.5;
/// Longest text a labelled row of topic links may have.
const MAX_LINK_ROW_CHARS: u32 = 1000;
/// Longest text a heading may have to be a title rather than prose.
const MAX_TITLE_CHARS: usize = 100;
/// The share of link text from which a block under a widget title is one
/// of its teasers.
const TEASER_LINK_SHARE: f64 = 0.3;

/// Marks the furniture inside the subtree at `root` in `skip`.
pub(crate) fn mark(dom: &Dom<'_>, page: &PageStats, root: usize, skip: &mut [bool]) {
    mark_short_blocks(dom, page, root, skip);
    mark_widgets(dom, page, root, skip);
    mark_empty_headings(dom, root, skip);
    leftovers::mark_trailing_titles(dom, page, root, skip);
}

/// Marks counters, date lines and newsletter prompts: the outermost short
/// block whose whole text is one of them.
fn mark_short_blocks(dom: &Dom<'_>, page: &PageStats, root: usize, skip: &mut [bool]) {
    let end = dom.nodes[root].end as usize;
    let mut i = root + 1;
    while i < end {
        if skip[i] {
            i = dom.nodes[i].end as usize;
            continue;
        }
        let chars = page.stats[i].chars;
        let block = dom.role(i).is_some_and(|r| r.is_block());
        // A labelled row of topic links may be long: its links say what
        // it is.
        if block
            && chars > 0
            && chars <= MAX_LINK_ROW_CHARS
            && page.stats[i].link_density() >= LABELLED_LINKS_SHARE
            && (is_link_label(&text_of(dom, i)) || widgets::is_titled_link_row(dom, page, i))
        {
            skip[i] = true;
            i = dom.nodes[i].end as usize;
            continue;
        }
        if block && chars > 0 && chars <= leftovers::MAX_DISCLOSURE_CHARS {
            let text = text_of(dom, i);
            let short = chars <= MAX_PROMPT_CHARS;
            // Disclosures run longer than the other notices.
            let furniture = leftovers::is_disclosure(&text)
                || leftovers::is_image_caption(dom, page, i)
                || (short
                    && (is_prompt(&text)
                        || is_post_meta(&text)
                        || leftovers::is_pointer(dom, page, i)))
                || (chars <= MAX_COUNTER_CHARS && is_stamp(&text))
                || (chars <= leftovers::MAX_STAMP_CHARS
                    && !matches!(dom.role(i), Some(Role::ListItem))
                    && !matches!(dom.tag(i), "td" | "th")
                    && leftovers::is_stamp_line(&text))
                || (chars <= 2 * MAX_COUNTER_CHARS && parts_are_stamps(dom, i));
            if furniture {
                skip[i] = true;
                i = dom.nodes[i].end as usize;
                continue;
            }
        }
        i += 1;
    }
}

/// Whether a text is a counter or a today line.
fn is_stamp(text: &str) -> bool {
    is_counter(text) || is_today_line(text)
}

/// Whether a block is a row of counters and today lines ("1,234 views ·
/// Today is Monday…"): each of its parts, text or element, is one.
fn parts_are_stamps(dom: &Dom<'_>, index: usize) -> bool {
    let mut parts = 0;
    for child in dom.children(index) {
        let text = text_of(dom, child);
        let text = text.trim().trim_matches(|c: char| !c.is_alphanumeric());
        if text.is_empty() {
            continue;
        }
        if !is_stamp(text) {
            return false;
        }
        parts += 1;
    }
    parts > 1
}

/// Marks teaser widgets: a heading that names another list of stories
/// ("Related", "Featured stories", "Most read", "Mehr zum Thema"…), with
/// the link-led blocks that follow it up to the next heading; or a
/// container that opens with such a heading and is mostly links.
fn mark_widgets(dom: &Dom<'_>, page: &PageStats, root: usize, skip: &mut [bool]) {
    let end = dom.nodes[root].end as usize;
    let mut i = root + 1;
    while i < end {
        if skip[i] {
            i = dom.nodes[i].end as usize;
            continue;
        }
        let is_title = matches!(dom.role(i), Some(Role::Heading(_)))
            || (dom.role(i) == Some(Role::Para) && page.stats[i].chars <= 40);
        if is_title && is_widget_title(&text_of(dom, i)) {
            let container = widget_container(dom, page, root, i);
            match container {
                Some(c) => {
                    skip[c] = true;
                    i = dom.nodes[c].end as usize;
                }
                None => i = mark_teasers_after(dom, page, i, skip),
            }
            continue;
        }
        i += 1;
    }
}

/// The container that a widget title opens, when the title is its first
/// text and the container is mostly links.
fn widget_container(dom: &Dom<'_>, page: &PageStats, root: usize, title: usize) -> Option<usize> {
    let mut at = dom.nodes[title].parent as usize;
    let mut found = None;
    while at != root && at != 0 && first_text(dom, at) == first_text(dom, title) {
        // Never most of the article: a widget is a small part of it.
        if page.stats[at].chars * 2 > page.stats[root].chars {
            break;
        }
        let s = &page.stats[at];
        let rest = s.chars - page.stats[title].chars;
        let rest_links = s.link_chars - page.stats[title].link_chars;
        if rest > 0
            && (f64::from(rest_links) >= f64::from(rest) * TEASER_LINK_SHARE
                || link_led(dom, page, at)
                || leftovers::rest_is_cards(dom, page, at, title))
        {
            found = Some(at);
        }
        at = dom.nodes[at].parent as usize;
    }
    found
}

/// Marks the title at `title` and the siblings after it that are teasers
/// (link-led blocks), up to the next heading; returns where the walk goes
/// on.
fn mark_teasers_after(dom: &Dom<'_>, page: &PageStats, title: usize, skip: &mut [bool]) -> usize {
    let parent = dom.nodes[title].parent as usize;
    let mut teasers = Vec::new();
    for sibling in dom.children(parent).skip_while(|&c| c != title).skip(1) {
        let Some(role) = dom.role(sibling) else {
            continue;
        };
        let s = &page.stats[sibling];
        if matches!(role, Role::Heading(_)) || s.chars == 0 {
            if matches!(role, Role::Heading(_)) {
                break;
            }
            continue;
        }
        if s.link_density() < TEASER_LINK_SHARE
            && !link_led(dom, page, sibling)
            && !leftovers::is_cards(dom, page, sibling)
        {
            break;
        }
        teasers.push(sibling);
    }
    let next = dom.nodes[title].end as usize;
    if teasers.is_empty() {
        return next;
    }
    skip[title] = true;
    for &t in &teasers {
        skip[t] = true;
    }
    teasers.last().map_or(next, |&t| dom.nodes[t].end as usize)
}

/// Whether a subtree is a list of teasers: at least two items (list items,
/// else child elements with text), and at least two thirds of them open
/// with a link, the title of the story they point to.
fn link_led(dom: &Dom<'_>, page: &PageStats, index: usize) -> bool {
    let end = dom.nodes[index].end as usize;
    let mut items: Vec<usize> = (index + 1..end)
        .filter(|&i| dom.role(i) == Some(Role::ListItem) && page.stats[i].chars > 0)
        .collect();
    if items.is_empty() {
        items = dom
            .children(index)
            .filter(|&c| dom.role(c).is_some() && page.stats[c].chars > 0)
            .collect();
    }
    let led = items
        .iter()
        .filter(|&&item| first_text(dom, item).is_some_and(|t| page.context[t].in_link))
        .count();
    items.len() >= 2 && led * 3 >= items.len() * 2
}

/// Marks headings with nothing under them: the next text after the heading
/// (skipped parts left out) is another heading of the same or a higher
/// rank, or the end of the body. Such a heading titled something that
/// clean-up removed ("More on this topic" over a dropped link list).
fn mark_empty_headings(dom: &Dom<'_>, root: usize, skip: &mut [bool]) {
    // Headings and text in reading order: (heading level or 0 for text,
    // node).
    let mut units: Vec<(u8, usize)> = Vec::new();
    let end = dom.nodes[root].end as usize;
    let mut i = root;
    while i < end {
        if skip[i] {
            i = dom.nodes[i].end as usize;
            continue;
        }
        match dom.nodes[i].kind {
            Kind::Element {
                role: Role::Heading(level),
                ..
            } => {
                // Long "headings" are prose that a page set in heading
                // tags: text, not titles.
                let chars = text_of(dom, i)
                    .chars()
                    .filter(|c| !c.is_whitespace())
                    .count();
                if chars > MAX_TITLE_CHARS {
                    units.push((0, i));
                } else if chars > 0 {
                    units.push((level, i));
                }
                i = dom.nodes[i].end as usize;
                continue;
            }
            Kind::Text(_, counts) if counts.chars > 0 && units.last().is_none_or(|u| u.0 != 0) => {
                units.push((0, i));
            }
            _ => {}
        }
        i += 1;
    }
    for (k, &(level, node)) in units.iter().enumerate() {
        if level == 0 {
            continue;
        }
        let empty = match units.get(k + 1) {
            None => true,
            Some(&(next, _)) => next != 0 && next <= level,
        };
        if empty {
            skip[node] = true;
        }
    }
}

/// The first non-blank text node at or under `index`.
fn first_text(dom: &Dom<'_>, index: usize) -> Option<usize> {
    (index..dom.nodes[index].end as usize)
        .find(|&i| matches!(dom.nodes[i].kind, Kind::Text(_, c) if c.chars > 0))
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

/// Compiles one of this module's fixed patterns, ignoring case.
fn pattern(source: &str) -> Regex {
    Regex::new(&format!("(?i){source}")).expect("the furniture patterns are fixed and valid")
}

/// Whether a short text is a counter: a number with "views", "shares",
/// "comments"… (in the languages the benchmarks hold), either way round.
pub(crate) fn is_counter(text: &str) -> bool {
    static COUNTER: LazyLock<Regex> = LazyLock::new(|| {
        let word = r"(?:views?|reads?|shares?|comments?|likes?|visits?|hits|aufrufe|zugriffe|gelesen|kommentare|vues|lectures|partages|visitas|vistas|lecturas|visualizaciones|comentarios|visualizações|wyświetle\w*|odsłon\w*|komentarz\w*|visite|letture)";
        let number = r"[\d][\d.,\s ]*[km]?";
        pattern(&format!(
            r"^\W*(?:{number}\s*{word}|{word}\s*:?\s*{number})\W*$"
        ))
    });
    COUNTER.is_match(text.trim())
}

/// Whether a short text gives today's date ("Today is Monday, 1 December
/// 2026"): pages print it on every visit, so it changes every day.
pub(crate) fn is_today_line(text: &str) -> bool {
    static TODAY: LazyLock<Regex> = LazyLock::new(|| {
        pattern(
            r"^\W*(?:today\s+is|today:|heute\s+ist|heute:|aujourd'hui|nous\s+sommes\s+le|hoy\s+es|hoje\s+é|dzisiaj\s+jest|dziś\s+jest|oggi\s+è)\b",
        )
    });
    TODAY.is_match(text.trim())
}

/// Whether a short text asks the reader to subscribe to a newsletter.
pub(crate) fn is_prompt(text: &str) -> bool {
    static NEWSLETTER: LazyLock<Regex> = LazyLock::new(|| pattern(r"newsletter|nieuwsbrief"));
    static ASK: LazyLock<Regex> = LazyLock::new(|| {
        pattern(
            r"subscri|sign\s*up|signing\s+up|register|inbox|abonn|anmeld|bestell|registrier|inscri|suscr|zapisz|zamów|iscriv|never\s+miss|don't\s+miss|verpassen|gratis|free",
        )
    });
    NEWSLETTER.is_match(text) && ASK.is_match(text)
}

/// Whether a short text is a post's filing line or a prompt to share,
/// rate or comment ("This entry was posted in …", "Tags: …", "Share
/// this:", "No comments"), which blog themes print under every post.
pub(crate) fn is_post_meta(text: &str) -> bool {
    static META: LazyLock<Regex> = LazyLock::new(|| {
        pattern(
            r"(?x)^\W*(?:
            this\s+entry\s+was\s+posted|dieser\s+eintrag\s+wurde|posted\s+in\b|filed\s+under|
            tags?\s*:|schlagw[öo]rter\s*:|kategorien?\s*:|categories\s*:|étiquettes\s*:|etiquetas\s*:|
            share\s+this|teilen\s+sie\s+dies|teilen\s*:|partager\s*:|compartir\s*:|
            bewerten\s*:|rate\s+this|
            keine\s+kommentare|no\s+comments|leave\s+a\s+(?:comment|reply)|schreibe\s+einen\s+kommentar
            )",
        )
    });
    META.is_match(text.trim())
}

/// Whether a text opens with the label of a row of topic links ("Tags
/// bridges, council", "Themen: …"); read only where links fill the row.
fn is_link_label(text: &str) -> bool {
    static LABEL: LazyLock<Regex> = LazyLock::new(|| {
        pattern(r"^\W*(?:tags?|schlagw[öo]rter|themen|topics|mots-clés|etiquetas|tagi|temas)\b")
    });
    LABEL.is_match(text.trim())
}

/// Whether a short title names a list of other stories.
pub(crate) fn is_widget_title(text: &str) -> bool {
    static TITLE: LazyLock<Regex> = LazyLock::new(|| {
        pattern(
            r"(?x)^\W*(?:
            related|featured|siehe\s+auch|similar\s+(?:posts|articles|stories)|ähnliche\s+beiträge|weitere\s+beiträge|
            das\s+könnte\s+sie\s+auch|top\s+stories|more\s+stories|more\s+from|more\s+on|more\s+news|
            most\s+(?:read|popular|viewed|shared)|trending|recommended|
            up\s+next|next\s+videos?|watch\s+next|more\s+videos|
            (?:you|we\s+think\s+you)\s+(?:may|might)\s+(?:also\s+)?like|see\s+also|also\s+read|read\s+also|
            mehr\s+zum\s+thema|mehr\s+aus|mehr\s+themen|lesen\s+sie\s+auch|auch\s+interessant|
            das\s+könnte\s+sie|empfehlungen|meistgelesen|schon\s+gelesen|weitere\s+artikel|
            neueste\s+artikel|beiträge\s+zum\s+thema|
            lire\s+aussi|à\s+lire|voir\s+aussi|sur\s+le\s+même\s+sujet|
            le\s+puede\s+interesar|te\s+puede\s+interesar|lea\s+también|más\s+noticias|
            leia\s+também|veja\s+também|czytaj\s+(?:też|także|również)|zobacz\s+(?:też|także)|polecamy|
            leggi\s+anche|potrebbe\s+interessarti
            )",
        )
    });
    text.chars().count() <= MAX_WIDGET_TITLE_CHARS
        && text.split_whitespace().count() <= MAX_WIDGET_TITLE_WORDS
        && TITLE.is_match(text.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_are_told_from_prose() {
        for (text, want) in [
            ("1,234 views", true),
            ("Views: 5 678", true),
            ("12 comments", true),
            ("2.3k shares", true),
            ("Aufrufe: 312", true),
            ("The video had 1,234 views by noon.", false),
            ("Comments are closed for this story", false),
        ] {
            assert_eq!(is_counter(text), want, "{text}");
        }
    }

    #[test]
    fn today_lines_are_recognised() {
        assert!(is_today_line("Today is Monday, December 1, 2026"));
        assert!(is_today_line("Heute ist Dienstag, 1. Dezember 2026"));
        assert!(!is_today_line("Today, the council voted on the budget."));
    }

    #[test]
    fn newsletter_prompts_need_an_ask() {
        assert!(is_prompt("Sign up for our daily newsletter"));
        assert!(is_prompt("Suscríbete a nuestro newsletter"));
        assert!(!is_prompt("The newsletter was first printed in 1994."));
    }

    #[test]
    fn post_meta_lines_are_recognised() {
        assert!(is_post_meta(
            "This entry was posted in News. Bookmark the permalink."
        ));
        assert!(is_post_meta("Tags: bridges, city council"));
        assert!(is_post_meta("Share this:"));
        assert!(!is_post_meta("Posted guards stood at every gate."));
    }

    #[test]
    fn link_rows_are_known_by_their_label() {
        assert!(is_link_label("Tags bridges, city council, traffic"));
        assert!(is_link_label("Themen: Verkehr"));
        assert!(!is_link_label("Tagged suitcases piled up at the gate."));
    }

    #[test]
    fn widget_titles_are_short_and_named() {
        assert!(is_widget_title("Featured stories"));
        assert!(is_widget_title("Mehr zum Thema"));
        assert!(is_widget_title("You might also like:"));
        assert!(!is_widget_title(
            "Related research has shown for decades that sleep matters"
        ));
        assert!(!is_widget_title("The featured artist"));
    }
}
