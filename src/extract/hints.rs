//! What an element's class, id, role and inline style say about it: chrome
//! (navigation, share bars, comments…), likely article text, hidden, bold or
//! italic.
//!
//! These are word lists, kept in one place so that the detector's vocabulary
//! can be read and tuned as a whole. This module must not look at the page's
//! structure or text: it judges one attribute value at a time.

use std::sync::LazyLock;

use regex::{Regex, RegexSet};

use super::dom::Chrome;

/// Compiles one of this module's fixed patterns, matching regardless of
/// ASCII case (class names come as authors wrote them).
fn pattern(source: &str) -> Regex {
    Regex::new(&format!("(?i){source}")).expect("the hint patterns are fixed and valid")
}

/// Class and id words that mark page chrome whatever else the element says:
/// no article body is called "share-bar" or "cookie-consent".
static CHROME_STRONG: LazyLock<Regex> = LazyLock::new(|| {
    pattern(
        r"(?x)
        share|sharing|social|related|recommend|newsletter|subscri|signup|sign-up|
        comments?(?:$|[\s_-]|list|area|form|section|thread)|disqus|cookie|consent|gdpr|
        breadcrumb|popup|promo|sponsor|
        advert|outbrain|taboola|cta-|-cta|more-stories|trending|
        sr-only|screen-reader|visually-hidden|visuallyhidden|most-popular|mostpopular|most-read|skip-link|
        (?:^|[\s_-])(?:ad|ads|adv|nav|navbar|menu|tags|tag-list|toolbar)(?:$|[\s_-])",
    )
});

/// Class and id words that usually mark chrome, unless the same element also
/// says it holds the article ("article-footer" is chrome, "main-content" is
/// not).
static CHROME_WEAK: LazyLock<Regex> = LazyLock::new(|| {
    pattern(
        r"(?x)
        footer|header|sidebar|side-bar|widget|banner|masthead|pagination|pager|
        navigation|menu|byline|author|combx|community|remark|replies|rss|
        shoutbox|skyscraper|supplemental|agegate|legends|dateline|
        (?:^|[\s_-])(?:toc|print)(?:$|[\s_-])",
    )
});

/// Class and id words that speak for the element holding the article.
static CONTENT: LazyLock<Regex> = LazyLock::new(|| {
    pattern(r"article|body|content|entry|hentry|h-entry|main|post|story|text|blog|column|prose")
});

/// Class and id words that speak against the element holding the article,
/// used as a weight rather than a verdict.
static NEGATIVE: LazyLock<Regex> = LazyLock::new(|| {
    pattern(
        r"(?x)
        hidden|banner|combx|comment|com-|contact|footer|gdpr|masthead|media|meta|
        outbrain|promo|related|scroll|share|shoutbox|sidebar|skyscraper|sponsor|
        shopping|tags|widget|caption|credit|byline|author|date|subscribe|
        newsletter|(?:^|[\s_-])ad(?:$|[\s_-])",
    )
});

/// Class and id words that give an element a positive weight.
static POSITIVE: LazyLock<Regex> = LazyLock::new(|| {
    pattern(r"article|body|content|entry|hentry|h-entry|main|page|post|text|blog|story|prose")
});

/// What these class and id words say about an element being
/// chrome. Each class (or id) is read on its own: one that says content and
/// nothing else ("entry-content", "article") softens a chrome verdict
/// carried by another ("article url-breadcrumb" is a story with a state
/// class), but one that says both is chrome ("post-author",
/// "article-footer", "post-comments").
pub(crate) fn chrome(hints: &str) -> Chrome {
    // One scan per class for all three word lists.
    static ALL: LazyLock<RegexSet> = LazyLock::new(|| {
        RegexSet::new([
            CHROME_STRONG.as_str(),
            CHROME_WEAK.as_str(),
            CONTENT.as_str(),
        ])
        .expect("the hint patterns are fixed and valid")
    });
    let (mut strong, mut weak, mut content) = (false, false, false);
    for token in hints.split_ascii_whitespace() {
        let matched = ALL.matches(token);
        let token_strong = matched.matched(0);
        let token_weak = !token_strong && matched.matched(1);
        strong |= token_strong;
        weak |= token_weak;
        content |= !token_strong && !token_weak && matched.matched(2);
    }
    match (strong, weak, content) {
        (true, _, false) => Chrome::Strong,
        (true, _, true) | (false, true, false) => Chrome::Weak,
        _ => Chrome::No,
    }
}

