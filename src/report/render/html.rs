//! The HTML face of a report: the body of the email alert.
//!
//! Made to survive Gmail, Outlook and Apple Mail: inline styles only (mail
//! clients drop style sheets and `<style>` elements), each change a
//! one-column presentation table (Outlook ignores padding and borders on
//! `<div>`), every page text escaped, links only to `http`/`https`
//! addresses, no script, no image, no external resource. Order: headline,
//! what changed in one sentence, notes first, findings, then the changes
//! block by block under a coloured bar: added words green and underlined,
//! removed words red and struck through, bold and italic shown as such.
//! It must not compute differences: it marks what the report says.

use super::label::label;
use super::{RenderContext, Run, block_runs, replaced_runs, segment_runs, split_space};
use crate::article::{Block, Style};
use crate::report::{Change, Finding, PARAGRAPH_BREAK, Report, Segment, SegmentOp, TextChange};

const SANS: &str = "-apple-system,'Segoe UI',Helvetica,Arial,sans-serif";
const WRAP: &str = "font-family:Georgia,'Times New Roman',serif;font-size:16px;line-height:1.5;color:#1f2328;max-width:720px";
const TITLE: &str = "font-size:22px;line-height:1.3;margin:0 0 6px 0";
const META: &str = "font-family:Helvetica,Arial,sans-serif;font-size:13px;color:#59636e;margin:0";
const LEAD: &str = "font-size:17px;margin:16px 0";
const PARA: &str = "margin:0 0 10px 0";
/// Inserted text: green, underlined (so that it reads without colour too).
/// The underline is a lighter green so that whole added paragraphs stay
/// readable; clients that drop `text-decoration-color` draw it in the text
/// colour.
const INS: &str = "background-color:#dafbe1;color:#0b5b1f;text-decoration:underline;text-decoration-color:#7cc58f";
/// Deleted text: red, struck through.
const DEL: &str = "background-color:#ffebe9;color:#a40e26;text-decoration:line-through";

/// The colour of the bar beside each kind of change.
mod bar {
    pub const ADDED: &str = "#1a7f37";
    pub const REMOVED: &str = "#cf222e";
    pub const EDITED: &str = "#bf8700";
    pub const MOVED: &str = "#8250df";
    pub const NOTE: &str = "#d4a72c";
    pub const FINDINGS: &str = "#0969da";
    pub const QUIET: &str = "#8c959f";
}

/// A complete HTML document holding [`fragment`].
pub(crate) fn document(report: &Report, ctx: &RenderContext) -> String {
    let title = escape(title(report, ctx));
    format!(
        "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width\">\n\
         <title>{title}</title>\n</head>\n<body style=\"margin:0;padding:16px;background-color:#ffffff\">\n{}</body>\n</html>\n",
        fragment(report, ctx)
    )
}

fn title<'a>(report: &'a Report, ctx: &RenderContext<'a>) -> &'a str {
    ctx.headline
        .or(report.headline.as_ref().map(|h| h.new.as_str()))
        .unwrap_or("Untitled article")
}

/// The report as an HTML fragment (one `<div>` with inline styles), to
/// embed in a larger page or message.
pub fn fragment(report: &Report, ctx: &RenderContext) -> String {
    let mut out = format!("<div style=\"{WRAP}\">\n");
    out += &format!(
        "<h1 style=\"{TITLE}\">{}</h1>\n",
        escape(title(report, ctx))
    );
    out += &context_line(ctx);
    out += &format!(
        "<p style=\"{LEAD}\"><strong>What changed:</strong> {}</p>\n",
        escape(&report.sentence())
    );
    out += &changes(report);
    out += "</div>\n";
    out
}

/// The report's changes only, without title, context or lead sentence:
/// notes first, findings, the headline, titles and byline, then the body's changes
/// block by block. For a message that writes its own heading.
pub fn changes(report: &Report) -> String {
    let mut out = String::new();
    for change in report.notes() {
        if let Change::Note { text, segments, .. } = change {
            let body = if segments.is_empty() {
                paragraph(&escape(text))
            } else {
                edited(segments)
            };
            out += &block(
                &label(change),
                &body,
                bar::NOTE,
                "background-color:#fff8c5;",
            );
        }
    }
    if !report.findings.is_empty() {
        let items: String = report.findings.iter().map(finding).collect();
        let list = format!("<ul style=\"margin:0 0 10px 0;padding-left:18px\">\n{items}</ul>\n");
        out += &labelled("Findings", &list, bar::FINDINGS);
    }
    for (name, field) in report.field_changes() {
        out += &labelled(&format!("{name} changed"), &text_change(field), bar::QUIET);
    }
    for change in report
        .changes
        .iter()
        .filter(|c| !matches!(c, Change::Note { .. }))
    {
        out += &labelled(&label(change), &body(change), bar_of(change));
    }
    out
}

