//! The `log` channel: every alert as one structured `tracing` event under
//! the [`TARGET`] target, carrying the summary and the facts as fields.
//!
//! The rendered report is not logged: a person reads it on standard output
//! (`check`), in an email or on the status page, and a log line holding a
//! whole report would be unreadable as text and useless as JSON. Alerts are
//! the product, so the logging setup keeps [`TARGET`] at `info` even when
//! everything else is quietened (see `cli::Cli::init_logging`). It must not
//! decide anything: it writes what it is given, always.

use super::{Alert, Event};

/// The `tracing` target of alert events, so that a log filter can keep
/// them when it hides everything else.
pub const TARGET: &str = "redline::alert";

/// Writes `alert` to the log: a warning for a failing watch, information
/// otherwise, with the watch, address, versions and summary as fields.
pub fn write(alert: &Alert) {
    let (watch, url, id) = (alert.watch.as_str(), alert.url.as_str(), &alert.id);
    match &alert.event {
        Event::Changed {
            headline,
            from_version,
            to_version,
            report,
            reverted,
        } => {
            let counts = report.counts();
            let what = if *reverted {
                "article reverted to an earlier version"
            } else {
                "article changed"
            };
            tracing::info!(
                target: TARGET,
                watch, url, alert = %id,
                from = from_version, to = to_version,
                headline = headline.as_deref().unwrap_or_default(),
                summary = %report.summary(),
                added = counts.added, removed = counts.removed,
                edited = counts.edited, moved = counts.moved,
                notes = counts.notes, reverted = *reverted,
                "{what}"
            );
        }
        Event::Failing {
            reason,
            failures,
            since,
        } => {
            tracing::warn!(target: TARGET, watch, url, alert = %id, failures, %since, reason = %reason, "watch is failing");
        }
        Event::Recovered { failures, since } => {
            tracing::info!(target: TARGET, watch, url, alert = %id, failures, %since, "watch recovered");
        }
    }
}
