//! Building the lettre [`Message`] for an outbox item: recipients, subject,
//! Message-ID and the threading headers, and the multipart/alternative body
//! (plain text first, HTML second, as RFC 2046 orders them).
//!
//! Pure apart from nothing: the message is a function of the stored item
//! and the sender, so a retried delivery sends the same bytes with the same
//! Message-ID. This module must not send anything.

use std::time::SystemTime;

use lettre::Message;
use lettre::message::header::{Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use serde::{Deserialize, Serialize};

use crate::notify::Alert;

use super::{html, summary, text};

/// What the outbox keeps for one email: everything needed to build the
/// message again on any later attempt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Mail {
    /// One alert, one message.
    Alert {
        /// The alert (boxed: it is far larger than a digest's list).
        alert: Box<Alert>,
        /// To recipients, as written in the watchlist.
        to: Vec<String>,
        /// Cc recipients.
        #[serde(default)]
        cc: Vec<String>,
        /// The Message-ID of the article's first alert, when this is not it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        thread: Option<String>,
    },
    /// Several alerts gathered on a digest schedule.
    Digest {
        /// The alerts, oldest first.
        alerts: Vec<Alert>,
        /// To recipients.
        to: Vec<String>,
        /// Cc recipients.
        #[serde(default)]
        cc: Vec<String>,
    },
}

/// Why a stored item could not become a message.
#[derive(Debug, thiserror::Error)]
pub enum MessageError {
    /// A stored address does not parse (the watchlist validated it, so the
    /// outbox file was edited or damaged).
    #[error("stored address `{address}` is not valid: {reason}")]
    Address {
        /// The address.
        address: String,
        /// The parser's complaint.
        reason: String,
    },
    /// lettre refused the message.
    #[error("cannot build the message: {0}")]
    Build(#[from] lettre::error::Error),
}

/// `Auto-Submitted: auto-generated` (RFC 3834): tells vacation responders
/// and mailing lists that no person wrote this message.
#[derive(Debug, Clone)]
struct AutoSubmitted;

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }
    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(AutoSubmitted)
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "auto-generated".to_owned())
    }
}

/// `X-Redline-Watch: <name>`: lets mail filters sort alerts by watch.
#[derive(Debug, Clone)]
struct RedlineWatch(String);

impl Header for RedlineWatch {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("X-Redline-Watch")
    }
    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(RedlineWatch(s.to_owned()))
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// The Message-ID of the message for outbox item `id`, sent from `from`:
/// stable, so that a retry carries the same id and a client can drop a
/// copy it already has.
pub fn message_id(id: &str, from: &Mailbox) -> String {
    let readable: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '.'
            }
        })
        .take(80)
        .collect();
    let hash = blake3::hash(id.as_bytes()).to_hex();
    format!(
        "<redline.{readable}.{}@{}>",
        &hash[..12],
        from.email.domain()
    )
}

fn mailboxes(list: &[String]) -> Result<Vec<Mailbox>, MessageError> {
    list.iter()
        .map(|a| {
            a.parse()
                .map_err(|e: lettre::address::AddressError| MessageError::Address {
                    address: a.clone(),
                    reason: e.to_string(),
                })
        })
        .collect()
}

/// Builds the message for outbox item `id`.
///
/// # Errors
///
/// [`MessageError`] when a stored address is invalid or lettre refuses the
/// message (no recipient).
pub fn build(id: &str, mail: &Mail, from: &Mailbox) -> Result<Message, MessageError> {
    let (to, cc, subject, text, html, date) = match mail {
        Mail::Alert { alert, to, cc, .. } => (
            to,
            cc,
            summary::subject(alert),
            text::alert(alert),
            html::alert(alert),
            alert.time,
        ),
        Mail::Digest { alerts, to, cc } => {
            let subject = summary::digest_subject(alerts);
            let date = alerts.iter().map(|a| a.time).max().unwrap_or_default();
            (
                to,
                cc,
                subject.clone(),
                text::digest(&subject, alerts),
                html::digest(&subject, alerts),
                date,
            )
        }
    };
    let mut builder = Message::builder()
        .from(from.clone())
        // Page text reaches the subject: one line, whatever the page held.
        .subject(summary::one_line(&subject))
        .message_id(Some(message_id(id, from)))
        .date(SystemTime::from(date))
        .header(AutoSubmitted);
    for m in mailboxes(to)? {
        builder = builder.to(m);
    }
    for m in mailboxes(cc)? {
        builder = builder.cc(m);
    }
    if let Mail::Alert { alert, thread, .. } = mail {
        builder = builder.header(RedlineWatch(alert.watch.to_string()));
        if let Some(root) = thread {
            builder = builder.in_reply_to(root.clone()).references(root.clone());
        }
    }
    Ok(builder.multipart(MultiPart::alternative_plain_html(text, html))?)
}
