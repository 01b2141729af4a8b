//! The daemon: scheduled checks, watchlist reloads (good and bad edits) and
//! a graceful stop, against a real server on loopback.

#![allow(clippy::unwrap_used)]

mod support;

use std::path::Path;
use std::time::Duration;

use redline::watchlist::WatchName;
use support::{SEED_V1, SEED_V2, Setup, Site, watch};
use tokio_util::sync::CancellationToken;

/// Waits (polling) until `done` holds, failing the test after a generous
/// deadline: the daemon's timing is not under test, only its effects.
async fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..300 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting until {what}");
}

fn versions(store: &Path, name: &str) -> usize {
    let store = redline::store::Store::open_read_only(store);
    store
        .versions(&WatchName::parse(name).unwrap())
        .unwrap()
        .len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn daemon_checks_on_schedule_reloads_edits_and_stops_gracefully() {
    let site = Site::start(SEED_V1).await;
    // Every second, no spread: the test sees effects quickly.
    let every_second = "schedule = \"* * * * * *\"";
    let setup = Setup::new(&watch("first", &site.url(), every_second));
    std::fs::write(
        &setup.path,
        std::fs::read_to_string(&setup.path)
            .unwrap()
            .replace("[settings]\n", "[settings]\nspread = \"0s\"\n"),
    )
    .unwrap();
    let watchlist = setup.watchlist();
    let pipeline = setup.pipeline();
    let shutdown = CancellationToken::new();
    let daemon = tokio::spawn(redline::daemon::run(watchlist, pipeline, shutdown.clone()));
    let store = setup.store_dir();

    eventually("the baseline is stored", || versions(&store, "first") == 1).await;
    site.serve(SEED_V2);
    eventually("the update is stored", || versions(&store, "first") == 2).await;

    // A valid edit adds a watch without a restart. The file's timestamp must
    // move for the edit to be seen, so wait past the file system's granularity.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let text = std::fs::read_to_string(&setup.path).unwrap();
    // Its schedule fires once a year: only the first check at once, for a
    // watch never checked, can record its baseline within the test.
    let yearly = "schedule = \"0 0 1 1 *\"";
    std::fs::write(
        &setup.path,
        format!("{text}{}", watch("second", &site.url(), yearly)),
    )
    .unwrap();
    eventually("the added watch is checked", || {
        versions(&store, "second") == 1
    })
    .await;

    // An invalid edit is refused and the daemon goes on with the last good list.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    std::fs::write(&setup.path, "[[watch]]\nname = \"broken\"\n").unwrap();
    let requests = site.requests();
    eventually("checks go on after a bad edit", || {
        site.requests() > requests + 2
    })
    .await;
    assert!(!daemon.is_finished());

    shutdown.cancel();
    let stopped = tokio::time::timeout(Duration::from_secs(30), daemon).await;
    assert!(
        matches!(stopped, Ok(Ok(Ok(())))),
        "the daemon stops when asked: {stopped:?}"
    );
}

#[cfg(unix)]
#[tokio::test]
async fn sigterm_stops_the_binary_cleanly() {
    let site = Site::start(SEED_V1).await;
    let setup = Setup::new(&watch("first", &site.url(), "schedule = \"* * * * * *\""));
    let child = support::redline(setup.dir.path())
        .arg("run")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let store = setup.store_dir();
    eventually("the daemon has checked once", || {
        versions(&store, "first") == 1
    })
    .await;
    let pid = child.id().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    let output = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("daemon stopped"), "{stderr}");
    // The store's lock is released: another writer may open it now.
    redline::store::Store::open(&store).unwrap();
}
