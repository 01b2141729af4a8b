//! The corpus benchmark: the real pipeline over thousands of synthetic
//! article pages served on loopback with validators, pass by pass, beside
//! the CPU time that parsing the same pages alone takes in the same run.
//!
//! Run with `cargo bench --bench corpus`. `REDLINE_BENCH_SIZES` lists the
//! numbers of watches (`1000,5000` by default); `REDLINE_BENCH_SELECTOR` is
//! `none`, `article` or `both` (the default). Settings: one watch per page,
//! `per_host_interval = "0s"`, `concurrency = 16`. Each measured process
//! runs with `MALLOC_ARENA_MAX=2`, as the shipped units set it, unless the
//! variable is set already.
//!
//! Passes, each over every watch: baseline (v1), v1 → v2 (every page's
//! furniture changes, a known tenth of the articles are edited), unchanged
//! with 304s (twice: the first makes each watch's check note, the second
//! overwrites it as a running daemon does), unchanged with 200s
//! (validators off). For each: wall time,
//! pages/s, CPU per page of this process (the server is a child process),
//! its peak resident memory, true and false alerts and misses, and
//! parse-only CPU per page of the same pages, as a ratio.

#![allow(clippy::unwrap_used, clippy::print_stdout, missing_docs)]

#[path = "../common/mod.rs"]
mod common;
mod pages;
mod server;

use std::time::{Duration, Instant};

use redline::check::{Checked, Outcome, Pipeline};
use redline::watchlist::{Watch, Watchlist};

use server::Served;

const CONCURRENCY: usize = 16;

/// One pass: which version is served, with or without validators.
struct PassSpec {
    name: &'static str,
    version: u8,
    etags: bool,
}

const PASSES: [PassSpec; 5] = [
    PassSpec {
        name: "baseline",
        version: 1,
        etags: true,
    },
    PassSpec {
        name: "v1 -> v2",
        version: 2,
        etags: true,
    },
    PassSpec {
        name: "unchanged, 304",
        version: 2,
        etags: true,
    },
    // The first 304 pass makes each watch's check note (the passes before
    // it saved the state durably); from the second on, as in a running
    // daemon, the note is overwritten in place.
    PassSpec {
        name: "unchanged, 304 again",
        version: 2,
        etags: true,
    },
    PassSpec {
        name: "unchanged, 200",
        version: 2,
        etags: false,
    },
];

/// What one pass measured.
#[derive(Default)]
struct Row {
    wall: Duration,
    cpu: Duration,
    peak_mib: f64,
    true_alerts: usize,
    false_alerts: usize,
    misses: usize,
    failed: usize,
}

/// Runs every pass over `count` watches; returns a row per pass.
async fn passes(served: &Served, count: usize, selector: Option<&str>) -> Vec<Row> {
    let dir = tempfile::tempdir().unwrap();
    let mut text =
        format!("[settings]\nper_host_interval = \"0s\"\nconcurrency = {CONCURRENCY}\n\n");
    for i in 0..count {
        let host = served.hosts[i % served.hosts.len()];
        text.push_str(&format!(
            "[[watch]]\nname = \"w{i}\"\nurl = \"http://{host}/p/{i}\"\n"
        ));
        if let Some(selector) = selector {
            text.push_str(&format!("selector = \"{selector}\"\n"));
        }
    }
    let path = dir.path().join("watchlist.toml");
    std::fs::write(&path, &text).unwrap();
    let before = common::status_mib("self", "VmRSS");
    let watchlist = Watchlist::load(&path).unwrap();
    drop(text);
    // Built as `redline check` builds it: each pass is what one run of it
    // does, states read from their files.
    let pipeline = Pipeline::checking_each_once(&watchlist).unwrap();
    eprintln!(
        "resident memory: {before:.1} MiB before the watchlist, {:.1} MiB with its {count} watches loaded and the pipeline built",
        common::status_mib("self", "VmRSS")
    );
    let mut rows = Vec::new();
    for spec in &PASSES {
        served.set(spec.version, spec.etags).await;
        rows.push(pass(&pipeline, &watchlist.watches, spec).await);
    }
    let (versions, bytes) = store_size(&watchlist.settings.snapshots);
    eprintln!(
        "store after the passes ({} watches, selector {}): {versions} versions, {:.1} KiB on disk per version (its report and the states included)",
        count,
        selector.unwrap_or("none"),
        bytes as f64 / 1024.0 / versions.max(1) as f64
    );
    rows
}

/// The number of stored versions under `root` and the bytes of all its
/// files (versions and states).
fn store_size(root: &std::path::Path) -> (u64, u64) {
    let (mut versions, mut bytes) = (0, 0);
    let mut folders = vec![root.to_owned()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap().filter_map(Result::ok) {
            let meta = entry.metadata().unwrap();
            if meta.is_dir() {
                folders.push(entry.path());
                continue;
            }
            bytes += meta.len();
            // A changed version's report is stored beside it.
            let report = entry
                .file_name()
                .to_string_lossy()
                .ends_with(".report.json");
            versions += u64::from(folder.ends_with("versions") && !report);
        }
    }
    (versions, bytes)
}

async fn pass(pipeline: &Pipeline, watches: &[Watch], spec: &PassSpec) -> Row {
    common::reset_peak_rss();
    let (cpu, start) = (common::cpu_time(), Instant::now());
    let mut row = Row::default();
    let mut index = 0;
    // Results are counted as they come, as `redline check` prints them:
    // none is kept, so the peak memory is the pipeline's own.
    pipeline
        .check_each(watches.iter().cloned(), CONCURRENCY, |checked| {
            count(&mut row, spec, index, &checked);
            index += 1;
        })
        .await;
    row.wall = start.elapsed();
    row.cpu = common::cpu_time() - cpu;
    row.peak_mib = common::peak_rss_mib();
    row
}

