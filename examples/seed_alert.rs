//! Writes the HTML part of the seed article's April 25 change alert to a
//! file, so that it can be opened in a browser, and prints the subject and
//! the plain-text part.
//!
//! ```text
//! cargo run --example seed_alert -- OUT.html [OUT.eml]
//! ```
//!
//! With a second path, the whole message (headers, both MIME parts) is
//! written there too, as a mail client would receive it.

use std::path::PathBuf;

use anyhow::Context;
use redline::notify::Alert;
use redline::notify::email::{Mail, html, message, summary, text};

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args_os().skip(1).map(PathBuf::from);
    let out = args
        .next()
        .context("usage: seed_alert OUT.html [OUT.eml]")?;
    let fixture =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/email/seed_alert.json");
    let bytes =
        std::fs::read(&fixture).with_context(|| format!("cannot read {}", fixture.display()))?;
    let alert: Alert =
        serde_json::from_slice(&bytes).context("the seed alert fixture is not an alert")?;
    std::fs::write(&out, html::alert(&alert))
        .with_context(|| format!("cannot write {}", out.display()))?;
    println!("Subject: {}\n", summary::subject(&alert));
    print!("{}", text::alert(&alert));
    if let Some(eml) = args.next() {
        let from = "redline <alerts@example.org>".parse().context("sender")?;
        let mail = Mail::Alert {
            alert: Box::new(alert.clone()),
            to: vec!["desk@example.org".into()],
            cc: vec![],
            thread: None,
        };
        let message = message::build(&alert.id, &mail, &from)?;
        std::fs::write(&eml, message.formatted())
            .with_context(|| format!("cannot write {}", eml.display()))?;
        eprintln!("wrote {} and {}", out.display(), eml.display());
    } else {
        eprintln!("wrote {}", out.display());
    }
    Ok(())
}
