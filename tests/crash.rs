//! A daemon killed at arbitrary moments (SIGKILL, no chance to clean up)
//! leaves a store that is whole: every version and state file reads back,
//! no content is stored twice, the lock is free, and the next run goes on.
//! With email configured, every stored version is announced, and a message
//! is sent twice only when a kill lands between the server's acceptance
//! and the outbox's record of it (counted and printed).

#![allow(clippy::unwrap_used)]
#![cfg(unix)]

mod email_support;
mod support;

use std::collections::HashSet;
use std::time::Duration;

use email_support::{Mode, Options as SmtpOptions, SmtpServer};
use redline::store::Store;
use redline::watchlist::WatchName;
use support::{SEED_V1, SEED_V1_CHROME, SEED_V2, Setup, Site, redline, run, watch};

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
    let output = run(&setup, &["check"]).await;
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Kills in the kill-and-restart test: at random moments, just after the
/// checks start (they fire on whole seconds), and after a check had time
/// to finish.
const KILLS: usize = 52;

/// The version a message announces and whether it is a return, read from
/// its Message-ID (`<redline.w0.v1-ab….v2-cd….<hash>@…>`); `None` for a
/// failing or recovered alert.
fn announced_version(message_id: &str) -> Option<(String, u32, bool)> {
    let readable = message_id.trim_matches(['<', '>']).split('@').next()?;
    let parts: Vec<&str> = readable.split('.').collect();
    let watch = (*parts.get(1)?).to_owned();
    let to = parts.iter().rev().find(|p| {
        p.starts_with('v')
            && p.contains('-')
            && p[1..]
                .split('-')
                .next()
                .is_some_and(|n| n.parse::<u32>().is_ok())
    })?;
    let version = to[1..].split('-').next()?.parse().ok()?;
    Some((watch, version, parts.contains(&"revert")))
}

/// The seed article with one sentence numbered `n`: a new version per `n`.
fn numbered_page(n: usize) -> String {
    SEED_V2.replace(
        "Meanwhile, the exchange previously stated",
        &format!("Meanwhile ({n}), the exchange previously stated"),
    )
}

