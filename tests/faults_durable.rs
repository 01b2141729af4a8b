//! Nothing lost, nothing false: the pipeline's durable behaviour under
//! faults that once lost an alert, reused an id or kept a watch failing
//! for good. Alerts are read from the email outbox (its server port is
//! closed, so they stay queued where the test can look at them).

#![allow(clippy::unwrap_used)]

mod support;

use std::path::{Path, PathBuf};

use chrono::Utc;
use redline::check::Pipeline;
use redline::notify::Event;
use redline::notify::email::{Mail, Mailer};
use redline::notify::outbox::Outbox;
use support::{Fault, SEED_V1, SEED_V2, Setup, Site, article_page, watch};

/// The seed's second version with one more edit: a third distinct article.
fn seed_v3() -> String {
    SEED_V2.replace(
        "Meanwhile, the exchange previously stated",
        "Meanwhile, the exchange had previously stated",
    )
}

/// A watch `story` on `site` with email alerts to a port where nothing
/// listens: every alert stays in the outbox.
fn setup_with_email(site: &Site) -> Setup {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let email = format!(
        "[email]\nserver = \"127.0.0.1:{port}\"\nsecurity = \"none\"\nfrom = \"redline <alerts@redline.test>\"\nto = [\"desk@news.test\"]\n\n"
    );
    Setup::new(&format!(
        "{email}{}",
        watch("story", &site.url(), "notify = [\"log\", \"email\"]")
    ))
}

/// The change alerts waiting in the outbox, oldest first, as
/// (from version, to version, id).
fn queued_changes(pipeline: &Pipeline) -> Vec<(u32, u32, String)> {
    let mailer = pipeline.notifier().mailer().unwrap();
    mailer
        .pending()
        .unwrap()
        .into_iter()
        .filter_map(|entry| match entry.item {
            Mail::Alert { alert, .. } => match alert.event {
                Event::Changed {
                    from_version,
                    to_version,
                    ..
                } => Some((from_version, to_version, entry.id)),
                _ => None,
            },
            Mail::Digest { .. } => None,
        })
        .collect()
}

/// The ids of every alert waiting in the outbox, oldest first.
fn queued_ids(pipeline: &Pipeline) -> Vec<String> {
    let mailer = pipeline.notifier().mailer().unwrap();
    mailer
        .pending()
        .unwrap()
        .into_iter()
        .map(|e| e.id)
        .collect()
}

/// The email outbox's queue folder.
fn mail_dir(setup: &Setup) -> PathBuf {
    Mailer::outbox_dir(&setup.store_dir()).join("mail")
}

/// Makes the outbox unwritable (its folder becomes a file) until the guard
/// is dropped: every hand-off to the email channel then fails.
struct BrokenOutbox(PathBuf);

impl BrokenOutbox {
    fn new(dir: &Path) -> Self {
        std::fs::rename(dir, dir.with_extension("away")).unwrap();
        std::fs::write(dir, b"not a folder").unwrap();
        BrokenOutbox(dir.to_owned())
    }
}

impl Drop for BrokenOutbox {
    fn drop(&mut self) {
        std::fs::remove_file(&self.0).unwrap();
        std::fs::rename(self.0.with_extension("away"), &self.0).unwrap();
    }
}

async fn word(pipeline: &Pipeline, setup: &Setup) -> String {
    let watchlist = setup.watchlist();
    match pipeline
        .check(&watchlist.watches[0], Utc::now())
        .await
        .result
    {
        Ok(outcome) => outcome.word().to_owned(),
        Err(e) => format!("failed: {}", redline::error_chain(&e)),
    }
}

#[tokio::test]
async fn issue9_2_a_return_to_a_stored_version_is_accepted_even_when_much_shorter() {
    let site = Site::start(&article_page(3, "short")).await;
    let setup = Setup::new(&watch("story", &site.url(), ""));
    let pipeline = setup.pipeline();
    assert_eq!(word(&pipeline, &setup).await, "baseline");
    site.serve(&article_page(14, "short"));
    assert_eq!(word(&pipeline, &setup).await, "changed");
    // The short article again: a collapse next to the long one, but a
    // version already stored, so it is the page as it was, not a fault.
    site.serve(&article_page(3, "short"));
    assert_eq!(word(&pipeline, &setup).await, "reverted");
}

