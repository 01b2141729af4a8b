//! `redline demo`: the seed article's story, told by the real pipeline on
//! loopback. No internet is needed and nothing outside a temporary folder
//! is written.

use std::io::Write;
use std::path::Path;

use super::{Exit, Failed, Outcome};
use crate::check::{Drive, Outcome as Checked, Pipeline};
use crate::demo::{FixtureServer, SEED_PATH, SEED_V1, SEED_V1_CHROME, SEED_V2};
use crate::report::{self, RenderContext};
use crate::watchlist::Watchlist;

/// The demo watch's name.
const WATCH: &str = "binance-russia-data";

/// `redline demo`.
pub async fn demo() -> Outcome {
    let server = FixtureServer::start(SEED_V1).await?;
    let folder = tempfile::tempdir()?;
    let url = server.url(SEED_PATH);
    let watchlist = demo_watchlist(folder.path(), &url)?;
    let pipeline = Pipeline::from_watchlist(&watchlist, Drive::OnePass)?;
    let mut out = std::io::stdout();
    writeln!(out, "redline demo: the seed article served at {url}\n")?;

    // Serves `html`, then checks the watch once, as the daemon would.
    let step = async |html: &str| {
        server.serve(html);
        let checked = pipeline.check_all(watchlist.watches.clone(), 1).await;
        checked.into_iter().next().map(|c| c.result)
    };
    let Some(Ok(Checked::Baseline { version })) = step(SEED_V1).await else {
        return Err(anyhow::anyhow!("demo: the first check did not record a baseline").into());
    };
    let article = pipeline
        .store()
        .load(&watchlist.watches[0].name, version)?
        .article;
    let (blocks, words) = (article.blocks.len(), article.word_count());
    writeln!(
        out,
        "1. first version served: baseline recorded as version {version} ({blocks} blocks, {words} words); no alert"
    )?;
    writeln!(
        out,
        "2. same page again: {}",
        describe(&step(SEED_V1).await)
    )?;
    let chrome = describe(&step(SEED_V1_CHROME).await);
    writeln!(
        out,
        "3. new ad, reordered links, new timestamp and CSRF token: {chrome}"
    )?;
    let update = step(SEED_V2).await;
    let Some(Ok(Checked::Changed {
        headline,
        from,
        to,
        report,
    })) = update
    else {
        return Err(
            anyhow::anyhow!("demo: the April 25 update was not detected: {update:?}").into(),
        );
    };
    writeln!(
        out,
        "4. April 25 update served: change detected, version {from} → {to}\n"
    )?;
    let (from, to) = (format!("v{from}"), format!("v{to}"));
    let context = RenderContext {
        watch: Some(WATCH),
        url: Some(url.as_str()),
        headline: headline.as_deref(),
        from: Some(&from),
        to: Some(&to),
    };
    let format = super::OutputFormat::Text.report_format();
    writeln!(
        out,
        "{}",
        report::render(&report, &context, format).trim_end()
    )?;
    Ok(Exit::Success)
}

/// Writes and loads the demo's watchlist: one watch of `url`, its store in `folder`.
fn demo_watchlist(folder: &Path, url: &url::Url) -> Result<Watchlist, Failed> {
    let path = folder.join("watchlist.toml");
    let text = format!(
        "[settings]\nsnapshots = \"snapshots\"\nper_host_interval = \"0s\"\n\n[[watch]]\nname = \"{WATCH}\"\nurl = \"{url}\"\n"
    );
    std::fs::write(&path, text)?;
    Ok(Watchlist::load(&path)?)
}

fn describe(result: &Option<Result<Checked, crate::check::CheckError>>) -> String {
    match result {
        Some(Ok(Checked::NotModified)) => {
            "304 Not Modified; nothing extracted, no alert".to_owned()
        }
        Some(Ok(Checked::Unchanged)) => {
            "the article is unchanged; nothing stored, no alert".to_owned()
        }
        Some(Ok(other)) => format!("unexpected outcome: {}", other.word()),
        Some(Err(e)) => format!("check failed: {}", crate::error_chain(e)),
        None => "no result".to_owned(),
    }
}
