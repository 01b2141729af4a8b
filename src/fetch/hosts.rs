//! Politeness per host: requests to one site are serialised and spaced.
//! It must not know what is fetched.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;
use url::Url;

/// Serialises requests to each host and keeps them at least `interval`
/// apart, so that many watches on one site never hammer it.
#[derive(Debug, Clone)]
pub(super) struct HostGate {
    interval: Duration,
    /// One slot per host: the time its next request may start. The outer
    /// lock is held only to find the slot, never across an `.await`.
    hosts: Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<Instant>>>>>,
}

impl HostGate {
    pub(super) fn new(interval: Duration) -> Self {
        HostGate {
            interval,
            hosts: Arc::default(),
        }
    }

    /// Waits until this host may be asked again and holds the host's turn
    /// until the returned guard drops (the request is done).
    pub(super) async fn wait_turn(&self, url: &Url) -> tokio::sync::OwnedMutexGuard<Instant> {
        let key = url.host_str().unwrap_or("").to_owned();
        let slot = {
            let mut hosts = self
                .hosts
                .lock()
                .expect("host table lock is never poisoned: no code panics while holding it");
            hosts
                .entry(key)
                .or_insert_with(|| Arc::new(tokio::sync::Mutex::new(Instant::now())))
                .clone()
        };
        let mut next = slot.lock_owned().await;
        tokio::time::sleep_until(*next).await;
        *next = Instant::now() + self.interval;
        next
    }
}
