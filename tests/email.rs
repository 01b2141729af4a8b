//! The email channel end to end against a real SMTP server on 127.0.0.1:
//! the seed alert's message (both parts, subject, recipients, threading)
//! over STARTTLS and implicit TLS with login, delivery exactly once through
//! server outages and restarts, permanent refusals kept, digests, and a
//! hostile page that must yield nothing executable and no injected header.

mod email_support;

use std::time::Duration;

use email_support::{
    Mode, Options, SmtpServer, mailer, parse, quick, seed_alert, seed_alert_version, settings_for,
};
use redline::notify::email::{DigestChoice, WatchEmail};
use redline::notify::outbox::Put;
use redline::notify::{Alert, Event};
use redline::report::{Change, Report};
use tokio_util::sync::CancellationToken;

const WAIT: Duration = Duration::from_secs(10);

/// Checks everything a reader of the seed alert must see, in both parts.
fn assert_seed_message(received: &email_support::Received) -> String {
    assert_eq!(received.from, "alerts@redline.test");
    assert_eq!(received.to, ["desk@news.test"]);
    let message = parse(received);
    let subject = message.subject().expect("subject");
    assert_eq!(
        subject,
        "Updated: Binance Regional Head Agreed to Hand Client Data to Russia After Meeting – Reuters (+7 paragraphs, 3 edits, 1 update note)"
    );
    assert!(
        message
            .header_raw("Content-Type")
            .expect("content type")
            .contains("multipart/alternative")
    );
    assert_eq!(
        message
            .to()
            .and_then(|a| a.first())
            .and_then(|a| a.address()),
        Some("desk@news.test")
    );
    assert_eq!(
        message.header_raw("Auto-Submitted").map(str::trim),
        Some("auto-generated")
    );
    let text = message.body_text(0).expect("text part");
    let html = message.body_html(0).expect("html part");
    assert!(
        text.lines()
            .all(|l| l.chars().count() <= 76 || !l.trim().contains(' ')),
        "the text part is wrapped:\n{text}"
    );
    // Lines are wrapped: compare with the white space folded.
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    // The April 25 change: the word edit, the removed sentence, the six new
    // bold paragraphs, the edited sentence, the late paragraph, the note.
    for needle in [
        "[-president-]{+President+}",
        "[-Cryptonews.com has reached out to Binance for a comment.-]",
        "¶7–12 added: + *A Binance spokesperson told that any government",
        "[-Still-]{+Meanwhile+}, the exchange [-admitted-]{+previously stated+} that it was",
        "+ *Per the Saturday blog post",
        "New update note (April 25, 8:30 UTC): + The article has been updated on April 25",
        "https://cryptonews.com/news/binance-regional-head-agreed-hand-client-data-russia-after-meeting-report.htm",
    ] {
        assert!(text.contains(needle), "text part lacks {needle:?}:\n{text}");
    }
    for needle in [
        ">president</del>",
        ">President</ins>",
        "<strong>A Binance spokesperson told that any government",
        ">Meanwhile</ins>",
        ">previously stated</ins>",
        "Paragraphs 7–12 added · bold on the page",
        "Updates in bold.",
        "href=\"https://cryptonews.com/news/binance-regional-head-agreed-hand-client-data-russia-after-meeting-report.htm\"",
    ] {
        assert!(html.contains(needle), "html part lacks {needle:?}");
    }
    // The note comes before the changes, in both parts.
    assert!(text.find("update note (").expect("note") < text.find("¶5 edited").expect("edit"));
    assert!(
        html.find("Update note").expect("note") < html.find("Paragraph 5 edited").expect("edit")
    );
    message.message_id().expect("message id").to_owned()
}

