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
use crate::notify::Outlet;
use crate::report::{self, RenderContext};
use crate::status;
use crate::watchlist::{Channel, Channels, Shard, Watch, Watchlist};

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
    // The feeds' active entries are checked like the watchlist's own
    // watches; reading the feeds for new entries is the daemon's job.
    watchlist
        .watches
        .extend(crate::feed::active_watches(&watchlist));
    watchlist.take_share(args.shard);
    let selected = watchlist.select(&args.names).map_err(|unknown| {
        let names = watchlist.watches.iter().map(|w| w.name.as_str());
        unknown_watch(path, names, &unknown.join(", "), "check")
    })?;
    let (pipeline, selected, mut failed) = if args.dry_run {
        (Pipeline::dry_run(&watchlist)?, selected, false)
    } else {
        assemble(&watchlist, selected)?
    };
    let bar = progress_bar(selected.len(), quiet);
    // Each result is printed as it comes, in the watchlist's order, and
    // then dropped: a pass over many watches does not hold them all.
    let mut printed = Ok(false);
    // Each watch is copied as its check starts and dropped when it ends:
    // a pass holds the watchlist once, not a second copy of it.
    let watches = selected.into_iter().cloned();
    pipeline
        .check_each(watches, watchlist.settings.concurrency, |checked| {
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
    failed |= !deliver_queued(&pipeline).await;
    Ok(if failed { Exit::Failure } else { Exit::Success })
}

/// The pipeline for one pass over `selected`. When a channel cannot be set
/// up (email: an unset `password_env`, an unreadable `ca_file`; a webhook:
/// an unset `url_env` or `secret_env`), the watches that need that kind of
/// channel fail with that reason and the others are still checked: one
/// broken channel must not stop the rest. Returns the pipeline, the
/// watches it can check, and whether any watch was left out.
fn assemble<'w>(
    watchlist: &Watchlist,
    mut selected: Vec<&'w Watch>,
) -> Result<(Pipeline, Vec<&'w Watch>, bool), Failed> {
    // A pipeline is built from the settings and channels: the watches
    // are not copied for it.
    let mut usable = Watchlist {
        path: watchlist.path.clone(),
        settings: watchlist.settings.clone(),
        email: watchlist.email.clone(),
        channels: watchlist.channels.clone(),
        watches: Vec::new(),
        feeds: Vec::new(),
    };
    let mut left_out = false;
    loop {
        let (reason, needs): (String, fn(&Channel) -> bool) =
            match Pipeline::checking_each_once(&usable) {
                Ok(pipeline) => return Ok((pipeline, selected, left_out)),
                Err(SetupError::Email(e)) if usable.email.is_some() => {
                    usable.email = None;
                    (crate::error_chain(&e), |c| *c == Channel::Email)
                }
                Err(SetupError::Channel(e)) if usable.channels.names().next().is_some() => {
                    usable.channels = Channels::default();
                    (crate::error_chain(&e), |c| matches!(c, Channel::Named(_)))
                }
                Err(e) => return Err(e.into()),
            };
        let (blocked, rest): (Vec<_>, Vec<_>) = selected
            .into_iter()
            .partition(|w| w.notify.iter().any(needs));
        for watch in &blocked {
            tracing::error!(watch = %watch.name, "not checked, its alerts need a channel that cannot start: {reason}");
        }
        left_out |= !blocked.is_empty();
        selected = rest;
    }
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

/// Delivers what the checks queued in every queued channel (email,
/// webhooks, commands), once; email digests wait for their schedule.
/// Returns whether everything queued was delivered and no refused alert
/// waits for a person to deal with it.
pub(super) async fn deliver_queued(pipeline: &Pipeline) -> bool {
    let mut clean = true;
    for outlet in pipeline.notifier().outlets() {
        let channel = outlet.channel();
        match outlet.flush().await {
            Ok(delivery) => {
                if delivery.sent + delivery.deferred + delivery.rejected > 0 {
                    tracing::info!(
                        %channel,
                        sent = delivery.sent,
                        deferred = delivery.deferred,
                        rejected = delivery.rejected,
                        "{} delivery", outlet.kind()
                    );
                }
                clean &= delivery.deferred + delivery.rejected == 0 && no_refused(outlet.as_ref());
            }
            Err(e) => {
                tracing::error!(
                    %channel,
                    "{} delivery failed; the alerts stay in the outbox: {}",
                    outlet.kind(),
                    crate::error_chain(&e)
                );
                clean = false;
            }
        }
    }
    clean
}

/// Whether no refused alert waits in the channel's outbox; one that does
/// is said, with the way back, so that it keeps `check` failing until
/// dealt with.
fn no_refused(outlet: &dyn Outlet) -> bool {
    let refused = outlet.refused().unwrap_or(0);
    if refused > 0 {
        let channel = outlet.channel();
        tracing::error!(
            refused,
            %channel,
            "{} alerts refused by the receiver wait in the outbox; `redline outbox` lists them, `redline outbox requeue --all` sends them again, `redline outbox discard --all` sets them aside",
            outlet.kind()
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
