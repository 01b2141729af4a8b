//! Faults below HTTP: a server that never answers, one that hangs up
//! without a word, one that cuts its body short. Each check fails with a
//! message that says what happened, and the stored article is untouched.

#![allow(clippy::unwrap_used)]

mod support;

use std::time::Duration;

use chrono::Utc;
use redline::check::{CheckError, Outcome};
use redline::fetch::FetchError;
use support::{SEED_V1, Setup, watch};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// How the raw server misbehaves once the first (good) page was served.
#[derive(Clone, Copy)]
enum Misbehaviour {
    /// Reads the request and says nothing.
    Silent,
    /// Reads the request and closes the connection.
    HangUp,
    /// Promises the whole page and sends a tenth of it.
    Truncated,
}

/// A server on loopback that serves the seed page once, then misbehaves.
async fn raw_server(misbehaviour: Misbehaviour) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut served = 0;
        loop {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut request = vec![0u8; 8192];
            let _ = socket.read(&mut request).await;
            let body = SEED_V1.as_bytes();
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            served += 1;
            if served == 1 {
                socket.write_all(head.as_bytes()).await.unwrap();
                socket.write_all(body).await.unwrap();
                continue;
            }
            match misbehaviour {
                Misbehaviour::Silent => {
                    tokio::spawn(async move {
                        tokio::time::sleep(Duration::from_secs(30)).await;
                        drop(socket);
                    });
                }
                Misbehaviour::HangUp => drop(socket),
                Misbehaviour::Truncated => {
                    socket.write_all(head.as_bytes()).await.unwrap();
                    socket.write_all(&body[..body.len() / 10]).await.unwrap();
                    drop(socket);
                }
            }
        }
    });
    format!("http://{addr}/news/story.htm")
}

/// Checks once against a good answer, then once against `misbehaviour`.
async fn second_check_under(misbehaviour: Misbehaviour) -> (CheckError, Setup) {
    let url = raw_server(misbehaviour).await;
    let setup = Setup::new(&watch("binance", &url, ""));
    // A short timeout keeps the silent case quick.
    let text = std::fs::read_to_string(&setup.path)
        .unwrap()
        .replace("timeout = \"5s\"", "timeout = \"1s\"");
    std::fs::write(&setup.path, text).unwrap();
    let pipeline = setup.pipeline();
    let watchlist = setup.watchlist();
    let first = pipeline.check(&watchlist.watches[0], Utc::now()).await;
    assert!(
        matches!(first.result, Ok(Outcome::Baseline { version: 1 })),
        "{:?}",
        first.result
    );
    let second = pipeline.check(&watchlist.watches[0], Utc::now()).await;
    let versions = pipeline
        .store()
        .versions(&watchlist.watches[0].name)
        .unwrap();
    assert_eq!(versions.len(), 1, "a failed check stores nothing");
    let stored = pipeline
        .store()
        .load(&watchlist.watches[0].name, 1)
        .unwrap();
    assert!(
        stored.article.body_text().contains("Binance"),
        "the baseline is intact"
    );
    (second.result.unwrap_err(), setup)
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    let (error, _setup) = second_check_under(Misbehaviour::Silent).await;
    assert!(
        matches!(error, CheckError::Fetch(FetchError::Timeout { .. })),
        "{error:?}"
    );
    assert!(
        redline::error_chain(&error).contains("no answer within 1s"),
        "{}",
        redline::error_chain(&error)
    );
}

#[tokio::test]
async fn a_server_that_hangs_up_is_a_connection_failure() {
    let (error, _setup) = second_check_under(Misbehaviour::HangUp).await;
    assert!(
        matches!(error, CheckError::Fetch(FetchError::Connect { .. })),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_truncated_body_is_never_taken_for_the_article() {
    let (error, _setup) = second_check_under(Misbehaviour::Truncated).await;
    let CheckError::Fetch(fetch @ FetchError::Body { .. }) = &error else {
        panic!("expected an incomplete-body error, got {error:?}");
    };
    assert!(fetch.is_transient(), "a cut-off page is worth another try");
    assert!(error.to_string().contains("arrived incomplete"), "{error}");
}
