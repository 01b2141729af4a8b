//! redline: a change-monitoring daemon for news articles.
//!
//! The modules below follow the pipeline, schedule → fetch → extract →
//! store → diff → notify, then the parts that drive it. Each file says at
//! its top what it owns and what it must not do; ARCHITECTURE.md gives the
//! bird's-eye view.

// The pipeline's stages, in order.
pub mod watchlist; // watchlist.toml → validated, typed settings and watches
pub mod schedule; // crontab expressions and the adaptive policy; spreading checks due together
pub mod feed; // RSS/Atom feeds whose entries become watches; their records in the store
pub mod fetch; // one HTTP client: conditional GET, retries, politeness, size cap
pub mod charset; // which charset a page is really in; mojibake repaired and recognised
pub mod extract; // HTML → Article (headline, metadata, body blocks with emphasis)
pub mod article; // the extracted article: the model every stage shares
pub mod store; // snapshots/: every distinct version, check state, atomic writes
pub mod diff; // two Articles → Report, block by block then word by word
pub mod report; // the change report model and its renderers
pub mod notify; // alerts and their channels (log, email)

// What drives the stages.
pub mod check; // the one place the stages meet: check one watch
pub mod daemon; // schedules checks until stopped; reloads the watchlist
pub mod metrics; // counters the pipeline feeds, served as Prometheus text
pub mod changefeed; // the feed of changes: Atom documents of recent changes, in the store
pub mod status; // the optional status server: /healthz, /metrics, HTML pages, feeds
pub mod demo; // the offline demonstration's loopback web server
pub mod cli; // the command line: definition and glue

/// The async runtime the `redline` binary runs on (and the benchmarks,
/// so that they measure what ships): a worker per core, and at most
/// [`BLOCKING_THREADS`] threads for the blocking work (parsing, the
/// store's synced writes).
///
/// # Errors
///
/// When the runtime's threads or its I/O driver cannot start.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(BLOCKING_THREADS)
        .build()
}

/// How many threads the blocking work may take at once. A check in flight
/// needs one at a time (its analysis, then its writes), and the writes
/// mostly wait for the disk, which more threads would not make faster.
/// Tokio's default (512) let a pass of many watches start twice as many
/// threads as it had checks in flight, each touching its own stack and
/// malloc arena: 2.4 MB more at the peak of a pass, for nothing (measured
/// on `redline check` of 1,000 and 5,000 watches, 16 at once). Past it,
/// blocking work waits for a thread.
pub const BLOCKING_THREADS: usize = 16;

/// An error and all its causes on one line, for logs and stored state:
/// "cannot write …: no space left on device".
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        // Errors that embed their cause's message would otherwise say it twice.
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
