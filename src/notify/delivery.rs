//! One delivery mechanism for every channel: a durable [`Queue`] over the
//! outbox, its retries with backoff, the "receiver down" shortcut, the
//! delivery pass and the loop that wakes for it.
//!
//! A channel supplies only what is its own through [`Deliver`]: how to
//! deliver one stored item, and whether a failure is worth another attempt
//! ([`Failure`]). Everything else is written here once: the `sent/` marker
//! the moment a receiver accepted an item, refusals kept under `rejected/`,
//! the retry times kept in the entries themselves (so they survive a
//! restart), and a loop that sleeps until the next retry is due or an item
//! arrives, never on a fixed timer while nothing is due.
//!
//! This module must not know what an item means or how any receiver speaks:
//! that is each channel's (`email`, `webhook`, `command`).

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::{Mutex, Notify};
use tokio_util::sync::CancellationToken;

use super::outbox::{Entry, Outbox, OutboxError, Put};

/// Why one delivery attempt failed, as the channel judges it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Worth another attempt later: a timeout, a busy server, a program
    /// that asked to be run again.
    RetryLater(String),
    /// The receiver itself could not be reached (connection refused, no
    /// route): the item is retried later, and the rest of the pass is
    /// deferred without knocking again, since it would fail alike.
    Unreachable(String),
    /// The receiver asked to be called again no sooner than `wait` (its
    /// `Retry-After`): the item and the rest of the pass wait that long at
    /// least.
    Throttled {
        /// Why, in words.
        reason: String,
        /// The receiver's wait.
        wait: Duration,
    },
    /// Refused for good: the item moves to `rejected/` for a person to look
    /// at, and is never retried on its own.
    Refused(String),
}

/// What a channel supplies to the shared queue: the delivery of one item.
pub trait Deliver: Send + Sync + 'static {
    /// What the channel keeps in its outbox: everything needed to deliver
    /// again on any later attempt, byte for byte.
    type Item: Serialize + DeserializeOwned + Send + Sync + 'static;

    /// Delivers `item` (queued under `id`) once. `Ok` means the receiver
    /// accepted it, and it is then never delivered again.
    fn deliver(
        &self,
        id: &str,
        item: &Self::Item,
    ) -> impl Future<Output = Result<(), Failure>> + Send;
}

/// How a queue paces its retries; the defaults suit a daemon.
#[derive(Debug, Clone, Copy)]
pub struct Pacing {
    /// The wait before the first retry; it doubles with each failure.
    pub first_retry: Duration,
    /// The longest wait between two retries.
    pub max_retry: Duration,
    /// The longest the loop sleeps when nothing is due. It need not wake to
    /// find work (a queued item wakes it, and retry times are known): this
    /// only bounds how long an item requeued by another process (`redline
    /// outbox requeue` beside the daemon) can wait.
    pub idle: Duration,
}

impl Pacing {
    /// The daemon's pacing: retries from 30 s doubling up to an hour, and
    /// an hour's sleep at most when nothing is due.
    pub const DAEMON: Pacing = Pacing {
        first_retry: Duration::from_secs(30),
        max_retry: Duration::from_secs(3600),
        idle: Duration::from_secs(3600),
    };

    /// One-pass runs (`redline check`) retry everything on each run.
    pub const ONE_PASS: Pacing = Pacing {
        first_retry: Duration::ZERO,
        max_retry: Duration::ZERO,
        idle: Duration::from_secs(3600),
    };
}

impl Default for Pacing {
    fn default() -> Self {
        Pacing::DAEMON
    }
}

/// What one delivery pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delivery {
    /// Items the receiver accepted.
    pub sent: usize,
    /// Items that failed and wait for a retry.
    pub deferred: usize,
    /// Items refused for good (kept under `rejected/`).
    pub rejected: usize,
}

/// The longest `Retry-After` honoured: a receiver asking for more is
/// called again after a day.
const MAX_THROTTLE: Duration = Duration::from_secs(24 * 3600);

/// Attempts after which an undeliverable item is logged as an error.
const LOUD_AFTER: u32 = 5;

/// The delay before retry number `attempt` (1-based): doubling from
/// `first`, capped at `max`, with up to a tenth added at random so that
/// many queued items do not all knock at the same second.
pub fn backoff(attempt: u32, first: Duration, max: Duration) -> Duration {
    let exp = first.saturating_mul(
        1u32.checked_shl(attempt.saturating_sub(1).min(20))
            .unwrap_or(u32::MAX),
    );
    let base = exp.min(max);
    base + base.mul_f64(fastrand::f64() * 0.1)
}

