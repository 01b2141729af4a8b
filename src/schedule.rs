//! When each watch is due: its schedule policy (a crontab expression or the
//! [`adaptive`] policy) and the spreading of checks that fall due at the
//! same moment.
//!
//! Pure: every function takes the current time as an argument and nothing
//! here sleeps or reads a clock. The daemon owns the timers.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};

mod adaptive;

pub use adaptive::{Adaptive, Life, Step, StepError};

/// A parsed crontab expression: five fields (minute hour day-of-month month
/// day-of-week), an optional leading seconds field, or a `@hourly`-style
/// name. Day-of-month and day-of-week follow Vixie cron: when both are
/// restricted, a day matching either one is due.
#[derive(Clone)]
pub struct Schedule {
    /// The expression as the user wrote it, for messages and listings;
    /// shared like the pattern, as every inheriting watch holds a copy.
    expression: Arc<str>,
    /// The parsed pattern, shared by every watch that inherits it: a
    /// compiled pattern holds about 5 KB of tables, and a watchlist of
    /// thousands of watches on the default schedule would copy it each time.
    cron: Arc<Cron>,
}

/// Why an expression is not a schedule.
#[derive(Debug, thiserror::Error)]
#[error("`{expression}` is not a crontab schedule: {reason}")]
pub struct ScheduleError {
    /// The rejected expression.
    pub expression: String,
    /// What the parser objected to.
    pub reason: String,
}

impl Schedule {
    /// The hint shown with a rejected expression.
    pub const HINT: &'static str = "use 5 crontab fields (minute hour day-of-month month day-of-week), \
         e.g. \"*/30 * * * *\", an optional leading seconds field, or @hourly, @daily, @weekly";

    /// Parses a crontab expression.
    ///
    /// # Errors
    ///
    /// Returns a [`ScheduleError`] when the expression is not 5 or 6 valid
    /// fields or a known `@name`, or when it can never fire.
    pub fn parse(expression: &str) -> Result<Self, ScheduleError> {
        let error = |reason: String| ScheduleError {
            expression: expression.to_owned(),
            reason,
        };
        // Seven fields would be read as a year by croner; a crontab line has
        // no year, so such a line is a mistake rather than a wish.
        let parser = CronParser::builder()
            .seconds(Seconds::Optional)
            .year(Year::Disallowed)
            .build();
        let cron = parser
            .parse(expression)
            .map_err(|e| error(e.to_string().trim_end_matches('.').to_owned()))?;
        // An expression such as "0 0 31 2 *" parses but never fires.
        if cron.find_next_occurrence(&Utc::now(), false).is_err() {
            return Err(error("it never fires".into()));
        }
        Ok(Schedule {
            expression: Arc::from(expression.trim()),
            cron: Arc::new(cron),
        })
    }

    /// The expression as written.
    pub fn as_str(&self) -> &str {
        &self.expression
    }

    /// The first time strictly after `after` at which the schedule fires,
    /// reading its fields as wall-clock time in `zone`.
    pub fn next_after(&self, after: DateTime<Utc>, zone: Tz) -> Option<DateTime<Utc>> {
        let local = after.with_timezone(&zone);
        self.cron
            .find_next_occurrence(&local, false)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    }

    /// When a watch keyed `key` on this schedule is next due after `after`:
    /// the next firing plus the watch's stable [`spread_offset`] within
    /// `max_spread`. `None` when the schedule never fires again.
    pub fn next_due(
        &self,
        key: &str,
        after: DateTime<Utc>,
        zone: Tz,
        max_spread: Duration,
    ) -> Option<DateTime<Utc>> {
        let fire = self.next_after(after, zone)?;
        // A schedule that fires only once more has no period; an hour is
        // the daemon's reading of it too.
        let period = self
            .period_after(after, zone)
            .unwrap_or(Duration::from_secs(3600));
        let offset = spread_offset(key, period, max_spread);
        Some(fire + chrono::Duration::from_std(offset).unwrap_or_default())
    }

    /// The time between the two firings that follow `after`: a measure of
    /// how often the schedule fires, used to bound the spread of checks.
    pub fn period_after(&self, after: DateTime<Utc>, zone: Tz) -> Option<Duration> {
        let first = self.next_after(after, zone)?;
        let second = self.next_after(first, zone)?;
        (second - first).to_std().ok()
    }
}

impl fmt::Debug for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Schedule({:?})", self.expression)
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.expression)
    }
}

