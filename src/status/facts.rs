//! What the status pages show, read from the store: each watch's last
//! check, last change and health, and the reports of its changes.
//!
//! Reads only, through a store opened read-only (no lock: the daemon holds
//! it), and through the [`Memo`] of what earlier views read. A change's
//! report comes from one place, [`change_report`]: the report stored beside
//! each version. It must not render HTML.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::memo::Memo;
use crate::report::Report;
use crate::store::{Store, StoreError, VersionInfo};
use crate::watchlist::Watch;

/// One watch's line on the status page.
#[derive(Debug, Clone)]
pub struct WatchFacts {
    /// The watch's name.
    pub name: String,
    /// Its address.
    pub url: String,
    /// When it was last checked.
    pub last_check: Option<DateTime<Utc>>,
    /// When its newest version was captured, if it ever changed.
    pub last_change: Option<DateTime<Utc>>,
    /// How its last check went, in a word.
    pub last_outcome: Option<String>,
    /// Failed checks in a row.
    pub failures: u32,
    /// The last failure's message.
    pub last_error: Option<String>,
    /// When it is next checked.
    pub next_due: Option<DateTime<Utc>>,
    /// How many versions are stored.
    pub versions: usize,
}

/// One change of one watch: the report between two stored versions.
#[derive(Debug, Clone)]
pub struct ChangeFacts {
    /// The watch's name.
    pub watch: String,
    /// Its address.
    pub url: String,
    /// The headline of the new version.
    pub headline: Option<String>,
    /// The old version.
    pub from: u32,
    /// The new version.
    pub to: u32,
    /// When the new version was captured.
    pub at: DateTime<Utc>,
    /// What changed (shared with the memo that keeps it).
    pub report: Arc<Report>,
}

/// The facts of `watch` in `store`, whose stored versions are `versions`
/// (oldest first).
///
/// # Errors
///
/// When its state or newest version cannot be read.
pub fn watch_facts(
    store: &Store,
    memo: &Memo,
    watch: &Watch,
    versions: &[VersionInfo],
    next_due: Option<DateTime<Utc>>,
) -> Result<WatchFacts, StoreError> {
    let state = memo.state(store, &watch.name)?;
    // A first version is a baseline, not a change.
    let last_change = match versions.len() {
        0 | 1 => None,
        n => Some(memo.made(store, watch, versions, n - 1)?.at),
    };
    Ok(WatchFacts {
        name: watch.name.to_string(),
        url: watch.display_url(),
        last_check: state.last_check,
        last_change,
        last_outcome: state.last_outcome,
        failures: state.failures,
        last_error: state.last_error,
        next_due,
        versions: versions.len(),
    })
}

/// The changes of `watch`, newest first, at most `limit` of them: the
/// change that made each stored version but the first.
///
/// # Errors
///
/// When a version cannot be read.
pub fn changes(
    store: &Store,
    memo: &Memo,
    watch: &Watch,
    versions: &[VersionInfo],
    limit: usize,
) -> Result<Vec<ChangeFacts>, StoreError> {
    let mut changes = Vec::new();
    for index in (1..versions.len()).rev().take(limit) {
        changes.push(change_report(store, memo, watch, versions, index)?);
    }
    Ok(changes)
}

/// The report of the change that made `versions[index]`: the report
/// stored beside it (from the version it names), else a comparison with
/// the version before it, as its alert had it. The one place a page's
/// change comes from.
///
/// # Errors
///
/// When a version cannot be read.
pub fn change_report(
    store: &Store,
    memo: &Memo,
    watch: &Watch,
    versions: &[VersionInfo],
    index: usize,
) -> Result<ChangeFacts, StoreError> {
    let made = memo.made(store, watch, versions, index)?;
    Ok(ChangeFacts {
        watch: watch.name.to_string(),
        url: watch.display_url(),
        headline: made.headline.clone(),
        from: made.from,
        to: versions[index].version,
        at: made.at,
        report: made.report.clone(),
    })
}
