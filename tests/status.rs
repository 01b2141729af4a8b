//! The status server against a daemon running on loopback: `/healthz`,
//! `/metrics` read by a real Prometheus text parser, and the HTML page
//! loaded in headless Chromium and read as a person would.

#![allow(clippy::unwrap_used)]

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use redline::check::{Drive, Pipeline};
use redline::metrics::Metrics;
use redline::status::{self, Board};
use redline::watchlist::WatchName;
use support::{SEED_V1, SEED_V2, Setup, Site, watch};
use tokio_util::sync::CancellationToken;

/// A daemon with its status server, after the seed article's update was
/// caught: watch `binance` has two versions, watch `quiet` one.
struct Running {
    _site: Site,
    _setup: Setup,
    addr: SocketAddr,
    shutdown: CancellationToken,
    daemon: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Running {
    async fn after_a_change() -> Running {
        let site = Site::start(SEED_V1).await;
        let every_second = "schedule = \"* * * * * *\"";
        let setup = Setup::new(&format!(
            "{}{}",
            watch("binance", &site.url(), every_second),
            watch("quiet", &site.url(), "schedule = \"0 0 1 1 *\"")
        ));
        // No spread: the yearly watch's first check comes at once.
        let text = std::fs::read_to_string(&setup.path).unwrap();
        std::fs::write(
            &setup.path,
            text.replace("[settings]\n", "[settings]\nspread = \"0s\"\n"),
        )
        .unwrap();
        let watchlist = setup.watchlist();
        let metrics = Metrics::default();
        let pipeline = Pipeline::observed(&watchlist, Drive::Daemon, metrics.clone()).unwrap();
        let board = Board::new(metrics);
        let shutdown = CancellationToken::new();
        let addr = status::serve(
            "127.0.0.1:0".parse().unwrap(),
            board.clone(),
            shutdown.clone(),
        )
        .await
        .unwrap();
        let daemon = tokio::spawn(redline::daemon::run_with(
            watchlist,
            pipeline,
            board,
            shutdown.clone(),
        ));
        let store = setup.store_dir();
        let count = |name: &str| {
            redline::store::Store::open_read_only(&store)
                .versions(&WatchName::parse(name).unwrap())
                .unwrap()
                .len()
        };
        eventually("both baselines are stored", || {
            count("binance") == 1 && count("quiet") == 1
        })
        .await;
        site.serve(SEED_V2);
        eventually("the update is stored", || count("binance") == 2).await;
        Running {
            _site: site,
            _setup: setup,
            addr,
            shutdown,
            daemon,
        }
    }

    async fn get(&self, path: &str) -> (u16, String) {
        let response = reqwest::get(format!("http://{}{path}", self.addr))
            .await
            .unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    async fn stop(self) {
        self.shutdown.cancel();
        let stopped = tokio::time::timeout(Duration::from_secs(30), self.daemon).await;
        assert!(matches!(stopped, Ok(Ok(Ok(())))), "{stopped:?}");
    }
}

async fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..300 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting until {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_parse_as_prometheus_text_with_the_expected_series() {
    let running = Running::after_a_change().await;
    // The change is counted once its check has returned, a moment after
    // its version is stored.
    let mut scraped = running.get("/metrics").await;
    for _ in 0..100 {
        if scraped.1.contains("redline_changes_total 1") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        scraped = running.get("/metrics").await;
    }
    let (code, text) = scraped;
    assert_eq!(code, 200);
    let lines = text.lines().map(|l| Ok(l.to_owned()));
    let scrape = prometheus_parse::Scrape::parse(lines).unwrap();
    let value = |name: &str, label: Option<(&str, &str)>| -> f64 {
        let sample = scrape
            .samples
            .iter()
            .find(|s| s.metric == name && label.is_none_or(|(k, v)| s.labels.get(k) == Some(v)))
            .unwrap_or_else(|| panic!("no sample {name} {label:?} in\n{text}"));
        match sample.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => v,
            prometheus_parse::Value::Histogram(ref buckets) => {
                buckets.last().map_or(0.0, |b| b.count)
            }
            prometheus_parse::Value::Summary(_) => panic!("{name} is no summary"),
        }
    };
    assert!(value("redline_checks_total", Some(("outcome", "baseline"))) >= 2.0);
    assert_eq!(
        value("redline_checks_total", Some(("outcome", "changed"))),
        1.0
    );
    assert_eq!(value("redline_changes_total", None), 1.0);
    assert!(value("redline_fetched_bytes_total", None) > 1000.0);
    assert!(value("redline_alerts_queued_total", Some(("channel", "log"))) >= 1.0);
    assert_eq!(value("redline_watches", None), 2.0);
    assert!(
        value(
            "redline_next_due_timestamp_seconds",
            Some(("watch", "quiet"))
        ) > 0.0
    );
    assert!(
        text.contains("redline_fetch_duration_seconds_bucket"),
        "{text}"
    );
    assert!(
        text.contains("redline_fetch_duration_seconds_count"),
        "{text}"
    );

    let (code, health) = running.get("/healthz").await;
    assert_eq!(code, 200, "{health}");
    assert!(
        health.starts_with("ok: the scheduler last ran at "),
        "{health}"
    );
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_pages_show_watches_and_changes_and_404_the_unknown() {
    let running = Running::after_a_change().await;
    let (code, page) = running.get("/watch/binance").await;
    assert_eq!(code, 200);
    assert!(page.contains("v1 → v2"), "{page}");
    assert!(!page.contains("<script"), "no JavaScript");
    let (code, _) = running.get("/watch/nobody").await;
    assert_eq!(code, 404);
    running.stop().await;
}

/// Headless Chromium, or why it cannot run: absent outside CI the test
/// says so and passes; in CI (CI=true) its absence fails the test.
fn chromium() -> Option<&'static str> {
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        let found = std::process::Command::new("sh")
            .args(["-c", &format!("command -v {name}")])
            .output()
            .is_ok_and(|o| o.status.success());
        if found {
            return Some(name);
        }
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "headless Chromium is required in CI: .ci/run installs Debian's chromium"
    );
    eprintln!("SKIPPED: no chromium binary on this machine (apt-get install chromium)");
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_page_in_headless_chromium_shows_watches_a_change_and_its_diff() {
    let Some(browser) = chromium() else { return };
    let running = Running::after_a_change().await;
    let url = format!("http://{}/", running.addr);
    let profile = tempfile::tempdir().unwrap();
    // A hung browser must fail the test, not hold CI until its deadline.
    let mut command = std::process::Command::new("timeout");
    command.args([
        "120",
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        &format!("--user-data-dir={}", profile.path().display()),
        "--dump-dom",
        &url,
    ]);
    let output = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let dom = String::from_utf8_lossy(&output.stdout);
    let text = scraper::Html::parse_document(&dom)
        .root_element()
        .text()
        .collect::<String>();
    for expected in [
        "binance",
        "quiet",
        "Recent changes",
        "What changed",
        "v1 → v2",
    ] {
        assert!(
            text.contains(expected),
            "`{expected}` missing from the page:\n{text}"
        );
    }
    // The diff itself: a paragraph the update added, marked as an insertion.
    assert!(
        text.contains("A Binance spokesperson told that any government"),
        "{text}"
    );
    assert!(
        dom.contains("text-decoration:underline"),
        "no insertion marked:\n{dom}"
    );
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_is_503_before_the_first_round_and_when_the_loop_is_stale() {
    let setup = Setup::new("");
    let watchlist = std::sync::Arc::new(setup.watchlist());
    let board = Board::new(Metrics::default());
    let shutdown = CancellationToken::new();
    let addr = status::serve(
        "127.0.0.1:0".parse().unwrap(),
        board.clone(),
        shutdown.clone(),
    )
    .await
    .unwrap();
    let health = || async {
        let response = reqwest::get(format!("http://{addr}/healthz"))
            .await
            .unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    };
    let (code, text) = health().await;
    assert_eq!(
        (code, text.as_str()),
        (503, "starting: the scheduler has not run yet\n")
    );

    // A scheduler whose last round is far older than the staleness bound.
    let long_ago = chrono::Utc::now() - chrono::Duration::minutes(10);
    board.publish(long_ago, &watchlist, &setup.store_dir(), Default::default());
    let (code, text) = health().await;
    assert_eq!(code, 503, "{text}");
    assert!(
        text.starts_with("stale: the scheduler last ran at "),
        "{text}"
    );
    shutdown.cancel();
}

/// A free port on loopback (nothing listens on it once this returns).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `redline run` starts the status server from `[settings] listen`, and
/// `--listen` overrides it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_serves_status_from_the_setting_or_the_flag() {
    let site = Site::start(SEED_V1).await;
    for flag in [false, true] {
        let port = free_port();
        let listen = if flag {
            "listen = \"127.0.0.1:1\"\n".to_owned()
        } else {
            format!("listen = \"127.0.0.1:{port}\"\n")
        };
        let setup = Setup::new(&watch("binance", &site.url(), ""));
        let text = std::fs::read_to_string(&setup.path).unwrap();
        std::fs::write(
            &setup.path,
            text.replace("[settings]\n", &format!("[settings]\n{listen}")),
        )
        .unwrap();
        let mut command = support::redline(setup.dir.path());
        command.arg("run").stderr(std::process::Stdio::null());
        if flag {
            command.args(["--listen", &format!("127.0.0.1:{port}")]);
        }
        let mut child = command.spawn().unwrap();
        let url = format!("http://127.0.0.1:{port}/healthz");
        let mut answer = None;
        for _ in 0..100 {
            // Nothing listens until the server starts; it says "starting"
            // until the scheduler's first round.
            if let Ok(response) = reqwest::get(&url).await {
                answer = Some((response.status().as_u16(), response.text().await.unwrap()));
                if answer.as_ref().is_some_and(|(code, _)| *code == 200) {
                    break;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        let (code, text) = answer.unwrap_or_else(|| panic!("nothing answered on port {port}"));
        assert_eq!(code, 200, "flag {flag}: {text}");
    }
}
