//! The plain-text part of an alert: what any mail client, a terminal or a
//! screen reader shows. Inserted words are written `{+like this+}` and
//! deleted ones `[-like this-]` (the `wdiff` convention), lines are wrapped
//! at 76 columns, and bold passages are marked `*…*`.
//!
//! Pure: no I/O, no clock. It must not build MIME parts or headers.

use crate::notify::{Alert, Event};
use crate::report::{Change, SegmentOp, TextChange};

use super::summary::{self, Run};

/// The column at which lines are wrapped.
const WIDTH: usize = 76;

/// The text part of one alert.
pub fn alert(alert: &Alert) -> String {
    let mut out = String::new();
    section(alert, &mut out);
    out.push_str(&footer(alert));
    out
}

/// The text part of a digest of `alerts`.
pub fn digest(subject: &str, alerts: &[Alert]) -> String {
    let mut out = format!(
        "{}\n{}\n\n",
        summary::one_line(subject),
        "=".repeat(summary::one_line(subject).chars().count().min(WIDTH))
    );
    for (i, a) in alerts.iter().enumerate() {
        if i > 0 {
            out.push_str(&format!("\n{}\n\n", "-".repeat(WIDTH)));
        }
        section(a, &mut out);
    }
    out.push_str("\n-- \nSent by redline: a digest of change alerts.\n");
    out
}

fn footer(alert: &Alert) -> String {
    let note = format!(
        "Sent by redline for watch `{}`. Inserted text is marked {{+like this+}}, deleted text [-like this-].",
        alert.watch
    );
    format!("\n-- \n{}", wrap(&note, ""))
}

/// One alert's headline, link, sentence and changes.
fn section(alert: &Alert, out: &mut String) {
    let headline = summary::headline(alert);
    out.push_str(&wrap(&headline, ""));
    out.push_str(&format!("{}\n\n", alert.url));
    match &alert.event {
        Event::Changed {
            report,
            from_version,
            to_version,
            ..
        } => {
            out.push_str(&wrap(&summary::sentence(report), ""));
            out.push_str(&format!(
                "(version {from_version} → {to_version}, seen {})\n",
                alert.time.format("%Y-%m-%d %H:%M UTC")
            ));
            if let Some(h) = &report.headline {
                out.push_str(&format!("\nHeadline changed\n{}", text_change(h)));
            }
            if let Some(b) = &report.byline {
                out.push_str(&format!("\nByline changed\n{}", text_change(b)));
            }
            // Notes first: they are the publisher's own account of the change.
            for change in report.notes().chain(
                report
                    .changes
                    .iter()
                    .filter(|c| !matches!(c, Change::Note { .. })),
            ) {
                out.push('\n');
                change_text(change, out);
            }
        }
        Event::Failing {
            reason,
            failures,
            since,
        } => {
            out.push_str(&wrap(&format!("The last {failures} checks of this watch failed, the first at {}. It will be reported once more when it works again.", since.format("%Y-%m-%d %H:%M UTC")), ""));
            out.push_str("\nLast error:\n");
            out.push_str(&wrap(&summary::one_line(reason), "  "));
        }
        Event::Recovered { failures, since } => {
            out.push_str(&wrap(
                &format!(
                    "The watch works again after {failures} failed checks since {}.",
                    since.format("%Y-%m-%d %H:%M UTC")
                ),
                "",
            ));
        }
    }
}

fn text_change(change: &TextChange) -> String {
    format!(
        "{}{}",
        wrap(&format!("[-{}-]", summary::one_line(&change.old)), "  "),
        wrap(&format!("{{+{}+}}", summary::one_line(&change.new)), "  ")
    )
}

