//! The extraction benchmark: runs automatic extraction over both development
//! splits of the article-extraction data, scores each with the data's own
//! scorer (`score.py`, token F1 on `dev/`; `score_snippets.py`, snippet F1
//! on `snippets-dev/`), cross-checks each score on five folds, and times
//! extraction against parsing the same pages alone.
//!
//! Run with `cargo bench --bench extraction`. The data is found at
//! `../shared/data/extraction` from the repository root (or any parent of
//! it), or at `$REDLINE_EXTRACTION_DATA` (the folder holding the splits and
//! the scorers). Set `REDLINE_BENCH_KEEP=DIR` to keep the outputs in
//! `DIR/SPLIT/` with the scorer's per-page table in `DIR/SPLIT/pages.tsv`.
//!
//! The folds: each page belongs to fold `blake3(name) mod 5`, so the
//! assignment never changes as pages or rules change. The detector has no
//! fitted parameters, so every fold is scored with the shipped rules; a
//! rule that only fits a few pages shows as a fold far from the whole. The
//! fold scores are recomputed from the scorer's per-page counts with the
//! scorer's own formulas, and checked against its whole-split figure.
//!
//! This file must not hold extraction logic: it measures what
//! `redline::extract` does, through the same `extract_folder` that
//! `redline extract --dir` uses.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use redline::extract::{ExtractOptions, extract, extract_folder};
use scraper::Html;

/// Timed runs of each kind per page; the fastest counts.
const ROUNDS: usize = 3;

/// Folds of the cross-check.
const FOLDS: usize = 5;

/// A fold further than this from the whole-split score is reported as a
/// sign of over-fitting.
const FOLD_TOLERANCE: f64 = 0.015;

/// How a split is scored.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Metric {
    /// `score.py`: 4-token shingles, precision and recall averaged over
    /// pages.
    Tokens,
    /// `score_snippets.py`: snippets found verbatim, pooled over pages.
    Snippets,
}

/// One development split and its scorer.
struct Split {
    name: &'static str,
    scorer: &'static str,
    metric: Metric,
}

const SPLITS: [Split; 2] = [
    Split {
        name: "dev",
        scorer: "score.py",
        metric: Metric::Tokens,
    },
    Split {
        name: "snippets-dev",
        scorer: "score_snippets.py",
        metric: Metric::Snippets,
    },
];

/// One page's counts from the scorer's per-page table: for tokens
/// (tp, fp, fn) of shingles; for snippets (tp, fn, fp, tn).
#[derive(Clone, Copy)]
struct Row {
    counts: [u64; 4],
}

/// F1, precision and recall.
#[derive(Clone, Copy)]
struct Score {
    f1: f64,
    precision: f64,
    recall: f64,
}

fn main() {
    let Some(data) = find_data() else {
        eprintln!(
            "extraction data not found: set REDLINE_EXTRACTION_DATA to the folder holding dev/, snippets-dev/ and the scorers"
        );
        std::process::exit(2);
    };
    let keep = std::env::var_os("REDLINE_BENCH_KEEP").map(PathBuf::from);
    let temp = tempfile::tempdir().expect("a temporary folder for the outputs");
    let mut all_pages = Vec::new();
    for split in &SPLITS {
        let dir = data.join(split.name);
        let out = keep
            .as_deref()
            .unwrap_or(temp.path())
            .join(split.name)
            .to_path_buf();
        quality(split, &data, &dir, &out);
        all_pages.extend(load_pages(&dir));
    }
    speed(&all_pages);
}

