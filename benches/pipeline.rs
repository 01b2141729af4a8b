//! Throughput and memory of the whole pipeline: thousands of watches served
//! on loopback, checked the way the daemon checks them, beside the time that
//! parsing the same HTML alone takes.
//!
//! Run with `cargo bench --bench pipeline` (REDLINE_BENCH_WATCHES sets the
//! number of watches, 2000 by default). Pages are the real pages of
//! `../shared/data/extraction/dev`, served round-robin; without that folder
//! the seed article's pages are used.
//!
//! Passes, each over every watch:
//! 1. first check: fetch, extract, store the baseline (a file per watch);
//! 2. re-check with validators: the server answers 304, nothing is parsed;
//! 3. re-check without validators: fetch, extract, compare, nothing stored
//!    (the steady state of a site that ignores conditional requests).
//!
//! Then parse-only: `scraper::Html::parse_document` over the same pages with
//! the same parallelism, the floor that the pipeline is measured against.

#![allow(clippy::unwrap_used, clippy::print_stdout, missing_docs)]

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::{cpu_time, peak_rss_mib};

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// How many checks run at once.
const CONCURRENCY: usize = 64;

/// How many sites (loopback addresses) serve the pages.
const HOSTS: usize = 16;

struct Site {
    pages: Vec<String>,
    etags: AtomicBool,
}

async fn page(
    State(site): State<Arc<Site>>,
    UrlPath(index): UrlPath<usize>,
    headers: HeaderMap,
) -> Response {
    let html = &site.pages[index % site.pages.len()];
    let etag = format!("\"p{}\"", index % site.pages.len());
    if site.etags.load(Ordering::Relaxed) {
        if headers
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            == Some(etag.as_str())
        {
            return StatusCode::NOT_MODIFIED.into_response();
        }
        return (
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8".to_owned()),
                (header::ETAG, etag),
            ],
            html.clone(),
        )
            .into_response();
    }
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        html.clone(),
    )
        .into_response()
}

fn load_pages() -> Vec<String> {
    let dev = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/extraction/dev");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&dev)
        .map(|entries| entries.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    dirs.sort();
    let pages: Vec<String> = dirs
        .iter()
        .filter_map(|d| std::fs::read(d.join("page.html")).ok())
        .map(|b| redline::fetch::decode(b, ""))
        .collect();
    if pages.is_empty() {
        eprintln!("{} not found; using the seed pages", dev.display());
        return vec![
            redline::demo::SEED_V1.to_owned(),
            redline::demo::SEED_V2.to_owned(),
        ];
    }
    pages
}

struct Pass {
    name: &'static str,
    wall: Duration,
    cpu: Duration,
    outcomes: std::collections::BTreeMap<&'static str, usize>,
}

async fn pass(
    name: &'static str,
    pipeline: &redline::check::Pipeline,
    watches: &[redline::watchlist::Watch],
) -> Pass {
    let (cpu, start) = (cpu_time(), Instant::now());
    let checked = pipeline.check_all(watches.to_vec(), CONCURRENCY).await;
    let mut outcomes = std::collections::BTreeMap::new();
    for checked in checked {
        let word = match checked.result {
            Ok(outcome) => outcome.word(),
            Err(_) => "failed",
        };
        *outcomes.entry(word).or_insert(0) += 1;
    }
    Pass {
        name,
        wall: start.elapsed(),
        cpu: cpu_time() - cpu,
        outcomes,
    }
}

fn main() {
    let count: usize = std::env::var("REDLINE_BENCH_WATCHES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let pages = load_pages();
    let bytes: usize = (0..count).map(|i| pages[i % pages.len()].len()).sum();
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    // The runtime `redline` runs on, so that the figures are the binary's.
    let runtime = redline::runtime().unwrap();
    let site = Arc::new(Site {
        pages: pages.clone(),
        etags: AtomicBool::new(true),
    });

    let (passes, checked) = runtime.block_on(async {
        // Real watchlists span many sites, and redline asks each site one
        // page at a time: serve from several loopback addresses (all of
        // 127.0.0.0/8 is loopback) so that the politeness gate is per site.
        let mut hosts = Vec::new();
        for n in 1..=HOSTS {
            let listener = tokio::net::TcpListener::bind(format!("127.0.0.{n}:0"))
                .await
                .unwrap();
            hosts.push(listener.local_addr().unwrap());
            let app = Router::new()
                .route("/p/{index}", axum::routing::get(page))
                .with_state(site.clone());
            tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        }

        let dir = tempfile::tempdir().unwrap();
        let mut text =
            format!("[settings]\nper_host_interval = \"0s\"\nconcurrency = {CONCURRENCY}\n\n");
        for i in 0..count {
            let addr = hosts[i % hosts.len()];
            text.push_str(&format!(
                "[[watch]]\nname = \"w{i}\"\nurl = \"http://{addr}/p/{i}\"\n"
            ));
        }
        let path = dir.path().join("watchlist.toml");
        std::fs::write(&path, text).unwrap();
        let watchlist = redline::watchlist::Watchlist::load(&path).unwrap();
        let pipeline =
            redline::check::Pipeline::from_watchlist(&watchlist, redline::check::Drive::OnePass)
                .unwrap();

        let first = pass(
            "first check (fetch, extract, store)",
            &pipeline,
            &watchlist.watches,
        )
        .await;
        let cached = pass("re-check, 304 Not Modified", &pipeline, &watchlist.watches).await;
        site.etags.store(false, Ordering::Relaxed);
        let full = pass(
            "re-check, full (fetch, extract, compare)",
            &pipeline,
            &watchlist.watches,
        )
        .await;
        (vec![first, cached, full], count)
    });

    let page = |i: usize| pages[i % pages.len()].as_str();
    let parse_parallel = common::parse_only(count, threads, &page);
    let parse_single = common::parse_only(count, 1, &page);
    println!(
        "pipeline benchmark: {checked} watches on {HOSTS} loopback sites, {} distinct pages, {:.1} MiB of HTML per full pass, {threads} threads",
        pages.len(),
        bytes as f64 / 1048576.0
    );
    for p in &passes {
        let per_second = checked as f64 / p.wall.as_secs_f64();
        let cpu_per_page = p.cpu.as_secs_f64() * 1000.0 / checked as f64;
        println!(
            "  {:<42} {:>8.0} pages/s  {:>6.2} ms CPU/page  wall {:>6.2} s  {:?}",
            p.name,
            per_second,
            cpu_per_page,
            p.wall.as_secs_f64(),
            p.outcomes
        );
    }
    let full = &passes[2];
    println!(
        "  {:<42} {:>8.0} pages/s  wall {:>6.2} s",
        format!("parse only ({threads} threads)"),
        checked as f64 / parse_parallel.as_secs_f64(),
        parse_parallel.as_secs_f64()
    );
    println!(
        "  {:<42} {:>8.0} pages/s  wall {:>6.2} s",
        "parse only (1 thread)",
        checked as f64 / parse_single.as_secs_f64(),
        parse_single.as_secs_f64()
    );
    println!(
        "  full re-check / parse only ({threads} threads): {:.2}x the time",
        full.wall.as_secs_f64() / parse_parallel.as_secs_f64()
    );
    println!(
        "  peak memory (whole process, server included): {:.1} MiB",
        peak_rss_mib()
    );
}
