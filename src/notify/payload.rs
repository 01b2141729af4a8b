//! The bodies that programs receive: the alert as one JSON document (the
//! `webhook` channel's default and the `command` channel's standard input)
//! and the short text summaries of the Slack and Discord presets.
//!
//! A change's document is the change report exactly as `redline check
//! --format json` prints it (`report::render`, versioned by
//! `Report::SCHEMA`), with three fields added, which that schema allows:
//! `event` (`changed`, `reverted`, `failing` or `recovered`), `alert` (the
//! alert's id, the same on every retry, so a receiver can drop a repeat)
//! and `time`. A failing or recovered watch has no report: its document
//! has the same `schema`, `event`, `alert`, `time`, `context` and
//! `summary`, and the failure's facts.
//!
//! Pure: a function of the alert, so that a retry sends the same bytes.
//! It must not send anything.

use serde_json::{Value, json};

use super::email::summary;
use super::{Alert, Event};
use crate::report::render::{Format, RenderContext};
use crate::report::{self, Report};

/// The event's word in documents, headers and the command's environment.
pub fn event_word(alert: &Alert) -> &'static str {
    match &alert.event {
        Event::Changed { reverted: true, .. } => "reverted",
        Event::Changed { .. } => "changed",
        Event::Failing { .. } => "failing",
        Event::Recovered { .. } => "recovered",
    }
}

/// The alert as one JSON document, ending with a newline.
pub fn document(alert: &Alert) -> Vec<u8> {
    let mut doc = match &alert.event {
        Event::Changed {
            headline,
            from_version,
            to_version,
            report,
            ..
        } => {
            let (from, to) = (format!("v{from_version}"), format!("v{to_version}"));
            let context = RenderContext {
                watch: Some(alert.watch.as_str()),
                url: Some(&alert.url),
                headline: headline.as_deref(),
                from: Some(&from),
                to: Some(&to),
            };
            // The report's own renderer, so that the schema is said once.
            let text = report::render(report, &context, Format::Json);
            serde_json::from_str(&text).expect("the JSON renderer writes a JSON object")
        }
        Event::Failing {
            reason,
            failures,
            since,
        } => json!({
            "schema": Report::SCHEMA,
            "context": { "watch": alert.watch.as_str(), "url": alert.url },
            "summary": summary::subject(alert),
            "failures": failures, "since": since, "reason": reason,
        }),
        Event::Recovered { failures, since } => json!({
            "schema": Report::SCHEMA,
            "context": { "watch": alert.watch.as_str(), "url": alert.url },
            "summary": summary::subject(alert),
            "failures": failures, "since": since,
        }),
    };
    if let Value::Object(fields) = &mut doc {
        fields.insert("event".into(), event_word(alert).into());
        fields.insert("alert".into(), alert.id.clone().into());
        fields.insert("time".into(), json!(alert.time));
    }
    let mut out =
        serde_json::to_vec_pretty(&doc).expect("a document holds only strings, numbers and maps");
    out.push(b'\n');
    out
}

/// The one-line summary and the address, for a chat message.
fn summary_lines(alert: &Alert) -> String {
    let mut text = format!("redline: {}\n{}", summary::subject(alert), alert.url);
    if let Event::Changed { report, .. } = &alert.event {
        let counts = report.summary();
        if !counts.is_empty() {
            text.push_str(&format!("\n{}", summary::one_line(&counts)));
        }
    }
    text
}

/// A Slack incoming webhook's body: `{"text": …}`, with the three
/// characters Slack reads as markup escaped.
pub fn slack(alert: &Alert) -> Vec<u8> {
    let text = summary_lines(alert)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    json!({ "text": text }).to_string().into_bytes()
}

/// Discord's limit on a message's content, in characters.
const DISCORD_MAX: usize = 2000;

/// A Discord webhook's body: `{"content": …}`, cut to Discord's limit,
/// with mentions turned off so that page text never pings anyone.
pub fn discord(alert: &Alert) -> Vec<u8> {
    let content = summary::shorten(&summary_lines(alert), DISCORD_MAX - 1);
    json!({ "content": content, "allowed_mentions": { "parse": [] } })
        .to_string()
        .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::watchlist::WatchName;

    fn alert(event: Event) -> Alert {
        Alert {
            id: "story/v1-a/v2-b".into(),
            watch: WatchName::parse("story").expect("name"),
            url: "https://example.org/a?x=<1>&y".into(),
            time: "2026-04-25T10:00:00Z".parse().expect("time"),
            event,
        }
    }

    #[test]
    fn a_change_is_the_report_document_with_the_alert_fields() {
        let change = alert(Event::Changed {
            headline: Some("Title".into()),
            from_version: 1,
            to_version: 2,
            report: Report::default(),
            reverted: false,
        });
        let doc: Value = serde_json::from_slice(&document(&change)).expect("json");
        assert_eq!(doc["schema"], Report::SCHEMA);
        assert_eq!(doc["event"], "changed");
        assert_eq!(doc["alert"], "story/v1-a/v2-b");
        assert_eq!(doc["context"]["to"], "v2");
        let failing = alert(Event::Failing {
            reason: "fetch: timeout".into(),
            failures: 3,
            since: change.time,
        });
        let doc: Value = serde_json::from_slice(&document(&failing)).expect("json");
        assert_eq!(
            (doc["event"].as_str(), doc["failures"].as_u64()),
            (Some("failing"), Some(3))
        );
    }

    #[test]
    fn chat_presets_are_short_text_and_escaped() {
        let recovered = alert(Event::Recovered {
            failures: 4,
            since: "2026-04-25T09:00:00Z".parse().expect("time"),
        });
        let slack: Value = serde_json::from_slice(&slack(&recovered)).expect("json");
        let text = slack["text"].as_str().expect("text");
        assert!(text.starts_with("redline: Recovered: story"), "{text}");
        assert!(text.contains("x=&lt;1&gt;&amp;y"), "{text}");
        let discord: Value = serde_json::from_slice(&discord(&recovered)).expect("json");
        assert!(
            discord["content"]
                .as_str()
                .expect("content")
                .contains("x=<1>&y")
        );
        assert_eq!(discord["allowed_mentions"]["parse"], json!([]));
    }
}
