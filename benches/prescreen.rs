//! The prescreen's own cost, page by page, on the corpus benchmark's
//! pages: what answering a page without parsing it costs, and what a full
//! extraction that records the region costs, beside parsing the same pages
//! alone. CPU time is this thread's, read from
//! `/proc/thread-self/schedstat` in nanoseconds, so other processes on the
//! machine move it little.
//!
//! Run with `cargo bench --bench prescreen` (`REDLINE_BENCH_PAGES` sets the
//! number of pages, 1000 by default). For every page: version 1 is
//! extracted with no anchor (a first check, which records the region);
//! version 2 (new furniture everywhere, every tenth article edited) is put
//! to the prescreen with that region; and each version 2 page the
//! prescreen does not answer is extracted at version 1's anchor (a
//! changed page, which records the region again). Owns no pipeline logic.

#![allow(clippy::unwrap_used, clippy::print_stdout, missing_docs)]

#[path = "corpus/pages.rs"]
#[allow(dead_code)]
mod pages;

use redline::extract::{ExtractOptions, extract_at, prescreen_unchanged};

/// This thread's CPU time so far, in nanoseconds.
fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// Runs `work` and returns its result with the CPU nanoseconds it took.
fn timed<T>(work: impl FnOnce() -> T) -> (T, u64) {
    let start = thread_cpu_ns();
    let out = work();
    (out, thread_cpu_ns() - start)
}

fn ms_per(ns: u64, count: usize) -> f64 {
    ns as f64 / 1e6 / count.max(1) as f64
}

fn main() {
    let count: usize = std::env::var("REDLINE_BENCH_PAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let options = ExtractOptions::default();
    let v1: Vec<String> = (0..count).map(|i| pages::page(i, 1)).collect();
    let v2: Vec<String> = (0..count).map(|i| pages::page(i, 2)).collect();

    let (first, first_ns) = timed(|| {
        v1.iter()
            .map(|html| extract_at(html, &options, None).unwrap())
            .collect::<Vec<_>>()
    });
    let recorded = first.iter().filter(|a| a.region.is_some()).count();

    let (answers, prescreen_ns) = timed(|| {
        first
            .iter()
            .zip(&v2)
            .map(|(a, html)| {
                a.region
                    .as_ref()
                    .is_some_and(|r| prescreen_unchanged(html, &options, r))
            })
            .collect::<Vec<_>>()
    });
    let answered = answers.iter().filter(|&&a| a).count();
    let edited_answered = (0..count)
        .filter(|&i| answers[i] && pages::edited(i))
        .count();

    let changed: Vec<usize> = (0..count).filter(|&i| !answers[i]).collect();
    let (rerecorded, changed_ns) = timed(|| {
        changed
            .iter()
            .filter(|&&i| {
                extract_at(&v2[i], &options, first[i].anchor.as_ref())
                    .unwrap()
                    .region
                    .is_some()
            })
            .count()
    });
    let ((), parse_ns) = timed(|| {
        for &i in &changed {
            std::hint::black_box(scraper::Html::parse_document(&v2[i]));
        }
    });

    println!("pages: {count}; regions recorded on v1: {recorded}");
    println!(
        "first extraction (records):   {:.3} ms/page",
        ms_per(first_ns, count)
    );
    println!(
        "prescreen on v2:              {:.3} ms/page ({answered} answered unchanged, \
         {edited_answered} of them edited)",
        ms_per(prescreen_ns, count)
    );
    println!(
        "changed extraction (records): {:.3} ms/page over {} pages ({rerecorded} recorded)",
        ms_per(changed_ns, changed.len()),
        changed.len()
    );
    println!(
        "parse only, same pages:       {:.3} ms/page",
        ms_per(parse_ns, changed.len())
    );
}
