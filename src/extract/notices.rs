//! Notices the page prints around every story, judged on the rendered
//! blocks of the body: affiliate disclosures, filing lines ("Dieser
//! Eintrag wurde veröffentlicht in …"), newsletter prompts, a shop's ask
//! to review its product, counters, date stamps after the story, and,
//! among the last blocks, a site's content licence or rights notice
//! ("Inhalte dieser Website stehen unter CC-BY", "Materiał chroniony
//! prawem autorskim"), opinion
//! disclaimers, "last modified" footers, calls to support, subscribe or
//! rate, and ways out of the story ("zurück zur Listenansicht"); and
//! anywhere, an advertisement's label and a picture's caption that ends
//! with a "©" credit. Copyright lines stay: wire copy carries its
//! agency's ("© 2019 Associated Press. All Rights Reserved."), and
//! benchmarks count that as part of the story.
//!
//! `furniture` finds most of these as elements inside the chosen subtree;
//! this pass catches the ones that element rules cannot see: a line set
//! straight into a container beside other text (a `<time>` after the last
//! paragraph, a filing line before an author box), and bodies taken by the
//! loosest pass, which runs no clean-up. It reads block text and kind
//! only, never a site's names, and must not choose the article.

use std::sync::LazyLock;

use regex::Regex;

use super::furniture::{is_counter, is_post_meta, is_prompt, is_today_line};
use super::leftovers::{MAX_DISCLOSURE_CHARS, MAX_STAMP_CHARS, is_disclosure, is_stamp_line};
use crate::article::{Block, BlockKind};

/// Longest block (visible characters) read as a prompt or filing line.
const MAX_PROMPT_CHARS: usize = 220;
/// Longest block read as a counter or a today line.
const MAX_COUNTER_CHARS: usize = 80;
/// Longest block read as a licence line, disclaimer or "last modified"
/// footer.
const MAX_TAIL_NOTICE_CHARS: usize = 250;
/// Longest block read as an advertisement's label and its pitch
/// ("ANZEIGE - Heute mal ausgehen? Wie wäre es mit:").
const MAX_AD_LABEL_CHARS: usize = 100;
/// Longest block read as a way out of the story ("zurück zur
/// Listenansicht", "… weiter zu »Die Wortwahl«").
const MAX_WAY_OUT_CHARS: usize = 60;
/// How many blocks at the end of the body are read for tail notices: they
/// close a page, and the same words inside a story are the story's.
const TAIL_BLOCKS: usize = 3;

/// Removes the notices from `blocks`. A body of one block is left as it
/// is: a page whose only text is a notice is better judged by `guard`.
pub(crate) fn drop_notices(blocks: &mut Vec<Block>) {
    if blocks.len() <= 1 {
        return;
    }
    let tail_from = blocks.len().saturating_sub(TAIL_BLOCKS);
    let mut index = 0;
    blocks.retain(|block| {
        let tail = index >= tail_from;
        index += 1;
        !is_notice(block, tail)
    });
}

/// Whether one block is a notice; `tail` when it is among the last
/// blocks of the body.
fn is_notice(block: &Block, tail: bool) -> bool {
    let text = block.text.as_str();
    let chars = text.chars().filter(|c| !c.is_whitespace()).count();
    if chars == 0 || chars > MAX_DISCLOSURE_CHARS as usize {
        return false;
    }
    // Only a plain paragraph after the story is read as a date stamp:
    // list items and flattened tables hold dates as content (a timeline,
    // a schedule), a quoted post closes with its author and date, and
    // stamps higher up are the head's dateline, trimmed by `detect`.
    let plain = block.kind == BlockKind::Paragraph;
    is_disclosure(text)
        || (chars <= MAX_PROMPT_CHARS
            && (is_prompt(text) || is_post_meta(text) || is_review_prompt(text)))
        || (chars <= MAX_COUNTER_CHARS && (is_counter(text) || is_today_line(text)))
        || (tail && plain && chars <= MAX_STAMP_CHARS as usize && is_stamp_line(text))
        || (tail && chars <= MAX_TAIL_NOTICE_CHARS && is_tail_notice(text))
        || (tail && chars <= MAX_WAY_OUT_CHARS && is_way_out(text))
        || (matches!(block.kind, BlockKind::Paragraph | BlockKind::Caption)
            && is_copyright_caption(text))
        || (chars <= MAX_AD_LABEL_CHARS && is_ad_label(text))
}

