//! Secrets stay secret (issue 9, item 7): a password in a watch's URL is
//! used to fetch the page and shown nowhere else — not in `check`, `list`,
//! `history`, `show`, `diff`, the logs, the store, the outbox or either
//! kind of email — and no log level shows the SMTP login.

#![allow(clippy::unwrap_used)]

mod email_support;
mod support;

use std::path::Path;
use std::process::Output;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use email_support::{Mode, Options, SmtpServer};
use support::{SEED_V1, SEED_V2, Setup, redline, watch};

/// The password in the watch's URL.
const URL_PASSWORD: &str = "url-s3cret-7f3a";
/// The SMTP password.
const SMTP_PASSWORD: &str = "smtp-s3cret-91c2";

/// What the protected site serves next: a page, or an error status.
type Next = Arc<Mutex<Result<&'static str, u16>>>;

/// A site that answers only with the right Basic credentials, so the test
/// also shows that the fetch still uses them.
async fn protected_site() -> (String, Next) {
    let next: Next = Arc::new(Mutex::new(Ok(SEED_V1)));
    async fn answer(State(next): State<Next>, headers: HeaderMap) -> Response {
        let expected = format!("Basic {}", base64(&format!("reader:{URL_PASSWORD}")));
        if headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            != Some(&expected)
        {
            return StatusCode::UNAUTHORIZED.into_response();
        }
        match *next.lock().unwrap() {
            Ok(page) => {
                ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], page).into_response()
            }
            Err(code) => StatusCode::from_u16(code).unwrap().into_response(),
        }
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new().fallback(answer).with_state(next.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (
        format!("http://reader:{URL_PASSWORD}@{addr}/news/story.htm"),
        next,
    )
}

/// Standard Base64, for the expected `Authorization` header.
fn base64(text: &str) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = text.as_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(TABLE[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

async fn run(setup: &Setup, args: &[&str], log: &str) -> Output {
    let mut command = redline(setup.dir.path());
    command
        .args(args)
        .env("RUST_LOG", log)
        .env("REDLINE_TEST_SMTP_PASSWORD", SMTP_PASSWORD);
    tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap()
}

/// Every file under `dir`, with its path, as text.
fn every_file(dir: &Path, found: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap().filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() {
            every_file(&path, found);
        } else {
            let bytes = std::fs::read(&path).unwrap_or_default();
            found.push((
                path.display().to_string(),
                String::from_utf8_lossy(&bytes).into_owned(),
            ));
        }
    }
}

/// The places a secret could show up, each named.
fn leaks(places: &[(String, String)], secrets: &[String]) -> Vec<String> {
    places
        .iter()
        .flat_map(|(name, text)| {
            secrets
                .iter()
                .filter(|s| text.contains(s.as_str()))
                .map(move |s| format!("{name} contains {s}"))
        })
        .collect()
}

#[tokio::test]
async fn a_password_in_a_watch_url_is_used_and_shown_nowhere() {
    let (url, next) = protected_site().await;
    let server = SmtpServer::start(Options {
        login: Some(("alerts".into(), SMTP_PASSWORD.into())),
        ..Options::new(Mode::StartTls)
    });
    let scratch = tempfile::tempdir().unwrap();
    let settings = email_support::settings_for(&server, scratch.path(), "");
    let table = format!(
        "[email]\nserver = \"{}:{}\"\nsecurity = \"starttls\"\nfrom = \"redline <alerts@redline.test>\"\nto = [\"desk@news.test\"]\nca_file = {:?}\nusername = \"alerts\"\npassword_env = \"REDLINE_TEST_SMTP_PASSWORD\"\n\n",
        settings.host,
        settings.port,
        scratch.path().join("smtp-ca.pem").display().to_string()
    );
    let setup = Setup::new(&format!(
        "{table}{}",
        watch("binance", &url, "notify = [\"log\", \"email\"]")
    ));

    let mut outputs = Vec::new();
    let mut record = |name: &str, output: Output| {
        outputs.push((
            format!("{name} stdout"),
            String::from_utf8_lossy(&output.stdout).into_owned(),
        ));
        outputs.push((
            format!("{name} stderr"),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        ));
        output.status.code()
    };
    // Baseline, then the update (a change alert by email), then two failed
    // checks (a "failing" alert), all at the most verbose log levels.
    assert_eq!(
        record("baseline", run(&setup, &["check"], "trace").await),
        Some(0)
    );
    *next.lock().unwrap() = Ok(SEED_V2);
    assert_eq!(
        record("change", run(&setup, &["check", "-vv"], "debug").await),
        Some(0)
    );
    *next.lock().unwrap() = Err(500);
    for _ in 0..2 {
        assert_eq!(
            record(
                "failing",
                run(&setup, &["check"], "debug,lettre=trace").await
            ),
            Some(1)
        );
    }
    for args in [
        &["list"][..],
        &["list", "--format", "json"],
        &["history", "binance"],
        &["history", "binance", "--format", "json"],
        &["show", "binance", "--format", "json"],
        &["diff", "binance"],
        &["diff", "binance", "--format", "json"],
        &["diff", "binance", "--format", "html"],
    ] {
        assert_eq!(
            record(&args.join(" "), run(&setup, args, "trace").await),
            Some(0),
            "{args:?}"
        );
    }

    let received = server.wait_for(2, Duration::from_secs(10)).await;
    assert_eq!(received.len(), 2, "a change alert and a failing alert");
    let mut places = outputs;
    for (i, mail) in received.iter().enumerate() {
        places.push((
            format!("email {i}"),
            String::from_utf8_lossy(&mail.data).into_owned(),
        ));
        let message = email_support::parse(mail);
        for (part, body) in [
            ("text", message.body_text(0)),
            ("html", message.body_html(0)),
        ] {
            places.push((
                format!("email {i} {part}"),
                body.unwrap_or_default().into_owned(),
            ));
        }
    }
    every_file(&setup.store_dir(), &mut places);
    assert!(places.iter().any(|(name, _)| name.ends_with("state.json")));
    assert!(
        places.iter().any(|(name, _)| name.contains("/sent/")),
        "the outbox's markers are searched"
    );

    let secrets = [
        URL_PASSWORD.to_owned(),
        SMTP_PASSWORD.to_owned(),
        base64(&format!("\0alerts\0{SMTP_PASSWORD}")),
        base64(SMTP_PASSWORD),
        "AUTH PLAIN".to_owned(),
    ];
    assert_eq!(leaks(&places, &secrets), Vec::<String>::new());
    // The address is still shown, with the password masked.
    let change = &places.iter().find(|(n, _)| n == "change stdout").unwrap().1;
    assert!(change.contains("http://reader:***@127.0.0.1:"), "{change}");
}
