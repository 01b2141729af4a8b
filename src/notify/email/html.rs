//! The HTML part of an alert, made to survive Gmail, Outlook and Apple
//! Mail: table layout, inline styles only (no `<style>`, no classes, no
//! scripts, no images), inserted words green and underlined, deleted words
//! red and struck through, bold and italic from the page kept.
//!
//! Every piece of page text goes through [`escape`]; links are written only
//! for `http`/`https` addresses. Pure: no I/O, no clock; it must not build
//! MIME parts or headers.

use crate::article::Block;
use crate::article::Style;
use crate::notify::{Alert, Event};
use crate::report::{Change, Finding, PARAGRAPH_BREAK, Report, Segment, SegmentOp, TextChange};

use super::summary::{self, Run};

const INK: &str = "#1f2328";
const MUTED: &str = "#59636e";
const FONT: &str = "-apple-system,'Segoe UI',Helvetica,Arial,sans-serif";
const SERIF: &str = "Georgia,'Times New Roman',serif";
/// Inserted text: green, underlined (so that it reads without colour too).
/// The underline is a lighter green so that whole added paragraphs stay
/// readable; clients that drop `text-decoration-color` show it in the text colour.
const INS: &str = "background-color:#dafbe1;color:#0b5b1f;text-decoration:underline;text-decoration-color:#7cc58f;";
/// Deleted text: red, struck through.
const DEL: &str = "background-color:#ffebe9;color:#a40e26;text-decoration:line-through;";

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A link to `url` around `label` (already escaped), or the label alone
/// when the address is not http(s): a `javascript:` URL never becomes a link.
fn link(url: &str, label: &str, style: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => {
            format!(
                "<a href=\"{}\" style=\"{style}\">{label}</a>",
                escape(u.as_str())
            )
        }
        _ => label.to_owned(),
    }
}

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
            " Inserted text is <ins style=\"{INS}\">green and underlined</ins>, \
             deleted text <del style=\"{DEL}\">red and struck through</del>."
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
                escape(&summary::sentence(report)),
                alert.time.format("%Y-%m-%d %H:%M UTC")
            ));
            report_html(report, out);
        }
        Event::Failing {
            reason,
            failures,
            since,
        } => {
            out.push_str(&format!(
                "<p style=\"margin:0 0 14px;\">The last <b>{failures}</b> checks of this watch failed, the first at {}. \
                 You will get one more message when it works again.</p>\n",
                since.format("%Y-%m-%d %H:%M UTC")
            ));
            let error = format!("<code style=\"font-size:14px;\">{}</code>", escape(reason));
            out.push_str(&labelled("Last error", &error, "#a40e26"));
        }
        Event::Recovered { failures, since } => {
            out.push_str(&format!(
                "<p style=\"margin:0 0 14px;\">The watch works again after <b>{failures}</b> failed checks since {}.</p>\n",
                since.format("%Y-%m-%d %H:%M UTC")
            ));
        }
    }
}

/// A report's changes, block by block. This is the part to hand to the
/// shared HTML renderer (the report renderers' `html_fragment`) once it
/// marks changes as this does.
fn report_html(report: &Report, out: &mut String) {
    if let Some(h) = &report.headline {
        out.push_str(&labelled("Headline changed", &text_change(h), "#8c959f"));
    }
    if let Some(b) = &report.byline {
        out.push_str(&labelled("Byline changed", &text_change(b), "#8c959f"));
    }
    // Notes first: they are the publisher's own account of the change;
    // then the facts a reporter looks for; then the rest.
    for change in report.notes() {
        out.push_str(&change_html(change));
    }
    if !report.findings.is_empty() {
        out.push_str(&findings_html(&report.findings));
    }
    let rest = report
        .changes
        .iter()
        .filter(|c| !matches!(c, Change::Note { .. }));
    for change in rest {
        out.push_str(&change_html(change));
    }
}

/// A change block: small grey label, then the content behind a coloured bar.
fn labelled(label: &str, content: &str, bar: &str) -> String {
    format!(
        "<p style=\"margin:22px 0 6px;font:600 12px/1.4 {FONT};letter-spacing:.04em;text-transform:uppercase;color:{MUTED};\">{}</p>\n\
         <div style=\"border-left:4px solid {bar};padding:2px 0 2px 14px;font-family:{SERIF};font-size:16px;line-height:1.6;\">{content}</div>\n",
        escape(label)
    )
}

fn text_change(change: &TextChange) -> String {
    if !change.segments.is_empty() {
        return segments_html(&change.segments);
    }
    format!(
        "<del style=\"{DEL}\">{}</del> → <ins style=\"{INS}\">{}</ins>",
        escape(&change.old),
        escape(&change.new)
    )
}

