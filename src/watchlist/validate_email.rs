//! Validation of the `[email]` table and of a watch's `email = { … }`
//! inline table, into the values of `email`.
//!
//! This module reads no files and no environment: a password is named here
//! (`password_env`, `password_file`) and only read when the mailer is built,
//! so it never sits in the watchlist's structs or their `Debug` output.
//! Problems go to the watchlist's one [`Collector`].
//!
//! Keys of `[email]`:
//!
//! | key | meaning |
//! |---|---|
//! | `server` | `host[:port]` or a URL `smtps://host[:port]` (implicit TLS) / `smtp://host[:port]` |
//! | `security` | `tls` (implicit, port 465), `starttls` (587) or `none` (plain, a local relay) |
//! | `username` | login name; needs `password_env` or `password_file` |
//! | `password_env` | environment variable holding the password |
//! | `password_file` | file holding the password (trailing newline ignored) |
//! | `from` | the sender, `"redline <alerts@example.org>"` |
//! | `to`, `cc` | default recipients (a list; `to` needs at least one) |
//! | `digest` | a crontab schedule: gather change alerts and send one message per firing |
//! | `ca_file` | a PEM certificate trusted in addition to the system's (a private mail server) |
//! | `timeout` | how long one SMTP exchange may take (`"30s"`) |
//!
//! Keys of a watch's `email = { … }`: `to` and `cc` replace the defaults,
//! `add_to` and `add_cc` add to them, `digest` sets this watch's own
//! digest schedule or `"off"` to mail its alerts at once.

use std::path::PathBuf;
use std::str::FromStr;

use lettre::message::Mailbox;

use super::email::{Auth, DigestChoice, EmailSettings, PasswordSource, Security, WatchEmail};
use super::problems::{Collector, FieldError};
use super::raw::{RawEmailSettings, RawList, RawWatchEmail};

impl Collector {
    /// A list of mailboxes; bad addresses are recorded and left out.
    fn mailboxes(&mut self, list: Option<&RawList>, field: &str) -> Option<Vec<Mailbox>> {
        let list = list?;
        let mut out = Vec::new();
        for item in list.get_ref() {
            match parse_mailbox(item.get_ref()) {
                Ok(m) => out.push(m),
                Err(e) => self.fail(Some(item), field, e, Some(MAILBOX_HINT)),
            }
        }
        Some(out)
    }
}

const MAILBOX_HINT: &str =
    "write an address such as \"desk@example.org\" or \"News desk <desk@example.org>\"";

fn parse_mailbox(text: &str) -> Result<Mailbox, String> {
    Mailbox::from_str(text.trim()).map_err(|e| format!("`{text}` is not an email address: {e}"))
}

/// Validates the `[email]` table on its own (tests and tools that hold one).
///
/// # Errors
///
/// Every problem found, each naming its field (`email.server`, …).
pub fn validate_email(raw: &RawEmailSettings) -> Result<EmailSettings, Vec<FieldError>> {
    let mut c = Collector::default();
    email_settings(raw, &mut c).ok_or_else(|| c.into_errors())
}

/// Validates a watch's `email = { … }` table on its own; `field_prefix`
/// names the watch in errors (`watch.story.email`).
///
/// # Errors
///
/// Every problem found.
pub fn validate_watch_email(
    raw: &RawWatchEmail,
    field_prefix: &str,
) -> Result<WatchEmail, Vec<FieldError>> {
    let mut c = Collector::default();
    watch_email(raw, field_prefix, &mut c).ok_or_else(|| c.into_errors())
}

