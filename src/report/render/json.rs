//! The JSON face of a report, for scripts: stable and versioned.
//!
//! The shape (schema 1), pretty-printed, one object:
//!
//! ```text
//! {
//!   "schema": 1,                        // Report::SCHEMA; bumped on any breaking change
//!   "context": { "watch", "url", "headline", "from", "to" },   // each only when given
//!   "summary": "+7 paragraphs, 3 edits, 1 update note",
//!   "counts": { "added", "removed", "edited", "moved", "emphasised",
//!               "deemphasised", "notes", "numbers", "quotes_added", "quotes_removed" },
//!   "headline": { "old", "new", "segments"? },   // the visible headline, only when it changed
//!   "titles": [ { "kind": "og_title" | "json_ld_headline" | "document_title",
//!                 "old", "new", "segments"? } ],  // only the titles that changed
//!   "byline":   { "old", "new", "segments"? },   // only when it changed
//!   "changes": [ { "type": "added" | "removed" | "edited" | "moved" | "emphasised"
//!                  | "deemphasised" | "note", ... } ],
//!   "findings": [ { "type": "number_changed" | "quote_added" | "quote_removed", ... } ]
//! }
//! ```
//!
//! Each change and finding carries the fields of its `report::Change` or
//! `report::Finding` variant, in snake case; block indexes count from 0.
//! Segments are `{ "op": "equal" | "inserted" | "deleted", "text",
//! "emphasised"?, "italic"? }`. Optional fields are left out when empty.
//! Adding a field or a variant is not a breaking change; renaming or
//! removing one is.

use serde::Serialize;

use super::RenderContext;
use crate::report::{Counts, Report};

#[derive(Serialize)]
struct Document<'a> {
    schema: u32,
    context: Context<'a>,
    summary: String,
    counts: Counts,
    #[serde(flatten)]
    report: &'a Report,
}

#[derive(Serialize)]
struct Context<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    watch: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    headline: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    from: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    to: Option<&'a str>,
}

/// Renders the report as pretty-printed JSON, ending with a newline.
pub(crate) fn render(report: &Report, ctx: &RenderContext) -> String {
    let doc = Document {
        schema: Report::SCHEMA,
        context: Context {
            watch: ctx.watch,
            url: ctx.url,
            headline: ctx.headline,
            from: ctx.from,
            to: ctx.to,
        },
        summary: report.summary(),
        counts: report.counts(),
        report,
    };
    let mut out =
        serde_json::to_string_pretty(&doc).expect("a report holds only strings, numbers and enums");
    out.push('\n');
    out
}
