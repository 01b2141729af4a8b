//! The webhook and command channels (issue 12): configured in the
//! watchlist, built by the pipeline, delivered through the shared durable
//! queue. Receivers are real HTTP servers on 127.0.0.1:0; programs are
//! real processes run without a shell (`sh -c` is the test's program).

#![allow(clippy::unwrap_used)]

mod email_support;
mod support;

use std::collections::VecDeque;
use std::path::Path;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hmac::{Hmac, KeyInit, Mac};
use redline::notify::Outlet;
use redline::watchlist::{Channel, ChannelName};
use serde_json::Value;
use support::{SEED_V1, SEED_V2, Setup, Site, redline, text, watch};

/// The token in the receiver's address: it must never be shown.
const TOKEN: &str = "T0KEN-8c1e";
/// The signing secret, given through the environment.
const SECRET: &str = "hook-s3cret-42ab";

/// One request a receiver got.
#[derive(Debug, Clone)]
struct Request {
    headers: HeaderMap,
    body: Bytes,
}

#[derive(Default)]
struct ReceiverState {
    /// Statuses to answer next; 200 once they run out.
    answers: VecDeque<u16>,
    received: Vec<Request>,
}

/// A webhook receiver on loopback.
#[derive(Clone)]
struct Receiver {
    port: u16,
    state: Arc<Mutex<ReceiverState>>,
}

impl Receiver {
    /// A receiver on `port` (0: any free port) answering `answers` first.
    async fn start(port: u16, answers: &[u16]) -> Receiver {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(ReceiverState {
            answers: answers.iter().copied().collect(),
            received: Vec::new(),
        }));
        async fn answer(
            State(state): State<Arc<Mutex<ReceiverState>>>,
            headers: HeaderMap,
            body: Bytes,
        ) -> Response {
            let mut state = state.lock().unwrap();
            state.received.push(Request { headers, body });
            let status = StatusCode::from_u16(state.answers.pop_front().unwrap_or(200)).unwrap();
            // A rate limit says when to come back.
            if status == StatusCode::TOO_MANY_REQUESTS {
                return (status, [(header::RETRY_AFTER, "3600")]).into_response();
            }
            status.into_response()
        }
        let app = Router::new().fallback(answer).with_state(state.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Receiver { port, state }
    }

    fn url(port: u16) -> String {
        format!("http://127.0.0.1:{port}/hooks/{TOKEN}")
    }

    fn received(&self) -> Vec<Request> {
        self.state.lock().unwrap().received.clone()
    }
}

/// The named channel `name` of the setup's one-pass pipeline.
fn outlet(pipeline: &redline::check::Pipeline, name: &str) -> Arc<dyn Outlet> {
    let channel = Channel::Named(ChannelName::parse(name).unwrap());
    pipeline.notifier().outlet(&channel).unwrap().clone()
}

/// A setup with one channel table and a watch that notifies it.
fn setup_with(channel: &str, name: &str) -> Setup {
    Setup::new(&format!(
        "{channel}\n{}",
        watch(
            "binance",
            "http://127.0.0.1:9/",
            &format!("notify = [\"log\", \"{name}\"]")
        )
    ))
}

/// Queues the seed alert on `outlet` as the pipeline would.
fn enqueue(outlet: &Arc<dyn Outlet>, setup: &Setup) {
    let watchlist = setup.watchlist();
    let put = outlet
        .enqueue(&email_support::seed_alert(), &watchlist.watches[0])
        .unwrap();
    assert_eq!(put, redline::notify::outbox::Put::Queued);
}

