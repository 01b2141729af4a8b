//! Benchmark of `diff::compare`: the corpus benchmark's edited articles
//! (v1 against v2, as the pipeline extracts them), two 5,000-word versions
//! with 30 scattered edits, and pathological pairs (everything changed; one
//! huge paragraph without a sentence boundary; thousands of short lines).
//! Prints the figures and a digest of every report, so that a change meant
//! to leave results alone can show it did; asserts nothing about time.
//!
//! Run: `cargo bench --bench diff` (release), or `cargo bench --bench diff
//! --profile dev` to reuse the test build.

#[path = "corpus/pages.rs"]
#[allow(dead_code)]
mod pages;

use std::hash::{DefaultHasher, Hash, Hasher};
use std::hint::black_box;
use std::time::{Duration, Instant};

use redline::article::{Article, Block, BlockKind};
use redline::diff::{DiffOptions, compare};
use redline::extract::{ExtractOptions, extract};

/// Pages of the corpus whose edited articles are diffed (every tenth is
/// edited, so 100 pairs).
const CORPUS_PAGES: usize = 1_000;

/// A deterministic made-up vocabulary: 2,000 pronounceable words.
fn vocabulary(rng: &mut fastrand::Rng) -> Vec<String> {
    const SYLLABLES: [&str; 16] = [
        "ka", "lo", "mer", "ti", "san", "ve", "dor", "pu", "ri", "nal", "es", "to", "bri", "gan",
        "ul", "fe",
    ];
    (0..2_000)
        .map(|_| {
            (0..rng.usize(1..4))
                .map(|_| SYLLABLES[rng.usize(..SYLLABLES.len())])
                .collect()
        })
        .collect()
}

fn sentence(rng: &mut fastrand::Rng, words: &[String]) -> String {
    let n = rng.usize(8..20);
    let mut s: Vec<String> = (0..n)
        .map(|_| words[rng.usize(..words.len())].clone())
        .collect();
    if rng.u8(..4) == 0 {
        s[rng.usize(..n)] = rng.u32(1..100_000).to_string();
    }
    let mut first = s[0].chars();
    let head: String = first
        .next()
        .map(|c| c.to_uppercase().collect::<String>())
        .unwrap_or_default();
    s[0] = head + first.as_str();
    s.join(" ") + "."
}

/// An article of about `words` words in paragraphs of about 50 words.
fn article(rng: &mut fastrand::Rng, vocab: &[String], words: usize) -> Article {
    let mut blocks = Vec::new();
    let mut count = 0;
    while count < words {
        let text: Vec<String> = (0..rng.usize(2..5)).map(|_| sentence(rng, vocab)).collect();
        let text = text.join(" ");
        count += text.split_whitespace().count();
        blocks.push(Block::new(BlockKind::Paragraph, &text));
    }
    Article {
        headline: Some("Benchmark article".into()),
        blocks,
        ..Article::default()
    }
}

/// `old` with `edits` scattered edits of every kind.
fn edited(rng: &mut fastrand::Rng, vocab: &[String], old: &Article, edits: usize) -> Article {
    let mut new = old.clone();
    for k in 0..edits {
        let at = rng.usize(..new.blocks.len());
        let text = new.blocks[at].text.clone();
        let mut words: Vec<&str> = text.split(' ').collect();
        match k % 6 {
            0 | 1 => {
                let w = rng.usize(..words.len());
                words[w] = &vocab[rng.usize(..vocab.len())];
                new.blocks[at] = Block::new(BlockKind::Paragraph, &words.join(" "));
            }
            2 => {
                let extra = sentence(rng, vocab);
                new.blocks[at] = Block::new(BlockKind::Paragraph, &format!("{text} {extra}"));
            }
            3 => new
                .blocks
                .insert(at, Block::new(BlockKind::Paragraph, &sentence(rng, vocab))),
            4 => {
                new.blocks.remove(at);
            }
            _ => {
                let block = new.blocks.remove(at);
                let to = rng.usize(..new.blocks.len());
                new.blocks.insert(to, block);
            }
        }
    }
    new
}

/// Runs `compare` until `budget` is spent (at least 3 times) and returns
/// the fastest and median times and the number of changes.
fn measure(old: &Article, new: &Article, budget: Duration) -> (Duration, Duration, usize, String) {
    let options = DiffOptions::default();
    let mut times = Vec::new();
    let mut changes = String::new();
    let start = Instant::now();
    while times.len() < 3 || (start.elapsed() < budget && times.len() < 200) {
        let t = Instant::now();
        let report = black_box(compare(black_box(old), black_box(new), &options));
        times.push(t.elapsed());
        changes = report.summary();
    }
    times.sort();
    (times[0], times[times.len() / 2], times.len(), changes)
}

/// Whether the case `name` is to run: `cargo bench --bench diff -- WORD`
/// runs only the cases naming WORD.
fn selected(name: &str) -> bool {
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    filter.is_empty() || filter.iter().any(|f| name.contains(f.as_str()))
}

