//! The feeds the daemon follows: when each is read next, reading it
//! through the pipeline's fetcher (following a page's link to its feed),
//! and keeping its record of derived watches in the store.
//!
//! A feed that cannot be read is logged and tried again at its next
//! refresh; its watches go on being checked. A feed removed from the
//! watchlist has its watches retired. This module must not check a
//! watch: it says which derived watches exist, and the plan does the rest.

use std::collections::HashSet;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use url::Url;

use crate::feed::{self, Document, Entry, FeedError, Record};
use crate::fetch::{Fetched, Fetcher, Validators};
use crate::watchlist::{Feed, Shard, Watch, WatchName};

/// The feeds followed, with their records.
#[derive(Debug, Default)]
pub(super) struct Feeds {
    tracked: Vec<Tracked>,
    /// The store's root, where the records live.
    root: PathBuf,
    /// This instance's share of the derived watches.
    shard: Option<Shard>,
}

/// One feed, its record and when it is read next.
#[derive(Debug)]
struct Tracked {
    feed: Feed,
    record: Record,
    due: DateTime<Utc>,
    /// Where the feed was last read and the validators its server gave,
    /// so that an unchanged feed costs a 304 (kept in memory: a restart
    /// reads each feed in full once).
    last: Option<(Url, Validators)>,
}

/// A reading to make: the feed and what its last reading left.
#[derive(Debug, Clone)]
pub(super) struct Ask {
    /// The feed.
    pub(super) name: WatchName,
    /// Its address in the watchlist.
    url: Url,
    /// Where it was last read from, with that answer's validators.
    last: Option<(Url, Validators)>,
}

/// A feed's reading.
#[derive(Debug)]
pub(super) struct Reading {
    /// Where the feed was read (after a page's link and redirects).
    source: Url,
    /// Its entries; `None` when the server said it had not changed.
    entries: Option<Vec<Entry>>,
    /// The validators to send next time.
    validators: Validators,
}

impl Feeds {
    /// Loads the records of `feeds` from the store at `root` (a feed
    /// already followed in `before` keeps its next reading time, a new one
    /// is read at once) and retires the watches of feeds no longer listed.
    pub(super) async fn load(
        feeds: &[Feed],
        root: PathBuf,
        shard: Option<Shard>,
        now: DateTime<Utc>,
        before: Feeds,
    ) -> Feeds {
        let (wanted, blocking_root) = (feeds.to_vec(), root.clone());
        let loaded = tokio::task::spawn_blocking(move || {
            retire_removed(&blocking_root, shard, &wanted, now);
            wanted
                .into_iter()
                .filter_map(|feed| {
                    let path = Record::path(&blocking_root, &feed.name, shard);
                    match Record::load(&path) {
                        Ok(record) => Some((feed, record)),
                        Err(e) => {
                            // Its record is left as it is, for a person to look at.
                            tracing::error!(feed = %feed.name, "feed not followed: {}", crate::error_chain(&e));
                            None
                        }
                    }
                })
                .collect::<Vec<_>>()
        })
        .await
        .unwrap_or_default();
        let tracked = loaded
            .into_iter()
            .map(|(feed, record)| {
                let kept = before.tracked.iter().find(|t| t.feed.name == feed.name);
                // A feed whose address changed is read afresh.
                let kept = kept.filter(|t| t.feed.url == feed.url);
                Tracked {
                    due: kept.map_or(now, |t| t.due),
                    last: kept.and_then(|t| t.last.clone()),
                    feed,
                    record,
                }
            })
            .collect();
        Feeds {
            tracked,
            root,
            shard,
        }
    }

    /// The watches of every active entry.
    pub(super) fn watches(&self) -> Vec<Watch> {
        self.tracked
            .iter()
            .flat_map(|t| t.record.watches(&t.feed))
            .collect()
    }

    /// When the next feed is due to be read.
    pub(super) fn next_due(&self) -> Option<DateTime<Utc>> {
        self.tracked.iter().map(|t| t.due).min()
    }

    /// The feeds due to be read at `now`, each planned for its next
    /// reading: the caller reads them ([`read`]) and hands each reading to
    /// [`Feeds::take_in`].
    pub(super) fn due(&mut self, now: DateTime<Utc>) -> Vec<Ask> {
        self.tracked
            .iter_mut()
            .filter(|t| t.due <= now)
            .map(|t| {
                t.due = now + chrono::Duration::from_std(t.feed.refresh).unwrap_or_default();
                Ask {
                    name: t.feed.name.clone(),
                    url: t.feed.url.clone(),
                    last: t.last.clone(),
                }
            })
            .collect()
    }