/// A channel's durable queue: its outbox, its deliverer and its loop.
pub struct Queue<D: Deliver> {
    /// The kind of channel, first word of its log lines (`email`, `webhook`).
    kind: &'static str,
    /// The channel's name, a field of its log lines.
    channel: String,
    deliverer: D,
    outbox: Outbox<D::Item>,
    pacing: Pacing,
    /// Wakes [`Queue::run`] when an item is queued (shared with the
    /// folder watch, which wakes it for items queued by another process).
    wake: Arc<Notify>,
    /// One delivery pass at a time: two passes over the same outbox would
    /// deliver the same entry twice. Held across the delivery on purpose.
    delivering: Mutex<()>,
}

impl<D: Deliver> std::fmt::Debug for Queue<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Queue")
            .field("channel", &self.channel)
            .field("outbox", &self.outbox.dir())
            .finish_non_exhaustive()
    }
}

impl<D: Deliver> Queue<D> {
    /// Opens (creating when needed) the queue of channel `channel` (of
    /// `kind`) in the outbox folder `dir`.
    ///
    /// # Errors
    ///
    /// When the outbox folders cannot be created.
    pub fn open(
        kind: &'static str,
        channel: &str,
        dir: &Path,
        deliverer: D,
        pacing: Pacing,
    ) -> Result<Self, OutboxError> {
        Ok(Queue {
            kind,
            channel: channel.to_owned(),
            deliverer,
            outbox: Outbox::open(dir)?,
            pacing,
            wake: Arc::new(Notify::new()),
            delivering: Mutex::new(()),
        })
    }

    /// The outbox under the queue.
    pub fn outbox(&self) -> &Outbox<D::Item> {
        &self.outbox
    }

    /// The channel's deliverer.
    pub fn deliverer(&self) -> &D {
        &self.deliverer
    }

    /// Puts `item` in the queue under `id`, due now, and wakes the loop.
    /// Durable when it returns; idempotent for an id waiting or delivered.
    ///
    /// # Errors
    ///
    /// When the entry cannot be written: the caller must keep the item.
    pub fn put(&self, id: &str, item: &D::Item, now: DateTime<Utc>) -> Result<Put, OutboxError> {
        let put = self.outbox.put(id, item, now)?;
        self.wake.notify_one();
        Ok(put)
    }

    /// Wakes the loop (an item was queued or requeued beside it).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Items waiting for delivery or retry, oldest first.
    ///
    /// # Errors
    ///
    /// When the outbox cannot be read.
    pub fn pending(&self) -> Result<Vec<Entry<D::Item>>, OutboxError> {
        self.outbox.entries()
    }

    /// Items the receiver refused for good.
    ///
    /// # Errors
    ///
    /// When the outbox cannot be read.
    pub fn rejected(&self) -> Result<Vec<Entry<D::Item>>, OutboxError> {
        self.outbox.rejected()
    }

    /// Puts a refused item back in the queue; returns whether `id` was refused.
    ///
    /// # Errors
    ///
    /// When the outbox cannot be read or written.
    pub fn requeue(&self, id: &str) -> Result<bool, OutboxError> {
        let requeued = self.outbox.requeue(id, Utc::now())?;
        self.wake.notify_one();
        Ok(requeued)
    }