/// Counts one result of a pass into its row.
fn count(row: &mut Row, spec: &PassSpec, index: usize, checked: &Checked) {
    // Only the v1 -> v2 pass edits articles; any other alert is false.
    let expected = spec.version == 2 && spec.name == "v1 -> v2" && pages::edited(index);
    match (&checked.result, expected) {
        (Ok(Outcome::Changed { .. }), true) => row.true_alerts += 1,
        (Ok(Outcome::Changed { .. }), false) => row.false_alerts += 1,
        (Ok(_), true) => row.misses += 1,
        (Ok(_), false) => {}
        (Err(e), _) => {
            if row.failed == 0 {
                eprintln!("{}: {}", checked.watch, redline::error_chain(e));
            }
            row.failed += 1;
            row.misses += usize::from(expected);
        }
    }
}

/// CPU time per page of parsing pages `0..count` of `version` alone, on as
/// many threads as there are cores. Pages are made in batches outside the
/// measured time.
fn parse_cpu_per_page(count: usize, version: u8) -> Duration {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let mut cpu = Duration::ZERO;
    for first in (0..count).step_by(500) {
        let batch: Vec<String> = (first..count.min(first + 500))
            .map(|i| pages::page(i, version))
            .collect();
        let before = common::cpu_time();
        common::parse_only(batch.len(), threads, &|i| batch[i].as_str());
        cpu += common::cpu_time() - before;
    }
    cpu / count as u32
}

/// Set in a child run that measures one configuration (`none:1000`).
const CONFIG_VAR: &str = "REDLINE_CORPUS_CONFIG";

fn main() {
    if std::env::var_os(server::SERVE_VAR).is_some() {
        server::serve();
        return;
    }
    if let Ok(config) = std::env::var(CONFIG_VAR) {
        let (selector, count) = config.split_once(':').unwrap();
        measure(
            (selector != "none").then_some(selector),
            count.parse().unwrap(),
        );
        return;
    }
    let sizes = std::env::var("REDLINE_BENCH_SIZES").unwrap_or_else(|_| "1000,5000".to_owned());
    let selectors = match std::env::var("REDLINE_BENCH_SELECTOR").as_deref() {
        Ok("none") => vec!["none"],
        Ok("article") => vec!["article"],
        _ => vec!["none", "article"],
    };
    // As the shipped units run it (dist/redline.service): glibc's
    // per-thread arenas otherwise keep freed pages, and the peak follows
    // the arenas rather than what the pipeline holds. Set it to compare.
    let arenas = std::env::var("MALLOC_ARENA_MAX").unwrap_or_else(|_| "2".to_owned());
    let mean: usize = (0..200).map(|i| pages::page(i, 1).len()).sum::<usize>() / 200;
    println!(
        "corpus benchmark: pages of {:.1} KB on average, {CONCURRENCY} at once, per_host_interval 0s, {} cores; each configuration in its own process, its server in another; MALLOC_ARENA_MAX={arenas} as in the shipped units",
        mean as f64 / 1024.0,
        std::thread::available_parallelism().map_or(0, |n| n.get()),
    );
    println!(
        "| selector | N | pass | wall s | pages/s | CPU ms/page | parse-only ms/page | ratio | peak RSS MiB | true | false | missed | failed |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    // A process per configuration: the allocator keeps what an earlier,
    // larger run used, which would hide whether memory grows with N.
    for selector in &selectors {
        for count in sizes.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let status = std::process::Command::new(std::env::current_exe().unwrap())
                .env(CONFIG_VAR, format!("{selector}:{count}"))
                .env("MALLOC_ARENA_MAX", &arenas)
                .status()
                .unwrap();
            assert!(status.success(), "the run of {selector}:{count} failed");
        }
    }
}

/// Measures one configuration and prints its rows.
fn measure(selector: Option<&str>, count: usize) {
    let served = Served::start();
    // The runtime `redline` runs on, so that the figures are the binary's.
    let runtime = redline::runtime().unwrap();
    let rows = runtime.block_on(passes(&served, count, selector));
    drop(runtime);
    let parse = [parse_cpu_per_page(count, 1), parse_cpu_per_page(count, 2)];
    for (spec, row) in PASSES.iter().zip(&rows) {
        let parse = parse[usize::from(spec.version) - 1];
        print_row(selector.unwrap_or("none"), count, spec, row, parse);
    }
}

fn print_row(selector: &str, count: usize, spec: &PassSpec, row: &Row, parse: Duration) {
    let cpu_ms = row.cpu.as_secs_f64() * 1000.0 / count as f64;
    let parse_ms = parse.as_secs_f64() * 1000.0;
    // A 304 parses nothing: no ratio to parsing.
    let ratio = if spec.name.starts_with("unchanged, 304") {
        "-".to_owned()
    } else {
        format!("{:.2}x", cpu_ms / parse_ms)
    };
    println!(
        "| {selector} | {count} | {} | {:.2} | {:.0} | {cpu_ms:.2} | {parse_ms:.2} | {ratio} | {:.0} | {} | {} | {} | {} |",
        spec.name,
        row.wall.as_secs_f64(),
        count as f64 / row.wall.as_secs_f64(),
        row.peak_mib,
        row.true_alerts,
        row.false_alerts,
        row.misses,
        row.failed
    );
}