/// Validates the `[email]` table into `c`; `None` when it has a problem.
pub(super) fn email_settings(raw: &RawEmailSettings, c: &mut Collector) -> Option<EmailSettings> {
    let before = c.len();
    let server = validate_server(raw, c);
    let auth = validate_auth(raw, c);
    if let (Some((host, _, Security::None)), Some(_)) = (&server, &auth)
        && !is_loopback(host)
    {
        let message = format!("security \"none\" would send the password to `{host}` unencrypted");
        let hint = "use \"tls\" or \"starttls\", or a relay on this machine";
        c.fail(raw.security.as_ref(), "email.security", message, Some(hint));
    }
    let from = match &raw.from {
        Some(f) => parse_mailbox(f.get_ref())
            .map_err(|e| c.fail(Some(f), "email.from", e, Some(MAILBOX_HINT)))
            .ok(),
        None => {
            let hint = "add from = \"redline <alerts@example.org>\"";
            c.fail_at(
                None,
                "email.from",
                "the [email] table has no from",
                Some(hint),
            );
            None
        }
    };
    let to = c.mailboxes(raw.to.as_ref(), "email.to").unwrap_or_default();
    if to.is_empty() && raw.to.as_ref().is_none_or(|t| t.get_ref().is_empty()) {
        let hint = "add to = [\"desk@example.org\"]";
        c.fail(
            raw.to.as_ref(),
            "email.to",
            "no default recipient",
            Some(hint),
        );
    }
    let cc = c.mailboxes(raw.cc.as_ref(), "email.cc").unwrap_or_default();
    let digest = raw
        .digest
        .as_ref()
        .and_then(|d| c.schedule(d, "email.digest"));
    let timeout = match &raw.timeout {
        Some(t) => c.duration(t, "email.timeout"),
        None => Some(EmailSettings::DEFAULT_TIMEOUT),
    };
    let ca_file = raw.ca_file.as_ref().map(|f| PathBuf::from(f.get_ref()));
    let (host, port, security) = server?;
    (c.len() == before).then_some(EmailSettings {
        host,
        port,
        security,
        auth,
        from: from?,
        to,
        cc,
        digest,
        ca_file,
        timeout: timeout?,
    })
}

fn validate_server(raw: &RawEmailSettings, c: &mut Collector) -> Option<(String, u16, Security)> {
    let hint = "use \"tls\" (port 465), \"starttls\" (587) or \"none\" (a local relay)";
    let security = raw
        .security
        .as_ref()
        .and_then(|s| c.parse(s, "email.security", Some(hint), Security::parse));
    match &raw.server {
        Some(s) => parse_server(s.get_ref(), security)
            .map_err(|(m, h)| c.fail(Some(s), "email.server", m, Some(h)))
            .ok(),
        None => {
            let hint = "add server = \"smtp.example.org:465\"";
            c.fail_at(
                None,
                "email.server",
                "the [email] table has no server",
                Some(hint),
            );
            None
        }
    }
}

fn validate_auth(raw: &RawEmailSettings, c: &mut Collector) -> Option<Auth> {
    let password = match (&raw.password_env, &raw.password_file) {
        (Some(env), Some(_)) => {
            let message = "both password_env and password_file are set";
            c.fail(
                Some(env),
                "email.password_env",
                message,
                Some("keep one of them"),
            );
            None
        }
        (Some(env), None) if env.get_ref().trim().is_empty() || env.get_ref().contains('=') => {
            let message = format!("`{}` is not an environment variable name", env.get_ref());
            let hint = "write a name such as \"REDLINE_SMTP_PASSWORD\"";
            c.fail(Some(env), "email.password_env", message, Some(hint));
            None
        }
        (Some(env), None) => Some(PasswordSource::Env(env.get_ref().clone())),
        (None, Some(file)) => Some(PasswordSource::File(PathBuf::from(file.get_ref()))),
        (None, None) => None,
    };
    match (&raw.username, password) {
        (Some(user), Some(password)) => Some(Auth {
            username: user.get_ref().clone(),
            password,
        }),
        (Some(user), None) => {
            if raw.password_env.is_none() && raw.password_file.is_none() {
                let hint = "add password_env = \"REDLINE_SMTP_PASSWORD\" or password_file = \"…\"; never the password itself";
                let message = "a username is set but no password source";
                c.fail(Some(user), "email.username", message, Some(hint));
            }
            None
        }
        (None, Some(_)) => {
            let at = raw.password_env.as_ref().or(raw.password_file.as_ref());
            let hint = "add username = \"alerts@example.org\"";
            let message = "a password source is set but no username";
            c.fail(at, "email.username", message, Some(hint));
            None
        }
        (None, None) => None,
    }
}