    /// One delivery pass over the items due at `now`. Stops early when
    /// `shutdown` fires (between items, never inside a delivery, so that an
    /// accepted item is always recorded as sent). Outbox files are read and
    /// written on blocking threads.
    ///
    /// # Errors
    ///
    /// When the outbox cannot be read or updated.
    pub async fn deliver_due(
        &self,
        now: DateTime<Utc>,
        shutdown: Option<&CancellationToken>,
    ) -> Result<Delivery, OutboxError> {
        let _pass = self.delivering.lock().await;
        let mut done = Delivery::default();
        // Once the receiver is down or throttling, why and for how long.
        let mut down: Option<(String, Duration)> = None;
        let outbox = self.outbox.clone();
        for entry in off_workers(move || outbox.due(now)).await? {
            if shutdown.is_some_and(CancellationToken::is_cancelled) {
                break;
            }
            // Once the receiver itself failed, the rest of the pass would
            // fail alike: defer them without knocking again.
            if let Some((error, wait)) = &down {
                self.defer(entry, error, now, *wait).await?;
                done.deferred += 1;
                continue;
            }
            match self.deliverer.deliver(&entry.id, &entry.item).await {
                Ok(()) => {
                    // The marker first and at once, on this thread: it is one
                    // file creation, and every moment between the receiver's
                    // acceptance and this record is a moment in which a
                    // crash delivers the item twice.
                    self.outbox.mark_sent(&entry.id)?;
                    let (outbox, id) = (self.outbox.clone(), entry.id.clone());
                    off_workers(move || outbox.settle_sent(&id)).await?;
                    tracing::info!(alert = %entry.id, channel = %self.channel, attempts = entry.attempts + 1, "{} delivered", self.kind);
                    done.sent += 1;
                }
                Err(Failure::Refused(error)) => {
                    self.refuse(entry, &error).await?;
                    done.rejected += 1;
                }
                Err(Failure::RetryLater(error)) => {
                    self.defer(entry, &error, now, Duration::ZERO).await?;
                    done.deferred += 1;
                }
                Err(Failure::Unreachable(error)) => {
                    self.defer(entry, &error, now, Duration::ZERO).await?;
                    done.deferred += 1;
                    down = Some((error, Duration::ZERO));
                }
                Err(Failure::Throttled { reason, wait }) => {
                    let wait = wait.min(MAX_THROTTLE);
                    self.defer(entry, &reason, now, wait).await?;
                    done.deferred += 1;
                    down = Some((reason, wait));
                }
            }
        }
        Ok(done)
    }

    /// Records a failed attempt: the entry is due again after the backoff,
    /// or after `at_least` when the receiver asked for longer.
    async fn defer(
        &self,
        entry: Entry<D::Item>,
        error: &str,
        now: DateTime<Utc>,
        at_least: Duration,
    ) -> Result<(), OutboxError> {
        let wait = backoff(
            entry.attempts + 1,
            self.pacing.first_retry,
            self.pacing.max_retry,
        )
        .max(at_least);
        let next = now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::MAX);
        let (outbox, reason) = (self.outbox.clone(), error.to_owned());
        let entry = off_workers(move || outbox.retry_at(entry, &reason, next)).await?;
        let (kind, channel) = (self.kind, &self.channel);
        if entry.attempts >= LOUD_AFTER {
            tracing::error!(alert = %entry.id, %channel, attempts = entry.attempts, %error, retry_at = %next, "{kind} still undelivered; kept in the outbox");
        } else {
            tracing::warn!(alert = %entry.id, %channel, attempts = entry.attempts, %error, retry_at = %next, "{kind} delivery failed; will retry");
        }
        Ok(())
    }

    async fn refuse(&self, entry: Entry<D::Item>, error: &str) -> Result<(), OutboxError> {
        let id = entry.id.clone();
        let (outbox, reason) = (self.outbox.clone(), error.to_owned());
        let kept = off_workers(move || outbox.reject(entry, &reason)).await?;
        let (kind, channel) = (self.kind, &self.channel);
        tracing::error!(alert = %id, %channel, %error, kept = %kept.display(), "{kind} REFUSED by the receiver for good; not retried, kept for inspection; `redline outbox` lists it and `redline outbox requeue` sends it again");
        Ok(())
    }

    /// The delivery loop of a daemon, until `shutdown` fires: runs
    /// `before` (which may queue work and names the next time it wants to
    /// run), delivers what is due, reports the pass to `after`, then sleeps
    /// until the next retry or `before`'s time, or until an item is
    /// queued. Errors are logged and the pass is tried again later.
    pub async fn run_with<B, F>(
        &self,
        shutdown: CancellationToken,
        mut before: B,
        after: impl Fn(Delivery),
    ) where
        B: FnMut(DateTime<Utc>) -> F,
        F: Future<Output = Option<DateTime<Utc>>>,
    {
        let _watch = super::wake::on_arrival(
            self.outbox.dir(),
            self.wake.clone(),
            &self.channel,
            self.pacing.idle,
        );
        loop {
            let now = Utc::now();
            let wanted = before(now).await;
            let failed = match self.deliver_due(now, Some(&shutdown)).await {
                Ok(done) => {
                    after(done);
                    false
                }
                Err(e) => {
                    tracing::error!(channel = %self.channel, error = %e, "{} delivery pass failed; retrying", self.kind);
                    true
                }
            };
            let outbox = self.outbox.clone();
            let next_retry = off_workers(move || outbox.entries())
                .await
                .ok()
                .and_then(|es| es.iter().map(|e| e.next_attempt).min());
            let sleep = self.sleep_until([wanted, next_retry].into_iter().flatten().min(), failed);
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = tokio::time::sleep(sleep) => {}
                () = self.wake.notified() => {}
            }
        }
    }

    /// How long the loop sleeps before `wake` (at most [`Pacing::idle`]);
    /// after a failed pass, no longer than the first retry's wait.
    fn sleep_until(&self, wake: Option<DateTime<Utc>>, failed: bool) -> Duration {
        let mut longest = self.pacing.idle;
        if failed {
            longest = longest.min(self.pacing.first_retry.max(Duration::from_secs(1)));
        }
        wake.map_or(longest, |w| {
            (w - Utc::now())
                .to_std()
                .unwrap_or(Duration::ZERO)
                .min(longest)
        })
    }

    /// [`Queue::run_with`] with nothing to do before a pass.
    pub async fn run(&self, shutdown: CancellationToken) {
        self.run_with(shutdown, |_| async { None }, |_| {}).await;
    }
}