#[tokio::test]
async fn issue9_2_a_shrink_that_stays_stable_is_accepted_as_the_new_article() {
    let site = Site::start(&article_page(14, "long")).await;
    let setup = setup_with_email(&site);
    let pipeline = setup.pipeline();
    assert_eq!(word(&pipeline, &setup).await, "baseline");
    site.serve(&article_page(3, "rewritten"));
    let mut seen = Vec::new();
    for _ in 0..3 {
        seen.push(word(&pipeline, &setup).await);
    }
    assert!(
        seen[0].starts_with("failed") && seen[0].contains("collapsed"),
        "{seen:?}"
    );
    assert!(seen[1].starts_with("failed"), "{seen:?}");
    assert_eq!(seen[2], "changed", "{seen:?}");
    let changes = queued_changes(&pipeline);
    assert_eq!(
        changes.iter().map(|c| (c.0, c.1)).collect::<Vec<_>>(),
        [(1, 2)]
    );
}

#[tokio::test]
async fn issue9_4_alert_ids_are_never_reused_after_the_store_is_reset() {
    let site = Site::start(SEED_V1).await;
    let setup = setup_with_email(&site);
    {
        let pipeline = setup.pipeline();
        assert_eq!(word(&pipeline, &setup).await, "baseline");
        site.serve(SEED_V2);
        assert_eq!(word(&pipeline, &setup).await, "changed");
        let ids = queued_ids(&pipeline);
        assert_eq!(ids.len(), 1);
        // The alert is delivered.
        let outbox: Outbox<Mail> = Outbox::open(&mail_dir(&setup)).unwrap();
        outbox.delivered(&ids[0]).unwrap();
    }
    // The watch's snapshots are reset; its history starts again.
    std::fs::remove_dir_all(setup.store_dir().join("story")).unwrap();
    let pipeline = setup.pipeline();
    site.serve(SEED_V1);
    assert_eq!(word(&pipeline, &setup).await, "baseline");
    site.serve(&seed_v3());
    assert_eq!(word(&pipeline, &setup).await, "changed");
    let changes = queued_changes(&pipeline);
    assert_eq!(changes.len(), 1, "the new version 2's alert is queued");
}

#[tokio::test]
async fn issue9_5_every_stored_version_is_announced_in_order() {
    let site = Site::start(SEED_V1).await;
    let setup = setup_with_email(&site);
    let pipeline = setup.pipeline();
    assert_eq!(word(&pipeline, &setup).await, "baseline");
    site.serve(SEED_V2);
    {
        // Version 2 is stored but its alert cannot be handed over.
        let _broken = BrokenOutbox::new(&mail_dir(&setup));
        assert!(word(&pipeline, &setup).await.starts_with("failed"));
    }
    assert_eq!(
        pipeline
            .store()
            .versions(&setup.watchlist().watches[0].name)
            .unwrap()
            .len(),
        2
    );
    // The page changes again before the next check.
    site.serve(&seed_v3());
    assert_eq!(word(&pipeline, &setup).await, "changed");
    let changes: Vec<(u32, u32)> = queued_changes(&pipeline)
        .iter()
        .map(|c| (c.0, c.1))
        .collect();
    assert_eq!(changes, [(1, 2), (2, 3)], "never v1 → v3");
}

#[tokio::test]
async fn issue9_6_a_recovered_alert_is_retried_until_handed_over() {
    let site = Site::start(SEED_V1).await;
    let setup = setup_with_email(&site);
    let pipeline = setup.pipeline();
    let name = setup.watchlist().watches[0].name.clone();
    assert_eq!(word(&pipeline, &setup).await, "baseline");
    // failure_alert_after = 2; each check tries twice.
    for _ in 0..2 {
        site.fail_next([Fault::Status(500), Fault::Status(500)]);
        assert!(word(&pipeline, &setup).await.starts_with("failed"));
    }
    let failing = queued_ids(&pipeline);
    assert_eq!(failing.len(), 1, "{failing:?}");
    {
        let _broken = BrokenOutbox::new(&mail_dir(&setup));
        word(&pipeline, &setup).await;
        let state = pipeline.store().state(&name).unwrap();
        assert!(
            state.failure_alerted,
            "the recovery is not announced yet, so the streak stays open"
        );
    }
    word(&pipeline, &setup).await;
    let ids = queued_ids(&pipeline);
    assert_eq!(ids.len(), 2, "{ids:?}");
    let recovered = ids.iter().find(|id| id.contains("recovered")).unwrap();
    let stamp = |id: &str| id.rsplit('/').next().unwrap().to_owned();
    assert_eq!(
        stamp(recovered),
        stamp(&failing[0]),
        "both alerts name the streak's start"
    );
    let state = pipeline.store().state(&name).unwrap();
    assert!(!state.failure_alerted && state.failures == 0);
}