/// A change under its label: a small grey heading, then `body_html` (already
/// marked up) behind a coloured bar. A one-column table, so that Outlook
/// draws the bar and the padding.
pub(crate) fn labelled(text: &str, body_html: &str, colour: &str) -> String {
    block(text, body_html, colour, "")
}

fn block(text: &str, body_html: &str, colour: &str, extra: &str) -> String {
    format!(
        "<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\" style=\"border-collapse:collapse\">\n\
         <tr><td style=\"padding:20px 0 6px 0;font-family:{SANS};font-size:12px;font-weight:bold;line-height:1.4;color:#59636e;text-transform:uppercase;letter-spacing:0.04em\">{}</td></tr>\n\
         <tr><td style=\"border-left:4px solid {colour};padding:8px 10px 0 14px;{extra}\">\n{body_html}</td></tr>\n</table>\n",
        escape(text)
    )
}

fn bar_of(change: &Change) -> &'static str {
    match change {
        Change::Added { .. } => bar::ADDED,
        Change::Removed { .. } => bar::REMOVED,
        Change::Edited { .. } | Change::Emphasised { .. } => bar::EDITED,
        Change::Moved { .. } => bar::MOVED,
        Change::Deemphasised { .. } => bar::QUIET,
        Change::Note { .. } => bar::NOTE,
    }
}

/// One finding as a list item, its place in words as the labels say it,
/// the old and new words marked.
fn finding(f: &Finding) -> String {
    let item = match f {
        Finding::NumberChanged {
            new_index,
            old,
            new,
            sentence,
        } => format!(
            "Paragraph {}: {} → {} in “{}”",
            new_index + 1,
            marked(old, SegmentOp::Deleted),
            marked(new, SegmentOp::Inserted),
            escape(sentence)
        ),
        Finding::QuoteAdded { new_index, text } => format!(
            "Paragraph {}: quote added: {}",
            new_index + 1,
            marked(&format!("“{text}”"), SegmentOp::Inserted)
        ),
        Finding::QuoteRemoved { old_index, text } => format!(
            "Old paragraph {}: quote removed: {}",
            old_index + 1,
            marked(&format!("“{text}”"), SegmentOp::Deleted)
        ),
    };
    format!("<li style=\"margin:0 0 6px 0\">{item}</li>\n")
}

/// A link to `url` around `label_html` (already escaped), or the label
/// alone when the address is not http(s): a watchlist or a page cannot
/// inject a `javascript:` or `data:` link into an email.
pub(crate) fn link(url: &str, label_html: &str, style: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => format!(
            "<a href=\"{}\" style=\"{style}\">{label_html}</a>",
            escape(u.as_str())
        ),
        _ => label_html.to_owned(),
    }
}

/// Watch, address and versions, on one muted line.
fn context_line(ctx: &RenderContext) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(watch) = ctx.watch {
        parts.push(escape(watch));
    }
    if let Some(url) = ctx.url {
        parts.push(link(url, &escape(url), "color:#59636e"));
    }
    if ctx.from.is_some() || ctx.to.is_some() {
        parts.push(escape(&format!(
            "{} → {}",
            ctx.from.unwrap_or("?"),
            ctx.to.unwrap_or("?")
        )));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("<p style=\"{META}\">{}</p>\n", parts.join(" · "))
    }
}

fn body(change: &Change) -> String {
    match change {
        Change::Added { blocks, .. } => whole(blocks, SegmentOp::Inserted),
        Change::Removed { blocks, .. } => whole(blocks, SegmentOp::Deleted),
        Change::Moved {
            block, segments, ..
        } if segments.is_empty() => whole(std::slice::from_ref(block), SegmentOp::Equal),
        Change::Edited { segments, .. }
        | Change::Moved { segments, .. }
        | Change::Note { segments, .. } => edited(segments),
        Change::Emphasised { text, style, .. } => paragraph(&mark(&Run {
            text,
            op: SegmentOp::Equal,
            bold: *style == Style::Bold,
            italic: *style == Style::Italic,
        })),
        Change::Deemphasised { text, .. } => paragraph(&escape(text)),
    }
}

fn paragraph(inner: &str) -> String {
    format!("<p style=\"{PARA}\">{inner}</p>\n")
}

