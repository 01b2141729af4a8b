//! What wakes a sleeping delivery loop besides its own clock: an entry
//! file arriving in its queue's folder from another process (`redline
//! outbox requeue` beside the daemon), told by the system's file
//! notifications, so that no timer ever looks at the folder.
//!
//! It must not read or change the queue: it only wakes the loop, which
//! looks for itself. A notification for the loop's own writes costs one
//! pass that finds nothing due.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use notify::event::{EventKind, ModifyKind};
use notify::{RecursiveMode, Watcher};
use tokio::sync::Notify;

/// Watches `dir` and wakes `wake` whenever an entry file (`*.json`, not a
/// dot-named temporary) is created or renamed into it. The watch lasts as
/// long as the returned watcher. `None` when the folder cannot be watched
/// (said in the log): the loop then finds such an entry within `idle`.
pub fn on_arrival(
    dir: &Path,
    wake: Arc<Notify>,
    channel: &str,
    idle: Duration,
) -> Option<notify::RecommendedWatcher> {
    let handler = move |event: notify::Result<notify::Event>| {
        let Ok(event) = event else { return };
        let arrival = matches!(
            event.kind,
            EventKind::Create(_) | EventKind::Modify(ModifyKind::Name(_))
        );
        let entry = event.paths.iter().any(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(".json") && !n.starts_with('.'))
        });
        if arrival && entry {
            wake.notify_one();
        }
    };
    let watched = notify::recommended_watcher(handler).and_then(|mut watcher| {
        watcher.watch(dir, RecursiveMode::NonRecursive)?;
        Ok(watcher)
    });
    watched
        .map_err(|e| {
            let idle = humantime::format_duration(idle);
            tracing::warn!(%channel, folder = %dir.display(), "cannot watch the outbox folder ({e}); alerts requeued by another process wait up to {idle}");
        })
        .ok()
}
