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

use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::sync::Semaphore;

use crate::article::Article;
use crate::diff::{self, DiffOptions};
use crate::extract::{self, ExtractError, ExtractOptions, Implausible};
use crate::fetch::{FetchError, Fetched, Fetcher, Validators};
use crate::notify::{Alert, Event, Notifier, NotifyError};
use crate::report::Report;
use crate::store::{Store, StoreError, WatchState};
use crate::watchlist::{Watch, WatchName};

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
    /// Assembles a pipeline.
    pub fn new(
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

    /// Checks one watch now. Never panics and never returns early: every
    /// failure is recorded in the watch's state and returned.
    pub async fn check(&self, watch: &Watch, now: DateTime<Utc>) -> Checked {
        let result = match self.store.state(&watch.name) {
            Ok(mut state) => {
                let result = self.run(watch, &mut state, now).await;
                self.settle(watch, state, result, now).await
            }
            Err(e) => Err(e.into()),
        };
        Checked {
            watch: watch.name.clone(),
            url: watch.url.to_string(),
            result,
        }
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
        let page = match self.fetcher.fetch(&watch.url, &validators).await? {
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
        if let (Some(keep), Outcome::Changed { .. }) = (self.keep_versions, &outcome) {
            self.store.prune(&watch.name, keep)?;
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
        if let Err(e) = self.store.save_state(&watch.name, &state) {
            tracing::error!(watch = %watch.name, error = %crate::error_chain(&e), "cannot save the watch's state");
            return result.and(Err(e.into()));
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
    now: DateTime<Utc>,
}

impl Analysis {
    fn run(self) -> Result<Outcome, CheckError> {
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
        drop(self.html);
        let name = &self.watch.name;
        let current = match self.current {
            Some(version) => Some(self.store.load(name, version)?),
            None => self.store.latest(name)?,
        };
        let Some(current) = current else {
            let stored = self.store.add_version(name, article, &self.url, self.now)?;
            return Ok(Outcome::Baseline {
                version: stored.version,
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
            None => {
                self.store
                    .add_version(name, article, &self.url, self.now)?
                    .version
            }
        };
        Ok(Outcome::Changed {
            headline,
            from: current.version,
            to,
            report: Box::new(report),
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
