//! The HTML face of a report: the body of the email alert.
//!
//! Inline styles only (mail clients drop style sheets and `<style>`
//! elements), every page text escaped, no script, no external resource.
//! Order: headline, what changed in one sentence, notes first, findings,
//! then the changes block by block: added words green and underlined,
//! removed words red and struck through, bold and italic shown as such.
//! It must not compute differences: it marks what the report says.

use super::layout::{finding_line, heading};
use super::{RenderContext, Run, block_runs, segment_runs, split_space};
use crate::article::{Block, Style};
use crate::report::{Change, PARAGRAPH_BREAK, Report, Segment, SegmentOp, TextChange};

const WRAP: &str = "font-family:Georgia,'Times New Roman',serif;font-size:16px;line-height:1.5;color:#1a1a1a;max-width:720px";
const TITLE: &str = "font-size:22px;line-height:1.3;margin:0 0 6px 0";
const META: &str = "font-family:Helvetica,Arial,sans-serif;font-size:13px;color:#666666;margin:0";
const LEAD: &str = "font-size:17px;margin:16px 0";
const NOTE: &str =
    "border-left:4px solid #c8930a;background:#fff8e1;padding:8px 12px;margin:12px 0";
const LABEL: &str = "font-family:Helvetica,Arial,sans-serif;font-size:12px;font-weight:bold;color:#555555;text-transform:uppercase;letter-spacing:0.04em;margin:20px 0 4px 0";
const PARA: &str = "margin:4px 0 8px 0";
const INS: &str = "color:#0a6b0a;background:#e6f4e6;text-decoration:underline";
const DEL: &str = "color:#b00020;background:#fde8e8;text-decoration:line-through";

/// A complete HTML document holding [`fragment`].
pub(crate) fn document(report: &Report, ctx: &RenderContext) -> String {
    let title = escape(title(report, ctx));
    format!(
        "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width\">\n\
         <title>{title}</title>\n</head>\n<body style=\"margin:0;padding:16px;background:#ffffff\">\n{}</body>\n</html>\n",
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
/// notes first, findings, headline and byline, then the body's changes
/// block by block. For a message that writes its own heading.
pub fn changes(report: &Report) -> String {
    let mut out = String::new();
    for change in report.notes() {
        if let Change::Note { text, segments, .. } = change {
            out += &format!(
                "<div style=\"{NOTE}\">\n<div style=\"{LABEL};margin-top:0\">{}</div>\n",
                escape(&heading(change))
            );
            out += &if segments.is_empty() {
                paragraph(&escape(text))
            } else {
                edited(segments)
            };
            out += "</div>\n";
        }
    }
    if !report.findings.is_empty() {
        out += &format!(
            "<div style=\"{LABEL}\">Findings</div>\n<ul style=\"margin:4px 0 8px 0;padding-left:20px\">\n"
        );
        for f in &report.findings {
            out += &format!("<li>{}</li>\n", escape(&finding_line(f)));
        }
        out += "</ul>\n";
    }
    for (label, field) in [("Headline", &report.headline), ("Byline", &report.byline)] {
        if let Some(field) = field {
            out += &format!(
                "<div style=\"{LABEL}\">{label} changed</div>\n{}",
                text_change(field)
            );
        }
    }
    for change in report
        .changes
        .iter()
        .filter(|c| !matches!(c, Change::Note { .. }))
    {
        out += &format!(
            "<div style=\"{LABEL}\">{}</div>\n{}",
            escape(&heading(change)),
            body(change)
        );
    }
    out
}

/// Watch, address and versions, on one muted line.
fn context_line(ctx: &RenderContext) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(watch) = ctx.watch {
        parts.push(escape(watch));
    }
    if let Some(url) = ctx.url {
        // Only web addresses become links: a watchlist cannot inject a
        // javascript: or data: link into an email.
        if url.starts_with("https://") || url.starts_with("http://") {
            parts.push(format!(
                "<a href=\"{0}\" style=\"color:#666666\">{0}</a>",
                escape(url)
            ));
        } else {
            parts.push(escape(url));
        }
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
    for run in segment_runs(segments) {
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
    let old = Run {
        text: &field.old,
        op: SegmentOp::Deleted,
        bold: false,
        italic: false,
    };
    let new = Run {
        text: &field.new,
        op: SegmentOp::Inserted,
        bold: false,
        italic: false,
    };
    let shown: Vec<String> = [old, new]
        .iter()
        .filter(|r| !r.text.is_empty())
        .map(mark)
        .collect();
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
    }
}