/// Whether a short text opens with an advertisement's label, set apart
/// from what follows by a dash, a colon or a bar, or alone ("ANZEIGE -
/// …", "Advertisement", "Publicidad:"): pages mark ads so by law or
/// custom, and the story never opens a line that way ("Werbung ist
/// teuer" has no mark after the word).
pub(crate) fn is_ad_label(text: &str) -> bool {
    static LABEL: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?i)^\W*(?:anzeige|werbung|advertisement|sponsored|gesponsert|publicidad|publicit[ée]|reklama|pubblicit[àa])\s*(?:$|[-–—:|])",
        )
        .expect("the ad label pattern is fixed and valid")
    });
    LABEL.is_match(text.trim())
}

/// Most words a caption ending with its picture's credit has.
const MAX_CAPTION_WORDS: usize = 40;
/// Fewest words before the credit: fewer make a copyright line, which
/// stays (see the module's header).
const MIN_CAPTION_WORDS: usize = 3;

/// Whether a block is a picture's caption that ends with a credit after
/// "©" ("Zielarten für die Kastanienselven. Foto © Jane Doe", "Stapel mit
/// Mauerziegeln. - © jdoe - stock.example.com"): the credit is short and
/// names no year, the caption before it a few words at least.
pub(crate) fn is_copyright_caption(text: &str) -> bool {
    static CREDIT: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)(?:^|\s)(?:-\s*)?(?:(?:fotos?|photos?|bild|bilder|foto\s*/\s*grafik)\s*:?\s*)?©\s*([\p{L}\p{N}][^©]{0,59})$")
            .expect("the credit pattern is fixed and valid")
    });
    static YEAR: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?:^|\D)(?:19|20)\d\d(?:\D|$)").expect("the year pattern is fixed and valid")
    });
    let text = text.trim();
    if !text.contains('©') || text.split_whitespace().nth(MAX_CAPTION_WORDS).is_some() {
        return false;
    }
    let Some(found) = CREDIT.captures(text) else {
        return false;
    };
    let (Some(whole), Some(credit)) = (found.get(0), found.get(1)) else {
        return false;
    };
    let before = text[..whole.start()].split_whitespace().count();
    before >= MIN_CAPTION_WORDS && !YEAR.is_match(credit.as_str())
}

/// Whether a short text asks the reader to review the product the page
/// sells ("Bitte teilen Sie uns Ihre Erfahrungen mit, wenn Sie … probiert
/// haben", "Be the first to review", "Write a review"): a shop's review
/// box, printed under every product. The ask names the reader's own
/// experience or a review; a story's "share your experience about the
/// town" names neither.
pub(crate) fn is_review_prompt(text: &str) -> bool {
    static REVIEW: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?ix)
            teilen\s+sie\s+uns\s+ihre\s+(?:erfahrungen?|meinung)\s+mit|
            (?:erste|eine)\s+bewertung\s+(?:schreiben|abgeben|verfassen)|
            (?:write|leave)\s+a\s+(?:product\s+)?review|be\s+the\s+first\s+to\s+review|
            share\s+your\s+experience\s+(?:with|of)\s+(?:this|our)\s+product|
            [ée]crire\s+un\s+avis|escribir\s+una\s+(?:opini[óo]n|rese[ñn]a)|napisz\s+opini[ęe]",
        )
        .expect("the review prompt pattern is fixed and valid")
    });
    REVIEW.is_match(text)
}

/// Whether a short text is a site's content licence, an opinion
/// disclaimer, a "last modified" footer or a call to support, subscribe
/// to or rate the publication ("would you consider supporting our work?",
/// "Einfach hier klicken und … registrieren!"): what a page closes every
/// story with.
pub(crate) fn is_tail_notice(text: &str) -> bool {
    static NOTICE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?ix)
            (?:inhalte|texte)\s+(?:dieser|der)\s+(?:website|seite)\s+(?:stehen\s+)?unter|
            (?:content|text)\s+(?:on|of)\s+this\s+(?:site|website|page)\s+is\s+(?:licensed|available)\s+under|
            gibt\s+(?:ausschlie(?:ß|ss)lich\s+)?die\s+meinung\s+de[sr]\s+autor|
            (?:views|opinions)\s+expressed\s+(?:here|in\s+this\s+\w+)?\s*(?:are|is)\s+(?:those|the\s+author)|
            last\s+(?:modified|updated|changed)\s*:|zuletzt\s+(?:ge[äa]ndert|aktualisiert)\s*:|
            letzte\s+[äa]nderung\s*:|derni[èe]re\s+modification\s*:|
            consider\s+supporting|support\s+our\s+(?:work|journalism)|
            unterst[üu]tzen\s+sie\s+(?:uns|unsere\s+arbeit)|hier\s+klicken\s+und|
            zapraszamy\s+(?:te[żz]\s+)?do\s+subskrypcji|
            materia[łl]\s+chroniony\s+prawem\s+autorskim|
            (?:den|diesen)\s+artikel\s+bewerten|rate\s+this\s+(?:article|post|story)",
        )
        .expect("the notice pattern is fixed and valid")
    });
    NOTICE.is_match(text)
}

