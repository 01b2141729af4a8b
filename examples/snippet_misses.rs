//! Per-page reading of a snippet-split run: for each page, its fold, the
//! `without` snippets the extraction kept (false keeps) and the `with`
//! snippets it missed, so that the causes of lost precision and recall can
//! be grouped by reading them.
//!
//! Run the extraction benchmark with `REDLINE_BENCH_KEEP=DIR` first, then
//!
//! ```text
//! cargo run --example snippet_misses -- DATA/snippets-dev DIR/snippets-dev [FOLD]
//! ```
//!
//! It counts snippets as `score_snippets.py` does (verbatim substrings of
//! the output, an empty output missing every `with`) and assigns folds as
//! the benchmark does (`blake3(name) mod 5`). This file must not hold
//! extraction logic nor tune anything: it only reads outputs.

use std::path::Path;

/// Folds of the benchmark's cross-check.
const FOLDS: u64 = 5;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(split), Some(out)) = (args.first(), args.get(1)) else {
        eprintln!("usage: snippet_misses SPLIT_DIR OUTPUT_DIR [FOLD]");
        std::process::exit(2);
    };
    let only: Option<u64> = args.get(2).and_then(|f| f.parse().ok());
    let mut names: Vec<String> = std::fs::read_dir(split)
        .expect("the split folder can be read")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("snippets.json").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let (mut kept, mut missed) = (0, 0);
    for name in names {
        let fold = fold_of(&name);
        if only.is_some_and(|f| f != fold) {
            continue;
        }
        let (k, m) = report(Path::new(split), Path::new(out), &name, fold);
        kept += k;
        missed += m;
    }
    println!("total: {kept} false keeps, {missed} missed");
}

/// Prints one page's false keeps and misses; returns their counts.
fn report(split: &Path, out: &Path, name: &str, fold: u64) -> (usize, usize) {
    let snippets: serde_json::Value =
        std::fs::read_to_string(split.join(name).join("snippets.json"))
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default();
    let text = std::fs::read_to_string(out.join(format!("{name}.txt"))).unwrap_or_default();
    let empty = text.trim().is_empty();
    let list = |key: &str| -> Vec<String> {
        snippets[key]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(serde_json::Value::as_str)
            .map(str::to_owned)
            .collect()
    };
    let kept: Vec<String> = if empty {
        Vec::new()
    } else {
        list("without")
            .into_iter()
            .filter(|s| text.contains(s.as_str()))
            .collect()
    };
    let missed: Vec<String> = list("with")
        .into_iter()
        .filter(|s| empty || !text.contains(s.as_str()))
        .collect();
    if kept.is_empty() && missed.is_empty() {
        return (0, 0);
    }
    println!(
        "== {name} (fold {fold}, {} false keeps, {} missed{})",
        kept.len(),
        missed.len(),
        if empty { ", empty output" } else { "" }
    );
    for s in &kept {
        println!("  KEPT   {}", shorten(s));
    }
    for s in &missed {
        println!("  MISSED {}", shorten(s));
    }
    (kept.len(), missed.len())
}

/// A snippet cut to one readable line.
fn shorten(s: &str) -> String {
    let flat: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() > 140 {
        format!("{}…", flat.chars().take(140).collect::<String>())
    } else {
        flat
    }
}

/// The benchmark's fold of a page, from its name alone.
fn fold_of(name: &str) -> u64 {
    let hash = blake3::hash(name.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&hash.as_bytes()[..8]);
    u64::from_le_bytes(first) % FOLDS
}
