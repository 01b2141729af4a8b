//! `validate`, `list`, `add` and `remove`: reading and editing the watchlist.
//!
//! Edits go through `toml_edit` so that the file's comments and layout are
//! kept, and the edited text is validated before it replaces the file: an
//! edit never leaves an invalid watchlist behind.

use std::io::Write;
use std::path::Path;

use clap::Args;
use serde_json::json;
use toml_edit::{Array, DocumentMut, Item, Table, value};

use super::{Exit, Outcome, OutputFormat, bad_input, load};
use crate::store::{Store, write_atomic};
use crate::watchlist::{WatchName, Watchlist};

/// `redline validate`.
pub fn validate(path: &Path) -> Outcome {
    let watchlist = load(path)?;
    println!(
        "{}: valid, {} watch{}",
        path.display(),
        watchlist.watches.len(),
        if watchlist.watches.len() == 1 {
            ""
        } else {
            "es"
        }
    );
    Ok(Exit::Success)
}

/// Arguments of `redline list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// How the list is printed.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    format: OutputFormat,
}

/// `redline list`.
pub fn list(path: &Path, args: ListArgs) -> Outcome {
    let watchlist = load(path)?;
    let store = Store::open_read_only(&watchlist.settings.snapshots);
    let mut rows = Vec::new();
    for watch in &watchlist.watches {
        let state = store.state(&watch.name)?;
        let versions = store.versions(&watch.name)?.len();
        rows.push(json!({
            "name": watch.name.as_str(),
            "url": watch.display_url(),
            "schedule": watch.schedule.as_str(),
            "versions": versions,
            "last_check": state.last_check,
            "last_outcome": state.last_outcome,
            "failures": state.failures,
            "last_error": state.last_error,
        }));
    }
    let mut out = std::io::stdout().lock();
    if args.format == OutputFormat::Json {
        writeln!(out, "{}", serde_json::to_string_pretty(&rows)?)?;
        return Ok(Exit::Success);
    }
    for (watch, row) in watchlist.watches.iter().zip(&rows) {
        let last = match (&row["last_check"], &row["last_outcome"]) {
            (serde_json::Value::String(at), serde_json::Value::String(outcome)) => {
                format!("{outcome} at {at}")
            }
            _ => "never checked".to_owned(),
        };
        writeln!(
            out,
            "{}  {}\n    schedule {}  ·  {} version(s)  ·  {last}",
            watch.name,
            watch.display_url(),
            watch.schedule,
            row["versions"]
        )?;
    }
    Ok(Exit::Success)
}

/// Arguments of `redline add`.
#[derive(Debug, Args)]
pub struct AddArgs {
    /// The watch's stable name (lowercase letters, digits, `-`, `_`).
    name: String,
    /// The article's address.
    url: String,
    /// CSS selector of the article body (default: automatic detection).
    #[arg(long)]
    selector: Option<String>,
    /// CSS selectors of parts to remove before comparing (repeatable).
    #[arg(long)]
    ignore: Vec<String>,
    /// Crontab schedule (default: the watchlist's).
    #[arg(long)]
    schedule: Option<String>,
    /// Alert channels (repeatable; default: the watchlist's).
    #[arg(long)]
    notify: Vec<String>,
}

/// `redline add`.
pub fn add(path: &Path, args: AddArgs) -> Outcome {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(anyhow::anyhow!("cannot read {}: {e}", path.display()).into()),
    };
    let mut doc: DocumentMut = text
        .parse()
        .map_err(|e| bad_input(format!("{}: {e}", path.display())))?;
    WatchName::parse(&args.name).map_err(bad_input)?;
    let watches = doc
        .entry("watch")
        .or_insert(Item::ArrayOfTables(Default::default()));
    let Some(watches) = watches.as_array_of_tables_mut() else {
        return Err(bad_input(format!(
            "{}: `watch` is not a list of [[watch]] tables",
            path.display()
        )));
    };
    let mut table = Table::new();
    table["name"] = value(&args.name);
    table["url"] = value(&args.url);
    if let Some(selector) = &args.selector {
        table["selector"] = value(selector);
    }
    if !args.ignore.is_empty() {
        table["ignore"] = value(args.ignore.iter().collect::<Array>());
    }
    if let Some(schedule) = &args.schedule {
        table["schedule"] = value(schedule);
    }
    if !args.notify.is_empty() {
        table["notify"] = value(args.notify.iter().collect::<Array>());
    }
    watches.push(table);
    save(path, &doc)?;
    println!("added watch `{}` to {}", args.name, path.display());
    Ok(Exit::Success)
}

/// Arguments of `redline remove`.
#[derive(Debug, Args)]
pub struct RemoveArgs {
    /// The watch to remove.
    name: String,
}

/// `redline remove`.
pub fn remove(path: &Path, args: RemoveArgs) -> Outcome {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    let mut doc: DocumentMut = text
        .parse()
        .map_err(|e| bad_input(format!("{}: {e}", path.display())))?;
    let found = doc
        .get_mut("watch")
        .and_then(Item::as_array_of_tables_mut)
        .and_then(|watches| {
            let index = watches
                .iter()
                .position(|t| t.get("name").and_then(Item::as_str) == Some(args.name.as_str()))?;
            watches.remove(index);
            Some(())
        });
    if found.is_none() {
        return Err(bad_input(format!(
            "no watch named {} in {}",
            args.name,
            path.display()
        )));
    }
    save(path, &doc)?;
    println!(
        "removed watch `{}` from {} (its snapshots are kept)",
        args.name,
        path.display()
    );
    Ok(Exit::Success)
}

/// Validates the edited watchlist and writes it in place, atomically.
fn save(path: &Path, doc: &DocumentMut) -> Outcome {
    let text = doc.to_string();
    Watchlist::parse(&text, path)?;
    write_atomic(path, text.as_bytes())
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    Ok(Exit::Success)
}
