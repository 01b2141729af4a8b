//! A loopback newsroom for the feed tests: an RSS feed (with an ETag), an
//! Atom feed, a home page that names the Atom feed, and the articles both
//! list, each with its published time in its metadata. The test edits the
//! stories; every request sees the newsroom as it is then.

#![allow(dead_code, clippy::unwrap_used, missing_docs)]

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};

/// One article the newsroom lists: its path, title, published time and
/// paragraphs.
#[derive(Debug, Clone)]
pub struct Story {
    pub slug: &'static str,
    pub title: &'static str,
    pub published: DateTime<Utc>,
    pub extra: Option<&'static str>,
}

#[derive(Debug, Default)]
pub struct Newsroom {
    /// The RSS feed's stories, newest first.
    pub rss: Vec<Story>,
    /// The Atom feed's stories.
    pub atom: Vec<Story>,
    /// How many readings of the RSS feed were answered 304 Not Modified.
    pub rss_not_modified: usize,
}

pub type Shared = Arc<Mutex<Newsroom>>;

pub async fn start_newsroom(newsroom: Shared) -> String {
    let app = Router::new()
        .route("/rss.xml", get(rss))
        .route("/atom.xml", get(atom))
        .route("/home", get(home))
        .route("/news/{slug}", get(article))
        .with_state(newsroom);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

/// The RSS feed, with an ETag: a reading that sends it back is answered 304.
async fn rss(State(newsroom): State<Shared>, headers: HeaderMap) -> Response {
    let mut newsroom = newsroom.lock().unwrap();
    let items: String = newsroom
        .rss
        .iter()
        .map(|s| {
            format!(
                "<item><title>{}</title><link>/news/{}</link><pubDate>{}</pubDate></item>",
                s.title,
                s.slug,
                s.published.to_rfc2822()
            )
        })
        .collect();
    let body = format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Wire</title>{items}</channel></rss>"
    );
    let etag = format!("\"{}\"", body.len());
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        == Some(&etag)
    {
        newsroom.rss_not_modified += 1;
        return StatusCode::NOT_MODIFIED.into_response();
    }
    (
        [
            (header::CONTENT_TYPE, "application/rss+xml".to_owned()),
            (header::ETAG, etag),
        ],
        body,
    )
        .into_response()
}

async fn atom(State(newsroom): State<Shared>) -> Response {
    let entries: String = newsroom
        .lock()
        .unwrap()
        .atom
        .iter()
        .map(|s| {
            format!(
                "<entry><title>{}</title><id>urn:{}</id><link rel=\"alternate\" href=\"/news/{}\"/>\
                 <published>{}</published><updated>{}</updated></entry>",
                s.title,
                s.slug,
                s.slug,
                s.published.to_rfc3339(),
                s.published.to_rfc3339()
            )
        })
        .collect();
    let body = format!(
        "<?xml version=\"1.0\"?><feed xmlns=\"http://www.w3.org/2005/Atom\"><title>Desk</title>\
         <id>urn:desk</id><updated>2026-12-01T00:00:00Z</updated>{entries}</feed>"
    );
    ([(header::CONTENT_TYPE, "application/atom+xml")], body).into_response()
}

/// The home page: no feed itself, it names its Atom feed.
async fn home() -> Response {
    let page = "<html><head><title>Desk</title>\
        <link rel=\"alternate\" type=\"application/atom+xml\" title=\"Desk\" href=\"/atom.xml\">\
        </head><body><p>Front page</p></body></html>";
    ([(header::CONTENT_TYPE, "text/html")], page).into_response()
}

async fn article(State(newsroom): State<Shared>, Path(slug): Path<String>) -> Response {
    let newsroom = newsroom.lock().unwrap();
    let Some(story) = newsroom
        .rss
        .iter()
        .chain(&newsroom.atom)
        .find(|s| s.slug == slug)
    else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mut body: String = (0..6)
        .map(|i| {
            format!(
                "<p>Paragraph {i} of {}: the council met again on Tuesday and its members \
                 debated the budget for the port, the schools and the coast roads until late \
                 in the evening, the clerk said.</p>",
                story.title
            )
        })
        .collect();
    if let Some(extra) = story.extra {
        body.push_str(&format!("<p><b>{extra}</b></p>"));
    }
    let page = format!(
        "<html><head><title>{title}</title>\
         <meta property=\"article:published_time\" content=\"{published}\"></head>\
         <body><article><h1>{title}</h1>{body}</article></body></html>",
        title = story.title,
        published = story.published.to_rfc3339()
    );
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], page).into_response()
}