/// Reads `host[:port]`, `[v6]:port` or an `smtp(s)://` URL. The URL's
/// scheme implies a security that must agree with an explicit one.
fn parse_server(
    text: &str,
    security: Option<Security>,
) -> Result<(String, u16, Security), (String, &'static str)> {
    const HINT: &str = "write \"smtp.example.org:465\" or \"smtps://smtp.example.org\"";
    let text = text.trim();
    let (scheme, rest) = match text.split_once("://") {
        Some((s, r)) => (Some(s.to_ascii_lowercase()), r.trim_end_matches('/')),
        None => (None, text),
    };
    let implied = match scheme.as_deref() {
        None => None,
        Some("smtps") => Some(Security::Tls),
        Some("smtp") => None,
        Some(other) => {
            return Err((
                format!(
                    "`{text}` has scheme `{other}`; only smtp:// and smtps:// are mail servers"
                ),
                HINT,
            ));
        }
    };
    if let (Some(a), Some(b)) = (implied, security)
        && a != b
    {
        return Err((
            format!("`{text}` means implicit TLS but security is set to something else"),
            "drop one of them or make them agree",
        ));
    }
    let (host, port) =
        split_host_port(rest).ok_or_else(|| (format!("`{text}` is not host[:port]"), HINT))?;
    if host.is_empty() || host.contains(['/', '@', ' ']) {
        return Err((format!("`{text}` has no valid host"), HINT));
    }
    // Without a word from the user, port 465 means implicit TLS and
    // everything else STARTTLS: never plain text by default.
    let security = security.or(implied).unwrap_or(if port == Some(465) {
        Security::Tls
    } else {
        Security::StartTls
    });
    Ok((
        host.to_owned(),
        port.unwrap_or(security.default_port()),
        security,
    ))
}

