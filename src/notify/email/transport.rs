//! The SMTP connection: building lettre's transport from the settings
//! (implicit TLS, STARTTLS or plain; login; extra trusted certificate),
//! sorting delivery failures into "retry later" and "refused for good", and
//! `redline test-email`, which walks the stages one by one (DNS, connect,
//! TLS, login, recipients) so that its error says which one failed.
//!
//! TLS is rustls with the aws-lc-rs provider, the only one compiled in.
//! This module must not decide what to send or when: it connects and sends.

use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::EmailError;
use super::summary::one_line;
use crate::report::render::escape;
use crate::watchlist::email::{EmailSettings, PasswordSource, Security};

/// The transport the mailer sends with.
pub type Smtp = AsyncSmtpTransport<Tokio1Executor>;

/// Reads the SMTP password from where the settings say.
///
/// # Errors
///
/// [`EmailError::Password`] when the variable is unset or empty, or the
/// file cannot be read or is empty.
pub fn read_password(source: &PasswordSource) -> Result<String, EmailError> {
    let (password, from) = match source {
        PasswordSource::Env(name) => (
            std::env::var(name).ok(),
            format!("environment variable {name}"),
        ),
        PasswordSource::File(path) => (
            std::fs::read_to_string(path)
                .ok()
                .map(|p| p.trim_end_matches(['\r', '\n']).to_owned()),
            format!("file {}", path.display()),
        ),
    };
    match password {
        Some(p) if !p.is_empty() => Ok(p),
        _ => Err(EmailError::Password(from)),
    }
}

/// Builds the transport: reads the password and the extra certificate now,
/// so that a missing secret is reported at start, not at the first alert.
///
/// # Errors
///
/// [`EmailError::Password`], [`EmailError::CaFile`] or [`EmailError::Tls`].
pub fn build(settings: &EmailSettings) -> Result<Smtp, EmailError> {
    let mut builder =
        AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(settings.host.as_str())
            .port(settings.port)
            .timeout(Some(settings.timeout));
    if settings.security != Security::None {
        let mut params = TlsParameters::builder(settings.host.clone());
        if let Some(path) = &settings.ca_file {
            let pem = std::fs::read(path).map_err(|e| EmailError::CaFile {
                path: path.clone(),
                reason: e.to_string(),
            })?;
            let cert = Certificate::from_pem(&pem).map_err(|e| EmailError::CaFile {
                path: path.clone(),
                reason: e.to_string(),
            })?;
            params = params.add_root_certificate(cert);
        }
        let params = params
            .build_rustls()
            .map_err(|e| EmailError::Tls(reason(&e)))?;
        builder = builder.tls(match settings.security {
            Security::Tls => Tls::Wrapper(params),
            _ => Tls::Required(params),
        });
    }
    if let Some(auth) = &settings.auth {
        let password = read_password(&auth.password)?;
        builder = builder
            .credentials(Credentials::new(auth.username.clone(), password))
            .authentication(vec![Mechanism::Plain, Mechanism::Login]);
    }
    Ok(builder.build())
}

/// What a failed delivery means for the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Worth retrying: the server is down, busy, unreachable, or refuses
    /// our login (a setting to fix, not a fault of the message).
    Transient(String),
    /// The server refused this message or its recipients for good.
    Permanent(String),
}

/// Sorts an SMTP error. Login refusals (530, 534, 535, 538, 454) are
/// transient: every message would fail alike until the operator fixes the
/// password, and no alert may be lost over it.
pub fn classify(error: &lettre::transport::smtp::Error) -> Failure {
    let text = reason(error);
    match error.status().map(|c| c.to_string()) {
        Some(code) if ["530", "534", "535", "538", "454"].contains(&code.as_str()) => {
            Failure::Transient(text)
        }
        Some(code) if code.starts_with('5') => Failure::Permanent(text),
        _ => Failure::Transient(text),
    }
}