    /// Takes in a reading of feed `name` at `now`: new entries become
    /// watches, aged ones retire (also when the reading failed), and the
    /// record is saved. Returns whether the set of derived watches changed.
    pub(super) async fn take_in(
        &mut self,
        name: &WatchName,
        reading: Result<Reading, FeedError>,
        now: DateTime<Utc>,
    ) -> bool {
        let shard = self.shard;
        // A feed dropped by a reload while it was read: nothing to take in.
        let Some(tracked) = self.tracked.iter_mut().find(|t| t.feed.name == *name) else {
            return false;
        };
        let (feed, mut record) = (&tracked.feed, tracked.record.clone());
        let mut new = Vec::new();
        match reading {
            Ok(reading) => {
                record.source = Some(crate::watchlist::redacted(&reading.source).to_string());
                tracked.last = Some((reading.source, reading.validators));
                match reading.entries {
                    Some(entries) => {
                        new =
                            record.merge(feed, &entries, now, |n| shard.is_none_or(|s| s.owns(n)));
                    }
                    None => {
                        record.retire(feed, now);
                    }
                }
            }
            Err(e) => {
                // The next reading starts again from the watchlist's
                // address (a page's feed link may have moved).
                tracked.last = None;
                tracing::warn!(feed = %feed.name, url = %crate::watchlist::redacted(&feed.url), error = %crate::error_chain(&e), "feed not read; its watches go on");
                record.retire(feed, now);
            }
        }
        if record == tracked.record {
            return false;
        }
        log_changes(feed, &tracked.record, &record, &new);
        let path = Record::path(&self.root, &feed.name, shard);
        let to_save = record.clone();
        match tokio::task::spawn_blocking(move || to_save.save(&path)).await {
            Ok(Ok(())) => {
                let names = |r: &Record| -> HashSet<WatchName> {
                    r.watches(feed).into_iter().map(|w| w.name).collect()
                };
                let changed = names(&tracked.record) != names(&record);
                tracked.record = record;
                changed
            }
            // Not taken in: the next reading derives the same again.
            Ok(Err(e)) => {
                tracing::error!(feed = %feed.name, "feed record not saved: {}", crate::error_chain(&e));
                false
            }
            Err(e) => {
                tracing::error!(feed = %feed.name, "feed record not saved: {e}");
                false
            }
        }
    }
}

/// Makes the reading `ask` asks for: conditional on the last reading's
/// validators, at the feed's address when the watchlist names a page that
/// links to it.
///
/// # Errors
///
/// When a document cannot be fetched or is neither a feed nor a page
/// linking to one.
pub(super) async fn read(fetcher: &Fetcher, ask: &Ask) -> Result<Reading, FeedError> {
    let (mut url, mut validators) = ask
        .last
        .clone()
        .unwrap_or_else(|| (ask.url.clone(), Validators::default()));
    // A page may name its feed; a feed's address must then be the feed.
    for _ in 0..2 {
        let page = match fetcher.fetch(&url, &validators).await? {
            Fetched::Page(page) => page,
            Fetched::NotModified => {
                return Ok(Reading {
                    source: url,
                    entries: None,
                    validators,
                });
            }
        };
        match feed::read(&page.html, &page.final_url)? {
            Document::Feed(entries) => {
                return Ok(Reading {
                    source: page.final_url,
                    entries: Some(entries),
                    validators: page.validators,
                });
            }
            Document::Page { feed } => (url, validators) = (feed, Validators::default()),
        }
    }
    Err(FeedError::NotAFeed {
        url: crate::watchlist::redacted(&url).to_string(),
        reason: "the page a feed link named is a page again".into(),
    })
}

/// Logs the watches a reading added and retired.
fn log_changes(feed: &Feed, before: &Record, after: &Record, new: &[WatchName]) {
    for derived in after.entries.iter().filter(|d| new.contains(&d.name)) {
        tracing::info!(feed = %feed.name, watch = %derived.name, url = %derived.url, title = derived.title.as_deref().unwrap_or(""), "feed entry watched");
    }
    for derived in after.entries.iter().filter(|d| !d.active()) {
        if before
            .entries
            .iter()
            .any(|b| b.name == derived.name && b.active())
        {
            tracing::info!(feed = %feed.name, watch = %derived.name, "feed entry retired");
        }
    }
}

/// Retires the watches of every feed whose record is in the store but
/// which `feeds` no longer lists (this instance's records only).
fn retire_removed(
    root: &std::path::Path,
    shard: Option<Shard>,
    feeds: &[Feed],
    now: DateTime<Utc>,
) {
    for (name, path) in Record::files(root) {
        let ours = WatchName::parse(&name).is_ok_and(|n| Record::path(root, &n, shard) == path);
        if !ours || feeds.iter().any(|f| f.name.as_str() == name) {
            continue;
        }
        let mut record = match Record::load(&path) {
            Ok(record) => record,
            Err(e) => {
                tracing::error!(feed = %name, "{}", crate::error_chain(&e));
                continue;
            }
        };
        if record.retire_all(now) {
            match record.save(&path) {
                Ok(()) => {
                    tracing::info!(feed = %name, "feed removed from the watchlist; its watches are retired")
                }
                Err(e) => tracing::error!(feed = %name, "{}", crate::error_chain(&e)),
            }
        }
    }
}