/// Extracts, scores and cross-checks one split, printing the figures.
fn quality(split: &Split, data: &Path, dir: &Path, out: &Path) {
    // The outputs are written the way the project writes them for anyone.
    let run = extract_folder(dir, out).expect("the outputs can be written");
    println!(
        "\n== {} ({} pages, {})",
        split.name,
        run.pages,
        dir.display()
    );
    for (name, reason) in &run.failures {
        eprintln!("{name}: {reason}");
    }
    let table = out.join("pages.tsv");
    let scored = Command::new("python3")
        .arg(data.join(split.scorer))
        .arg(dir)
        .arg(out)
        .arg("--per-page")
        .arg(&table)
        .output();
    let scored = match scored {
        Ok(scored) if scored.status.success() => scored,
        Ok(scored) => {
            eprintln!(
                "{} failed: {}",
                split.scorer,
                String::from_utf8_lossy(&scored.stderr)
            );
            return;
        }
        Err(error) => {
            eprintln!("could not run python3 {}: {error}", split.scorer);
            return;
        }
    };
    let stdout = String::from_utf8_lossy(&scored.stdout);
    print!("{stdout}");
    let rows = read_table(&table, split.metric);
    let whole = score(split.metric, rows.iter().map(|(_, r)| *r));
    let reported = stdout.lines().last().and_then(first_number);
    if reported.is_some_and(|f1| (f1 - whole.f1).abs() > 0.0006) {
        eprintln!(
            "warning: the fold arithmetic disagrees with {}",
            split.scorer
        );
    }
    println!(
        "whole: f1 {:.4} precision {:.4} recall {:.4}",
        whole.f1, whole.precision, whole.recall
    );
    folds(split.metric, &rows, whole);
    fold_noise(split.metric, &rows, whole);
    report_empty(split.metric, dir, out, &rows);
}

/// Prints the pages with text to find whose output is empty, naming apart
/// those whose HTML holds none of their snippets.
fn report_empty(metric: Metric, dir: &Path, out: &Path, rows: &[(String, Row)]) {
    let empty: Vec<&str> = rows
        .iter()
        .filter(|(name, row)| has_body(metric, row) && output_is_empty(out, name))
        .map(|(name, _)| name.as_str())
        .collect();
    // A page whose HTML holds none of its snippets is rendered by scripts:
    // no extractor of HTML can find its text, so it is named apart.
    let (scripted, empty): (Vec<&str>, Vec<&str>) = empty
        .into_iter()
        .partition(|name| metric == Metric::Snippets && !html_holds_a_snippet(&dir.join(name)));
    println!(
        "empty outputs of pages with a body: {} {empty:?}",
        empty.len()
    );
    if !scripted.is_empty() {
        println!(
            "empty outputs of pages whose HTML holds none of their snippets (script-rendered): {} {scripted:?}",
            scripted.len()
        );
    }
}

/// Prints the score of each fold, their spread and the largest distance
/// from the whole split's score.
fn folds(metric: Metric, rows: &[(String, Row)], whole: Score) {
    let mut scores = Vec::new();
    for fold in 0..FOLDS {
        let members = rows
            .iter()
            .filter(|(name, _)| fold_of(name) == fold)
            .map(|(_, r)| *r);
        let pages = members.clone().count();
        let s = score(metric, members);
        println!(
            "fold {fold}: f1 {:.4} precision {:.4} recall {:.4} pages {pages}",
            s.f1, s.precision, s.recall
        );
        scores.push(s.f1);
    }
    let max = scores.iter().copied().fold(f64::MIN, f64::max);
    let min = scores.iter().copied().fold(f64::MAX, f64::min);
    let off = scores
        .iter()
        .map(|f| (f - whole.f1).abs())
        .fold(0.0, f64::max);
    println!(
        "folds: spread {:.4} (min {min:.4}, max {max:.4}), max |fold - whole| {off:.4} ({}); \
         no fitted parameters, so each fold is scored with the shipped rules",
        max - min,
        if off <= FOLD_TOLERANCE {
            "within 0.015"
        } else {
            "OVER 0.015"
        }
    );
}

/// Random partitions drawn to measure how far folds stray by chance.
const NOISE_PARTITIONS: u64 = 200;

