//! The `email` channel: change, failing and recovered alerts as mail that a
//! newsroom can trust, delivered through a durable outbox.
//!
//! The [`Mailer`] is the channel's one entry point. [`Mailer::enqueue`]
//! writes the alert to the outbox (`<store>/.outbox/email/`) before it
//! returns; [`Mailer::run`] (the daemon) and [`Mailer::flush`] (`redline
//! check`) deliver what is due, retry failures with backoff across
//! restarts, keep permanent refusals for inspection, and never send an
//! alert twice once the server accepted it. Alerts about one article are
//! threaded (`In-Reply-To`/`References` to its first alert); a digest
//! schedule gathers change alerts into one message.
//!
//! Its settings are the configuration's (`crate::watchlist::email`, the
//! `[email]` table). Parts: [`summary`], [`text`] and
//! [`html`] (the words and the two MIME parts), [`message`] (the lettre
//! message), [`transport`] (SMTP and `test-email`), [`digest`]. This module
//! must not decide whether or when an alert is due: the pipeline hands
//! alerts over, and failure alerts arrive as [`crate::notify::Event`]s.

pub mod digest;
pub mod html;
pub mod message;
pub mod summary;
pub mod text;
pub mod transport;

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use tokio::sync::{Mutex, Notify};
use tokio_util::sync::CancellationToken;

use crate::notify::outbox::{Entry, Outbox, OutboxError, Put};
use crate::notify::{Alert, Event};
use crate::store::write_atomic;

pub use crate::watchlist::email::{DigestChoice, EmailSettings, WatchEmail};
pub use message::Mail;
pub use transport::{TestEmailError, send_test};

/// Why the email channel could not be set up or could not queue an alert.
#[derive(Debug, thiserror::Error)]
pub enum EmailError {
    /// The SMTP password could not be read.
    #[error(
        "email: no smtp password in {0}; set it, or remove username from [email] if the server needs no login"
    )]
    Password(String),
    /// The extra certificate could not be used.
    #[error("email: cannot use ca_file {}: {reason}; give a PEM certificate", path.display())]
    CaFile {
        /// The file.
        path: PathBuf,
        /// Why it cannot be used.
        reason: String,
    },
    /// TLS could not be set up.
    #[error("email: cannot set up tls: {0}")]
    Tls(String),
    /// The outbox could not be read or written.
    #[error(transparent)]
    Outbox(#[from] OutboxError),
}

/// How the mailer paces itself; the defaults suit a daemon.
#[derive(Debug, Clone)]
pub struct MailerOptions {
    /// The time zone digest schedules are read in.
    pub timezone: Tz,
    /// The wait before the first retry; it doubles with each failure.
    pub first_retry: Duration,
    /// The longest wait between two retries.
    pub max_retry: Duration,
    /// The longest the daemon loop sleeps without looking at the outbox.
    pub idle: Duration,
    /// Where the daemon loop counts deliveries.
    pub metrics: crate::metrics::Metrics,
}

impl Default for MailerOptions {
    fn default() -> Self {
        MailerOptions {
            timezone: Tz::UTC,
            first_retry: Duration::from_secs(30),
            max_retry: Duration::from_secs(3600),
            idle: Duration::from_secs(60),
            metrics: crate::metrics::Metrics::default(),
        }
    }
}

/// What one delivery pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delivery {
    /// Messages the server accepted.
    pub sent: usize,
    /// Messages that failed and wait for a retry.
    pub deferred: usize,
    /// Messages refused for good (kept under `rejected/`).
    pub rejected: usize,
}

/// The first alert of an article: later alerts about it reply to it.
#[derive(Debug, Serialize, Deserialize)]
struct Thread {
    url: String,
    root: String,
}

/// Attempts after which an undeliverable message is logged as an error.
const LOUD_AFTER: u32 = 5;

