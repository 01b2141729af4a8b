//! The `log` channel: every alert as one structured `tracing` event, with
//! the change report as readable text.
//!
//! It must not decide anything: it writes what it is given, always.

use super::{Alert, Event};
use crate::report::{self, Format, RenderContext};

/// Writes `alert` to the log: a warning for a failing watch, information
/// otherwise, with the watch, address and versions as fields.
pub fn write(alert: &Alert) {
    let watch = alert.watch.as_str();
    let url = alert.url.as_str();
    match &alert.event {
        Event::Changed {
            headline,
            from_version,
            to_version,
            report,
            reverted,
        } => {
            let (from, to) = (format!("v{from_version}"), format!("v{to_version}"));
            let what = if *reverted {
                "article reverted to an earlier version"
            } else {
                "article changed"
            };
            let context = RenderContext {
                watch: Some(watch),
                url: Some(url),
                headline: headline.as_deref(),
                from: Some(&from),
                to: Some(&to),
            };
            let text = report::render(report, &context, Format::Text);
            tracing::info!(
                watch, url, from = from_version, to = to_version,
                summary = %report.summary(),
                "{what}\n{text}"
            );
        }
        Event::Failing {
            reason,
            failures,
            since,
        } => {
            tracing::warn!(watch, url, failures, %since, reason = %reason, "watch is failing");
        }
        Event::Recovered { failures, since } => {
            tracing::info!(watch, url, failures, %since, "watch recovered");
        }
    }
}