/// An edit word by word: kept words plain, inserted ones green and
/// underlined, deleted ones red and struck, a split or merged paragraph
/// shown as a break or a struck ¶.
fn segments_html(segments: &[Segment]) -> String {
    let mut html = String::from("<p style=\"margin:0;\">");
    let mut previous = SegmentOp::Equal;
    for s in segments {
        // A deletion right before an insertion ("presidentPresident")
        // needs a space between them to read as two words.
        if previous == SegmentOp::Deleted && s.op == SegmentOp::Inserted {
            html.push(' ');
        }
        previous = s.op;
        if s.text == PARAGRAPH_BREAK {
            match s.op {
                SegmentOp::Inserted => html.push_str("</p><p style=\"margin:10px 0 0;\">"),
                SegmentOp::Deleted => html.push_str(&format!(" <del style=\"{DEL}\">¶</del> ")),
                SegmentOp::Equal => html.push(' '),
            }
            continue;
        }
        let text = if s.emphasised {
            format!("<b>{}</b>", escape(&s.text))
        } else {
            escape(&s.text)
        };
        match s.op {
            SegmentOp::Equal => html.push_str(&text),
            SegmentOp::Inserted => html.push_str(&format!("<ins style=\"{INS}\">{text}</ins>")),
            SegmentOp::Deleted => html.push_str(&format!("<del style=\"{DEL}\">{text}</del>")),
        }
    }
    html.push_str("</p>");
    html
}

fn change_html(change: &Change) -> String {
    let label = summary::change_label(change);
    match change {
        Change::Added { blocks, .. } => {
            let bold = blocks.iter().all(summary::mostly_bold);
            let label = if bold {
                format!("{label} · bold on the page")
            } else {
                label
            };
            labelled(&label, &blocks_html(blocks, INS, "ins"), "#1a7f37")
        }
        Change::Removed { blocks, .. } => {
            labelled(&label, &blocks_html(blocks, DEL, "del"), "#cf222e")
        }
        Change::Edited { segments, .. } => labelled(&label, &segments_html(segments), "#bf8700"),
        Change::Moved {
            block, segments, ..
        } => {
            let body = if segments.is_empty() {
                format!("<p style=\"margin:0;\">{}</p>", styled(block))
            } else {
                segments_html(segments)
            };
            labelled(&label, &body, "#8250df")
        }
        Change::Emphasised { text, style, .. } => labelled(
            &label,
            &format!("<p style=\"margin:0;\">{}</p>", styled_text(text, *style)),
            "#bf8700",
        ),
        Change::Deemphasised { text, .. } => labelled(
            &label,
            &format!("<p style=\"margin:0;\">{}</p>", escape(text)),
            "#8c959f",
        ),
        Change::Note { text, segments, .. } => {
            let body = if segments.is_empty() {
                escape(text)
            } else {
                segments_html(segments)
            };
            let body = format!(
                "<div style=\"margin:0;background-color:#fff8c5;padding:8px 10px;font-style:italic;\">{body}</div>"
            );
            labelled(&label, &body, "#d4a72c")
        }
    }
}

fn blocks_html(blocks: &[Block], style: &str, tag: &str) -> String {
    blocks
        .iter()
        .map(|b| {
            format!(
                "<p style=\"margin:0 0 10px;\"><{tag} style=\"{style}\">{}</{tag}></p>",
                styled(b)
            )
        })
        .collect()
}

fn styled_text(text: &str, style: Style) -> String {
    match style {
        Style::Bold => format!("<b>{}</b>", escape(text)),
        Style::Italic => format!("<i>{}</i>", escape(text)),
    }
}

/// The facts a reporter looks for first: numbers changed, quotes added or gone.
fn findings_html(findings: &[Finding]) -> String {
    let items: String = findings
        .iter()
        .map(|f| match f {
            Finding::NumberChanged { old, new, sentence, .. } => format!(
                "<li style=\"margin:0 0 6px;\"><del style=\"{DEL}\">{}</del> → <ins style=\"{INS}\">{}</ins> in “{}”</li>",
                escape(old),
                escape(new),
                escape(sentence)
            ),
            Finding::QuoteAdded { text, .. } => {
                format!("<li style=\"margin:0 0 6px;\">New quote: <ins style=\"{INS}\">“{}”</ins></li>", escape(text))
            }
            Finding::QuoteRemoved { text, .. } => {
                format!("<li style=\"margin:0 0 6px;\">Quote gone: <del style=\"{DEL}\">“{}”</del></li>", escape(text))
            }
        })
        .collect();
    labelled(
        "Key facts",
        &format!("<ul style=\"margin:0;padding-left:18px;\">{items}</ul>"),
        "#0969da",
    )
}

/// A block's text with its bold and italic runs.
fn styled(block: &Block) -> String {
    summary::runs(block).iter().map(run_html).collect()
}

fn run_html(run: &Run<'_>) -> String {
    let mut html = escape(run.text);
    if run.italic {
        html = format!("<i>{html}</i>");
    }
    if run.bold {
        html = format!("<b>{html}</b>");
    }
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_neutralises_markup() {
        let cases = [
            (
                "<script>alert(1)</script>",
                "&lt;script&gt;alert(1)&lt;/script&gt;",
            ),
            (
                "<img src=x onerror=\"alert(1)\">",
                "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;",
            ),
            ("Tom & Jerry's", "Tom &amp; Jerry&#39;s"),
        ];
        for (input, want) in cases {
            assert_eq!(escape(input), want);
        }
    }

    #[test]
    fn only_web_addresses_become_links() {
        assert!(
            link("https://example.org/a?b=1&c=\"", "x", "")
                .starts_with("<a href=\"https://example.org/a?b=1&amp;c=%22\"")
        );
        assert_eq!(link("javascript:alert(1)", "x", ""), "x");
        assert_eq!(link("not a url", "x", ""), "x");
    }
}
