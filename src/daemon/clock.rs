//! Where the daemon reads the time: a [`Clock`] handed in from outside, so
//! that tests and simulations drive the scheduler in simulated time.
//!
//! Only the scheduling decisions (what is due, when a check ran) read it;
//! the timers that wait for the next due time are the runtime's. This
//! module must not sleep.

use chrono::{DateTime, Utc};

/// A source of the current time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The time now.
    fn now(&self) -> DateTime<Utc>;
}

/// The system's wall clock: what the running daemon uses.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}
