//! `redline list`'s part for feeds: each `[[feed]]` of the watchlist with
//! the watches derived from its entries, read from the store's records:
//! active ones listed like any watch, retired ones a line each.
//!
//! Glue only: the records are `feed`'s, the rows `watches`'. It must not
//! write the store.

use std::path::Path;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::json;

use super::human_time;
use crate::feed::{Derived, Record};
use crate::watchlist::{Feed, Watch, Watchlist};

/// One feed as `list` shows it.
pub(super) struct Listed<'a> {
    /// The feed's settings.
    pub(super) feed: &'a Feed,
    /// The watches of its active entries.
    pub(super) active: Vec<Watch>,
    /// Its retired entries.
    pub(super) retired: Vec<Derived>,
}

/// The feeds of `watchlist` with their entries as the store at `root`
/// records them (every shard's record of each).
pub(super) fn listed<'a>(watchlist: &'a Watchlist, root: &Path) -> Vec<Listed<'a>> {
    let files = Record::files(root);
    watchlist
        .feeds
        .iter()
        .map(|feed| {
            let entries: Vec<Derived> = files
                .iter()
                .filter(|(name, _)| name == feed.name.as_str())
                .flat_map(|(_, path)| {
                    Record::load(path).map_or_else(
                        |e| {
                            // One damaged record must not hide the others.
                            eprintln!("redline: {e}");
                            Vec::new()
                        },
                        |record| record.entries,
                    )
                })
                .collect();
            let (active, retired): (Vec<Derived>, Vec<Derived>) =
                entries.into_iter().partition(Derived::active);
            Listed {
                feed,
                active: active.into_iter().map(|d| feed.watch(d.url)).collect(),
                retired,
            }
        })
        .collect()
}

impl Listed<'_> {
    /// The feed's heading line.
    pub(super) fn heading(&self) -> String {
        format!(
            "feed {}  {}  ·  {} watched, {} retired",
            self.feed.name,
            crate::watchlist::redacted(&self.feed.url),
            self.active.len(),
            self.retired.len()
        )
    }

    /// One line per retired entry.
    pub(super) fn retired_lines(&self, now: DateTime<Utc>) -> Vec<String> {
        self.retired
            .iter()
            .map(|d| {
                let title = d
                    .title
                    .as_deref()
                    .map(|t| format!("  “{t}”"))
                    .unwrap_or_default();
                let when = d.retired.map(|t| human_time(t, now)).unwrap_or_default();
                format!("  retired {}  {}{title}  ·  {when}", d.name, d.url)
            })
            .collect()
    }

    /// The retired entries as JSON objects.
    pub(super) fn retired_json(&self) -> Vec<serde_json::Value> {
        let second =
            |t: Option<DateTime<Utc>>| t.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true));
        self.retired
            .iter()
            .map(|d| {
                json!({
                    "name": d.name.as_str(),
                    "url": d.url.as_str(),
                    "feed": self.feed.name.as_str(),
                    "title": d.title,
                    "published": second(d.published),
                    "retired": second(d.retired),
                })
            })
            .collect()
    }
}
