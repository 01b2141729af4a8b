//! `validate`, `list`, `add` and `remove`: reading and editing the watchlist.
//!
//! Edits go through `toml_edit` so that the file's comments and layout are
//! kept, and the edited text is validated before it replaces the file: an
//! edit never leaves an invalid watchlist behind.

use std::io::Write;
use std::path::Path;

use chrono::{DateTime, SecondsFormat, Utc};
use clap::Args;
use serde_json::json;
use toml_edit::{Array, DocumentMut, Item, Table, value};

use super::{DataFormat, Exit, Outcome, bad_input, human_time, load, unknown_watch};
use crate::store::{Store, WatchState, write_atomic};
use crate::watchlist::email::PasswordSource;
use crate::watchlist::{Channel, Problem, Settings, Watch, Watchlist, WatchlistError};

/// `redline validate`: the problems that refuse the watchlist (exit 2),
/// or "valid" with warnings about what will fail at run time (exit 0).
pub fn validate(path: &Path) -> Outcome {
    let watchlist = load(path)?;
    for warning in warnings(&watchlist) {
        eprintln!("redline: warning: {}: {warning}", path.display());
    }
    let feeds = match watchlist.feeds.len() {
        0 => String::new(),
        1 => ", 1 feed".to_owned(),
        n => format!(", {n} feeds"),
    };
    writeln!(
        std::io::stdout(),
        "{}: valid, {} watch{}{feeds}",
        path.display(),
        watchlist.watches.len(),
        if watchlist.watches.len() == 1 {
            ""
        } else {
            "es"
        }
    )?;
    Ok(Exit::Success)
}

/// What a valid watchlist will still fail at when it runs: secrets that
/// live outside it (the SMTP password, a webhook's address or signing
/// secret) and cannot be read from here.
fn warnings(watchlist: &Watchlist) -> Vec<String> {
    let mut found = webhook_warnings(watchlist);
    found.extend(email_warning(watchlist));
    found
}

/// The webhooks' environment variables that are not set: such a channel
/// cannot be built: `run` stops at once and names it, `check` leaves out
/// the watches that use it.
fn webhook_warnings(watchlist: &Watchlist) -> Vec<String> {
    use crate::watchlist::channels::WebhookUrl;
    let mut found = Vec::new();
    for hook in &watchlist.channels.webhooks {
        let url = match &hook.url {
            WebhookUrl::Env(variable) => Some(("url_env", variable)),
            WebhookUrl::Given(_) => None,
        };
        let secret = hook.secret_env.as_ref().map(|v| ("secret_env", v));
        for (key, variable) in url.into_iter().chain(secret) {
            if std::env::var_os(variable).is_none() {
                found.push(format!(
                    "webhook.{}.{key}: the environment variable {variable} is not set; until it is, `run` will not start and `check` leaves out the watches that use it",
                    hook.name
                ));
            }
        }
    }
    found
}

/// The SMTP password, when it cannot be read.
fn email_warning(watchlist: &Watchlist) -> Vec<String> {
    let Some(auth) = watchlist.email.as_ref().and_then(|e| e.auth.as_ref()) else {
        return Vec::new();
    };
    let Err(e) = crate::notify::email::transport::read_password(&auth.password) else {
        return Vec::new();
    };
    let field = match auth.password {
        PasswordSource::Env(_) => "email.password_env",
        PasswordSource::File(_) => "email.password_file",
    };
    let emailed = watchlist
        .watches
        .iter()
        .filter(|w| w.notify.contains(&Channel::Email))
        .count();
    vec![format!(
        "{field}: {}; until it is, {emailed} watch{} with email alerts will fail and the others are still checked",
        crate::error_chain(&e).trim_start_matches("email: "),
        if emailed == 1 { "" } else { "es" }
    )]
}

/// Arguments of `redline list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// How the list is printed.
    #[arg(long, value_enum, default_value_t = DataFormat::Text)]
    format: DataFormat,
}

