//! The log channel and the human report: `check` prints each report once on
//! standard output, the log carries one structured event per alert (its
//! summary and fields, not the report), and quietening the log keeps alerts.

#![allow(clippy::unwrap_used)]

mod support;

use support::{SEED_V1, SEED_V2, Setup, Site, redline, watch};

/// Runs `redline check` twice in `setup` (baseline, then the seed's update)
/// with `args` and `rust_log`, and returns the second run's output.
async fn changed_check(args: &[&str], rust_log: Option<&str>) -> std::process::Output {
    let site = Site::start(SEED_V1).await;
    let setup = Setup::new(&watch("binance", &site.url(), ""));
    let run = |setup: &Setup| {
        let mut command = redline(setup.dir.path());
        command.args(args).arg("check");
        match rust_log {
            Some(filter) => command.env("RUST_LOG", filter),
            None => command.env_remove("RUST_LOG"),
        };
        tokio::task::spawn_blocking(move || command.output().unwrap())
    };
    let baseline = run(&setup).await.unwrap();
    assert!(
        baseline.status.success(),
        "{}",
        String::from_utf8_lossy(&baseline.stderr)
    );
    site.serve(SEED_V2);
    let changed = run(&setup).await.unwrap();
    assert!(
        changed.status.success(),
        "{}",
        String::from_utf8_lossy(&changed.stderr)
    );
    changed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_prints_the_report_once_and_logs_only_its_summary() {
    let output = changed_check(&[], Some("redline=info")).await;
    let (stdout, stderr) = (
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    assert!(stdout.contains("{+"), "the report is on stdout:\n{stdout}");
    assert!(!stderr.contains("{+"), "and not again on stderr:\n{stderr}");
    let alerts: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("article changed"))
        .collect();
    assert_eq!(alerts.len(), 1, "one alert line:\n{stderr}");
    assert!(alerts[0].contains("summary="), "{}", alerts[0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_carry_the_alert_as_fields_not_a_report() {
    let output = changed_check(&["--log-format", "json"], Some("redline=info")).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    let events: Vec<serde_json::Value> = stderr
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    let alert = events
        .iter()
        .find(|e| e["target"] == "redline::alert")
        .unwrap_or_else(|| panic!("no alert event:\n{stderr}"));
    let fields = &alert["fields"];
    assert_eq!(fields["message"], "article changed");
    assert_eq!(fields["watch"], "binance");
    assert_eq!(fields["to"], 2);
    assert!(
        fields["summary"]
            .as_str()
            .is_some_and(|s| s.contains("+7 paragraphs")),
        "{fields}"
    );
    for event in &events {
        let message = event["fields"]["message"].as_str().unwrap_or_default();
        assert!(!message.contains('\n'), "a message is one line: {message}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quiet_logs_keep_alerts() {
    for (args, filter) in [(&["-q"][..], None), (&[][..], Some("warn"))] {
        let output = changed_check(args, filter).await;
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("article changed"),
            "{args:?} {filter:?}:\n{stderr}"
        );
        assert!(
            !stderr.contains(" checked"),
            "progress is hidden:\n{stderr}"
        );
    }
}
