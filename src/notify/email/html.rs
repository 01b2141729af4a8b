//! The HTML part of an alert: the message's own frame around the shared
//! HTML renderer's account of the changes ([`html_changes`]). The frame is
//! a centred card in table layout that survives Gmail, Outlook and Apple
//! Mail: a kicker, the linked headline, the address, the one sentence from
//! [`Report::sentence`](crate::report::Report::sentence), the changes, and
//! a footer; digests repeat the middle part once per alert.
//!
//! Inline styles only; every page text goes through the renderer's
//! escape, links only to `http`/`https` addresses. Pure: no I/O, no clock.
//! It must not mark up changes (that is the report's
//! [`render`](mod@crate::report::render) module) nor build MIME parts or
//! headers.

use crate::notify::{Alert, Event};
use crate::report::SegmentOp;
use crate::report::html_changes;
use crate::report::render::{escape, labelled, link, marked};

use super::summary;

const INK: &str = "#1f2328";
const MUTED: &str = "#59636e";
const FONT: &str = "-apple-system,'Segoe UI',Helvetica,Arial,sans-serif";
const SERIF: &str = "Georgia,'Times New Roman',serif";

/// The HTML part of one alert.
pub fn alert(alert: &Alert) -> String {
    let mut body = String::new();
    section(alert, &mut body, true);
    let mut footer = format!(
        "Sent by redline for watch <b>{}</b>.",
        escape(alert.watch.as_str())
    );
    if matches!(alert.event, Event::Changed { .. }) {
        footer.push_str(&format!(
            " Inserted text is {}, deleted text {}.",
            marked("green and underlined", SegmentOp::Inserted),
            marked("red and struck through", SegmentOp::Deleted)
        ));
    }
    page(&summary::subject(alert), &body, &footer)
}

/// The HTML part of a digest of `alerts`.
pub fn digest(subject: &str, alerts: &[Alert]) -> String {
    let mut body = format!(
        "<p style=\"margin:0 0 20px;font:600 20px/1.3 {FONT};color:{INK};\">{}</p>",
        escape(&summary::one_line(subject))
    );
    for (i, a) in alerts.iter().enumerate() {
        if i > 0 {
            body.push_str("<hr style=\"border:0;border-top:1px solid #d1d9e0;margin:28px 0;\">");
        }
        section(a, &mut body, false);
    }
    page(
        subject,
        &body,
        "Sent by redline: a digest of change alerts.",
    )
}

/// The frame every message shares: a centred 680-pixel card.
fn page(title: &str, body: &str, footer: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{title}</title></head>\n\
         <body style=\"margin:0;padding:0;background-color:#f3f4f1;\">\
         <table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\" style=\"background-color:#f3f4f1;\">\
         <tr><td align=\"center\" style=\"padding:24px 12px;\">\
         <table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\" \
         style=\"max-width:680px;background-color:#ffffff;border:1px solid #d1d9e0;border-radius:6px;\">\
         <tr><td style=\"padding:28px 32px;font-family:{FONT};font-size:16px;line-height:1.55;color:{INK};\">\n\
         {body}\n</td></tr>\
         <tr><td style=\"padding:14px 32px;border-top:1px solid #d1d9e0;font:13px/1.5 {FONT};color:{MUTED};\">{footer}</td></tr>\
         </table></td></tr></table></body></html>\n",
        title = escape(&summary::one_line(title)),
    )
}

