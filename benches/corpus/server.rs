//! The corpus's HTTP server, run in a child process (this same benchmark
//! binary, started again with `REDLINE_CORPUS_SERVE` set) so that its CPU
//! time and memory are not counted as the pipeline's, as with nginx.
//!
//! It listens on several loopback addresses (redline asks each host one
//! page at a time), serves `/p/{index}` in the current version with an
//! `ETag` (answering `If-None-Match` with 304), and takes orders on
//! `/control/{version}/{etags}`. It exits when its stdin closes, so it
//! never outlives the benchmark. Owns no measurement.

use std::io::{BufRead, Read};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::pages;

/// The environment variable that makes the binary the server.
pub const SERVE_VAR: &str = "REDLINE_CORPUS_SERVE";

/// How many loopback hosts serve the corpus.
const HOSTS: u8 = 16;

#[derive(Default)]
struct Control {
    version: AtomicU8,
    etags: AtomicBool,
}

async fn page(
    State(control): State<Arc<Control>>,
    Path(index): Path<usize>,
    headers: HeaderMap,
) -> Response {
    let version = control.version.load(Ordering::Relaxed);
    let etag = format!("\"v{version}-{index}\"");
    let html = pages::page(index, version);
    if !control.etags.load(Ordering::Relaxed) {
        return ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response();
    }
    let asked = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok());
    if asked == Some(etag.as_str()) {
        return ([(header::ETAG, etag)], StatusCode::NOT_MODIFIED).into_response();
    }
    let content_type = "text/html; charset=utf-8".to_owned();
    (
        [(header::CONTENT_TYPE, content_type), (header::ETAG, etag)],
        html,
    )
        .into_response()
}

async fn control(
    State(control): State<Arc<Control>>,
    Path((version, etags)): Path<(u8, u8)>,
) -> StatusCode {
    control.version.store(version, Ordering::Relaxed);
    control.etags.store(etags != 0, Ordering::Relaxed);
    StatusCode::NO_CONTENT
}

/// The child's main: serves until stdin closes.
pub fn serve() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let state = Arc::new(Control::default());
    state.version.store(1, Ordering::Relaxed);
    state.etags.store(true, Ordering::Relaxed);
    runtime.block_on(async {
        let mut addresses = Vec::new();
        for n in 1..=HOSTS {
            let listener = tokio::net::TcpListener::bind(format!("127.0.0.{n}:0"))
                .await
                .expect("bind a loopback address");
            addresses.push(listener.local_addr().expect("address").to_string());
            let app = Router::new()
                .route("/p/{index}", axum::routing::get(page))
                .route("/control/{version}/{etags}", axum::routing::post(control))
                .with_state(state.clone());
            tokio::spawn(async move { axum::serve(listener, app).await });
        }
        println!("{}", addresses.join(" "));
        // The parent holds our stdin: its end (or death) ends the server.
        tokio::task::spawn_blocking(|| std::io::stdin().read_to_end(&mut Vec::new()))
            .await
            .ok();
    });
}

/// The running server child, stopped when dropped.
pub struct Served {
    child: Child,
    /// The loopback addresses serving the corpus.
    pub hosts: Vec<SocketAddr>,
    client: reqwest::Client,
}

impl Served {
    /// Starts this binary again as the server and reads its addresses.
    pub fn start() -> Self {
        let exe = std::env::current_exe().expect("own path");
        let mut child = Command::new(exe)
            .env(SERVE_VAR, "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the corpus server");
        let mut line = String::new();
        let stdout = child.stdout.take().expect("piped stdout");
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .expect("the server's addresses");
        let hosts = line
            .split_whitespace()
            .map(|a| a.parse().expect("a socket address"))
            .collect();
        Served {
            child,
            hosts,
            client: reqwest::Client::new(),
        }
    }

    /// Serves `version` from now on, with or without validators.
    pub async fn set(&self, version: u8, etags: bool) {
        let url = format!(
            "http://{}/control/{version}/{}",
            self.hosts[0],
            u8::from(etags)
        );
        let answer = self
            .client
            .post(url)
            .send()
            .await
            .expect("control the server");
        assert!(
            answer.status().is_success(),
            "the server refused {version}/{etags}"
        );
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        // Closing stdin asks the child to end; kill only if it does not.
        drop(self.child.stdin.take());
        if self.child.wait().is_err() {
            self.child.kill().ok();
        }
    }
}
