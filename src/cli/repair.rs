//! `accept` and `outbox`: the ways back when redline refused something a
//! person knows better about, a page the quality guard took for a fault or
//! an alert the mail server refused.
//!
//! `accept` leaves a request in the store (a file of its own, so that it
//! works beside a running daemon, which honours it at its next check of the
//! watch) and, when no daemon holds the store, checks the watch at once.
//! `outbox` lists the email alerts waiting or refused and puts refused ones
//! back in the queue or sets them aside. Neither decides anything itself:
//! the pipeline and the outbox do the work.

use std::io::Write;
use std::path::Path;

use chrono::Utc;
use clap::{Args, Subcommand};
use serde_json::json;

use super::check::{deliver_email, print_reports};
use super::{Exit, Outcome, OutputFormat, bad_input, load};
use crate::check::{Drive, Pipeline, SetupError};
use crate::notify::email::Mail;
use crate::notify::outbox::{Entry, Outbox};
use crate::store::{Store, StoreError};
use crate::watchlist::WatchName;

/// Arguments of `redline accept`.
#[derive(Debug, Args)]
pub struct AcceptArgs {
    /// The watch whose page is to be taken as it is now.
    name: String,
    /// How the change report is printed.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    format: OutputFormat,
}

/// `redline accept NAME`.
pub async fn accept(path: &Path, args: AcceptArgs) -> Outcome {
    let watchlist = load(path)?;
    let name = WatchName::parse(&args.name).map_err(bad_input)?;
    let Some(watch) = watchlist.watches.iter().find(|w| w.name == name).cloned() else {
        return Err(bad_input(format!(
            "no watch named {name} in {}",
            path.display()
        )));
    };
    Store::open_read_only(&watchlist.settings.snapshots).request_accept(&name)?;
    let pipeline = match Pipeline::from_watchlist(&watchlist, Drive::OnePass) {
        Ok(pipeline) => pipeline,
        Err(SetupError::Store(StoreError::Locked(_))) => {
            println!(
                "a running redline holds the store; it takes the page of `{name}` as it is at its next check"
            );
            return Ok(Exit::Success);
        }
        Err(e) => return Err(e.into()),
    };
    let checked = pipeline.check(&watch, Utc::now()).await;
    // A check that met nothing new to take leaves no request behind.
    pipeline.store().clear_accept(&name)?;
    let mut failed = print_reports(std::slice::from_ref(&checked), args.format)?;
    failed |= !deliver_email(&pipeline).await;
    Ok(if failed { Exit::Failure } else { Exit::Success })
}

/// Arguments of `redline outbox`.
#[derive(Debug, Args)]
pub struct OutboxArgs {
    #[command(subcommand)]
    action: Option<OutboxAction>,
    /// How the list is printed.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    format: OutputFormat,
    /// The outbox of this shard of a sharded run (I/N; default:
    /// `[settings] shard`, else the unsharded outbox).
    #[arg(long, value_name = "I/N")]
    shard: Option<crate::watchlist::Shard>,
}

/// What to do with the outbox (default: list it).
#[derive(Debug, Subcommand)]
enum OutboxAction {
    /// List the email alerts waiting for delivery and those refused.
    List,
    /// Put refused alerts back in the queue (after the address or the
    /// server was fixed); the daemon or the next `check` sends them.
    Requeue(Pick),
    /// Set refused alerts aside for good (kept under `discarded/`).
    Discard(Pick),
}

/// Which refused alerts an action takes.
#[derive(Debug, Args)]
struct Pick {
    /// Alert ids, as `redline outbox` lists them.
    #[arg(required_unless_present = "all")]
    ids: Vec<String>,
    /// Every refused alert.
    #[arg(long, conflicts_with = "ids")]
    all: bool,
}

/// `redline outbox [list|requeue|discard]`.
pub fn outbox(path: &Path, args: OutboxArgs) -> Outcome {
    let watchlist = load(path)?;
    let shard = args.shard.or(watchlist.settings.shard);
    let dir = crate::store::outbox_dir(&watchlist.settings.snapshots, shard, "email").join("mail");
    let outbox: Outbox<Mail> = Outbox::at(&dir);
    match args.action.unwrap_or(OutboxAction::List) {
        OutboxAction::List => list(&outbox, &dir, args.format),
        OutboxAction::Requeue(pick) => {
            let now = Utc::now();
            each(&outbox, pick, "requeued", |id| outbox.requeue(id, now))
        }
        OutboxAction::Discard(pick) => each(&outbox, pick, "discarded", |id| outbox.discard(id)),
    }
}

/// Applies `action` to the picked refused alerts, naming each.
fn each(
    outbox: &Outbox<Mail>,
    pick: Pick,
    done: &str,
    action: impl Fn(&str) -> Result<bool, crate::notify::outbox::OutboxError>,
) -> Outcome {
    let ids = if pick.all {
        outbox.rejected()?.into_iter().map(|e| e.id).collect()
    } else {
        pick.ids
    };
    let mut missing = Vec::new();
    for id in &ids {
        if action(id)? {
            println!("{done} {id}");
        } else {
            missing.push(id.as_str());
        }
    }
    if !missing.is_empty() {
        return Err(bad_input(format!(
            "no refused alert {}; `redline outbox` lists them",
            missing.join(", ")
        )));
    }
    if ids.is_empty() {
        println!("no refused alerts");
    }
    Ok(Exit::Success)
}

fn list(outbox: &Outbox<Mail>, dir: &Path, format: OutputFormat) -> Outcome {
    let (queued, rejected) = if dir.exists() {
        (outbox.entries()?, outbox.rejected()?)
    } else {
        (Vec::new(), Vec::new())
    };
    let mut out = std::io::stdout().lock();
    if format == OutputFormat::Json {
        let rows = |entries: &[Entry<Mail>], state: &str| -> Vec<serde_json::Value> {
            entries
                .iter()
                .map(|e| {
                    json!({
                        "id": e.id, "state": state, "created": e.created,
                        "attempts": e.attempts, "next_attempt": e.next_attempt,
                        "last_error": e.last_error,
                    })
                })
                .collect()
        };
        let mut all = rows(&queued, "queued");
        all.extend(rows(&rejected, "rejected"));
        writeln!(out, "{}", serde_json::to_string_pretty(&all)?)?;
        return Ok(Exit::Success);
    }
    for e in &queued {
        let error = e.last_error.as_deref().unwrap_or("none yet");
        writeln!(
            out,
            "queued    {}  attempts {}, next {}, last error: {error}",
            e.id,
            e.attempts,
            e.next_attempt.to_rfc3339()
        )?;
    }
    for e in &rejected {
        let error = e.last_error.as_deref().unwrap_or("refused");
        writeln!(out, "rejected  {}  {error}", e.id)?;
    }
    if queued.is_empty() && rejected.is_empty() {
        writeln!(out, "the outbox is empty")?;
    } else if !rejected.is_empty() {
        writeln!(
            out,
            "`redline outbox requeue ID` (or `--all`) sends a refused alert again; `redline outbox discard ID` sets it aside"
        )?;
    }
    Ok(Exit::Success)
}