/// One alert: kicker, linked headline, sentence, notes, then the changes.
fn section(alert: &Alert, out: &mut String, top: bool) {
    let (kicker, colour) = match &alert.event {
        Event::Changed { reverted: true, .. } => ("Reverted", "#8250df"),
        Event::Changed { .. } => ("Updated", "#0969da"),
        Event::Failing { .. } => ("Checks failing", "#a40e26"),
        Event::Recovered { .. } => ("Recovered", "#0b5b1f"),
    };
    out.push_str(&format!(
        "<p style=\"margin:0 0 6px;font:600 12px/1.4 {FONT};letter-spacing:.06em;text-transform:uppercase;color:{colour};\">{kicker} · {}</p>\n",
        escape(alert.watch.as_str())
    ));
    let size = if top { 24 } else { 20 };
    let headline = escape(&summary::headline(alert));
    out.push_str(&format!(
        "<h1 style=\"margin:0 0 10px;font:700 {size}px/1.25 {SERIF};color:{INK};\">{}</h1>\n",
        link(
            &alert.url,
            &headline,
            &format!("color:{INK};text-decoration:none;")
        )
    ));
    out.push_str(&format!(
        "<p style=\"margin:0 0 18px;font-size:13px;color:{MUTED};word-break:break-all;\">{}</p>\n",
        link(&alert.url, &escape(&alert.url), "color:#0969da;")
    ));
    match &alert.event {
        Event::Changed {
            report,
            from_version,
            to_version,
            ..
        } => {
            out.push_str(&format!(
                "<p style=\"margin:0 0 20px;font-size:17px;\"><b>{}</b> <span style=\"color:{MUTED};font-size:13px;\">Version {from_version} → {to_version}, seen {}.</span></p>\n",
                escape(&report.sentence()),
                summary::when(&alert.time)
            ));
            out.push_str(&html_changes(report));
        }
        Event::Failing {
            reason,
            failures,
            since,
        } => {
            out.push_str(&format!(
                "<p style=\"margin:0 0 14px;\">{}</p>\n",
                escape(&summary::failing(*failures, since))
            ));
            let error = format!("<code style=\"font-size:14px;\">{}</code>", escape(reason));
            out.push_str(&labelled("Last error", &error, "#a40e26"));
        }
        Event::Recovered { failures, since } => {
            out.push_str(&format!(
                "<p style=\"margin:0 0 14px;\">{}</p>\n",
                escape(&summary::recovered(*failures, since))
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::article::{Block, BlockKind};
    use crate::report::{Change, NoteKind, NoteStatus, Report};
    use crate::watchlist::WatchName;

    fn changed(url: &str, report: Report) -> Alert {
        Alert {
            id: "story/v2".into(),
            watch: WatchName::parse("story").expect("a valid name"),
            url: url.into(),
            time: "2026-01-01T09:00:00Z".parse().expect("a valid time"),
            event: Event::Changed {
                headline: Some("Council <votes>".into()),
                from_version: 1,
                to_version: 2,
                report,
                reverted: false,
            },
        }
    }

    #[test]
    fn the_frame_holds_the_shared_sentence_and_changes_once() {
        let report = Report {
            changes: vec![
                Change::Added {
                    new_index: 2,
                    blocks: vec![Block::new(BlockKind::Paragraph, "New <i>fact</i>.")],
                },
                Change::Note {
                    new_index: 0,
                    kind: NoteKind::Correction,
                    status: NoteStatus::Added,
                    text: "Correction: a date was wrong.".into(),
                    date: None,
                    segments: Vec::new(),
                },
            ],
            ..Report::default()
        };
        let html = alert(&changed("https://example.org/story", report.clone()));
        let changes = html_changes(&report);
        assert_eq!(html.matches(&changes).count(), 1, "{html}");
        assert!(html.contains(&escape(&report.sentence())), "{html}");
        assert!(html.contains("Council &lt;votes&gt;</a></h1>"), "{html}");
        assert!(html.contains("New &lt;i&gt;fact&lt;/i&gt;."), "{html}");
        assert!(!html.contains("<style") && !html.contains("class="));
    }

    #[test]
    fn a_digest_frames_each_alert() {
        let one = changed("https://example.org/a", Report::default());
        let two = changed("javascript:alert(1)", Report::default());
        let html = digest("Digest: 2 alerts", &[one, two]);
        assert_eq!(html.matches("<h1 ").count(), 2, "{html}");
        assert_eq!(html.matches("<hr ").count(), 1, "{html}");
        assert_eq!(html.matches("href=").count(), 2, "{html}");
        assert!(!html.contains("javascript:alert(1)\""), "{html}");
    }
}
