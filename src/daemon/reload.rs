//! What asks the daemon to reload (SIGHUP, an edit of the watchlist file)
//! and what a reload reads: the new watchlist, validated, with the names of
//! the settings that changed.
//!
//! The file is watched through its folder, not the file itself: editors
//! save by writing a new file and renaming it over the old one, which a
//! watch on the old file would not see. Bursts of events (one save is
//! several) are folded into one reload. This module must not apply a
//! reload: the daemon does, between checks.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use notify::{EventKind, RecursiveMode, Watcher};
use tokio::sync::mpsc;

use crate::watchlist::Watchlist;

/// How long a burst of file events may last before the reload reads the file.
pub const DEBOUNCE: Duration = Duration::from_millis(300);
/// How often the file is looked at when the system cannot notify edits.
const POLL: Duration = Duration::from_secs(2);

/// Why a reload was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// SIGHUP: reload even when the file did not change.
    Signal,
    /// The watchlist file was written, created or renamed.
    File,
}

impl Trigger {
    /// The trigger in a word, for the log.
    pub fn word(self) -> &'static str {
        match self {
            Trigger::Signal => "SIGHUP",
            Trigger::File => "file edit",
        }
    }
}

/// The reload requests: SIGHUP and edits of the watchlist file.
pub(super) struct Requests {
    rx: mpsc::UnboundedReceiver<Trigger>,
    /// Kept alive for as long as edits are watched.
    _watcher: Option<Box<dyn Watcher + Send>>,
    /// The task that turns SIGHUP into requests; stopped on drop.
    signals: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for Requests {
    fn drop(&mut self) {
        if let Some(task) = &self.signals {
            task.abort();
        }
    }
}

impl Requests {
    /// Starts listening for SIGHUP and watching `path`'s folder.
    ///
    /// # Errors
    ///
    /// When SIGHUP cannot be caught: left to its default it would kill the
    /// daemon. A file watch that cannot start falls back to polling.
    pub(super) fn start(path: &Path) -> std::io::Result<Self> {
        let (tx, rx) = mpsc::unbounded_channel();
        let signals = Some(listen_for_hangup(tx.clone())?);
        let watcher = watch_file(path, tx);
        Ok(Requests {
            rx,
            _watcher: watcher,
            signals,
        })
    }

    /// The next request. Cancel-safe: the daemon waits for it beside its
    /// timers and a request is never lost to a timer firing.
    pub(super) async fn recv(&mut self) -> Option<Trigger> {
        self.rx.recv().await
    }

    /// Waits for the burst that `first` began to end and folds it into one
    /// request: a signal in the burst wins, as it reloads unconditionally.
    pub(super) async fn settle(&mut self, first: Trigger) -> Trigger {
        tokio::time::sleep(DEBOUNCE).await;
        let mut trigger = first;
        while let Ok(more) = self.rx.try_recv() {
            if more == Trigger::Signal {
                trigger = Trigger::Signal;
            }
        }
        trigger
    }
}

#[cfg(unix)]
fn listen_for_hangup(
    tx: mpsc::UnboundedSender<Trigger>,
) -> std::io::Result<tokio::task::JoinHandle<()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut hangup = signal(SignalKind::hangup())?;
    Ok(tokio::spawn(async move {
        while hangup.recv().await.is_some() {
            if tx.send(Trigger::Signal).is_err() {
                break;
            }
        }
    }))
}

#[cfg(not(unix))]
fn listen_for_hangup(
    _tx: mpsc::UnboundedSender<Trigger>,
) -> std::io::Result<tokio::task::JoinHandle<()>> {
    Ok(tokio::spawn(async {}))
}

/// Watches the folder of `path` for events on its file name: the system's
/// notifications where they work, polling otherwise.
fn watch_file(path: &Path, tx: mpsc::UnboundedSender<Trigger>) -> Option<Box<dyn Watcher + Send>> {
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    let name: OsString = path.file_name()?.to_owned();
    let handler = move |event: notify::Result<notify::Event>| {
        let Ok(event) = event else { return };
        let relevant = matches!(
            event.kind,
            EventKind::Create(_) | EventKind::Modify(_) | EventKind::Any
        ) && event
            .paths
            .iter()
            .any(|p| p.file_name() == Some(name.as_os_str()));
        if relevant {
            let _ = tx.send(Trigger::File);
        }
    };
    let notified = notify::recommended_watcher(handler.clone()).and_then(|mut w| {
        w.watch(&folder, RecursiveMode::NonRecursive)?;
        Ok(Box::new(w) as Box<dyn Watcher + Send>)
    });
    match notified {
        Ok(watcher) => Some(watcher),
        Err(e) => {
            tracing::warn!(folder = %folder.display(), "cannot watch the watchlist's folder ({e}); looking at it every {POLL:?} instead");
            let config = notify::Config::default().with_poll_interval(POLL);
            let polled = notify::PollWatcher::new(handler, config).and_then(|mut w| {
                w.watch(&folder, RecursiveMode::NonRecursive)?;
                Ok(Box::new(w) as Box<dyn Watcher + Send>)
            });
            polled
                .map_err(|e| {
                    tracing::error!(
                        "cannot watch the watchlist for edits ({e}); send SIGHUP to reload"
                    )
                })
                .ok()
        }
    }
}

