//! The status server's HTML pages: the overview (every watch, then the
//! recent changes with their marked-up reports) and one watch's history.
//!
//! Read-only and without JavaScript: plain links and tables, the reports
//! drawn by the shared HTML renderer, every text from a page escaped.
//! Pure: it renders the facts it is given, with the time passed in.

use std::fmt::Write;

use chrono::{DateTime, Utc};

use super::facts::{ChangeFacts, WatchFacts};
use crate::report::render::escape;
use crate::report::{RenderContext, html_fragment};

const STYLE: &str = "body{font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;margin:24px;color:#1f2328;max-width:1100px}\
h1{font-size:24px;margin:0 0 4px 0}h2{font-size:19px;margin:28px 0 8px 0}\
p.meta{color:#59636e;font-size:13px;margin:0 0 16px 0}\
table{border-collapse:collapse;width:100%;font-size:14px}\
th,td{text-align:left;padding:6px 10px;border-bottom:1px solid #d1d9e0;vertical-align:top}\
th{background:#f6f8fa}.url{word-break:break-all;color:#59636e;font-size:12px}\
.ok{color:#1a7f37;font-weight:600}.failing{color:#cf222e;font-weight:600}.new{color:#59636e}\
.change{border:1px solid #d1d9e0;border-radius:6px;padding:12px 16px;margin:14px 0}\
.when{color:#59636e;font-size:13px;margin:0 0 6px 0}a{color:#0969da}";

/// The overview page.
pub fn overview(
    now: DateTime<Utc>,
    last_loop: Option<DateTime<Utc>>,
    watches: &[WatchFacts],
    changes: &[ChangeFacts],
) -> String {
    let mut body = String::from("<h1>redline</h1>\n");
    let _ = writeln!(
        body,
        "<p class=\"meta\">{} watches · scheduler last ran {} · page made {}</p>",
        watches.len(),
        last_loop.map_or("not yet".to_owned(), |t| when(t, now)),
        stamp(now)
    );
    body += "<h2>Watches</h2>\n";
    body += &watch_table(now, watches, "watch/");
    body += "<h2>Recent changes</h2>\n";
    if changes.is_empty() {
        body += "<p class=\"meta\">No change seen yet.</p>\n";
    }
    for change in changes {
        body += &change_section(now, change, true);
    }
    document("redline status", &body)
}

/// One watch's page: its line of facts and every change still stored.
pub fn watch_page(now: DateTime<Utc>, facts: &WatchFacts, changes: &[ChangeFacts]) -> String {
    let mut body = format!(
        "<p class=\"meta\"><a href=\"../\">← all watches</a></p>\n<h1>{}</h1>\n",
        escape(&facts.name)
    );
    let _ = writeln!(
        body,
        "<p class=\"meta\">{} · {} stored</p>",
        escape(&facts.url),
        match facts.versions {
            1 => "1 version".to_owned(),
            n => format!("{n} versions"),
        }
    );
    body += &watch_table(now, std::slice::from_ref(facts), "");
    body += "<h2>Changes</h2>\n";
    if changes.is_empty() {
        body += "<p class=\"meta\">No change seen yet.</p>\n";
    }
    for change in changes {
        body += &change_section(now, change, false);
    }
    document(&format!("{} · redline", facts.name), &body)
}

/// A small page for a status code.
pub fn message(title: &str, text: &str) -> String {
    let body = format!(
        "<h1>{}</h1>\n<p>{}</p>\n<p><a href=\"../\">all watches</a></p>\n",
        escape(title),
        escape(text)
    );
    document(title, &body)
}

fn document(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width\">\n<title>{}</title>\n\
         <style>{STYLE}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        escape(title)
    )
}

/// The table of watches; `link` is the path from the page to the watch
/// pages' folder, relative so that the pages work behind a path prefix.
fn watch_table(now: DateTime<Utc>, watches: &[WatchFacts], link: &str) -> String {
    let mut out = String::from(
        "<table>\n<tr><th>Watch</th><th>Health</th><th>Last check</th><th>Last change</th><th>Next check</th></tr>\n",
    );
    for w in watches {
        let name = escape(&w.name);
        let _ = writeln!(
            out,
            "<tr><td><a href=\"{link}{name}\">{name}</a><br><span class=\"url\">{}</span></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&w.url),
            health(w),
            w.last_check.map_or("never".to_owned(), |t| when(t, now)),
            w.last_change.map_or("none".to_owned(), |t| when(t, now)),
            w.next_due
                .map_or("not planned".to_owned(), |t| when(t, now)),
        );
    }
    out += "</table>\n";
    out
}

/// The watch's health in words, coloured.
fn health(w: &WatchFacts) -> String {
    match (&w.last_outcome, w.failures) {
        (None, _) => "<span class=\"new\">not checked yet</span>".to_owned(),
        (Some(_), 0) => format!(
            "<span class=\"ok\">ok</span> ({})",
            escape(w.last_outcome.as_deref().unwrap_or_default())
        ),
        (Some(_), n) => format!(
            "<span class=\"failing\">failing</span> ({n} in a row)<br>{}",
            escape(w.last_error.as_deref().unwrap_or_default())
        ),
    }
}

fn change_section(now: DateTime<Utc>, change: &ChangeFacts, with_link: bool) -> String {
    let (from, to) = (format!("v{}", change.from), format!("v{}", change.to));
    let context = RenderContext {
        watch: Some(&change.watch),
        url: Some(&change.url),
        headline: change.headline.as_deref(),
        from: Some(&from),
        to: Some(&to),
    };
    let name = escape(&change.watch);
    let label = if with_link {
        format!("<a href=\"watch/{name}\">{name}</a>")
    } else {
        name
    };
    format!(
        "<div class=\"change\">\n<p class=\"when\">{label} · {}</p>\n{}</div>\n",
        when(change.at, now),
        html_fragment(&change.report, &context)
    )
}

/// A time to the second, with how long ago or ahead it is.
fn when(time: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let seconds = (time - now).num_seconds();
    let span = humantime::format_duration(std::time::Duration::from_secs(seconds.unsigned_abs()));
    let relative = match seconds {
        0 => "now".to_owned(),
        s if s > 0 => format!("in {span}"),
        _ => format!("{span} ago"),
    };
    format!("{} ({relative})", stamp(time))
}

fn stamp(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_relative_to_now() {
        let now = DateTime::parse_from_rfc3339("2026-04-25T10:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        let cases = [
            (-90, "2026-04-25 09:58:30 UTC (1m 30s ago)"),
            (0, "2026-04-25 10:00:00 UTC (now)"),
            (3600, "2026-04-25 11:00:00 UTC (in 1h)"),
        ];
        for (offset, expected) in cases {
            assert_eq!(when(now + chrono::Duration::seconds(offset), now), expected);
        }
    }

    #[test]
    fn page_text_is_escaped() {
        let facts = WatchFacts {
            name: "w".into(),
            url: "https://example.org/?a=<b>".into(),
            last_check: None,
            last_change: None,
            last_outcome: Some("failed".into()),
            failures: 2,
            last_error: Some("<script>".into()),
            next_due: None,
            versions: 0,
        };
        let page = watch_page(Utc::now(), &facts, &[]);
        assert!(!page.contains("<script>"), "{page}");
        assert!(page.contains("&lt;script&gt;"));
        assert!(page.contains("failing"));
    }
}
