//! The commands a user reaches for when something went wrong: accepting a
//! page the guard refused, requeuing refused mail, reading a store with a
//! damaged file in it, and a page that went back to an earlier version.

#![allow(clippy::unwrap_used)]

mod email_support;
mod support;

use std::path::PathBuf;
use std::time::Duration;

use email_support::{Mode, Options, SmtpServer};
use support::{SEED_V1, SEED_V2, Setup, Site, article_page, redline, run, text, watch};

/// Runs `args` and returns (exit code, stdout, stderr).
async fn call(setup: &Setup, args: &[&str]) -> (Option<i32>, String, String) {
    let output = run(setup, args).await;
    (
        output.status.code(),
        text(&output.stdout),
        text(&output.stderr),
    )
}

fn seed_v3() -> String {
    SEED_V2.replace(
        "Meanwhile, the exchange previously stated",
        "Meanwhile, the exchange had previously stated",
    )
}

/// The stored version files of `watch`, oldest first.
fn version_files(setup: &Setup, watch: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(setup.store_dir().join(watch).join("versions"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_str().unwrap();
            name.ends_with(".json") && !name.ends_with(".report.json") && !name.starts_with('.')
        })
        .collect();
    files.sort();
    files
}

/// Cuts a file in half, as a full disk or a bad copy would.
fn truncate(path: &PathBuf) {
    let bytes = std::fs::read(path).unwrap();
    std::fs::write(path, &bytes[..bytes.len() / 2]).unwrap();
}

/// Three versions of the seed story, checked with the binary.
async fn three_versions() -> (Site, Setup) {
    let site = Site::start(SEED_V1).await;
    let setup = Setup::new(&watch("binance", &site.url(), ""));
    for page in [SEED_V1, SEED_V2, &seed_v3()] {
        site.serve(page);
        let (code, _, err) = call(&setup, &["check"]).await;
        assert_eq!(code, Some(0), "{err}");
    }
    (site, setup)
}

#[tokio::test]
async fn issue9_2_accept_takes_the_refused_page_now() {
    let site = Site::start(&article_page(14, "long")).await;
    let setup = Setup::new(&watch("story", &site.url(), ""));
    assert_eq!(call(&setup, &["check"]).await.0, Some(0));
    site.serve(&article_page(3, "rewritten"));
    let (code, _, err) = call(&setup, &["check"]).await;
    assert_eq!(code, Some(1), "the shrink is refused at first: {err}");
    assert!(err.contains("collapsed"), "{err}");
    let (code, out, err) = call(&setup, &["accept", "story"]).await;
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(out.contains("rewritten"), "the report is printed: {out}");
    assert_eq!(version_files(&setup, "story").len(), 2);
    let (code, _, err) = call(&setup, &["check"]).await;
    assert_eq!(code, Some(0), "{err}");
}