/// The email channel: settings, SMTP transport and outbox.
pub struct Mailer {
    settings: EmailSettings,
    smtp: transport::Smtp,
    mail: Outbox<Mail>,
    digests: Outbox<digest::Pending>,
    threads: PathBuf,
    options: MailerOptions,
    /// Wakes [`Mailer::run`] when an alert is queued.
    wake: Notify,
    /// One delivery pass at a time: two passes over the same outbox would
    /// send the same entry twice. Held across the SMTP exchange on purpose.
    delivering: Mutex<()>,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("settings", &self.settings)
            .field("outbox", &self.mail.dir())
            .finish_non_exhaustive()
    }
}

impl Mailer {
    /// The outbox folder of the email channel under a snapshot store root.
    pub fn outbox_dir(store_root: &Path) -> PathBuf {
        store_root.join(".outbox").join("email")
    }

    /// Builds the mailer: reads the password now and opens the outbox in
    /// `dir` ([`Mailer::outbox_dir`] of the store, or the store's
    /// `outbox_dir("email")` for a shard).
    ///
    /// # Errors
    ///
    /// [`EmailError`] when the password, certificate or outbox is unusable.
    pub fn open(
        settings: EmailSettings,
        dir: &Path,
        options: MailerOptions,
    ) -> Result<Self, EmailError> {
        let smtp = transport::build(&settings)?;
        let threads = dir.join("threads");
        std::fs::create_dir_all(&threads).map_err(|source| OutboxError {
            action: "create",
            path: threads.clone(),
            source,
        })?;
        // Opened under the store's lock: a temporary file is a killed
        // writer's leftover.
        crate::store::remove_temporaries(&threads, 0);
        Ok(Mailer {
            smtp,
            mail: Outbox::open(&dir.join("mail"))?,
            digests: Outbox::open(&dir.join("digest"))?,
            threads,
            settings,
            options,
            wake: Notify::new(),
            delivering: Mutex::new(()),
        })
    }

    /// Queues `alert` for the recipients `watch` names. Durable when it
    /// returns; queuing an alert id again (or one already sent) does nothing.
    /// Change alerts of a watch with a digest schedule wait for the digest;
    /// failing and recovered alerts always leave at once.
    ///
    /// # Errors
    ///
    /// [`EmailError::Outbox`] when the outbox cannot be written: the alert
    /// is then not queued and the caller must keep it.
    pub fn enqueue(&self, alert: &Alert, watch: &WatchEmail) -> Result<Put, EmailError> {
        let recipients = watch.recipients(&self.settings);
        let to: Vec<String> = recipients.to.iter().map(ToString::to_string).collect();
        let cc: Vec<String> = recipients.cc.iter().map(ToString::to_string).collect();
        let now = Utc::now();
        let put = match watch.digest(&self.settings) {
            Some(schedule) if matches!(alert.event, Event::Changed { .. }) => {
                if self.mail.was_sent(&alert.id) {
                    Put::AlreadySent
                } else {
                    let pending = digest::Pending {
                        alert: alert.clone(),
                        to,
                        cc,
                        schedule: schedule.as_str().to_owned(),
                    };
                    self.digests.put(&alert.id, &pending, now)?
                }
            }
            _ => {
                let thread = self.thread_of(alert)?;
                self.mail.put(
                    &alert.id,
                    &Mail::Alert {
                        alert: Box::new(alert.clone()),
                        to,
                        cc,
                        thread,
                    },
                    now,
                )?
            }
        };
        tracing::debug!(alert = %alert.id, ?put, "email alert queued");
        self.wake.notify_one();
        Ok(put)
    }

