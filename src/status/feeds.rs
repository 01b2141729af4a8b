//! The status server's feeds of changes: `/feed.atom` (every watch of the
//! store) and `/watch/NAME/feed.atom` (one watch), served as Atom.
//!
//! It serves the files the checks write in the store and, for a store
//! whose watches have not changed since feeds were kept, makes the
//! document from the store in memory; it never writes (see `changefeed`).

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::Board;
use crate::changefeed::{self, FeedError, MEDIA_TYPE};
use crate::store::Store;
use crate::watchlist::WatchName;

/// `/feed.atom`: the newest changes of every watch.
pub(super) async fn store_feed(State(board): State<Board>) -> Response {
    let view = board.view();
    let made = tokio::task::spawn_blocking(move || {
        let (Some(watchlist), Some(root)) = (&view.watchlist, &view.store) else {
            return Ok(None);
        };
        let store = Store::open_read_only(root);
        changefeed::store_document(&store, watchlist.settings.shard, &watchlist.watches).map(Some)
    })
    .await;
    respond(made)
}

/// `/watch/NAME/feed.atom`: the newest changes of one watch of the
/// watchlist in force.
pub(super) async fn watch_feed(State(board): State<Board>, Path(name): Path<String>) -> Response {
    let view = board.view();
    let made = tokio::task::spawn_blocking(move || {
        let (Some(watchlist), Some(root)) = (&view.watchlist, &view.store) else {
            return Ok(None);
        };
        let Some(watch) = WatchName::parse(&name)
            .ok()
            .and_then(|name| watchlist.watches.iter().find(|w| w.name == name))
        else {
            return Ok(None);
        };
        changefeed::watch_document(&Store::open_read_only(root), watch).map(Some)
    })
    .await;
    respond(made)
}

fn respond(made: Result<Result<Option<Vec<u8>>, FeedError>, tokio::task::JoinError>) -> Response {
    match made {
        Ok(Ok(Some(bytes))) => (
            [(header::CONTENT_TYPE, format!("{MEDIA_TYPE}; charset=utf-8"))],
            bytes,
        )
            .into_response(),
        Ok(Ok(None)) => (
            StatusCode::NOT_FOUND,
            "no such watch in the watchlist in force (or the daemon has not started yet)\n",
        )
            .into_response(),
        Ok(Err(e)) => {
            let text = crate::error_chain(&e);
            tracing::error!("feed of changes: {text}");
            (StatusCode::INTERNAL_SERVER_ERROR, format!("{text}\n")).into_response()
        }
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("internal error: {e}\n"),
        )
            .into_response(),
    }
}
