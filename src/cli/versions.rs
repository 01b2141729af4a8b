//! `history`, `show` and `diff`: browsing a watch's stored versions. The
//! store is opened read-only, so these work beside a running daemon.

use std::io::Write;
use std::path::Path;

use clap::Args;
use serde_json::json;

use super::{Exit, Failed, Outcome, OutputFormat, bad_input, load};
use crate::check::compare_versions;
use crate::report::{self, RenderContext};
use crate::store::{Snapshot, Store};
use crate::watchlist::{Watch, WatchName, Watchlist};

/// Arguments of `redline history`.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// The watch.
    name: String,
    /// How the history is printed.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    format: OutputFormat,
}

/// Arguments of `redline show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The watch.
    name: String,
    /// The version (default: the newest).
    version: Option<u32>,
    /// How the article is printed.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    format: OutputFormat,
}

/// Arguments of `redline diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The watch.
    name: String,
    /// The older version (default: the one before TO).
    from: Option<u32>,
    /// The newer version (default: the newest).
    to: Option<u32>,
    /// How the report is printed.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    format: OutputFormat,
}

/// The store and the watch (when still in the watchlist) for `name`.
fn open(path: &Path, name: &str) -> Result<(Store, WatchName, Option<Watch>), Failed> {
    let watchlist: Watchlist = load(path)?;
    let watch_name = WatchName::parse(name).map_err(bad_input)?;
    let watch = watchlist
        .watches
        .iter()
        .find(|w| w.name == watch_name)
        .cloned();
    let store = Store::open_read_only(&watchlist.settings.snapshots);
    if store.versions(&watch_name)?.is_empty() {
        return Err(bad_input(format!(
            "no stored versions of `{name}`; `redline check {name}` records the first"
        )));
    }
    Ok((store, watch_name, watch))
}

/// `redline history NAME`.
pub fn history(path: &Path, args: HistoryArgs) -> Outcome {
    let (store, name, watch) = open(path, &args.name)?;
    let mut previous: Option<Snapshot> = None;
    let mut rows = Vec::new();
    for info in store.versions(&name)? {
        let snapshot = store.load(&name, info.version)?;
        let summary = match &previous {
            None => "first version recorded".to_owned(),
            Some(old) => {
                compare_versions(&old.article, &snapshot.article, watch.as_ref()).summary()
            }
        };
        rows.push(json!({
            "version": snapshot.version,
            "captured_at": snapshot.captured_at,
            "headline": snapshot.article.headline,
            "words": snapshot.article.word_count(),
            "summary": summary,
        }));
        previous = Some(snapshot);
    }
    let mut out = std::io::stdout().lock();
    if args.format == OutputFormat::Json {
        writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&json!({ "watch": name.as_str(), "versions": rows }))?
        )?;
        return Ok(Exit::Success);
    }
    for row in &rows {
        let at = row["captured_at"].as_str().unwrap_or_default();
        writeln!(
            out,
            "v{:<4} {}  {}",
            row["version"],
            at,
            row["summary"].as_str().unwrap_or_default()
        )?;
    }
    Ok(Exit::Success)
}

/// `redline show NAME [VERSION]`.
pub fn show(path: &Path, args: ShowArgs) -> Outcome {
    let (store, name, _) = open(path, &args.name)?;
    let mut snapshot = match args.version {
        Some(version) => store
            .load(&name, version)
            .map_err(|e| bad_input(e.to_string()))?,
        None => store
            .latest(&name)?
            .ok_or_else(|| bad_input(format!("no stored versions of `{name}`")))?,
    };
    snapshot.url = crate::watchlist::redact_text(&snapshot.url);
    let mut out = std::io::stdout().lock();
    match args.format {
        OutputFormat::Json => writeln!(out, "{}", serde_json::to_string_pretty(&snapshot)?)?,
        _ => writeln!(out, "{}", snapshot.article.to_text())?,
    }
    Ok(Exit::Success)
}

/// `redline diff NAME [FROM] [TO]`.
pub fn diff(path: &Path, args: DiffArgs) -> Outcome {
    let (store, name, watch) = open(path, &args.name)?;
    let versions: Vec<u32> = store.versions(&name)?.iter().map(|v| v.version).collect();
    let to = args
        .to
        .or(versions.last().copied())
        .ok_or_else(|| bad_input("no versions"))?;
    let from = match args.from {
        Some(from) => from,
        None => versions
            .iter()
            .rev()
            .find(|v| **v < to)
            .copied()
            .ok_or_else(|| {
                bad_input(format!(
                    "`{name}` has only one version; there is no change to show yet"
                ))
            })?,
    };
    let old = store
        .load(&name, from)
        .map_err(|e| bad_input(e.to_string()))?;
    let new = store
        .load(&name, to)
        .map_err(|e| bad_input(e.to_string()))?;
    let report = compare_versions(&old.article, &new.article, watch.as_ref());
    let label = |s: &Snapshot| {
        format!(
            "v{}, {}",
            s.version,
            s.captured_at.format("%Y-%m-%d %H:%M UTC")
        )
    };
    let (from, to) = (label(&old), label(&new));
    // Versions stored before addresses were redacted may hold a password.
    let url = crate::watchlist::redact_text(&new.url);
    let context = RenderContext {
        watch: Some(name.as_str()),
        url: Some(&url),
        headline: new.article.headline.as_deref(),
        from: Some(&from),
        to: Some(&to),
    };
    let format = args.format.report_format();
    writeln!(
        std::io::stdout().lock(),
        "{}",
        report::render(&report, &context, format).trim_end()
    )?;
    Ok(Exit::Success)
}
