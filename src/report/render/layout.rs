//! The line-oriented layout that the text, terminal and Markdown renderers
//! share: title and context, summary, notes first, findings, then the
//! changes block by block.
//!
//! How a run of text is marked (brackets, colour, Markdown) is left to a
//! [`Marks`] implementation; this module only orders and words things. It
//! must not look at anything but the report and its context.

use super::{RenderContext, Run, block_runs, para, replaced_runs, segment_runs};
use crate::article::Block;
use crate::report::{
    Change, Finding, NoteStatus, PARAGRAPH_BREAK, Report, Segment, SegmentOp, TextChange,
};

/// How one output style marks text.
pub(crate) trait Marks {
    /// Marks a run. `whole` is set when the run belongs to a wholly added or
    /// removed block, whose op the line's sign already shows.
    fn run(&self, run: &Run, whole: bool) -> String;
    /// The report's title line.
    fn title(&self, text: &str) -> String;
    /// A line of context (watch, address, versions).
    fn meta(&self, text: &str) -> String;
    /// The heading of one change.
    fn heading(&self, text: &str) -> String;
    /// A line of body text, with the sign of a wholly added (`+`) or
    /// removed (`-`) block.
    fn body(&self, line: &str, sign: Option<char>) -> String;
    /// One item of a list (findings).
    fn item(&self, line: &str) -> String {
        self.body(line, None)
    }
    /// The line between two blocks of one change (`None`: nothing).
    fn between_blocks(&self) -> Option<String>;
    /// Escapes page text for the output.
    fn escape(&self, text: &str) -> String;
}

/// Renders a report in the shared layout.
pub(crate) fn render(report: &Report, ctx: &RenderContext, m: &dyn Marks) -> String {
    let mut out: Vec<String> = Vec::new();
    let title = ctx
        .headline
        .or(report.headline.as_ref().map(|h| h.new.as_str()))
        .unwrap_or("Untitled article");
    out.push(m.title(&m.escape(title)));
    let place: Vec<&str> = [ctx.watch, ctx.url].into_iter().flatten().collect();
    if !place.is_empty() {
        out.push(m.meta(&m.escape(&place.join(" · "))));
    }
    if ctx.from.is_some() || ctx.to.is_some() {
        let span = format!("{} → {}", ctx.from.unwrap_or("?"), ctx.to.unwrap_or("?"));
        out.push(m.meta(&m.escape(&span)));
    }
    out.push(String::new());
    out.push(m.escape(&format!("Changes: {}", report.summary())));
    for change in report.notes() {
        section(&mut out, change, m);
    }
    findings(&mut out, &report.findings, m);
    for (label, field) in report.field_changes() {
        text_change(&mut out, label, field, m);
    }
    for change in report
        .changes
        .iter()
        .filter(|c| !matches!(c, Change::Note { .. }))
    {
        section(&mut out, change, m);
    }
    let mut text = out.join("\n");
    text.push('\n');
    text
}

/// What a change is called in its heading.
pub(crate) fn heading(change: &Change) -> String {
    match change {
        Change::Added { new_index, blocks } => format!("{} added", para(*new_index, blocks.len())),
        Change::Removed { old_index, blocks } => {
            format!("old {} removed", para(*old_index, blocks.len()))
        }
        Change::Edited {
            old_index,
            new_index,
            old_count,
            new_count,
            ..
        } => match (*old_count, *new_count) {
            (1, 1) => format!("{} edited", para(*new_index, 1)),
            (1, n) => format!(
                "{} edited: split from old {}",
                para(*new_index, n),
                para(*old_index, 1)
            ),
            (o, n) => format!(
                "{} edited: merged from old {}",
                para(*new_index, n),
                para(*old_index, o)
            ),
        },
        Change::Moved {
            old_index,
            new_index,
            segments,
            ..
        } => {
            let edits = if segments.is_empty() {
                ""
            } else {
                ", with edits"
            };
            format!(
                "{} moved from old {}{edits}",
                para(*new_index, 1),
                para(*old_index, 1)
            )
        }
        Change::Emphasised {
            new_index, style, ..
        } => format!("{} now in {}", para(*new_index, 1), style.label()),
        Change::Deemphasised {
            new_index, style, ..
        } => {
            format!("{} no longer in {}", para(*new_index, 1), style.label())
        }
        Change::Note {
            kind, status, date, ..
        } => {
            let fresh = if *status == NoteStatus::Added {
                "New"
            } else {
                "Changed"
            };
            match date {
                Some(d) => format!("{fresh} {} ({d})", kind.label()),
                None => format!("{fresh} {}", kind.label()),
            }
        }
    }
}

