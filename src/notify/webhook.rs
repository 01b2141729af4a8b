//! The `webhook` channel's part of delivery: one alert as one HTTP POST,
//! and the answer sorted into delivered, retry-later and refused.
//!
//! The body is the `preset`'s (`payload`): the alert's JSON document, or
//! a Slack or Discord message. Each request carries `X-Redline-Alert` (the
//! alert's id, the same on every retry) and `X-Redline-Event`, and, when
//! the channel has a `secret_env`, `X-Redline-Signature-256: sha256=HEX`,
//! the HMAC-SHA256 of the exact body bytes under that secret.
//!
//! Answers: 2xx is delivered; 408, 425, 429 and 5xx, a timeout or a cut
//! connection are worth a retry (not before the `Retry-After` of a 429 or
//! 503, for the rest of the pass too); a refused connection means the receiver
//! is down (the rest of the pass waits too); any other status (400, 401,
//! 403, 404, 410, a redirect) is refused for good. The address often
//! holds a token (Slack, Discord), so it never appears in a message: errors
//! are stripped of it and the channel is shown by its scheme and host.
//! This module must not decide what is due or keep anything: the shared
//! queue does.

use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, HeaderValue};
use sha2::Sha256;
use url::Url;

use super::delivery::{Deliver, Failure};
use super::{Alert, payload};
use crate::watchlist::channels::{Preset, WebhookSettings, WebhookUrl};

/// The header carrying the body's signature.
pub const SIGNATURE_HEADER: &str = "X-Redline-Signature-256";

/// How much of a refusing receiver's answer is kept as the reason.
const ANSWER_CHARS: usize = 200;

/// Why a webhook channel could not be built.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// A named environment variable is not set.
    #[error(
        "webhook {channel}: the environment variable {variable} is not set; set it, or change the [webhook.{channel}] table"
    )]
    Env {
        /// The channel.
        channel: String,
        /// The variable.
        variable: String,
    },
    /// The address in the environment is not usable.
    #[error("webhook {channel}: the address in {variable} is not an http or https URL")]
    BadUrl {
        /// The channel.
        channel: String,
        /// The variable.
        variable: String,
    },
    /// The HTTP client could not start.
    #[error("webhook {channel}: cannot start the http client: {reason}")]
    Client {
        /// The channel.
        channel: String,
        /// Why.
        reason: String,
    },
}

/// Posts alerts to one address.
pub struct Webhook {
    client: reqwest::Client,
    /// The address, token included: used for the request only.
    url: Url,
    preset: Preset,
    /// The signing key, read from the environment when built.
    secret: Option<Vec<u8>>,
}

impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhook")
            .field("url", &crate::watchlist::channels::origin_only(&self.url))
            .field("preset", &self.preset)
            .field("signed", &self.secret.is_some())
            .finish()
    }
}

impl Webhook {
    /// Builds the channel: reads its address and secret from the
    /// environment when the watchlist names variables.
    ///
    /// # Errors
    ///
    /// [`WebhookError`] when a variable is unset or the client cannot start.
    pub fn new(settings: &WebhookSettings, user_agent: &str) -> Result<Self, WebhookError> {
        let channel = settings.name.to_string();
        let env = |variable: &str| {
            std::env::var(variable).map_err(|_| WebhookError::Env {
                channel: channel.clone(),
                variable: variable.to_owned(),
            })
        };
        let url = match &settings.url {
            WebhookUrl::Given(url) => url.clone(),
            WebhookUrl::Env(variable) => Url::parse(env(variable)?.trim())
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https"))
                .ok_or_else(|| WebhookError::BadUrl {
                    channel: channel.clone(),
                    variable: variable.clone(),
                })?,
        };
        let secret = match &settings.secret_env {
            Some(variable) => Some(env(variable)?.into_bytes()),
            None => None,
        };
        let client = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout.min(Duration::from_secs(10)))
            .user_agent(user_agent)
            // A POST must not turn into a GET elsewhere: a redirect is refused.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| WebhookError::Client {
                channel: channel.clone(),
                reason: crate::error_chain(&e.without_url()),
            })?;
        Ok(Webhook {
            client,
            url,
            preset: settings.preset,
            secret,
        })
    }
}