#[tokio::test]
async fn sigkill_with_email_announces_every_version_once() {
    let site = Site::start(SEED_V1).await;
    let smtp = SmtpServer::start(SmtpOptions::new(Mode::Plain));
    let every_second = "schedule = \"* * * * * *\"\nnotify = [\"log\", \"email\"]";
    let email = format!(
        "[email]\nserver = \"127.0.0.1:{}\"\nsecurity = \"none\"\nfrom = \"redline <alerts@redline.test>\"\nto = [\"desk@news.test\"]\n\n",
        smtp.addr.port()
    );
    let watches: String = (0..3)
        .map(|i| watch(&format!("w{i}"), &site.url(), every_second))
        .collect();
    let setup = Setup::new(&format!("{email}{watches}"));
    let text = std::fs::read_to_string(&setup.path).unwrap();
    std::fs::write(
        &setup.path,
        text.replace("[settings]\n", "[settings]\nspread = \"0s\"\n"),
    )
    .unwrap();

    let started = std::time::Instant::now();
    let mut page = 0;
    for kill in 0..KILLS {
        // Mostly a new text; now and then the page goes back one version.
        if kill % 7 == 6 && page > 0 {
            site.serve(&numbered_page(page - 1));
        } else {
            page += 1;
            site.serve(&numbered_page(page));
        }
        let log = std::fs::File::create(setup.dir.path().join(format!("run-{kill}.log"))).unwrap();
        let mut child = redline(setup.dir.path())
            .arg("run")
            .stderr(log)
            .spawn()
            .unwrap();
        // A version and the return to the one before it get time for a
        // check each; the others are killed at random or just after the
        // checks start.
        let wait = if kill % 7 >= 5 {
            Duration::from_millis(2000)
        } else if kill % 2 == 0 {
            Duration::from_millis(fastrand::u64(200..2500))
        } else {
            // Just after the next whole second, when the checks start.
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap();
            let to_second =
                Duration::from_secs(1) - Duration::from_nanos(u64::from(now.subsec_nanos()));
            to_second + Duration::from_millis(fastrand::u64(0..40))
        };
        tokio::time::sleep(wait).await;
        child.kill().unwrap();
        tokio::task::spawn_blocking(move || child.wait().unwrap())
            .await
            .unwrap();
    }
    // A last pass announces whatever the kills left unannounced and sends it.
    let mut logs = String::new();
    for _ in 0..2 {
        let output = run(&setup, &["check"]).await;
        assert_eq!(
            output.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        logs.push_str(&String::from_utf8_lossy(&output.stderr));
    }
    for kill in 0..KILLS {
        logs.push_str(
            &std::fs::read_to_string(setup.dir.path().join(format!("run-{kill}.log"))).unwrap(),
        );
    }

    let store = Store::open(&setup.store_dir()).expect("the lock dies with the process");
    let mut versions_stored = 0;
    let mut expected = HashSet::new();
    for i in 0..3 {
        let name = WatchName::parse(&format!("w{i}")).unwrap();
        store.state(&name).expect("state.json reads back");
        let versions = store.versions(&name).unwrap();
        let mut seen = HashSet::new();
        for info in &versions {
            let snapshot = store
                .load(&name, info.version)
                .expect("every version parses");
            assert!(
                seen.insert(snapshot.fingerprint.clone()),
                "w{i}: v{} stored twice",
                info.version
            );
            versions_stored += 1;
            if info.version != versions[0].version {
                expected.insert((format!("w{i}"), info.version));
            }
        }
    }
    let leftovers: Vec<_> = walk(&setup.store_dir())
        .into_iter()
        .filter(|p| p.to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");

    let received = smtp.received();
    let mut copies: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut announced = HashSet::new();
    let mut reverts = 0;
    for message in &received {
        let parsed = email_support::parse(message);
        let id = parsed.message_id().unwrap_or_default().to_owned();
        *copies.entry(id.clone()).or_default() += 1;
        if let Some((watch, version, revert)) = announced_version(&id) {
            if revert {
                reverts += 1;
            } else {
                announced.insert((watch, version));
            }
        }
    }
    let duplicates: usize = copies.values().map(|n| n - 1).sum();
    // A message recorded as delivered is never sent again: every extra copy
    // is one the server accepted while the sender was killed before its
    // record (the documented window), never a second recorded delivery.
    let from: lettre::message::Mailbox = "redline <alerts@redline.test>".parse().unwrap();
    let mut recorded: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for line in logs.lines().filter(|l| l.contains("email delivered")) {
        let Some(id) = line
            .split(" alert=")
            .nth(1)
            .and_then(|r| r.split(' ').next())
        else {
            continue;
        };
        let message_id = redline::notify::email::message::message_id(id, &from);
        *recorded
            .entry(message_id.trim_matches(['<', '>']).to_owned())
            .or_default() += 1;
    }
    let failed_passes = logs.matches("email delivery pass failed").count();
    println!(
        "kill test: {} deliveries recorded, {failed_passes} failed delivery passes",
        recorded.values().sum::<usize>()
    );
    for (id, n) in &copies {
        let logged = recorded.get(id).copied().unwrap_or(0);
        assert!(logged <= 1, "{id} was recorded as delivered {logged} times");
        if *n > 1 {
            println!("kill test: {id} arrived {n} times, recorded {logged} time(s)");
        }
    }
    let missing: Vec<_> = expected.difference(&announced).collect();
    println!(
        "kill test: {KILLS} kills, {versions_stored} versions stored, {} emails ({} distinct, {reverts} returns), {duplicates} duplicates, {:.1}s",
        received.len(),
        copies.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(missing.is_empty(), "versions never announced: {missing:?}");
    assert!(
        expected.len() >= 20,
        "the kills left too few versions to judge: {}",
        expected.len()
    );
    // Each duplicate needs a kill inside the window.
    assert!(duplicates <= KILLS / 4, "{duplicates} duplicate emails");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}
