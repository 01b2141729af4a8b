//! Fuzz targets for the parts that read what others write: the watchlist
//! parser, the extractor (with the charset decoder in front of it) and the
//! diff. Run on stable Rust: a mutational and generative driver without
//! coverage feedback, seeded from the project's own fixtures (see the
//! README's "Fuzzing" section).
//!
//! Each target runs for `REDLINE_FUZZ_SECS` seconds from seed
//! `REDLINE_FUZZ_SEED` (default: a random one, printed). Without
//! `REDLINE_FUZZ_SECS`, as under `cargo test` and CI, each runs one second
//! from a fixed seed, so that the smoke run is quick and repeatable, and
//! without the slowness check, which an unoptimised build would fail. An
//! input that panics, breaks an invariant or (in a long run) takes over
//! [`SLOW`] of CPU is written to `fuzz/crashes/` and fails the target; once
//! fixed it stays there: `saved_crashes_stay_fixed` replays that folder.

#![allow(clippy::unwrap_used, clippy::print_stderr, missing_docs)]

mod articles;
mod html;
mod watchlist;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What one target does with one input: `Err` names a broken invariant.
type Target = fn(&[u8]) -> Result<(), String>;

/// Runs `target` on inputs from `next` until the time budget is spent and
/// reports executions, time and crashes.
fn drive(name: &str, target: Target, mut next: impl FnMut(&mut fastrand::Rng) -> Vec<u8>) {
    let long: Option<f64> = std::env::var("REDLINE_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse().ok());
    let budget = long.map_or(Duration::from_secs(1), Duration::from_secs_f64);
    let slow = if long.is_some() { SLOW } else { Duration::MAX };
    let seed = std::env::var("REDLINE_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            if long.is_some() {
                fastrand::u64(..)
            } else {
                SMOKE_SEED
            }
        });
    let mut rng = fastrand::Rng::with_seed(seed);
    eprintln!("fuzz {name}: seed {seed}, {:.0} s", budget.as_secs_f64());
    let current = Watchdog::start(name);
    let start = Instant::now();
    let (mut runs, mut crashes) = (0u64, Vec::new());
    while start.elapsed() < budget {
        let input = next(&mut rng);
        runs += 1;
        current.watch(&input);
        let began = thread_cpu();
        let verdict = catch_unwind(AssertUnwindSafe(|| target(&input)))
            .unwrap_or_else(|panic| Err(format!("panic: {}", panic_text(&panic))))
            .and_then(|()| match thread_cpu() - began {
                took if took > slow => Err(format!("one input took {took:?} of CPU")),
                _ => Ok(()),
            });
        if let Err(why) = verdict {
            let file = save_crash(name, &input);
            eprintln!("{name}: {why}\n  input saved to {}", file.display());
            crashes.push(why);
        }
    }
    current.stop();
    eprintln!(
        "fuzz {name}: {runs} executions in {:.1} s (seed {seed}), {} crash(es)",
        start.elapsed().as_secs_f64(),
        crashes.len()
    );
    assert!(crashes.is_empty(), "{name}: {crashes:#?}");
}

/// The seed of the one-second smoke run under `cargo test`.
const SMOKE_SEED: u64 = 0x5EED_F022;

/// An input that takes more CPU time than this is a finding, like a panic.
/// CPU time, not wall time: a niced run on a busy machine waits a lot.
const SLOW: Duration = Duration::from_secs(5);
/// An input still running after this much wall time is saved at once, so
/// that one that never ends is kept even when the run is stopped.
const STUCK: Duration = Duration::from_secs(120);

/// This thread's CPU time so far (Linux's `/proc/thread-self/schedstat`;
/// zero elsewhere, which turns the check off).
fn thread_cpu() -> Duration {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .map_or(Duration::ZERO, Duration::from_nanos)
}

/// Saves the input in progress once it has run for [`STUCK`].
struct Watchdog {
    current: Arc<Mutex<InProgress>>,
}

/// The input being run and since when; `None` between inputs.
type InProgress = Option<(Instant, Vec<u8>)>;

impl Watchdog {
    fn start(name: &str) -> Self {
        let current: Arc<Mutex<InProgress>> = Arc::default();
        let (watched, name) = (current.clone(), name.to_owned());
        std::thread::spawn(move || {
            loop {
                std::thread::sleep(Duration::from_secs(1));
                let Some(mut slot) = watched.lock().ok() else {
                    return;
                };
                match slot.as_ref() {
                    Some((began, input)) if began.elapsed() > STUCK => {
                        let file = save_crash(&name, input);
                        eprintln!(
                            "{name}: an input runs for over {STUCK:?}; saved to {}",
                            file.display()
                        );
                        *slot = None;
                    }
                    Some(_) => {}
                    // Stopped (see `stop`).
                    None if Arc::strong_count(&watched) == 1 => return,
                    None => {}
                }
            }
        });
        Watchdog { current }
    }

    fn watch(&self, input: &[u8]) {
        *self.current.lock().unwrap() = Some((Instant::now(), input.to_vec()));
    }

    fn stop(self) {
        *self.current.lock().unwrap() = None;
    }
}

fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "a panic without a message".to_owned())
}

fn save_crash(name: &str, input: &[u8]) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/crashes");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("{name}-{}", blake3::hash(input).to_hex()));
    std::fs::write(&file, input).unwrap();
    file
}

/// Byte-level mutations shared by the targets: flips, cuts, copies and
/// insertions of tokens the format cares about.
pub(crate) fn mutate(rng: &mut fastrand::Rng, input: &mut Vec<u8>, tokens: &[&str]) {
    for _ in 0..rng.usize(1..8) {
        let at = rng.usize(..=input.len());
        match rng.u8(..6) {
            0 if !input.is_empty() => {
                let i = rng.usize(..input.len());
                input[i] ^= 1 << rng.u8(..8);
            }
            1 if !input.is_empty() => {
                let end = (at + rng.usize(..64)).min(input.len());
                input.drain(at.min(end)..end);
            }
            2 if !input.is_empty() => {
                let from = rng.usize(..input.len());
                let end = (from + rng.usize(..256)).min(input.len());
                let copy = input[from..end].to_vec();
                input.splice(at..at, copy);
            }
            3 => input.splice(at..at, [rng.u8(..)]).for_each(drop),
            _ => {
                let token = tokens[rng.usize(..tokens.len())].as_bytes().to_vec();
                input.splice(at..at, token);
            }
        }
    }
}

/// The targets by name, as crash files are named.
const TARGETS: [(&str, Target); 3] = [
    ("watchlist", watchlist::target),
    ("extract", html::target),
    ("diff", articles::target),
];

#[test]
fn saved_crashes_stay_fixed() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/crashes");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    for file in entries.map(|e| e.unwrap().path()) {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let (_, target) = TARGETS
            .iter()
            .find(|(target, _)| name.starts_with(&format!("{target}-")))
            .unwrap_or_else(|| panic!("{name}: no target of that name"));
        let input = std::fs::read(&file).unwrap();
        target(&input).unwrap_or_else(|why| panic!("{name}: {why}"));
    }
}

#[test]
fn fuzz_watchlist() {
    drive("watchlist", watchlist::target, watchlist::input);
}

#[test]
fn fuzz_extract() {
    drive("extract", html::target, html::input);
}

#[test]
fn fuzz_diff() {
    drive("diff", articles::target, articles::input);
}