/// Runs outbox file work on a blocking thread: it reads, writes and syncs
/// files, which must not stall the async workers.
///
/// # Errors
///
/// The work's own error, or an [`OutboxError`] when the thread was lost.
pub async fn off_workers<T: Send + 'static, E: From<OutboxError> + Send + 'static>(
    work: impl FnOnce() -> Result<T, E> + Send + 'static,
) -> Result<T, E> {
    tokio::task::spawn_blocking(work).await.map_err(|e| {
        E::from(OutboxError {
            action: "run",
            path: PathBuf::new(),
            source: std::io::Error::other(e),
        })
    })?
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A receiver that answers from a script, one failure per call, then accepts.
    struct Scripted {
        answers: std::sync::Mutex<Vec<Failure>>,
        calls: AtomicUsize,
    }

    impl Deliver for Scripted {
        type Item = String;
        async fn deliver(&self, _id: &str, _item: &String) -> Result<(), Failure> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            match self.answers.lock().expect("not poisoned").pop() {
                Some(failure) => Err(failure),
                None => Ok(()),
            }
        }
    }

    fn queue(answers: Vec<Failure>) -> (tempfile::TempDir, Queue<Scripted>) {
        let dir = tempfile::tempdir().expect("temp dir");
        let scripted = Scripted {
            answers: std::sync::Mutex::new(answers),
            calls: AtomicUsize::new(0),
        };
        let queue = Queue::open("test", "t", dir.path(), scripted, Pacing::ONE_PASS).expect("open");
        (dir, queue)
    }

    #[tokio::test]
    async fn an_unreachable_receiver_defers_the_rest_of_the_pass() {
        let (_dir, queue) = queue(vec![Failure::Unreachable("refused".into())]);
        let now = Utc::now();
        for id in ["a", "b", "c"] {
            queue.put(id, &id.to_owned(), now).expect("put");
        }
        let done = queue.deliver_due(now, None).await.expect("pass");
        assert_eq!((done.sent, done.deferred, done.rejected), (0, 3, 0));
        assert_eq!(queue.deliverer().calls.load(Ordering::SeqCst), 1);
        let done = queue.deliver_due(Utc::now(), None).await.expect("pass");
        assert_eq!((done.sent, done.deferred), (3, 0));
    }

    #[tokio::test]
    async fn refusals_are_kept_and_retries_counted() {
        let (_dir, queue) = queue(vec![
            Failure::Refused("400".into()),
            Failure::RetryLater("503".into()),
        ]);
        let now = Utc::now();
        queue.put("a", &"x".to_owned(), now).expect("put");
        assert_eq!(
            queue.deliver_due(now, None).await.expect("pass").deferred,
            1
        );
        assert_eq!(queue.pending().expect("pending")[0].attempts, 1);
        let done = queue.deliver_due(Utc::now(), None).await.expect("pass");
        assert_eq!(done.rejected, 1);
        assert_eq!(queue.rejected().expect("rejected")[0].attempts, 2);
        assert!(queue.requeue("a").expect("requeue"));
        assert_eq!(
            queue
                .deliver_due(Utc::now(), None)
                .await
                .expect("pass")
                .sent,
            1
        );
        assert_eq!(
            queue.put("a", &"x".to_owned(), now).expect("put"),
            Put::AlreadySent
        );
    }
}
