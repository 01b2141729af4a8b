//! The `email` channel: change, failing and recovered alerts as mail that a
//! newsroom can trust, delivered through a durable outbox.
//!
//! The [`Mailer`] is the channel's one entry point. [`Mailer::enqueue`]
//! writes the alert to the outbox (`<store>/.outbox/email/`) before it
//! returns; [`Mailer::run`] (the daemon) and [`Mailer::flush`] (`redline
//! check`) deliver what is due on the shared [`Queue`] (retries with
//! backoff across restarts, refusals kept for inspection, never an alert
//! twice once the server accepted it). What is the channel's own is
//! [`SmtpSender`]: one stored message as one SMTP exchange, and the
//! server's answer sorted into retry-later, unreachable and refused. Alerts about one article are
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
use tokio_util::sync::CancellationToken;

use crate::notify::delivery::{Deliver, Failure, Pacing, Queue, off_workers};
use crate::notify::outbox::{Entry, Outbox, OutboxError, Put};
use crate::notify::{Alert, BoxFuture, Event, NotifyError, Outlet};
use crate::store::write_atomic;
use crate::watchlist::{Channel, Watch};

pub use crate::notify::delivery::Delivery;
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
    /// The longest the daemon loop sleeps when nothing is due (see
    /// [`Pacing::idle`]): a queued alert wakes it, and so does a retry or a
    /// digest falling due.
    pub idle: Duration,
    /// Where the daemon loop counts deliveries.
    pub metrics: crate::metrics::Metrics,
}

impl Default for MailerOptions {
    fn default() -> Self {
        MailerOptions {
            timezone: Tz::UTC,
            first_retry: Pacing::DAEMON.first_retry,
            max_retry: Pacing::DAEMON.max_retry,
            idle: Pacing::DAEMON.idle,
            metrics: crate::metrics::Metrics::default(),
        }
    }
}

/// The first alert of an article: later alerts about it reply to it.
#[derive(Debug, Serialize, Deserialize)]
struct Thread {
    url: String,
    root: String,
}

/// The email channel's part of delivery: one stored [`Mail`] as one SMTP
/// exchange, its failure sorted by the server's answer.
pub struct SmtpSender {
    smtp: transport::Smtp,
    from: lettre::message::Mailbox,
}

impl Deliver for SmtpSender {
    type Item = Mail;

    async fn deliver(&self, id: &str, item: &Mail) -> Result<(), Failure> {
        let message = message::build(id, item, &self.from)
            .map_err(|e| Failure::Refused(transport::reason(&e)))?;
        match lettre::AsyncTransport::send(&self.smtp, message).await {
            Ok(_) => Ok(()),
            Err(e) => match transport::classify(&e) {
                transport::Failure::Permanent(error) => Err(Failure::Refused(error)),
                // No answer at all: the server itself is down.
                transport::Failure::Transient(error) if e.status().is_none() => {
                    Err(Failure::Unreachable(error))
                }
                transport::Failure::Transient(error) => Err(Failure::RetryLater(error)),
            },
        }
    }
}

