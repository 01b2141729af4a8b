//! `redline test-email` (`notify::email::send_test`) against a real SMTP
//! server on 127.0.0.1: a message that arrives, and each failing stage
//! (name resolution, connection, TLS, login, recipient, missing password)
//! reported as itself.

mod email_support;

use email_support::{Mode, Options, SmtpServer, parse, settings, settings_for};
use redline::notify::email::TestEmailError;
use redline::notify::email::send_test;

#[tokio::test]
async fn a_test_message_arrives() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = SmtpServer::start(Options::new(Mode::StartTls));
    let answer = send_test(&settings_for(&server, dir.path(), ""), None)
        .await
        .expect("sent");
    assert!(!answer.is_empty());
    let received = server.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].to, ["desk@news.test"]);
    let message = parse(&received[0]);
    assert_eq!(message.subject(), Some("redline test message"));
    assert!(
        message
            .body_text(0)
            .expect("text")
            .contains("test message from redline")
    );
    // An explicit recipient replaces the defaults.
    let to = vec!["me@news.test".parse().expect("address")];
    send_test(&settings_for(&server, dir.path(), ""), Some(to))
        .await
        .expect("sent");
    assert_eq!(server.received()[1].to, ["me@news.test"]);
}

#[tokio::test]
async fn each_failing_stage_is_named() {
    let dir = tempfile::tempdir().expect("temp dir");

    // Login refused.
    let mut options = Options::new(Mode::ImplicitTls);
    options.login = Some(("alerts".into(), "right".into()));
    let tls = SmtpServer::start(options);
    std::fs::write(dir.path().join("wrong"), "wrong").expect("write");
    let extra = format!(
        "username = \"alerts\"\npassword_file = {:?}\n",
        dir.path().join("wrong").display().to_string()
    );
    let error = send_test(&settings_for(&tls, dir.path(), &extra), None)
        .await
        .expect_err("bad password");
    assert!(matches!(error, TestEmailError::Auth { .. }), "{error}");
    assert!(
        error.to_string().starts_with("auth: ") && error.to_string().contains("alerts"),
        "{error}"
    );

    // The server's certificate is not trusted (no ca_file).
    let untrusted = settings(&format!(
        "server = \"127.0.0.1:{}\"\nsecurity = \"tls\"\nfrom = \"a@redline.test\"\nto = [\"desk@news.test\"]\ntimeout = \"5s\"",
        tls.addr.port()
    ));
    let error = send_test(&untrusted, None).await.expect_err("untrusted");
    assert!(matches!(error, TestEmailError::Tls { .. }), "{error}");

    // STARTTLS required but the server does not offer it.
    let plain = SmtpServer::start(Options::new(Mode::Plain));
    let starttls = settings(&format!(
        "server = \"127.0.0.1:{}\"\nsecurity = \"starttls\"\nfrom = \"a@redline.test\"\nto = [\"desk@news.test\"]\ntimeout = \"5s\"",
        plain.addr.port()
    ));
    let error = send_test(&starttls, None).await.expect_err("no starttls");
    assert!(matches!(error, TestEmailError::Tls { .. }), "{error}");

    // A recipient refused.
    let mut options = Options::new(Mode::Plain);
    options.refuse = Some("desk@news.test".into());
    let refusing = SmtpServer::start(options);
    let error = send_test(&settings_for(&refusing, dir.path(), ""), None)
        .await
        .expect_err("refused");
    assert!(matches!(error, TestEmailError::Rejected { .. }), "{error}");
    assert!(
        error.to_string().contains("desk@news.test") && error.to_string().contains("550"),
        "{error}"
    );

    // Nothing listens.
    let closed = settings(&format!(
        "server = \"127.0.0.1:{}\"\nsecurity = \"none\"\nfrom = \"a@redline.test\"\nto = [\"desk@news.test\"]",
        email_support::free_port()
    ));
    let error = send_test(&closed, None).await.expect_err("closed");
    assert!(matches!(error, TestEmailError::Connect { .. }), "{error}");

    // A name that cannot resolve: a label longer than DNS allows is refused
    // by the resolver itself, so no query leaves the machine.
    let host = format!("{}.invalid", "x".repeat(70));
    let unresolvable = settings(&format!(
        "server = \"{host}:25\"\nsecurity = \"starttls\"\nfrom = \"a@redline.test\"\nto = [\"desk@news.test\"]"
    ));
    let error = send_test(&unresolvable, None)
        .await
        .expect_err("unresolvable");
    assert!(matches!(error, TestEmailError::Dns { .. }), "{error}");

    // The password source is empty.
    let missing = settings(&format!(
        "server = \"127.0.0.1:{}\"\nsecurity = \"tls\"\nfrom = \"a@redline.test\"\nto = [\"desk@news.test\"]\nusername = \"u\"\npassword_env = \"REDLINE_TEST_NO_SUCH_PASSWORD\"",
        tls.addr.port()
    ));
    let error = send_test(&missing, None).await.expect_err("no password");
    assert!(matches!(error, TestEmailError::Setup(_)), "{error}");
    assert!(
        error.to_string().contains("REDLINE_TEST_NO_SUCH_PASSWORD"),
        "{error}"
    );
}