#[tokio::test]
async fn seed_alert_over_starttls_with_login() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut options = Options::new(Mode::StartTls);
    options.login = Some(("alerts".into(), "correct horse".into()));
    let server = SmtpServer::start(options);
    std::fs::write(dir.path().join("password"), "correct horse\n").expect("write password");
    let extra = format!(
        "username = \"alerts\"\npassword_file = {:?}\n",
        dir.path().join("password").display().to_string()
    );
    let mailer = mailer(
        settings_for(&server, dir.path(), &extra),
        dir.path(),
        quick(),
    );
    assert_eq!(
        mailer
            .enqueue(&seed_alert(), &WatchEmail::default())
            .expect("enqueue"),
        Put::Queued
    );
    let done = mailer.flush().await.expect("flush");
    assert_eq!((done.sent, done.deferred, done.rejected), (1, 0, 0));
    let received = server.received();
    assert_eq!(received.len(), 1);
    let id = assert_seed_message(&received[0]);
    assert!(
        id.starts_with("redline.binance-russia-data.v2.") && id.ends_with("@redline.test"),
        "{id}"
    );
}

#[tokio::test]
async fn seed_alert_over_implicit_tls_with_login_and_threading() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut options = Options::new(Mode::ImplicitTls);
    // The password comes from the environment. Setting a variable is unsafe
    // (and the crate forbids unsafe code), so the test borrows one that
    // cargo sets for every test process: CARGO_PKG_NAME=redline.
    options.login = Some(("alerts".into(), env!("CARGO_PKG_NAME").into()));
    let server = SmtpServer::start(options);
    let extra = "username = \"alerts\"\npassword_env = \"CARGO_PKG_NAME\"\n";
    let mailer = mailer(
        settings_for(&server, dir.path(), extra),
        dir.path(),
        quick(),
    );
    mailer
        .enqueue(&seed_alert(), &WatchEmail::default())
        .expect("enqueue");
    mailer.flush().await.expect("flush");
    mailer
        .enqueue(&seed_alert_version(3), &WatchEmail::default())
        .expect("enqueue");
    let failing = Alert {
        id: "binance-russia-data/failing/1".into(),
        event: Event::Failing {
            reason: "fetch: connection reset".into(),
            failures: 3,
            since: seed_alert().time,
        },
        ..seed_alert()
    };
    let recovered = Alert {
        id: "binance-russia-data/recovered/1".into(),
        event: Event::Recovered {
            failures: 4,
            since: seed_alert().time,
        },
        ..seed_alert()
    };
    for alert in [&failing, &recovered] {
        mailer
            .enqueue(alert, &WatchEmail::default())
            .expect("enqueue");
    }
    mailer.flush().await.expect("flush");
    let received = server.wait_for(4, WAIT).await;
    assert_eq!(received.len(), 4);
    let root = assert_seed_message(&received[0]);
    assert!(
        parse(&received[0]).in_reply_to().as_text().is_none(),
        "the first alert starts the thread"
    );
    for later in &received[1..] {
        let message = parse(later);
        assert_eq!(message.in_reply_to().as_text(), Some(root.as_str()));
        assert_eq!(message.references().as_text(), Some(root.as_str()));
    }
    let subjects: Vec<String> = received
        .iter()
        .map(|r| parse(r).subject().unwrap_or_default().to_owned())
        .collect();
    let failing = "Failing: binance-russia-data (3 checks in a row failed)";
    let recovered = "Recovered: binance-russia-data (checks work again after 4 failures)";
    assert!(subjects.iter().any(|s| s == failing), "{subjects:?}");
    assert!(subjects.iter().any(|s| s == recovered), "{subjects:?}");
    let failing = received
        .iter()
        .find(|r| parse(r).subject() == Some(failing))
        .expect("failing alert");
    let message = parse(failing);
    let text = message.body_text(0).expect("text");
    assert!(text.contains("fetch: connection reset") && text.contains("The last 3 checks"));
    let html = message.body_html(0).expect("html");
    assert!(html.contains("fetch: connection reset") && html.contains("Checks failing"));
}