fn change_text(change: &Change, out: &mut String) {
    let label = summary::change_label(change);
    match change {
        Change::Added { blocks, .. } => {
            let bold = blocks.iter().all(summary::mostly_bold);
            out.push_str(&format!(
                "{label}{}:\n",
                if bold { " (bold on the page)" } else { "" }
            ));
            for block in blocks {
                let text = if bold {
                    block.text.clone()
                } else {
                    marked(&summary::runs(block))
                };
                out.push_str(&wrap(&text, "  + "));
            }
        }
        Change::Removed { blocks, .. } => {
            out.push_str(&format!("{label}:\n"));
            for block in blocks {
                out.push_str(&wrap(&block.text, "  - "));
            }
        }
        Change::Edited { segments, .. } => {
            out.push_str(&format!("{label}:\n"));
            let mut text = String::new();
            for s in segments {
                let body = if s.emphasised && s.op != SegmentOp::Deleted {
                    format!("*{}*", s.text.trim())
                } else {
                    s.text.clone()
                };
                let (lead, trail) = edges(&s.text);
                match s.op {
                    SegmentOp::Equal => text.push_str(&s.text),
                    SegmentOp::Inserted => {
                        text.push_str(&format!("{lead}{{+{}+}}{trail}", body.trim()))
                    }
                    SegmentOp::Deleted => {
                        text.push_str(&format!("{lead}[-{}-]{trail}", body.trim()))
                    }
                }
            }
            out.push_str(&wrap(&text, "  "));
        }
        Change::Moved { block, .. } => {
            out.push_str(&format!("{label}:\n"));
            out.push_str(&wrap(&block.text, "  "));
        }
        Change::Emphasised { text, .. } => {
            out.push_str(&format!("{label}:\n"));
            out.push_str(&wrap(&format!("*{}*", summary::one_line(text)), "  "));
        }
        Change::Note { text, .. } => {
            out.push_str(&format!("{label}:\n"));
            out.push_str(&wrap(text, "  > "));
        }
    }
}

/// The white space a segment starts and ends with, kept outside its markers.
fn edges(text: &str) -> (&str, &str) {
    let lead = &text[..text.len() - text.trim_start().len()];
    let trail = &text[text.trim_end().len()..];
    (
        if text.trim().is_empty() { "" } else { lead },
        if text.trim().is_empty() { text } else { trail },
    )
}

/// Bold runs as `*…*`, italic ones as `_…_`.
fn marked(runs: &[Run<'_>]) -> String {
    let mut out = String::new();
    for run in runs {
        let (lead, trail) = edges(run.text);
        let core = run.text.trim();
        if core.is_empty() || !(run.bold || run.italic) {
            out.push_str(run.text);
            continue;
        }
        let mark = if run.bold { "*" } else { "_" };
        out.push_str(&format!("{lead}{mark}{core}{mark}{trail}"));
    }
    out
}

/// Wraps `text` at [`WIDTH`] columns; every line starts with `prefix`, and
/// continuation lines with as many spaces. Ends with a newline.
pub fn wrap(text: &str, prefix: &str) -> String {
    let indent = " ".repeat(prefix.chars().count());
    let mut out = String::new();
    let mut line = String::from(prefix);
    let mut line_len = prefix.chars().count();
    let mut empty = true;
    for word in text.split_whitespace() {
        let len = word.chars().count();
        if !empty && line_len + 1 + len > WIDTH {
            out.push_str(&line);
            out.push('\n');
            line = indent.clone();
            line_len = indent.len();
            empty = true;
        }
        if !empty {
            line.push(' ');
            line_len += 1;
        }
        line.push_str(word);
        line_len += len;
        empty = false;
    }
    out.push_str(line.trim_end());
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_keeps_words_and_prefix() {
        let text = "word ".repeat(40);
        let wrapped = wrap(&text, "  + ");
        assert!(
            wrapped.lines().all(|l| l.chars().count() <= WIDTH),
            "{wrapped}"
        );
        assert!(wrapped.starts_with("  + word"));
        assert!(wrapped.lines().skip(1).all(|l| l.starts_with("    word")));
        assert_eq!(
            wrapped.split_whitespace().filter(|w| *w == "word").count(),
            40
        );
        assert_eq!(wrap("", "> "), ">\n");
    }

    #[test]
    fn segments_keep_their_spaces_outside_the_markers() {
        assert_eq!(edges(" Cryptonews.com has "), (" ", " "));
        assert_eq!(edges("x"), ("", ""));
    }
}
