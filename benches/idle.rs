//! Idle cost of the daemon: `redline run` with 10,000 watches on hourly
//! schedules, once every watch has its baseline, sampled from /proc while
//! nothing is due: resident memory, CPU seconds per minute and wake-ups
//! (voluntary context switches) per minute.
//!
//! Run with `cargo bench --bench idle`. `REDLINE_IDLE_WATCHES` sets the
//! number of watches (10,000), `REDLINE_IDLE_SECONDS` the sampling time
//! (90). The pages (the seed article) are served by this process on 16
//! loopback addresses; the daemon is the real binary in a child process.

#![allow(clippy::unwrap_used, clippy::print_stdout, missing_docs)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Timelike;

const HOSTS: u8 = 16;

async fn page(State(served): State<Arc<AtomicUsize>>, headers: HeaderMap) -> Response {
    served.fetch_add(1, Ordering::Relaxed);
    if headers.contains_key(header::IF_NONE_MATCH) {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    let html = redline::demo::SEED_V1;
    let kind = "text/html; charset=utf-8";
    (
        [(header::CONTENT_TYPE, kind), (header::ETAG, "\"seed\"")],
        html,
    )
        .into_response()
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A `/proc/PID/status` counter (`voluntary_ctxt_switches`, …).
fn status_count(pid: &str, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

/// Wake-ups of every thread of `pid` so far (voluntary context switches).
fn wakeups(pid: &str) -> u64 {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).unwrap();
    tasks
        .filter_map(Result::ok)
        .map(|t| {
            let id = t.file_name().to_string_lossy().into_owned();
            status_count(&format!("{pid}/task/{id}"), "voluntary_ctxt_switches")
        })
        .sum()
}

fn main() {
    let count = env_number("REDLINE_IDLE_WATCHES", 10_000) as usize;
    let seconds = env_number("REDLINE_IDLE_SECONDS", 90);
    // The runtime `redline` runs on, so that the figures are the binary's.
    let runtime = redline::runtime().unwrap();
    let served = Arc::new(AtomicUsize::new(0));
    let hosts = runtime.block_on(async {
        let mut hosts = Vec::new();
        for n in 1..=HOSTS {
            let listener = tokio::net::TcpListener::bind(format!("127.0.0.{n}:0"))
                .await
                .unwrap();
            hosts.push(listener.local_addr().unwrap());
            let app = Router::new().fallback(page).with_state(served.clone());
            tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        }
        hosts
    });

    // Hourly, at a minute half an hour away: nothing falls due while sampling.
    let minute = (chrono::Utc::now().minute() + 30) % 60;
    let dir = tempfile::tempdir().unwrap();
    let mut text = format!(
        "[settings]\nschedule = \"{minute} * * * *\"\nper_host_interval = \"0s\"\nconcurrency = 16\n\n"
    );
    for i in 0..count {
        let host = hosts[i % hosts.len()];
        text.push_str(&format!(
            "[[watch]]\nname = \"w{i}\"\nurl = \"http://{host}/p/{i}\"\n"
        ));
    }
    std::fs::write(dir.path().join("watchlist.toml"), text).unwrap();
    let mut daemon = std::process::Command::new(env!("CARGO_BIN_EXE_redline"))
        .current_dir(dir.path())
        .args(["--quiet", "run"])
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let pid = daemon.id().to_string();

    // New watches get their baseline at once: wait for all of them.
    let start = Instant::now();
    while served.load(Ordering::Relaxed) < count && start.elapsed() < Duration::from_secs(900) {
        std::thread::sleep(Duration::from_millis(200));
    }
    let baseline = start.elapsed();
    let settle_cpu = common::cpu_time_of(&pid);
    // Blocking-pool threads of the baseline linger 10 s before they end.
    std::thread::sleep(Duration::from_secs(15));
    let (cpu, wakes, sampled) = (common::cpu_time_of(&pid), wakeups(&pid), Instant::now());
    std::thread::sleep(Duration::from_secs(seconds));
    let minutes = sampled.elapsed().as_secs_f64() / 60.0;
    let idle_cpu = (common::cpu_time_of(&pid) - cpu).as_secs_f64();
    let idle_wakes = wakeups(&pid).saturating_sub(wakes);
    let rss = common::status_mib(&pid, "VmRSS");
    let peak = common::status_mib(&pid, "VmHWM");
    let requests_while_idle = served.load(Ordering::Relaxed) - count;
    daemon.kill().ok();
    daemon.wait().ok();

    println!("idle benchmark: {count} watches, hourly at minute {minute}, sampled {seconds} s");
    println!(
        "  baseline of every watch: {:.1} s wall, {:.1} s CPU",
        baseline.as_secs_f64(),
        settle_cpu.as_secs_f64()
    );
    println!("  idle resident memory:    {rss:.1} MiB (peak while baselining {peak:.1} MiB)");
    println!(
        "  idle CPU:                {:.3} s per minute",
        idle_cpu / minutes
    );
    println!(
        "  idle wake-ups:           {:.1} per minute (voluntary context switches, all threads)",
        idle_wakes as f64 / minutes
    );
    println!("  requests while idle:     {requests_while_idle}");
}
