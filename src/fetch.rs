//! Fetching pages: one shared HTTP client, conditional GET, retries with
//! backoff, politeness per host, a cap on size, and charset decoding.
//!
//! This module turns a URL (and the validators of the last response) into
//! decoded page text or a clear error. It must not parse HTML beyond sniffing
//! a `<meta charset>`, and it must not touch the snapshot store: validators
//! come in and go out as plain values.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use encoding_rs::Encoding;
use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{Client, StatusCode};
use tokio::time::Instant;
use url::Url;

use crate::watchlist::Settings;

/// How many redirects one fetch follows before giving up.
pub const MAX_REDIRECTS: usize = 10;
/// The longest `Retry-After` that is waited out within one check; a server
/// that asks for more is retried at the watch's next scheduled check.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);
/// The first retry's delay; each further retry doubles it (with jitter).
const BACKOFF_BASE: Duration = Duration::from_millis(500);

/// The validators of the last full response, sent back so that an unchanged
/// page costs a `304 Not Modified` and no extraction.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    /// The `ETag` header.
    pub etag: Option<String>,
    /// The `Last-Modified` header.
    pub last_modified: Option<String>,
}

/// A fetched page, decoded to text.
#[derive(Debug)]
pub struct Page {
    /// The address the content came from, after redirects.
    pub final_url: Url,
    /// The page's text, decoded from its charset.
    pub html: String,
    /// The validators to send next time.
    pub validators: Validators,
    /// The size of the body as received (after content decoding), in bytes.
    pub bytes: usize,
}

/// What a fetch produced.
#[derive(Debug)]
pub enum Fetched {
    /// The server says the page is unchanged since the validators were issued.
    NotModified,
    /// The page's content.
    Page(Page),
}

/// Why a fetch failed. Every message names the address and says whether
/// waiting will help.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// No answer in time.
    #[error("{url}: no answer within {timeout:?} (will retry at the next check)")]
    Timeout {
        /// The address.
        url: Url,
        /// The time allowed.
        timeout: Duration,
    },
    /// The connection could not be made or broke.
    #[error("{url}: connection failed: {reason}")]
    Connect {
        /// The address.
        url: Url,
        /// The cause chain, in words.
        reason: String,
    },
    /// The body broke off or could not be decoded (a connection cut
    /// mid-page, a body shorter than announced, corrupt compression).
    #[error("{url}: the page arrived incomplete or garbled: {reason} (will retry)")]
    Body {
        /// The address.
        url: Url,
        /// The cause chain, in words.
        reason: String,
    },
    /// The server answered with an error status.
    #[error("{url}: the server answered {status}{}", retry_hint(*.status))]
    Status {
        /// The address.
        url: Url,
        /// The status.
        status: StatusCode,
    },
    /// The body exceeded the size cap.
    #[error(
        "{url}: the page is larger than {limit} bytes; raise settings.max_body if it is really an article"
    )]
    TooLarge {
        /// The address.
        url: Url,
        /// The cap.
        limit: u64,
    },
    /// Redirects went on past the limit, or looped.
    #[error("{url}: too many redirects (more than {MAX_REDIRECTS}); check the watch's address")]
    Redirects {
        /// The address.
        url: Url,
    },
    /// The content is not a web page.
    #[error("{url}: the response is `{content_type}`, not an HTML page")]
    NotHtml {
        /// The address.
        url: Url,
        /// The declared type.
        content_type: String,
    },
    /// Anything else the HTTP client reported.
    #[error("{url}: {reason}")]
    Other {
        /// The address.
        url: Url,
        /// The cause chain, in words.
        reason: String,
    },
}

fn retry_hint(status: StatusCode) -> &'static str {
    match status.as_u16() {
        404 | 410 => " (the article is gone or moved; check the watch's address)",
        401 | 403 => " (access refused; the site may block automated readers)",
        429 => " (too many requests; redline backs off)",
        500..=599 => " (a server error; will retry)",
        _ => "",
    }
}

