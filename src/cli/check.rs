//! `redline run` and `redline check`: build the pipeline from the watchlist
//! and hand it to the daemon, or run one pass and print what changed.
//! The pipeline itself, and how it is assembled, is `crate::check`.

use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;

use clap::Args;
use tokio_util::sync::CancellationToken;

use super::{Exit, Failed, Outcome, OutputFormat, bad_input, load};
use crate::check::{self as pipeline, Checked, Drive, Pipeline};
use crate::daemon;
use crate::metrics::Metrics;
use crate::report::{self, RenderContext};
use crate::status;

/// Arguments of `redline check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The watches to check (default: all).
    names: Vec<String>,
    /// How change reports are printed.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    format: OutputFormat,
}

/// Arguments of `redline run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Serve /healthz, /metrics and the status page on this address
    /// (overrides `[settings] listen`; keep it on loopback).
    #[arg(long, value_name = "ADDR")]
    listen: Option<SocketAddr>,
}

/// `redline run`.
pub async fn run_daemon(path: &Path, args: RunArgs) -> Outcome {
    let watchlist = load(path)?;
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

/// `redline check [NAME…]`.
pub async fn check(path: &Path, args: CheckArgs) -> Outcome {
    let watchlist = load(path)?;
    let selected = watchlist.select(&args.names).map_err(|unknown| {
        bad_input(format!(
            "no watch named {} in {}",
            unknown.join(", "),
            path.display()
        ))
    })?;
    let selected: Vec<_> = selected.into_iter().cloned().collect();
    let pipeline = Pipeline::from_watchlist(&watchlist, Drive::OnePass)?;
    let results = pipeline
        .check_all(selected, watchlist.settings.concurrency)
        .await;
    let mut failed = print_reports(&results, args.format)?;
    failed |= !deliver_email(&pipeline).await;
    Ok(if failed { Exit::Failure } else { Exit::Success })
}

/// Delivers what the checks queued for email, once; digests wait for their
/// schedule. Returns whether everything queued was delivered.
async fn deliver_email(pipeline: &Pipeline) -> bool {
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
            delivery.deferred + delivery.rejected == 0
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

/// Logs each result and prints the report of each change on standard
/// output. Returns whether any check failed.
fn print_reports(results: &[Checked], format: OutputFormat) -> Result<bool, Failed> {
    let mut out = std::io::stdout().lock();
    let mut failed = false;
    for checked in results {
        daemon::log_checked(checked);
        failed |= checked.result.is_err();
        if let Ok(pipeline::Outcome::Changed {
            headline,
            from,
            to,
            report,
        }) = &checked.result
        {
            let (from, to) = (format!("v{from}"), format!("v{to}"));
            let context = RenderContext {
                watch: Some(checked.watch.as_str()),
                url: Some(&checked.url),
                headline: headline.as_deref(),
                from: Some(&from),
                to: Some(&to),
            };
            let text = report::render(report, &context, format.report_format());
            writeln!(out, "{}", text.trim_end())?;
        }
    }
    Ok(failed)
}
