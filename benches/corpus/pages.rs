//! The synthetic corpus: article pages of about 56 KB, each a function of
//! its index and version, so that the server and the parse-only floor make
//! the same bytes without holding the corpus in memory.
//!
//! A page has a header, a navigation bar, an article of 8–30 paragraphs
//! with some emphasis and links, related links, ads, a footer and scripts.
//! Version 2 edits the article of every tenth page (the known set
//! [`edited`]) and changes the furniture (ticker, most-read list, ads,
//! scripts) of every page. Owns no timing and no serving.

use std::fmt::Write as _;

/// The size a page is padded to on average (its scripts make up the rest).
const TARGET_BYTES: usize = 56 * 1024;

const WORDS: &[&str] = &[
    "council",
    "minister",
    "budget",
    "report",
    "river",
    "school",
    "hospital",
    "police",
    "election",
    "market",
    "village",
    "bridge",
    "court",
    "judge",
    "witness",
    "company",
    "workers",
    "union",
    "strike",
    "museum",
    "festival",
    "harbour",
    "station",
    "railway",
    "mayor",
    "residents",
    "plan",
    "inquiry",
    "evidence",
    "statement",
    "spokesperson",
    "yesterday",
    "morning",
    "evening",
    "weekend",
    "announced",
    "confirmed",
    "denied",
    "said",
    "warned",
    "promised",
    "rejected",
    "approved",
    "delayed",
    "opened",
    "closed",
    "million",
    "thousand",
    "percent",
    "figures",
    "record",
    "rise",
    "fall",
    "costs",
    "families",
    "children",
    "teachers",
    "nurses",
    "farmers",
    "drivers",
    "officials",
    "the",
    "a",
    "of",
    "in",
    "on",
    "after",
    "before",
    "while",
    "and",
    "but",
    "with",
    "new",
    "old",
    "local",
    "national",
    "regional",
    "public",
    "private",
    "early",
    "late",
    "storm",
    "flood",
    "drought",
    "fire",
    "road",
    "airport",
    "tax",
    "rent",
    "housing",
];

/// Whether version 2 edits page `index`'s article (every tenth page).
pub fn edited(index: usize) -> bool {
    index % 10 == 3
}

fn sentence(rng: &mut fastrand::Rng, out: &mut String) {
    let len = rng.usize(8..20);
    for n in 0..len {
        let word = WORDS[rng.usize(..WORDS.len())];
        if n == 0 {
            let mut chars = word.chars();
            let first = chars.next().map(|c| c.to_ascii_uppercase()).unwrap_or('A');
            out.push(first);
            out.push_str(chars.as_str());
            continue;
        }
        out.push(' ');
        match rng.u8(..40) {
            0 => write!(out, "<em>{word}</em>"),
            1 => write!(out, "<strong>{word}</strong>"),
            2 => write!(out, "<a href=\"/topic/{word}\">{word}</a>"),
            _ => write!(out, "{word}"),
        }
        .ok();
    }
    out.push_str(". ");
}

fn headline(rng: &mut fastrand::Rng) -> String {
    let mut text = String::new();
    sentence(rng, &mut text);
    text.trim_end_matches(". ")
        .replace(['<', '>', '/', '"'], "")
}

/// The article: a headline, a byline and 8–30 paragraphs. Version 2 of an
/// edited page rewrites one sentence and a figure.
fn article(index: usize, version: u8, out: &mut String) {
    let mut rng = fastrand::Rng::with_seed(index as u64);
    let title = headline(&mut rng);
    let paragraphs = rng.usize(8..31);
    // Drawn for every version so that both read the same random stream.
    let chosen = rng.usize(..paragraphs);
    let rewritten = (version == 2 && edited(index)).then_some(chosen);
    write!(
        out,
        "<article class=\"story\"><h1>{title}</h1><p class=\"byline\">By Staff Reporter {}</p>\
         <time datetime=\"2026-11-{:02}T08:00:00Z\">{} November 2026</time>",
        index % 97,
        index % 28 + 1,
        index % 28 + 1
    )
    .ok();
    for p in 0..paragraphs {
        out.push_str("<p>");
        for s in 0..rng.usize(3..6) {
            if rewritten == Some(p) && s == 1 {
                write!(
                    out,
                    "The figure was later revised to {} percent after new evidence emerged. ",
                    index % 89 + 3
                )
                .ok();
                // Keep the rest of the paragraph identical to version 1.
                let mut skipped = String::new();
                sentence(&mut rng, &mut skipped);
                continue;
            }
            sentence(&mut rng, out);
        }
        out.push_str("</p>\n");
    }
    out.push_str("</article>\n");
}

