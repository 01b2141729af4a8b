//! The adaptive schedule policy: an article is checked often while it is
//! young or recently changed, less and less often as it ages, and no more
//! once it is old.
//!
//! News behaves this way: a story changes most in its first hours and
//! rarely after a week. The policy is a list of steps, each "every INTERVAL
//! until AGE": the first step whose age the article has not reached gives
//! the interval to its next check; past the last step it is not checked
//! again. An article's age counts from the later of its published time
//! (from the page's metadata, else the first time redline saw it) and its
//! last stored change, so a change makes it young again.
//!
//! Pure: every function takes the current time as an argument. It must not
//! read the store or a clock; the daemon hands it what the checks found.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One step of the policy: checks every `every` while the article is
/// younger than `until`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    /// The time between two checks in this step.
    pub every: Duration,
    /// The age at which the step ends.
    pub until: Duration,
}

/// The adaptive policy: its steps, in order of age.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adaptive {
    /// At least one step; `until` strictly increases from one to the next.
    steps: Vec<Step>,
}

/// Why a list of steps is not a policy.
#[derive(Debug, thiserror::Error)]
#[error("`{step}` is not an adaptive schedule step: {reason}")]
pub struct StepError {
    /// The rejected step as written.
    pub step: String,
    /// What is wrong with it.
    pub reason: String,
}

/// What the policy knows of an article's life: when it was born and when
/// it last changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Life {
    /// When it was published, as the page's metadata states it.
    pub published: Option<DateTime<Utc>>,
    /// When redline first saw it.
    pub first_seen: DateTime<Utc>,
    /// When a change of it was last stored.
    pub changed: Option<DateTime<Utc>>,
}

impl Life {
    /// The moment its age counts from: the later of its birth (published,
    /// else first seen) and its last change.
    pub fn young_since(&self) -> DateTime<Utc> {
        let born = self.published.unwrap_or(self.first_seen);
        self.changed.map_or(born, |changed| changed.max(born))
    }

    /// Its age at `now`; zero for a time stated in the future.
    pub fn age(&self, now: DateTime<Utc>) -> Duration {
        (now - self.young_since())
            .to_std()
            .unwrap_or(Duration::ZERO)
    }
}

impl Adaptive {
    /// The default steps: every 15 minutes in the first 3 hours, hourly in
    /// the first day, every 3 hours in the first week, daily in the first
    /// month, then no more.
    pub const DEFAULT_STEPS: [&'static str; 4] = [
        "every 15m until 3h",
        "every 1h until 1d",
        "every 3h until 7d",
        "every 1d until 30d",
    ];

    /// The hint shown with a rejected step.
    pub const HINT: &'static str = "write each step as \"every INTERVAL until AGE\", ages increasing, e.g. [\"every 15m until 3h\", \"every 1h until 1d\"]";

    /// Parses steps such as `"every 15m until 3h"`.
    ///
    /// # Errors
    ///
    /// A [`StepError`] naming the first step that is malformed, has a zero
    /// interval, or does not end later than the one before it; an empty
    /// list is refused too.
    pub fn parse<S: AsRef<str>>(steps: &[S]) -> Result<Self, StepError> {
        let mut parsed: Vec<Step> = Vec::with_capacity(steps.len());
        for text in steps {
            let text = text.as_ref();
            let error = |reason: &str| StepError {
                step: text.to_owned(),
                reason: reason.to_owned(),
            };
            let step = parse_step(text).map_err(|reason| error(&reason))?;
            if parsed.last().is_some_and(|last| last.until >= step.until) {
                return Err(error("its age must be later than the step before it"));
            }
            parsed.push(step);
        }
        if parsed.is_empty() {
            return Err(StepError {
                step: String::new(),
                reason: "the policy needs at least one step".into(),
            });
        }
        Ok(Adaptive { steps: parsed })
    }

    /// The steps, in order of age.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// The interval between checks of an article of this `age`; `None`
    /// once it is older than the last step: it is not checked again.
    pub fn interval(&self, age: Duration) -> Option<Duration> {
        self.steps
            .iter()
            .find(|step| age < step.until)
            .map(|step| step.every)
    }

    /// When an article with this `life` is next due after `now` (a check
    /// at `now`); `None` when it is too old to be checked again. An
    /// article whose life is not known yet is as young as can be.
    pub fn next_after(&self, life: Option<&Life>, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let age = life.map_or(Duration::ZERO, |life| life.age(now));
        let every = self.interval(age)?;
        Some(now + chrono::Duration::from_std(every).unwrap_or_default())
    }
}

