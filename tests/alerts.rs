//! Alerts through the whole product: a watchlist with an `[email]` table,
//! `redline check` against a news site and an SMTP server, both on loopback.

#![allow(clippy::unwrap_used)]

mod email_support;
mod support;

use std::time::Duration;

use email_support::{Mode, Options, SmtpServer};
use support::{SEED_V1, SEED_V2, Setup, Site, redline, watch};

/// The `[email]` table for `server`, trusting its certificate.
fn email_table(server: &SmtpServer, dir: &std::path::Path) -> String {
    let settings = email_support::settings_for(server, dir, "");
    let ca = dir.join("smtp-ca.pem");
    assert!(
        ca.exists(),
        "the STARTTLS server's certificate is written for the client"
    );
    format!(
        "[email]\nserver = \"{}:{}\"\nsecurity = \"starttls\"\nfrom = \"redline <alerts@redline.test>\"\nto = [\"desk@news.test\"]\nca_file = {:?}\n\n",
        settings.host,
        settings.port,
        ca.display().to_string()
    )
}

async fn check(setup: &Setup) -> std::process::Output {
    let mut command = redline(setup.dir.path());
    command.arg("check");
    tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_change_seen_by_check_arrives_by_email_once() {
    let site = Site::start(SEED_V1).await;
    let server = SmtpServer::start(Options::new(Mode::StartTls));
    let scratch = tempfile::tempdir().unwrap();
    let table = email_table(&server, scratch.path());
    let setup = Setup::new(&format!(
        "{table}{}",
        watch("binance", &site.url(), "notify = [\"log\", \"email\"]")
    ));

    let baseline = check(&setup).await;
    assert!(
        baseline.status.success(),
        "{}",
        String::from_utf8_lossy(&baseline.stderr)
    );
    assert!(server.received().is_empty(), "a baseline sends no mail");

    site.serve(SEED_V2);
    let changed = check(&setup).await;
    assert!(
        changed.status.success(),
        "{}",
        String::from_utf8_lossy(&changed.stderr)
    );
    let received = server.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(received.len(), 1);
    let message = email_support::parse(&received[0]);
    let subject = message.subject().unwrap_or_default();
    assert!(
        subject.starts_with("Updated: Binance Regional Head Agreed"),
        "{subject}"
    );
    let text = message.body_text(0).unwrap_or_default();
    assert!(
        text.contains("President") && text.contains("Updates in bold"),
        "{text}"
    );
    let html = message.body_html(0).unwrap_or_default();
    assert!(html.contains("A Binance spokesperson told"), "{html}");

    // Nothing more to send: the next check is a 304 and the outbox is empty.
    let again = check(&setup).await;
    assert!(again.status.success());
    assert_eq!(server.received().len(), 1, "delivered exactly once");
}

#[tokio::test]
async fn an_unreachable_smtp_server_keeps_the_alert_and_check_says_so() {
    let site = Site::start(SEED_V1).await;
    let port = email_support::free_port();
    let table = format!(
        "[email]\nserver = \"127.0.0.1:{port}\"\nsecurity = \"none\"\nfrom = \"alerts@redline.test\"\nto = [\"desk@news.test\"]\ntimeout = \"2s\"\n\n"
    );
    let setup = Setup::new(&format!(
        "{table}{}",
        watch("binance", &site.url(), "notify = [\"email\"]")
    ));
    assert!(check(&setup).await.status.success());
    site.serve(SEED_V2);

    let failed = check(&setup).await;
    assert_eq!(
        failed.status.code(),
        Some(1),
        "undelivered mail is a failure of the run"
    );
    let outbox = setup.store_dir().join(".outbox/email/mail");
    let queued: Vec<_> = std::fs::read_dir(&outbox)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.path().is_file())
        .collect();
    assert_eq!(queued.len(), 1, "the alert waits in the outbox");

    // The server comes up where the watchlist points: the next run delivers it.
    let mut options = Options::new(Mode::Plain);
    options.port = Some(port);
    let server = SmtpServer::start(options);
    // Each one-pass run retries what is in the outbox; the server may take
    // a moment to accept connections.
    for _ in 0..20 {
        if !server.received().is_empty() {
            break;
        }
        check(&setup).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert_eq!(server.received().len(), 1);
}

#[tokio::test]
async fn a_failure_streak_sends_one_failing_and_one_recovered_email() {
    let site = Site::start(SEED_V1).await;
    let server = SmtpServer::start(Options::new(Mode::StartTls));
    let scratch = tempfile::tempdir().unwrap();
    let table = email_table(&server, scratch.path());
    let setup = Setup::new(&format!(
        "{table}{}",
        watch("binance", &site.url(), "notify = [\"email\"]")
    ));
    assert!(check(&setup).await.status.success());

    // failure_alert_after = 2 in the test settings; each check tries twice.
    for _ in 0..4 {
        site.fail_next([support::Fault::Status(503), support::Fault::Status(503)]);
        assert_eq!(check(&setup).await.status.code(), Some(1));
    }
    assert!(check(&setup).await.status.success(), "the site works again");
    assert!(check(&setup).await.status.success());

    let received = server.wait_for(2, Duration::from_secs(10)).await;
    let subjects: Vec<String> = received
        .iter()
        .map(|r| {
            email_support::parse(r)
                .subject()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    assert_eq!(subjects.len(), 2, "{subjects:?}");
    assert!(
        subjects[0].starts_with("Failing:") && subjects[0].contains("2 checks in a row"),
        "{subjects:?}"
    );
    assert!(
        subjects[1].starts_with("Recovered:") && subjects[1].contains("after 4 failures"),
        "{subjects:?}"
    );
}