#[tokio::test]
async fn server_down_during_a_change_then_up_delivers_exactly_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let port = email_support::free_port();
    // The mailer points at a port where nothing listens yet.
    let mut options = Options::new(Mode::Plain);
    options.port = Some(port);
    let probe = SmtpServer::start(options.clone());
    let settings = settings_for(&probe, dir.path(), "");
    drop(probe);
    let mailer = std::sync::Arc::new(mailer(settings, dir.path(), quick()));
    let shutdown = CancellationToken::new();
    let daemon = tokio::spawn({
        let (m, s) = (mailer.clone(), shutdown.clone());
        async move { m.run(s).await }
    });
    mailer
        .enqueue(&seed_alert(), &WatchEmail::default())
        .expect("enqueue");
    // Let several attempts fail against the closed port.
    let mut tries = 0;
    while mailer
        .pending()
        .expect("pending")
        .first()
        .is_none_or(|e| e.attempts < 2)
        && tries < 200
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
        tries += 1;
    }
    let pending = mailer.pending().expect("pending");
    assert_eq!(pending.len(), 1);
    assert!(pending[0].attempts >= 2, "{pending:?}");
    assert!(
        pending[0]
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("onnect")),
        "{pending:?}"
    );
    let server = SmtpServer::start(options);
    assert_eq!(server.wait_for(1, WAIT).await.len(), 1);
    // More passes of the loop must not send it again.
    tokio::time::sleep(Duration::from_millis(800)).await;
    shutdown.cancel();
    daemon.await.expect("daemon stops");
    assert_eq!(server.received().len(), 1);
    assert!(mailer.pending().expect("pending").is_empty());
    assert_seed_message(&server.received()[0]);
}

#[tokio::test]
async fn killed_before_delivery_then_restarted_delivers_exactly_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = SmtpServer::start(Options::new(Mode::StartTls));
    let settings = settings_for(&server, dir.path(), "");
    {
        let first = mailer(settings.clone(), dir.path(), quick());
        first
            .enqueue(&seed_alert(), &WatchEmail::default())
            .expect("enqueue");
        // The process dies here: the alert exists only in the outbox.
    }
    assert!(server.received().is_empty());
    let second = mailer(settings.clone(), dir.path(), quick());
    assert_eq!(second.flush().await.expect("flush").sent, 1);
    assert_eq!(second.flush().await.expect("flush").sent, 0);
    // The pipeline re-emitting the same alert after the restart is a no-op.
    assert_eq!(
        second
            .enqueue(&seed_alert(), &WatchEmail::default())
            .expect("enqueue"),
        Put::AlreadySent
    );
    let third = mailer(settings, dir.path(), quick());
    assert_eq!(third.flush().await.expect("flush").sent, 0);
    assert_eq!(server.received().len(), 1);
    assert_seed_message(&server.received()[0]);
}

#[tokio::test]
async fn a_refused_recipient_is_kept_not_retried() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut options = Options::new(Mode::Plain);
    options.refuse = Some("gone@news.test".into());
    let server = SmtpServer::start(options);
    let mailer = mailer(settings_for(&server, dir.path(), ""), dir.path(), quick());
    let watch = WatchEmail {
        to: Some(vec!["gone@news.test".parse().expect("address")]),
        ..WatchEmail::default()
    };
    mailer.enqueue(&seed_alert(), &watch).expect("enqueue");
    let done = mailer.flush().await.expect("flush");
    assert_eq!((done.sent, done.rejected), (0, 1));
    let rejected = mailer.rejected().expect("rejected");
    assert_eq!(rejected.len(), 1);
    assert!(
        rejected[0]
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("550")),
        "{rejected:?}"
    );
    assert!(mailer.pending().expect("pending").is_empty());
    assert_eq!(mailer.flush().await.expect("flush").sent, 0);
    assert!(server.received().is_empty());
}

