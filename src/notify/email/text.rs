//! The plain-text part of an alert: what any mail client, a terminal or a
//! screen reader shows. A change report is written by the shared renderer
//! ([`render`](mod@crate::report::render) with [`Format::Text`]: inserted words
//! `{+like this+}`, deleted `[-like this-]`, bold `*…*`), so that `redline
//! check`, the log and the email say the same thing; this module adds the
//! link, the one-sentence summary, failure messages, digests, and wraps
//! lines at 76 columns for plain-text readers.
//!
//! Pure: no I/O, no clock. It must not build MIME parts or headers.

use crate::notify::{Alert, Event};
use crate::report::{Format, RenderContext, render};

use super::summary;

/// The column at which lines are wrapped.
const WIDTH: usize = 76;

/// The text part of one alert.
pub fn alert(alert: &Alert) -> String {
    let mut out = String::new();
    section(alert, &mut out);
    let mut note = format!("Sent by redline for watch `{}`.", alert.watch);
    if matches!(alert.event, Event::Changed { .. }) {
        note.push_str(" Inserted text is marked {+like this+}, deleted text [-like this-].");
    }
    out.push_str(&format!("\n-- \n{}", wrap(&note, "")));
    out
}

/// The text part of a digest of `alerts`.
pub fn digest(subject: &str, alerts: &[Alert]) -> String {
    let title = summary::one_line(subject);
    let rule = "=".repeat(title.chars().count().min(WIDTH));
    let mut out = format!("{title}\n{rule}\n\n");
    for (i, a) in alerts.iter().enumerate() {
        if i > 0 {
            out.push_str(&format!("\n{}\n\n", "-".repeat(WIDTH)));
        }
        section(a, &mut out);
    }
    out.push_str("\n-- \nSent by redline: a digest of change alerts.\n");
    out
}

/// One alert: headline, link, sentence, then the report or the failure.
fn section(alert: &Alert, out: &mut String) {
    match &alert.event {
        Event::Changed {
            report,
            from_version,
            to_version,
            ..
        } => {
            let headline = summary::headline(alert);
            let from = format!("version {from_version}");
            let to = format!("version {to_version}, seen {}", summary::when(&alert.time));
            let ctx = RenderContext {
                watch: Some(alert.watch.as_str()),
                url: Some(&alert.url),
                headline: Some(&headline),
                from: Some(&from),
                to: Some(&to),
            };
            out.push_str(&wrap_lines(&render(report, &ctx, Format::Text)));
        }
        Event::Failing {
            reason,
            failures,
            since,
        } => {
            out.push_str(&wrap(&format!("Checks failing: {}", alert.watch), ""));
            out.push_str(&format!("{}\n\n", alert.url));
            out.push_str(&wrap(&summary::failing(*failures, since), ""));
            out.push_str("\nLast error:\n");
            out.push_str(&wrap(&summary::one_line(reason), "  "));
        }
        Event::Recovered { failures, since } => {
            out.push_str(&wrap(&format!("Recovered: {}", alert.watch), ""));
            out.push_str(&format!("{}\n\n", alert.url));
            out.push_str(&wrap(&summary::recovered(*failures, since), ""));
        }
    }
}

/// Wraps every line of `text`, each continuing under its own indent (the
/// renderer's `  + ` and `    ` prefixes included).
fn wrap_lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / WIDTH);
    for line in text.lines() {
        let body = line.trim_start();
        let indent = &line[..line.len() - body.len()];
        let sign = ["+ ", "- ", "> "]
            .into_iter()
            .find(|s| body.starts_with(s))
            .unwrap_or("");
        let prefix = format!("{indent}{sign}");
        if body.is_empty() {
            out.push('\n');
        } else {
            out.push_str(&wrap(&body[sign.len()..], &prefix));
        }
    }
    out
}

/// Wraps `text` at 76 columns; every line starts with `prefix`, and
/// continuation lines with as many spaces. Ends with a newline. A word
/// longer than a line (an address) is left whole.
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
    fn wrap_lines_keeps_each_lines_indent_and_sign() {
        let long = "word ".repeat(30);
        let text = format!("Heading:\n  + {long}\n    {long}\n\nEnd");
        let wrapped = wrap_lines(&text);
        let lines: Vec<&str> = wrapped.lines().collect();
        assert_eq!(lines[0], "Heading:");
        assert!(lines[1].starts_with("  + word") && lines[2].starts_with("    word"));
        assert!(wrapped.lines().all(|l| l.chars().count() <= WIDTH));
        assert!(wrapped.contains("\n\nEnd"));
    }
}
