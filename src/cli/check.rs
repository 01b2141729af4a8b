//! `redline run` and `redline check`: build the pipeline from the watchlist
//! and hand it to the daemon, or run one pass and print what changed.
//! The pipeline itself, and how it is assembled, is `crate::check`.

use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::path::Path;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use tokio_util::sync::CancellationToken;

use super::{Exit, Failed, Outcome, OutputFormat, load, unknown_watch};
use crate::check::{self as pipeline, Checked, Drive, Pipeline, SetupError};
use crate::daemon;
use crate::metrics::Metrics;
use crate::report::{self, RenderContext};
use crate::status;
use crate::watchlist::{Channel, Shard, Watch, Watchlist};

/// Arguments of `redline check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The watches to check (default: all).
    names: Vec<String>,
    /// How change reports are printed.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    format: OutputFormat,
    /// Fetch, extract and report what changed, but store nothing and send
    /// nothing (the store is only read, so this works beside a running daemon).
    #[arg(long)]
    dry_run: bool,
    /// Check only this instance's share of the watches, I of N counting
    /// from 0 (overrides `[settings] shard`).
    #[arg(long, value_name = "I/N")]
    shard: Option<Shard>,
}

/// Arguments of `redline run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Serve /healthz, /metrics and the status page on this address
    /// (overrides `[settings] listen`; keep it on loopback).
    #[arg(long, value_name = "ADDR")]
    listen: Option<SocketAddr>,
    /// Run only this instance's share of the watches, I of N counting from
    /// 0 (overrides `[settings] shard`); N instances split one watchlist
    /// and may share one store.
    #[arg(long, value_name = "I/N")]
    shard: Option<Shard>,
}

/// `redline run`.
pub async fn run_daemon(path: &Path, args: RunArgs) -> Outcome {
    let mut watchlist = load(path)?;
    watchlist.take_share(args.shard);
    let metrics = Metrics::default();
    let pipeline = Pipeline::observed(&watchlist, Drive::Daemon, metrics.clone())?;
    let shutdown = CancellationToken::new();
    tokio::spawn(stop_on_signal(shutdown.clone()));
    let board = status::Board::new(metrics);
    if let Some(addr) = args.listen.or(watchlist.settings.listen) {
        status::serve(addr, board.clone(), shutdown.clone()).await?;
    }
    daemon::run_with(watchlist, pipeline, board, shutdown).await?;
    Ok(Exit::Success)
}

