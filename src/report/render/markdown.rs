//! Markdown marks: `<ins>inserted</ins>`, `~~deleted~~`, `**bold**`,
//! `*italic*`, changes as headed sections with the text quoted.
//!
//! Markdown has no underline, so insertions use the `<ins>` tag that
//! GitHub, GitLab and most chat renderers show. Every page text is escaped
//! so that it cannot open a link, an image or raw HTML.

use super::layout::Marks;
use super::text::strip_controls;
use super::{Run, split_space};
use crate::report::SegmentOp;

/// The Markdown marks.
pub(crate) struct Markdown;

impl Marks for Markdown {
    fn run(&self, run: &Run, whole: bool) -> String {
        let (lead, inner, trail) = split_space(run.text);
        if inner.is_empty() {
            return lead.to_string();
        }
        let mut text = self.escape(inner);
        if run.italic {
            text = format!("*{text}*");
        }
        if run.bold {
            text = format!("**{text}**");
        }
        text = match (run.op, whole) {
            (SegmentOp::Inserted, false) => format!("<ins>{text}</ins>"),
            (SegmentOp::Deleted, _) => format!("~~{text}~~"),
            _ => text,
        };
        format!("{lead}{text}{trail}")
    }

    fn title(&self, text: &str) -> String {
        format!("# {text}")
    }

    fn meta(&self, text: &str) -> String {
        format!("*{text}*  ")
    }

    fn heading(&self, text: &str) -> String {
        format!("### {text}")
    }

    fn body(&self, line: &str, _sign: Option<char>) -> String {
        format!("> {}", guard_line_start(line))
    }

    fn item(&self, line: &str) -> String {
        format!("- {}", guard_line_start(line))
    }

    fn between_blocks(&self) -> Option<String> {
        Some(">".to_string())
    }

    fn escape(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        for c in strip_controls(text).chars() {
            if matches!(
                c,
                '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '~' | '|' | '#' | '!'
            ) {
                out.push('\\');
            }
            out.push(c);
        }
        out
    }
}

/// Escapes what would make a line a list item or a heading ("- ", "+ ",
/// "12. ", "3) ", "=") when page text happens to start with it.
fn guard_line_start(line: &str) -> String {
    let digits = line.len() - line.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let after_digits = &line[digits..];
    if line.starts_with(['-', '+', '=']) {
        format!("\\{line}")
    } else if digits > 0 && (after_digits.starts_with(". ") || after_digits.starts_with(") ")) {
        format!("{}\\{}", &line[..digits], after_digits)
    } else {
        line.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_text_cannot_start_a_list_or_heading() {
        let cases = [
            ("1984. The year", "1984\\. The year"),
            ("- not a list", "\\- not a list"),
            ("+1 point", "\\+1 point"),
            ("2022 was hard", "2022 was hard"),
            ("plain", "plain"),
        ];
        for (line, want) in cases {
            assert_eq!(guard_line_start(line), want);
        }
    }
}
