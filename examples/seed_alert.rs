//! Writes the HTML part of the seed article's April 25 change alert to a
//! file, so that it can be opened in a browser, and prints the subject and
//! the plain-text part.
//!
//! ```text
//! cargo run --example seed_alert -- OUT.html [OUT.eml]
//! ```
//!
//! The alert is made the way the pipeline makes it: both versions of the
//! seed page (`tests/fixtures/seed/`) are extracted and compared. With a
//! second path, the whole message (headers, both MIME parts) is written
//! there too, as a mail client would receive it.

use std::path::PathBuf;

use anyhow::Context;
use redline::diff::{DiffOptions, compare};
use redline::extract::{ExtractOptions, extract};
use redline::notify::email::{Mail, html, message, summary, text};
use redline::notify::{Alert, Event};
use redline::watchlist::WatchName;

/// The alert the pipeline raises when the seed article changes from the
/// first version to the April 25 update.
fn seed_alert() -> anyhow::Result<Alert> {
    let options = ExtractOptions::default();
    let old = extract(redline::demo::SEED_V1, &options).context("extract v1")?;
    let new = extract(redline::demo::SEED_V2, &options).context("extract v2")?;
    let report = compare(&old, &new, &DiffOptions::default());
    Ok(Alert {
        id: "binance-russia-data/v2".into(),
        watch: WatchName::parse("binance-russia-data").map_err(anyhow::Error::msg)?,
        url: "https://cryptonews.com/news/binance-regional-head-agreed-hand-client-data-russia-after-meeting-report.htm".into(),
        time: "2022-04-25T08:41:00Z".parse()?,
        event: Event::Changed { headline: new.headline.clone(), from_version: 1, to_version: 2, report, reverted: false },
    })
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args_os().skip(1).map(PathBuf::from);
    let out = args
        .next()
        .context("usage: seed_alert OUT.html [OUT.eml]")?;
    let alert = seed_alert()?;
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