/// Cancels `shutdown` on Ctrl-C or SIGTERM.
async fn stop_on_signal(shutdown: CancellationToken) {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(e) => {
                    tracing::error!("cannot listen for SIGTERM: {e}");
                    let _ = ctrl_c.await;
                    shutdown.cancel();
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => tracing::info!("interrupted"),
            _ = term.recv() => tracing::info!("terminated"),
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
    shutdown.cancel();
}

/// `redline check [NAME…]`; `quiet` hides the progress bar.
pub async fn check(path: &Path, args: CheckArgs, quiet: bool) -> Outcome {
    let mut watchlist = load(path)?;
    watchlist.take_share(args.shard);
    let selected = watchlist.select(&args.names).map_err(|unknown| {
        let names = watchlist.watches.iter().map(|w| w.name.as_str());
        unknown_watch(path, names, &unknown.join(", "), "check")
    })?;
    let selected: Vec<_> = selected.into_iter().cloned().collect();
    let (pipeline, selected, mut failed) = if args.dry_run {
        (Pipeline::dry_run(&watchlist)?, selected, false)
    } else {
        assemble(&watchlist, selected)?
    };
    let bar = progress_bar(selected.len(), quiet);
    // Each result is printed as it comes, in the watchlist's order, and
    // then dropped: a pass over many watches does not hold them all.
    let mut printed = Ok(false);
    pipeline
        .check_each(selected, watchlist.settings.concurrency, |checked| {
            bar.set_message(checked.watch.to_string());
            bar.inc(1);
            if let Ok(any_failed) = &mut printed {
                match bar.suspend(|| print_report(&checked, args.format)) {
                    Ok(failed) => *any_failed |= failed,
                    Err(e) => printed = Err(e),
                }
            }
        })
        .await;
    bar.finish_and_clear();
    failed |= printed?;
    if args.dry_run {
        tracing::info!("dry run: nothing was stored or sent");
    }
    failed |= !deliver_email(&pipeline).await;
    Ok(if failed { Exit::Failure } else { Exit::Success })
}

/// The pipeline for one pass over `selected`. When the email channel cannot
/// be set up (an unset `password_env`, an unreadable `ca_file`), the watches
/// that need it fail with that reason and the others are still checked: one
/// broken channel must not stop the log-only watches. Returns the pipeline,
/// the watches it can check, and whether any watch was left out.
fn assemble(
    watchlist: &Watchlist,
    selected: Vec<Watch>,
) -> Result<(Pipeline, Vec<Watch>, bool), Failed> {
    let reason = match Pipeline::from_watchlist(watchlist, Drive::OnePass) {
        Ok(pipeline) => return Ok((pipeline, selected, false)),
        Err(SetupError::Email(e)) => crate::error_chain(&e),
        Err(e) => return Err(e.into()),
    };
    let without_email = Watchlist {
        email: None,
        ..watchlist.clone()
    };
    let pipeline = Pipeline::from_watchlist(&without_email, Drive::OnePass)?;
    let (email, log_only): (Vec<_>, Vec<_>) = selected
        .into_iter()
        .partition(|w| w.notify.contains(&Channel::Email));
    for watch in &email {
        tracing::error!(watch = %watch.name, "not checked, its alerts need the email channel: {reason}");
    }
    Ok((pipeline, log_only, !email.is_empty()))
}

/// Fewer watches than this finish too soon for a progress bar to help.
const PROGRESS_FROM: usize = 4;

/// A progress bar on standard error for a pass over `watches` watches:
/// hidden when standard error is not a terminal, with `-q`, or for a few
/// watches.
fn progress_bar(watches: usize, quiet: bool) -> ProgressBar {
    if quiet || watches < PROGRESS_FROM || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let style = ProgressStyle::with_template("{bar:30} {pos}/{len} checked  {wide_msg}")
        .expect("the template is valid");
    let bar = ProgressBar::new(watches as u64).with_style(style);
    // Drawn at once, so that even a quick pass shows where it stands.
    bar.tick();
    bar
}

/// Delivers what the checks queued for email, once; digests wait for their
/// schedule. Returns whether everything queued was delivered and no
/// refused alert waits for a person to deal with it.
pub(super) async fn deliver_email(pipeline: &Pipeline) -> bool {
    let Some(mailer) = pipeline.notifier().mailer() else {
        return true;
    };
    match mailer.flush().await {
        Ok(delivery) => {
            if delivery.sent + delivery.deferred + delivery.rejected > 0 {
                tracing::info!(
                    sent = delivery.sent,
                    deferred = delivery.deferred,
                    rejected = delivery.rejected,
                    "email delivery"
                );
            }
            delivery.deferred + delivery.rejected == 0 && no_refused_mail(mailer)
        }
        Err(e) => {
            tracing::error!(
                "email delivery failed; the alerts stay in the outbox: {}",
                crate::error_chain(&e)
            );
            false
        }
    }
}

/// Whether no refused alert waits in the outbox; one that does is said,
/// with the way back, so that it keeps `check` failing until dealt with.
fn no_refused_mail(mailer: &crate::notify::email::Mailer) -> bool {
    let refused = mailer.rejected().map_or(0, |r| r.len());
    if refused > 0 {
        tracing::error!(
            refused,
            "email alerts refused by the server wait in the outbox; `redline outbox` lists them, `redline outbox requeue --all` sends them again, `redline outbox discard --all` sets them aside"
        );
    }
    refused == 0
}

/// Logs each result and prints the report of each change (or alerted
/// return to an earlier version) on standard output. Returns whether any
/// check failed.
pub(super) fn print_reports(results: &[Checked], format: OutputFormat) -> Result<bool, Failed> {
    let mut failed = false;
    for checked in results {
        failed |= print_report(checked, format)?;
    }
    Ok(failed)
}

/// [`print_reports`] for one result.
fn print_report(checked: &Checked, format: OutputFormat) -> Result<bool, Failed> {
    daemon::log_checked(checked);
    let shown = match &checked.result {
        Ok(pipeline::Outcome::Changed {
            headline,
            from,
            to,
            report,
        })
        | Ok(pipeline::Outcome::Reverted {
            headline,
            from,
            to,
            report,
            alerted: true,
        }) => Some((headline, from, to, report)),
        _ => None,
    };
    if let Some((headline, from, to, report)) = shown {
        let (from, to) = (format!("v{from}"), format!("v{to}"));
        let context = RenderContext {
            watch: Some(checked.watch.as_str()),
            url: Some(&checked.url),
            headline: headline.as_deref(),
            from: Some(&from),
            to: Some(&to),
        };
        let text = report::render(report, &context, format.report_format());
        writeln!(std::io::stdout().lock(), "{}", text.trim_end())?;
    }
    Ok(checked.result.is_err())
}