/// An SMTP error and its causes on one line, for the outbox and the log:
/// [`crate::error_chain`], with the pieces that lettre's layers repeat
/// ("connection error: Connection error: …") said once, and no line break
/// a server's reply could carry.
pub fn reason(error: &dyn std::error::Error) -> String {
    let text = crate::error_chain(error);
    let mut pieces: Vec<&str> = Vec::new();
    for piece in text.split(": ") {
        if pieces
            .last()
            .is_none_or(|last| !last.eq_ignore_ascii_case(piece))
        {
            pieces.push(piece);
        }
    }
    one_line(&pieces.join(": "))
}

/// Which stage of `redline test-email` failed, and why.
#[derive(Debug, thiserror::Error)]
pub enum TestEmailError {
    /// The mailer could not be set up (password, certificate).
    #[error(transparent)]
    Setup(#[from] EmailError),
    /// The server's name does not resolve.
    #[error("dns: cannot resolve smtp server `{host}`: {reason}; check `server` in [email]")]
    Dns {
        /// The host name.
        host: String,
        /// The resolver's answer.
        reason: String,
    },
    /// No TCP connection could be made.
    #[error("connect: cannot reach {server}: {reason}; check the host, the port and any firewall")]
    Connect {
        /// `host:port`.
        server: String,
        /// Why.
        reason: String,
    },
    /// The TLS handshake (or STARTTLS) failed.
    #[error(
        "tls: secure connection to {server} failed: {reason}; check `security` (tls for port 465, starttls for 587) and the server's certificate"
    )]
    Tls {
        /// `host:port`.
        server: String,
        /// Why.
        reason: String,
    },
    /// The server refused the login.
    #[error(
        "auth: {server} refused the login of `{username}`: {reason}; check username and the password source"
    )]
    Auth {
        /// `host:port`.
        server: String,
        /// The login name.
        username: String,
        /// The server's answer.
        reason: String,
    },
    /// The server refused the sender or a recipient.
    #[error(
        "rejected: {server} refused the message to {recipients}: {reason}; check `from` and the addresses"
    )]
    Rejected {
        /// `host:port`.
        server: String,
        /// The recipients tried.
        recipients: String,
        /// The server's answer.
        reason: String,
    },
    /// Anything else during the SMTP exchange.
    #[error("smtp: {server}: {reason}")]
    Smtp {
        /// `host:port`.
        server: String,
        /// Why.
        reason: String,
    },
}

/// Sends a test message to `to` (or the default recipients) and reports the
/// first stage that failed. Returns the server's final answer.
///
/// # Errors
///
/// A [`TestEmailError`] naming the failed stage.
pub async fn send_test(
    settings: &EmailSettings,
    to: Option<Vec<Mailbox>>,
) -> Result<String, TestEmailError> {
    let server = format!("{}:{}", settings.host, settings.port);
    let smtp = build(settings)?;
    reach(settings, &server).await?;
    // lettre's connection test runs the greeting, EHLO, TLS and login.
    if let Err(e) = smtp.test_connection().await {
        return Err(stage_error(&e, settings, &server));
    }
    let recipients = to.unwrap_or_else(|| settings.to.clone());
    let listed = recipients
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let message = test_message(settings, &recipients).map_err(|e| TestEmailError::Smtp {
        server: server.clone(),
        reason: reason(&e),
    })?;
    match smtp.send(message).await {
        Ok(response) => Ok(one_line(&response.message().collect::<Vec<_>>().join(" "))),
        Err(e) if e.is_permanent() && !matches!(classify(&e), Failure::Transient(_)) => {
            Err(TestEmailError::Rejected {
                server,
                recipients: listed,
                reason: reason(&e),
            })
        }
        Err(e) => Err(stage_error(&e, settings, &server)),
    }
}

/// The first two stages: the name resolves and a TCP connection opens.
async fn reach(settings: &EmailSettings, server: &str) -> Result<(), TestEmailError> {
    let addrs = tokio::net::lookup_host((settings.host.as_str(), settings.port))
        .await
        .map_err(|e| TestEmailError::Dns {
            host: settings.host.clone(),
            reason: e.to_string(),
        })?
        .collect::<Vec<_>>();
    let mut connected = Err(format!("{} resolved to no address", settings.host));
    for addr in &addrs {
        match tokio::time::timeout(settings.timeout, tokio::net::TcpStream::connect(addr)).await {
            Ok(Ok(_)) => return Ok(()),
            // The address is the server as written: saying it twice helps no one.
            Ok(Err(e)) if addrs.len() == 1 && addr.ip().to_string() == settings.host => {
                connected = Err(e.to_string())
            }
            Ok(Err(e)) => connected = Err(format!("{addr}: {e}")),
            Err(_) => {
                let limit = humantime::format_duration(settings.timeout);
                connected = Err(format!("{addr}: no answer within {limit}"));
            }
        }
    }
    connected.map_err(|reason| TestEmailError::Connect {
        server: server.to_owned(),
        reason,
    })
}

