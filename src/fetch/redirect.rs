//! Redirects: which ones the fetcher follows (http and https, at most
//! [`MAX_REDIRECTS`]) and the words for one it refuses. It must not fetch.

use reqwest::header::{self, HeaderMap};
use url::Url;

use super::{FetchError, MAX_REDIRECTS, header_str};

/// A redirect the fetcher did not follow: where it pointed and why not.
#[derive(Debug, thiserror::Error)]
#[error("`{target}`, which redline does not follow: {reason}")]
pub struct Refusal {
    /// The redirect's target, shortened.
    pub target: String,
    /// Why it is not followed.
    pub reason: String,
}

/// Why the redirect policy stopped following a redirect; read back from
/// reqwest's error chain by [`Fetcher::classify`].
#[derive(Debug, thiserror::Error)]
pub(super) enum RedirectStop {
    /// The target is not an http or https address.
    #[error(
        "the redirect target's scheme `{scheme}:` is refused (only http and https pages are fetched)"
    )]
    Scheme {
        /// The target.
        target: String,
        /// Its scheme.
        scheme: String,
    },
    /// Too many redirects in a row.
    #[error("too many redirects")]
    TooMany,
}

/// Follows redirects to http and https addresses, at most [`MAX_REDIRECTS`]
/// of them. A `file:`, `data:` or `ftp:` target is refused by name rather
/// than left to the client's generic "builder error".
pub(super) fn redirect_policy() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let scheme = attempt.url().scheme();
        if !matches!(scheme, "http" | "https") {
            let stop = RedirectStop::Scheme {
                target: shorten(attempt.url().as_str()),
                scheme: scheme.to_owned(),
            };
            attempt.error(stop)
        } else if attempt.previous().len() > MAX_REDIRECTS {
            attempt.error(RedirectStop::TooMany)
        } else {
            attempt.follow()
        }
    })
}

/// A redirect target as shown in a message: `data:` addresses can be huge.
pub(super) fn shorten(target: &str) -> String {
    const SHOWN: usize = 80;
    match target.char_indices().nth(SHOWN) {
        Some((at, _)) => format!("{}…", &target[..at]),
        None => target.to_owned(),
    }
}

/// The error for a redirect the client left unfollowed.
pub(super) fn refused_redirect(url: &Url, headers: &HeaderMap) -> FetchError {
    let location = header_str(headers, header::LOCATION).unwrap_or_default();
    let reason = match url.join(&location) {
        Ok(target) if !matches!(target.scheme(), "http" | "https") => RedirectStop::Scheme {
            target: String::new(),
            scheme: target.scheme().to_owned(),
        }
        .to_string(),
        Ok(_) => "the target is not an address the client can request".to_owned(),
        Err(e) => format!("the target is not a valid address ({e})"),
    };
    FetchError::RedirectRefused {
        url: url.clone(),
        refused: Box::new(Refusal {
            target: shorten(&location),
            reason,
        }),
    }
}

/// The first cause of type `T` in `error`'s chain.
pub(super) fn find_cause<T: std::error::Error + 'static>(error: &reqwest::Error) -> Option<&T> {
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        if let Some(found) = cause.downcast_ref::<T>() {
            return Some(found);
        }
        source = cause.source();
    }
    None
}
