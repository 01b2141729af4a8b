//! The daemon's counters, fed by the pipeline and read by the status
//! server's `/metrics` in the Prometheus text format.
//!
//! [`Metrics`] is a cheap handle (clones share one registry): the daemon
//! records each check's outcome, the pipeline the time and size of each
//! fetch, the notifier each alert handed to a channel and each queued
//! channel's delivery loop each pass. A handle nobody serves costs a few atomic additions. This
//! module must not know how a check works or how the numbers are served.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use chrono::{DateTime, Utc};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::check::Checked;

/// A label naming how a check ended ("changed", "unchanged", "failed", …).
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabel {
    outcome: String,
}

/// A label naming an alert channel ("log", "email").
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ChannelLabel {
    channel: String,
}

/// Labels of a delivery pass's count: the channel and how items ended
/// ("sent", "deferred", "rejected").
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DeliveryLabel {
    channel: String,
    outcome: String,
}

/// A label naming a watch.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct WatchLabel {
    watch: String,
}

/// Shared handle on the counters; see the module's documentation.
#[derive(Debug, Clone, Default)]
pub struct Metrics {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    registry: Registry,
    checks: Family<OutcomeLabel, Counter>,
    changes: Counter,
    failures: Counter,
    prescreened: Counter,
    fetch_seconds: Histogram,
    fetched_bytes: Counter,
    alerts_queued: Family<ChannelLabel, Counter>,
    emails_sent: Counter,
    emails_deferred: Counter,
    emails_rejected: Counter,
    deliveries: Family<DeliveryLabel, Counter>,
    watches: Gauge,
    next_due: Family<WatchLabel, Gauge<f64, AtomicU64>>,
    last_loop: Gauge<f64, AtomicU64>,
}

impl Default for Inner {
    fn default() -> Self {
        let inner = Inner {
            registry: Registry::default(),
            checks: Family::default(),
            changes: Counter::default(),
            failures: Counter::default(),
            prescreened: Counter::default(),
            // 10 ms to about 80 s: a loopback page to a slow site with retries.
            fetch_seconds: Histogram::new(exponential_buckets(0.01, 2.0, 14)),
            fetched_bytes: Counter::default(),
            alerts_queued: Family::default(),
            emails_sent: Counter::default(),
            emails_deferred: Counter::default(),
            emails_rejected: Counter::default(),
            deliveries: Family::default(),
            watches: Gauge::default(),
            next_due: Family::default(),
            last_loop: Gauge::default(),
        };
        inner.register()
    }
}

impl Inner {
    /// Registers every metric under its public name; counters get the
    /// `_total` suffix from the encoder.
    fn register(mut self) -> Self {
        let r = &mut self.registry;
        r.register("redline_checks", "Checks by outcome", self.checks.clone());
        r.register(
            "redline_changes",
            "Changes found and stored",
            self.changes.clone(),
        );
        r.register(
            "redline_check_failures",
            "Checks that failed",
            self.failures.clone(),
        );
        r.register(
            "redline_prescreened",
            "Checks answered unchanged by the prescreen, without parsing the page",
            self.prescreened.clone(),
        );
        r.register(
            "redline_fetch_duration_seconds",
            "Time to fetch a page, retries and politeness waits included",
            self.fetch_seconds.clone(),
        );
        r.register(
            "redline_fetched_bytes",
            "Bytes of page bodies fetched",
            self.fetched_bytes.clone(),
        );
        r.register(
            "redline_alerts_queued",
            "Alerts handed to a channel",
            self.alerts_queued.clone(),
        );
        r.register(
            "redline_emails_sent",
            "Emails the server accepted",
            self.emails_sent.clone(),
        );
        r.register(
            "redline_emails_deferred",
            "Email deliveries that failed and wait for a retry",
            self.emails_deferred.clone(),
        );
        r.register(
            "redline_emails_rejected",
            "Emails refused for good (kept under rejected/)",
            self.emails_rejected.clone(),
        );
        r.register(
            "redline_deliveries",
            "Delivery attempts of queued channels by channel and outcome (sent, deferred, rejected)",
            self.deliveries.clone(),
        );
        r.register(
            "redline_watches",
            "Watches in the watchlist in force",
            self.watches.clone(),
        );
        r.register(
            "redline_next_due_timestamp_seconds",
            "When each watch is next checked (Unix time)",
            self.next_due.clone(),
        );
        r.register(
            "redline_scheduler_loop_timestamp_seconds",
            "When the scheduler last went round its loop (Unix time)",
            self.last_loop.clone(),
        );
        self
    }
}