/// `redline list`: each watch with its schedule and next due time, its
/// stored versions, its health and its last check or error; then each
/// feed with the watches derived from its entries.
pub fn list(path: &Path, args: ListArgs) -> Outcome {
    let watchlist = load(path)?;
    let store = Store::open_read_only(&watchlist.settings.snapshots);
    let now = Utc::now();
    let rows = rows_of(&watchlist.watches, &watchlist.settings, &store, now)?;
    let feeds = super::feeds::listed(&watchlist, store.root());
    let mut feed_rows = Vec::new();
    for listed in &feeds {
        feed_rows.push(rows_of(&listed.active, &watchlist.settings, &store, now)?);
    }
    let mut out = std::io::stdout().lock();
    if args.format == DataFormat::Json {
        let mut json: Vec<_> = rows.iter().map(Row::json).collect();
        for (listed, derived) in feeds.iter().zip(&feed_rows) {
            for row in derived {
                let mut value = row.json();
                value["feed"] = listed.feed.name.as_str().into();
                json.push(value);
            }
            json.extend(listed.retired_json());
        }
        writeln!(out, "{}", serde_json::to_string_pretty(&json)?)?;
        return Ok(Exit::Success);
    }
    for row in &rows {
        writeln!(out, "{}", row.text(now))?;
    }
    for (listed, derived) in feeds.iter().zip(&feed_rows) {
        writeln!(out, "{}", listed.heading())?;
        for row in derived {
            // Indented under the feed's heading.
            writeln!(out, "  {}", row.text(now).replace('\n', "\n  "))?;
        }
        for line in listed.retired_lines(now) {
            writeln!(out, "{line}")?;
        }
    }
    Ok(Exit::Success)
}

/// The rows of `watches`, each with what the store says of it.
fn rows_of<'a>(
    watches: &'a [Watch],
    settings: &Settings,
    store: &Store,
    now: DateTime<Utc>,
) -> Result<Vec<Row<'a>>, super::Failed> {
    let mut rows = Vec::new();
    for watch in watches {
        // One damaged file must not hide every other watch: it is named,
        // and its watch listed with what can still be read.
        let state = store.state(&watch.name).unwrap_or_else(|e| {
            eprintln!("redline: {e}");
            Default::default()
        });
        let versions = store.versions(&watch.name)?.len();
        rows.push(Row::new(watch, settings, state, versions, now));
    }
    Ok(rows)
}

/// One watch as `list` shows it.
struct Row<'a> {
    watch: &'a Watch,
    state: WatchState,
    versions: usize,
    /// When the daemon will check it next (a watch never checked: at once).
    next_due: Option<DateTime<Utc>>,
}

impl<'a> Row<'a> {
    fn new(
        watch: &'a Watch,
        settings: &Settings,
        state: WatchState,
        versions: usize,
        now: DateTime<Utc>,
    ) -> Self {
        let next_due = match state.last_check {
            None => Some(now),
            // The adaptive policy counts from the last check, as the daemon does.
            Some(last) => {
                let base = match watch.schedule {
                    crate::schedule::Policy::Adaptive(_) => last,
                    crate::schedule::Policy::Cron(_) => now,
                };
                watch.schedule.next_due(
                    watch.name.as_str(),
                    base,
                    state.life().as_ref(),
                    settings.timezone,
                    settings.spread,
                )
            }
        };
        Row {
            watch,
            state,
            versions,
            next_due,
        }
    }

    /// `never checked`, `ok`, or `failing` with the streak's length.
    fn health(&self) -> String {
        match (self.state.last_check, self.state.failures) {
            (None, _) => "never checked".to_owned(),
            (Some(_), 0) => "ok".to_owned(),
            (Some(_), n) => format!("failing ({n} check{} in a row)", plural(n)),
        }
    }