/// How a watch is scheduled: on a crontab line, or by the adaptive policy
/// that follows the article's age.
#[derive(Debug, Clone)]
#[allow(
    clippy::large_enum_variant,
    reason = "one policy per watch; boxing the crontab pattern would only add indirection"
)]
pub enum Policy {
    /// Checked at every firing of a crontab expression.
    Cron(Schedule),
    /// Checked often while the article is young, then less, then no more.
    Adaptive(Adaptive),
}

impl Policy {
    /// The word that names the adaptive policy in the watchlist.
    pub const ADAPTIVE: &'static str = "adaptive";
    /// The hint shown with a rejected policy.
    pub const HINT: &'static str = "write \"adaptive\", or a crontab line: 5 fields (minute hour day-of-month month day-of-week), \
         e.g. \"*/30 * * * *\", an optional leading seconds field, or @hourly, @daily, @weekly";

    /// Reads `text`: the word `adaptive` (with `adaptive`'s steps) or a
    /// crontab expression.
    ///
    /// # Errors
    ///
    /// A [`ScheduleError`] when `text` is neither.
    pub fn parse(text: &str, adaptive: &Adaptive) -> Result<Self, ScheduleError> {
        if text.trim() == Self::ADAPTIVE {
            return Ok(Policy::Adaptive(adaptive.clone()));
        }
        Schedule::parse(text).map(Policy::Cron)
    }

    /// The policy as written: the crontab expression, or `adaptive`.
    pub fn as_str(&self) -> &str {
        match self {
            Policy::Cron(schedule) => schedule.as_str(),
            Policy::Adaptive(_) => Self::ADAPTIVE,
        }
    }

    /// Whether two policies schedule alike (same expression, same steps).
    pub fn same_as(&self, other: &Policy) -> bool {
        match (self, other) {
            (Policy::Cron(a), Policy::Cron(b)) => a.as_str() == b.as_str(),
            (Policy::Adaptive(a), Policy::Adaptive(b)) => a == b,
            _ => false,
        }
    }

    /// When a watch keyed `key` is next due after a check at `now`, shifted
    /// by its stable [`spread_offset`] within `max_spread`. `life` is what
    /// the adaptive policy needs (a cron schedule ignores it). `None` when
    /// it is never due again.
    pub fn next_due(
        &self,
        key: &str,
        now: DateTime<Utc>,
        life: Option<&Life>,
        zone: Tz,
        max_spread: Duration,
    ) -> Option<DateTime<Utc>> {
        match self {
            Policy::Cron(schedule) => schedule.next_due(key, now, zone, max_spread),
            Policy::Adaptive(adaptive) => {
                let due = adaptive.next_after(life, now)?;
                let period = (due - now).to_std().unwrap_or(Duration::from_secs(3600));
                let offset = spread_offset(key, period, max_spread);
                Some(due + chrono::Duration::from_std(offset).unwrap_or_default())
            }
        }
    }

