//! The optional status server (`[settings] listen` or `run --listen`):
//! `/healthz`, Prometheus `/metrics`, read-only HTML pages of the
//! watches and their recent changes (`/`, `/watch/NAME`), and the feeds of
//! changes as Atom (`/feed.atom`, `/watch/NAME/feed.atom`).
//!
//! It reads what the daemon publishes on the [`Board`] and the store,
//! opened read-only; it never writes, never starts a check and holds no
//! lock the daemon needs. Bound to loopback by default: the pages show the
//! watched addresses and errors, so anything wider goes behind a reverse
//! proxy with its own access control (README, "Status server").

mod board;
mod facts;
mod feeds;
mod memo;
mod page;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{FromRef, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use chrono::Utc;
use tokio_util::sync::CancellationToken;

use crate::store::{Store, StoreError};
use crate::watchlist::WatchName;
pub use board::{Board, View};

/// `/healthz` answers 503 when the scheduler is this late: this long past
/// the time it said it would wake (or past its last round, before it first
/// slept).
pub const STALE_AFTER: Duration = Duration::from_secs(30);
/// How many changes the overview shows.
const RECENT_CHANGES: usize = 10;
/// How many changes a watch's page shows.
const WATCH_CHANGES: usize = 50;

/// Why the status server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StatusError {
    /// The address could not be bound.
    #[error(
        "status server: cannot listen on {addr}: {source}; choose a free address with [settings] listen or run --listen"
    )]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// Why it failed.
        source: std::io::Error,
    },
}

/// Starts the status server on `addr` and returns the address it listens
/// on (the real port when `addr` asks for port 0). It stops when
/// `shutdown` is cancelled.
///
/// # Errors
///
/// [`StatusError::Bind`] when the address cannot be bound.
pub async fn serve(
    addr: SocketAddr,
    board: Board,
    shutdown: CancellationToken,
) -> Result<SocketAddr, StatusError> {
    let bind = |source| StatusError::Bind { addr, source };
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(bind)?;
    let bound = listener.local_addr().map_err(bind)?;
    if !bound.ip().is_loopback() {
        tracing::warn!(address = %bound, "status server listens beyond loopback: anyone who reaches it sees the watches and their errors; prefer 127.0.0.1 behind a reverse proxy");
    }
    let app = router(board);
    tokio::spawn(async move {
        let stopped = async move { shutdown.cancelled().await };
        if let Err(e) = axum::serve(listener, app)
            .with_graceful_shutdown(stopped)
            .await
        {
            tracing::error!("status server stopped: {e}");
        }
    });
    tracing::info!(address = %format!("http://{bound}/"), "status server listening");
    Ok(bound)
}

/// What the handlers share: the daemon's board and what earlier views read.
#[derive(Debug, Clone)]
struct App {
    board: Board,
    memo: Arc<memo::Memo>,
}

impl FromRef<App> for Board {
    fn from_ref(app: &App) -> Board {
        app.board.clone()
    }
}

/// The routes, on `board`.
pub fn router(board: Board) -> Router {
    let app = App {
        board,
        memo: Arc::default(),
    };
    Router::new()
        .route("/", get(overview))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/watch/{name}", get(watch))
        .route("/feed.atom", get(feeds::store_feed))
        .route("/watch/{name}/feed.atom", get(feeds::watch_feed))
        .with_state(app)
}

async fn healthz(State(board): State<Board>) -> Response {
    let now = Utc::now();
    let view = board.view();
    let Some(last) = view.last_loop else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "starting: the scheduler has not run yet\n",
        )
            .into_response();
    };
    // An idle scheduler sleeps until its next due check, hours maybe: it is
    // late only once that time has passed without a round.
    let wake = view.sleeping_until.map_or(last, |w| w.max(last));
    let late = (now - wake).to_std().unwrap_or(Duration::ZERO);
    let stamp = last.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    if late > STALE_AFTER {
        let text = format!(
            "stale: the scheduler last ran at {stamp} and is {}s late\n",
            late.as_secs()
        );
        return (StatusCode::SERVICE_UNAVAILABLE, text).into_response();
    }
    format!("ok: the scheduler last ran at {stamp}\n").into_response()
}

async fn metrics(State(board): State<Board>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        board.metrics().encode(),
    )
        .into_response()
}

async fn overview(State(app): State<App>) -> Response {
    let view = app.board.view();
    let result = tokio::task::spawn_blocking(move || {
        let (Some(watchlist), Some(root)) = (&view.watchlist, &view.store) else {
            return Ok(None);
        };
        let (store, memo) = (Store::open_read_only(root), &app.memo);
        let mut rows = Vec::new();
        let mut changes = Vec::new();
        for watch in &watchlist.watches {
            // One listing of the versions per watch and view; what they
            // hold comes from the memo.
            let versions = store.versions(&watch.name)?;
            let due = view.next_due.get(&watch.name).copied();
            rows.push(facts::watch_facts(&store, memo, watch, &versions, due)?);
            changes.extend(facts::changes(&store, memo, watch, &versions, 1)?);
        }
        changes.sort_by_key(|c| std::cmp::Reverse(c.at));
        changes.truncate(RECENT_CHANGES);
        Ok::<_, StoreError>(Some(page::overview(
            Utc::now(),
            view.last_loop,
            &rows,
            &changes,
        )))
    })
    .await;
    page_response(result)
}

async fn watch(State(app): State<App>, Path(name): Path<String>) -> Response {
    let view = app.board.view();
    let result = tokio::task::spawn_blocking(move || {
        let (Some(watchlist), Some(root)) = (&view.watchlist, &view.store) else {
            return Ok(None);
        };
        let Some(watch) = WatchName::parse(&name)
            .ok()
            .and_then(|name| watchlist.watches.iter().find(|w| w.name == name))
        else {
            return Ok(None);
        };
        let (store, memo) = (Store::open_read_only(root), &app.memo);
        let versions = store.versions(&watch.name)?;
        let due = view.next_due.get(&watch.name).copied();
        let row = facts::watch_facts(&store, memo, watch, &versions, due)?;
        let changes = facts::changes(&store, memo, watch, &versions, WATCH_CHANGES)?;
        Ok::<_, StoreError>(Some(page::watch_page(Utc::now(), &row, &changes)))
    })
    .await;
    page_response(result)
}

/// Turns a page's result into a response: the page, 404 for no such page,
/// 500 naming the store's error.
fn page_response(
    result: Result<Result<Option<String>, StoreError>, tokio::task::JoinError>,
) -> Response {
    match result {
        Ok(Ok(Some(html))) => Html(html).into_response(),
        Ok(Ok(None)) => (
            StatusCode::NOT_FOUND,
            Html(page::message(
                "Not found",
                "no such watch in the watchlist in force (or the daemon has not started yet)",
            )),
        )
            .into_response(),
        Ok(Err(e)) => {
            let text = crate::error_chain(&e);
            tracing::error!("status page: {text}");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Html(page::message("Cannot read the store", &text)),
            )
                .into_response()
        }
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Html(page::message("Internal error", &e.to_string())),
        )
            .into_response(),
    }
}