    fn json(&self) -> serde_json::Value {
        let second =
            |t: Option<DateTime<Utc>>| t.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true));
        json!({
            "name": self.watch.name.as_str(),
            "url": self.watch.display_url(),
            "schedule": self.watch.schedule.as_str(),
            "next_due": second(self.next_due),
            "versions": self.versions,
            "health": if self.state.last_check.is_none() { "never-checked" } else if self.state.failures == 0 { "ok" } else { "failing" },
            "last_check": second(self.state.last_check),
            "last_outcome": self.state.last_outcome,
            "failures": self.state.failures,
            "failing_since": second(self.state.failing_since),
            "last_error": self.state.last_error,
        })
    }

    fn text(&self, now: DateTime<Utc>) -> String {
        let (watch, state) = (self.watch, &self.state);
        let next = match (state.last_check, self.next_due) {
            (None, _) => "at once".to_owned(),
            (Some(_), Some(due)) => human_time(due, now),
            (Some(_), None) => "never".to_owned(),
        };
        let mut text = format!(
            "{}  {}\n    schedule {}  ·  next due {next}  ·  {} version{}\n    {}",
            watch.name,
            watch.display_url(),
            watch.schedule,
            self.versions,
            plural(self.versions as u32),
            self.health()
        );
        if let (Some(at), Some(outcome)) = (state.last_check, &state.last_outcome) {
            text.push_str(&format!(
                "  ·  last check {outcome} {}",
                human_time(at, now)
            ));
        }
        if let (Some(error), true) = (&state.last_error, state.failures > 0) {
            text.push_str(&format!("\n    last error: {error}"));
        }
        text
    }
}

fn plural(n: u32) -> &'static str {
    if n == 1 { "" } else { "s" }
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
    /// Crontab schedule, or `adaptive` (default: the watchlist's).
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
    // A watchlist already broken is reported at its real lines, not mixed
    // with the problems of the new watch.
    if !text.trim().is_empty() {
        Watchlist::parse(&text, path)?;
    }
    let mut doc: DocumentMut = text
        .parse()
        .map_err(|e| bad_input(format!("{}: {e}", path.display())))?;
    let watches = doc
        .entry("watch")
        .or_insert(Item::ArrayOfTables(Default::default()));
    let Some(watches) = watches.as_array_of_tables_mut() else {
        return Err(bad_input(format!(
            "{}: `watch` is not a list of [[watch]] tables",
            path.display()
        )));
    };
    watches.push(new_watch(&args));
    let edited = doc.to_string();
    if let Err(WatchlistError::Invalid { problems, .. }) = Watchlist::parse(&edited, path) {
        return Err(bad_input(edit_problems(
            path, &args.name, &edited, &problems,
        )));
    }
    save(path, &doc)?;
    writeln!(
        std::io::stdout(),
        "added watch `{}` to {}",
        args.name,
        path.display()
    )?;
    Ok(Exit::Success)
}

/// The `[[watch]]` table `redline add` appends.
fn new_watch(args: &AddArgs) -> Table {
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
    table
}

/// The problems of an edit that was not written, located in the edited
/// document: its new table is shown with the document's line numbers, and
/// each problem names its line there and the argument that set the value.
fn edit_problems(path: &Path, name: &str, edited: &str, problems: &[Problem]) -> String {
    let lines: Vec<&str> = edited.lines().collect();
    let start = lines
        .iter()
        .rposition(|l| l.trim() == "[[watch]]")
        .unwrap_or(0);
    let mut out = format!(
        "cannot add watch `{name}`: {} problem{} in the new table; {} is unchanged",
        problems.len(),
        if problems.len() == 1 { "" } else { "s" },
        path.display()
    );
    for (index, line) in lines.iter().enumerate().skip(start) {
        out.push_str(&format!("\n  {:>4} | {line}", index + 1));
    }
    for p in problems {
        let at = p.line.map_or_else(String::new, |l| format!("line {l}: "));
        let field = p.field.as_deref().unwrap_or_default();
        let key = field.rsplit('.').next().unwrap_or_default();
        let argument = match key {
            "name" => " (NAME)".to_owned(),
            "url" => " (URL)".to_owned(),
            "selector" | "ignore" | "schedule" | "notify" => format!(" (--{key})"),
            _ => String::new(),
        };
        out.push_str(&format!("\n  {at}{field}: {}{argument}", p.message));
        if let Some(hint) = &p.hint {
            out.push_str(&format!("\n    hint: {hint}"));
        }
    }
    out
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
        let names: Vec<&str> = doc
            .get("watch")
            .and_then(Item::as_array_of_tables)
            .map(|watches| {
                watches
                    .iter()
                    .filter_map(|t| t.get("name").and_then(Item::as_str))
                    .collect()
            })
            .unwrap_or_default();
        return Err(unknown_watch(path, names, &args.name, "remove"));
    }
    save(path, &doc)?;
    writeln!(
        std::io::stdout(),
        "removed watch `{}` from {} (its snapshots are kept)",
        args.name,
        path.display()
    )?;
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
