//! `redline test-email`: sends one message through the `[email]` settings
//! and says exactly which step failed (DNS, connect, TLS, login, recipient).

use std::io::Write;
use std::path::Path;

use clap::Args;
use lettre::message::Mailbox;

use super::{Exit, Outcome, bad_input, load};
use crate::notify::email::send_test;

/// Arguments of `redline test-email`.
#[derive(Debug, Args)]
pub struct TestEmailArgs {
    /// Send to this address instead of `[email] to` (repeatable).
    #[arg(long)]
    to: Vec<String>,
}

/// `redline test-email`.
pub async fn test_email(path: &Path, args: TestEmailArgs) -> Outcome {
    let watchlist = load(path)?;
    let Some(settings) = &watchlist.email else {
        return Err(bad_input(format!(
            "{} has no [email] settings to test",
            path.display()
        )));
    };
    let to = if args.to.is_empty() {
        None
    } else {
        let parsed: Result<Vec<Mailbox>, _> =
            args.to.iter().map(|a| a.parse::<Mailbox>()).collect();
        Some(parsed.map_err(|e| bad_input(format!("--to: {e}")))?)
    };
    match send_test(settings, to).await {
        Ok(answer) => {
            writeln!(std::io::stdout(), "test message accepted: {answer}")?;
            Ok(Exit::Success)
        }
        Err(e) => {
            eprintln!("redline: test-email: {e}");
            Ok(Exit::Failure)
        }
    }
}