/// Whether an id is a slug made from a section's title
/// ("sharing-with-a-single-developer"): it says what the section is about,
/// not what it is, so it is no hint.
pub(crate) fn is_slug(id: &str) -> bool {
    id.matches('-').count() >= 3
        && id
            .split('-')
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// Whether class and id words name an article's lead paragraph
/// ("article-lead", "intro", "abstract", "standfirst", "chapo", the German
/// newsroom's "teaser"). Related-story teasers are link lists, which the
/// caller rejects by their links.
pub(crate) fn is_lead(hints: &str) -> bool {
    static LEAD: LazyLock<Regex> = LazyLock::new(|| {
        pattern(
            r"lead|intro|abstract|summary|standfirst|chapo|teaser|subheadline|excerpt|deck(?:$|[\s_-])",
        )
    });
    LEAD.is_match(hints)
}

/// Whether class and id words name a comment thread.
pub(crate) fn is_comments(hints: &str) -> bool {
    static COMMENTS: LazyLock<Regex> = LazyLock::new(|| pattern(r"comment|disqus|replies|respond"));
    COMMENTS.is_match(hints)
}

/// Whether an ARIA role marks chrome.
pub(crate) fn is_chrome_role(role: &str) -> bool {
    let role = role.to_ascii_lowercase();
    matches!(
        role.as_str(),
        "navigation"
            | "menu"
            | "menubar"
            | "complementary"
            | "contentinfo"
            | "banner"
            | "dialog"
            | "alert"
            | "alertdialog"
            | "search"
            | "toolbar"
    )
}

/// The weight (−25, 0, +25 or 0 for both) class and id words give an
/// element as a container of the article.
pub(crate) fn class_weight(hints: &str) -> f64 {
    if hints.is_empty() {
        return 0.0;
    }
    let mut weight = 0.0;
    if NEGATIVE.is_match(hints) {
        weight -= 25.0;
    }
    if POSITIVE.is_match(hints) {
        weight += 25.0;
    }
    weight
}

/// Whether a block is a picture credit or a source line ("Foto: dpa",
/// "(Bild: Jane Doe)", "Quelle: Landesregierung", "Crédits photos :
/// Bestimage"): a label and a name, at most a dozen words.
pub(crate) fn is_credit_line(text: &str) -> bool {
    static CREDIT: LazyLock<Regex> = LazyLock::new(|| {
        pattern(
            r"^\(?\s*(?:fotos?|photos?|bild|bilder|bildquelle|titelbild|beitragsbild|quelle|credits?|cr[ée]dits? photos?|cr[ée]dit photo|images?|picture|imagen|fuente|zdj[eę]cie|[źz]r[óo]d[łl]o)\s*:",
        )
    });
    // The label's colon is looked for first: this runs on every block of
    // the body, and most hold none.
    text.contains(':') && text.split_whitespace().nth(12).is_none() && CREDIT.is_match(text)
}

/// Whether a block is a picture's caption that ends with its credit ("Die
/// Ministerin in Berlin. Foto: Jane Doe", "Son tres los periodos. Foto:
/// Andina"): at most 40 words, the last of them a credit label and a name.
pub(crate) fn is_credited_caption(text: &str) -> bool {
    static CREDITED: LazyLock<Regex> = LazyLock::new(|| {
        pattern(
            r"(?:^|[\s(])(?:fotos?|photos?|bild|bilder|quelle|credits?|imagen|images?|zdj[eę]cie)\s*:\s*[^.!?]{1,60}\)?\s*$",
        )
    });
    // As for credit lines, the colon the pattern needs is looked for first.
    text.contains(':')
        && text.split_whitespace().nth(40).is_none()
        && CREDITED.is_match(text.trim())
}

/// Whether a short text is a byline or a dateline: it opens with "By",
/// "Posted", "Published" or "Updated", or it is mostly a date.
pub(crate) fn is_dateline(text: &str) -> bool {
    static OPENING: LazyLock<Regex> = LazyLock::new(|| {
        pattern(
            r"^(?:by|posted|published|updated|last updated|written by|von|por|par|mis à jour|publié|publicado|atualizado|actualizado|aktualisiert|veröffentlicht|pubblicato|aggiornato)\b",
        )
    });
    // Month names in English, French, German, Spanish, Portuguese and
    // Italian, by their first letters; "22 de janeiro de 2018" included.
    static DATE: LazyLock<Regex> = LazyLock::new(|| {
        let month = r"(?:jan|feb|f[eé]v|mar|m[aä]r|apr|avr|abr|may|mai|mag|jun|jui|giu|jul|lug|aug|ao[uû]|ago|sep|set|oct|okt|out|ott|nov|dec|d[eé]c|dez|dic|ene|gen|fev|enero|janeiro)\w*\.?";
        pattern(&format!(
            r"(?x)
            \b\d{{4}}-\d{{2}}-\d{{2}}\b | \b\d{{1,2}}[/.]\d{{1,2}}[/.]\d{{2,4}}\b |
            \b{month}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}\b |
            \b\d{{1,2}}\.?\s+(?:de\s+)?{month}\s+(?:de\s+)?\d{{4}}\b"
        ))
    });
    if text.chars().count() > 120 {
        return false;
    }
    if OPENING.is_match(text) && text.split_whitespace().count() <= 16 {
        return true;
    }
    // Mostly a date: once dates, times and their small words are taken
    // out, a few words at most are left.
    if !DATE.is_match(text) {
        return false;
    }
    static TIME: LazyLock<Regex> =
        LazyLock::new(|| pattern(r"\b\d{1,2}[:h]\d{2}(?:\s*[ap]\.?m\.?)?"));
    let rest = DATE.replace_all(text, " ");
    let rest = TIME.replace_all(&rest, " ");
    let left = rest
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .filter(|w| {
            !matches!(
                w.to_lowercase().as_str(),
                "at" | "on" | "updated" | "published" | "posted" | "gmt" | "utc" | "am" | "pm"
            )
        })
        .count();
    left <= 4
}