/// Navigation, ticker, related links, most read, ads and footer. The
/// ticker, most-read list and ads differ between versions.
fn furniture_top(index: usize, version: u8, out: &mut String) {
    let mut rng = fastrand::Rng::with_seed(index as u64 ^ (u64::from(version) << 40));
    out.push_str(
        "<header class=\"site-header\"><a class=\"logo\" href=\"/\">The Daily Loopback</a>",
    );
    writeln!(
        out,
        "<div class=\"ticker\">Breaking: {}</div></header>",
        headline(&mut rng)
    )
    .ok();
    out.push_str("<nav class=\"main-nav\"><ul>");
    for word in WORDS.iter().take(32) {
        write!(out, "<li><a href=\"/section/{word}\">{word}</a></li>").ok();
    }
    out.push_str("</ul></nav>\n");
    writeln!(out, "<div class=\"ad ad-top\" data-slot=\"{}\"><a href=\"https://ads.example/{}\">Sponsored: {}</a></div>", rng.u32(..), rng.u32(..), headline(&mut rng)).ok();
}

fn furniture_bottom(index: usize, version: u8, out: &mut String) {
    let mut fixed = fastrand::Rng::with_seed(!(index as u64));
    let mut rng = fastrand::Rng::with_seed(index as u64 ^ (u64::from(version) << 41));
    out.push_str("<aside class=\"related\"><h2>Related</h2><ul>");
    for _ in 0..10 {
        write!(
            out,
            "<li><a href=\"/story/{}\">{}</a></li>",
            fixed.u32(..),
            headline(&mut fixed)
        )
        .ok();
    }
    out.push_str("</ul></aside>\n<aside class=\"most-read\"><h2>Most read</h2><ol>");
    for _ in 0..5 {
        write!(
            out,
            "<li><a href=\"/story/{}\">{}</a> <span class=\"count\">{} comments</span></li>",
            rng.u32(..),
            headline(&mut rng),
            rng.u16(..)
        )
        .ok();
    }
    out.push_str("</ol></aside>\n");
    writeln!(
        out,
        "<div class=\"ad ad-side\"><img src=\"https://ads.example/{}.png\" alt=\"advert\"></div>",
        rng.u32(..)
    )
    .ok();
    out.push_str("<footer><p>© 2026 The Daily Loopback. All rights reserved.</p><ul>");
    for word in ["about", "contact", "privacy", "terms", "cookies", "careers"] {
        write!(out, "<li><a href=\"/{word}\">{word}</a></li>").ok();
    }
    out.push_str("</ul></footer>\n");
}

/// Scripts (analytics state) that pad the page to its size; they change
/// with every version, as real pages' do.
fn scripts(index: usize, version: u8, size: usize, out: &mut String) {
    let mut rng = fastrand::Rng::with_seed(index as u64 ^ (u64::from(version) << 42));
    out.push_str("<script>window.__STATE__={\"ads\":[");
    while out.len() + 40 < size {
        write!(
            out,
            "{{\"id\":{},\"k\":\"{:x}\"}},",
            rng.u32(..),
            rng.u64(..)
        )
        .ok();
    }
    out.push_str("{}]};</script>\n");
}

/// Page `index` in `version` (1 or 2), about 56 KB of HTML.
pub fn page(index: usize, version: u8) -> String {
    let size = TARGET_BYTES * fastrand::Rng::with_seed(index as u64).usize(85..116) / 100;
    let mut out = String::with_capacity(size + 1024);
    out.push_str("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">");
    write!(out, "<title>Story {index} | The Daily Loopback</title>").ok();
    out.push_str("<style>body{font-family:serif}.ad{border:1px solid #ccc}</style>");
    out.push_str("<script src=\"/static/app.js\" defer></script></head><body>\n");
    furniture_top(index, version, &mut out);
    out.push_str("<main>\n");
    article(index, version, &mut out);
    furniture_bottom(index, version, &mut out);
    out.push_str("</main>\n");
    scripts(index, version, size, &mut out);
    out.push_str("</body></html>\n");
    out
}
