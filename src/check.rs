//! One check of one watch: fetch → extract → compare → store → alert. This
//! is the only place where the stages meet; the daemon and `redline check`
//! both call [`Pipeline::check`].
//!
//! Ordering is what makes a crash harmless. A new version is written to the
//! store (with its change report) before its alert is handed to the
//! channels, and the watch's state records the version as announced only
//! after that hand-off. A crash in between leaves stored versions newer
//! than the last announced one; the next check announces each of them, in
//! order, before it looks at the page, under the same alert ids, so the
//! outbox can tell a repeat from a new alert. A "recovered" alert closes a
//! failure streak only once it was handed over.
//!
//! CPU work (parsing, extraction, diffing) and the store's file I/O run
//! together in one blocking task, never on the async workers; a semaphore
//! bounds the analyses to the cores, and an analysis gives its permit back
//! before it writes a version, so that one check's fsyncs overlap another's
//! parse. This module must not know how alerts are delivered or how
//! reports are rendered.

mod analysis;
mod announce;
mod assemble;
mod streak;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use chrono::{DateTime, Utc};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::article::Article;
use crate::diff::{self, DiffOptions};
use crate::extract::{ExtractError, Implausible};
use crate::fetch::{FetchError, Fetched, Fetcher, Validators};
use crate::metrics::Metrics;
use crate::notify::email::EmailError;
use crate::notify::{Alert, Notifier, NotifyError};
use crate::report::Report;
use crate::store::{Store, StoreError, WatchState};
use crate::watchlist::{Watch, WatchName, Watchlist};
use analysis::{Analysis, Verdict};
// The feed of changes names and rebuilds moves as alerts do.
use announce::Pending;
pub(crate) use announce::{Move, Tag, stored_move};
use assemble::{Parts, email_key};

pub use analysis::STABLE_CHECKS;

/// How many results [`Pipeline::check_each`] may hold while an earlier
/// check is still running: past it, no further check starts until that one
/// ends. Bounds a pass's memory, not its speed, unless one watch is far
/// slower than a thousand others.
const REORDER_WINDOW: usize = 1024;

/// How one check ended.
#[derive(Debug)]
pub enum Outcome {
    /// The first successful check: the article was stored as the baseline
    /// and nothing is reported. Also the first check after an upgrade whose
    /// only difference is what the new version knows (its titles).
    Baseline {
        /// The stored version (1 for a new watch).
        version: u32,
    },
    /// The server answered 304 Not Modified: nothing was extracted.
    NotModified,
    /// The page was fetched and its article is the same as before.
    Unchanged,
    /// The article changed; the new version is stored and alerted.
    Changed {
        /// The headline of the new version.
        headline: Option<String>,
        /// The version compared against.
        from: u32,
        /// The new version.
        to: u32,
        /// What changed (boxed: it is large and the other outcomes are not).
        report: Box<Report>,
    },
    /// The page went back to a version stored earlier (a correction
    /// withdrawn, a paragraph restored). The first time the page makes a
    /// given move it is alerted; a page flip-flopping between two versions
    /// alerts once per direction, not at every check.
    Reverted {
        /// The headline of the version on the page now.
        headline: Option<String>,
        /// The version the page left.
        from: u32,
        /// The earlier version the page shows again.
        to: u32,
        /// Whether this move was alerted now (false: alerted before).
        alerted: bool,
        /// What changed from `from` to `to`.
        report: Box<Report>,
    },
}

impl Outcome {
    /// The outcome in a word, for logs and the stored state.
    pub fn word(&self) -> &'static str {
        match self {
            Outcome::Baseline { .. } => "baseline",
            Outcome::NotModified => "not-modified",
            Outcome::Unchanged => "unchanged",
            Outcome::Changed { .. } => "changed",
            Outcome::Reverted { .. } => "reverted",
        }
    }
}