/// Reads the watchlist again for a reload.
pub(super) struct Reader {
    path: PathBuf,
    /// The text last read, valid or not: an editor touching the file
    /// without changing it does not reload or complain again.
    last: Option<String>,
}

impl Reader {
    /// A reader of `path`, whose current text is the one in force.
    pub(super) fn new(path: &Path) -> Self {
        Reader {
            path: path.to_owned(),
            last: std::fs::read_to_string(path).ok(),
        }
    }

    /// The new watchlist, or `None` when the file is unchanged (and the
    /// trigger is not a signal) or invalid; an invalid edit is logged with
    /// every problem, and the last good watchlist stays in force.
    pub(super) fn read(&mut self, trigger: Trigger) -> Option<Watchlist> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) => {
                tracing::error!(path = %self.path.display(), "watchlist edit not applied, still running on the last good one: cannot read it: {e}");
                return None;
            }
        };
        if trigger == Trigger::File && self.last.as_deref() == Some(text.as_str()) {
            return None;
        }
        self.last = Some(text.clone());
        match Watchlist::parse(&text, &self.path) {
            Ok(next) => Some(next),
            Err(error) => {
                tracing::error!(
                    "watchlist edit not applied, still running on the last good one: {error}"
                );
                None
            }
        }
    }
}

/// The settings that shape the running daemon itself and so wait for a
/// restart: where the store is, where the status server listens.
pub(super) fn restart_only_changes(current: &Watchlist, next: &Watchlist) -> Vec<&'static str> {
    let (old, new) = (&current.settings, &next.settings);
    let mut changed = Vec::new();
    if old.snapshots != new.snapshots {
        changed.push("settings.snapshots");
    }
    if old.listen != new.listen {
        changed.push("settings.listen");
    }
    changed
}

/// The settings a reload applies that differ between `current` and `next`,
/// by their names in the watchlist.
pub(super) fn applied_changes(current: &Watchlist, next: &Watchlist) -> Vec<&'static str> {
    let (o, n) = (&current.settings, &next.settings);
    // Debug output compares values whose types have no equality (schedules,
    // time zones); the email settings' names the password's source, never
    // the password.
    let same =
        |a: &dyn std::fmt::Debug, b: &dyn std::fmt::Debug| format!("{a:?}") == format!("{b:?}");
    let fields: [(&'static str, bool); 16] = [
        ("settings.schedule", same(&o.schedule, &n.schedule)),
        ("settings.adaptive", o.adaptive == n.adaptive),
        ("settings.timezone", o.timezone == n.timezone),
        ("settings.notify", o.notify == n.notify),
        ("settings.user_agent", o.user_agent == n.user_agent),
        ("settings.timeout", o.timeout == n.timeout),
        ("settings.max_body", o.max_body == n.max_body),
        ("settings.concurrency", o.concurrency == n.concurrency),
        (
            "settings.per_host_interval",
            o.per_host_interval == n.per_host_interval,
        ),
        ("settings.retries", o.retries == n.retries),
        ("settings.spread", o.spread == n.spread),
        (
            "settings.failure_alert_after",
            o.failure_alert_after == n.failure_alert_after,
        ),
        ("settings.keep_versions", o.keep_versions == n.keep_versions),
        ("[email]", same(&current.email, &next.email)),
        // A webhook's Debug output hashes its address, never shows it.
        (
            "[webhook]",
            same(&current.channels.webhooks, &next.channels.webhooks),
        ),
        (
            "[command]",
            same(&current.channels.commands, &next.channels.commands),
        ),
    ];
    fields
        .into_iter()
        .filter(|(_, same)| !same)
        .map(|(name, _)| name)
        .collect()
}