    /// The Message-ID this alert replies to, recording the alert as the
    /// thread's root when its article has none yet.
    fn thread_of(&self, alert: &Alert) -> Result<Option<String>, EmailError> {
        let path = self.threads.join(format!("{}.json", alert.watch));
        let own = message::message_id(&alert.id, &self.settings.from);
        let known: Option<Thread> = std::fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok());
        match known {
            Some(t) if t.url == alert.url => Ok((t.root != own).then_some(t.root)),
            // A new article (or a watch pointed at another URL) opens a new thread.
            _ => {
                let record = serde_json::to_vec(&Thread {
                    url: alert.url.clone(),
                    root: own,
                })
                .map_err(|e| OutboxError {
                    action: "encode",
                    path: path.clone(),
                    source: std::io::Error::other(e),
                })?;
                write_atomic(&path, &record).map_err(|source| OutboxError {
                    action: "write",
                    path,
                    source,
                })?;
                Ok(None)
            }
        }
    }

    /// Delivers every message due now, digests excepted (`redline check`).
    ///
    /// # Errors
    ///
    /// [`EmailError::Outbox`] when the outbox cannot be read or updated.
    pub async fn flush(&self) -> Result<Delivery, EmailError> {
        self.deliver_due(Utc::now(), None).await
    }

    /// Messages waiting for delivery or retry.
    ///
    /// # Errors
    ///
    /// When the outbox cannot be read.
    pub fn pending(&self) -> Result<Vec<Entry<Mail>>, EmailError> {
        Ok(self.mail.entries()?)
    }

    /// Messages the server refused for good.
    ///
    /// # Errors
    ///
    /// When the outbox cannot be read.
    pub fn rejected(&self) -> Result<Vec<Entry<Mail>>, EmailError> {
        Ok(self.mail.rejected()?)
    }

    /// Puts a refused message back in the queue (after its address was
    /// fixed); returns whether `id` was refused.
    ///
    /// # Errors
    ///
    /// When the outbox cannot be read or written.
    pub fn requeue_rejected(&self, id: &str) -> Result<bool, EmailError> {
        let requeued = self.mail.requeue(id, Utc::now())?;
        self.wake.notify_one();
        Ok(requeued)
    }

    /// Queues the digests due at `now` as mail; returns the earliest time a
    /// digest not yet due will be.
    ///
    /// # Errors
    ///
    /// When the outbox cannot be read or written.
    pub fn gather_digests(&self, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>, EmailError> {
        gather(&self.mail, &self.digests, now, self.options.timezone)
    }

    /// One delivery pass over the messages due at `now`. Stops early when
    /// `shutdown` fires (between messages, never inside an SMTP exchange,
    /// so that an accepted message is always recorded as sent). Outbox
    /// files are read and written on blocking threads.
    ///
    /// # Errors
    ///
    /// [`EmailError::Outbox`] when the outbox cannot be read or updated.
    pub async fn deliver_due(
        &self,
        now: DateTime<Utc>,
        shutdown: Option<&CancellationToken>,
    ) -> Result<Delivery, EmailError> {
        let _pass = self.delivering.lock().await;
        let mut done = Delivery::default();
        let mut server_down: Option<String> = None;
        let mail = self.mail.clone();
        for entry in off_workers(move || mail.due(now)).await? {
            if shutdown.is_some_and(CancellationToken::is_cancelled) {
                break;
            }
            // Once the server itself failed, the rest of the pass would fail
            // alike: defer them without knocking again.
            if let Some(error) = &server_down {
                self.defer(entry, error, now).await?;
                done.deferred += 1;
                continue;
            }
            let message = match message::build(&entry.id, &entry.item, &self.settings.from) {
                Ok(m) => m,
                Err(e) => {
                    self.refuse(entry, &transport::reason(&e)).await?;
                    done.rejected += 1;
                    continue;
                }
            };
            match lettre::AsyncTransport::send(&self.smtp, message).await {
                Ok(_) => {
                    // The marker first and at once, on this thread: it is one
                    // file creation, and every moment between the server's
                    // acceptance and this record is a moment in which a
                    // crash sends the message twice.
                    self.mail.mark_sent(&entry.id)?;
                    let (mail, id) = (self.mail.clone(), entry.id.clone());
                    off_workers(move || mail.settle_sent(&id)).await?;
                    tracing::info!(alert = %entry.id, attempts = entry.attempts + 1, "email delivered");
                    done.sent += 1;
                }
                Err(e) => match transport::classify(&e) {
                    transport::Failure::Permanent(error) => {
                        self.refuse(entry, &error).await?;
                        done.rejected += 1;
                    }
                    transport::Failure::Transient(error) => {
                        if e.status().is_none() {
                            server_down = Some(error.clone());
                        }
                        self.defer(entry, &error, now).await?;
                        done.deferred += 1;
                    }
                },
            }
        }
        Ok(done)
    }

    async fn defer(
        &self,
        entry: Entry<Mail>,
        error: &str,
        now: DateTime<Utc>,
    ) -> Result<(), EmailError> {
        let wait = transport::backoff(
            entry.attempts + 1,
            self.options.first_retry,
            self.options.max_retry,
        );
        let next = now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::MAX);
        let (mail, reason) = (self.mail.clone(), error.to_owned());
        let entry = off_workers(move || mail.retry_at(entry, &reason, next)).await?;
        if entry.attempts >= LOUD_AFTER {
            tracing::error!(alert = %entry.id, attempts = entry.attempts, %error, retry_at = %next, "email still undelivered; kept in the outbox");
        } else {
            tracing::warn!(alert = %entry.id, attempts = entry.attempts, %error, retry_at = %next, "email delivery failed; will retry");
        }
        Ok(())
    }

    async fn refuse(&self, entry: Entry<Mail>, error: &str) -> Result<(), EmailError> {
        let id = entry.id.clone();
        let (mail, reason) = (self.mail.clone(), error.to_owned());
        let kept = off_workers(move || mail.reject(entry, &reason)).await?;
        tracing::error!(alert = %id, %error, kept = %kept.display(), "email REFUSED by the server for good; not retried, kept for inspection; `redline outbox` lists it and `redline outbox requeue` sends it again");
        Ok(())
    }

    /// The daemon's delivery loop: gathers due digests, delivers due
    /// messages, sleeps until the next retry, digest or queued alert, and
    /// returns when `shutdown` fires. Errors are logged and retried.
    pub async fn run(&self, shutdown: CancellationToken) {
        loop {
            let now = Utc::now();
            let (mail, digests, zone) = (
                self.mail.clone(),
                self.digests.clone(),
                self.options.timezone,
            );
            let next_digest = off_workers(move || gather(&mail, &digests, now, zone))
                .await
                .unwrap_or_else(|e| {
                    tracing::error!(error = %e, "email digests could not be gathered; retrying");
                    None
                });
            match self.deliver_due(now, Some(&shutdown)).await {
                Ok(d) => self.options.metrics.emails(d.sent, d.deferred, d.rejected),
                Err(e) => tracing::error!(error = %e, "email delivery pass failed; retrying"),
            }
            let mail = self.mail.clone();
            let next_retry = off_workers(move || mail.entries())
                .await
                .ok()
                .and_then(|es| es.iter().map(|e| e.next_attempt).min());
            let wake = [next_digest, next_retry].into_iter().flatten().min();
            let idle = self.options.idle;
            let sleep = wake.map_or(idle, |w| {
                (w - Utc::now())
                    .to_std()
                    .unwrap_or(Duration::ZERO)
                    .min(idle)
            });
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = tokio::time::sleep(sleep) => {}
                () = self.wake.notified() => {}
            }
        }
    }
}