/// Whether a short text is a way out of the story: back to a listing, on
/// to the next part, "read more". Read only among the last blocks, where
/// the page's navigation follows the story, and only when it is a label,
/// not a sentence.
pub(crate) fn is_way_out(text: &str) -> bool {
    static WAY_OUT: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?ix)^[\s.…\[(»«<-]*(?:
            zur[üu]ck\s+zu|weiter\s+zu|hier\s+geht(?:'s|’s|\s+es)\s+zu|weiterlesen|
            back\s+to|continue\s+to|read\s+more|
            retour\s+[àa]|lire\s+la\s+suite|volver\s+a|leer\s+m[áa]s|
            powr[óo]t\s+do|czytaj\s+(?:wi[ęe]cej|dalej)
            )",
        )
        .expect("the way-out pattern is fixed and valid")
    });
    // A sentence ("Back to the bridge: the council votes in May.") ends
    // with its stop; a link's label does not.
    let text = text.trim();
    !text.ends_with(['.', '!', '?']) && WAY_OUT.is_match(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::{ExtractOptions, extract};

    /// Blocks of plain paragraphs with these texts.
    fn paragraphs(texts: &[&str]) -> Vec<Block> {
        texts
            .iter()
            .map(|t| Block::new(BlockKind::Paragraph, t))
            .collect()
    }

    fn body(html: &str) -> String {
        extract(html, &ExtractOptions::default())
            .expect("the fixture has an article")
            .body_text()
    }

    /// A story of three paragraphs, `after` set straight into its column
    /// after the last paragraph.
    fn page(after: &str) -> String {
        let para = |n: u32| {
            format!(
                "<p>Paragraph {n} of the story: the council met on Tuesday, \
                 argued for hours about the harbour bridge, its cost, its \
                 closure and the buses that replace it, and voted late.</p>"
            )
        };
        format!(
            "<html><body><div class=column><h1>Bridge vote</h1>{}{}{}{after}</div>\
             <footer>Contact</footer></body></html>",
            para(1),
            para(2),
            para(3)
        )
    }

    #[test]
    fn a_time_stamp_set_straight_into_the_column_is_dropped() {
        let text = body(&page(
            "<time datetime=2020-04-03>Publiziert: 03.04.2020, 12:35</time>",
        ));
        assert!(!text.contains("Publiziert"), "{text}");
        assert!(text.ends_with("voted late."), "{text}");
    }

    #[test]
    fn a_filing_line_before_an_author_box_is_dropped() {
        let text = body(&page(
            "Dieser Eintrag wurde veröffentlicht in <a href=/c>Podcast</a> \
             von <a href=/a>Jane Doe</a>.<div><img src=a.jpg><h2>Über Jane</h2>\
             Jane writes about the harbour, its bridges and its ferries.</div>",
        ));
        assert!(!text.contains("Dieser Eintrag"), "{text}");
        assert!(text.contains("Paragraph 3"), "{text}");
    }

    #[test]
    fn licence_lines_and_disclaimers_at_the_end_are_dropped() {
        for line in [
            "Sofern nicht anders ausgewiesen, stehen Inhalte dieser Website unter CC-BY",
            "Dieser Beitrag gibt die Meinung des Autors wieder, nicht die der Redaktion.",
            "page.html - Created 03-10-2004 2:20pm - Last Modified: 03-10-2004 2:20pm",
            "If you enjoyed reading this post – would you consider supporting our work?",
            "Das Heft jetzt auch digital! Einfach hier klicken und registrieren!",
            "Hier können Sie den Artikel bewerten",
            "zurück zur Listenansicht",
            "... weiter zu \"die Wortwahl\"",
            "Hier geht es zur neuen Vorstandsstruktur",
            "Materiał chroniony prawem autorskim - wszelkie prawa zastrzeżone. \
             Dalsze rozpowszechnianie artykułu za zgodą wydawcy. Kup licencję",
        ] {
            let text = body(&page(&format!("<p>{line}</p>")));
            assert!(text.ends_with("voted late."), "{line}: {text}");
        }
    }

    #[test]
    fn a_shop_review_prompt_is_dropped_and_a_story_s_ask_stays() {
        let mut blocks = paragraphs(&[
            "Paragraph one, about the coffee and its roast.",
            "Bitte teilen Sie uns Ihre Erfahrungen mit, wenn Sie unseren Kaffee schon probiert haben.",
            "Paragraph two.",
            "Paragraph three.",
            "Paragraph four.",
        ]);
        drop_notices(&mut blocks);
        assert_eq!(blocks.len(), 4);
        assert!(is_review_prompt("Be the first to review this product"));
        assert!(!is_review_prompt(
            "Penny asks you to be a guest speaker and share your experience about the countryside."
        ));
        assert!(!is_review_prompt(
            "Teilen Sie uns mit, für welche Produkte Sie sich interessieren."
        ));
    }

    #[test]
    fn ad_labels_are_dropped_and_sentences_about_ads_stay() {
        let text = body(&page(
            "<p>ANZEIGE - Heute mal ausgehen/bestellen? Wie wäre es mit:</p>",
        ));
        assert!(!text.contains("ANZEIGE"), "{text}");
        assert!(is_ad_label("Advertisement"));
        assert!(is_ad_label("Publicidad:"));
        assert!(!is_ad_label("Werbung ist teuer, sagt der Verband."));
        assert!(!is_ad_label("Advertisements for the bridge ran for weeks."));
    }

    #[test]
    fn captions_ending_with_a_copyright_credit_are_dropped() {
        assert!(is_copyright_caption(
            "Zielarten sind u.a. der Hirschkäfer (Lucanus cervus). Foto © Jane Doe, John Roe"
        ));
        assert!(is_copyright_caption(
            "Stapel mit Mauerziegeln: Wenn ein Käufer nicht zahlt. - © jdoe_ - stock.example.com"
        ));
        let text = body(&page(
            "<div><img src=a.jpg><br>Die Brücke im Nebel. Foto © Jane Doe</div>",
        ));
        assert!(!text.contains("Nebel"), "{text}");
    }

    #[test]
    fn copyright_lines_and_notes_stay() {
        assert!(!is_copyright_caption("© 2019 Jane Doe"));
        assert!(!is_copyright_caption(
            "Excerpted from the book. Copyright © 2018 by Jane Doe. Used with permission."
        ));
        assert!(!is_copyright_caption(
            "The photographer, who signs her pictures ©, lives in Berlin."
        ));
    }

    #[test]
    fn the_same_words_inside_the_story_stay() {
        let mut blocks = paragraphs(&[
            "Last updated: the council's timetable says the bridge reopens in May.",
            "Paragraph two.",
            "Paragraph three.",
            "Paragraph four.",
        ]);
        drop_notices(&mut blocks);
        assert_eq!(blocks.len(), 4);
    }

    #[test]
    fn dates_in_lists_and_prose_about_licences_stay() {
        let timeline = Block::new(BlockKind::ListItem, "03.04.2020");
        assert!(!is_notice(&timeline, true));
        let tweet = Block::new(BlockKind::Quote, "— Jane Doe (@jane) May 2, 2020");
        assert!(!is_notice(&tweet, true));
        let agency = Block::new(
            BlockKind::Paragraph,
            "© 2019 Associated Press. All Rights Reserved. This material may not be published.",
        );
        assert!(!is_notice(&agency, true));
        let prose = Block::new(
            BlockKind::Paragraph,
            "Creative Commons licences let authors choose which rights they keep, \
             and most of the texts we cite are published under CC-BY.",
        );
        assert!(!is_notice(&prose, true));
        assert!(!is_tail_notice("Copyright law changed in the 1970s."));
        assert!(!is_tail_notice(
            "The mayor asked residents to support the harbour fund."
        ));
        let closing = Block::new(
            BlockKind::Paragraph,
            "Back to the bridge: the council will vote again in May, after the summer.",
        );
        assert!(!is_notice(&closing, true));
    }
}
