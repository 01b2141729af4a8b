//! Fetching pages: one shared HTTP client, conditional GET, retries with
//! backoff, politeness per host, a cap on size, and charset decoding.
//!
//! This module turns a URL (and the validators of the last response) into
//! decoded page text or a clear error. It must not parse HTML (the charset
//! rules live in `charset`), and it must not touch the snapshot store:
//! validators come in and go out as plain values. It is the one user of a
//! watch's URL as written: every error and log line shows the address with
//! its password masked.

use std::time::Duration;

use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{Client, StatusCode};
use url::Url;

use crate::charset::{self, Correction};
use crate::watchlist::{Settings, redacted};

mod hosts;
mod redirect;

use hosts::HostGate;
pub use redirect::Refusal;
use redirect::{RedirectStop, find_cause, redirect_policy, refused_redirect};

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
    /// The headers came but the body trickled in too slowly to finish.
    #[error(
        "{url}: the page's body came too slowly ({received} bytes within {timeout:?}); will retry at the next check"
    )]
    SlowBody {
        /// The address.
        url: Url,
        /// The time allowed for the whole request.
        timeout: Duration,
        /// How much of the body had arrived.
        received: usize,
    },
    /// A redirect pointed somewhere redline does not go.
    #[error("{url}: the server redirected to {refused}")]
    RedirectRefused {
        /// The address.
        url: Url,
        /// Where to and why not (boxed: errors travel in every `Result`).
        refused: Box<Refusal>,
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
            FetchError::Timeout { .. }
            | FetchError::SlowBody { .. }
            | FetchError::Connect { .. }
            | FetchError::Body { .. } => true,
            FetchError::Status { status, .. } => {
                status.is_server_error()
                    || *status == StatusCode::TOO_MANY_REQUESTS
                    || *status == StatusCode::REQUEST_TIMEOUT
            }
            _ => false,
        }
    }

    /// The same error with the password of its address masked.
    fn redacted(mut self) -> Self {
        let url = match &mut self {
            FetchError::Timeout { url, .. }
            | FetchError::SlowBody { url, .. }
            | FetchError::RedirectRefused { url, .. }
            | FetchError::Connect { url, .. }
            | FetchError::Body { url, .. }
            | FetchError::Status { url, .. }
            | FetchError::TooLarge { url, .. }
            | FetchError::Redirects { url }
            | FetchError::NotHtml { url, .. }
            | FetchError::Other { url, .. } => url,
        };
        *url = redacted(url);
        self
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
            .redirect(redirect_policy())
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
        let shown = redacted(url);
        let mut attempt = 0;
        loop {
            let (result, retry_after) = self.fetch_once(url, validators).await;
            let error = match result {
                Ok(fetched) => return Ok(fetched),
                Err(e) => e.redacted(),
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
            tracing::debug!(url = %shown, attempt, ?delay, error = %error, "retrying");
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
        if status.is_redirection() {
            // The policy follows every redirect it can; one left here has a
            // target the client could not even read as an address.
            return (Err(refused_redirect(url, response.headers())), None);
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
        // Sized from the declared length (capped) so that a page is not
        // copied again each time its buffer doubles.
        let declared = response.content_length().unwrap_or(0).min(self.max_body);
        let mut body = Vec::with_capacity(usize::try_from(declared).unwrap_or(0));
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if (body.len() + chunk.len()) as u64 > self.max_body {
                        return Err(too_large());
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                // The headers came in time: a timeout now is a slow body.
                Err(e) if e.is_timeout() => {
                    return Err(FetchError::SlowBody {
                        url: url.clone(),
                        timeout: self.timeout,
                        received: body.len(),
                    });
                }
                Err(e) => return Err(self.classify(url, e)),
            }
        }
        let bytes = body.len();
        let decoded = charset::decode(body, &content_type);
        log_correction(url, decoded.correction.as_ref());
        let html = decoded.text;
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
            match find_cause::<RedirectStop>(&error) {
                Some(stop @ RedirectStop::Scheme { target, .. }) => FetchError::RedirectRefused {
                    url,
                    refused: Box::new(Refusal {
                        target: target.clone(),
                        reason: stop.to_string(),
                    }),
                },
                _ => FetchError::Redirects { url },
            }
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
        "text/html"
            | "application/xhtml+xml"
            | "text/plain"
            | "application/xml"
            | "text/xml"
            // Feeds are read by the same client as pages.
            | "application/rss+xml"
            | "application/atom+xml"
    )
}

/// Parses `Retry-After` as seconds or an HTTP date (also read by the
/// webhook channel).
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
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

/// Decodes a body to text (see [`charset::decode`] for the rules).
pub fn decode(body: Vec<u8>, content_type: &str) -> String {
    charset::decode(body, content_type).text
}

/// Says in the log when a page's charset declaration was overruled.
fn log_correction(url: &Url, correction: Option<&Correction>) {
    let url = redacted(url);
    match correction {
        Some(Correction::Charset { declared, used }) => tracing::warn!(
            %url,
            "the page is declared {declared} but its bytes are not; read as {used}"
        ),
        Some(Correction::DoubleEncoding { repaired }) => tracing::warn!(
            %url,
            repaired,
            "the page's text was encoded twice; decoded once more"
        ),
        None => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