impl FetchError {
    /// Whether trying again soon may succeed.
    pub fn is_transient(&self) -> bool {
        match self {
            FetchError::Timeout { .. } | FetchError::Connect { .. } | FetchError::Body { .. } => {
                true
            }
            FetchError::Status { status, .. } => {
                status.is_server_error()
                    || *status == StatusCode::TOO_MANY_REQUESTS
                    || *status == StatusCode::REQUEST_TIMEOUT
            }
            _ => false,
        }
    }
}

/// The fetcher shared by every check: one connection pool, one politeness
/// gate per host.
#[derive(Debug, Clone)]
pub struct Fetcher {
    client: Client,
    max_body: u64,
    timeout: Duration,
    retries: u32,
    hosts: HostGate,
}

impl Fetcher {
    /// Builds the shared client from the watchlist's settings.
    ///
    /// # Errors
    ///
    /// When the TLS backend cannot be initialised.
    pub fn new(settings: &Settings) -> Result<Self, reqwest::Error> {
        let client = Client::builder()
            .user_agent(settings.user_agent.clone())
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout.min(Duration::from_secs(10)))
            .redirect(reqwest::redirect::Policy::limited(MAX_REDIRECTS))
            .gzip(true)
            .brotli(true)
            .deflate(true)
            .build()?;
        Ok(Fetcher {
            client,
            max_body: settings.max_body,
            timeout: settings.timeout,
            retries: settings.retries,
            hosts: HostGate::new(settings.per_host_interval),
        })
    }

    /// Fetches `url`, conditionally on `validators`, retrying transient
    /// failures with exponential backoff and honouring `Retry-After`.
    ///
    /// # Errors
    ///
    /// The last attempt's [`FetchError`] once retries are exhausted, or at
    /// once for a failure that retrying cannot fix.
    pub async fn fetch(&self, url: &Url, validators: &Validators) -> Result<Fetched, FetchError> {
        let mut attempt = 0;
        loop {
            let (result, retry_after) = self.fetch_once(url, validators).await;
            let error = match result {
                Ok(fetched) => return Ok(fetched),
                Err(e) => e,
            };
            if attempt >= self.retries || !error.is_transient() {
                return Err(error);
            }
            let backoff = BACKOFF_BASE * 2u32.pow(attempt);
            let jitter = Duration::from_millis(fastrand::u64(0..=backoff.as_millis() as u64 / 2));
            let delay = match retry_after {
                Some(wait) if wait > MAX_RETRY_AFTER => return Err(error),
                Some(wait) => wait,
                None => backoff + jitter,
            };
            tracing::debug!(%url, attempt, ?delay, error = %error, "retrying");
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }

    /// One request. Returns the outcome and, for 429/503 answers, the
    /// server's `Retry-After`.
    async fn fetch_once(
        &self,
        url: &Url,
        validators: &Validators,
    ) -> (Result<Fetched, FetchError>, Option<Duration>) {
        let _turn = self.hosts.wait_turn(url).await;
        let mut request = self.client.get(url.clone()).header(
            header::ACCEPT,
            "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5",
        );
        if let Some(etag) = &validators.etag {
            request = request.header(header::IF_NONE_MATCH, etag);
        }
        if let Some(modified) = &validators.last_modified {
            request = request.header(header::IF_MODIFIED_SINCE, modified);
        }
        let response = match request.send().await {
            Ok(r) => r,
            Err(e) => return (Err(self.classify(url, e)), None),
        };
        let status = response.status();
        if status == StatusCode::NOT_MODIFIED {
            return (Ok(Fetched::NotModified), None);
        }
        if !status.is_success() {
            let retry_after = retry_after(response.headers());
            return (
                Err(FetchError::Status {
                    url: url.clone(),
                    status,
                }),
                retry_after,
            );
        }
        (self.read_page(url, response).await.map(Fetched::Page), None)
    }

    async fn read_page(
        &self,
        url: &Url,
        mut response: reqwest::Response,
    ) -> Result<Page, FetchError> {
        let headers = response.headers().clone();
        let final_url = response.url().clone();
        let content_type = header_str(&headers, header::CONTENT_TYPE).unwrap_or_default();
        if !content_type.is_empty() && !is_html_type(&content_type) {
            return Err(FetchError::NotHtml {
                url: url.clone(),
                content_type,
            });
        }
        let too_large = || FetchError::TooLarge {
            url: url.clone(),
            limit: self.max_body,
        };
        if response.content_length().is_some_and(|n| n > self.max_body) {
            return Err(too_large());
        }
        // Read chunk by chunk so that an endless or lying body is cut off at
        // the cap instead of filling memory.
        let mut body = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if (body.len() + chunk.len()) as u64 > self.max_body {
                        return Err(too_large());
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => return Err(self.classify(url, e)),
            }
        }
        let bytes = body.len();
        let html = decode(body, &content_type);
        let validators = Validators {
            etag: header_str(&headers, header::ETAG),
            last_modified: header_str(&headers, header::LAST_MODIFIED),
        };
        Ok(Page {
            final_url,
            html,
            validators,
            bytes,
        })
    }

    fn classify(&self, url: &Url, error: reqwest::Error) -> FetchError {
        let url = url.clone();
        // Our messages start with the address; reqwest's would repeat it.
        let error = error.without_url();
        if error.is_timeout() {
            FetchError::Timeout {
                url,
                timeout: self.timeout,
            }
        } else if error.is_redirect() {
            FetchError::Redirects { url }
        } else if error.is_body() || error.is_decode() {
            FetchError::Body {
                url,
                reason: crate::error_chain(&error),
            }
        } else if error.is_connect() || error.is_request() {
            FetchError::Connect {
                url,
                reason: crate::error_chain(&error),
            }
        } else {
            FetchError::Other {
                url,
                reason: crate::error_chain(&error),
            }
        }
    }
}

