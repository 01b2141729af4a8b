//! The fault matrix (issue 9): each way a site can misbehave, with the exact
//! outcome a check must have — the error it fails with, the versions left
//! in the store, and no change reported. Mojibake (item 1) and the messages
//! of refused redirects and trickling bodies (item 11) are here too.
//!
//! Faults covered exactly by earlier tests are not repeated; they are:
//! - timeout: `faults::a_server_that_never_answers_times_out`
//! - connection closed without an answer:
//!   `faults::a_server_that_hangs_up_is_a_connection_failure`
//! - body cut short: `faults::a_truncated_body_is_never_taken_for_the_article`
//! - 5xx, retried then failing, and 429 with a short `Retry-After`:
//!   `pipeline::transient_errors_are_retried_and_permanent_ones_are_not`,
//!   `pipeline::a_failure_streak_alerts_once_and_recovery_once`
//! - size cap by `Content-Length`, and non-HTML answers:
//!   `pipeline::oversized_and_non_html_answers_fail_without_touching_the_store`
//! - header and HTML injection into email:
//!   `email::a_hostile_page_yields_nothing_executable_and_no_injected_header`
//! - two writers: `pipeline::only_one_process_may_write_a_store`

#![allow(clippy::unwrap_used)]

mod support;

use std::io::Write;
use std::time::Duration;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use chrono::Utc;
use redline::check::{CheckError, Checked, Outcome};
use support::{Fault, SEED_V1, SEED_V2, Setup, Site, Story, watch};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Checks the only watch of `setup` once.
async fn check_once(setup: &Setup) -> Checked {
    let watchlist = setup.watchlist();
    setup
        .pipeline()
        .check(&watchlist.watches[0], Utc::now())
        .await
}

/// The failure of a check, as its message.
fn failure(checked: &Checked) -> String {
    match &checked.result {
        Err(error) => redline::error_chain(error),
        Ok(outcome) => panic!("expected a failure, got {outcome:?}"),
    }
}

/// How many versions of the watch `name` the store of `setup` holds.
fn versions(setup: &Setup, name: &str) -> usize {
    let store = redline::store::Store::open_read_only(&setup.store_dir());
    let name = redline::watchlist::WatchName::parse(name).unwrap();
    store.versions(&name).map(|v| v.len()).unwrap_or(0)
}

/// A watchlist of one watch of `url` with requests limited to `timeout`.
fn setup_with_timeout(url: &str, timeout: &str) -> Setup {
    let setup = Setup::new(&watch("story", url, ""));
    let text = std::fs::read_to_string(&setup.path)
        .unwrap()
        .replace("timeout = \"5s\"", &format!("timeout = \"{timeout}\""));
    std::fs::write(&setup.path, text).unwrap();
    setup
}

