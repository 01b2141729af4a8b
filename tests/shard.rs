//! Sharding end to end: three `redline check --shard I/3` processes on one
//! watchlist and one snapshot store, against a loopback site and a
//! loopback SMTP server. Every watch must be checked by exactly one
//! instance and every change alert delivered exactly once.

#![allow(clippy::unwrap_used, missing_docs)]

mod email_support;
mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use email_support::{Mode, Options, SmtpServer};
use support::{SEED_V1, SEED_V2, Setup, Site, redline, watch};

const WATCHES: usize = 24;

fn name(n: usize) -> String {
    format!("story-{n:02}")
}

/// Runs the three shard instances at once; returns, for each, the watch
/// names its log says it checked.
async fn run_shards(setup: &Setup) -> Vec<Vec<String>> {
    let children: Vec<_> = (0..3)
        .map(|i| {
            redline(setup.dir.path())
                .args(["check", "--shard", &format!("{i}/3")])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outputs = tokio::task::spawn_blocking(move || {
        children
            .into_iter()
            .map(|c| c.wait_with_output().unwrap())
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    outputs
        .iter()
        .map(|out| {
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success(), "a shard failed: {stderr}");
            stderr.lines().filter_map(checked_watch).collect()
        })
        .collect()
}

/// The watch a log line of a finished check names (`watch=story-07`).
fn checked_watch(line: &str) -> Option<String> {
    if !(line.contains(" checked") || line.contains(" changed")) {
        return None;
    }
    let (_, rest) = line.split_once("watch=")?;
    let name = rest.split_whitespace().next()?.trim_matches('"');
    Some(name.to_owned())
}

/// Every watch appears exactly once over the shards, and each shard took
/// some.
fn assert_each_checked_once(checked: &[Vec<String>]) {
    let all: BTreeSet<&String> = checked.iter().flatten().collect();
    let sizes: Vec<usize> = checked.iter().map(Vec::len).collect();
    assert_eq!(all.len(), WATCHES, "{checked:?}");
    assert_eq!(
        sizes.iter().sum::<usize>(),
        WATCHES,
        "a watch was checked twice: {checked:?}"
    );
    assert!(
        sizes.iter().all(|&s| s > 0),
        "a shard took no watch: {sizes:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn three_shards_check_each_watch_once_and_mail_each_alert_once() {
    let site = Site::start(SEED_V1).await;
    let smtp = SmtpServer::start(Options::new(Mode::Plain));
    let mut text = format!(
        "[email]\nserver = \"127.0.0.1:{}\"\nsecurity = \"none\"\nfrom = \"redline <alerts@redline.test>\"\nto = [\"desk@news.test\"]\n\n",
        smtp.addr.port()
    );
    for n in 0..WATCHES {
        let url = format!("{}?n={n}", site.url());
        text.push_str(&watch(&name(n), &url, "notify = [\"email\"]"));
    }
    let setup = Setup::new(&text);

    // Baseline: every watch fetched once, by one of the three.
    assert_each_checked_once(&run_shards(&setup).await);
    assert_eq!(site.requests(), WATCHES);

    // The change: each instance checks its own watches, none twice.
    site.serve(SEED_V2);
    assert_each_checked_once(&run_shards(&setup).await);
    assert_eq!(site.requests(), 2 * WATCHES);

    // One message per alert, and a third pass sends nothing more.
    let mail = smtp.wait_for(WATCHES, Duration::from_secs(20)).await;
    assert_eq!(mail.len(), WATCHES);
    assert_each_checked_once(&run_shards(&setup).await);
    let ids: BTreeSet<String> = mail
        .iter()
        .map(|m| {
            let message = email_support::parse(m);
            message.message_id().unwrap_or_default().to_owned()
        })
        .collect();
    assert_eq!(ids.len(), WATCHES, "a message was sent twice");
    assert_eq!(smtp.received().len(), WATCHES);

    // Each instance kept its own lock and outbox in the shared store.
    for i in 0..3 {
        let store = setup.store_dir();
        assert!(store.join(format!(".lock-{i}-of-3")).exists());
        assert!(store.join(format!(".outbox/shard-{i}-of-3/email")).is_dir());
    }
}
