//! Digests: change alerts that wait for their schedule and then leave as
//! one message.
//!
//! An alert for a watch with a digest schedule is kept as a [`Pending`]
//! entry in its own outbox. A group (same schedule, same recipients) falls
//! due at the schedule's first firing after its oldest entry was queued; no
//! other state is needed, so a restart changes nothing. The digest's id is
//! derived from its members' ids: gathering the same members twice (after a
//! crash between writing the digest and removing its members) yields the
//! same id, which the mail outbox refuses to queue or send twice.
//!
//! Pure: this module decides which digests are due at a given time; the
//! mailer does the reading, writing and sending.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::notify::Alert;
use crate::notify::outbox::Entry;
use crate::schedule::Schedule;

use super::message::Mail;

/// A change alert waiting for its digest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pending {
    /// The alert.
    pub alert: Alert,
    /// To recipients.
    pub to: Vec<String>,
    /// Cc recipients.
    #[serde(default)]
    pub cc: Vec<String>,
    /// The digest schedule, as written.
    pub schedule: String,
}

impl Pending {
    /// Alerts with the same schedule and recipients share a digest.
    fn group(&self) -> (String, Vec<String>, Vec<String>) {
        let (mut to, mut cc) = (self.to.clone(), self.cc.clone());
        to.sort();
        cc.sort();
        (self.schedule.clone(), to, cc)
    }
}

/// A digest ready to be queued as mail.
#[derive(Debug, Clone, PartialEq)]
pub struct Ready {
    /// The digest's outbox id.
    pub id: String,
    /// The message to queue.
    pub mail: Mail,
    /// The ids of the pending entries it replaces.
    pub members: Vec<String>,
}

/// The digests due at `now` among `pending`, and the earliest time a
/// group not yet due will be (for the mailer's timer).
pub fn due(
    pending: &[Entry<Pending>],
    now: DateTime<Utc>,
    zone: Tz,
) -> (Vec<Ready>, Option<DateTime<Utc>>) {
    let mut groups: BTreeMap<_, Vec<&Entry<Pending>>> = BTreeMap::new();
    for entry in pending {
        groups.entry(entry.item.group()).or_default().push(entry);
    }
    let mut ready = Vec::new();
    let mut next = None::<DateTime<Utc>>;
    for ((schedule, to, cc), mut members) in groups {
        members.sort_by(|a, b| (a.created, &a.id).cmp(&(b.created, &b.id)));
        let oldest = members[0].created;
        let fire = Schedule::parse(&schedule)
            .ok()
            .and_then(|s| s.next_after(oldest, zone));
        // A schedule that no longer parses (the outbox outlived a watchlist
        // edit) must not strand its alerts: they leave at once.
        let fire = fire.unwrap_or(oldest);
        if fire > now {
            next = Some(next.map_or(fire, |n| n.min(fire)));
            continue;
        }
        let members: Vec<_> = members.into_iter().filter(|m| m.created <= fire).collect();
        let ids: Vec<String> = members.iter().map(|m| m.id.clone()).collect();
        let hash = blake3::hash(ids.join("\n").as_bytes()).to_hex();
        let alerts = members.iter().map(|m| m.item.alert.clone()).collect();
        ready.push(Ready {
            id: format!("digest/{}", &hash[..20]),
            mail: Mail::Digest { alerts, to, cc },
            members: ids,
        });
    }
    (ready, next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::Event;
    use crate::report::Report;
    use crate::watchlist::WatchName;

    fn entry(id: &str, created: &str, schedule: &str, to: &str) -> Entry<Pending> {
        let created: DateTime<Utc> = created.parse().expect("time");
        let alert = Alert {
            id: id.to_owned(),
            watch: WatchName::parse("story").expect("name"),
            url: "https://example.org/".into(),
            time: created,
            event: Event::Changed {
                headline: None,
                from_version: 1,
                to_version: 2,
                report: Report::default(),
                reverted: false,
            },
        };
        let item = Pending {
            alert,
            to: vec![to.to_owned()],
            cc: vec![],
            schedule: schedule.to_owned(),
        };
        Entry {
            schema: 1,
            id: id.to_owned(),
            created,
            attempts: 0,
            next_attempt: created,
            last_error: None,
            item,
        }
    }

    #[test]
    fn groups_fall_due_at_the_first_firing_after_their_oldest_alert() {
        let daily = "0 18 * * *";
        let pending = [
            entry("a", "2026-01-01T09:00:00Z", daily, "desk@example.org"),
            entry("b", "2026-01-01T12:00:00Z", daily, "desk@example.org"),
            entry("c", "2026-01-01T13:00:00Z", daily, "other@example.org"),
            entry("d", "2026-01-01T19:00:00Z", daily, "desk@example.org"),
        ];
        let before: DateTime<Utc> = "2026-01-01T17:59:00Z".parse().expect("time");
        let (ready, next) = due(&pending, before, Tz::UTC);
        assert!(ready.is_empty());
        assert_eq!(next, Some("2026-01-01T18:00:00Z".parse().expect("time")));
        let after: DateTime<Utc> = "2026-01-01T20:00:00Z".parse().expect("time");
        let (ready, _) = due(&pending, after, Tz::UTC);
        let members: Vec<_> = ready.iter().map(|r| r.members.clone()).collect();
        assert_eq!(
            members,
            [vec!["a".to_owned(), "b".to_owned()], vec!["c".to_owned()]]
        );
        // The same members always make the same digest id.
        let (again, _) = due(&pending[..2], after, Tz::UTC);
        assert_eq!(again[0].id, ready[0].id);
    }
}
