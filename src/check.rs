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
//! together in one blocking task, bounded by a semaphore, never on the async
//! workers. This module must not know how alerts are delivered or how
//! reports are rendered.

mod analysis;
mod announce;
mod streak;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::article::Article;
use crate::diff::{self, DiffOptions};
use crate::extract::{ExtractError, Implausible};
use crate::fetch::{FetchError, Fetched, Fetcher, Validators};
use crate::notify::email::{EmailError, Mailer, MailerOptions};
use crate::notify::{Notifier, NotifyError};
use crate::report::Report;
use crate::store::{Store, StoreError, WatchState};
use crate::watchlist::{Watch, WatchName, Watchlist};
use analysis::{Analysis, Verdict};
use announce::Move;

pub use analysis::STABLE_CHECKS;

/// How one check ended.
#[derive(Debug)]
pub enum Outcome {
    /// The first successful check: the article was stored as the baseline
    /// and nothing is reported.
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
}

impl Pipeline {
    /// Builds the pipeline a watchlist describes: its store (locked for
    /// writing), the shared HTTP client and the alert channels.
    ///
    /// # Errors
    ///
    /// When the store is in use or cannot be made, the HTTP client cannot
    /// start, or the email channel cannot be set up.
    pub fn from_watchlist(watchlist: &Watchlist, drive: Drive) -> Result<Self, SetupError> {
        let settings = &watchlist.settings;
        let store = Arc::new(Store::open(&settings.snapshots)?);
        let fetcher = Fetcher::new(settings)?;
        let mailer = match &watchlist.email {
            Some(email) => {
                let mut options = MailerOptions {
                    timezone: settings.timezone,
                    ..MailerOptions::default()
                };
                if drive == Drive::OnePass {
                    options.first_retry = Duration::ZERO;
                    options.max_retry = Duration::ZERO;
                }
                Some(Arc::new(Mailer::open(
                    email.clone(),
                    &settings.snapshots,
                    options,
                )?))
            }
            None => None,
        };
        let notifier = Notifier::new(mailer);
        Ok(Pipeline::new(
            fetcher,
            store,
            notifier,
            settings.failure_alert_after,
            settings.keep_versions,
        ))
    }

