//! The command line: its definition (clap) and the glue from each command to
//! the library. Nothing here is pipeline logic; a command reads its inputs,
//! calls the library, prints, and says how it went as an [`Exit`].
//!
//! Output a person reads goes to standard output, coloured on a terminal
//! unless `NO_COLOR` is set; progress and logs go to standard error.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::{DateTime, SecondsFormat, Utc};
use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};

use crate::store::StoreError;
use crate::watchlist::{Watchlist, WatchlistError};

mod check;
mod demo;
mod email;
mod extract;
mod feeds;
mod repair;
mod versions;
mod watches;

/// redline watches news articles and reports exactly how they were rewritten.
#[derive(Debug, Parser)]
#[command(name = "redline", version, about, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
struct Global {
    /// The watchlist to use.
    #[arg(long, short = 'w', global = true, env = Watchlist::ENV, default_value = Watchlist::DEFAULT_PATH)]
    watchlist: PathBuf,
    /// How log lines on standard error are written.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    /// More log detail (-v: debug, -vv: trace). RUST_LOG overrides.
    #[arg(long, short = 'v', global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    /// Only warnings and errors in the log.
    #[arg(long, short = 'q', global = true)]
    quiet: bool,
}

/// The documented exit codes, shown by `--help`.
const EXIT_CODES: &str = "Exit codes:
  0  success (for `check`: every watch was checked, changed or not)
  1  some work failed: a watch could not be checked, an email not sent
     (or refused by the server and not yet requeued or discarded)
  2  bad input: usage, an invalid watchlist, an unknown watch or version
  3  the snapshot store is in use by another redline process";

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the daemon: check every watch on its schedule until stopped
    /// (Ctrl-C or SIGTERM); watchlist edits and SIGHUP reload it.
    Run(check::RunArgs),
    /// Check watches once now and print the change report of each that
    /// changed (`--dry-run`: store and send nothing).
    Check(check::CheckArgs),
    /// Validate the watchlist and report every problem with its line, in one
    /// pass; warn about what will fail at run time (an unset password_env).
    Validate,
    /// List the watches with their schedule, next due time, versions,
    /// health, last check and last error.
    List(watches::ListArgs),
    /// Add a watch to the watchlist (comments and layout are kept).
    Add(watches::AddArgs),
    /// Remove a watch from the watchlist (its snapshots are kept).
    Remove(watches::RemoveArgs),
    /// Show what would be extracted from a page (a file or a URL).
    Extract(extract::ExtractArgs),
    /// List a watch's stored versions, each with a one-line summary.
    History(versions::HistoryArgs),
    /// Print a stored version of an article.
    Show(versions::ShowArgs),
    /// Show the change report between two stored versions (default: the last change).
    Diff(versions::DiffArgs),
    /// Take a watch's page as it is now, even where the quality guard
    /// refused it (a much shorter rewrite, say).
    Accept(repair::AcceptArgs),
    /// List the alerts waiting or refused in every channel; requeue or discard refused ones.
    Outbox(repair::OutboxArgs),
    /// Send a test message through the [email] settings and report exactly
    /// what failed: DNS, connect, TLS, login or a refused recipient.
    TestEmail(email::TestEmailArgs),
    /// Serve the seed article's two versions on loopback and show the April 25
    /// update being caught, with no internet needed.
    Demo,
    /// Print a shell completion script generated from this command line
    /// (e.g. `redline completions bash > /etc/bash_completion.d/redline`).
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page generated from this command line (roff; `redline
    /// man | man -l -`).
    Man,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Output formats of commands that print data (`list`, `history`, `show`,
/// `extract`): only what they render is offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DataFormat {
    /// Plain text.
    Text,
    /// JSON.
    Json,
}

/// Output formats of commands that print change reports (`check`, `diff`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Plain text (coloured on a terminal).
    Text,
    /// JSON, one document per line where several are printed.
    Json,
    /// Markdown.
    Markdown,
    /// HTML with inline styles.
    Html,
}

impl OutputFormat {
    /// The report renderer for this format on standard output: text becomes
    /// coloured terminal output when standard output is a terminal.
    fn report_format(self) -> crate::report::Format {
        use crate::report::Format;
        match self {
            OutputFormat::Text if colour_on(&std::io::stdout()) => Format::Terminal,
            OutputFormat::Text => Format::Text,
            OutputFormat::Json => Format::Json,
            OutputFormat::Markdown => Format::Markdown,
            OutputFormat::Html => Format::Html,
        }
    }
}