/// Queues the digests of `digests` due at `now` as mail in `mail`; returns
/// the earliest time a digest not yet due will be.
fn gather(
    mail: &Outbox<Mail>,
    digests: &Outbox<digest::Pending>,
    now: DateTime<Utc>,
    zone: Tz,
) -> Result<Option<DateTime<Utc>>, EmailError> {
    let (ready, next) = digest::due(&digests.entries()?, now, zone);
    for d in ready {
        // Queue first, then mark the members handed over: a crash in
        // between gathers the same members again under the same id, and
        // the marks make a re-emitted member alert a no-op.
        mail.put(&d.id, &d.mail, now)?;
        for member in &d.members {
            digests.delivered(member)?;
        }
        tracing::info!(digest = %d.id, alerts = d.members.len(), "email digest queued");
    }
    Ok(next)
}

/// Runs outbox file work on a blocking thread: it reads, writes and syncs
/// files, which must not stall the async workers.
async fn off_workers<T: Send + 'static, E: Into<EmailError> + Send + 'static>(
    work: impl FnOnce() -> Result<T, E> + Send + 'static,
) -> Result<T, EmailError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| {
            EmailError::Outbox(OutboxError {
                action: "run",
                path: PathBuf::new(),
                source: std::io::Error::other(e),
            })
        })?
        .map_err(Into::into)
}