/// The email channel: settings, SMTP transport and outbox.
pub struct Mailer {
    settings: EmailSettings,
    /// The shared delivery queue of messages (`mail/`).
    queue: Queue<SmtpSender>,
    /// Change alerts waiting for their digest (`digest/`).
    digests: Outbox<digest::Pending>,
    threads: PathBuf,
    options: MailerOptions,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("settings", &self.settings)
            .field("outbox", &self.queue.outbox().dir())
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
        let sender = SmtpSender {
            smtp,
            from: settings.from.clone(),
        };
        let pacing = Pacing {
            first_retry: options.first_retry,
            max_retry: options.max_retry,
            idle: options.idle,
        };
        Ok(Mailer {
            queue: Queue::open("email", "email", &dir.join("mail"), sender, pacing)?,
            digests: Outbox::open(&dir.join("digest"))?,
            threads,
            settings,
            options,
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
                if self.queue.outbox().was_sent(&alert.id) {
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
                self.queue.put(
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
        self.queue.wake();
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
        Ok(self.queue.pending()?)
    }

    /// Messages the server refused for good.
    ///
    /// # Errors
    ///
    /// When the outbox cannot be read.
    pub fn rejected(&self) -> Result<Vec<Entry<Mail>>, EmailError> {
        Ok(self.queue.rejected()?)
    }

    /// Puts a refused message back in the queue (after its address was
    /// fixed); returns whether `id` was refused.
    ///
    /// # Errors
    ///
    /// When the outbox cannot be read or written.
    pub fn requeue_rejected(&self, id: &str) -> Result<bool, EmailError> {
        Ok(self.queue.requeue(id)?)
    }

    /// Queues the digests due at `now` as mail; returns the earliest time a
    /// digest not yet due will be.
    ///
    /// # Errors
    ///
    /// When the outbox cannot be read or written.
    pub fn gather_digests(&self, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>, EmailError> {
        gather(
            self.queue.outbox(),
            &self.digests,
            now,
            self.options.timezone,
        )
    }

    /// One delivery pass over the messages due at `now` (see
    /// [`Queue::deliver_due`]).
    ///
    /// # Errors
    ///
    /// [`EmailError::Outbox`] when the outbox cannot be read or updated.
    pub async fn deliver_due(
        &self,
        now: DateTime<Utc>,
        shutdown: Option<&CancellationToken>,
    ) -> Result<Delivery, EmailError> {
        Ok(self.queue.deliver_due(now, shutdown).await?)
    }

    /// The daemon's delivery loop: gathers due digests, delivers due
    /// messages, sleeps until the next retry, digest or queued alert, and
    /// returns when `shutdown` fires. Errors are logged and retried.
    pub async fn run(&self, shutdown: CancellationToken) {
        let gather_due = |now: DateTime<Utc>| {
            let (mail, digests, zone) = (
                self.queue.outbox().clone(),
                self.digests.clone(),
                self.options.timezone,
            );
            async move {
                off_workers(move || gather(&mail, &digests, now, zone))
                    .await
                    .unwrap_or_else(|e: EmailError| {
                        tracing::error!(error = %e, "email digests could not be gathered; retrying");
                        None
                    })
            }
        };
        let metrics = &self.options.metrics;
        let count = |d: Delivery| {
            metrics.emails(d.sent, d.deferred, d.rejected);
            metrics.delivered("email", d.sent, d.deferred, d.rejected);
        };
        self.queue.run_with(shutdown, gather_due, count).await;
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

impl Outlet for Mailer {
    fn channel(&self) -> Channel {
        Channel::Email
    }

    fn kind(&self) -> &'static str {
        "email"
    }

    fn enqueue(&self, alert: &Alert, watch: &Watch) -> Result<Put, NotifyError> {
        // The inherent method: the recipients are the watch's email part.
        Mailer::enqueue(self, alert, &watch.email).map_err(|e| NotifyError::Outbox {
            channel: "email".to_owned(),
            reason: crate::error_chain(&e),
        })
    }

    fn run(&self, shutdown: CancellationToken) -> BoxFuture<'_, ()> {
        Box::pin(Mailer::run(self, shutdown))
    }

    fn flush(&self) -> BoxFuture<'_, Result<Delivery, NotifyError>> {
        Box::pin(async move {
            Mailer::flush(self).await.map_err(|e| NotifyError::Outbox {
                channel: "email".to_owned(),
                reason: crate::error_chain(&e),
            })
        })
    }

    fn refused(&self) -> Result<usize, NotifyError> {
        self.rejected()
            .map(|r| r.len())
            .map_err(|e| NotifyError::Outbox {
                channel: "email".to_owned(),
                reason: crate::error_chain(&e),
            })
    }
}