/// How a command ended, mapped to the exit codes in `--help`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Everything worked.
    Success = 0,
    /// Some of the work failed (reported on standard error).
    Failure = 1,
    /// The input was wrong.
    BadInput = 2,
    /// The store is locked by another process.
    StoreBusy = 3,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit as u8)
    }
}

/// A failure that ends a command, with the exit code it maps to.
#[derive(Debug)]
pub struct Failed {
    /// The exit code.
    pub exit: Exit,
    /// What went wrong, with its causes.
    pub error: anyhow::Error,
}

impl<E: Into<anyhow::Error>> From<E> for Failed {
    fn from(error: E) -> Self {
        let error = error.into();
        let exit = if error.downcast_ref::<WatchlistError>().is_some() {
            Exit::BadInput
        } else if matches!(
            error.downcast_ref::<crate::check::SetupError>(),
            Some(crate::check::SetupError::Store(StoreError::Locked(_)))
        ) || matches!(
            error.downcast_ref::<StoreError>(),
            Some(StoreError::Locked(_))
        ) {
            Exit::StoreBusy
        } else {
            Exit::Failure
        };
        Failed { exit, error }
    }
}

/// A [`Failed`] for input the user must correct.
pub fn bad_input(message: impl std::fmt::Display) -> Failed {
    Failed {
        exit: Exit::BadInput,
        error: anyhow::anyhow!("{message}"),
    }
}

/// The result of a command.
pub type Outcome = Result<Exit, Failed>;

impl Cli {
    /// Sets up logging on standard error as the flags ask.
    pub fn init_logging(&self) {
        let default = match (self.global.quiet, self.global.verbose) {
            (true, _) => "warn",
            (false, 0) => "info",
            (false, 1) => "debug",
            (false, _) => "trace",
        };
        let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
            tracing_subscriber::EnvFilter::new(format!("redline={default},warn"))
        });
        let filter = keep_alerts(without_transcripts(filter));
        let builder = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr);
        match self.global.log_format {
            LogFormat::Json => builder.json().init(),
            LogFormat::Text => builder
                .with_ansi(colour_on(&std::io::stderr()))
                .with_target(false)
                .init(),
        }
    }

    /// Runs the command. A reader that went away (`redline list | head -1`)
    /// ends it quietly with success: that reader had what it wanted.
    pub async fn run(self) -> Outcome {
        match self.dispatch().await {
            Err(failed) if is_broken_pipe(&failed.error) => Ok(Exit::Success),
            outcome => outcome,
        }
    }

    async fn dispatch(self) -> Outcome {
        let (watchlist, quiet) = (self.global.watchlist, self.global.quiet);
        match self.command {
            Command::Run(args) => check::run_daemon(&watchlist, args).await,
            Command::Check(args) => check::check(&watchlist, args, quiet).await,
            Command::Validate => watches::validate(&watchlist),
            Command::List(args) => watches::list(&watchlist, args),
            Command::Add(args) => watches::add(&watchlist, args),
            Command::Remove(args) => watches::remove(&watchlist, args),
            Command::Extract(args) => extract::extract(&watchlist, args).await,
            Command::History(args) => versions::history(&watchlist, args),
            Command::Show(args) => versions::show(&watchlist, args),
            Command::Diff(args) => versions::diff(&watchlist, args),
            Command::Accept(args) => repair::accept(&watchlist, args).await,
            Command::Outbox(args) => repair::outbox(&watchlist, args),
            Command::TestEmail(args) => email::test_email(&watchlist, args).await,
            Command::Demo => demo::demo().await,
            Command::Completions { shell } => {
                let mut out = std::io::stdout().lock();
                clap_complete::generate(shell, &mut Cli::command(), "redline", &mut out);
                out.flush()?;
                Ok(Exit::Success)
            }
            Command::Man => {
                let mut out = std::io::stdout().lock();
                clap_mangen::Man::new(Cli::command()).render(&mut out)?;
                out.flush()?;
                Ok(Exit::Success)
            }
        }
    }
}

/// Whether `error` comes from writing to a closed pipe.
fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// A time for people: RFC 3339 to the second, then how long ago (or how
/// far ahead) it is from `now`, e.g. `2026-04-25T14:03:09Z (5 min ago)`.
pub fn human_time(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let stamp = at.to_rfc3339_opts(SecondsFormat::Secs, true);
    let seconds = (now - at).num_seconds();
    let span = seconds.unsigned_abs();
    let amount = match span {
        0..60 => return format!("{stamp} (just now)"),
        60..3600 => format!("{} min", span / 60),
        3600..172_800 => format!("{} h", span / 3600),
        _ => format!("{} days", span / 86_400),
    };
    if seconds >= 0 {
        format!("{stamp} ({amount} ago)")
    } else {
        format!("{stamp} (in {amount})")
    }
}

