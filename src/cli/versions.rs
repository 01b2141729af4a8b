//! `history`, `show` and `diff`: browsing a watch's stored versions. The
//! store is opened read-only, so these work beside a running daemon.
//!
//! They describe the version on the page now (the state's current version,
//! which a return to an earlier version moves back), read each version's
//! stored change report rather than diffing again, and read what can be
//! read: a damaged file is named, with the advice to move it aside, and
//! the rest is shown.

use std::io::Write;
use std::path::Path;

use chrono::{DateTime, Utc};
use clap::Args;
use serde_json::json;

use super::{DataFormat, Exit, Failed, Outcome, OutputFormat, bad_input, load};
use crate::check::compare_versions;
use crate::report::{self, RenderContext, Report};
use crate::store::{Snapshot, Store, StoreError, VersionInfo, WatchState};
use crate::watchlist::{Watch, WatchName, Watchlist};

/// Arguments of `redline history`.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// The watch.
    name: String,
    /// How the history is printed.
    #[arg(long, value_enum, default_value_t = DataFormat::Text)]
    format: DataFormat,
}

/// Arguments of `redline show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The watch.
    name: String,
    /// The version (default: the one on the page now).
    version: Option<u32>,
    /// How the article is printed.
    #[arg(long, value_enum, default_value_t = DataFormat::Text)]
    format: DataFormat,
}

/// Arguments of `redline diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The watch.
    name: String,
    /// The older version (default: the one the page showed before TO).
    from: Option<u32>,
    /// The newer version (default: the one on the page now).
    to: Option<u32>,
    /// How the report is printed.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    format: OutputFormat,
}

/// What the browsing commands read: the store, the watch and its state.
struct Watched {
    store: Store,
    name: WatchName,
    watch: Option<Watch>,
    versions: Vec<VersionInfo>,
    state: WatchState,
}

impl Watched {
    /// The store and the watch (when still in the watchlist) for `name`.
    fn open(path: &Path, name: &str) -> Result<Self, Failed> {
        let watchlist: Watchlist = load(path)?;
        let watch_name = WatchName::parse(name).map_err(bad_input)?;
        let watch = watchlist
            .watches
            .iter()
            .find(|w| w.name == watch_name)
            .cloned();
        let store = Store::open_read_only(&watchlist.settings.snapshots);
        let versions = store.versions(&watch_name)?;
        if watch.is_none() && versions.is_empty() {
            let names = watchlist.watches.iter().map(|w| w.name.as_str());
            return Err(super::unknown_watch(path, names, name, "history"));
        }
        if versions.is_empty() {
            return Err(bad_input(format!(
                "no stored versions of `{name}`; `redline check {name}` records the first"
            )));
        }
        // A damaged state only loses what it says of the page now.
        let state = store.state(&watch_name).unwrap_or_else(|e| {
            tracing::warn!("{e}");
            WatchState::default()
        });
        Ok(Watched {
            store,
            name: watch_name,
            watch,
            versions,
            state,
        })
    }

    /// The version on the page now: the state's, while it is stored, else
    /// the newest.
    fn current(&self) -> u32 {
        let newest = self.versions.last().map_or(0, |v| v.version);
        self.state
            .current_version
            .filter(|c| self.info(*c).is_some())
            .unwrap_or(newest)
    }

    fn info(&self, version: u32) -> Option<&VersionInfo> {
        self.versions.iter().find(|v| v.version == version)
    }

    fn load(&self, version: u32) -> Result<Snapshot, Failed> {
        self.store.load(&self.name, version).map_err(|e| match e {
            StoreError::NoSuchVersion { .. } => bad_input(e.to_string()),
            other => other.into(),
        })
    }

    /// The report of the move `from → to`: the stored one when `to` was
    /// stored as a change from `from`, else computed from both versions.
    fn report(&self, from: u32, to: u32) -> Result<Report, Failed> {
        if let Some(info) = self.info(to)
            && let Ok(Some(stored)) = self.store.report(info)
            && stored.from == from
        {
            return Ok(stored.report);
        }
        let (old, new) = (self.load(from)?, self.load(to)?);
        Ok(compare_versions(
            &old.article,
            &new.article,
            self.watch.as_ref(),
        ))
    }
}

/// One line of a history.
struct Row {
    at: Option<DateTime<Utc>>,
    json: serde_json::Value,
    text: String,
}

/// `redline history NAME`.
pub fn history(path: &Path, args: HistoryArgs) -> Outcome {
    let watched = Watched::open(path, &args.name)?;
    let mut rows = Vec::new();
    let mut damaged = false;
    let mut previous: Option<Snapshot> = None;
    for info in &watched.versions {
        let at = rows.last().and_then(|r: &Row| r.at);
        let snapshot = match watched.store.load(&watched.name, info.version) {
            Ok(snapshot) => snapshot,
            Err(e) => {
                damaged = true;
                eprintln!("redline: {e}");
                rows.push(Row {
                    at,
                    json: json!({ "version": info.version, "damaged": e.to_string() }),
                    text: format!("v{:<4} damaged: {}", info.version, info.path.display()),
                });
                continue;
            }
        };
        let summary = version_summary(&watched, info, previous.as_ref());
        rows.push(Row {
            at: Some(snapshot.captured_at),
            json: json!({
                "version": snapshot.version,
                "captured_at": snapshot.captured_at,
                "headline": snapshot.article.headline,
                "words": snapshot.article.word_count(),
                "summary": summary,
            }),
            text: format!(
                "v{:<4} {}  {summary}",
                snapshot.version,
                stamp(&snapshot.captured_at)
            ),
        });
        previous = Some(snapshot);
    }
    for back in &watched.state.returns {
        rows.push(Row {
            at: Some(back.at),
            json: json!({ "version": back.to, "reverted_at": back.at, "from": back.from }),
            text: format!(
                "v{:<4} {}  reverted to v{} (the page left v{})",
                back.to,
                stamp(&back.at),
                back.to,
                back.from
            ),
        });
    }
    // Versions and returns in the order they happened; a damaged version
    // keeps its place after the one before it.
    rows.sort_by_key(|r| r.at);
    print_history(&watched, &rows, args.format)?;
    Ok(if damaged {
        Exit::Failure
    } else {
        Exit::Success
    })
}

