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
