//! The `command` channel's part of delivery: one alert as one run of a
//! program, and its exit sorted into delivered, retry-later and refused.
//!
//! The program runs without a shell, with the watchlist's arguments as
//! they are, the alert's JSON document (`payload::document`) on standard
//! input, and `REDLINE_ALERT_ID`, `REDLINE_EVENT`, `REDLINE_WATCH` and
//! `REDLINE_URL` in its environment. Its exit says what happened:
//!
//! | exit | meaning |
//! |---|---|
//! | 0 | delivered |
//! | 75 (`EX_TEMPFAIL` of sysexits.h) | try again later |
//! | killed by a signal, or still running at the timeout (then killed) | try again later |
//! | any other status, or a program that cannot be started | refused: kept under `rejected/` |
//!
//! The end of its standard error is kept as the failure's reason. This
//! module must not decide what is due or keep anything: the shared queue
//! does.

use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::Child;

use super::delivery::{Deliver, Failure};
use super::{Alert, payload};
use crate::watchlist::channels::CommandSettings;

/// The exit status that asks for another attempt later (`EX_TEMPFAIL`).
pub const RETRY_LATER: i32 = 75;

/// How much of the end of a failed program's standard error is kept.
const STDERR_CHARS: usize = 300;

/// How long the end of standard error is waited for once the program
/// exited: a child it left running may hold the pipe open.
const STDERR_GRACE: Duration = Duration::from_secs(1);

/// Runs one program per alert.
#[derive(Debug)]
pub struct Command {
    program: PathBuf,
    args: Vec<String>,
    timeout: Duration,
}

impl Command {
    /// The channel a `[command.NAME]` table describes.
    pub fn new(settings: &CommandSettings) -> Self {
        Command {
            program: settings.program.clone(),
            args: settings.args.clone(),
            timeout: settings.timeout,
        }
    }

    fn spawn(&self, id: &str, alert: &Alert) -> std::io::Result<Child> {
        tokio::process::Command::new(&self.program)
            .args(&self.args)
            .env("REDLINE_ALERT_ID", id)
            .env("REDLINE_EVENT", payload::event_word(alert))
            .env("REDLINE_WATCH", alert.watch.as_str())
            .env("REDLINE_URL", &alert.url)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            // Dropped only when abandoned (shutdown): never leave it running.
            .kill_on_drop(true)
            .spawn()
    }
}

impl Deliver for Command {
    type Item = Alert;

    async fn deliver(&self, id: &str, alert: &Alert) -> Result<(), Failure> {
        let program = self.program.display().to_string();
        let mut child = self.spawn(id, alert).map_err(|e| {
            Failure::Refused(format!(
                "cannot start {program}: {e}; fix [command] program, then `redline outbox requeue`"
            ))
        })?;
        let stdin = child.stdin.take();
        let body = payload::document(alert);
        let tail = tokio::spawn(stderr_tail(child.stderr.take()));
        let run = async {
            if let Some(mut stdin) = stdin {
                // A program that does not read its input closes the pipe:
                // that is its choice, and its exit status still decides.
                let _ = stdin.write_all(&body).await;
            }
            child.wait().await
        };
        let outcome = tokio::time::timeout(self.timeout, run).await;
        let status = match outcome {
            Ok(Ok(status)) => status,
            Ok(Err(e)) => {
                tail.abort();
                return Err(Failure::RetryLater(format!("{program}: {e}")));
            }
            Err(_) => {
                let _ = child.kill().await;
                tail.abort();
                return Err(Failure::RetryLater(format!(
                    "{program} still ran after {}; killed",
                    humantime::format_duration(self.timeout)
                )));
            }
        };
        let stderr = tokio::time::timeout(STDERR_GRACE, tail)
            .await
            .ok()
            .and_then(Result::ok)
            .unwrap_or_default();
        judge(&program, status, &stderr)
    }
}

/// How many bytes of the end of standard error are kept while reading it.
const STDERR_KEPT: usize = 4096;

/// Reads a program's standard error to its end, keeping only its last
/// [`STDERR_KEPT`] bytes: a program that floods it costs no memory.
async fn stderr_tail(stderr: Option<tokio::process::ChildStderr>) -> Vec<u8> {
    let mut kept = Vec::new();
    let Some(mut stderr) = stderr else {
        return kept;
    };
    let mut chunk = [0u8; 4096];
    while let Ok(n) = stderr.read(&mut chunk).await {
        if n == 0 {
            break;
        }
        kept.extend_from_slice(&chunk[..n]);
        let excess = kept.len().saturating_sub(STDERR_KEPT);
        kept.drain(..excess);
    }
    kept
}

/// Sorts a finished program's exit status.
fn judge(program: &str, status: ExitStatus, stderr: &[u8]) -> Result<(), Failure> {
    if status.success() {
        return Ok(());
    }
    let text = String::from_utf8_lossy(stderr);
    let text = super::email::summary::one_line(&text);
    let start = text.chars().count().saturating_sub(STDERR_CHARS);
    let tail: String = text.chars().skip(start).collect();
    let said = if tail.is_empty() {
        String::new()
    } else {
        format!(": {tail}")
    };
    match status.code() {
        Some(RETRY_LATER) => Err(Failure::RetryLater(format!(
            "{program} asked to be run again later (exit {RETRY_LATER}){said}"
        ))),
        Some(code) => Err(Failure::Refused(format!(
            "{program} failed with exit {code}{said}"
        ))),
        None => Err(Failure::RetryLater(format!(
            "{program} was killed by a signal{said}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::ExitStatusExt;

    #[test]
    fn exit_statuses_are_sorted_as_documented() {
        let exited = |code: i32| ExitStatus::from_raw(code << 8);
        assert_eq!(judge("p", exited(0), b""), Ok(()));
        assert!(matches!(
            judge("p", exited(75), b""),
            Err(Failure::RetryLater(_))
        ));
        assert!(matches!(
            judge("p", ExitStatus::from_raw(9), b""),
            Err(Failure::RetryLater(_))
        ));
        let Err(Failure::Refused(reason)) = judge("p", exited(2), b"line one\nbad input\n") else {
            panic!("exit 2 is a refusal");
        };
        assert_eq!(reason, "p failed with exit 2: line one bad input");
    }
}
