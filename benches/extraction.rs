//! The extraction benchmark: runs automatic extraction over the dev split of
//! the article-extraction data, scores it with the data's own `score.py`,
//! and times it against parsing the same pages alone.
//!
//! Run with `cargo bench --bench extraction`. The data is found at
//! `../shared/data/extraction/dev` from the repository root (or any parent
//! of it), or at `$REDLINE_EXTRACTION_DATA` (the folder holding `dev/` and
//! `score.py`). Set `REDLINE_BENCH_KEEP=DIR` to keep the outputs in DIR and
//! a per-page table in `DIR/pages.tsv`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use redline::extract::{ExtractOptions, extract, extract_folder};
use scraper::Html;

/// Timed runs of each kind per page; the fastest counts.
const ROUNDS: usize = 5;

fn main() {
    let Some(data) = find_data() else {
        eprintln!(
            "extraction data not found: set REDLINE_EXTRACTION_DATA to the folder holding dev/ and score.py"
        );
        std::process::exit(2);
    };
    let dev = data.join("dev");
    let pages = load_pages(&dev);
    let bytes: usize = pages.iter().map(|(_, html)| html.len()).sum();
    println!(
        "extraction benchmark: {} pages, {:.1} MB from {}",
        pages.len(),
        bytes as f64 / 1e6,
        dev.display()
    );

    let options = ExtractOptions::default();
    // Each page is parsed alone and extracted in turn, several times, and
    // each keeps its fastest time: on a shared machine, load comes in
    // bursts, and interleaving page by page makes both measures meet the
    // same load while the minimum drops the bursts.
    let mut parse_only = Duration::ZERO;
    let mut full = Duration::ZERO;
    for (_, html) in &pages {
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

    let keep = std::env::var_os("REDLINE_BENCH_KEEP").map(PathBuf::from);
    let temp = tempfile::tempdir().expect("a temporary folder for the outputs");
    let out = keep.clone().unwrap_or_else(|| temp.path().to_path_buf());
    // The outputs are written the way the project writes them for anyone.
    let run = extract_folder(&dev, &out).expect("the outputs can be written");
    let empty: Vec<String> = pages
        .iter()
        .filter(|(name, _)| {
            std::fs::read_to_string(out.join(format!("{name}.txt")))
                .map_or(true, |text| text.trim().is_empty())
        })
        .map(|(name, _)| name.clone())
        .collect();
    for (name, reason) in &run.failures {
        eprintln!("{name}: {reason}");
    }

    let mut score = Command::new("python3");
    score.arg(data.join("score.py")).arg(&dev).arg(&out);
    if keep.is_some() {
        score.arg("--per-page").arg(out.join("pages.tsv"));
    }
    // Timing still means something without a scorer, so a missing python3
    // is reported and the run goes on.
    match score.output() {
        Ok(scored) => {
            print!("{}", String::from_utf8_lossy(&scored.stdout));
            if !scored.status.success() {
                eprintln!(
                    "score.py failed: {}",
                    String::from_utf8_lossy(&scored.stderr)
                );
            }
        }
        Err(error) => eprintln!("could not run python3 score.py: {error}"),
    }

    let secs = full.as_secs_f64();
    println!("empty outputs: {} {:?}", empty.len(), empty);
    println!(
        "extract (parse + detect + render): {:.3} s, {:.1} pages/s, {:.1} MB/s",
        secs,
        pages.len() as f64 / secs,
        bytes as f64 / 1e6 / secs
    );
    println!(
        "parse only (scraper::Html::parse_document): {:.3} s, {:.1} pages/s, {:.1} MB/s",
        parse_only.as_secs_f64(),
        pages.len() as f64 / parse_only.as_secs_f64(),
        bytes as f64 / 1e6 / parse_only.as_secs_f64()
    );
    println!(
        "ratio extract / parse only: {:.2} (goal ≤ 1.50)",
        secs / parse_only.as_secs_f64()
    );
}

/// How long `work` takes.
fn timed(work: impl FnOnce()) -> Duration {
    let start = Instant::now();
    work();
    start.elapsed()
}

/// The folder holding `dev/` and `score.py`.
fn find_data() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("REDLINE_EXTRACTION_DATA") {
        return Some(PathBuf::from(dir));
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    // `../shared` from the repository root; a worktree sits one level deeper.
    root.ancestors()
        .skip(1)
        .map(|a| a.join("shared/data/extraction"))
        .find(|d| d.join("dev").is_dir() && d.join("score.py").is_file())
}

/// Every `NAME/page.html` under `dev`, sorted by name.
fn load_pages(dev: &Path) -> Vec<(String, String)> {
    let mut pages: Vec<(String, String)> = std::fs::read_dir(dev)
        .expect("the dev folder can be listed")
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let bytes = std::fs::read(entry.path().join("page.html")).ok()?;
            let name = entry.file_name().to_string_lossy().into_owned();
            Some((name, String::from_utf8_lossy(&bytes).into_owned()))
        })
        .collect();
    pages.sort();
    pages
}