/// `sha256=HEX`: the HMAC-SHA256 of `body` under `key`.
pub fn signature(key: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

impl Deliver for Webhook {
    type Item = Alert;

    async fn deliver(&self, id: &str, alert: &Alert) -> Result<(), Failure> {
        let body = match self.preset {
            Preset::Json => payload::document(alert),
            Preset::Slack => payload::slack(alert),
            Preset::Discord => payload::discord(alert),
        };
        let mut request = self
            .client
            .post(self.url.clone())
            .header(CONTENT_TYPE, "application/json")
            .header("X-Redline-Event", payload::event_word(alert));
        // An id is built from names and hex digits; one that is not a valid
        // header value (an edited outbox file) is left out, not fatal.
        if let Ok(value) = HeaderValue::from_str(id) {
            request = request.header("X-Redline-Alert", value);
        }
        if let Some(key) = &self.secret {
            request = request.header(SIGNATURE_HEADER, signature(key, &body));
        }
        match request.body(body).send().await {
            Ok(response) => judge(response).await,
            Err(e) => Err(failure_of(&e)),
        }
    }
}

/// Sorts a receiver's answer.
async fn judge(response: reqwest::Response) -> Result<(), Failure> {
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let asked = matches!(status.as_u16(), 429 | 503)
        .then(|| crate::fetch::retry_after(response.headers()))
        .flatten();
    let answer: String = response
        .text()
        .await
        .unwrap_or_default()
        .chars()
        .take(ANSWER_CHARS)
        .collect();
    let answer = super::email::summary::one_line(&answer);
    let reason = if answer.is_empty() {
        format!("the receiver answered {status}")
    } else {
        format!("the receiver answered {status}: {answer}")
    };
    Err(match asked {
        Some(wait) => Failure::Throttled { reason, wait },
        None if worth_retrying(status) => Failure::RetryLater(reason),
        None => Failure::Refused(reason),
    })
}

/// Whether an unsuccessful status may succeed later: timeouts, rate
/// limits and server errors; every other one says the request is wrong.
fn worth_retrying(status: StatusCode) -> bool {
    status.is_server_error()
        || status.is_informational()
        || matches!(status.as_u16(), 408 | 425 | 429)
}

/// Sorts a request that got no answer, without its address.
fn failure_of(error: &reqwest::Error) -> Failure {
    let connect = error.is_connect();
    let timeout = error.is_timeout();
    let reason = crate::error_chain(&error_without_url(error));
    if connect && !timeout {
        Failure::Unreachable(reason)
    } else {
        Failure::RetryLater(reason)
    }
}

/// The error's words without the address it names (its token).
fn error_without_url(error: &reqwest::Error) -> impl std::error::Error + '_ {
    struct Bare<'a>(&'a reqwest::Error);
    impl std::fmt::Debug for Bare<'_> {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            std::fmt::Display::fmt(self, f)
        }
    }
    impl std::fmt::Display for Bare<'_> {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            let text = self.0.to_string();
            // reqwest appends " for url (…)" to its own message.
            f.write_str(text.split(" for url (").next().unwrap_or(&text))
        }
    }
    impl std::error::Error for Bare<'_> {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            std::error::Error::source(self.0)
        }
    }
    Bare(error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_the_rfc_4231_hmac() {
        // RFC 4231, test case 2.
        assert_eq!(
            signature(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn only_passing_troubles_are_retried() {
        for code in [408, 425, 429, 500, 502, 503] {
            assert!(
                worth_retrying(StatusCode::from_u16(code).expect("code")),
                "{code}"
            );
        }
        for code in [301, 400, 401, 403, 404, 410, 413, 422] {
            assert!(
                !worth_retrying(StatusCode::from_u16(code).expect("code")),
                "{code}"
            );
        }
    }
}
