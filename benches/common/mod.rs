//! What the benchmarks share: this process's CPU time and peak memory read
//! from /proc (no unsafe code, no extra crate), and parse-only timing, the
//! floor every pipeline figure is compared with. Owns no benchmark logic.

#![allow(dead_code)]

use std::time::Duration;

/// The kernel's clock ticks per second for /proc times (`USER_HZ`, 100 on
/// every Linux that redline targets).
const TICKS_PER_SECOND: u64 = 100;

/// CPU time (user + system) of the process `pid` so far (`"self"` for this
/// one), from /proc/PID/stat; zero when it cannot be read.
pub fn cpu_time_of(pid: &str) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The command name may hold spaces: count fields after its ")".
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let ticks: u64 = [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i)?.parse::<u64>().ok())
        .sum();
    Duration::from_millis(ticks * 1000 / TICKS_PER_SECOND)
}

/// CPU time (user + system) of this process so far.
pub fn cpu_time() -> Duration {
    cpu_time_of("self")
}

/// A `Vm…:` line of /proc/PID/status in MiB (`VmHWM` is the peak resident
/// memory, `VmRSS` the current one); zero when it cannot be read.
pub fn status_mib(pid: &str, field: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}

/// Peak resident memory of this process so far, in MiB.
pub fn peak_rss_mib() -> f64 {
    status_mib("self", "VmHWM")
}

/// Starts the peak-memory count afresh (writing 5 to clear_refs resets
/// `VmHWM` to the current resident size), so that each pass reports its
/// own peak. Returns false where the kernel refuses.
pub fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// Parses pages `0..count` (`page(i)` gives page `i`) with
/// `scraper::Html::parse_document` on `threads` threads; returns the wall
/// time taken.
pub fn parse_only<'a>(
    count: usize,
    threads: usize,
    page: &(dyn Fn(usize) -> &'a str + Sync),
) -> Duration {
    let start = std::time::Instant::now();
    std::thread::scope(|scope| {
        for t in 0..threads {
            scope.spawn(move || {
                for i in (t..count).step_by(threads) {
                    let html = scraper::Html::parse_document(page(i));
                    std::hint::black_box(&html);
                }
            });
        }
    });
    start.elapsed()
}
