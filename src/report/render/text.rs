//! Plain-text marks: `{+inserted+}`, `[-deleted-]`, `*bold*`, `_italic_`.
//!
//! For pipes, logs and the plain part of an email. The layout is shared
//! (`layout`); this file only decides how a run of text is marked, and must
//! not emit any control character.

use super::layout::Marks;
use super::{Run, split_space};
use crate::report::SegmentOp;

/// The plain-text marks.
pub(crate) struct Plain;

impl Marks for Plain {
    fn run(&self, run: &Run, whole: bool) -> String {
        let clean = strip_controls(run.text);
        let (lead, inner, trail) = split_space(&clean);
        if inner.is_empty() {
            return lead.to_string();
        }
        let mut text = inner.to_string();
        if run.italic {
            text = format!("_{text}_");
        }
        if run.bold {
            text = format!("*{text}*");
        }
        text = match (run.op, whole) {
            (SegmentOp::Inserted, false) => format!("{{+{text}+}}"),
            (SegmentOp::Deleted, false) => format!("[-{text}-]"),
            _ => text,
        };
        format!("{lead}{text}{trail}")
    }

    fn title(&self, text: &str) -> String {
        text.to_string()
    }

    fn meta(&self, text: &str) -> String {
        text.to_string()
    }

    fn heading(&self, text: &str) -> String {
        format!("{text}:")
    }

    fn body(&self, line: &str, sign: Option<char>) -> String {
        match sign {
            Some(sign) => format!("  {sign} {line}"),
            None => format!("    {line}"),
        }
    }

    fn between_blocks(&self) -> Option<String> {
        None
    }

    fn escape(&self, text: &str) -> String {
        strip_controls(text)
    }
}

/// Drops control characters (escape sequences above all) from page text.
pub(crate) fn strip_controls(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control() || *c == '\n')
        .collect()
}