    fn new(
        fetcher: Fetcher,
        store: Arc<Store>,
        notifier: Notifier,
        failure_alert_after: u32,
        keep_versions: Option<usize>,
    ) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Pipeline {
            fetcher,
            store,
            notifier,
            cpu: Arc::new(Semaphore::new(cores)),
            failure_alert_after,
            keep_versions,
        }
    }

    /// The store this pipeline writes.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The alert channels.
    pub fn notifier(&self) -> &Notifier {
        &self.notifier
    }

    /// Which of `names` have never been checked (no check recorded in the
    /// store). Reads each watch's state on a blocking thread.
    ///
    /// # Errors
    ///
    /// When a state file cannot be read.
    pub async fn never_checked(
        &self,
        names: Vec<WatchName>,
    ) -> Result<HashSet<WatchName>, CheckError> {
        self.on_store(move |store| {
            let mut fresh = HashSet::new();
            for name in names {
                if store.state(&name)?.last_check.is_none() {
                    fresh.insert(name);
                }
            }
            Ok(fresh)
        })
        .await
    }

    /// Checks `watches` concurrently (at most `limit` at once) and returns
    /// the results in the order given.
    pub async fn check_all(&self, watches: Vec<Watch>, limit: usize) -> Vec<Checked> {
        let limit = Arc::new(Semaphore::new(limit));
        let mut tasks = JoinSet::new();
        for (index, watch) in watches.into_iter().enumerate() {
            let (pipeline, limit) = (self.clone(), limit.clone());
            tasks.spawn(async move {
                let _permit = limit
                    .acquire_owned()
                    .await
                    .expect("the semaphore is never closed");
                (index, pipeline.check(&watch, Utc::now()).await)
            });
        }
        let mut results = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok(result) => results.push(result),
                Err(e) => tracing::error!("a check task failed: {e}"),
            }
        }
        results.sort_by_key(|(index, _)| *index);
        results.into_iter().map(|(_, checked)| checked).collect()
    }

    /// Checks one watch now. Never panics and never returns early: every
    /// failure is recorded in the watch's state and returned.
    pub async fn check(&self, watch: &Watch, now: DateTime<Utc>) -> Checked {
        let name = watch.name.clone();
        let result = match self.on_store(move |store| store.state(&name)).await {
            Ok(mut state) => {
                let result = self.run(watch, &mut state, now).await;
                self.settle(watch, state, result, now).await
            }
            Err(e) => Err(e),
        };
        Checked {
            watch: watch.name.clone(),
            url: watch.url.to_string(),
            result,
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

    async fn run(
        &self,
        watch: &Watch,
        state: &mut WatchState,
        now: DateTime<Utc>,
    ) -> Result<Outcome, CheckError> {
        let caught_up = self.catch_up(watch, state, now).await?;
        // Validators belong to an address: after the watch's URL is edited
        // they would ask the wrong question.
        let validators = if state.url == watch.url.as_str() {
            Validators {
                etag: state.etag.clone(),
                last_modified: state.last_modified.clone(),
            }
        } else {
            Validators::default()
        };
        let page = match self.fetcher.fetch(&watch.url, &validators).await? {
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
            url: page.final_url.to_string(),
            base: state.current_version,
            above: state.announced.max(state.current_version).unwrap_or(0),
            shrink: state.shrink.take(),
            keep_versions: self.keep_versions,
            now,
        };
        let analysed = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            analysis.run()
        })
        .await
        .map_err(|e| CheckError::Task(e.to_string()))?;
        state.shrink = analysed.shrink;
        let outcome = self.hand_over(watch, state, analysed.verdict?, now).await?;
        // Validators are kept only once the page was fully processed, so a
        // failed analysis is retried with a full fetch, not answered by 304.
        state.url = watch.url.to_string();
        state.etag = page.validators.etag;
        state.last_modified = page.validators.last_modified;
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
    async fn catch_up(
        &self,
        watch: &Watch,
        state: &mut WatchState,
        now: DateTime<Utc>,
    ) -> Result<Option<Outcome>, CheckError> {
        let Some(announced) = state.announced else {
            let name = watch.name.clone();
            let newest = self
                .on_store(move |store| Ok(store.versions(&name)?.last().map(|v| v.version)))
                .await?;
            state.announced = newest;
            return Ok(None);
        };
        let (store_watch, mut last) = (watch.clone(), None);
        let moves = self
            .on_store(move |store| announce::unannounced(store, &store_watch, announced))
            .await?;
        for step in moves {
            tracing::info!(watch = %watch.name, from = step.from.version, to = step.to.version, "announcing a version stored by an earlier check");
            self.notifier.send(step.alert(watch, now), watch).await?;
            state.announced = Some(step.to.version);
            state.current_version = Some(step.to.version);
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
            Verdict::Changed {
                from,
                to,
                headline,
                report,
            } => {
                let step = Move {
                    from,
                    to,
                    headline,
                    report,
                    reverted: false,
                };
                self.notifier.send(step.alert(watch, now), watch).await?;
                let (from, to) = (step.from.version, step.to.version);
                state.announced = state.announced.max(Some(to));
                state.current_version = Some(to);
                state.remember_alerted(from, to);
                Outcome::Changed {
                    headline: step.headline,
                    from,
                    to,
                    report: Box::new(step.report),
                }
            }
            Verdict::Returned {
                from,
                to,
                headline,
                report,
            } => {
                let step = Move {
                    from,
                    to,
                    headline,
                    report,
                    reverted: true,
                };
                self.hand_over_return(watch, state, step, now).await?
            }
        };
        Ok(outcome)
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
            self.notifier.send(step.alert(watch, now), watch).await?;
            state.remember_alerted(from, to);
        }
        state.remember_return(now, from, to);
        state.current_version = Some(to);
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