/// Prints how far from the whole-split score the folds of random 5-fold
/// partitions stray (median and 90th percentile of their largest
/// distance): the distance that sampling alone gives, against which the
/// fixed folds' distance is read.
fn fold_noise(metric: Metric, rows: &[(String, Row)], whole: Score) {
    let mut distances = Vec::new();
    for seed in 0..NOISE_PARTITIONS {
        let mut rng = fastrand::Rng::with_seed(seed);
        let mut order: Vec<usize> = (0..rows.len()).collect();
        rng.shuffle(&mut order);
        let far = (0..FOLDS)
            .map(|fold| {
                let members = order.iter().skip(fold).step_by(FOLDS).map(|&i| rows[i].1);
                (score(metric, members).f1 - whole.f1).abs()
            })
            .fold(0.0, f64::max);
        distances.push(far);
    }
    distances.sort_by(f64::total_cmp);
    println!(
        "sampling noise: over {NOISE_PARTITIONS} random 5-fold partitions, max |fold - whole| has median {:.4}, 90th percentile {:.4}",
        distances[distances.len() / 2],
        distances[distances.len() * 9 / 10]
    );
}

/// The fold a page belongs to, from its name alone.
fn fold_of(name: &str) -> usize {
    let hash = blake3::hash(name.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&hash.as_bytes()[..8]);
    (u64::from_le_bytes(first) % FOLDS as u64) as usize
}

/// The scorer's figures over `rows`, by its own formulas.
fn score(metric: Metric, rows: impl Iterator<Item = Row>) -> Score {
    match metric {
        Metric::Tokens => {
            let (mut ps, mut rs) = (Vec::new(), Vec::new());
            for Row {
                counts: [tp, fp, fn_, _],
            } in rows
            {
                let perfect = fp == 0 && fn_ == 0;
                if tp + fp > 0 {
                    ps.push(if perfect {
                        1.0
                    } else {
                        tp as f64 / (tp + fp) as f64
                    });
                }
                if tp + fn_ > 0 {
                    rs.push(if perfect {
                        1.0
                    } else {
                        tp as f64 / (tp + fn_) as f64
                    });
                }
            }
            let mean = |v: &[f64]| {
                if v.is_empty() {
                    0.0
                } else {
                    v.iter().sum::<f64>() / v.len() as f64
                }
            };
            let (p, r) = (mean(&ps), mean(&rs));
            let f1 = if p + r > 0.0 {
                2.0 * p * r / (p + r)
            } else {
                0.0
            };
            Score {
                f1,
                precision: p,
                recall: r,
            }
        }
        Metric::Snippets => {
            let [mut tp, mut fn_, mut fp] = [0u64; 3];
            for row in rows {
                tp += row.counts[0];
                fn_ += row.counts[1];
                fp += row.counts[2];
            }
            let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
            Score {
                f1: ratio(2 * tp, 2 * tp + fp + fn_),
                precision: ratio(tp, tp + fp),
                recall: ratio(tp, tp + fn_),
            }
        }
    }
}

/// Whether the page has text that should have been extracted.
fn has_body(metric: Metric, row: &Row) -> bool {
    match metric {
        // tp + fn: the truth's shingles.
        Metric::Tokens => row.counts[0] + row.counts[2] > 0,
        // tp + fn: the "with" snippets.
        Metric::Snippets => row.counts[0] + row.counts[1] > 0,
    }
}

