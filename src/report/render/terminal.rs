//! ANSI colour marks for a terminal: insertions green and underlined,
//! deletions red and struck through, emphasis in bold and italic.
//!
//! The caller decides whether colour is on (see `Format::for_terminal`);
//! this file only marks runs, and must never pass a control character from
//! page text through to the terminal.

use super::layout::Marks;
use super::text::strip_controls;
use super::{Run, split_space};
use crate::report::SegmentOp;

/// The ANSI marks.
pub(crate) struct Ansi;

const RESET: &str = "\x1b[0m";

fn paint(codes: &[&str], text: &str) -> String {
    if codes.is_empty() || text.is_empty() {
        return text.to_string();
    }
    format!("\x1b[{}m{text}{RESET}", codes.join(";"))
}

impl Marks for Ansi {
    fn run(&self, run: &Run, whole: bool) -> String {
        let text = strip_controls(run.text);
        let (lead, inner, trail) = split_space(&text);
        let mut codes: Vec<&str> = Vec::new();
        if run.bold {
            codes.push("1");
        }
        if run.italic {
            codes.push("3");
        }
        match run.op {
            // A wholly added block is marked by its "+" sign; underlining
            // every line of it would only make it harder to read.
            SegmentOp::Inserted if whole => codes.push("32"),
            SegmentOp::Inserted => codes.extend(["32", "4"]),
            SegmentOp::Deleted => codes.extend(["31", "9"]),
            SegmentOp::Equal => {}
        }
        format!("{lead}{}{trail}", paint(&codes, inner))
    }

    fn title(&self, text: &str) -> String {
        paint(&["1"], text)
    }

    fn meta(&self, text: &str) -> String {
        paint(&["2"], text)
    }

    fn heading(&self, text: &str) -> String {
        paint(&["1", "36"], &format!("{text}:"))
    }

    fn body(&self, line: &str, sign: Option<char>) -> String {
        match sign {
            Some('+') => format!("  {} {line}", paint(&["32"], "+")),
            Some(sign) => format!("  {} {line}", paint(&["31"], &sign.to_string())),
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
