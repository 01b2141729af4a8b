//! `redline extract`: what would be extracted from a page, without storing
//! anything. Useful to choose a selector before adding a watch.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;

use super::{DataFormat, Exit, Failed, Outcome, bad_input};
use crate::extract::{self, ExtractOptions};
use crate::fetch::{self, Fetched, Fetcher, Validators};
use crate::watchlist::{CssSelector, Settings, Watchlist};

/// Arguments of `redline extract`.
#[derive(Debug, Args)]
pub struct ExtractArgs {
    /// An HTML file, or an http(s) address.
    #[arg(required_unless_present = "dir")]
    source: Option<String>,
    /// CSS selector of the article body (default: automatic detection).
    #[arg(long)]
    selector: Option<String>,
    /// CSS selectors of parts to remove first (repeatable).
    #[arg(long)]
    ignore: Vec<String>,
    /// How the article is printed: text gives the headline, then the body's
    /// blocks separated by blank lines.
    #[arg(long, value_enum, default_value_t = DataFormat::Text)]
    format: DataFormat,
    /// Extract every `NAME/page.html` under this folder instead, detecting
    /// each body automatically (exit 1, naming them, when some pages fail)…
    #[arg(long, requires = "out", conflicts_with_all = ["source", "selector", "ignore"])]
    dir: Option<PathBuf>,
    /// …writing `NAME.txt` (the body) into this folder.
    #[arg(long)]
    out: Option<PathBuf>,
}

/// `redline extract`.
pub async fn extract(watchlist: &Path, args: ExtractArgs) -> Outcome {
    let selector = args
        .selector
        .as_deref()
        .map(CssSelector::parse)
        .transpose()
        .map_err(|e| bad_input(format!("--selector: {e}")))?;
    let ignore = args
        .ignore
        .iter()
        .map(|s| CssSelector::parse(s).map(|c| c.selector))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad_input(format!("--ignore: {e}")))?;
    let options = ExtractOptions {
        selector: selector.map(|s| s.selector),
        ignore,
    };
    if let (Some(dir), Some(out)) = (&args.dir, &args.out) {
        let run = extract::extract_folder(dir, out)?;
        eprintln!(
            "extracted {} pages into {} ({} failed)",
            run.pages,
            out.display(),
            run.failures.len()
        );
        for (name, reason) in &run.failures {
            eprintln!("redline: {name}: {reason}");
        }
        if run.failures.is_empty() {
            return Ok(Exit::Success);
        }
        let names: Vec<_> = run.failures.iter().map(|(name, _)| name.as_str()).collect();
        eprintln!(
            "redline: {} page{} failed: {}",
            names.len(),
            if names.len() == 1 { "" } else { "s" },
            names.join(", ")
        );
        return Ok(Exit::Failure);
    }
    let source = args
        .source
        .as_deref()
        .ok_or_else(|| bad_input("name a file or an address"))?;
    let html = read_source(watchlist, source).await?;
    let article = tokio::task::spawn_blocking(move || extract::extract(&html, &options))
        .await
        .map_err(|e| anyhow::anyhow!("extraction task failed: {e}"))??;
    let mut out = std::io::stdout().lock();
    match args.format {
        DataFormat::Json => writeln!(out, "{}", serde_json::to_string_pretty(&article)?)?,
        DataFormat::Text => writeln!(out, "{}", article.to_text())?,
    }
    Ok(Exit::Success)
}

/// The page's text from a file or an address. Addresses are fetched with
/// the watchlist's settings (user agent, limits) when there is a watchlist.
async fn read_source(watchlist: &Path, source: &str) -> Result<String, Failed> {
    if source.starts_with("http://") || source.starts_with("https://") {
        let url = url::Url::parse(source).map_err(|e| bad_input(format!("{source}: {e}")))?;
        let settings = match Watchlist::load(watchlist) {
            Ok(w) => w.settings,
            Err(_) => Settings::default_in(Path::new(".")),
        };
        let fetcher = Fetcher::new(&settings)?;
        return match fetcher.fetch(&url, &Validators::default()).await? {
            Fetched::Page(page) => Ok(page.html),
            Fetched::NotModified => {
                Err(anyhow::anyhow!("{source}: unexpected 304 without validators").into())
            }
        };
    }
    let bytes =
        std::fs::read(source).map_err(|e| bad_input(format!("cannot read {source}: {e}")))?;
    Ok(fetch::decode(bytes, ""))
}
