//! Test support: a scripted news site on loopback and a watchlist in a
//! temporary folder, so that tests run the real pipeline end to end.

#![allow(dead_code, missing_docs)]

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use redline::check::{Drive, Pipeline};
use redline::watchlist::Watchlist;

pub const SEED_V1: &str = redline::demo::SEED_V1;
pub const SEED_V1_CHROME: &str = redline::demo::SEED_V1_CHROME;
pub const SEED_V2: &str = redline::demo::SEED_V2;

/// A way for the next response to go wrong.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Answer with this status and no page.
    Status(u16),
    /// Answer 429 or 503 with `Retry-After: secs`.
    RetryAfter(u16, u64),
    /// Wait this long before answering.
    Delay(Duration),
    /// Answer with a body of this many bytes.
    Oversized(usize),
    /// Answer with this content type.
    ContentType(&'static str),
    /// Answer with these raw bytes and this content type.
    Bytes(Vec<u8>, &'static str),
}

#[derive(Debug, Default)]
struct SiteState {
    page: String,
    faults: VecDeque<Fault>,
    requests: usize,
    not_modified: usize,
}

/// A site serving one article page with an ETag, faults on request.
#[derive(Debug, Clone)]
pub struct Site {
    addr: SocketAddr,
    state: Arc<Mutex<SiteState>>,
}

impl Site {
    pub async fn start(page: &str) -> Site {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let state = Arc::new(Mutex::new(SiteState {
            page: page.to_owned(),
            ..SiteState::default()
        }));
        let app = Router::new().fallback(answer).with_state(state.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
        Site { addr, state }
    }

    pub fn url(&self) -> String {
        format!("http://{}/news/story.htm", self.addr)
    }

    pub fn serve(&self, page: &str) {
        self.state.lock().unwrap().page = page.to_owned();
    }

    pub fn fail_next(&self, faults: impl IntoIterator<Item = Fault>) {
        self.state.lock().unwrap().faults.extend(faults);
    }

    pub fn requests(&self) -> usize {
        self.state.lock().unwrap().requests
    }

    pub fn not_modified(&self) -> usize {
        self.state.lock().unwrap().not_modified
    }
}

async fn answer(State(state): State<Arc<Mutex<SiteState>>>, headers: HeaderMap) -> Response {
    let (fault, page) = {
        let mut s = state.lock().unwrap();
        s.requests += 1;
        (s.faults.pop_front(), s.page.clone())
    };
    match fault {
        Some(Fault::Status(code)) => return StatusCode::from_u16(code).unwrap().into_response(),
        Some(Fault::RetryAfter(code, secs)) => {
            return (
                StatusCode::from_u16(code).unwrap(),
                [(header::RETRY_AFTER, secs.to_string())],
            )
                .into_response();
        }
        Some(Fault::Delay(wait)) => tokio::time::sleep(wait).await,
        Some(Fault::Oversized(n)) => {
            return (
                [(header::CONTENT_TYPE, "text/html")],
                Body::from(vec![b'a'; n]),
            )
                .into_response();
        }
        Some(Fault::ContentType(kind)) => {
            return ([(header::CONTENT_TYPE, kind)], page).into_response();
        }
        Some(Fault::Bytes(bytes, kind)) => {
            return ([(header::CONTENT_TYPE, kind)], bytes).into_response();
        }
        None => {}
    }
    let etag = format!("\"{:x}\"", fxhash(&page));
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        == Some(etag.as_str())
    {
        state.lock().unwrap().not_modified += 1;
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
    }
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8".to_owned()),
            (header::ETAG, etag),
        ],
        page,
    )
        .into_response()
}

fn fxhash(text: &str) -> u64 {
    text.bytes().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100000001b3)
    })
}

/// A watchlist file in a temporary folder, its store beside it.
pub struct Setup {
    pub dir: tempfile::TempDir,
    pub path: PathBuf,
}

impl Setup {
    /// Writes a watchlist with fast settings (no politeness delay, quick
    /// retries) followed by `watches` (TOML `[[watch]]` tables).
    pub fn new(watches: &str) -> Setup {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("watchlist.toml");
        let text = format!(
            "[settings]\nsnapshots = \"snapshots\"\nper_host_interval = \"0s\"\ntimeout = \"5s\"\nretries = 1\nfailure_alert_after = 2\n\n{watches}"
        );
        std::fs::write(&path, text).expect("write watchlist");
        Setup { dir, path }
    }

    pub fn watchlist(&self) -> Watchlist {
        Watchlist::load(&self.path).expect("valid test watchlist")
    }

    pub fn store_dir(&self) -> PathBuf {
        self.dir.path().join("snapshots")
    }

    /// The pipeline this setup's watchlist describes, writing its store.
    pub fn pipeline(&self) -> Pipeline {
        Pipeline::from_watchlist(&self.watchlist(), Drive::OnePass)
            .expect("a pipeline for the test store")
    }
}

/// One `[[watch]]` table.
pub fn watch(name: &str, url: &str, extra: &str) -> String {
    format!("[[watch]]\nname = \"{name}\"\nurl = \"{url}\"\n{extra}\n")
}

/// An article page of `paragraphs` paragraphs under one headline; `salt`
/// makes distinct texts of the same length.
pub fn article_page(paragraphs: usize, salt: &str) -> String {
    let body: String = (0..paragraphs)
        .map(|i| {
            format!(
                "<p>Paragraph {i} on the harbour {salt}: the council met again on Tuesday and its \
                 members debated the budget for the port, the schools and the coast roads until \
                 late in the evening, the clerk said.</p>"
            )
        })
        .collect();
    format!(
        "<html><head><title>Harbour budget</title></head><body><nav><a href=\"/\">Home</a></nav>\
         <article><h1>Council debates the harbour budget</h1>{body}</article></body></html>"
    )
}

/// The `redline` binary built for these tests.
pub fn redline(dir: &Path) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_redline"));
    command
        .current_dir(dir)
        .env_remove("REDLINE_WATCHLIST")
        .env("NO_COLOR", "1")
        .env("RUST_LOG", "redline=info");
    command
}

/// Runs the binary with `args` in the setup's folder, off the async
/// runtime's threads: it talks to a server that the test's runtime drives.
pub async fn run(setup: &Setup, args: &[&str]) -> std::process::Output {
    let mut command = redline(setup.dir.path());
    command.args(args);
    tokio::task::spawn_blocking(move || command.output().expect("the binary runs"))
        .await
        .expect("the blocking task is never cancelled")
}

/// Bytes a command printed, as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The usual fixture of a pipeline test: one watch `binance` of a page on a
/// loopback site, with a pipeline writing a temporary store.
pub struct Story {
    pub site: Site,
    pub setup: Setup,
    pub pipeline: Pipeline,
    pub watchlist: Watchlist,
}

impl Story {
    /// Serves `page` and sets up the watch.
    pub async fn start(page: &str) -> Story {
        let site = Site::start(page).await;
        let setup = Setup::new(&watch("binance", &site.url(), ""));
        let pipeline = setup.pipeline();
        let watchlist = setup.watchlist();
        Story {
            site,
            setup,
            pipeline,
            watchlist,
        }
    }

    /// The watch.
    pub fn watch(&self) -> &redline::watchlist::Watch {
        &self.watchlist.watches[0]
    }
}