fn whole(blocks: &[Block], op: SegmentOp) -> String {
    blocks
        .iter()
        .map(|b| paragraph(&block_runs(b, op).iter().map(mark).collect::<String>()))
        .collect()
}

/// An edit's segments; a paragraph break that the new version has closes
/// the paragraph.
fn edited(segments: &[Segment]) -> String {
    let (mut out, mut line) = (String::new(), String::new());
    let mut previous = SegmentOp::Equal;
    for run in segment_runs(segments) {
        // A deletion right before an insertion ("presidentPresident") needs
        // a space between them to read as two words.
        if previous == SegmentOp::Deleted
            && run.op == SegmentOp::Inserted
            && !line.ends_with(char::is_whitespace)
            && !run.text.starts_with(char::is_whitespace)
        {
            line.push(' ');
        }
        previous = run.op;
        if run.text == PARAGRAPH_BREAK {
            if run.op != SegmentOp::Equal {
                line += &mark(&Run { text: "¶", ..run });
            }
            if run.op != SegmentOp::Deleted {
                out += &paragraph(&std::mem::take(&mut line));
            }
            continue;
        }
        line += &mark(&run);
    }
    out + &paragraph(&line)
}

fn text_change(field: &TextChange) -> String {
    if !field.segments.is_empty() {
        return edited(&field.segments);
    }
    let shown: Vec<String> = replaced_runs(field).iter().map(mark).collect();
    paragraph(&shown.join(" → "))
}

/// One run, escaped, with its emphasis and its op. White space at either
/// end stays outside the marks, so that no lone space is underlined.
fn mark(run: &Run) -> String {
    let (lead, inner, trail) = split_space(run.text);
    if inner.is_empty() {
        return escape(lead);
    }
    let mut html = escape(inner);
    if run.italic {
        html = format!("<em>{html}</em>");
    }
    if run.bold {
        html = format!("<strong>{html}</strong>");
    }
    html = match run.op {
        SegmentOp::Inserted => format!("<ins style=\"{INS}\">{html}</ins>"),
        SegmentOp::Deleted => format!("<del style=\"{DEL}\">{html}</del>"),
        SegmentOp::Equal => html,
    };
    format!("{}{html}{}", escape(lead), escape(trail))
}

/// `text`, escaped and marked as inserted or deleted (as kept: escaped
/// only), in the colours the changes are shown in.
pub(crate) fn marked(text: &str, op: SegmentOp) -> String {
    mark(&Run {
        text,
        op,
        bold: false,
        italic: false,
    })
}

/// Escapes text for HTML element content and attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_drops_controls() {
        assert_eq!(
            escape("<b>\"Tom\" & 'Jerry'</b>\u{1b}[31m"),
            "&lt;b&gt;&quot;Tom&quot; &amp; &#39;Jerry&#39;&lt;/b&gt;[31m"
        );
    }

    #[test]
    fn only_web_addresses_become_links() {
        let ctx = |url| RenderContext {
            url: Some(url),
            ..RenderContext::default()
        };
        assert!(
            context_line(&ctx("https://example.org/a?b=1&c=2"))
                .contains("href=\"https://example.org/a?b=1&amp;c=2\"")
        );
        assert!(!context_line(&ctx("javascript:alert(1)")).contains("href"));
        assert!(
            link("https://example.org/a?b=1&c=\"", "x", "")
                .starts_with("<a href=\"https://example.org/a?b=1&amp;c=%22\"")
        );
        assert_eq!(link("javascript:alert(1)", "x", ""), "x");
        assert_eq!(link("not a url", "x", ""), "x");
    }

    fn segment(op: SegmentOp, text: &str) -> Segment {
        Segment {
            op,
            text: text.into(),
            emphasised: false,
            italic: false,
        }
    }

    #[test]
    fn a_replaced_word_reads_as_two_words() {
        use SegmentOp::{Deleted, Equal, Inserted};
        let cases = [
            (
                vec![
                    segment(Deleted, "president"),
                    segment(Inserted, "President"),
                ],
                format!(
                    "<p style=\"{PARA}\"><del style=\"{DEL}\">president</del> <ins style=\"{INS}\">President</ins></p>\n"
                ),
            ),
            (
                vec![
                    segment(Deleted, "a "),
                    segment(Inserted, "b"),
                    segment(Equal, " c"),
                ],
                format!(
                    "<p style=\"{PARA}\"><del style=\"{DEL}\">a</del> <ins style=\"{INS}\">b</ins> c</p>\n"
                ),
            ),
        ];
        for (segments, want) in cases {
            assert_eq!(edited(&segments), want);
        }
    }
}