fn stage_error(
    e: &lettre::transport::smtp::Error,
    settings: &EmailSettings,
    server: &str,
) -> TestEmailError {
    let reason = reason(e);
    let code = e.status().map(|c| c.to_string()).unwrap_or_default();
    let server = server.to_owned();
    let tls_words = [
        "tls",
        "certificate",
        "handshake",
        "starttls",
        "corrupt message",
        "peer",
    ];
    if ["530", "534", "535", "538"].contains(&code.as_str()) {
        let username = settings
            .auth
            .as_ref()
            .map_or_else(|| "(no username set)".to_owned(), |a| a.username.clone());
        TestEmailError::Auth {
            server,
            username,
            reason,
        }
    } else if e.is_tls() || tls_words.iter().any(|w| reason.to_lowercase().contains(w)) {
        TestEmailError::Tls { server, reason }
    } else {
        TestEmailError::Smtp { server, reason }
    }
}

fn test_message(settings: &EmailSettings, to: &[Mailbox]) -> Result<Message, lettre::error::Error> {
    let mut builder = Message::builder()
        .from(settings.from.clone())
        .subject("redline test message");
    for m in to {
        builder = builder.to(m.clone());
    }
    let text = format!(
        "This is a test message from redline.\n\nIf you can read it, change alerts sent through {}:{} will reach you.\n",
        settings.host, settings.port
    );
    let html = format!(
        "<p style=\"font-family:sans-serif\">This is a test message from redline.</p>\
         <p style=\"font-family:sans-serif\">If you can read it, change alerts sent through <b>{}</b> will reach you.</p>",
        escape(&format!("{}:{}", settings.host, settings.port))
    );
    builder.multipart(lettre::message::MultiPart::alternative_plain_html(
        text, html,
    ))
}

pub use crate::notify::delivery::backoff;

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// An error with a message and an optional cause, as lettre's layers are.
    #[derive(Debug)]
    struct Layer(&'static str, Option<Box<Layer>>);

    impl std::fmt::Display for Layer {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }

    impl std::error::Error for Layer {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            self.1.as_deref().map(|e| e as _)
        }
    }

    #[test]
    fn reason_says_each_layer_once_on_one_line() {
        let cases = [
            (Layer("connection error", None), "connection error"),
            (
                Layer(
                    "connection error",
                    Some(Box::new(Layer(
                        "Connection Error",
                        Some(Box::new(Layer("refused\r\nBcc: x", None))),
                    ))),
                ),
                "connection error: refused Bcc: x",
            ),
        ];
        for (error, want) in cases {
            assert_eq!(reason(&error), want);
        }
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let (first, max) = (Duration::from_secs(30), Duration::from_secs(3600));
        for (attempt, low) in [(1, 30), (2, 60), (3, 120), (8, 3600), (40, 3600)] {
            let d = backoff(attempt, first, max);
            assert!(
                d >= Duration::from_secs(low) && d <= Duration::from_secs(low).mul_f64(1.1),
                "{attempt}: {d:?}"
            );
        }
    }

    #[test]
    fn passwords_come_from_env_or_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("pw");
        std::fs::write(&file, "s3cret\n").expect("write");
        assert_eq!(
            read_password(&PasswordSource::File(file)).expect("read"),
            "s3cret"
        );
        let missing = read_password(&PasswordSource::Env("REDLINE_TEST_SURELY_UNSET_VAR".into()));
        assert!(
            matches!(missing, Err(EmailError::Password(ref from)) if from.contains("REDLINE_TEST_SURELY_UNSET_VAR"))
        );
    }
}
