//! The feed of changes end to end: real checks of pages served on
//! loopback write `snapshots/feed.atom` and `snapshots/<watch>/feed.atom`,
//! a real feed parser (`feed-rs`) reads them, and the status server serves
//! them as Atom.

#![allow(clippy::unwrap_used)]

mod support;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use chrono::Utc;
use redline::check::{Outcome, Pipeline};
use redline::metrics::Metrics;
use redline::report::{Change, Report, SegmentOp};
use redline::status::{self, Board};
use redline::watchlist::Watchlist;
use support::{SEED_V1, SEED_V2, Setup, Site, article_page, watch};
use tokio_util::sync::CancellationToken;

/// A paragraph the seed's April 25 update added.
const ADDED: &str = "A Binance spokesperson told that any government";

fn store_feed(setup: &Setup) -> PathBuf {
    setup.store_dir().join("feed.atom")
}

fn watch_feed(setup: &Setup, name: &str) -> PathBuf {
    setup.store_dir().join(name).join("feed.atom")
}

fn parse(bytes: &[u8]) -> feed_rs::model::Feed {
    feed_rs::parser::parse(bytes)
        .unwrap_or_else(|e| panic!("not a feed ({e}):\n{}", String::from_utf8_lossy(bytes)))
}

fn parse_file(path: &Path) -> feed_rs::model::Feed {
    parse(&std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}

fn ids(feed: &feed_rs::model::Feed) -> Vec<String> {
    feed.entries.iter().map(|e| e.id.clone()).collect()
}

fn body(entry: &feed_rs::model::Entry) -> &str {
    entry
        .content
        .as_ref()
        .and_then(|c| c.body.as_deref())
        .unwrap_or_default()
}

/// Checks every watch of `watchlist` once, returning the outcomes.
async fn check_all(pipeline: &Pipeline, watchlist: &Watchlist) -> Vec<Outcome> {
    let mut outcomes = Vec::new();
    for watch in &watchlist.watches {
        outcomes.push(pipeline.check(watch, Utc::now()).await.result.unwrap());
    }
    outcomes
}

/// The watch `story` of a four-paragraph article (version "a") on a
/// loopback site, with its baseline stored.
async fn story_with_baseline() -> (Site, Setup, Pipeline, Watchlist) {
    let site = Site::start(&article_page(4, "a")).await;
    let setup = Setup::new(&watch("story", &site.url(), ""));
    let (pipeline, watchlist) = (setup.pipeline(), setup.watchlist());
    check_all(&pipeline, &watchlist).await;
    (site, setup, pipeline, watchlist)
}

/// A deleted word run of `report` made only of letters and spaces, so it
/// reads the same escaped or not.
fn a_deletion(report: &Report) -> String {
    report
        .changes
        .iter()
        .filter_map(|c| match c {
            Change::Edited { segments, .. } => Some(segments),
            _ => None,
        })
        .flatten()
        .filter(|s| s.op == SegmentOp::Deleted)
        .map(|s| s.text.trim().to_owned())
        .find(|t| t.len() > 3 && t.chars().all(|c| c.is_alphanumeric() || c == ' '))
        .unwrap_or_else(|| panic!("no plain deletion in {report:#?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_atom_feed_parses_and_its_entry_carries_the_seed_update_diff() {
    let site = Site::start(SEED_V1).await;
    let setup = Setup::new(&watch("binance", &site.url(), ""));
    let (pipeline, watchlist) = (setup.pipeline(), setup.watchlist());
    check_all(&pipeline, &watchlist).await;
    assert!(
        !store_feed(&setup).exists() && !watch_feed(&setup, "binance").exists(),
        "a baseline is no change: no feed yet"
    );
    site.serve(SEED_V2);
    let Outcome::Changed { report, .. } = check_all(&pipeline, &watchlist).await.remove(0) else {
        panic!("the seed update is a change");
    };
    let removed = a_deletion(&report);

    for path in [store_feed(&setup), watch_feed(&setup, "binance")] {
        let feed = parse_file(&path);
        assert_eq!(feed.entries.len(), 1, "{}", path.display());
        let entry = &feed.entries[0];
        let title = entry.title.as_ref().unwrap().content.clone();
        assert!(title.starts_with("binance: "), "{title}");
        assert!(title.ends_with("changed (v1 → v2)"), "{title}");
        assert!(
            entry.id.starts_with("urn:redline:binance/v1-"),
            "{}",
            entry.id
        );
        assert!(entry.updated.is_some() && feed.updated.is_some());
        assert_eq!(entry.links[0].href, site.url());
        let summary = &entry.summary.as_ref().unwrap().content;
        assert!(summary.contains("paragraphs were added"), "{summary}");
        // The diff itself: the added paragraph marked as inserted, the
        // edited words as deleted, as in the email.
        let html = body(entry);
        assert!(html.contains(ADDED), "{html}");
        assert!(html.contains("text-decoration:underline"), "{html}");
        assert!(html.contains(&removed), "`{removed}` missing:\n{html}");
        assert!(html.contains("line-through"), "{html}");
        assert!(
            feed.links.iter().any(|l| l.rel.as_deref() == Some("self")),
            "{:?}",
            feed.links
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watch_feed_holds_only_its_watch_and_the_store_feed_holds_both() {
    let (one, two) = (
        Site::start(SEED_V1).await,
        Site::start(&article_page(4, "a")).await,
    );
    let setup = Setup::new(&format!(
        "{}{}",
        watch("one", &one.url(), ""),
        watch("two", &two.url(), "")
    ));
    let (pipeline, watchlist) = (setup.pipeline(), setup.watchlist());
    check_all(&pipeline, &watchlist).await;
    one.serve(SEED_V2);
    two.serve(&article_page(4, "b"));
    check_all(&pipeline, &watchlist).await;

    let only = |name: &str| {
        let ids = ids(&parse_file(&watch_feed(&setup, name)));
        assert_eq!(ids.len(), 1, "{ids:?}");
        assert!(
            ids[0].starts_with(&format!("urn:redline:{name}/")),
            "{ids:?}"
        );
        ids[0].clone()
    };
    let (first, second) = (only("one"), only("two"));
    let all = ids(&parse_file(&store_feed(&setup)));
    assert_eq!(all.len(), 2, "{all:?}");
    assert!(all.contains(&first) && all.contains(&second), "{all:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_return_to_an_earlier_version_is_an_entry_of_its_own() {
    let site = Site::start(SEED_V1).await;
    let setup = Setup::new(&watch("binance", &site.url(), ""));
    let (pipeline, watchlist) = (setup.pipeline(), setup.watchlist());
    check_all(&pipeline, &watchlist).await;
    site.serve(SEED_V2);
    check_all(&pipeline, &watchlist).await;
    site.serve(SEED_V1);
    let outcome = check_all(&pipeline, &watchlist).await.remove(0);
    assert!(
        matches!(outcome, Outcome::Reverted { from: 2, to: 1, .. }),
        "{outcome:?}"
    );
    let feed = parse_file(&watch_feed(&setup, "binance"));
    assert_eq!(feed.entries.len(), 2, "{:?}", ids(&feed));
    // Newest first: the return, whose diff removes what the update added.
    let back = &feed.entries[0];
    assert!(
        back.id.starts_with("urn:redline:binance/revert/v2-"),
        "{}",
        back.id
    );
    let title = &back.title.as_ref().unwrap().content;
    assert!(title.ends_with("went back to v1 (from v2)"), "{title}");
    assert!(body(back).contains(ADDED) && body(back).contains("line-through"));
    assert_eq!(ids(&parse_file(&store_feed(&setup))), ids(&feed));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ids_stay_the_same_when_the_feeds_are_rebuilt_from_the_store() {
    let (site, setup, pipeline, watchlist) = story_with_baseline().await;
    site.serve(&article_page(4, "b"));
    check_all(&pipeline, &watchlist).await;
    let written = std::fs::read(watch_feed(&setup, "story")).unwrap();
    let first = ids(&parse(&written));

    // Both files lost: the next change rebuilds them whole from the store,
    // the first change under the id it had.
    std::fs::remove_file(store_feed(&setup)).unwrap();
    std::fs::remove_file(watch_feed(&setup, "story")).unwrap();
    site.serve(&article_page(4, "c"));
    check_all(&pipeline, &watchlist).await;
    for path in [store_feed(&setup), watch_feed(&setup, "story")] {
        let now = ids(&parse_file(&path));
        assert_eq!(now.len(), 2, "{now:?}");
        assert_eq!(now[1], first[0], "{now:?}");
    }

    // Made in memory by the status server from the store, the watch's
    // document is the one that was written, byte for byte.
    let written = std::fs::read(watch_feed(&setup, "story")).unwrap();
    std::fs::remove_file(watch_feed(&setup, "story")).unwrap();
    let server = Server::start(&setup).await;
    let (_, _, served) = server.get("/watch/story/feed.atom").await;
    assert_eq!(
        String::from_utf8_lossy(&served),
        String::from_utf8_lossy(&written)
    );
}

/// A crash after a version was stored and before its announcement (and
/// the feed's update): the next check announces it, and the feed gets it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_stored_before_a_crash_reaches_the_feed_at_the_next_check() {
    let site = Site::start(SEED_V1).await;
    let setup = Setup::new(&watch("binance", &site.url(), ""));
    let (pipeline, watchlist) = (setup.pipeline(), setup.watchlist());
    check_all(&pipeline, &watchlist).await;
    site.serve(SEED_V2);
    check_all(&pipeline, &watchlist).await;
    let expected = ids(&parse_file(&watch_feed(&setup, "binance")));

    // As the crash left it: version 2 stored, neither announced nor in a feed.
    std::fs::remove_file(store_feed(&setup)).unwrap();
    std::fs::remove_file(watch_feed(&setup, "binance")).unwrap();
    let state_path = setup.store_dir().join("binance/state.json");
    let mut state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&state_path).unwrap()).unwrap();
    state["announced"] = 1.into();
    state["current_version"] = 1.into();
    state["alerted"] = serde_json::json!([]);
    std::fs::write(&state_path, state.to_string()).unwrap();

    // A new process after the crash: the old one's lock is gone with it,
    // and the new one remembers no check of its own.
    drop(pipeline);
    let pipeline = setup.pipeline();
    let outcome = check_all(&pipeline, &watchlist).await.remove(0);
    assert!(
        matches!(outcome, Outcome::Changed { from: 1, to: 2, .. }),
        "{outcome:?}"
    );
    assert_eq!(ids(&parse_file(&watch_feed(&setup, "binance"))), expected);
    assert_eq!(ids(&parse_file(&store_feed(&setup))), expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_status_server_serves_the_feeds_as_atom() {
    let (one, two) = (
        Site::start(SEED_V1).await,
        Site::start(&article_page(4, "a")).await,
    );
    let setup = Setup::new(&format!(
        "{}{}",
        watch("one", &one.url(), ""),
        watch("two", &two.url(), "")
    ));
    let (pipeline, watchlist) = (setup.pipeline(), setup.watchlist());
    check_all(&pipeline, &watchlist).await;
    one.serve(SEED_V2);
    check_all(&pipeline, &watchlist).await;
    let server = Server::start(&setup).await;

    for (path, entries) in [
        ("/feed.atom", 1),
        ("/watch/one/feed.atom", 1),
        ("/watch/two/feed.atom", 0),
    ] {
        let (code, kind, bytes) = server.get(path).await;
        assert_eq!(code, 200, "{path}");
        assert!(kind.starts_with("application/atom+xml"), "{path}: {kind}");
        let feed = parse(&bytes);
        assert_eq!(feed.entries.len(), entries, "{path}");
        assert!(feed.title.is_some() && feed.updated.is_some(), "{path}");
    }
    let (_, _, bytes) = server.get("/feed.atom").await;
    assert!(body(&parse(&bytes).entries[0]).contains(ADDED));
    let (code, _, _) = server.get("/watch/nobody/feed.atom").await;
    assert_eq!(code, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_in_the_watched_url_never_reaches_a_feed_or_a_status_page() {
    let site = Site::start(SEED_V1).await;
    let secret = "s3cr3t-pa55";
    let url = site
        .url()
        .replace("http://", &format!("http://reader:{secret}@"));
    let setup = Setup::new(&watch("binance", &url, ""));
    let (pipeline, watchlist) = (setup.pipeline(), setup.watchlist());
    check_all(&pipeline, &watchlist).await;
    site.serve(SEED_V2);
    check_all(&pipeline, &watchlist).await;
    site.serve(SEED_V1);
    check_all(&pipeline, &watchlist).await;

    let server = Server::start(&setup).await;
    let mut documents = vec![
        std::fs::read(store_feed(&setup)).unwrap(),
        std::fs::read(watch_feed(&setup, "binance")).unwrap(),
    ];
    for path in ["/feed.atom", "/watch/binance/feed.atom"] {
        documents.push(server.get(path).await.2);
    }
    // The HTML pages too (they showed the address as written before).
    for path in ["/", "/watch/binance"] {
        let text = String::from_utf8(server.get(path).await.2).unwrap();
        assert!(
            !text.contains(secret) && text.contains("reader:***@"),
            "{text}"
        );
    }
    // And made again from the store by the status server.
    std::fs::remove_file(store_feed(&setup)).unwrap();
    std::fs::remove_file(watch_feed(&setup, "binance")).unwrap();
    documents.push(server.get("/feed.atom").await.2);
    for document in documents {
        let text = String::from_utf8_lossy(&document);
        assert!(!text.contains(secret), "{text}");
        assert!(text.contains("reader:***@"), "{text}");
        assert_eq!(parse(&document).entries.len(), 2);
    }
}

/// A status server over the setup's store, its board published by hand.
struct Server {
    addr: SocketAddr,
    shutdown: CancellationToken,
}

impl Server {
    async fn start(setup: &Setup) -> Server {
        let board = Board::new(Metrics::default());
        let watchlist = std::sync::Arc::new(setup.watchlist());
        board.publish(
            Utc::now(),
            &watchlist,
            &setup.store_dir(),
            Default::default(),
        );
        let shutdown = CancellationToken::new();
        let addr = status::serve("127.0.0.1:0".parse().unwrap(), board, shutdown.clone())
            .await
            .unwrap();
        Server { addr, shutdown }
    }

    /// The status, content type and body of `path`.
    async fn get(&self, path: &str) -> (u16, String, Vec<u8>) {
        let response = reqwest::get(format!("http://{}{path}", self.addr))
            .await
            .unwrap();
        let kind = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let code = response.status().as_u16();
        (code, kind, response.bytes().await.unwrap().to_vec())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// The status pages keep what they read between views (see
/// `status::memo`); a view after a change or a failure shows it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_pages_show_each_new_change_and_failure_at_the_next_view() {
    let (site, setup, pipeline, watchlist) = story_with_baseline().await;
    site.serve(&article_page(4, "b"));
    check_all(&pipeline, &watchlist).await;
    let server = Server::start(&setup).await;
    let page = |bytes: Vec<u8>| String::from_utf8(bytes).unwrap();
    for path in ["/", "/watch/story"] {
        let text = page(server.get(path).await.2);
        assert!(
            text.contains("v1 → v2") && !text.contains("v2 → v3"),
            "{text}"
        );
    }

    site.serve(&article_page(4, "c"));
    check_all(&pipeline, &watchlist).await;
    for path in ["/", "/watch/story"] {
        let text = page(server.get(path).await.2);
        assert!(text.contains("v2 → v3"), "{path}: {text}");
    }
    let text = page(server.get("/watch/story").await.2);
    assert!(
        text.contains("3 versions") && text.contains("v1 → v2"),
        "{text}"
    );

    site.fail_next([support::Fault::Status(500), support::Fault::Status(500)]);
    let failed = pipeline.check(&watchlist.watches[0], Utc::now()).await;
    assert!(failed.result.is_err());
    let text = page(server.get("/").await.2);
    assert!(text.contains("failing"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_feed_keeps_only_the_newest_changes_newest_first() {
    let site = Site::start(&article_page(3, "s0")).await;
    let setup = Setup::new(&watch("story", &site.url(), ""));
    let (pipeline, watchlist) = (setup.pipeline(), setup.watchlist());
    check_all(&pipeline, &watchlist).await;
    let changes = redline::changefeed::ENTRIES + 2;
    for i in 1..=changes {
        site.serve(&article_page(3, &format!("s{i}")));
        check_all(&pipeline, &watchlist).await;
    }
    for path in [store_feed(&setup), watch_feed(&setup, "story")] {
        let feed = parse_file(&path);
        assert_eq!(feed.entries.len(), redline::changefeed::ENTRIES);
        let newest = &feed.entries[0].title.as_ref().unwrap().content;
        let to = format!("(v{changes} → v{})", changes + 1);
        assert!(newest.ends_with(&to), "{newest}");
        let times: Vec<_> = feed.entries.iter().map(|e| e.updated).collect();
        assert!(times.windows(2).all(|w| w[0] >= w[1]), "{times:?}");
        assert!(
            !ids(&feed).iter().any(|id| id.contains("/v1-")),
            "the oldest went"
        );
    }
}

/// A state moved aside (as a damaged state's message advises) makes the
/// next check look like a first one; the change it finds still reaches
/// the feed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_found_after_the_state_was_moved_aside_reaches_the_feed() {
    let (site, setup, pipeline, watchlist) = story_with_baseline().await;
    site.serve(&article_page(4, "b"));
    check_all(&pipeline, &watchlist).await;
    std::fs::remove_file(setup.store_dir().join("story/state.json")).unwrap();
    site.serve(&article_page(4, "c"));
    let outcome = check_all(&pipeline, &watchlist).await.remove(0);
    assert!(
        matches!(outcome, Outcome::Changed { from: 2, to: 3, .. }),
        "{outcome:?}"
    );
    for path in [store_feed(&setup), watch_feed(&setup, "story")] {
        let ids = ids(&parse_file(&path));
        assert_eq!(ids.len(), 2, "{ids:?}");
        assert!(ids[0].starts_with("urn:redline:story/v2-"), "{ids:?}");
    }
}

/// A watch's feed is brought up to date change by change from its file
/// (read back, or parsed when another wrote it), and made whole after a
/// return: either way it is the feed the store makes, byte for byte.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watch_feed_kept_change_by_change_is_the_one_made_from_the_store() {
    let (site, setup, pipeline, watchlist) = story_with_baseline().await;
    for version in ["b", "c", "b", "d"] {
        site.serve(&article_page(4, version));
        check_all(&pipeline, &watchlist).await;
    }
    // Written again by another hand: parsed, not read back.
    let path = watch_feed(&setup, "story");
    let copy = path.with_extension("copy");
    std::fs::copy(&path, &copy).unwrap();
    std::fs::rename(&copy, &path).unwrap();
    site.serve(&article_page(4, "e"));
    check_all(&pipeline, &watchlist).await;
    site.serve(&article_page(4, "f"));
    check_all(&pipeline, &watchlist).await;

    let written = std::fs::read(&path).unwrap();
    let titles: Vec<String> = parse(&written)
        .entries
        .iter()
        .map(|e| e.title.as_ref().unwrap().content.clone())
        .collect();
    assert_eq!(titles.len(), 6, "{titles:?}");
    assert!(titles[0].ends_with("(v5 → v6)"), "{titles:?}");
    assert!(
        titles
            .iter()
            .any(|t| t.ends_with("went back to v2 (from v3)")),
        "{titles:?}"
    );
    let store_written = std::fs::read(store_feed(&setup)).unwrap();
    std::fs::remove_file(&path).unwrap();
    std::fs::remove_file(store_feed(&setup)).unwrap();
    let server = Server::start(&setup).await;
    let (_, _, made) = server.get("/watch/story/feed.atom").await;
    assert_eq!(
        String::from_utf8_lossy(&made),
        String::from_utf8_lossy(&written)
    );
    let (_, _, made) = server.get("/feed.atom").await;
    assert_eq!(ids(&parse(&made)), ids(&parse(&store_written)));
}
