//! The offline demonstration's web server: the seed article's pages, served
//! on loopback, one at a time, with the validators a real news site sends.
//!
//! The server is real (axum on `127.0.0.1:0`), so the demo runs redline's
//! actual pipeline, HTTP included. This module must not check anything
//! itself: it serves what it is told to serve.

use std::net::SocketAddr;
use std::sync::{Arc, RwLock};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio_util::sync::CancellationToken;

/// The seed article's first version, with its page around it.
pub const SEED_V1: &str = include_str!("../tests/fixtures/seed/v1.html");
/// The same first version with only the page around it changed: another ad,
/// reordered related links, a new relative time and CSRF token, new
/// cache-busting asset queries.
pub const SEED_V1_CHROME: &str = include_str!("../tests/fixtures/seed/v1-chrome.html");
/// The article after its April 25 update: six paragraphs added in bold, two
/// sentences edited, one removed, one more paragraph and an editor's note.
pub const SEED_V2: &str = include_str!("../tests/fixtures/seed/v2.html");
/// Where the seed article is served.
pub const SEED_PATH: &str =
    "/news/binance-regional-head-agreed-hand-client-data-russia-after-meeting-report.htm";

/// A web server on loopback serving one page whose content can be swapped.
#[derive(Debug)]
pub struct FixtureServer {
    addr: SocketAddr,
    page: Arc<RwLock<String>>,
    stop: CancellationToken,
}

impl FixtureServer {
    /// Starts serving `html` at every path, on a free port of 127.0.0.1.
    ///
    /// # Errors
    ///
    /// When no loopback port can be bound.
    pub async fn start(html: &str) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let page = Arc::new(RwLock::new(html.to_owned()));
        let stop = CancellationToken::new();
        let app = Router::new().fallback(serve_page).with_state(page.clone());
        let stopped = stop.clone();
        tokio::spawn(async move {
            let server =
                axum::serve(listener, app).with_graceful_shutdown(stopped.cancelled_owned());
            if let Err(e) = server.await {
                tracing::error!("fixture server stopped: {e}");
            }
        });
        Ok(FixtureServer { addr, page, stop })
    }

    /// The address of `path` on this server.
    pub fn url(&self, path: &str) -> url::Url {
        url::Url::parse(&format!("http://{}{path}", self.addr))
            .expect("a socket address and an absolute path form a URL")
    }

    /// Serves `html` from now on.
    pub fn serve(&self, html: &str) {
        *self.page.write().expect("the page lock is never poisoned") = html.to_owned();
    }
}

impl Drop for FixtureServer {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// Answers with the current page, its ETag (a digest of the content) and a
/// 304 when the client already has it, as a well-behaved site does.
async fn serve_page(State(page): State<Arc<RwLock<String>>>, headers: HeaderMap) -> Response {
    let html = page
        .read()
        .expect("the page lock is never poisoned")
        .clone();
    let etag = format!("\"{}\"", &blake3::hash(html.as_bytes()).to_hex()[..16]);
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        == Some(etag.as_str())
    {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
    }
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8".to_owned()),
            (header::ETAG, etag),
        ],
        html,
    )
        .into_response()
}
