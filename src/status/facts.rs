//! What the status pages show, read from the store: each watch's last
//! check, last change and health, and the reports of its changes.
//!
//! Reads only, through a store opened read-only (no lock: the daemon holds
//! it). A change's report is made in one place, [`change_report`], so that
//! it can read the report stored beside each version once the store keeps
//! one. It must not render HTML.

use chrono::{DateTime, Utc};

use crate::check::compare_versions;
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
    /// What changed.
    pub report: Report,
}

/// The facts of `watch` in `store`.
///
/// # Errors
///
/// When its state or versions cannot be read.
pub fn watch_facts(
    store: &Store,
    watch: &Watch,
    next_due: Option<DateTime<Utc>>,
) -> Result<WatchFacts, StoreError> {
    let state = store.state(&watch.name)?;
    let versions = store.versions(&watch.name)?;
    let last_change = match versions.as_slice() {
        [.., _, newest] => Some(store.load(&watch.name, newest.version)?.captured_at),
        _ => None,
    };
    Ok(WatchFacts {
        name: watch.name.to_string(),
        url: watch.url.to_string(),
        last_check: state.last_check,
        last_change,
        last_outcome: state.last_outcome,
        failures: state.failures,
        last_error: state.last_error,
        next_due,
        versions: versions.len(),
    })
}

/// The changes of `watch`, newest first, at most `limit` of them.
///
/// # Errors
///
/// When a version cannot be read.
pub fn changes(store: &Store, watch: &Watch, limit: usize) -> Result<Vec<ChangeFacts>, StoreError> {
    let versions = store.versions(&watch.name)?;
    let mut changes = Vec::new();
    for pair in versions.windows(2).rev().take(limit) {
        changes.push(change_report(store, watch, &pair[0], &pair[1])?);
    }
    Ok(changes)
}

/// The report of the change from version `from` to version `to`. Made by
/// comparing the two stored versions as a check does; the one place to
/// switch to the report stored with each version.
///
/// # Errors
///
/// When either version cannot be read.
pub fn change_report(
    store: &Store,
    watch: &Watch,
    from: &VersionInfo,
    to: &VersionInfo,
) -> Result<ChangeFacts, StoreError> {
    let old = store.load(&watch.name, from.version)?;
    let new = store.load(&watch.name, to.version)?;
    let report = compare_versions(&old.article, &new.article, Some(watch));
    Ok(ChangeFacts {
        watch: watch.name.to_string(),
        url: watch.url.to_string(),
        headline: new.article.headline.clone(),
        from: from.version,
        to: to.version,
        at: new.captured_at,
        report,
    })
}
