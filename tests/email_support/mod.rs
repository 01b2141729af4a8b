//! Test support for the email tests: a real SMTP server on 127.0.0.1 (plain,
//! STARTTLS or implicit TLS, optional login, optional refusal of a
//! recipient), driven by `mailin`'s session state machine on threads, and
//! helpers to build settings, alerts and mailers.

#![allow(dead_code, clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mailin::{Action, AuthMechanism, Handler, Response, SessionBuilder};
use redline::diff::{DiffOptions, compare};
use redline::extract::{ExtractOptions, extract};
use redline::notify::email::{EmailSettings, Mailer, MailerOptions};
use redline::notify::{Alert, Event};
use redline::watchlist::RawEmailSettings;
use redline::watchlist::WatchName;
use rustls::ServerConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// How the test server secures connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// No TLS at all.
    Plain,
    /// STARTTLS offered (the client must upgrade).
    StartTls,
    /// TLS from the first byte.
    ImplicitTls,
}

/// What the server should do.
#[derive(Debug, Clone)]
pub struct Options {
    /// Its security.
    pub mode: Mode,
    /// The one login accepted, when logins are required.
    pub login: Option<(String, String)>,
    /// A recipient refused with 550.
    pub refuse: Option<String>,
    /// A fixed port (to come up where a mailer already points).
    pub port: Option<u16>,
}

impl Options {
    pub fn new(mode: Mode) -> Self {
        Options {
            mode,
            login: None,
            refuse: None,
            port: None,
        }
    }
}

/// One message the server accepted.
#[derive(Debug, Clone)]
pub struct Received {
    /// MAIL FROM.
    pub from: String,
    /// RCPT TO, in order.
    pub to: Vec<String>,
    /// The message as sent (headers and body).
    pub data: Vec<u8>,
}

struct Shared {
    options: Options,
    received: Mutex<Vec<Received>>,
    tls: Option<Arc<ServerConfig>>,
}

/// A running test SMTP server; stops accepting when dropped.
pub struct SmtpServer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its self-signed certificate (PEM), when it speaks TLS.
    pub cert_pem: Option<String>,
    shared: Arc<Shared>,
    stop: Arc<AtomicBool>,
}

/// A free port on 127.0.0.1 with nothing listening on it.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl SmtpServer {
    /// Starts a server.
    pub fn start(options: Options) -> SmtpServer {
        let listener = TcpListener::bind(("127.0.0.1", options.port.unwrap_or(0))).unwrap();
        let addr = listener.local_addr().unwrap();
        let (tls, cert_pem) = if options.mode == Mode::Plain {
            (None, None)
        } else {
            let (config, pem) = tls_config();
            (Some(config), Some(pem))
        };
        let shared = Arc::new(Shared {
            options,
            received: Mutex::new(Vec::new()),
            tls,
        });
        let stop = Arc::new(AtomicBool::new(false));
        let (s, st) = (shared.clone(), stop.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if st.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = conn else { continue };
                let s = s.clone();
                std::thread::spawn(move || {
                    let _ = handle(stream, &s);
                });
            }
        });
        SmtpServer {
            addr,
            cert_pem,
            shared,
            stop,
        }
    }

    /// The messages accepted so far.
    pub fn received(&self) -> Vec<Received> {
        self.shared.received.lock().unwrap().clone()
    }

    /// Waits until at least `n` messages arrived (or `limit` passed) and
    /// returns all of them.
    pub async fn wait_for(&self, n: usize, limit: Duration) -> Vec<Received> {
        let start = Instant::now();
        while self.received().len() < n && start.elapsed() < limit {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.received()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so that it sees the flag and drops the listener.
        let _ = TcpStream::connect(self.addr);
    }
}

fn tls_config() -> (Arc<ServerConfig>, String) {
    let key =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .unwrap();
    let cert = CertificateDer::from(key.cert.der().to_vec());
    let private = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.signing_key.serialize_der()));
    // The one provider of this build, named so that nothing is left to chance.
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert], private)
        .unwrap();
    (Arc::new(config), key.cert.pem())
}

struct Recorder {
    shared: Arc<Shared>,
    current: Option<Received>,
}

impl Handler for Recorder {
    fn rcpt(&mut self, to: &str) -> Response {
        if self.shared.options.refuse.as_deref() == Some(to) {
            return Response::custom(550, format!("5.1.1 <{to}>: mailbox unavailable"));
        }
        mailin::response::OK
    }

    fn data_start(&mut self, _domain: &str, from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.current = Some(Received {
            from: from.to_owned(),
            to: to.to_vec(),
            data: Vec::new(),
        });
        mailin::response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        if let Some(c) = &mut self.current {
            c.data.extend_from_slice(buf);
        }
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        if let Some(c) = self.current.take() {
            self.shared.received.lock().unwrap().push(c);
        }
        mailin::response::OK
    }

    fn auth_plain(&mut self, _authz: &str, user: &str, password: &str) -> Response {
        self.check(user, password)
    }

    fn auth_login(&mut self, user: &str, password: &str) -> Response {
        self.check(user, password)
    }
}

impl Recorder {
    fn check(&self, user: &str, password: &str) -> Response {
        match &self.shared.options.login {
            Some((u, p)) if u == user && p == password => mailin::response::AUTH_OK,
            _ => mailin::response::INVALID_CREDENTIALS,
        }
    }
}

enum Outcome<S> {
    Done,
    Upgrade(S),
}