    /// The offset of a watch keyed `key` within the spread window, for a
    /// check due at once.
    pub fn spread(
        &self,
        key: &str,
        now: DateTime<Utc>,
        zone: Tz,
        max_spread: Duration,
    ) -> Duration {
        let period = match self {
            Policy::Cron(schedule) => schedule.period_after(now, zone),
            Policy::Adaptive(adaptive) => adaptive.steps().first().map(|step| step.every),
        };
        spread_offset(key, period.unwrap_or(Duration::from_secs(3600)), max_spread)
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The delay after its due time at which a watch is checked, so that many
/// watches on the same schedule do not all fire in the same second.
///
/// The offset is a stable function of the watch's name (the same watch is
/// always checked at the same point of its window, run after run), at most
/// `max_spread`, and never more than a quarter of the schedule's period so
/// that a frequent schedule is not delayed into its next firing.
pub fn spread_offset(key: &str, period: Duration, max_spread: Duration) -> Duration {
    let window = max_spread.min(period / 4);
    if window.is_zero() {
        return Duration::ZERO;
    }
    // BLAKE3 rather than std's hasher: its output is the same in every
    // build, so a watch keeps its place in the window across upgrades.
    let digest = blake3::hash(key.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest.as_bytes()[..8]);
    let millis = window.as_millis().max(1) as u64;
    Duration::from_millis(u64::from_le_bytes(first) % millis)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
            .single()
            .expect("valid test time")
    }

    #[test]
    fn next_firings() {
        // (expression, after, expected next) — all in UTC.
        let cases = [
            (
                "*/30 * * * *",
                at(2026, 4, 25, 8, 10),
                at(2026, 4, 25, 8, 30),
            ),
            ("0 * * * *", at(2026, 4, 25, 8, 0), at(2026, 4, 25, 9, 0)),
            ("@hourly", at(2026, 4, 25, 8, 59), at(2026, 4, 25, 9, 0)),
            ("@daily", at(2026, 4, 25, 8, 0), at(2026, 4, 26, 0, 0)),
            // Vixie OR: the 1st of the month OR any Monday. 2026-04-25 is a
            // Saturday: next Monday (27th) comes before May 1st.
            ("0 9 1 * 1", at(2026, 4, 25, 10, 0), at(2026, 4, 27, 9, 0)),
            // Sunday is 0 (and 7), as in crontab, not 1 as in the `cron` crate.
            ("0 9 * * 0", at(2026, 4, 25, 10, 0), at(2026, 4, 26, 9, 0)),
            ("0 9 * * 7", at(2026, 4, 25, 10, 0), at(2026, 4, 26, 9, 0)),
        ];
        for (expression, after, expected) in cases {
            let schedule = Schedule::parse(expression).expect(expression);
            assert_eq!(
                schedule.next_after(after, Tz::UTC),
                Some(expected),
                "{expression}"
            );
        }
    }

    #[test]
    fn seconds_field_is_optional() {
        let schedule = Schedule::parse("15 */5 * * * *").expect("six fields");
        let after = at(2026, 4, 25, 8, 0);
        let next = schedule.next_after(after, Tz::UTC).expect("fires");
        assert_eq!(next, after + chrono::Duration::seconds(15));
    }

    #[test]
    fn time_zone_shifts_wall_clock() {
        let schedule = Schedule::parse("0 9 * * *").expect("valid");
        // 09:00 in Berlin during summer time is 07:00 UTC.
        let next = schedule.next_after(at(2026, 7, 1, 0, 0), chrono_tz::Europe::Berlin);
        assert_eq!(next, Some(at(2026, 7, 1, 7, 0)));
    }

    #[test]
    fn rejects_what_is_not_a_crontab_line() {
        for bad in [
            "",
            "* * *",
            "61 * * * *",
            "* * * * * * 2030",
            "0 0 31 2 *",
            "@sometimes",
        ] {
            assert!(Schedule::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn spread_is_stable_and_bounded() {
        let period = Duration::from_secs(1800);
        let max = Duration::from_secs(120);
        let offsets: Vec<_> = (0..50)
            .map(|i| spread_offset(&format!("watch-{i}"), period, max))
            .collect();
        assert!(offsets.iter().all(|o| *o < max));
        assert_eq!(offsets[7], spread_offset("watch-7", period, max));
        // Fifty watches do not land on one instant.
        let distinct: std::collections::HashSet<_> = offsets.iter().collect();
        assert!(distinct.len() > 40);
        // A once-a-minute schedule is spread over at most 15 seconds.
        assert!(spread_offset("x", Duration::from_secs(60), max) < Duration::from_secs(15));
    }

    #[test]
    fn a_policy_is_adaptive_or_a_crontab_line() {
        let steps = Adaptive::default();
        let adaptive = Policy::parse("adaptive", &steps).expect("the word");
        assert!(matches!(adaptive, Policy::Adaptive(_)));
        assert_eq!(adaptive.to_string(), "adaptive");
        let cron = Policy::parse("0 * * * *", &steps).expect("a crontab line");
        assert_eq!(cron.as_str(), "0 * * * *");
        assert!(!cron.same_as(&adaptive));
        assert!(Policy::parse("adaptively", &steps).is_err());
        // An adaptive due time is the step's interval plus the watch's spread.
        let now = DateTime::from_timestamp(1_777_000_000, 0).expect("valid time");
        let due = adaptive
            .next_due("story", now, None, Tz::UTC, Duration::from_secs(60))
            .expect("young");
        assert!(due >= now + chrono::Duration::minutes(15));
        assert!(due < now + chrono::Duration::minutes(16));
    }

    #[test]
    fn next_due_is_the_next_firing_plus_the_watch_spread() {
        let schedule = Schedule::parse("0 * * * *").expect("valid");
        let now = DateTime::parse_from_rfc3339("2026-04-25T12:10:00Z")
            .expect("valid time")
            .with_timezone(&Utc);
        let fire = now + chrono::Duration::minutes(50);
        let window = Duration::from_secs(60);
        let due = |key: &str| {
            schedule
                .next_due(key, now, Tz::UTC, window)
                .expect("fires again")
        };
        for key in ["story", "other", "binance-russia-data"] {
            let offset = spread_offset(key, Duration::from_secs(3600), window);
            assert_eq!(
                due(key),
                fire + chrono::Duration::from_std(offset).expect("small")
            );
            assert!(due(key) < fire + chrono::Duration::seconds(60));
        }
    }
}
