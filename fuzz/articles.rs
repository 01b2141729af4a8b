//! The diff target: pairs of articles, one often an edit of the other
//! (words changed, blocks added, removed, moved, split, merged, emphasis
//! changed, notes added), compared and rendered in every format. Nothing
//! may panic, and a version compared with itself reports nothing. Inputs
//! are the pair as JSON, so that a saved crash replays exactly.

use redline::article::{Article, Block, BlockKind, Emphasis, Style};
use redline::diff::{DiffOptions, compare};
use redline::report::render::{Format, RenderContext, render};

const WORDS: [&str; 28] = [
    "the",
    "minister",
    "said",
    "on",
    "Monday",
    "that",
    "42",
    "million",
    "euros",
    "were",
    "spent.",
    "Update:",
    "Correction:",
    "Editor's note:",
    "“We",
    "will",
    "not",
    "resign,”",
    "—",
    "café",
    "3.5%",
    "April 25,",
    "(AP)",
    "\u{fffd}",
    "Ã©",
    "naïve",
    "東京",
    "مرحبا",
];
const KINDS: [BlockKind; 6] = [
    BlockKind::Paragraph,
    BlockKind::Heading,
    BlockKind::ListItem,
    BlockKind::Quote,
    BlockKind::Caption,
    BlockKind::Preformatted,
];

fn sentence(rng: &mut fastrand::Rng, words: usize) -> String {
    (0..words.max(1))
        .map(|_| WORDS[rng.usize(..WORDS.len())])
        .collect::<Vec<_>>()
        .join(" ")
}

fn block(rng: &mut fastrand::Rng) -> Block {
    let len = if rng.u8(..20) == 0 {
        rng.usize(..3000)
    } else {
        rng.usize(1..60)
    };
    let mut block = Block::new(KINDS[rng.usize(..KINDS.len())], &sentence(rng, len));
    if rng.u8(..4) == 0 {
        block.emphasis = emphasis(rng, &block.text);
    }
    block
}

/// Valid emphasis ranges over `text`: on character boundaries, sorted, and
/// not overlapping within a style.
fn emphasis(rng: &mut fastrand::Rng, text: &str) -> Vec<Emphasis> {
    let bounds: Vec<usize> = text
        .char_indices()
        .map(|(i, _)| i)
        .chain([text.len()])
        .collect();
    let mut cuts: Vec<usize> = (0..rng.usize(..6))
        .map(|_| bounds[rng.usize(..bounds.len())])
        .collect();
    cuts.sort_unstable();
    cuts.dedup();
    cuts.chunks(2)
        .filter(|pair| pair.len() == 2)
        .map(|pair| Emphasis {
            start: pair[0],
            end: pair[1],
            style: if rng.bool() {
                Style::Bold
            } else {
                Style::Italic
            },
        })
        .collect()
}

fn article(rng: &mut fastrand::Rng) -> Article {
    Article {
        headline: rng.bool().then(|| sentence(rng, 8)),
        byline: rng.bool().then(|| sentence(rng, 2)),
        blocks: (0..rng.usize(..30)).map(|_| block(rng)).collect(),
        ..Article::default()
    }
}

/// One editorial change.
fn edit(rng: &mut fastrand::Rng, article: &mut Article) {
    let n = article.blocks.len();
    let at = rng.usize(..=n);
    match rng.u8(..8) {
        0 if at < n => {
            let mut words: Vec<String> = article.blocks[at]
                .text
                .split(' ')
                .map(str::to_owned)
                .collect();
            let w = rng.usize(..words.len());
            words[w] = WORDS[rng.usize(..WORDS.len())].to_owned();
            article.blocks[at] = Block::new(article.blocks[at].kind, &words.join(" "));
        }
        1 if at < n => drop(article.blocks.remove(at)),
        2 if at < n => {
            let moved = article.blocks.remove(at);
            let to = rng.usize(..=article.blocks.len());
            article.blocks.insert(to, moved);
        }
        3 if at + 1 < n => {
            let next = article.blocks.remove(at + 1);
            let merged = format!("{} {}", article.blocks[at].text, next.text);
            article.blocks[at] = Block::new(BlockKind::Paragraph, &merged);
        }
        4 if at < n => {
            let text = article.blocks[at].text.clone();
            article.blocks[at].emphasis = emphasis(rng, &text);
        }
        5 => article.headline = Some(sentence(rng, 6)),
        _ => article.blocks.insert(at, block(rng)),
    }
}

pub(crate) fn input(rng: &mut fastrand::Rng) -> Vec<u8> {
    let old = article(rng);
    let new = if rng.u8(..5) == 0 {
        article(rng)
    } else {
        let mut new = old.clone();
        for _ in 0..rng.usize(1..10) {
            edit(rng, &mut new);
        }
        new
    };
    serde_json::to_vec(&(old, new)).unwrap()
}

pub(crate) fn target(input: &[u8]) -> Result<(), String> {
    let Ok((old, new)) = serde_json::from_slice::<(Article, Article)>(input) else {
        return Ok(());
    };
    let options = DiffOptions {
        ignore_text: vec![regex::Regex::new(r"\d+ million").unwrap()],
    };
    let report = compare(&old, &new, &options);
    let context = RenderContext {
        watch: Some("fuzz"),
        url: Some("https://example.org/news"),
        headline: new.headline.as_deref(),
        from: Some("v1"),
        to: Some("v2"),
    };
    for format in [
        Format::Text,
        Format::Terminal,
        Format::Markdown,
        Format::Html,
        Format::Json,
    ] {
        let _ = render(&report, &context, format);
    }
    let _ = redline::charset::encoding_only_difference(&old, &new);
    let same = compare(&old, &old, &options);
    if !same.is_empty() {
        return Err(format!("a version compared with itself reports {same:?}"));
    }
    Ok(())
}
