//! `redline run` and `redline check`: build the pipeline from the watchlist
//! and hand it to the daemon, or run one pass and print what changed.
//! The pipeline itself, and how it is assembled, is `crate::check`.

use std::io::Write;
use std::path::Path;

use clap::Args;
use tokio_util::sync::CancellationToken;

use super::{Exit, Failed, Outcome, OutputFormat, bad_input, load};
use crate::check::{self as pipeline, Checked, Drive, Pipeline};
use crate::daemon;
use crate::report::{self, RenderContext};

/// Arguments of `redline check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The watches to check (default: all).
    names: Vec<String>,
    /// How change reports are printed.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    format: OutputFormat,
}

/// `redline run`.
pub async fn run_daemon(path: &Path) -> Outcome {
    let watchlist = load(path)?;
    let pipeline = Pipeline::from_watchlist(&watchlist, Drive::Daemon)?;
    let shutdown = CancellationToken::new();
    tokio::spawn(stop_on_signal(shutdown.clone()));
    daemon::run(watchlist, pipeline, shutdown).await?;
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
    let mut out = std::io::stdout().lock();
    let mut failed = false;
    for checked in results {
        daemon::log_checked(checked);
        failed |= checked.result.is_err();
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
            writeln!(out, "{}", text.trim_end())?;
        }
    }
    Ok(failed)
}
