//! A daemon killed at arbitrary moments (SIGKILL, no chance to clean up)
//! leaves a store that is whole: every version and state file reads back,
//! no content is stored twice, the lock is free, and the next run goes on.

#![allow(clippy::unwrap_used)]
#![cfg(unix)]

mod support;

use std::collections::HashSet;
use std::time::Duration;

use redline::store::Store;
use redline::watchlist::WatchName;
use support::{SEED_V1, SEED_V1_CHROME, SEED_V2, Setup, Site, redline, watch};

const WATCHES: usize = 6;

#[tokio::test]
async fn sigkill_at_any_moment_leaves_a_whole_store() {
    let site = Site::start(SEED_V1).await;
    let every_second = "schedule = \"* * * * * *\"";
    let watches: String = (0..WATCHES)
        .map(|i| watch(&format!("w{i}"), &site.url(), every_second))
        .collect();
    let setup = Setup::new(&watches);
    let text = std::fs::read_to_string(&setup.path).unwrap();
    std::fs::write(
        &setup.path,
        text.replace("[settings]\n", "[settings]\nspread = \"0s\"\n"),
    )
    .unwrap();

    // Kill points spread over a second or two, changing the page between
    // runs so that versions are being written when the kill lands.
    let pages = [SEED_V2, SEED_V1, SEED_V1_CHROME, SEED_V2, SEED_V1, SEED_V2];
    let waits_ms = [1300, 450, 1700, 900, 1150, 600];
    for (page, wait) in pages.iter().zip(waits_ms) {
        site.serve(page);
        let mut child = redline(setup.dir.path())
            .arg("run")
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        tokio::time::sleep(Duration::from_millis(wait)).await;
        child.kill().unwrap();
        tokio::task::spawn_blocking(move || child.wait().unwrap())
            .await
            .unwrap();
    }

    let store = Store::open(&setup.store_dir()).expect("the lock dies with the process");
    let mut checked_some = false;
    for i in 0..WATCHES {
        let name = WatchName::parse(&format!("w{i}")).unwrap();
        store.state(&name).expect("state.json reads back");
        let versions = store.versions(&name).unwrap();
        let mut seen = HashSet::new();
        for info in &versions {
            let snapshot = store
                .load(&name, info.version)
                .expect("every version reads back");
            assert!(
                seen.insert(snapshot.fingerprint.clone()),
                "w{i}: content stored twice"
            );
            checked_some = true;
        }
        // Two distinct articles were served (the chrome variant is v1's article).
        assert!(versions.len() <= 2, "w{i}: {} versions", versions.len());
    }
    assert!(
        checked_some,
        "the daemon stored something before being killed"
    );
    drop(store);

    // The next run picks up where the killed ones left off.
    let mut command = redline(setup.dir.path());
    command.arg("check");
    let output = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
