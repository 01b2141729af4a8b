//! One check of one watch: fetch → extract → compare → store → alert. This
//! is the only place where the stages meet; the daemon and `redline check`
//! both call [`Pipeline::check`].
//!
//! Ordering is what makes a crash harmless. A new version is written to the
//! store before its alert is handed to the channels, and the watch's state
//! records the version as announced only after that hand-off. A crash in
//! between leaves a stored version that is newer than the last announced
//! one; the next check finds it and announces it then, under the same alert
//! id, so the outbox can tell it apart from a new alert.
//!
//! CPU work (parsing, extraction, diffing) and the store's file I/O run
//! together in one blocking task, bounded by a semaphore, never on the async
//! workers. This module must not know how alerts are delivered or how
//! reports are rendered.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::article::Article;
use crate::diff::{self, DiffOptions};
use crate::extract::{self, ExtractError, ExtractOptions, Implausible};
use crate::fetch::{FetchError, Fetched, Fetcher, Validators};
use crate::metrics::Metrics;
use crate::notify::email::{EmailError, Mailer, MailerOptions};
use crate::notify::{Alert, Event, Notifier, NotifyError};
use crate::report::Report;
use crate::store::{Store, StoreError, WatchState};
use crate::watchlist::{Watch, WatchName, Watchlist};

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
    /// The page went back to a version already seen and announced: no alert
    /// (a page flip-flopping between A/B versions alerts once per version).
    Reverted {
        /// The earlier version the page shows again.
        to: u32,
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
}

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
            drive: Drive::OnePass,
            metrics: Metrics::default(),
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
        let store = Arc::new(Store::open_shard(
            &watchlist.settings.snapshots,
            watchlist.settings.shard,
        )?);
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let parts = Parts {
            store,
            cpu: Arc::new(Semaphore::new(cores)),
            mailer: None,
            drive,
            metrics,
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
            drive: self.drive,
            metrics: self.metrics.clone(),
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

    /// Where this pipeline counts fetches and alerts.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
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
        self.check_all_with(watches, limit, |_| {}).await
    }

    /// [`Pipeline::check_all`], calling `done` as each check ends (a
    /// progress bar).
    pub async fn check_all_with(
        &self,
        watches: Vec<Watch>,
        limit: usize,
        done: impl Fn(&Checked) + Clone + Send + 'static,
    ) -> Vec<Checked> {
        let limit = Arc::new(Semaphore::new(limit));
        let mut tasks = JoinSet::new();
        for (index, watch) in watches.into_iter().enumerate() {
            let (pipeline, limit, done) = (self.clone(), limit.clone(), done.clone());
            tasks.spawn(async move {
                let _permit = limit
                    .acquire_owned()
                    .await
                    .expect("the semaphore is never closed");
                let checked = pipeline.check(&watch, Utc::now()).await;
                done(&checked);
                (index, checked)
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
            // A dry run records nothing of the check, not even its state.
            Ok(mut state) if self.dry_run => self.run(watch, &mut state, now).await,
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
        let started = Instant::now();
        let fetched = self.fetcher.fetch(&watch.url, &validators).await;
        let bytes = match &fetched {
            Ok(Fetched::Page(page)) => Some(page.bytes),
            _ => None,
        };
        self.metrics.fetched(started.elapsed(), bytes);
        let page = match fetched? {
            Fetched::NotModified => return Ok(Outcome::NotModified),
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
            announced: state.announced,
            current: state.current_version,
            keep_versions: self.keep_versions,
            dry_run: self.dry_run,
            now,
        };
        let outcome = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            analysis.run()
        })
        .await
        .map_err(|e| CheckError::Task(e.to_string()))??;
        self.announce(watch, &outcome, now).await?;
        // Validators are kept only once the page was fully processed, so a
        // failed analysis is retried with a full fetch, not answered by 304.
        state.url = watch.url.to_string();
        state.etag = page.validators.etag;
        state.last_modified = page.validators.last_modified;
        match &outcome {
            Outcome::Baseline { version }
            | Outcome::Reverted { to: version }
            | Outcome::Changed { to: version, .. } => {
                state.current_version = Some(*version);
                state.announced = state.announced.max(Some(*version));
            }
            Outcome::NotModified | Outcome::Unchanged => {}
        }
        Ok(outcome)
    }

    async fn announce(
        &self,
        watch: &Watch,
        outcome: &Outcome,
        now: DateTime<Utc>,
    ) -> Result<(), CheckError> {
        let Outcome::Changed {
            headline,
            from,
            to,
            report,
        } = outcome
        else {
            return Ok(());
        };
        if self.dry_run {
            return Ok(());
        }
        let alert = Alert {
            id: format!("{}/v{to}", watch.name),
            watch: watch.name.clone(),
            url: watch.url.to_string(),
            time: now,
            event: Event::Changed {
                headline: headline.clone(),
                from_version: *from,
                to_version: *to,
                report: Report::clone(report),
            },
        };
        self.notifier.send(alert, watch).await?;
        Ok(())
    }

    /// Records the check in the watch's state, turns failure streaks into
    /// one "failing" and one "recovered" alert, and saves the state.
    async fn settle(
        &self,
        watch: &Watch,
        mut state: WatchState,
        result: Result<Outcome, CheckError>,
        now: DateTime<Utc>,
    ) -> Result<Outcome, CheckError> {
        state.last_check = Some(now);
        let event = match &result {
            Ok(outcome) => {
                state.last_outcome = Some(outcome.word().to_owned());
                let recovered = state.failure_alerted.then(|| Event::Recovered {
                    failures: state.failures,
                    since: state.failing_since.unwrap_or(now),
                });
                state.failures = 0;
                state.failing_since = None;
                state.last_error = None;
                state.failure_alerted = false;
                recovered
            }
            Err(error) => {
                let reason = crate::error_chain(error);
                state.last_outcome = Some("failed".to_owned());
                state.failures += 1;
                let since = *state.failing_since.get_or_insert(now);
                state.last_error = Some(reason.clone());
                let due = state.failures >= self.failure_alert_after && !state.failure_alerted;
                due.then_some(Event::Failing {
                    reason,
                    failures: state.failures,
                    since,
                })
            }
        };
        if let Some(event) = event {
            let kind = if matches!(event, Event::Failing { .. }) {
                "failing"
            } else {
                "recovered"
            };
            let since = state.failing_since.unwrap_or(now);
            let alert = Alert {
                id: format!("{}/{kind}/{}", watch.name, since.timestamp()),
                watch: watch.name.clone(),
                url: watch.url.to_string(),
                time: now,
                event,
            };
            let is_failing = kind == "failing";
            match self.notifier.send(alert, watch).await {
                Ok(()) => state.failure_alerted = is_failing,
                Err(e) => {
                    tracing::error!(watch = %watch.name, error = %crate::error_chain(&e), "cannot hand over the {kind} alert; will try again at the next check")
                }
            }
        }
        let name = watch.name.clone();
        if let Err(e) = self
            .on_store(move |store| store.save_state(&name, &state))
            .await
        {
            tracing::error!(watch = %watch.name, error = %crate::error_chain(&e), "cannot save the watch's state");
            return result.and(Err(e));
        }
        result
    }
}