/// The digest of a report's every field, to compare runs of two builds.
fn digest(report: &redline::report::Report) -> u64 {
    let mut h = DefaultHasher::new();
    format!("{report:?}").hash(&mut h);
    h.finish()
}

fn report(name: &str, old: &Article, new: &Article) {
    if !selected(name) {
        return;
    }
    let (best, median, runs, changes) = measure(old, new, Duration::from_secs(2));
    let digest = digest(&compare(old, new, &DiffOptions::default()));
    println!(
        "{name:<48} {:>6} / {:>6} words  best {:>9.3} ms  median {:>9.3} ms  ({runs} runs)
    {changes}  (digest {digest:016x})",
        old.word_count(),
        new.word_count(),
        best.as_secs_f64() * 1e3,
        median.as_secs_f64() * 1e3,
    );
}

/// The corpus benchmark's edited articles, v1 and v2, extracted without a
/// selector as the pipeline extracts them.
fn corpus_pairs() -> Vec<(Article, Article)> {
    let options = ExtractOptions::default();
    (0..CORPUS_PAGES)
        .filter(|&i| pages::edited(i))
        .map(|i| {
            let [a, b] = [1, 2].map(|v| {
                extract(&pages::page(i, v), &options).expect("a corpus page has an article")
            });
            (a, b)
        })
        .collect()
}

/// Rounds of the corpus case, each diffing every pair once; a fixed count
/// (not a time budget) so that `perf stat` counts the same work in two
/// builds. `REDLINE_DIFF_ROUNDS=0` does everything but the timed rounds, to
/// subtract.
fn corpus_rounds() -> usize {
    std::env::var("REDLINE_DIFF_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(30)
}

/// Diffs every corpus pair in a fixed number of rounds and prints the time
/// per diff and the digest of all reports.
fn report_corpus() {
    let name = "corpus: edited articles, v1 -> v2";
    if !selected(name) {
        return;
    }
    let pairs = corpus_pairs();
    let options = DiffOptions::default();
    let mut h = DefaultHasher::new();
    for (old, new) in &pairs {
        digest(&compare(old, new, &options)).hash(&mut h);
    }
    let mut rounds = Vec::new();
    for _ in 0..corpus_rounds() {
        let t = Instant::now();
        for (old, new) in &pairs {
            black_box(compare(black_box(old), black_box(new), &options));
        }
        rounds.push(t.elapsed() / pairs.len() as u32);
    }
    rounds.sort();
    if rounds.is_empty() {
        return;
    }
    let blocks: usize = pairs.iter().map(|(a, _)| a.blocks.len()).sum();
    println!(
        "{name:<48} {} pairs, {:.1} blocks each  best {:>9.3} ms  median {:>9.3} ms per diff  ({} rounds)
    (digest {:016x})",
        pairs.len(),
        blocks as f64 / pairs.len() as f64,
        rounds[0].as_secs_f64() * 1e3,
        rounds[rounds.len() / 2].as_secs_f64() * 1e3,
        rounds.len(),
        h.finish(),
    );
}

fn main() {
    let mut rng = fastrand::Rng::with_seed(20220425);
    let vocab = vocabulary(&mut rng);
    report_corpus();
    let old = article(&mut rng, &vocab, 5_000);
    let new = edited(&mut rng, &vocab, &old, 30);
    report("5,000 words, 30 scattered edits", &old, &new);
    let mut retitled = old.clone();
    retitled.headline = Some("Benchmark article, retitled".into());
    report("5,000 words, only the headline changed", &old, &retitled);

    let other = article(&mut rng, &vocab, 5_000);
    report(
        "pathological: 5,000 words, everything changed",
        &old,
        &other,
    );

    let huge = |rng: &mut fastrand::Rng| {
        let words: Vec<&str> = (0..20_000)
            .map(|_| vocab[rng.usize(..vocab.len())].as_str())
            .collect();
        Article {
            blocks: vec![Block::new(BlockKind::Paragraph, &words.join(" "))],
            ..Article::default()
        }
    };
    let (a, b) = (huge(&mut rng), huge(&mut rng));
    report("pathological: one 20,000-word paragraph, rewritten", &a, &b);
    let mut c = a.clone();
    let text = c.blocks[0].text.replacen(&vocab[0], "changed", 3);
    c.blocks[0] = Block::new(BlockKind::Paragraph, &format!("{text} tail"));
    report("one 20,000-word paragraph, small edits", &a, &c);

    let lines = |rng: &mut fastrand::Rng| Article {
        blocks: (0..3_000)
            .map(|_| Block::new(BlockKind::ListItem, &sentence(rng, &vocab)))
            .collect(),
        ..Article::default()
    };
    let (x, y) = (lines(&mut rng), lines(&mut rng));
    report("pathological: 3,000 short list items, all changed", &x, &y);
    let (p, q) = (
        article(&mut rng, &vocab, 25_000),
        article(&mut rng, &vocab, 25_000),
    );
    report("pathological: 25,000 words, everything changed", &p, &q);
}