impl Default for Adaptive {
    fn default() -> Self {
        Adaptive::parse(&Self::DEFAULT_STEPS).expect("the default steps are valid")
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "every {} until {}",
            humantime::format_duration(self.every),
            humantime::format_duration(self.until)
        )
    }
}

/// One step, `every INTERVAL until AGE`.
fn parse_step(text: &str) -> Result<Step, String> {
    let rest = text
        .trim()
        .strip_prefix("every ")
        .ok_or("it must start with `every`")?;
    let (every, until) = rest
        .split_once(" until ")
        .ok_or("it needs `until AGE` after the interval")?;
    let duration = |part: &str| {
        humantime::parse_duration(part.trim()).map_err(|e| format!("`{}`: {e}", part.trim()))
    };
    let (every, until) = (duration(every)?, duration(until)?);
    if every.is_zero() {
        return Err("the interval must be longer than zero".into());
    }
    Ok(Step { every, until })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: u64 = 60;
    const HOUR: u64 = 3600;
    const DAY: u64 = 24 * HOUR;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_777_000_000 + seconds, 0).expect("valid test time")
    }

    #[test]
    fn default_steps_slow_down_with_age_then_stop() {
        let policy = Adaptive::default();
        // (age, expected interval)
        let cases = [
            (0, Some(15 * MINUTE)),
            (2 * HOUR + 59 * MINUTE, Some(15 * MINUTE)),
            (3 * HOUR, Some(HOUR)),
            (23 * HOUR, Some(HOUR)),
            (DAY, Some(3 * HOUR)),
            (6 * DAY, Some(3 * HOUR)),
            (7 * DAY, Some(DAY)),
            (29 * DAY, Some(DAY)),
            (30 * DAY, None),
            (400 * DAY, None),
        ];
        for (age, expected) in cases {
            assert_eq!(
                policy.interval(Duration::from_secs(age)),
                expected.map(Duration::from_secs),
                "age {age}s"
            );
        }
    }

    #[test]
    fn age_counts_from_published_else_first_seen_and_a_change_makes_young() {
        let policy = Adaptive::default();
        let now = at(0);
        let old = Life {
            published: Some(at(-(2 * DAY as i64))),
            first_seen: at(-(4 * HOUR as i64)),
            changed: None,
        };
        // Published two days ago: every 3 hours, though first seen 4 hours ago.
        assert_eq!(
            policy.next_after(Some(&old), now),
            Some(now + chrono::Duration::hours(3))
        );
        // No published time: 4 hours since first seen, hourly.
        let unstated = Life {
            published: None,
            ..old
        };
        assert_eq!(
            policy.next_after(Some(&unstated), now),
            Some(now + chrono::Duration::hours(1))
        );
        // Changed ten minutes ago: young again.
        let changed = Life {
            changed: Some(at(-600)),
            ..old
        };
        assert_eq!(
            policy.next_after(Some(&changed), now),
            Some(now + chrono::Duration::minutes(15))
        );
        // Published in the future (a wrong clock on the site): as young as can be.
        let future = Life {
            published: Some(at(DAY as i64)),
            ..old
        };
        assert_eq!(
            policy.next_after(Some(&future), now),
            Some(now + chrono::Duration::minutes(15))
        );
        // Unknown life: the first step.
        assert_eq!(
            policy.next_after(None, now),
            Some(now + chrono::Duration::minutes(15))
        );
        // Two months old: never again.
        let ancient = Life {
            published: Some(at(-(60 * DAY as i64))),
            ..old
        };
        assert_eq!(policy.next_after(Some(&ancient), now), None);
    }

    #[test]
    fn steps_are_configurable_and_checked() {
        let policy = Adaptive::parse(&["every 5m until 1h", "every 2h until 2d"]).expect("valid");
        assert_eq!(policy.steps().len(), 2);
        assert_eq!(
            policy.interval(Duration::from_secs(30 * MINUTE)),
            Some(Duration::from_secs(5 * MINUTE))
        );
        assert_eq!(policy.interval(Duration::from_secs(3 * DAY)), None);
        assert_eq!(policy.steps()[1].to_string(), "every 2h until 2days");
        let bad: [&[&str]; 5] = [
            &[],
            &["15m until 3h"],
            &["every 15m"],
            &["every 0s until 1h"],
            &["every 1h until 1d", "every 2h until 1d"],
        ];
        for steps in bad {
            assert!(
                Adaptive::parse(steps).is_err(),
                "{steps:?} should be refused"
            );
        }
    }
}
