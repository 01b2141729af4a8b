//! A watch's failure streak: one "failing" alert when checks keep failing,
//! one "recovered" alert when they work again, and the state saved after
//! every check. The streak closes only once its "recovered" alert was
//! handed over, and both alerts' ids name the streak's start, so a retry is
//! the same alert. This module must not decide whether a check failed: it
//! is given the result.

use chrono::{DateTime, Utc};

use super::{CheckError, Outcome, Pipeline};
use crate::notify::{Alert, Event};
use crate::store::{Durability, WatchState};
use crate::watchlist::Watch;

impl Pipeline {
    /// Records the check in the watch's state, turns failure streaks into
    /// one "failing" and one "recovered" alert, and saves the state: synced
    /// when anything but the check's time, outcome word and validators
    /// changed from `loaded` (the state as read before the check), else
    /// lazily.
    pub(super) async fn settle(
        &self,
        watch: &Watch,
        loaded: WatchState,
        mut state: WatchState,
        result: Result<Outcome, CheckError>,
        now: DateTime<Utc>,
    ) -> Result<Outcome, CheckError> {
        state.last_check = Some(now);
        match &result {
            Ok(outcome) => {
                state.last_outcome = Some(outcome.word().to_owned());
                self.close_streak(watch, &mut state, now).await;
            }
            Err(error) => self.extend_streak(watch, &mut state, error, now).await,
        }
        let name = watch.name.clone();
        let sync = if only_check_time_changed(&loaded, &state) {
            Durability::Lazy
        } else {
            Durability::Durable
        };
        if let Err(e) = self
            .on_store(move |store| store.save_state_with(&name, &state, sync))
            .await
        {
            tracing::error!(watch = %watch.name, error = %crate::error_chain(&e), "cannot save the watch's state");
            return result.and(Err(e));
        }
        result
    }

    /// After a successful check: the streak ends, and when a "failing"
    /// alert went out, it ends only once the "recovered" alert was handed
    /// over (else the next successful check tries again). The alert's id
    /// names the streak's start, so a retry is the same alert.
    async fn close_streak(&self, watch: &Watch, state: &mut WatchState, now: DateTime<Utc>) {
        if state.failure_alerted {
            let since = state.failing_since.unwrap_or(now);
            let event = Event::Recovered {
                failures: state.failures,
                since,
            };
            if !self
                .send_streak_alert(watch, "recovered", since, event, now)
                .await
            {
                return;
            }
        }
        state.failures = 0;
        state.failing_since = None;
        state.last_error = None;
        state.failure_alerted = false;
    }

    /// After a failed check: the streak grows, and reaching the threshold
    /// sends its one "failing" alert.
    async fn extend_streak(
        &self,
        watch: &Watch,
        state: &mut WatchState,
        error: &CheckError,
        now: DateTime<Utc>,
    ) {
        let reason = crate::error_chain(error);
        state.last_outcome = Some("failed".to_owned());
        state.failures += 1;
        let since = *state.failing_since.get_or_insert(now);
        state.last_error = Some(reason.clone());
        if state.failures >= self.failure_alert_after && !state.failure_alerted {
            let event = Event::Failing {
                reason,
                failures: state.failures,
                since,
            };
            state.failure_alerted = self
                .send_streak_alert(watch, "failing", since, event, now)
                .await;
        }
    }

    /// Hands a failing or recovered alert over; returns whether it was.
    async fn send_streak_alert(
        &self,
        watch: &Watch,
        kind: &str,
        since: DateTime<Utc>,
        event: Event,
        now: DateTime<Utc>,
    ) -> bool {
        let alert = Alert {
            id: format!("{}/{kind}/{}", watch.name, since.timestamp()),
            watch: watch.name.clone(),
            url: watch.display_url(),
            time: now,
            event,
        };
        match self.notifier.send(alert, watch).await {
            Ok(()) => true,
            Err(e) => {
                tracing::error!(watch = %watch.name, error = %crate::error_chain(&e), "cannot hand over the {kind} alert; will try again at the next check");
                false
            }
        }
    }
}

/// Whether `after` differs from `before` in the check's time, outcome
/// word, the page's validators and the page the anchor last read only:
/// what a reader may see a little late, and a power cut may lose, at no
/// cost. The next check writes them again; with the validators lost it
/// fetches the page whole, and the article it finds is the one the synced
/// state records, as nothing else changed (a page whose furniture changed
/// around the same article).
fn only_check_time_changed(before: &WatchState, after: &WatchState) -> bool {
    let mut moved = before.clone();
    moved.last_check = after.last_check;
    moved.last_outcome.clone_from(&after.last_outcome);
    moved.etag.clone_from(&after.etag);
    moved.last_modified.clone_from(&after.last_modified);
    // Which page the anchor was last made from only spares a later check
    // work: a new one is kept when the state is synced for another reason,
    // and is no reason to sync it (a page whose furniture churns would
    // cost a synced write at every check).
    // The anchors are compared apart, whole or trimmed: a state read from
    // the store's cache holds a trimmed one, and an extraction that found
    // the same article a whole one.
    let same_anchor = match (&moved.anchor, &after.anchor) {
        (Some(before), Some(after)) => before.same_but_seen(after),
        (none, also) => none.is_none() && also.is_none(),
    };
    moved.anchor = None;
    same_anchor
        && moved
            == WatchState {
                anchor: None,
                ..after.clone()
            }
}
