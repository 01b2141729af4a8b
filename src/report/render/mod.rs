//! Renderers of a [`Report`]: one model, five faces.
//!
//! * [`Format::Text`]: plain text, for pipes, logs and the plain part of an
//!   email; insertions read `{+like this+}`, deletions `[-like this-]`, bold
//!   `*like this*`, italic `_like this_`.
//! * [`Format::Terminal`]: the same layout in ANSI colour: insertions green
//!   and underlined, deletions red and struck through.
//! * [`Format::Markdown`]: for issue trackers and chat.
//! * [`Format::Html`]: a complete HTML document with inline styles only,
//!   every page text escaped: the body of the email alert.
//! * [`Format::Json`]: the model itself for programs, versioned by
//!   [`Report::SCHEMA`] (see the `json` renderer for the shape).
//!
//! Every renderer is a pure function of the report and its
//! [`RenderContext`]. None computes differences: what is marked is what
//! the report says. Only [`Format::for_terminal`] looks at the environment
//! (`NO_COLOR`), for the caller's convenience.

mod html;
mod json;
mod label;
mod layout;
mod markdown;
mod terminal;
mod text;

use crate::article::{Block, Style};
use crate::report::{Report, Segment, SegmentOp, TextChange};

pub use html::{changes as html_changes, fragment as html_fragment};
pub(crate) use html::{escape, labelled, link, marked};

/// Where a report comes from, for its heading. Every field is optional:
/// a renderer leaves out what it is not given.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RenderContext<'a> {
    /// The watch's name ("binance-russia-data").
    pub watch: Option<&'a str>,
    /// The watched address.
    pub url: Option<&'a str>,
    /// The article's headline as it is now (shown as the report's title).
    pub headline: Option<&'a str>,
    /// The old version's label or time ("v1, 2022-04-22 10:55 UTC").
    pub from: Option<&'a str>,
    /// The new version's label or time.
    pub to: Option<&'a str>,
}

/// The output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Plain text with `{+inserted+}` / `[-deleted-]` markers.
    Text,
    /// Text in ANSI colour.
    Terminal,
    /// Markdown.
    Markdown,
    /// A complete HTML document, inline styles only.
    Html,
    /// Versioned JSON.
    Json,
}

impl Format {
    /// The format for output to a terminal-like stream: [`Format::Terminal`]
    /// when `is_terminal` and the `NO_COLOR` environment variable is unset
    /// or empty (<https://no-color.org>), otherwise [`Format::Text`].
    pub fn for_terminal(is_terminal: bool) -> Format {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Format::for_terminal_with(is_terminal, no_color)
    }

    /// As [`Format::for_terminal`], with the `NO_COLOR` setting given.
    pub fn for_terminal_with(is_terminal: bool, no_color: bool) -> Format {
        if is_terminal && !no_color {
            Format::Terminal
        } else {
            Format::Text
        }
    }

    /// The format's name as `--format` takes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Terminal => "terminal",
            Format::Markdown => "markdown",
            Format::Html => "html",
            Format::Json => "json",
        }
    }
}

impl std::str::FromStr for Format {
    type Err = UnknownFormat;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "text" | "plain" => Ok(Format::Text),
            "terminal" | "color" | "colour" | "ansi" => Ok(Format::Terminal),
            "markdown" | "md" => Ok(Format::Markdown),
            "html" => Ok(Format::Html),
            "json" => Ok(Format::Json),
            _ => Err(UnknownFormat(s.to_string())),
        }
    }
}

/// A format name that is not one of the known formats.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown format {0:?}: use text, terminal, markdown, html or json")]
pub struct UnknownFormat(pub String);

/// Renders `report` in `format`. The output ends with a newline.
pub fn render(report: &Report, ctx: &RenderContext, format: Format) -> String {
    match format {
        Format::Text => layout::render(report, ctx, &text::Plain),
        Format::Terminal => layout::render(report, ctx, &terminal::Ansi),
        Format::Markdown => layout::render(report, ctx, &markdown::Markdown),
        Format::Html => html::document(report, ctx),
        Format::Json => json::render(report, ctx),
    }
}

/// A stretch of text with one op and one set of styles: what every
/// renderer marks up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Run<'a> {
    pub text: &'a str,
    pub op: SegmentOp,
    pub bold: bool,
    pub italic: bool,
}

/// A block's text cut where its emphasis starts or ends.
pub(crate) fn block_runs(block: &Block, op: SegmentOp) -> Vec<Run<'_>> {
    let mut cuts: Vec<usize> = vec![0, block.text.len()];
    for e in &block.emphasis {
        cuts.extend([e.start.min(block.text.len()), e.end.min(block.text.len())]);
    }
    cuts.sort_unstable();
    cuts.dedup();
    cuts.windows(2)
        .filter(|w| {
            block.text.is_char_boundary(w[0]) && block.text.is_char_boundary(w[1]) && w[0] < w[1]
        })
        .map(|w| {
            let covered = |style: Style| {
                block
                    .emphasis
                    .iter()
                    .any(|e| e.style == style && e.start <= w[0] && w[1] <= e.end)
            };
            Run {
                text: &block.text[w[0]..w[1]],
                op,
                bold: covered(Style::Bold),
                italic: covered(Style::Italic),
            }
        })
        .collect()
}

/// The runs of an edit's segments.
pub(crate) fn segment_runs(segments: &[Segment]) -> Vec<Run<'_>> {
    segments
        .iter()
        .map(|s| Run {
            text: &s.text,
            op: s.op,
            bold: s.emphasised,
            italic: s.italic,
        })
        .collect()
}

/// A field replaced as a whole (no word-by-word edit): its old value
/// deleted, then its new value inserted, leaving out a side that is empty.
pub(crate) fn replaced_runs(field: &TextChange) -> Vec<Run<'_>> {
    [
        (field.old.as_str(), SegmentOp::Deleted),
        (field.new.as_str(), SegmentOp::Inserted),
    ]
    .into_iter()
    .filter(|(text, _)| !text.is_empty())
    .map(|(text, op)| Run {
        text,
        op,
        bold: false,
        italic: false,
    })
    .collect()
}

/// "¶5", "¶7–12": block positions as a reader counts them, from 1.
pub(crate) fn para(index: usize, count: usize) -> String {
    if count <= 1 {
        format!("¶{}", index + 1)
    } else {
        format!("¶{}–{}", index + 1, index + count)
    }
}

/// Splits `text` into leading white space, the rest, and trailing white
/// space, so that markers hug words (`~~ x~~` is not Markdown).
pub(crate) fn split_space(text: &str) -> (&str, &str, &str) {
    let inner = text.trim();
    if inner.is_empty() {
        return (text, "", "");
    }
    let start = text.len() - text.trim_start().len();
    (&text[..start], inner, &text[start + inner.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replaced_field_shows_only_the_sides_it_has() {
        let cases = [
            (
                "Old",
                "New",
                vec![("Old", SegmentOp::Deleted), ("New", SegmentOp::Inserted)],
            ),
            ("", "Ann Lee", vec![("Ann Lee", SegmentOp::Inserted)]),
            ("Ann Lee", "", vec![("Ann Lee", SegmentOp::Deleted)]),
        ];
        for (old, new, want) in cases {
            let field = TextChange {
                old: old.into(),
                new: new.into(),
                segments: Vec::new(),
            };
            let got: Vec<(&str, SegmentOp)> = replaced_runs(&field)
                .iter()
                .map(|r| (r.text, r.op))
                .collect();
            assert_eq!(got, want);
        }
    }
}