/// Waits until a running daemon holds the store's lock, so that a command
/// run next meets it there (and does not take the store first).
async fn wait_for_store_lock(setup: &Setup) {
    let path = setup.store_dir().join(".lock");
    for _ in 0..100 {
        if let Ok(file) = std::fs::File::open(&path) {
            match file.try_lock() {
                Err(std::fs::TryLockError::WouldBlock) => return,
                Ok(()) => file.unlock().unwrap(),
                Err(e) => panic!("cannot test the store's lock: {e:?}"),
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the daemon never took the store's lock");
}

#[tokio::test]
async fn issue9_2_accept_beside_a_running_daemon_is_honoured_at_its_next_check() {
    let site = Site::start(&article_page(14, "long")).await;
    let setup = Setup::new(&watch("story", &site.url(), "schedule = \"* * * * * *\""));
    assert_eq!(call(&setup, &["check"]).await.0, Some(0));
    site.serve(&article_page(3, "rewritten"));
    let mut daemon = redline(setup.dir.path())
        .arg("run")
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_for_store_lock(&setup).await;
    let (code, out, err) = call(&setup, &["accept", "story"]).await;
    // The daemon stores the page, then removes the marker: wait for both,
    // or a kill between the two would leave the marker behind.
    let marker = setup.store_dir().join("story/accept");
    let mut stored = 0;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        stored = version_files(&setup, "story").len();
        if stored == 2 && !marker.exists() {
            break;
        }
    }
    daemon.kill().unwrap();
    tokio::task::spawn_blocking(move || daemon.wait().unwrap())
        .await
        .unwrap();
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(out.contains("at its next check"), "{out}");
    assert_eq!(stored, 2, "the daemon took the shorter page");
    assert!(!marker.exists());
}

#[tokio::test]
async fn issue9_8_a_truncated_version_does_not_stop_history_or_diff() {
    let (_site, setup) = three_versions().await;
    let files = version_files(&setup, "binance");
    assert_eq!(files.len(), 3);
    truncate(&files[1]);
    let damaged = files[1].file_name().unwrap().to_str().unwrap().to_owned();
    let (_, out, err) = call(&setup, &["history", "binance"]).await;
    assert!(out.contains("v1") && out.contains("v3"), "{out}\n{err}");
    assert!(
        format!("{out}{err}").contains(&damaged),
        "the damaged file is named:\n{out}\n{err}"
    );
    // The last change reads from its stored report, not the damaged file.
    let (code, out, err) = call(&setup, &["diff", "binance"]).await;
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(out.contains("had"), "the v2 → v3 edit: {out}");
}

#[tokio::test]
async fn issue9_8_moving_a_damaged_version_aside_lets_checks_go_on() {
    let (site, setup) = three_versions().await;
    let files = version_files(&setup, "binance");
    truncate(&files[2]);
    site.serve(SEED_V1);
    let (code, _, err) = call(&setup, &["check"]).await;
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("move it aside"), "{err}");
    let aside = setup.dir.path().join("damaged.json");
    std::fs::rename(&files[2], &aside).unwrap();
    let (code, _, err) = call(&setup, &["check"]).await;
    assert_eq!(code, Some(0), "the advice works: {err}");
    // A new text gets a number never used, not the moved-aside one's.
    site.serve(&SEED_V2.replace(
        "Meanwhile, the exchange previously stated",
        "Meanwhile, the exchange once stated",
    ));
    let (code, _, err) = call(&setup, &["check"]).await;
    assert_eq!(code, Some(0), "{err}");
    let numbers: Vec<String> = version_files(&setup, "binance")
        .iter()
        .map(|p| p.file_name().unwrap().to_str().unwrap()[..6].to_owned())
        .collect();
    assert_eq!(numbers, ["000001", "000002", "000004"], "{err}");
    let (code, out, err) = call(&setup, &["history", "binance"]).await;
    assert_eq!(code, Some(0), "{out}\n{err}");
}

#[tokio::test]
async fn issue9_8_a_corrupt_state_does_not_stop_list() {
    let site = Site::start(SEED_V1).await;
    let setup = Setup::new(&format!(
        "{}{}",
        watch("first", &site.url(), ""),
        watch("second", &site.url(), "")
    ));
    assert_eq!(call(&setup, &["check"]).await.0, Some(0));
    let state = setup.store_dir().join("first/state.json");
    std::fs::write(&state, b"{\"schema\": 1, \"url\": ").unwrap();
    let (_, out, err) = call(&setup, &["list"]).await;
    assert!(
        out.contains("first") && out.contains("second"),
        "{out}\n{err}"
    );
    assert!(
        format!("{out}{err}").contains("state.json"),
        "the damaged file is named:\n{out}\n{err}"
    );
}

#[tokio::test]
async fn issue9_9_a_refused_alert_keeps_check_failing_until_requeued() {
    let site = Site::start(SEED_V1).await;
    let port = email_support::free_port();
    let mut options = Options::new(Mode::Plain);
    options.port = Some(port);
    options.refuse = Some("desk@news.test".into());
    let refusing = SmtpServer::start(options.clone());
    let email = format!(
        "[email]\nserver = \"127.0.0.1:{port}\"\nsecurity = \"none\"\nfrom = \"redline <alerts@redline.test>\"\nto = [\"desk@news.test\"]\n\n"
    );
    let setup = Setup::new(&format!(
        "{email}{}",
        watch("binance", &site.url(), "notify = [\"log\", \"email\"]")
    ));
    assert_eq!(call(&setup, &["check"]).await.0, Some(0));
    site.serve(SEED_V2);
    assert_eq!(call(&setup, &["check"]).await.0, Some(1), "refused now");
    let (code, _, err) = call(&setup, &["check"]).await;
    assert_eq!(code, Some(1), "still refused, still not dealt with: {err}");
    assert!(err.contains("outbox"), "the way back is named: {err}");
    let (code, out, err) = call(&setup, &["outbox"]).await;
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("rejected") && out.contains("550"), "{out}");

    // The server is fixed; the refused alert goes back in the queue.
    drop(refusing);
    // Let the old listener close before the new one takes its port.
    tokio::time::sleep(Duration::from_millis(300)).await;
    options.refuse = None;
    let server = SmtpServer::start(options);
    let (code, out, err) = call(&setup, &["outbox", "requeue", "--all"]).await;
    assert_eq!(code, Some(0), "{out}\n{err}");
    let (code, _, err) = call(&setup, &["check"]).await;
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(server.wait_for(1, Duration::from_secs(10)).await.len(), 1);
}