/// Adds to `filter` a directive that keeps the log channel's alerts at
/// `info`: alerts are the product, and `-q` or `RUST_LOG=warn` quieten the
/// progress lines, not them. A `RUST_LOG` that names the alert target
/// itself is obeyed as written.
fn keep_alerts(filter: tracing_subscriber::EnvFilter) -> tracing_subscriber::EnvFilter {
    let target = crate::notify::log::TARGET;
    let named = std::env::var(tracing_subscriber::EnvFilter::DEFAULT_ENV)
        .is_ok_and(|own| own.contains(target));
    if named {
        return filter;
    }
    match format!("{target}=info").parse() {
        Ok(directive) => filter.add_directive(directive),
        Err(_) => filter,
    }
}

/// Where dependencies log what goes over the wire: lettre's SMTP transcript
/// at debug level includes `AUTH PLAIN <base64 of the password>`, and h2's
/// and hyper's frame traces may carry request headers (a URL's user and
/// password travel as an `Authorization` header). Each target is capped at
/// `warn` whatever the user asks for: a directive added after `RUST_LOG`
/// replaces one for the same target. lettre's are every module it logs
/// under, so no directive of the user's can be more specific; h2 and hyper
/// are capped as whole crates.
const TRANSCRIPT_TARGETS: [&str; 9] = [
    "lettre",
    "lettre::transport::smtp::client::async_connection",
    "lettre::transport::smtp::client::connection",
    "lettre::transport::smtp::client::tls",
    "lettre::transport::smtp::commands",
    "lettre::transport::smtp::pool::async_impl",
    "lettre::transport::smtp::pool::sync_impl",
    "h2",
    "hyper",
];

/// `filter` with every dependency's wire transcript kept out of the log.
pub fn without_transcripts(
    mut filter: tracing_subscriber::EnvFilter,
) -> tracing_subscriber::EnvFilter {
    for target in TRANSCRIPT_TARGETS {
        filter = filter.add_directive(
            format!("{target}=warn")
                .parse()
                .expect("the transcript directives are valid"),
        );
    }
    filter
}

/// Whether to colour what goes to `stream`: only a terminal, and never when
/// `NO_COLOR` is set (https://no-color.org).
pub fn colour_on(stream: &impl IsTerminal) -> bool {
    stream.is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Loads the watchlist, mapping failure to an error that names the file.
fn load(path: &Path) -> Result<Watchlist, Failed> {
    Ok(Watchlist::load(path)?)
}

/// The error for a watch name the watchlist does not have: "did you mean"
/// the closest name, with `command` spelled out so that it works as given.
fn unknown_watch<'a>(
    path: &Path,
    names: impl IntoIterator<Item = &'a str>,
    name: &str,
    command: &str,
) -> Failed {
    let mut message = format!("no watch named `{name}` in {}", path.display());
    match crate::watchlist::closest(name, names) {
        Some(close) => message.push_str(&format!(
            "; did you mean `{close}`? try `{}`",
            command_line(path, &format!("{command} {close}"))
        )),
        None => message.push_str(&format!(
            "; `{}` shows the watches",
            command_line(path, "list")
        )),
    }
    bad_input(message)
}

/// `redline ARGS` as a user would type it to reach the same watchlist: the
/// `--watchlist` flag is spelled out unless the default or the environment
/// already names it.
fn command_line(path: &Path, args: &str) -> String {
    let implied = std::env::var_os(Watchlist::ENV)
        .map_or(Path::new(Watchlist::DEFAULT_PATH).to_owned(), PathBuf::from);
    if path == implied {
        format!("redline {args}")
    } else {
        format!("redline --watchlist {} {args}", path.display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_times_are_to_the_second_with_how_long_ago() {
        let now = DateTime::parse_from_rfc3339("2026-04-25T12:00:00Z")
            .expect("valid time")
            .with_timezone(&Utc);
        let cases = [
            (0, "2026-04-25T12:00:00Z (just now)"),
            (-59, "2026-04-25T11:59:01Z (just now)"),
            (-300, "2026-04-25T11:55:00Z (5 min ago)"),
            (7_200, "2026-04-25T14:00:00Z (in 2 h)"),
            (-3 * 86_400, "2026-04-22T12:00:00Z (3 days ago)"),
        ];
        for (offset, expected) in cases {
            let at = now + chrono::Duration::seconds(offset);
            assert_eq!(human_time(at, now), expected, "{offset}");
        }
    }
}