impl Metrics {
    /// Records the result of one check.
    pub fn checked(&self, checked: &Checked) {
        let outcome = match &checked.result {
            Ok(outcome) => outcome.word(),
            Err(_) => "failed",
        };
        let label = OutcomeLabel {
            outcome: outcome.to_owned(),
        };
        self.inner.checks.get_or_create(&label).inc();
        match &checked.result {
            Ok(crate::check::Outcome::Changed { .. }) => {
                self.inner.changes.inc();
            }
            Err(_) => {
                self.inner.failures.inc();
            }
            Ok(_) => {}
        }
    }

    /// Records a check the prescreen answered without parsing the page.
    pub fn prescreened(&self) {
        self.inner.prescreened.inc();
    }

    /// How many checks the prescreen answered without parsing the page.
    pub fn prescreened_count(&self) -> u64 {
        self.inner.prescreened.get()
    }

    /// Records one fetch: how long it took and, for a page, its size.
    pub fn fetched(&self, took: Duration, bytes: Option<usize>) {
        self.inner.fetch_seconds.observe(took.as_secs_f64());
        if let Some(bytes) = bytes {
            self.inner.fetched_bytes.inc_by(bytes as u64);
        }
    }

    /// Records an alert handed to `channel`.
    pub fn alert_queued(&self, channel: &str) {
        let label = ChannelLabel {
            channel: channel.to_owned(),
        };
        self.inner.alerts_queued.get_or_create(&label).inc();
    }

    /// Records one email delivery pass.
    pub fn emails(&self, sent: usize, deferred: usize, rejected: usize) {
        self.inner.emails_sent.inc_by(sent as u64);
        self.inner.emails_deferred.inc_by(deferred as u64);
        self.inner.emails_rejected.inc_by(rejected as u64);
    }

    /// Records one delivery pass of a queued channel (email included).
    pub fn delivered(&self, channel: &str, sent: usize, deferred: usize, rejected: usize) {
        for (outcome, n) in [
            ("sent", sent),
            ("deferred", deferred),
            ("rejected", rejected),
        ] {
            let label = DeliveryLabel {
                channel: channel.to_owned(),
                outcome: outcome.to_owned(),
            };
            self.inner.deliveries.get_or_create(&label).inc_by(n as u64);
        }
    }

    /// Records a round of the scheduler: when, and each watch's next due
    /// time (watches no longer listed are dropped).
    pub fn scheduled<'a>(
        &self,
        now: DateTime<Utc>,
        due: impl ExactSizeIterator<Item = (&'a str, DateTime<Utc>)>,
    ) {
        self.inner.last_loop.set(unix_seconds(now));
        self.inner.watches.set(due.len() as i64);
        self.inner.next_due.clear();
        for (watch, at) in due {
            let label = WatchLabel {
                watch: watch.to_owned(),
            };
            self.inner
                .next_due
                .get_or_create(&label)
                .set(unix_seconds(at));
        }
    }

    /// Records a round of the scheduler that moved only some watches' due
    /// times (`None`: never due again).
    pub fn moved<'a>(
        &self,
        now: DateTime<Utc>,
        moved: impl Iterator<Item = (&'a str, Option<DateTime<Utc>>)>,
    ) {
        self.inner.last_loop.set(unix_seconds(now));
        for (watch, due) in moved {
            let label = WatchLabel {
                watch: watch.to_owned(),
            };
            match due {
                Some(at) => {
                    self.inner
                        .next_due
                        .get_or_create(&label)
                        .set(unix_seconds(at));
                }
                None => {
                    self.inner.next_due.remove(&label);
                }
            }
        }
    }

    /// The metrics in the Prometheus text (OpenMetrics) format.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        // Writing to a String cannot fail; an encoding error would be a bug
        // in a metric's name, caught by the tests.
        if let Err(e) = prometheus_client::encoding::text::encode(&mut text, &self.inner.registry) {
            tracing::error!("cannot encode the metrics: {e}");
        }
        text
    }
}

fn unix_seconds(time: DateTime<Utc>) -> f64 {
    time.timestamp_millis() as f64 / 1000.0
}