#[tokio::test]
async fn three_changes_in_a_digest_window_make_one_message() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = SmtpServer::start(Options::new(Mode::Plain));
    let mailer = mailer(
        settings_for(&server, dir.path(), "digest = \"0 18 * * *\"\n"),
        dir.path(),
        quick(),
    );
    for version in [2, 3, 4] {
        mailer
            .enqueue(&seed_alert_version(version), &WatchEmail::default())
            .expect("enqueue");
    }
    // Digests are not sent by flush, and nothing is due before 18:00.
    assert_eq!(mailer.flush().await.expect("flush").sent, 0);
    let tomorrow = chrono::Utc::now() + chrono::Duration::days(1);
    mailer.gather_digests(tomorrow).expect("gather");
    assert_eq!(
        mailer
            .deliver_due(tomorrow, None)
            .await
            .expect("deliver")
            .sent,
        1
    );
    let received = server.received();
    assert_eq!(received.len(), 1);
    let message = parse(&received[0]);
    assert_eq!(
        message.subject(),
        Some(
            "Digest: Binance Regional Head Agreed to Hand Client Data to Russia After Meeting – Reuters (3 alerts)"
        )
    );
    let text = message.body_text(0).expect("text");
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let html = message.body_html(0).expect("html");
    for v in [
        "version 1 → version 2,",
        "version 2 → version 3,",
        "version 3 → version 4,",
    ] {
        assert!(text.contains(v), "{v}");
    }
    for v in ["Version 1 → 2", "Version 2 → 3", "Version 3 → 4"] {
        assert!(html.contains(v), "{v}");
    }
    // An alert already gathered into a digest is not queued again.
    let again = mailer.enqueue(&seed_alert_version(3), &WatchEmail::default());
    assert_eq!(again.expect("enqueue"), Put::AlreadySent);
    // A watch that opts out of the digest is mailed at once.
    let watch = WatchEmail {
        digest: DigestChoice::Off,
        ..WatchEmail::default()
    };
    mailer
        .enqueue(&seed_alert_version(5), &watch)
        .expect("enqueue");
    assert_eq!(mailer.flush().await.expect("flush").sent, 1);
}

#[tokio::test]
async fn a_hostile_page_yields_nothing_executable_and_no_injected_header() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = SmtpServer::start(Options::new(Mode::Plain));
    let mailer = mailer(settings_for(&server, dir.path(), ""), dir.path(), quick());
    let evil = "<script>alert(1)</script><img src=x onerror=\"alert(2)\"><a href=\"javascript:alert(3)\">x</a>";
    let block = redline::article::Block::new(redline::article::BlockKind::Paragraph, evil);
    let alert = Alert {
        id: "hostile/v2".into(),
        watch: redline::watchlist::WatchName::parse("hostile").expect("name"),
        url: "javascript:alert(4)".into(),
        time: chrono::Utc::now(),
        event: Event::Changed {
            headline: Some(
                "Breaking\r\nBcc: victim@evil.test\r\nX-Injected: yes\n\n<script>alert(5)</script>"
                    .into(),
            ),
            from_version: 1,
            to_version: 2,
            report: Report {
                changes: vec![
                    Change::Added {
                        new_index: 0,
                        blocks: vec![block.clone()],
                    },
                    Change::Removed {
                        old_index: 1,
                        blocks: vec![block],
                    },
                ],
                ..Report::default()
            },
            reverted: false,
        },
    };
    mailer
        .enqueue(&alert, &WatchEmail::default())
        .expect("enqueue");
    assert_eq!(mailer.flush().await.expect("flush").sent, 1);
    let received = server.received();
    assert_eq!(
        received[0].to,
        ["desk@news.test"],
        "no recipient was injected"
    );
    let message = parse(&received[0]);
    assert!(message.bcc().is_none());
    assert!(message.header("X-Injected").is_none());
    let subject = message.subject().expect("subject");
    assert!(
        subject.starts_with("Updated: Breaking Bcc: victim@evil.test X-Injected: yes <script>"),
        "{subject}"
    );
    let html = message.body_html(0).expect("html").to_lowercase();
    for banned in [
        "<script",
        "<img",
        "onerror=\"",
        "javascript:alert(3)\"",
        "href=\"javascript",
    ] {
        assert!(!html.contains(banned), "html contains {banned}");
    }
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    let raw = String::from_utf8_lossy(&received[0].data);
    let header_end = raw.find("\r\n\r\n").expect("header end");
    assert!(
        !raw[..header_end]
            .lines()
            .any(|l| l.starts_with("Bcc:") || l.starts_with("X-Injected:"))
    );
}