fn handle(stream: TcpStream, shared: &Arc<Shared>) -> std::io::Result<()> {
    let remote = stream.peer_addr()?.ip();
    // Replies go out at once, as a mail server's do: Nagle's algorithm
    // would hold each small reply for the client's delayed ACK.
    stream.set_nodelay(true)?;
    let mut builder = SessionBuilder::new("smtp.test");
    if shared.options.mode == Mode::StartTls {
        builder.enable_start_tls();
    }
    if shared.options.login.is_some() {
        builder
            .enable_auth(AuthMechanism::Plain)
            .enable_auth(AuthMechanism::Login);
    }
    let mut session = builder.build(
        remote,
        Recorder {
            shared: shared.clone(),
            current: None,
        },
    );
    let tls = || {
        rustls::ServerConnection::new(shared.tls.clone().unwrap()).map_err(std::io::Error::other)
    };
    match shared.options.mode {
        Mode::ImplicitTls => {
            session.tls_active();
            converse(&mut session, rustls::StreamOwned::new(tls()?, stream), true)?;
        }
        _ => {
            if let Outcome::Upgrade(stream) = converse(&mut session, stream, true)? {
                session.tls_active();
                converse(
                    &mut session,
                    rustls::StreamOwned::new(tls()?, stream),
                    false,
                )?;
            }
        }
    }
    Ok(())
}

fn converse<S: Read + Write, H: Handler>(
    session: &mut mailin::Session<H>,
    stream: S,
    greet: bool,
) -> std::io::Result<Outcome<S>> {
    let mut reader = BufReader::new(stream);
    if greet {
        session.greeting().write_to(reader.get_mut())?;
        reader.get_mut().flush()?;
    }
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            return Ok(Outcome::Done);
        }
        let response = session.process(&line);
        if response.action != Action::NoReply {
            response.write_to(reader.get_mut())?;
            reader.get_mut().flush()?;
        }
        match response.action {
            Action::Close => return Ok(Outcome::Done),
            Action::UpgradeTls => return Ok(Outcome::Upgrade(reader.into_inner())),
            _ => {}
        }
    }
}

/// Email settings from `[email]` TOML lines (validated like the watchlist).
pub fn settings(toml_text: &str) -> EmailSettings {
    let raw: RawEmailSettings = toml::from_str(toml_text).unwrap();
    redline::watchlist::validate_email(&raw).unwrap_or_else(|e| panic!("{e:?}"))
}

/// Settings pointing at `server` with the given extra lines; a TLS
/// server's certificate is written to `dir` and trusted.
pub fn settings_for(server: &SmtpServer, dir: &Path, extra: &str) -> EmailSettings {
    let security = match server.shared.options.mode {
        Mode::Plain => "none",
        Mode::StartTls => "starttls",
        Mode::ImplicitTls => "tls",
    };
    let mut text = format!(
        "server = \"127.0.0.1:{}\"\nsecurity = \"{security}\"\nfrom = \"redline <alerts@redline.test>\"\nto = [\"desk@news.test\"]\ntimeout = \"5s\"\n{extra}",
        server.addr.port()
    );
    if let Some(pem) = &server.cert_pem {
        let path = dir.join("smtp-ca.pem");
        std::fs::write(&path, pem).unwrap();
        text.push_str(&format!("ca_file = {:?}\n", path.display().to_string()));
    }
    settings(&text)
}

/// Mailer options with short retries, for tests that wait on them.
pub fn quick() -> MailerOptions {
    MailerOptions {
        first_retry: Duration::from_millis(100),
        max_retry: Duration::from_millis(400),
        idle: Duration::from_millis(200),
        ..MailerOptions::default()
    }
}

/// Opens a mailer on the store root `dir`.
pub fn mailer(settings: EmailSettings, dir: &Path, options: MailerOptions) -> Mailer {
    Mailer::open(settings, &Mailer::outbox_dir(dir), options).unwrap()
}

/// The seed article's April 25 change alert, made as the pipeline makes
/// it: both versions of the seed page extracted and compared.
pub fn seed_alert() -> Alert {
    let options = ExtractOptions::default();
    let old = extract(redline::demo::SEED_V1, &options).unwrap();
    let new = extract(redline::demo::SEED_V2, &options).unwrap();
    let report = compare(&old, &new, &DiffOptions::default());
    Alert {
        id: "binance-russia-data/v2".into(),
        watch: WatchName::parse("binance-russia-data").unwrap(),
        url: SEED_URL.into(),
        time: "2022-04-25T08:41:00Z".parse().unwrap(),
        event: Event::Changed {
            headline: new.headline.clone(),
            from_version: 1,
            to_version: 2,
            report,
            reverted: false,
        },
    }
}

/// The seed article's address.
pub const SEED_URL: &str = "https://cryptonews.com/news/binance-regional-head-agreed-hand-client-data-russia-after-meeting-report.htm";

/// A copy of the seed alert with another id, version and time.
pub fn seed_alert_version(version: u32) -> Alert {
    let mut alert = seed_alert();
    alert.id = format!("binance-russia-data/v{version}");
    alert.time += chrono::Duration::minutes(i64::from(version));
    if let Event::Changed {
        from_version,
        to_version,
        ..
    } = &mut alert.event
    {
        *from_version = version - 1;
        *to_version = version;
    }
    alert
}

/// Parses a received message.
pub fn parse(received: &Received) -> mail_parser::Message<'_> {
    mail_parser::MessageParser::default()
        .parse(&received.data)
        .unwrap()
}