#[tokio::test]
async fn issue9_10_stale_temporary_files_are_cleaned_when_the_store_opens() {
    let site = Site::start(SEED_V1).await;
    let setup = setup_with_email(&site);
    {
        let pipeline = setup.pipeline();
        assert_eq!(word(&pipeline, &setup).await, "baseline");
    }
    let leftovers = [
        setup
            .store_dir()
            .join("story/versions/.000002-abc.json.9999999.tmp"),
        setup.store_dir().join("story/.state.json.9999999.tmp"),
        mail_dir(&setup).join(".story%2Fv2.json.9999999.tmp"),
    ];
    for path in &leftovers {
        std::fs::write(path, b"{half").unwrap();
    }
    // As a writer killed mid-write leaves it: without the mark of a store
    // closed by its writer (which spares the next one looking).
    std::fs::remove_file(setup.store_dir().join(".closed")).unwrap();
    let _pipeline = setup.pipeline();
    for path in &leftovers {
        assert!(!path.exists(), "{} was left behind", path.display());
    }
}

#[tokio::test]
async fn issue8_a_withdrawn_correction_alerts_once() {
    let site = Site::start(SEED_V1).await;
    let setup = setup_with_email(&site);
    let pipeline = setup.pipeline();
    assert_eq!(word(&pipeline, &setup).await, "baseline");
    site.serve(SEED_V2);
    assert_eq!(word(&pipeline, &setup).await, "changed");
    // The update is withdrawn: the page is version 1 again.
    site.serve(SEED_V1);
    assert_eq!(word(&pipeline, &setup).await, "reverted");
    for _ in 0..2 {
        word(&pipeline, &setup).await;
    }
    let changes: Vec<(u32, u32)> = queued_changes(&pipeline)
        .iter()
        .map(|c| (c.0, c.1))
        .collect();
    assert_eq!(changes, [(1, 2), (2, 1)], "one alert for the withdrawal");
    let mailer = pipeline.notifier().mailer().unwrap();
    let withdrawal = mailer.pending().unwrap().pop().unwrap();
    let Mail::Alert { alert, .. } = withdrawal.item else {
        panic!("not an alert");
    };
    let Event::Changed {
        reverted, report, ..
    } = alert.event
    else {
        panic!("not a change");
    };
    assert!(reverted, "the alert says the page went back");
    assert!(
        report.summary().starts_with("-8 paragraphs, 3 edits"),
        "the report runs from the version left to the one returned to: {}",
        report.summary()
    );
    let state = pipeline
        .store()
        .state(&setup.watchlist().watches[0].name)
        .unwrap();
    assert_eq!(state.current_version, Some(1));
}

#[tokio::test]
async fn issue8_a_flip_flopping_page_does_not_alert_on_every_check() {
    let site = Site::start(SEED_V1).await;
    let setup = setup_with_email(&site);
    let pipeline = setup.pipeline();
    assert_eq!(word(&pipeline, &setup).await, "baseline");
    let mut words = Vec::new();
    for page in [SEED_V2, SEED_V1, SEED_V2, SEED_V1, SEED_V2, SEED_V1] {
        site.serve(page);
        words.push(word(&pipeline, &setup).await);
    }
    assert_eq!(
        words,
        [
            "changed", "reverted", "reverted", "reverted", "reverted", "reverted"
        ]
    );
    let changes: Vec<(u32, u32)> = queued_changes(&pipeline)
        .iter()
        .map(|c| (c.0, c.1))
        .collect();
    assert_eq!(changes, [(1, 2), (2, 1)], "once per distinct transition");
}