fn hmac_hex(key: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(body);
    let bytes = mac.finalize().into_bytes();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn a_change_is_posted_as_its_report_signed_with_hmac() {
    let site = Site::start(SEED_V1).await;
    let receiver = Receiver::start(0, &[]).await;
    let table = format!(
        "[webhook.desk]\nurl = \"{}\"\nsecret_env = \"REDLINE_TEST_HOOK_SECRET\"\ntimeout = \"5s\"\n",
        Receiver::url(receiver.port)
    );
    let setup = Setup::new(&format!(
        "{table}\n{}",
        watch("binance", &site.url(), "notify = [\"log\", \"desk\"]")
    ));
    let check = |setup: &Setup| {
        let mut command = redline(setup.dir.path());
        command.arg("check").env("REDLINE_TEST_HOOK_SECRET", SECRET);
        async move {
            tokio::task::spawn_blocking(move || command.output().unwrap())
                .await
                .unwrap()
        }
    };
    let first = check(&setup).await;
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    site.serve(SEED_V2);
    let second = check(&setup).await;
    assert_eq!(second.status.code(), Some(0), "{}", text(&second.stderr));
    let received = receiver.received();
    assert_eq!(received.len(), 1, "one change, one post");
    let request = &received[0];
    let header = |name: &str| {
        request
            .headers
            .get(name)
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(header("content-type"), "application/json");
    assert_eq!(header("x-redline-event"), "changed");
    assert_eq!(
        header("x-redline-signature-256"),
        format!("sha256={}", hmac_hex(SECRET, &request.body))
    );
    let doc: Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(doc["schema"], 1);
    assert_eq!(doc["event"], "changed");
    assert_eq!(doc["alert"], header("x-redline-alert"));
    assert_eq!(doc["context"]["watch"], "binance");
    assert!(doc["counts"]["added"].as_u64().unwrap() >= 6, "{doc}");
    for output in [&first, &second] {
        let all = format!("{}{}", text(&output.stdout), text(&output.stderr));
        assert!(
            !all.contains(TOKEN) && !all.contains(SECRET),
            "a secret leaked: {all}"
        );
    }
    let listed = support::run(&setup, &["list"]).await;
    assert!(!text(&listed.stdout).contains(TOKEN));
}

#[tokio::test]
async fn a_receiver_down_then_back_gets_the_alert_exactly_once() {
    let port = email_support::free_port();
    let setup = setup_with(
        &format!("[webhook.desk]\nurl = \"{}\"\n", Receiver::url(port)),
        "desk",
    );
    let pipeline = setup.pipeline();
    let desk = outlet(&pipeline, "desk");
    enqueue(&desk, &setup);
    let down = desk.flush().await.unwrap();
    assert_eq!((down.sent, down.deferred), (0, 1), "nothing listens yet");
    let receiver = Receiver::start(port, &[503]).await;
    let busy = desk.flush().await.unwrap();
    assert_eq!((busy.sent, busy.deferred), (0, 1), "a 503 is retried later");
    assert_eq!(desk.flush().await.unwrap().sent, 1);
    assert_eq!(desk.flush().await.unwrap().sent, 0, "never twice");
    // The pipeline handing the same alert over again is a no-op.
    let again = desk
        .enqueue(&email_support::seed_alert(), &setup.watchlist().watches[0])
        .unwrap();
    assert_eq!(again, redline::notify::outbox::Put::AlreadySent);
    assert_eq!(desk.flush().await.unwrap().sent, 0);
    assert_eq!(receiver.received().len(), 2, "the 503, then the delivery");
}

#[tokio::test]
async fn a_4xx_is_refused_kept_listed_and_requeued_by_hand() {
    let receiver = Receiver::start(0, &[404]).await;
    let setup = setup_with(
        &format!(
            "[webhook.desk]\nurl = \"{}\"\n",
            Receiver::url(receiver.port)
        ),
        "desk",
    );
    let pipeline = setup.pipeline();
    let desk = outlet(&pipeline, "desk");
    enqueue(&desk, &setup);
    assert_eq!(desk.flush().await.unwrap().rejected, 1);
    assert_eq!(
        desk.flush().await.unwrap(),
        Default::default(),
        "not retried"
    );
    assert_eq!(receiver.received().len(), 1);
    assert_eq!(desk.refused().unwrap(), 1);
    let kept = setup.store_dir().join(".outbox/webhook.desk/rejected");
    assert_eq!(std::fs::read_dir(&kept).unwrap().count(), 1);
    drop((desk, pipeline));

    let listed = support::run(&setup, &["outbox"]).await;
    let out = text(&listed.stdout);
    assert!(
        out.contains("rejected") && out.contains("desk") && out.contains("404"),
        "{out}"
    );
    assert!(!out.contains(TOKEN), "{out}");
    let requeued = support::run(&setup, &["outbox", "requeue", "--all"]).await;
    assert_eq!(
        requeued.status.code(),
        Some(0),
        "{}",
        text(&requeued.stderr)
    );
    let desk = outlet(&setup.pipeline(), "desk");
    assert_eq!(desk.flush().await.unwrap().sent, 1);
    assert_eq!(receiver.received().len(), 2);
}

#[tokio::test]
async fn the_slack_preset_posts_a_short_text() {
    let receiver = Receiver::start(0, &[]).await;
    let setup = setup_with(
        &format!(
            "[webhook.slack]\nurl = \"{}\"\npreset = \"slack\"\n",
            Receiver::url(receiver.port)
        ),
        "slack",
    );
    let slack = outlet(&setup.pipeline(), "slack");
    enqueue(&slack, &setup);
    assert_eq!(slack.flush().await.unwrap().sent, 1);
    let body: Value = serde_json::from_slice(&receiver.received()[0].body).unwrap();
    let fields: Vec<&String> = body.as_object().unwrap().keys().collect();
    assert_eq!(fields, ["text"]);
    let text = body["text"].as_str().unwrap();
    assert!(text.starts_with("redline: Updated: "), "{text}");
    assert!(text.contains(email_support::SEED_URL), "{text}");
    assert!(text.lines().count() <= 3, "{text}");
}

/// A `[command.NAME]` table running `sh -c SCRIPT sh DIR`.
fn command_table(name: &str, script: &str, dir: &Path, timeout: &str) -> String {
    format!(
        "[command.{name}]\nprogram = \"sh\"\nargs = [\"-c\", '{script}', \"sh\", \"{}\"]\ntimeout = \"{timeout}\"\n",
        dir.display()
    )
}

#[tokio::test]
async fn a_command_that_asks_for_a_retry_then_succeeds_runs_to_delivery_once() {
    let work = tempfile::tempdir().unwrap();
    let script = "if [ -e \"$1/asked\" ]; then cat > \"$1/got.json\"; echo run >> \"$1/runs\"; exit 0; fi; touch \"$1/asked\"; echo busy >&2; exit 75";
    let setup = setup_with(
        &command_table("archive", script, work.path(), "30s"),
        "archive",
    );
    let archive = outlet(&setup.pipeline(), "archive");
    enqueue(&archive, &setup);
    let first = archive.flush().await.unwrap();
    assert_eq!((first.sent, first.deferred, first.rejected), (0, 1, 0));
    assert_eq!(archive.flush().await.unwrap().sent, 1);
    assert_eq!(archive.flush().await.unwrap().sent, 0);
    let runs = std::fs::read_to_string(work.path().join("runs")).unwrap();
    assert_eq!(runs.lines().count(), 1, "delivered exactly once");
    let doc: Value =
        serde_json::from_slice(&std::fs::read(work.path().join("got.json")).unwrap()).unwrap();
    assert_eq!(
        (doc["schema"].as_u64(), doc["event"].as_str()),
        (Some(1), Some("changed"))
    );
}

#[tokio::test]
async fn a_command_that_fails_is_refused_with_its_words() {
    let work = tempfile::tempdir().unwrap();
    let script = "echo no such desk >&2; exit 3";
    let setup = setup_with(
        &command_table("archive", script, work.path(), "30s"),
        "archive",
    );
    let pipeline = setup.pipeline();
    let archive = outlet(&pipeline, "archive");
    enqueue(&archive, &setup);
    assert_eq!(archive.flush().await.unwrap().rejected, 1);
    assert_eq!(archive.refused().unwrap(), 1);
    let listed = support::run(&setup, &["outbox", "--format", "json"]).await;
    let rows: Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(rows[0]["channel"], "archive");
    assert_eq!(rows[0]["state"], "rejected");
    let error = rows[0]["last_error"].as_str().unwrap();
    assert!(
        error.contains("exit 3") && error.contains("no such desk"),
        "{error}"
    );
}

#[tokio::test]
async fn a_command_that_hangs_is_killed_at_its_timeout_and_retried() {
    let work = tempfile::tempdir().unwrap();
    let script = "echo $$ > \"$1/pid\"; exec sleep 600";
    let setup = setup_with(
        &command_table("archive", script, work.path(), "500ms"),
        "archive",
    );
    let archive = outlet(&setup.pipeline(), "archive");
    enqueue(&archive, &setup);
    let done = archive.flush().await.unwrap();
    assert_eq!((done.sent, done.deferred), (0, 1));
    let pid = std::fs::read_to_string(work.path().join("pid")).unwrap();
    assert!(
        !Path::new(&format!("/proc/{}", pid.trim())).exists(),
        "the program was killed and reaped"
    );
    let listed = support::run(&setup, &["outbox"]).await;
    let out = text(&listed.stdout);
    assert!(out.contains("queued") && out.contains("killed"), "{out}");
}

/// Polls `done` until it holds or about ten seconds passed.
async fn eventually(mut done: impl FnMut() -> bool) -> bool {
    for _ in 0..200 {
        if done() {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    done()
}

#[tokio::test]
async fn the_daemon_loop_wakes_for_a_new_alert_and_for_a_requeue_from_another_process() {
    let receiver = Receiver::start(0, &[404]).await;
    let setup = setup_with(
        &format!(
            "[webhook.desk]\nurl = \"{}\"\n",
            Receiver::url(receiver.port)
        ),
        "desk",
    );
    // The daemon's pacing: an idle loop sleeps an hour, retries wait 30 s.
    let metrics = redline::metrics::Metrics::default();
    let pipeline = redline::check::Pipeline::observed(
        &setup.watchlist(),
        redline::check::Drive::Daemon,
        metrics.clone(),
    )
    .unwrap();
    let desk = outlet(&pipeline, "desk");
    let shutdown = tokio_util::sync::CancellationToken::new();
    let running = tokio::spawn({
        let (desk, shutdown) = (desk.clone(), shutdown.clone());
        async move { desk.run(shutdown).await }
    });
    enqueue(&desk, &setup);
    assert!(
        eventually(|| desk.refused().unwrap() == 1).await,
        "the queued alert woke the loop, and the 404 was refused"
    );
    let requeued = support::run(&setup, &["outbox", "requeue", "--all"]).await;
    assert_eq!(
        requeued.status.code(),
        Some(0),
        "{}",
        text(&requeued.stderr)
    );
    assert!(
        eventually(|| receiver.received().len() == 2).await,
        "the requeue woke the sleeping loop"
    );
    shutdown.cancel();
    running.await.unwrap();
    assert_eq!(desk.refused().unwrap(), 0);
    let counted = metrics.encode();
    for outcome in ["rejected", "sent"] {
        let line = format!("redline_deliveries_total{{channel=\"desk\",outcome=\"{outcome}\"}} 1");
        assert!(counted.contains(&line), "{line} in:\n{counted}");
    }
}

#[tokio::test]
async fn a_webhook_whose_address_is_not_set_stops_only_its_watches() {
    let site = Site::start(SEED_V1).await;
    let setup = Setup::new(&format!(
        "[webhook.desk]\nurl_env = \"REDLINE_TEST_UNSET_HOOK\"\n\n{}{}",
        watch("hooked", &site.url(), "notify = [\"desk\"]"),
        watch("logged", &site.url(), "")
    ));
    let validated = support::run(&setup, &["validate"]).await;
    assert_eq!(validated.status.code(), Some(0));
    let warned = text(&validated.stderr);
    assert!(
        warned.contains("webhook.desk.url_env") && warned.contains("REDLINE_TEST_UNSET_HOOK"),
        "{warned}"
    );
    let checked = support::run(&setup, &["check"]).await;
    let err = text(&checked.stderr);
    assert_eq!(checked.status.code(), Some(1), "{err}");
    assert!(
        err.contains("REDLINE_TEST_UNSET_HOOK") && err.contains("hooked"),
        "{err}"
    );
    let store = setup.store_dir();
    assert!(
        store.join("logged/state.json").exists(),
        "the other watch was checked"
    );
    assert!(!store.join("hooked/state.json").exists());
}

#[tokio::test]
async fn a_rate_limited_receiver_is_not_called_before_its_retry_after() {
    let receiver = Receiver::start(0, &[429]).await;
    let setup = setup_with(
        &format!(
            "[webhook.desk]\nurl = \"{}\"\n",
            Receiver::url(receiver.port)
        ),
        "desk",
    );
    let desk = outlet(&setup.pipeline(), "desk");
    enqueue(&desk, &setup);
    assert_eq!(desk.flush().await.unwrap().deferred, 1);
    assert_eq!(
        desk.flush().await.unwrap(),
        Default::default(),
        "not due yet"
    );
    assert_eq!(receiver.received().len(), 1);
    let listed = support::run(&setup, &["outbox", "--format", "json"]).await;
    let rows: Value = serde_json::from_slice(&listed.stdout).unwrap();
    let time = |key: &str| -> chrono::DateTime<chrono::Utc> {
        rows[0][key].as_str().unwrap().parse().unwrap()
    };
    assert!(
        time("next_attempt") - time("created") >= chrono::Duration::seconds(3600),
        "{rows}"
    );
}
