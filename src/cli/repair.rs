//! `accept` and `outbox`: the ways back when redline refused something a
//! person knows better about, a page the quality guard took for a fault or
//! an alert the mail server refused.
//!
//! `accept` leaves a request in the store (a file of its own, so that it
//! works beside a running daemon, which honours it at its next check of the
//! watch) and, when no daemon holds the store, checks the watch at once.
//! `outbox` lists the alerts waiting or refused in every channel's queue
//! (email, webhooks, commands) and puts refused ones back in the queue or
//! sets them aside. Neither decides anything itself:
//! the pipeline and the outbox do the work.

use std::io::Write;
use std::path::Path;

use chrono::Utc;
use clap::{Args, Subcommand};
use serde_json::json;

use super::check::{deliver_queued, print_reports};
use super::{Exit, Outcome, OutputFormat, bad_input, load};
use crate::check::{Drive, Pipeline, SetupError};
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
    failed |= !deliver_queued(&pipeline).await;
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
    /// List the alerts waiting for delivery and those refused, per channel.
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
    let root = crate::store::outbox_dir(&watchlist.settings.snapshots, shard, "");
    let queues = queues(&root);
    match args.action.unwrap_or(OutboxAction::List) {
        OutboxAction::List => list(&queues, args.format),
        OutboxAction::Requeue(pick) => {
            let now = Utc::now();
            each(&queues, pick, "requeued", |q, id| q.requeue(id, now))
        }
        OutboxAction::Discard(pick) => each(&queues, pick, "discarded", |q, id| q.discard(id)),
    }
}

/// One channel's queue, its items read as plain JSON: the listing and the
/// actions need only the delivery record, whatever the channel keeps.
struct Queue {
    channel: String,
    outbox: Outbox<serde_json::Value>,
}

/// The queues under the outbox folder `root`: email's, then each webhook
/// and command channel's (`webhook.NAME`, `command.NAME`), including those
/// of channels no longer in the watchlist, whose alerts still wait.
fn queues(root: &Path) -> Vec<Queue> {
    let mut named: Vec<(String, std::path::PathBuf)> = std::fs::read_dir(root)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let folder = entry.file_name().into_string().ok()?;
            let (kind, name) = folder.split_once('.')?;
            matches!(kind, "webhook" | "command").then(|| (name.to_owned(), entry.path()))
        })
        .collect();
    named.sort();
    let email = ("email".to_owned(), root.join("email").join("mail"));
    std::iter::once(email)
        .chain(named)
        .filter(|(_, dir)| dir.exists())
        .map(|(channel, dir)| Queue {
            channel,
            outbox: Outbox::at(&dir),
        })
        .collect()
}

/// Applies `action` to the picked refused alerts in every queue holding
/// them, naming each.
fn each(
    queues: &[Queue],
    pick: Pick,
    done: &str,
    action: impl Fn(
        &Outbox<serde_json::Value>,
        &str,
    ) -> Result<bool, crate::notify::outbox::OutboxError>,
) -> Outcome {
    let mut any = false;
    let mut missing = Vec::new();
    for id in &pick.ids {
        let mut found = false;
        for queue in queues {
            if action(&queue.outbox, id)? {
                println!("{done} {id} ({})", queue.channel);
                found = true;
            }
        }
        any |= found;
        if !found {
            missing.push(id.as_str());
        }
    }
    if pick.all {
        for queue in queues {
            for entry in queue.outbox.rejected()? {
                if action(&queue.outbox, &entry.id)? {
                    println!("{done} {} ({})", entry.id, queue.channel);
                    any = true;
                }
            }
        }
    }
    if !missing.is_empty() {
        return Err(bad_input(format!(
            "no refused alert {}; `redline outbox` lists them",
            missing.join(", ")
        )));
    }
    if !any {
        println!("no refused alerts");
    }
    Ok(Exit::Success)
}

fn list(queues: &[Queue], format: OutputFormat) -> Outcome {
    let mut queued = Vec::new();
    let mut rejected = Vec::new();
    for queue in queues {
        queued.extend(
            queue
                .outbox
                .entries()?
                .into_iter()
                .map(|e| (&queue.channel, e)),
        );
        rejected.extend(
            queue
                .outbox
                .rejected()?
                .into_iter()
                .map(|e| (&queue.channel, e)),
        );
    }
    let mut out = std::io::stdout().lock();
    if format == OutputFormat::Json {
        let rows = |entries: &[(&String, Entry<serde_json::Value>)],
                    state: &str|
         -> Vec<serde_json::Value> {
            entries
                .iter()
                .map(|(channel, e)| {
                    json!({
                        "id": e.id, "channel": channel, "state": state, "created": e.created,
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
    for (channel, e) in &queued {
        let error = e.last_error.as_deref().unwrap_or("none yet");
        writeln!(
            out,
            "queued    {}  {channel}: attempts {}, next {}, last error: {error}",
            e.id,
            e.attempts,
            e.next_attempt.to_rfc3339()
        )?;
    }
    for (channel, e) in &rejected {
        let error = e.last_error.as_deref().unwrap_or("refused");
        writeln!(out, "rejected  {}  {channel}: {error}", e.id)?;
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