fn section(out: &mut Vec<String>, change: &Change, m: &dyn Marks) {
    out.push(String::new());
    out.push(m.heading(&m.escape(&heading(change))));
    match change {
        Change::Added { blocks, .. } => whole_blocks(out, blocks, SegmentOp::Inserted, '+', m),
        Change::Removed { blocks, .. } => whole_blocks(out, blocks, SegmentOp::Deleted, '-', m),
        Change::Edited { segments, .. } => edited(out, segments, m),
        Change::Moved {
            block, segments, ..
        } if segments.is_empty() => {
            let line: String = block_runs(block, SegmentOp::Equal)
                .iter()
                .map(|r| m.run(r, false))
                .collect();
            out.push(m.body(&line, None));
        }
        Change::Moved { segments, .. } => edited(out, segments, m),
        Change::Emphasised { text, style, .. } | Change::Deemphasised { text, style, .. } => {
            let gained = matches!(change, Change::Emphasised { .. });
            let bold = gained && *style == crate::article::Style::Bold;
            let italic = gained && *style == crate::article::Style::Italic;
            let run = Run {
                text,
                op: SegmentOp::Equal,
                bold,
                italic,
            };
            out.push(m.body(&m.run(&run, false), None));
        }
        Change::Note { text, segments, .. } if segments.is_empty() => {
            let run = Run {
                text,
                op: SegmentOp::Inserted,
                bold: false,
                italic: false,
            };
            out.push(m.body(&m.run(&run, true), Some('+')));
        }
        Change::Note { segments, .. } => edited(out, segments, m),
    }
}

fn whole_blocks(out: &mut Vec<String>, blocks: &[Block], op: SegmentOp, sign: char, m: &dyn Marks) {
    for (i, block) in blocks.iter().enumerate() {
        if i > 0
            && let Some(line) = m.between_blocks()
        {
            out.push(line);
        }
        let line: String = block_runs(block, op)
            .iter()
            .map(|r| m.run(r, true))
            .collect();
        out.push(m.body(&line, Some(sign)));
    }
}

/// An edit's segments; a paragraph break that the new version has starts
/// a new line.
fn edited(out: &mut Vec<String>, segments: &[Segment], m: &dyn Marks) {
    let mut line = String::new();
    for run in segment_runs(segments) {
        if run.text == PARAGRAPH_BREAK {
            if run.op != SegmentOp::Equal {
                line.push_str(&m.run(&Run { text: "¶", ..run }, false));
            }
            if run.op != SegmentOp::Deleted {
                out.push(m.body(&std::mem::take(&mut line), None));
                if let Some(between) = m.between_blocks() {
                    out.push(between);
                }
            }
            continue;
        }
        line.push_str(&m.run(&run, false));
    }
    out.push(m.body(&line, None));
}

fn text_change(out: &mut Vec<String>, label: &str, field: &TextChange, m: &dyn Marks) {
    out.push(String::new());
    out.push(m.heading(&format!("{label} changed")));
    if field.segments.is_empty() {
        let shown: Vec<String> = replaced_runs(field)
            .iter()
            .map(|r| m.run(r, false))
            .collect();
        out.push(m.body(&shown.join(" → "), None));
    } else {
        edited(out, &field.segments, m);
    }
}

fn findings(out: &mut Vec<String>, findings: &[Finding], m: &dyn Marks) {
    if findings.is_empty() {
        return;
    }
    out.push(String::new());
    out.push(m.heading("Findings"));
    for f in findings {
        out.push(m.item(&m.escape(&finding_line(f))));
    }
}

/// One finding as a line of text.
pub(crate) fn finding_line(f: &Finding) -> String {
    match f {
        Finding::NumberChanged {
            new_index,
            old,
            new,
            sentence,
        } => {
            format!(
                "{}: number changed, {old} → {new}: “{sentence}”",
                para(*new_index, 1)
            )
        }
        Finding::QuoteAdded { new_index, text } => {
            format!("{}: quote added: “{text}”", para(*new_index, 1))
        }
        Finding::QuoteRemoved { old_index, text } => {
            format!("old {}: quote removed: “{text}”", para(*old_index, 1))
        }
    }
}