/// The blocking part of a check: extract, compare with the current version,
/// store what is new. Owns everything it touches so that it can run on a
/// blocking thread; `scraper::Html` lives and dies inside [`extract::extract`].
struct Analysis {
    store: Arc<Store>,
    watch: Watch,
    html: String,
    url: String,
    /// The newest version whose alert was handed over.
    announced: Option<u32>,
    /// The version the page showed at the last successful check.
    current: Option<u32>,
    /// How many versions to keep (`None`: all).
    keep_versions: Option<usize>,
    /// Store nothing: report the version a real check would store.
    dry_run: bool,
    now: DateTime<Utc>,
}

impl Analysis {
    fn run(mut self) -> Result<Outcome, CheckError> {
        let options = ExtractOptions {
            selector: self.watch.selector.as_ref().map(|s| s.selector.clone()),
            ignore: self
                .watch
                .ignore
                .iter()
                .map(|s| s.selector.clone())
                .collect(),
        };
        let article = extract::extract(&self.html, &options)?;
        drop(std::mem::take(&mut self.html));
        let name = &self.watch.name;
        let current = match self.current {
            Some(version) => Some(self.store.load(name, version)?),
            None => self.store.latest(name)?,
        };
        let Some(current) = current else {
            return Ok(Outcome::Baseline {
                version: self.keep(article)?,
            });
        };
        extract::check_plausible(&current.article, &article)?;
        let fingerprint = article.fingerprint();
        if fingerprint == current.fingerprint {
            return Ok(Outcome::Unchanged);
        }
        let options = DiffOptions {
            ignore_text: self.watch.ignore_text.clone(),
        };
        let report = diff::compare(&current.article, &article, &options);
        if report.is_empty() {
            // Only invisible or masked differences: not a change, not stored.
            return Ok(Outcome::Unchanged);
        }
        let seen = self
            .store
            .versions(name)?
            .into_iter()
            .find(|v| fingerprint.0.starts_with(&v.fingerprint.0));
        let headline = article.headline.clone();
        let to = match seen {
            Some(earlier) if Some(earlier.version) <= self.announced => {
                return Ok(Outcome::Reverted {
                    to: earlier.version,
                });
            }
            // Stored by a check that stopped before announcing it.
            Some(unannounced) => unannounced.version,
            None => self.keep(article)?,
        };
        Ok(Outcome::Changed {
            headline,
            from: current.version,
            to,
            report: Box::new(report),
        })
    }