/// A version's one-line summary, from its stored report when there is one.
fn version_summary(watched: &Watched, info: &VersionInfo, previous: Option<&Snapshot>) -> String {
    if let Ok(Some(stored)) = watched.store.report(info) {
        let summary = stored.report.summary();
        return match previous {
            Some(p) if p.version == stored.from => summary,
            _ => format!("{summary} (since v{})", stored.from),
        };
    }
    match previous {
        None if watched.versions.first().map(|v| v.version) == Some(info.version) => {
            "first version recorded".to_owned()
        }
        None => "the version before is unreadable".to_owned(),
        Some(old) => match watched.store.load(&watched.name, info.version) {
            Ok(new) => {
                compare_versions(&old.article, &new.article, watched.watch.as_ref()).summary()
            }
            Err(e) => e.to_string(),
        },
    }
}

fn print_history(watched: &Watched, rows: &[Row], format: DataFormat) -> Result<(), Failed> {
    let mut out = std::io::stdout().lock();
    if format == DataFormat::Json {
        let entries: Vec<&serde_json::Value> = rows.iter().map(|r| &r.json).collect();
        let doc = json!({
            "watch": watched.name.as_str(),
            "current_version": watched.current(),
            "versions": entries,
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
        return Ok(());
    }
    for row in rows {
        writeln!(out, "{}", row.text)?;
    }
    let newest = watched.versions.last().map(|v| v.version);
    if newest != Some(watched.current()) {
        writeln!(out, "the page shows v{} now", watched.current())?;
    }
    Ok(())
}

/// `redline show NAME [VERSION]`.
pub fn show(path: &Path, args: ShowArgs) -> Outcome {
    let watched = Watched::open(path, &args.name)?;
    let snapshot = watched.load(args.version.unwrap_or_else(|| watched.current()))?;
    let mut out = std::io::stdout().lock();
    match args.format {
        DataFormat::Json => writeln!(out, "{}", serde_json::to_string_pretty(&snapshot)?)?,
        DataFormat::Text => writeln!(out, "{}", snapshot.article.to_text())?,
    }
    Ok(Exit::Success)
}

/// `redline diff NAME [FROM] [TO]`.
pub fn diff(path: &Path, args: DiffArgs) -> Outcome {
    let watched = Watched::open(path, &args.name)?;
    let to = args.to.unwrap_or_else(|| watched.current());
    let from = match args.from {
        Some(from) => from,
        None => default_from(&watched, to).ok_or_else(|| {
            bad_input(format!(
                "`{}` has only one version; there is no change to show yet",
                watched.name
            ))
        })?,
    };
    let report = watched.report(from, to)?;
    let new = watched.load(to)?;
    // The older version is only a label here: its file may be damaged
    // while the stored report still says what changed.
    let from_label = match watched.store.load(&watched.name, from) {
        Ok(old) => label(&old),
        Err(_) => format!("v{from}"),
    };
    let to_label = label(&new);
    let context = RenderContext {
        watch: Some(watched.name.as_str()),
        url: Some(&new.url),
        headline: new.article.headline.as_deref(),
        from: Some(&from_label),
        to: Some(&to_label),
    };
    writeln!(
        std::io::stdout().lock(),
        "{}",
        report::render(&report, &context, args.format.report_format()).trim_end()
    )?;
    Ok(Exit::Success)
}

/// The version the page showed before `to`: the one it left when it last
/// returned to `to`, else the one `to`'s report was made against, else
/// the stored version before it.
fn default_from(watched: &Watched, to: u32) -> Option<u32> {
    let info = watched.info(to)?;
    let returned = watched.state.returns.last().filter(|r| r.to == to);
    if let Some(back) = returned
        && to == watched.current()
    {
        return Some(back.from);
    }
    if let Ok(Some(stored)) = watched.store.report(info) {
        return Some(stored.from);
    }
    watched
        .versions
        .iter()
        .rev()
        .find(|v| v.version < to)
        .map(|v| v.version)
}

/// A time as the history prints it (RFC 3339, UTC).
/// A time as people read it: to the second, and how long ago.
fn stamp(at: &DateTime<Utc>) -> String {
    super::human_time(*at, Utc::now())
}

fn label(snapshot: &Snapshot) -> String {
    format!(
        "v{}, {}",
        snapshot.version,
        snapshot.captured_at.format("%Y-%m-%d %H:%M UTC")
    )
}