/// A server with the redirects of the matrix: a loop, one to another site,
/// and ones to schemes redline must refuse.
async fn redirector(elsewhere: &str) -> String {
    let to =
        |target: String| move || async move { (StatusCode::FOUND, [(header::LOCATION, target)]) };
    let app = Router::new()
        .route("/loop", get(to("/loop".to_owned())))
        .route("/elsewhere", get(to(elsewhere.to_owned())))
        .route("/file", get(to("file:///etc/passwd".to_owned())))
        .route("/data", get(to("data:text/html,<h1>hi</h1>".to_owned())))
        .route("/ftp", get(to("ftp://127.0.0.1/story.htm".to_owned())));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

#[tokio::test]
async fn a_redirect_to_another_scheme_is_refused_by_name() {
    let base = redirector("http://127.0.0.1:9/").await;
    for scheme in ["file", "data", "ftp"] {
        let setup = Setup::new(&watch("story", &format!("{base}/{scheme}"), ""));
        let message = failure(&check_once(&setup).await);
        assert!(
            message.contains(&format!("scheme `{scheme}:` is refused")),
            "{scheme}: {message}"
        );
        assert!(
            !message.contains("builder error") && !message.contains("answered 302"),
            "{message}"
        );
        assert_eq!(versions(&setup, "story"), 0);
    }
}

#[tokio::test]
async fn a_redirect_loop_fails_as_too_many_redirects() {
    let base = redirector("http://127.0.0.1:9/").await;
    let setup = Setup::new(&watch("story", &format!("{base}/loop"), ""));
    let message = failure(&check_once(&setup).await);
    assert!(message.contains("too many redirects"), "{message}");
    assert_eq!(versions(&setup, "story"), 0);
}

#[tokio::test]
async fn an_off_site_redirect_is_followed_and_the_final_address_recorded() {
    let site = Site::start(SEED_V1).await;
    let base = redirector(&site.url()).await;
    let setup = Setup::new(&watch("story", &format!("{base}/elsewhere"), ""));
    let checked = check_once(&setup).await;
    assert!(
        matches!(checked.result, Ok(Outcome::Baseline { version: 1 })),
        "{:?}",
        checked.result
    );
    let store = redline::store::Store::open_read_only(&setup.store_dir());
    let stored = store
        .latest(&redline::watchlist::WatchName::parse("story").unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.url,
        site.url(),
        "the version records where it came from"
    );
}

/// A raw server that sends headers for a page of `promised` bytes, then
/// `sent` bytes of it, one every `every`, then closes (or resets, when
/// `reset`) the connection.
async fn raw_body(promised: usize, sent: usize, every: Duration, reset: bool) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (mut socket, _) = listener.accept().await.unwrap();
            tokio::spawn(async move {
                let mut request = vec![0u8; 8192];
                let _ = socket.read(&mut request).await;
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {promised}\r\n\r\n"
                );
                socket.write_all(head.as_bytes()).await.unwrap();
                for byte in SEED_V1.as_bytes().iter().take(sent) {
                    if socket.write_all(&[*byte]).await.is_err() {
                        return;
                    }
                    tokio::time::sleep(every).await;
                }
                if reset {
                    // SO_LINGER 0: the close sends RST, not FIN. Blocking on
                    // drop is no concern with a zero linger.
                    #[allow(deprecated)]
                    let _ = socket.set_linger(Some(Duration::ZERO));
                }
            });
        }
    });
    format!("http://{addr}/news/story.htm")
}

#[tokio::test]
async fn a_trickling_body_is_reported_as_too_slow() {
    let url = raw_body(SEED_V1.len(), 100, Duration::from_millis(50), false).await;
    let setup = setup_with_timeout(&url, "1s");
    let checked = check_once(&setup).await;
    let message = failure(&checked);
    assert!(message.contains("body came too slowly"), "{message}");
    assert!(!message.contains("no answer within"), "{message}");
    assert_eq!(versions(&setup, "story"), 0);
}

#[tokio::test]
async fn a_connection_reset_mid_body_stores_nothing() {
    let url = raw_body(SEED_V1.len(), 2000, Duration::ZERO, true).await;
    let setup = Setup::new(&watch("story", &url, ""));
    let checked = check_once(&setup).await;
    assert!(
        matches!(
            &checked.result,
            Err(CheckError::Fetch(e)) if e.is_transient()
        ),
        "{:?}",
        checked.result
    );
    assert_eq!(versions(&setup, "story"), 0);
}

#[tokio::test]
async fn a_retry_after_beyond_the_limit_fails_at_once() {
    let story = Story::start(SEED_V1).await;
    story.site.fail_next([Fault::RetryAfter(429, 3600)]);
    let checked = story.pipeline.check(story.watch(), Utc::now()).await;
    let message = failure(&checked);
    assert!(
        message.contains("429") && message.contains("backs off"),
        "{message}"
    );
    assert_eq!(
        story.site.requests(),
        1,
        "an hour's wait is left to a later check"
    );
}

