//! Feed watches on the adaptive schedule, end to end: a loopback newsroom
//! serves an RSS feed, a home page whose Atom feed is found by
//! autodiscovery, and the articles both list; a loopback SMTP server
//! takes the alerts. The daemon's scheduling is stepped with a clock the
//! test moves (`daemon::Rounds`), so two days of schedules run in moments
//! and nothing sleeps.

#![allow(clippy::unwrap_used, missing_docs)]

mod email_support;
#[path = "feed_support/mod.rs"]
mod newsroom;
mod support;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use email_support::{Mode, Options, SmtpServer};
use newsroom::{Shared, Story, start_newsroom};
use redline::check::{Drive, Pipeline};
use redline::daemon::{Clock, Rounds};
use redline::watchlist::{Watch, WatchName, Watchlist};
use support::Setup;

/// The simulated time the scheduler reads.
#[derive(Debug)]
struct FakeClock(Mutex<DateTime<Utc>>);

impl Clock for FakeClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

impl FakeClock {
    fn set(&self, time: DateTime<Utc>) {
        *self.0.lock().unwrap() = time;
    }
}

/// Every check of a run: when, which watch, how it ended.
type Log = Vec<(DateTime<Utc>, WatchName, &'static str)>;

/// Steps the scheduler from one due time to the next up to `until`,
/// moving the clock to each, as the daemon's loop would wake.
async fn run_until(rounds: &mut Rounds, clock: &FakeClock, until: DateTime<Utc>, log: &mut Log) {
    for _ in 0..10_000 {
        let Some(next) = rounds.next_due() else {
            break;
        };
        if next > until {
            break;
        }
        clock.set(next.max(clock.now()));
        for checked in rounds.step().await {
            let word = match &checked.result {
                Ok(outcome) => outcome.word(),
                Err(e) => panic!("{} failed: {e}", checked.watch),
            };
            log.push((clock.now(), checked.watch, word));
        }
    }
    clock.set(until);
}

/// The checks of `watch` in `log` within `(from, to]`.
fn checks_of(
    log: &Log,
    watch: &WatchName,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<DateTime<Utc>> {
    log.iter()
        .filter(|(at, name, _)| name == watch && *at > from && *at <= to)
        .map(|(at, _, _)| *at)
        .collect()
}

fn names(watches: &[Watch]) -> Vec<WatchName> {
    let mut names: Vec<WatchName> = watches.iter().map(|w| w.name.clone()).collect();
    names.sort();
    names
}

fn derived(watchlist: &Watchlist, feed: usize, base: &str, slug: &str) -> WatchName {
    let url = url::Url::parse(&format!("{base}/news/{slug}")).unwrap();
    watchlist.feeds[feed].derived_name(&url)
}

fn watchlist_text(base: &str, smtp: &SmtpServer, with_wire: bool) -> String {
    let mut text = format!(
        "spread = \"0s\"\n\n[email]\nserver = \"127.0.0.1:{}\"\nsecurity = \"none\"\n\
         from = \"alerts@redline.test\"\nto = [\"desk@news.test\"]\ntimeout = \"5s\"\n\n",
        smtp.addr.port()
    );
    if with_wire {
        text.push_str(&format!(
            "[[feed]]\nname = \"wire\"\nurl = \"{base}/rss.xml\"\nnotify = [\"email\"]\n\
             refresh = \"1h\"\nretire_after = \"2days\"\n\n"
        ));
    }
    text.push_str(&format!(
        "[[feed]]\nname = \"desk\"\nurl = \"{base}/home\"\nnotify = [\"email\"]\n\
         refresh = \"1h\"\nretire_after = \"2days\"\n"
    ));
    text
}

#[tokio::test]
async fn feed_entries_are_watched_on_the_adaptive_schedule_alerted_on_change_and_retired() {
    let t0: DateTime<Utc> = "2026-12-01T08:00:00Z".parse().unwrap();
    let hours = |h: i64| t0 + Duration::hours(h);
    let minutes = |m: i64| t0 + Duration::minutes(m);
    let newsroom: Shared = Arc::default();
    {
        let mut n = newsroom.lock().unwrap();
        n.rss.push(Story {
            slug: "harbour",
            title: "Harbour budget passes",
            published: minutes(-10),
            extra: None,
        });
        n.atom.push(Story {
            slug: "bridge",
            title: "Bridge repairs overrun",
            published: hours(-20),
            extra: None,
        });
    }
    let base = start_newsroom(newsroom.clone()).await;
    let smtp = SmtpServer::start(Options::new(Mode::Plain));
    let setup = Setup::new(&watchlist_text(&base, &smtp, true));
    let watchlist = setup.watchlist();
    let harbour = derived(&watchlist, 0, &base, "harbour");
    let bridge = derived(&watchlist, 1, &base, "bridge");
    let ferry = derived(&watchlist, 0, &base, "ferry");
    let pipeline = Pipeline::from_watchlist(&watchlist, Drive::OnePass).unwrap();
    let clock = Arc::new(FakeClock(Mutex::new(t0)));
    let mut rounds = Rounds::start(watchlist, pipeline, clock.clone()).await;
    let mut log = Log::new();

    // The first round reads both feeds (the Atom one through the home
    // page's link) and takes each entry's baseline: no mail.
    run_until(&mut rounds, &clock, t0, &mut log).await;
    assert_eq!(names(&rounds.watches()), {
        let mut both = vec![harbour.clone(), bridge.clone()];
        both.sort();
        both
    });
    let first: HashMap<_, _> = log.iter().map(|(_, n, w)| (n.clone(), *w)).collect();
    assert_eq!(first[&harbour], "baseline");
    assert_eq!(first[&bridge], "baseline");

    // Three hours: the ten-minute-old story every 15 minutes, then hourly
    // from the third hour of its life; the 20-hour-old one hourly.
    run_until(&mut rounds, &clock, hours(3), &mut log).await;
    let harbour_checks = checks_of(&log, &harbour, t0, hours(3));
    assert_eq!(harbour_checks.len(), 12, "{harbour_checks:?}");
    assert_eq!(harbour_checks[0], minutes(15));
    assert_eq!(
        checks_of(&log, &bridge, t0, hours(3)),
        [hours(1), hours(2), hours(3)]
    );
    assert!(
        smtp.received().is_empty(),
        "baselines and unchanged checks send nothing"
    );

    // The bridge story is updated and the wire lists a new story.
    {
        let mut n = newsroom.lock().unwrap();
        n.atom[0].extra = Some("Update: the council voted to cover the overrun.");
        n.rss.insert(
            0,
            Story {
                slug: "ferry",
                title: "Ferry timetable changes",
                published: hours(3),
                extra: None,
            },
        );
    }
    run_until(&mut rounds, &clock, hours(5), &mut log).await;
    // The change is alerted by email, once.
    let mail = smtp.wait_for(1, std::time::Duration::from_secs(10)).await;
    assert_eq!(mail.len(), 1);
    let message = email_support::parse(&mail[0]);
    let subject = message.subject().unwrap_or_default().to_owned();
    assert!(subject.contains("Bridge repairs overrun"), "{subject}");
    let changed: Vec<_> = log
        .iter()
        .filter(|(_, n, w)| *n == bridge && *w == "changed")
        .collect();
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0].0, hours(4));
    // The change made it young again: every 15 minutes after it.
    assert_eq!(
        checks_of(&log, &bridge, hours(4), hours(5)),
        [minutes(255), minutes(270), minutes(285), minutes(300)]
    );
    // The new entry became a watch at the next reading and was baselined, not alerted.
    let ferry_checks: Vec<_> = log.iter().filter(|(_, n, _)| *n == ferry).collect();
    assert_eq!(ferry_checks[0].2, "baseline");
    assert_eq!(ferry_checks[0].0, hours(4));
    assert_eq!(rounds.watches().len(), 3);

    // Two days on: the two first stories retired by age (from their
    // published times), the ferry story still watched.
    run_until(&mut rounds, &clock, hours(50), &mut log).await;
    assert_eq!(names(&rounds.watches()), std::slice::from_ref(&ferry));
    assert!(checks_of(&log, &bridge, hours(28), hours(50)).is_empty());
    assert!(checks_of(&log, &harbour, hours(48), hours(50)).is_empty());
    // Older, checked less: the harbour story's checks on its second day
    // are three hours apart.
    let second_day = checks_of(&log, &harbour, hours(24), hours(47));
    assert!(
        second_day
            .windows(2)
            .all(|w| w[1] - w[0] == Duration::hours(3)),
        "{second_day:?}"
    );
    assert_eq!(smtp.received().len(), 1, "nothing else was alerted");
    // An unchanged feed costs a 304: every hourly reading but those after
    // the ferry story appeared.
    assert!(newsroom.lock().unwrap().rss_not_modified > 40);

    // `list` shows the derived watches under their feeds.
    let listed = support::text(&support::run(&setup, &["list"]).await.stdout);
    assert!(listed.contains("feed wire"), "{listed}");
    assert!(listed.contains(ferry.as_str()), "{listed}");
    assert!(listed.contains(&format!("retired {harbour}")), "{listed}");

    // The wire feed leaves the watchlist: its watch is retired, and its
    // record stays in the store's history.
    std::fs::write(
        &setup.path,
        format!(
            "[settings]\nsnapshots = \"snapshots\"\nper_host_interval = \"0s\"\n{}",
            watchlist_text(&base, &smtp, false)
        ),
    )
    .unwrap();
    rounds.reload(setup.watchlist()).await;
    assert!(rounds.watches().is_empty());
    let record = std::fs::read_to_string(setup.store_dir().join(".feeds/wire.json")).unwrap();
    let record: serde_json::Value = serde_json::from_str(&record).unwrap();
    let entries = record["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert!(entries.iter().all(|e| e["retired"].is_string()), "{record}");
}

#[tokio::test]
async fn a_one_pass_check_checks_the_feeds_entries_too() {
    let t0: DateTime<Utc> = "2026-12-01T08:00:00Z".parse().unwrap();
    let newsroom: Shared = Arc::default();
    newsroom.lock().unwrap().rss.push(Story {
        slug: "harbour",
        title: "Harbour budget passes",
        published: t0,
        extra: None,
    });
    let base = start_newsroom(newsroom.clone()).await;
    let setup = Setup::new(&format!(
        "[[feed]]\nname = \"wire\"\nurl = \"{base}/rss.xml\"\nnotify = [\"log\"]\n"
    ));
    let watchlist = setup.watchlist();
    let harbour = derived(&watchlist, 0, &base, "harbour");
    {
        // The daemon reads the feed and takes the entry's baseline.
        let pipeline = Pipeline::from_watchlist(&watchlist, Drive::OnePass).unwrap();
        let clock = Arc::new(FakeClock(Mutex::new(t0)));
        let mut rounds = Rounds::start(watchlist, pipeline, clock.clone()).await;
        let mut log = Log::new();
        // Within the spread window (a minute by default).
        run_until(&mut rounds, &clock, t0 + Duration::minutes(1), &mut log).await;
        assert_eq!(log.len(), 1);
        assert_eq!((&log[0].1, log[0].2), (&harbour, "baseline"));
    }
    newsroom.lock().unwrap().rss[0].extra = Some("Update: the vote was 7 to 2.");
    let checked = support::run(&setup, &["check", "--format", "json"]).await;
    assert!(
        checked.status.success(),
        "{}",
        support::text(&checked.stderr)
    );
    let report = support::text(&checked.stdout);
    assert!(report.contains("the vote was 7 to 2"), "{report}");
    let listed = support::run(&setup, &["list", "--format", "json"]).await;
    let rows: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(rows[0]["name"], harbour.as_str());
    assert_eq!(rows[0]["feed"], "wire");
    assert_eq!(rows[0]["versions"], 2);
}

/// Waits (polling) until `done` holds, failing after a generous deadline:
/// the running daemon's timing is not under test, only its effects.
async fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..300 {
        if done() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("timed out waiting until {what}");
}

fn versions(store: &std::path::Path, name: &WatchName) -> usize {
    let store = redline::store::Store::open_read_only(store);
    store.versions(name).unwrap().len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_running_daemon_reads_its_feeds_and_retires_a_removed_one() {
    let now = Utc::now();
    let newsroom: Shared = Arc::default();
    newsroom.lock().unwrap().rss.push(Story {
        slug: "harbour",
        title: "Harbour budget passes",
        published: now,
        extra: None,
    });
    let base = start_newsroom(newsroom.clone()).await;
    let feed = format!(
        "[[feed]]\nname = \"wire\"\nurl = \"{base}/rss.xml\"\nnotify = [\"log\"]\nrefresh = \"1s\"\n"
    );
    let setup = Setup::new(&format!("spread = \"0s\"\n\n{feed}"));
    let watchlist = setup.watchlist();
    let harbour = derived(&watchlist, 0, &base, "harbour");
    let ferry = derived(&watchlist, 0, &base, "ferry");
    let pipeline = setup.pipeline();
    let shutdown = tokio_util::sync::CancellationToken::new();
    let daemon = tokio::spawn(redline::daemon::run(watchlist, pipeline, shutdown.clone()));
    let store = setup.store_dir();

    eventually("the entry's baseline is stored", || {
        versions(&store, &harbour) == 1
    })
    .await;
    newsroom.lock().unwrap().rss.insert(
        0,
        Story {
            slug: "ferry",
            title: "Ferry timetable changes",
            published: now,
            extra: None,
        },
    );
    eventually("a new entry is watched", || versions(&store, &ferry) == 1).await;

    // The feed leaves the watchlist: the reload retires its watches.
    let text = std::fs::read_to_string(&setup.path).unwrap();
    std::fs::write(&setup.path, text.replace(&feed, "")).unwrap();
    let record = store.join(".feeds/wire.json");
    eventually("the removed feed's watches are retired", || {
        std::fs::read_to_string(&record).is_ok_and(|text| text.matches("\"retired\"").count() == 2)
    })
    .await;
    shutdown.cancel();
    daemon.await.unwrap().unwrap();
}

/// Regression: a store from before the article's life was kept, whose page
/// answers 304, must still start its life (else an adaptive watch never ages).
#[tokio::test]
async fn a_life_starts_at_the_first_check_even_one_answered_304() {
    let story = support::Story::start(support::SEED_V1).await;
    let checked = story.pipeline.check(story.watch(), Utc::now()).await;
    let life = checked.life.expect("a baseline starts the life");
    // The seed page states its publication in its metadata.
    assert_eq!(
        life.published,
        Some("2022-04-22T10:55:00Z".parse().unwrap())
    );
    // As an older store's state: no life recorded.
    let path = story.setup.store_dir().join("binance/state.json");
    let mut state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    for key in ["first_seen", "published", "last_change"] {
        state.as_object_mut().unwrap().remove(key);
    }
    std::fs::write(&path, state.to_string()).unwrap();
    let later = Utc::now();
    let again = story.pipeline.check(story.watch(), later).await;
    assert_eq!(again.result.unwrap().word(), "not-modified");
    assert_eq!(again.life.map(|l| l.first_seen), Some(later));
}