/// Why a check failed.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// The page could not be fetched.
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// No article could be extracted from the page.
    #[error("extraction failed: {0}")]
    Extract(#[from] ExtractError),
    /// The extraction is implausible next to the last good version (a
    /// consent wall, an error page, a collapsed body): not a change.
    #[error("extraction looks wrong, not treated as a change: {0}")]
    Implausible(#[from] Implausible),
    /// The snapshot store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An alert could not be handed to its channel.
    #[error(transparent)]
    Notify(#[from] NotifyError),
    /// The page differs from the stored version only by mis-decoded text.
    #[error(transparent)]
    Encoding(#[from] crate::charset::EncodingFault),
    /// The analysis task panicked or was cancelled.
    #[error("internal error while analysing the page: {0}")]
    Task(String),
}

/// The result of checking one watch.
#[derive(Debug)]
pub struct Checked {
    /// The watch.
    pub watch: WatchName,
    /// Its address.
    pub url: String,
    /// How it went.
    pub result: Result<Outcome, CheckError>,
    /// What the watch's state knows of the article's life after the check
    /// (published, first seen, last changed): the adaptive schedule's input.
    pub life: Option<crate::schedule::Life>,
}

/// How the pipeline is driven, which sets how undelivered email is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Drive {
    /// The daemon: failed deliveries back off exponentially.
    Daemon,
    /// One pass (`check`, `demo`): the time until the next run is the
    /// backoff, so each run retries everything still in the outbox.
    OnePass,
}

/// Why a pipeline could not be assembled.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The store is in use or cannot be made.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The HTTP client could not start (TLS backend).
    #[error("cannot start the http client: {0}")]
    Http(#[from] reqwest::Error),
    /// The email channel could not be set up (password, certificate, outbox).
    #[error(transparent)]
    Email(#[from] EmailError),
    /// A webhook or command channel could not be set up.
    #[error(transparent)]
    Channel(#[from] crate::notify::named::ChannelError),
}

/// Everything a check needs, shared by all checks of a run.
#[derive(Debug, Clone)]
pub struct Pipeline {
    fetcher: Fetcher,
    store: Arc<Store>,
    notifier: Notifier,
    /// Bounds the analyses running at once to the number of cores: parsing
    /// is CPU work and more threads would only queue.
    cpu: Arc<Semaphore>,
    /// After how many failures in a row a "failing" alert goes out.
    failure_alert_after: u32,
    /// How many versions to keep per watch.
    keep_versions: Option<usize>,
    /// A dry run (`check --dry-run`) fetches, extracts and compares, but
    /// stores nothing and sends nothing.
    dry_run: bool,
    /// How the pipeline is driven, kept so that a reload builds alike.
    drive: Drive,
    /// What the email channel was built from (its settings and time zone,
    /// in words): a reload that changes neither keeps the mailer.
    email_key: String,
    /// Where fetches and alerts are counted.
    metrics: Metrics,
    /// The watches whose last check in this process ended well: everything
    /// it stored was announced and recorded, and nothing else writes their
    /// folders while the store is locked, so their next check need not
    /// list the stored versions to look for unannounced ones. A process
    /// starts with none (an earlier one may have stopped mid-check); one
    /// that checks each watch once keeps none (`None`).
    caught_up: Option<CaughtUp>,
}

/// See [`Pipeline::caught_up`]; shared by the pipelines a reload builds.
type CaughtUp = Arc<Mutex<HashSet<WatchName>>>;

impl Pipeline {
    /// A pipeline for a dry run: the store opened read-only (so it works
    /// beside a running daemon), no channels, nothing written or sent.
    ///
    /// # Errors
    ///
    /// When the HTTP client cannot start.
    pub fn dry_run(watchlist: &Watchlist) -> Result<Self, SetupError> {
        let store = Arc::new(Store::open_read_only(&watchlist.settings.snapshots));
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let parts = Parts {
            store,
            cpu: Arc::new(Semaphore::new(cores)),
            // No channel: a dry run sends nothing.
            mailer: Some(None),
            named: None,
            drive: Drive::OnePass,
            metrics: Metrics::default(),
            caught_up: None,
        };
        let mut pipeline = parts.assemble(watchlist)?;
        pipeline.dry_run = true;
        Ok(pipeline)
    }

    /// Builds the pipeline a watchlist describes: its store (locked for
    /// writing), the shared HTTP client and the alert channels.
    ///
    /// # Errors
    ///
    /// When the store is in use or cannot be made, the HTTP client cannot
    /// start, or the email channel cannot be set up.
    pub fn from_watchlist(watchlist: &Watchlist, drive: Drive) -> Result<Self, SetupError> {
        Self::observed(watchlist, drive, Metrics::default())
    }

    /// Like [`Pipeline::from_watchlist`], counting fetches and alerts in
    /// `metrics` (the daemon's, served by the status server).
    ///
    /// # Errors
    ///
    /// As [`Pipeline::from_watchlist`].
    pub fn observed(
        watchlist: &Watchlist,
        drive: Drive,
        metrics: Metrics,
    ) -> Result<Self, SetupError> {
        let store = Store::open_shard(&watchlist.settings.snapshots, watchlist.settings.shard)?;
        Self::writing(watchlist, store, drive, metrics, Some(CaughtUp::default()))
    }

    /// The pipeline of `redline check`: [`Pipeline::from_watchlist`] with
    /// [`Drive::OnePass`], for a process that checks each watch once. It
    /// keeps nothing only a later check of the same watch would ask for:
    /// the store keeps no state in memory (its cache takes about 0.5 KB a
    /// watch) and no watch is remembered as caught up.
    ///
    /// # Errors
    ///
    /// As [`Pipeline::from_watchlist`].
    pub fn checking_each_once(watchlist: &Watchlist) -> Result<Self, SetupError> {
        let store = Store::open_shard(&watchlist.settings.snapshots, watchlist.settings.shard)?;
        let store = store.keeping_no_states();
        Self::writing(watchlist, store, Drive::OnePass, Metrics::default(), None)
    }

    /// The pipeline `watchlist` describes, writing `store`.
    fn writing(
        watchlist: &Watchlist,
        store: Store,
        drive: Drive,
        metrics: Metrics,
        caught_up: Option<CaughtUp>,
    ) -> Result<Self, SetupError> {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let parts = Parts {
            store: Arc::new(store),
            cpu: Arc::new(Semaphore::new(cores)),
            mailer: None,
            named: Some(Vec::new()),
            drive,
            metrics,
            caught_up,
        };
        parts.assemble(watchlist)
    }

    /// The pipeline a reloaded `watchlist` describes, on the same store:
    /// a new fetcher (timeout, retries, size cap, politeness, user agent),
    /// new alert options, and a new mailer only when `[email]` or the time
    /// zone changed. Checks in flight keep the pipeline they started with.
    /// The store's location is not changed by a reload.
    ///
    /// # Errors
    ///
    /// When the HTTP client or the email channel cannot be set up; the
    /// running pipeline is then left as it is.
    pub fn reconfigured(&self, watchlist: &Watchlist) -> Result<Self, SetupError> {
        let same_email = email_key(watchlist) == self.email_key;
        let parts = Parts {
            store: self.store.clone(),
            cpu: self.cpu.clone(),
            mailer: same_email.then(|| self.notifier.mailer().cloned()),
            named: Some(self.notifier.outlets().to_vec()),
            drive: self.drive,
            metrics: self.metrics.clone(),
            caught_up: self.caught_up.clone(),
        };
        parts.assemble(watchlist)
    }

    /// The store this pipeline writes.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The alert channels.
    pub fn notifier(&self) -> &Notifier {
        &self.notifier
    }

    /// The HTTP client checks fetch with (feeds are read through it too).
    pub fn fetcher(&self) -> &Fetcher {
        &self.fetcher
    }

    /// Where this pipeline counts fetches and alerts.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// The stored check state of each of `names` (what the scheduler needs
    /// to know: ever checked, the article's life). Reads on a blocking
    /// thread.
    ///
    /// # Errors
    ///
    /// When a state file cannot be read.
    pub async fn states(
        &self,
        names: Vec<WatchName>,
    ) -> Result<Vec<(WatchName, WatchState)>, CheckError> {
        self.on_store(move |store| {
            names
                .into_iter()
                .map(|name| Ok((name.clone(), store.state(&name)?)))
                .collect()
        })
        .await
    }

    /// Checks `watches` concurrently (at most `limit` at once) and returns
    /// the results in the order given. Holds every result until the end:
    /// a pass over many watches should use [`Pipeline::check_each`].
    pub async fn check_all(&self, watches: Vec<Watch>, limit: usize) -> Vec<Checked> {
        let mut results = Vec::with_capacity(watches.len());
        self.check_each(watches, limit, |checked| results.push(checked))
            .await;
        results
    }

    /// Checks `watches` concurrently (at most `limit` at once) and hands
    /// each result to `each` in the order given, as soon as it and every
    /// one before it are done, so that a pass keeps no more than a window
    /// of results in memory however many watches it covers.
    /// `watches` is read as checks start: an iterator that clones from a
    /// watchlist holds no more copies than there are checks in flight.
    pub async fn check_each(
        &self,
        watches: impl IntoIterator<Item = Watch>,
        limit: usize,
        mut each: impl FnMut(Checked),
    ) {
        // One pipeline shared by the tasks, not a copy of it for each check.
        let pipeline = Arc::new(self.clone());
        let mut pending = watches.into_iter().enumerate().peekable();
        let (mut tasks, mut places) = (JoinSet::new(), HashMap::new());
        // Results done before an earlier one, waiting for their turn
        // (`None`: a task that failed, whose turn is skipped).
        let mut waiting = BTreeMap::new();
        let mut next = 0;
        loop {
            while tasks.len() < limit.max(1)
                && let Some((index, _)) = pending.peek()
                // A slow check holds back the delivery of the ones after
                // it, not their start, until the window is full.
                && *index < next + REORDER_WINDOW
            {
                let Some((index, watch)) = pending.next() else {
                    break;
                };
                let pipeline = pipeline.clone();
                let task = tasks.spawn(async move { pipeline.check(&watch, Utc::now()).await });
                places.insert(task.id(), index);
            }
            let (id, checked) = match tasks.join_next_with_id().await {
                Some(Ok((id, checked))) => (id, Some(checked)),
                // A check never panics; were one to, its place must not
                // hold back the results after it.
                Some(Err(e)) => {
                    tracing::error!("a check task failed: {e}");
                    (e.id(), None)
                }
                None => break,
            };
            if let Some(index) = places.remove(&id) {
                waiting.insert(index, checked);
            }
            while let Some(checked) = waiting.remove(&next) {
                if let Some(checked) = checked {
                    each(checked);
                }
                next += 1;
            }
        }
    }

    /// Checks one watch now. Never panics and never returns early: every
    /// failure is recorded in the watch's state and returned.
    pub async fn check(&self, watch: &Watch, now: DateTime<Utc>) -> Checked {
        let name = watch.name.clone();
        let mut life = None;
        // A state the store keeps as its files still are costs two `stat`s
        // here, not a round trip to a blocking thread; a state read from its
        // files brings what the catch-up needs from the store in the same
        // trip.
        let before = match self.store.kept_state(&name) {
            Some(state) => Ok((state, None)),
            None => {
                let (watch, settled) = (watch.clone(), self.is_caught_up(&name));
                self.on_store(move |store| {
                    let state = store.state(&watch.name)?;
                    let pending = (!settled || state.announced.is_none())
                        .then(|| announce::pending(store, &watch, state.announced));
                    Ok((state, pending))
                })
                .await
            }
        };
        let result = match before {
            // A dry run records nothing of the check, not even its state.
            Ok((mut state, pending)) if self.dry_run => {
                self.run(watch, &mut state, pending, now).await
            }
            Ok((mut state, pending)) => {
                let loaded = state.clone();
                let result = self.run(watch, &mut state, pending, now).await;
                // Before the state is saved: a crash in between repeats the
                // announcement, and with it the feed's update.
                crate::changefeed::after_check(self.store.clone(), watch, &loaded, &state).await;
                life = state.life();
                let result = self.settle(watch, loaded, state, result, now).await;
                self.record_caught_up(&watch.name, result.is_ok());
                result
            }
            Err(e) => Err(e),
        };
        Checked {
            watch: watch.name.clone(),
            url: watch.display_url(),
            result,
            life,
        }
    }

    /// Whether `name`'s last check in this process ended well (see
    /// [`Pipeline::caught_up`]).
    fn is_caught_up(&self, name: &WatchName) -> bool {
        self.caught_up.as_ref().is_some_and(|caught_up| {
            caught_up
                .lock()
                .expect("the caught-up set's lock is never poisoned: nothing panics holding it")
                .contains(name)
        })
    }

    /// Records whether `name`'s check ended well (see
    /// [`Pipeline::caught_up`]).
    fn record_caught_up(&self, name: &WatchName, ended_well: bool) {
        let Some(caught_up) = &self.caught_up else {
            return;
        };
        let mut caught_up = caught_up
            .lock()
            .expect("the caught-up set's lock is never poisoned: nothing panics holding it");
        if ended_well {
            caught_up.insert(name.clone());
        } else {
            caught_up.remove(name);
        }
    }

    /// Runs `work` on the store in a blocking thread: store calls read and
    /// sync files, which must not stall the async workers.
    async fn on_store<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, CheckError> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || work(&store))
            .await
            .map_err(|e| CheckError::Task(e.to_string()))?
            .map_err(CheckError::from)
    }

    /// Checks `watch`, whose state is `state`, once caught up (`pending`:
    /// what the catch-up needs from the store, when already read).
    async fn run(
        &self,
        watch: &Watch,
        state: &mut WatchState,
        pending: Option<Result<Pending, StoreError>>,
        now: DateTime<Utc>,
    ) -> Result<Outcome, CheckError> {
        let caught_up = self.catch_up(watch, state, pending, now).await?;
        // Validators belong to an address: after the watch's URL is edited
        // they would ask the wrong question.
        let validators = if state.url == watch.display_url() {
            Validators {
                etag: state.etag.clone(),
                last_modified: state.last_modified.clone(),
            }
        } else {
            Validators::default()
        };
        let started = Instant::now();
        let fetched = self.fetcher.fetch(&watch.url, &validators).await;
        let bytes = match &fetched {
            Ok(Fetched::Page(page)) => Some(page.bytes),
            _ => None,
        };
        self.metrics.fetched(started.elapsed(), bytes);
        let fetched = fetched?;
        // The article's life starts when a check first reaches it; a store
        // from before this was kept starts it at its first check since,
        // even one answered 304 (else an adaptive watch would never age).
        state.first_seen.get_or_insert(now);
        let page = match fetched {
            Fetched::NotModified => return Ok(caught_up.unwrap_or(Outcome::NotModified)),
            Fetched::Page(page) => page,
        };
        let permit = self
            .cpu
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| CheckError::Task(e.to_string()))?;
        let analysis = Analysis {
            store: self.store.clone(),
            watch: watch.clone(),
            html: page.html,
            url: crate::watchlist::redacted(&page.final_url).to_string(),
            base: state.current_version,
            shown: state.shows.clone(),
            above: state.announced.max(state.current_version).unwrap_or(0),
            shrink: state.shrink.take(),
            anchor: state.anchor.clone(),
            keep_versions: self.keep_versions,
            dry_run: self.dry_run,
            now,
            cpu: Some(permit),
        };
        let analysed = tokio::task::spawn_blocking(move || analysis.run())
            .await
            .map_err(|e| CheckError::Task(e.to_string()))?;
        state.shrink = analysed.shrink;
        if analysed.prescreened {
            tracing::debug!(watch = %watch.name, "the article's region is unchanged; the page was not parsed");
            self.metrics.prescreened();
        }
        let anchor = analysed.anchor;
        let outcome = self.hand_over(watch, state, analysed.verdict?, now).await?;
        // The page's stated publication, for the adaptive schedule.
        state.published = analysed.published.or(state.published);
        // Kept only while it names the version the state says is shown.
        state.shows = analysed
            .shows
            .filter(|s| Some(s.version) == state.current_version);
        // Validators are kept only once the page was fully processed, so a
        // failed analysis is retried with a full fetch, not answered by 304.
        state.url = watch.display_url();
        state.etag = page.validators.etag;
        state.last_modified = page.validators.last_modified;
        state.anchor = anchor;
        Ok(match (outcome, caught_up) {
            (Outcome::Unchanged, Some(caught_up)) => caught_up,
            (outcome, _) => outcome,
        })
    }

    /// Announces, in order, every stored version above the last announced
    /// one (left by a check that stopped between storing and announcing),
    /// and returns the last as a change. A state that records nothing
    /// announced (new, or moved aside) takes every stored version as
    /// announced: their alerts went out, or were never due, before it.
    /// `pending` is what the catch-up needs from the store, when read
    /// already with the state.
    async fn catch_up(
        &self,
        watch: &Watch,
        state: &mut WatchState,
        pending: Option<Result<Pending, StoreError>>,
        now: DateTime<Utc>,
    ) -> Result<Option<Outcome>, CheckError> {
        if self.is_caught_up(&watch.name) && state.announced.is_some() {
            return Ok(None);
        }
        let pending = match pending {
            Some(pending) => pending?,
            None => {
                let (store_watch, announced) = (watch.clone(), state.announced);
                self.on_store(move |store| announce::pending(store, &store_watch, announced))
                    .await?
            }
        };
        let moves = match pending {
            Pending::Newest(newest) => {
                state.announced = newest;
                return Ok(None);
            }
            Pending::Moves(moves) => moves,
        };
        let mut last = None;
        for step in moves {
            tracing::info!(watch = %watch.name, from = step.from.version, to = step.to.version, "announcing a version stored by an earlier check");
            self.send(step.alert(watch, now), watch).await?;
            state.announced = Some(step.to.version);
            state.current_version = Some(step.to.version);
            state.last_change = Some(now);
            state.remember_alerted(step.from.version, step.to.version);
            last = Some(Outcome::Changed {
                headline: step.headline,
                from: step.from.version,
                to: step.to.version,
                report: Box::new(step.report),
            });
        }
        Ok(last)
    }

    /// Hands the verdict's alert (if any) to the channels and records in
    /// `state` what the page shows now; nothing is recorded when the
    /// hand-off fails, so the next check tries again.
    async fn hand_over(
        &self,
        watch: &Watch,
        state: &mut WatchState,
        verdict: Verdict,
        now: DateTime<Utc>,
    ) -> Result<Outcome, CheckError> {
        let outcome = match verdict {
            Verdict::Baseline { version } => {
                state.announced = state.announced.max(Some(version));
                state.current_version = Some(version);
                Outcome::Baseline { version }
            }
            Verdict::Unchanged => Outcome::Unchanged,
            Verdict::Changed(step) => {
                self.send(step.alert(watch, now), watch).await?;
                let (from, to) = (step.from.version, step.to.version);
                state.announced = state.announced.max(Some(to));
                state.current_version = Some(to);
                state.last_change = Some(now);
                state.remember_alerted(from, to);
                Outcome::Changed {
                    headline: step.headline,
                    from,
                    to,
                    report: Box::new(step.report),
                }
            }
            Verdict::Returned(step) => self.hand_over_return(watch, state, step, now).await?,
        };
        Ok(outcome)
    }

    /// Hands `alert` to the watch's channels; a dry run sends nothing.
    async fn send(&self, alert: Alert, watch: &Watch) -> Result<(), NotifyError> {
        if self.dry_run {
            return Ok(());
        }
        self.notifier.send(alert, watch).await
    }

    /// A return to an earlier version: alerted the first time the page
    /// makes this move, recorded every time.
    async fn hand_over_return(
        &self,
        watch: &Watch,
        state: &mut WatchState,
        step: Move,
        now: DateTime<Utc>,
    ) -> Result<Outcome, CheckError> {
        let (from, to) = (step.from.version, step.to.version);
        let alerted = !state.was_alerted(from, to);
        if alerted {
            self.send(step.alert(watch, now), watch).await?;
            state.remember_alerted(from, to);
        }
        state.remember_return(now, from, to);
        state.current_version = Some(to);
        state.last_change = Some(now);
        Ok(Outcome::Reverted {
            headline: step.headline,
            from,
            to,
            alerted,
            report: Box::new(step.report),
        })
    }
}

/// Compares two stored articles the way a check does; used by `redline diff`.
pub fn compare_versions(old: &Article, new: &Article, watch: Option<&Watch>) -> Report {
    let options = DiffOptions {
        ignore_text: watch.map(|w| w.ignore_text.clone()).unwrap_or_default(),
    };
    diff::compare(old, new, &options)
}