/// Whether a snippet page's HTML (decoded as extraction decodes it) holds
/// at least one of the snippets that belong to its main text.
fn html_holds_a_snippet(page: &Path) -> bool {
    let Ok(bytes) = std::fs::read(page.join("page.html")) else {
        return false;
    };
    let html = redline::fetch::decode(bytes, "");
    let snippets: serde_json::Value = std::fs::read_to_string(page.join("snippets.json"))
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default();
    snippets["with"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(serde_json::Value::as_str)
        .any(|snippet| html.contains(snippet))
}

fn output_is_empty(out: &Path, name: &str) -> bool {
    std::fs::read_to_string(out.join(format!("{name}.txt")))
        .map_or(true, |text| text.trim().is_empty())
}

/// The scorer's per-page table: page name and counts.
fn read_table(table: &Path, metric: Metric) -> Vec<(String, Row)> {
    let text = std::fs::read_to_string(table).expect("the scorer wrote its per-page table");
    // dev: name, benchmark, tp, fp, fn, …; snippets: name, tp, fn, fp, tn.
    let first = if metric == Metric::Tokens { 2 } else { 1 };
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            let mut counts = [0u64; 4];
            for (slot, field) in counts.iter_mut().zip(fields.get(first..)?.iter()) {
                *slot = field.parse().unwrap_or(0);
            }
            Some((fields[0].to_string(), Row { counts }))
        })
        .collect()
}

/// The first number after "f1" on a scorer's last line.
fn first_number(line: &str) -> Option<f64> {
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Times extraction against parsing alone over every page of both splits.
fn speed(pages: &[String]) {
    let bytes: usize = pages.iter().map(String::len).sum();
    let options = ExtractOptions::default();
    // Each page is parsed alone and extracted in turn, several times, and
    // each keeps its fastest time: on a shared machine, load comes in
    // bursts, and interleaving page by page makes both measures meet the
    // same load while the minimum drops the bursts.
    let (mut parse_only, mut full) = (Duration::ZERO, Duration::ZERO);
    for html in pages {
        let (mut parse_best, mut full_best) = (Duration::MAX, Duration::MAX);
        for _ in 0..ROUNDS {
            parse_best = parse_best.min(timed(|| {
                std::hint::black_box(Html::parse_document(html));
            }));
            full_best = full_best.min(timed(|| {
                let _ = std::hint::black_box(extract(html, &options));
            }));
        }
        parse_only += parse_best;
        full += full_best;
    }
    let secs = full.as_secs_f64();
    let parse_secs = parse_only.as_secs_f64();
    let count = pages.len() as f64;
    println!(
        "\n== speed ({} pages, {:.1} MB, one core)",
        pages.len(),
        bytes as f64 / 1e6
    );
    println!(
        "extract (parse + detect + render): {secs:.3} s, {:.1} pages/s, {:.1} MB/s",
        count / secs,
        bytes as f64 / 1e6 / secs
    );
    println!(
        "parse only (scraper::Html::parse_document): {parse_secs:.3} s, {:.1} pages/s, {:.1} MB/s",
        count / parse_secs,
        bytes as f64 / 1e6 / parse_secs
    );
    println!(
        "ratio extract / parse only: {:.2} (goal ≤ 1.50)",
        secs / parse_secs
    );
}

/// How long `work` takes.
fn timed(work: impl FnOnce()) -> Duration {
    let start = Instant::now();
    work();
    start.elapsed()
}

/// The folder holding both splits and their scorers.
fn find_data() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("REDLINE_EXTRACTION_DATA") {
        return Some(PathBuf::from(dir));
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    // `../shared` from the repository root; a worktree sits one level deeper.
    root.ancestors()
        .skip(1)
        .map(|a| a.join("shared/data/extraction"))
        .find(|d| {
            SPLITS
                .iter()
                .all(|s| d.join(s.name).is_dir() && d.join(s.scorer).is_file())
        })
}

/// Every `NAME/page.html` under `dir`, decoded as `redline extract --dir`
/// decodes it, sorted by name.
fn load_pages(dir: &Path) -> Vec<String> {
    let mut pages: Vec<(String, String)> = std::fs::read_dir(dir)
        .expect("the split's folder can be listed")
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let bytes = std::fs::read(entry.path().join("page.html")).ok()?;
            let name = entry.file_name().to_string_lossy().into_owned();
            Some((name, redline::fetch::decode(bytes, "")))
        })
        .collect();
    pages.sort();
    pages.into_iter().map(|(_, html)| html).collect()
}