#[tokio::test]
async fn issue8_history_show_and_diff_describe_the_page_after_a_revert() {
    let site = Site::start(SEED_V1).await;
    let setup = Setup::new(&watch("binance", &site.url(), ""));
    for page in [SEED_V1, SEED_V2, SEED_V1] {
        site.serve(page);
        let (code, _, err) = call(&setup, &["check"]).await;
        assert_eq!(code, Some(0), "{err}");
    }
    let (_, out, _) = call(&setup, &["show", "binance"]).await;
    assert!(
        out.contains("including president Vladimir Putin"),
        "show prints the version on the page now (v1): {out}"
    );
    let (_, out, _) = call(&setup, &["history", "binance"]).await;
    assert!(out.contains("reverted to v1"), "{out}");
    let (code, out, err) = call(&setup, &["diff", "binance"]).await;
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("v2") && out.contains("v1"), "{out}");
    assert!(
        out.find("v2").unwrap() < out.find("v1").unwrap(),
        "from v2 to v1: {out}"
    );
}

#[tokio::test]
async fn issue10_history_reads_the_stored_report() {
    let (_site, setup) = three_versions().await;
    let reports: Vec<PathBuf> = std::fs::read_dir(setup.store_dir().join("binance/versions"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_str().unwrap().ends_with(".report.json"))
        .collect();
    assert_eq!(reports.len(), 2, "versions 2 and 3 keep their reports");
    for path in &reports {
        let json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        assert_eq!(json["schema"], 1, "{}", path.display());
        assert!(json["summary"].is_string());
    }
    // A stored report is what history shows: emptied, it reads as empty.
    let v3 = reports
        .iter()
        .find(|p| p.to_str().unwrap().contains("000003-"))
        .unwrap();
    let mut json: serde_json::Value = serde_json::from_slice(&std::fs::read(v3).unwrap()).unwrap();
    json["changes"] = serde_json::json!([]);
    json["findings"] = serde_json::json!([]);
    std::fs::write(v3, serde_json::to_vec(&json).unwrap()).unwrap();
    let (code, out, err) = call(&setup, &["history", "binance"]).await;
    assert_eq!(code, Some(0), "{err}");
    let v3_line = out.lines().find(|l| l.starts_with("v3")).unwrap();
    assert!(!v3_line.contains("edit"), "{v3_line}");
}