    /// Stores `article` as the watch's next version (pruning old ones) and
    /// returns its number; a dry run only says which number it would get.
    fn keep(&self, article: Article) -> Result<u32, CheckError> {
        let name = &self.watch.name;
        if self.dry_run {
            let newest = self.store.versions(name)?.last().map_or(0, |v| v.version);
            return Ok(newest + 1);
        }
        let stored = self.store.add_version(name, article, &self.url, self.now)?;
        if let Some(keep) = self.keep_versions {
            self.store.prune(name, keep)?;
        }
        Ok(stored.version)
    }
}

/// Compares two stored articles the way a check does; used by `redline diff`.
pub fn compare_versions(old: &Article, new: &Article, watch: Option<&Watch>) -> Report {
    let options = DiffOptions {
        ignore_text: watch.map(|w| w.ignore_text.clone()).unwrap_or_default(),
    };
    diff::compare(old, new, &options)
}

/// What a reload carries over from the running pipeline into the next.
struct Parts {
    store: Arc<Store>,
    cpu: Arc<Semaphore>,
    /// `Some(mailer)` to keep the running email channel (or its absence),
    /// `None` to build one from the watchlist.
    mailer: Option<Option<Arc<Mailer>>>,
    drive: Drive,
    metrics: Metrics,
}

impl Parts {
    /// The pipeline `watchlist`'s settings describe, on these parts.
    fn assemble(self, watchlist: &Watchlist) -> Result<Pipeline, SetupError> {
        let settings = &watchlist.settings;
        let fetcher = Fetcher::new(settings)?;
        let mailer = match self.mailer {
            Some(kept) => kept,
            None => match &watchlist.email {
                Some(email) => {
                    let mut options = MailerOptions {
                        timezone: settings.timezone,
                        metrics: self.metrics.clone(),
                        ..MailerOptions::default()
                    };
                    if self.drive == Drive::OnePass {
                        options.first_retry = Duration::ZERO;
                        options.max_retry = Duration::ZERO;
                    }
                    let dir = self.store.outbox_dir("email");
                    Some(Arc::new(Mailer::open(email.clone(), &dir, options)?))
                }
                None => None,
            },
        };
        Ok(Pipeline {
            fetcher,
            store: self.store,
            notifier: Notifier::new(mailer).with_metrics(self.metrics.clone()),
            cpu: self.cpu,
            failure_alert_after: settings.failure_alert_after,
            keep_versions: settings.keep_versions,
            drive: self.drive,
            email_key: email_key(watchlist),
            metrics: self.metrics,
            dry_run: false,
        })
    }
}

/// What the email channel is built from, in words. The settings' debug
/// output names the password's source, never the password, so comparing
/// it compares everything that matters.
fn email_key(watchlist: &Watchlist) -> String {
    format!("{:?} {}", watchlist.email, watchlist.settings.timezone)
}