/// A gzip stream of `size` zero bytes, compressed about a thousandfold.
fn gzip_zeros(size: usize) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let block = vec![0u8; 1 << 20];
    for _ in 0..size / block.len() {
        encoder.write_all(&block).unwrap();
    }
    encoder.finish().unwrap()
}

#[tokio::test]
async fn a_gzip_bomb_is_cut_off_at_the_size_cap() {
    let bomb = gzip_zeros(64 << 20);
    assert!(bomb.len() < 1 << 20, "the bomb is small on the wire");
    let app = Router::new().route(
        "/story",
        get(move || async move {
            (
                [
                    (header::CONTENT_TYPE, "text/html"),
                    (header::CONTENT_ENCODING, "gzip"),
                ],
                bomb,
            )
                .into_response()
        }),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let setup = Setup::new(&watch("story", &format!("http://{addr}/story"), ""));
    let message = failure(&check_once(&setup).await);
    assert!(message.contains("larger than 10485760 bytes"), "{message}");
    assert_eq!(versions(&setup, "story"), 0);
}

/// Checks `story` against a stand-in page: it fails, nothing is stored,
/// and the article is still caught when it changes afterwards.
async fn stand_in_is_a_failure(fixture: &str, expected: &str) {
    let story = Story::start(SEED_V1).await;
    let (site, pipeline, watch) = (&story.site, &story.pipeline, story.watch());
    pipeline.check(watch, Utc::now()).await.result.unwrap();
    let page = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/extract/synthetic")
            .join(fixture),
    )
    .unwrap();
    site.serve(&page);
    let message = failure(&pipeline.check(watch, Utc::now()).await);
    assert!(message.contains(expected), "{message}");
    assert_eq!(pipeline.store().versions(&watch.name).unwrap().len(), 1);
    site.serve(SEED_V2);
    let checked = pipeline.check(watch, Utc::now()).await;
    assert!(
        matches!(checked.result, Ok(Outcome::Changed { from: 1, to: 2, .. })),
        "{:?}",
        checked.result
    );
}

#[tokio::test]
async fn a_consent_wall_is_a_failure_not_a_change() {
    stand_in_is_a_failure("consent.html", "consent").await;
}

#[tokio::test]
async fn an_error_page_is_a_failure_not_a_change() {
    stand_in_is_a_failure("not-found.html", "error page").await;
}

#[tokio::test]
async fn a_store_that_cannot_be_written_fails_the_check_and_loses_nothing() {
    let story = Story::start(SEED_V1).await;
    let (site, pipeline, watch) = (&story.site, &story.pipeline, story.watch());
    pipeline.check(watch, Utc::now()).await.result.unwrap();
    let versions_dir = story.setup.store_dir().join("binance/versions");
    let aside = story.setup.store_dir().join("binance/versions.aside");
    // Permissions do not stop root, who runs some CI: a file standing where
    // the versions folder should be stops every user.
    std::fs::rename(&versions_dir, &aside).unwrap();
    std::fs::write(&versions_dir, b"").unwrap();
    site.serve(SEED_V2);
    let checked = pipeline.check(watch, Utc::now()).await;
    assert!(
        matches!(checked.result, Err(CheckError::Store(_))),
        "{:?}",
        checked.result
    );
    std::fs::remove_file(&versions_dir).unwrap();
    std::fs::rename(&aside, &versions_dir).unwrap();
    assert_eq!(pipeline.store().versions(&watch.name).unwrap().len(), 1);
    let checked = pipeline.check(watch, Utc::now()).await;
    assert!(
        matches!(checked.result, Ok(Outcome::Changed { from: 1, to: 2, .. })),
        "the change is caught once the store works: {:?}",
        checked.result
    );
}