fn split_host_port(text: &str) -> Option<(&str, Option<u16>)> {
    if let Some(rest) = text.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        return match after.strip_prefix(':') {
            Some(port) => Some((host, Some(port.parse().ok()?))),
            None if after.is_empty() => Some((host, None)),
            None => None,
        };
    }
    match text.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => {
            Some((host, Some(port.parse().ok().filter(|p| *p > 0)?)))
        }
        Some(_) => Some((text, None)),
        None => Some((text, None)),
    }
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Validates a watch's `email = { … }` table into `c`; `None` when it has a
/// problem.
pub(super) fn watch_email(
    raw: &RawWatchEmail,
    field_prefix: &str,
    c: &mut Collector,
) -> Option<WatchEmail> {
    let before = c.len();
    let f = |key: &str| format!("{field_prefix}.{key}");
    let mut out = WatchEmail {
        to: c.mailboxes(raw.to.as_ref(), &f("to")),
        cc: c.mailboxes(raw.cc.as_ref(), &f("cc")),
        add_to: c
            .mailboxes(raw.add_to.as_ref(), &f("add_to"))
            .unwrap_or_default(),
        add_cc: c
            .mailboxes(raw.add_cc.as_ref(), &f("add_cc"))
            .unwrap_or_default(),
        digest: DigestChoice::Inherit,
    };
    if out.to.as_ref().is_some_and(Vec::is_empty) && out.add_to.is_empty() && c.len() == before {
        c.fail(
            raw.to.as_ref(),
            &f("to"),
            "the watch's recipient list is empty",
            Some("list at least one address, or remove `to` to use the defaults"),
        );
    }
    if let Some(d) = &raw.digest {
        out.digest = match d.get_ref().trim() {
            "off" | "none" => DigestChoice::Off,
            _ => c
                .schedule(d, &f("digest"))
                .map_or(DigestChoice::Inherit, |s| {
                    DigestChoice::Schedule(Box::new(s))
                }),
        };
    }
    (c.len() == before).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(toml_text: &str) -> Result<EmailSettings, Vec<FieldError>> {
        let raw: RawEmailSettings = toml::from_str(toml_text).expect("valid toml");
        validate_email(&raw)
    }

    const BASE: &str = "from = \"redline <alerts@example.org>\"\nto = [\"desk@example.org\"]\n";

    #[test]
    fn server_forms_and_security() {
        let cases = [
            (
                "server = \"smtp.example.org:465\"",
                "smtp.example.org",
                465,
                Security::Tls,
            ),
            (
                "server = \"smtp.example.org\"",
                "smtp.example.org",
                587,
                Security::StartTls,
            ),
            (
                "server = \"smtps://smtp.example.org\"",
                "smtp.example.org",
                465,
                Security::Tls,
            ),
            (
                "server = \"smtp://relay:2525\"\nsecurity = \"none\"",
                "relay",
                2525,
                Security::None,
            ),
            (
                "server = \"localhost\"\nsecurity = \"none\"",
                "localhost",
                25,
                Security::None,
            ),
            (
                "server = \"[::1]:25\"\nsecurity = \"none\"",
                "::1",
                25,
                Security::None,
            ),
            (
                "server = \"mail.example.org:2465\"\nsecurity = \"tls\"",
                "mail.example.org",
                2465,
                Security::Tls,
            ),
        ];
        for (text, host, port, security) in cases {
            let s = settings(&format!("{BASE}{text}")).unwrap_or_else(|e| panic!("{text}: {e:?}"));
            assert_eq!(
                (s.host.as_str(), s.port, s.security),
                (host, port, security),
                "{text}"
            );
        }
    }

    #[test]
    fn problems_name_their_field() {
        let cases = [
            ("server = \"smtp.example.org:99999\"", "email.server"),
            ("server = \"http://smtp.example.org\"", "email.server"),
            (
                "server = \"smtps://a.org\"\nsecurity = \"starttls\"",
                "email.server",
            ),
            ("server = \"a.org\"\nsecurity = \"ssl\"", "email.security"),
            ("server = \"a.org\"\nusername = \"u\"", "email.username"),
            ("server = \"a.org\"\npassword_env = \"P\"", "email.username"),
            (
                "server = \"a.org\"\nusername = \"u\"\npassword_env = \"P\"\npassword_file = \"f\"",
                "email.password_env",
            ),
            (
                "server = \"a.org\"\nsecurity = \"none\"\nusername = \"u\"\npassword_env = \"P\"",
                "email.security",
            ),
            ("server = \"a.org\"\ncc = [\"not an address\"]", "email.cc"),
            ("server = \"a.org\"\ndigest = \"every day\"", "email.digest"),
            ("server = \"a.org\"\ntimeout = \"soon\"", "email.timeout"),
        ];
        for (text, field) in cases {
            let errors = settings(&format!("{BASE}{text}")).expect_err(text);
            assert!(
                errors.iter().any(|e| e.field == field && e.span.is_some()),
                "{text}: {errors:?}"
            );
            assert!(
                errors.iter().all(|e| !e.message.ends_with('.')),
                "{errors:?}"
            );
        }
        let errors = settings("server = \"a.org\"").expect_err("no from, no to");
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["email.from", "email.to"]);
    }

    #[test]
    fn password_is_named_never_shown() {
        let s = settings(&format!(
            "{BASE}server = \"a.org\"\nusername = \"u\"\npassword_file = \"secret.txt\""
        ))
        .expect("valid");
        let s = s.resolve_paths(std::path::Path::new("/etc/redline"));
        let auth = s.auth.clone().expect("auth");
        assert_eq!(
            auth.password,
            PasswordSource::File("/etc/redline/secret.txt".into())
        );
        assert!(format!("{s:?}").contains("secret.txt"));
    }

    #[test]
    fn watch_recipients_replace_or_add() {
        let s = settings(&format!(
            "{BASE}server = \"a.org\"\ncc = [\"chief@example.org\"]"
        ))
        .expect("valid");
        let parse = |text: &str| {
            let raw: RawWatchEmail = toml::from_str(text).expect("valid toml");
            validate_watch_email(&raw, "watch.story.email")
        };
        let emails =
            |list: &[Mailbox]| list.iter().map(|m| m.email.to_string()).collect::<Vec<_>>();
        let r = parse("").expect("empty is fine").recipients(&s);
        assert_eq!(
            (emails(&r.to), emails(&r.cc)),
            (
                vec!["desk@example.org".into()],
                vec!["chief@example.org".into()]
            )
        );
        let r = parse("add_to = [\"me@example.org\", \"desk@example.org\"]")
            .expect("valid")
            .recipients(&s);
        assert_eq!(emails(&r.to), ["desk@example.org", "me@example.org"]);
        let r = parse("to = [\"chief@example.org\"]")
            .expect("valid")
            .recipients(&s);
        assert_eq!(
            (emails(&r.to), r.cc.len()),
            (vec!["chief@example.org".into()], 0)
        );
        let errors = parse("to = []").expect_err("empty list");
        assert_eq!(errors[0].field, "watch.story.email.to");
        let errors = parse("digest = \"at noon\"").expect_err("bad cron");
        assert_eq!(errors[0].field, "watch.story.email.digest");
        assert_eq!(
            parse("digest = \"off\"").expect("valid").digest,
            DigestChoice::Off
        );
    }
}