/// Whether an inline `style` hides the element.
pub(crate) fn is_hidden_style(style: &str) -> bool {
    let compact = compact(style);
    compact.contains("display:none") || compact.contains("visibility:hidden")
}

/// Whether an inline `style` sets a bold weight.
pub(crate) fn is_bold_style(style: &str) -> bool {
    if style.is_empty() {
        return false;
    }
    let compact = compact(style);
    [
        "font-weight:bold",
        "font-weight:700",
        "font-weight:800",
        "font-weight:900",
    ]
    .iter()
    .any(|s| compact.contains(s))
}

/// Whether an inline `style` sets an italic font style.
pub(crate) fn is_italic_style(style: &str) -> bool {
    !style.is_empty() && compact(style).contains("font-style:italic")
}

/// The style declaration lowercased with its white space removed.
fn compact(style: &str) -> String {
    style
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chrome_words_are_told_from_content_words() {
        let cases = [
            ("share-bar", Chrome::Strong),
            ("cookie-banner", Chrome::Strong),
            ("newsletter-box", Chrome::Strong),
            ("learn-more", Chrome::No),
            ("site-footer", Chrome::Weak),
            ("entry-content", Chrome::No),
            ("main-content", Chrome::No),
            ("article-footer", Chrome::Weak),
            ("post-author", Chrome::Weak),
            ("article url-breadcrumb", Chrome::Weak),
            ("post-comments", Chrome::Strong),
            ("comment-list", Chrome::Strong),
            ("commentlist", Chrome::Strong),
            ("commentary-body", Chrome::No),
            ("blueprint", Chrome::No),
            ("toc", Chrome::Weak),
            ("ad-slot ad-leaderboard", Chrome::Strong),
            ("header", Chrome::Weak),
            ("shadow", Chrome::No),
            ("", Chrome::No),
        ];
        for (hints, want) in cases {
            assert_eq!(chrome(hints), want, "{hints}");
        }
    }

    #[test]
    fn slugs_are_told_from_hints() {
        assert!(is_slug("sharing-with-a-single-developer"));
        assert!(!is_slug("share-bar"));
        assert!(!is_slug("post-body post-content"));
    }

    #[test]
    fn datelines_are_recognised() {
        let cases = [
            ("By Jane Doe", true),
            ("Published November 20th, 2019 - 07:29 GMT", true),
            ("December 18, 2020", true),
            (
                "April 28, 2019 at 6:01 am Updated April 29, 2019 at 3:33 pm",
                true,
            ),
            ("2019-04-10", true),
            ("segunda-feira, 22 de janeiro de 2018 às 0:13", true),
            ("Mis à jour le 5 mai 2015 à 20h13", true),
            ("14. März 2024, 10:30 Uhr", true),
            ("Bypass surgery is on the rise, doctors say.", false),
            (
                "The council met on December 18, 2020 to discuss the budget and the new library plans.",
                false,
            ),
            ("Highlights", false),
        ];
        for (text, want) in cases {
            assert_eq!(is_dateline(text), want, "{text}");
        }
    }

    #[test]
    fn credit_lines_and_leads_are_recognised() {
        assert!(is_credit_line("Foto: Sean Gallup/Getty Images"));
        assert!(is_credit_line("(Bild: Dieter Stork)"));
        assert!(is_credit_line("Crédits photos : Bestimage"));
        assert!(!is_credit_line(
            "Photo shoots take time: we spent a week there."
        ));
        assert!(!is_credit_line(
            "Quelle: the report says that the ministry knew of the risks for years before anyone acted"
        ));
        assert!(is_credited_caption(
            "Son tres los periodos de vacaciones. Foto: Andina"
        ));
        assert!(!is_credited_caption(
            "The photo: a bridge at dawn. It was taken in 1950."
        ));
        assert!(is_lead("article__abstract"));
        assert!(is_lead("ts-intro"));
        assert!(is_lead("teaser-text"));
        assert!(!is_lead("article-body"));
    }

    #[test]
    fn inline_styles_are_read() {
        assert!(is_hidden_style("DISPLAY: none"));
        assert!(!is_hidden_style("display:block"));
        assert!(is_bold_style("font-weight: bold; color: red"));
        assert!(is_italic_style("font-style:italic"));
    }
}