/// An article with accents, curly quotes and a chrome full of valid UTF-8
/// (`nav`), in UTF-8.
fn accented_page(nav: &str) -> String {
    format!(
        "<html><head><title>Le café rouvre</title></head><body><nav>{nav}</nav><article>\
         <h1>Le café de la gare rouvre</h1>\
         <p>Le café de la gare a rouvert lundi après des mois de travaux, a déclaré sa propriétaire, \
         Zoë Martin, dans un communiqué lu à la presse.</p>\
         <p>Les habitués sont revenus dès sept heures pour le premier café crème, et la file d’attente \
         atteignait le bout de la rue avant l’ouverture des portes.</p>\
         <p>« C’est une renaissance », a résumé un client fidèle, qui vient ici depuis trente ans.</p>\
         </article></body></html>"
    )
}

/// The page with its article's characters in Windows-1252 and its chrome
/// left in UTF-8, as a site whose template and database disagree serves it.
fn half_cp1252(nav: &str) -> Vec<u8> {
    let page = accented_page("NAV");
    let (article, _, unmappable) = encoding_rs::WINDOWS_1252.encode(&page);
    assert!(!unmappable);
    let at = article.windows(3).position(|w| w == b"NAV").unwrap();
    [&article[..at], nav.as_bytes(), &article[at + 3..]].concat()
}

#[tokio::test]
async fn mojibake_of_the_same_article_is_neither_alerted_nor_stored() {
    let nav =
        "Accueil → Société — Économie — Culture — Météo — Sports — Santé — Éducation — Contact ©";
    let clean = accented_page(nav);
    let (cp1252, _, _) = encoding_rs::WINDOWS_1252.encode(&clean);
    // Double encoding: the UTF-8 bytes read as Windows-1252, encoded again.
    let twice: String = clean
        .bytes()
        .map(|b| {
            encoding_rs::WINDOWS_1252
                .decode_without_bom_handling(&[b])
                .0
                .into_owned()
        })
        .collect();
    let utf8 = "text/html; charset=utf-8";
    // With this much valid UTF-8 around it, the Windows-1252 article stays
    // read as UTF-8 and loses its accents to U+FFFD: beyond repair.
    let rich_nav = nav.repeat(4);
    let served: [(&str, Vec<u8>, &str); 4] = [
        ("cp1252 declared utf-8", cp1252.into_owned(), utf8),
        (
            "utf-8 declared latin-1",
            clean.clone().into_bytes(),
            "text/html; charset=iso-8859-1",
        ),
        ("double-encoded utf-8", twice.into_bytes(), utf8),
        (
            "cp1252 article in a utf-8 page",
            half_cp1252(&rich_nav),
            utf8,
        ),
    ];
    let story = Story::start(&clean).await;
    let (site, pipeline, watch) = (&story.site, &story.pipeline, story.watch());
    pipeline.check(watch, Utc::now()).await.result.unwrap();
    for (case, bytes, content_type) in served {
        site.fail_next([Fault::Bytes(bytes, content_type)]);
        let checked = pipeline.check(watch, Utc::now()).await;
        match &checked.result {
            // Decoded right: the same article.
            Ok(Outcome::Unchanged) => {}
            // Beyond repair: a failure that says why, never a change.
            Err(error) if redline::error_chain(error).contains("mis-decoded characters") => {}
            other => panic!("{case}: {other:?}"),
        }
        assert_eq!(
            pipeline.store().versions(&watch.name).unwrap().len(),
            1,
            "{case}: nothing stored"
        );
    }
    // The one beyond repair fails with a clear message naming the damage.
    site.fail_next([Fault::Bytes(half_cp1252(&rich_nav), utf8)]);
    let message = failure(&pipeline.check(watch, Utc::now()).await);
    assert!(
        message.contains("`Le café de la gare") && message.contains("charset"),
        "{message}"
    );
    // A real edit is still a change.
    site.serve(&clean.replace("trente ans", "quarante ans"));
    let checked = pipeline.check(watch, Utc::now()).await;
    assert!(
        matches!(checked.result, Ok(Outcome::Changed { .. })),
        "{:?}",
        checked.result
    );
}