fn header_str(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v: &HeaderValue| v.to_str().ok())
        .map(str::to_owned)
}

fn is_html_type(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    matches!(
        essence.as_str(),
        "text/html" | "application/xhtml+xml" | "text/plain" | "application/xml" | "text/xml"
    )
}

/// Parses `Retry-After` as seconds or an HTTP date.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = header_str(headers, header::RETRY_AFTER)?;
    if let Ok(seconds) = value.trim().parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = httpdate::parse_http_date(value.trim()).ok()?;
    Some(
        when.duration_since(std::time::SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// Decodes a body to text: the charset of the `Content-Type` header, else a
/// byte-order mark, else a `<meta charset>` in the first kilobytes (unless
/// the body is valid UTF-8 beyond ASCII, see [`is_multibyte_utf8`]), else
/// UTF-8. Undecodable bytes become U+FFFD rather than failing the check.
///
/// Takes the body by value: a page that is already valid UTF-8 (most are)
/// becomes the text without being copied.
pub fn decode(body: Vec<u8>, content_type: &str) -> String {
    let declared = content_type
        .split(';')
        .filter_map(|part| part.trim().strip_prefix("charset="))
        .next()
        .map(|c| c.trim_matches(['"', '\'']))
        .and_then(|label| Encoding::for_label(label.as_bytes()));
    let encoding = declared
        .or_else(|| Encoding::for_bom(&body).map(|(e, _)| e))
        .or_else(|| sniff_meta_charset(&body).filter(|_| !is_multibyte_utf8(&body)))
        .unwrap_or(encoding_rs::UTF_8);
    let (text, _, _) = encoding.decode(&body);
    match text {
        // The whole body, unchanged: reuse its buffer.
        std::borrow::Cow::Borrowed(same) if same.len() == body.len() => {
            String::from_utf8(body).expect("the decoder borrowed the whole body as valid UTF-8")
        }
        text => text.into_owned(),
    }
}

/// Whether a body is valid UTF-8 with at least one multi-byte character. A
/// `<meta>` declaring a legacy charset on such a body is stale (the page was
/// re-encoded and the tag kept): text in a legacy charset almost never forms
/// valid multi-byte UTF-8 sequences by chance.
fn is_multibyte_utf8(body: &[u8]) -> bool {
    !body.is_ascii() && std::str::from_utf8(body).is_ok()
}

/// Finds `<meta charset="…">` or `<meta http-equiv=Content-Type content="…; charset=…">`
/// in the first 4 KiB, as browsers do before parsing.
fn sniff_meta_charset(body: &[u8]) -> Option<&'static Encoding> {
    let head = &body[..body.len().min(4096)];
    let head = String::from_utf8_lossy(head).to_ascii_lowercase();
    let mut rest = head.as_str();
    while let Some(at) = rest.find("charset=") {
        rest = &rest[at + "charset=".len()..];
        let label: String = rest
            .trim_start_matches(['"', '\''])
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.'))
            .collect();
        if let Some(encoding) = Encoding::for_label(label.as_bytes()) {
            // A page that claims UTF-16 in ASCII-compatible bytes is wrong
            // about itself; browsers read it as UTF-8.
            return Some(
                if encoding == encoding_rs::UTF_16LE || encoding == encoding_rs::UTF_16BE {
                    encoding_rs::UTF_8
                } else {
                    encoding
                },
            );
        }
    }
    None
}

/// Serialises requests to each host and keeps them at least `interval`
/// apart, so that many watches on one site never hammer it.
#[derive(Debug, Clone)]
struct HostGate {
    interval: Duration,
    /// One slot per host: the time its next request may start. The outer
    /// lock is held only to find the slot, never across an `.await`.
    hosts: Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<Instant>>>>>,
}

impl HostGate {
    fn new(interval: Duration) -> Self {
        HostGate {
            interval,
            hosts: Arc::default(),
        }
    }

    /// Waits until this host may be asked again and holds the host's turn
    /// until the returned guard drops (the request is done).
    async fn wait_turn(&self, url: &Url) -> tokio::sync::OwnedMutexGuard<Instant> {
        let key = url.host_str().unwrap_or("").to_owned();
        let slot = {
            let mut hosts = self
                .hosts
                .lock()
                .expect("host table lock is never poisoned: no code panics while holding it");
            hosts
                .entry(key)
                .or_insert_with(|| Arc::new(tokio::sync::Mutex::new(Instant::now())))
                .clone()
        };
        let mut next = slot.lock_owned().await;
        tokio::time::sleep_until(*next).await;
        *next = Instant::now() + self.interval;
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charset_sources_in_order() {
        let latin1 = b"<html><head><meta charset=\"iso-8859-1\"></head><body>caf\xe9</body></html>";
        // A <meta charset> is used when the header says nothing.
        assert!(decode(latin1.to_vec(), "text/html").contains("café"));
        // The header wins over the page.
        let utf8 = "<meta charset=\"iso-8859-1\">café".as_bytes();
        assert!(decode(utf8.to_vec(), "text/html; charset=utf-8").contains("café"));
        // http-equiv form.
        let win = b"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=windows-1252\">\x93quoted\x94";
        assert!(decode(win.to_vec(), "").contains("\u{201c}quoted\u{201d}"));
        // A stale legacy <meta> on a page that is valid UTF-8 is ignored.
        let stale = "<meta charset=\"gb2312\"><p>café 中文</p>".as_bytes();
        assert!(decode(stale.to_vec(), "").contains("café 中文"));
        // Undecodable bytes do not fail.
        assert!(decode(b"ok \xff\xfe\xfd".to_vec(), "text/html; charset=utf-8").starts_with("ok "));
        // Valid UTF-8 comes back whole; a byte-order mark is dropped.
        assert_eq!(decode("<p>café</p>".as_bytes().to_vec(), ""), "<p>café</p>");
        assert_eq!(decode(b"\xef\xbb\xbf<p>x</p>".to_vec(), ""), "<p>x</p>");
    }

    #[test]
    fn retry_after_forms() {
        let mut headers = HeaderMap::new();
        headers.insert(header::RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        headers.insert(
            header::RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&headers), Some(Duration::ZERO));
    }

    #[test]
    fn html_types() {
        for ok in [
            "text/html",
            "text/html; charset=utf-8",
            "application/xhtml+xml",
        ] {
            assert!(is_html_type(ok), "{ok}");
        }
        for bad in ["application/pdf", "image/png", "application/json"] {
            assert!(!is_html_type(bad), "{bad}");
        }
    }
}
