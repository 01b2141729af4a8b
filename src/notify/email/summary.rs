//! The words that are the email's own: the subject line of an alert or a
//! digest, the headline it is about, what a failing or recovered watch's
//! message says, how times are written, and the two guards every header and
//! title needs (one line, bounded length). What a report says in words
//! ([`Report::summary`], [`Report::sentence`]) and how its changes are
//! labelled belong to [`crate::report`]; this module quotes them.
//!
//! Pure: no I/O, no clock. It must not decide markup (that is `text` and
//! `html`); everything here is plain text.

use chrono::{DateTime, Utc};

use crate::notify::{Alert, Event};
use crate::report::{Change, NoteKind, Report};

/// The longest headline kept in a subject line; longer ones are cut at a
/// word and marked with "…" so that the counts stay visible in a list.
const SUBJECT_HEADLINE_CHARS: usize = 110;

/// One line of text with every control character (line breaks included)
/// turned into a space and runs of space folded: page text can never
/// start a new header line or break a layout.
pub fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// `text` cut to at most `max` characters at a word boundary, with "…".
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max).collect();
    let cut = match cut.rfind(' ') {
        Some(i) if i > max / 2 => &cut[..i],
        _ => cut.as_str(),
    };
    format!("{}…", cut.trim_end_matches([' ', ',', ';', ':', '–', '-']))
}

/// The headline an alert is about: the new headline, else the watch's name.
pub fn headline(alert: &Alert) -> String {
    let from_event = match &alert.event {
        Event::Changed {
            headline, report, ..
        } => headline
            .clone()
            .or_else(|| report.headline.as_ref().map(|h| h.new.clone())),
        _ => None,
    };
    let text = one_line(from_event.as_deref().unwrap_or(""));
    if text.is_empty() {
        alert.watch.to_string()
    } else {
        text
    }
}

/// The subject line of a single alert, e.g.
/// `Updated: Binance Regional Head … (+7 paragraphs, 3 edits)`.
pub fn subject(alert: &Alert) -> String {
    let title = shorten(&headline(alert), SUBJECT_HEADLINE_CHARS);
    match &alert.event {
        Event::Changed {
            report,
            reverted: true,
            to_version,
            ..
        } => {
            let counts = subject_counts(report);
            let back = format!("back to version {to_version}");
            if counts.is_empty() {
                format!("Reverted: {title} ({back})")
            } else {
                format!("Reverted: {title} ({back}; {counts})")
            }
        }
        Event::Changed { report, .. } => {
            let verb = if is_correction(report) {
                "Corrected"
            } else {
                "Updated"
            };
            let counts = subject_counts(report);
            if counts.is_empty() {
                format!("{verb}: {title}")
            } else {
                format!("{verb}: {title} ({counts})")
            }
        }
        Event::Failing { failures, .. } => {
            format!(
                "Failing: {} ({failures} checks in a row failed)",
                alert.watch
            )
        }
        Event::Recovered { failures, .. } => {
            format!(
                "Recovered: {} (checks work again after {failures} failures)",
                alert.watch
            )
        }
    }
}

/// A time as every part of a message writes it: "2022-04-25 08:41 UTC".
pub fn when(time: &DateTime<Utc>) -> String {
    time.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// What the message about a failing watch says, in both parts.
pub fn failing(failures: u32, since: &DateTime<Utc>) -> String {
    format!(
        "The last {failures} checks of this watch failed, the first at {}. \
         You will get one more message when it works again.",
        when(since)
    )
}

/// What the message about a recovered watch says, in both parts.
pub fn recovered(failures: u32, since: &DateTime<Utc>) -> String {
    format!(
        "The watch works again after {failures} failed checks since {}.",
        when(since)
    )
}

/// The subject of a digest of `alerts`.
pub fn digest_subject(alerts: &[Alert]) -> String {
    let mut watches: Vec<&str> = alerts.iter().map(|a| a.watch.as_str()).collect();
    watches.sort_unstable();
    watches.dedup();
    let changes = plural(alerts.len(), "alert", "alerts");
    match watches.as_slice() {
        [] => "Digest: no alerts".to_owned(),
        [_] => format!(
            "Digest: {} ({changes})",
            shorten(&headline(&alerts[alerts.len() - 1]), SUBJECT_HEADLINE_CHARS)
        ),
        _ => format!("Digest: {changes} about {} articles", watches.len()),
    }
}

fn is_correction(report: &Report) -> bool {
    report.notes().any(|c| {
        matches!(
            c,
            Change::Note {
                kind: NoteKind::Correction,
                ..
            }
        )
    })
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The counts in a subject: the report's own summary line, so that the
/// subject, the log and `redline history` use the same words.
fn subject_counts(report: &Report) -> String {
    let summary = report.summary();
    if summary == "no change" {
        String::new()
    } else {
        one_line(&summary)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_removes_every_line_break() {
        let cases = [
            ("Plain", "Plain"),
            (
                "Evil\r\nBcc: victim@example.org",
                "Evil Bcc: victim@example.org",
            ),
            ("  tabs\tand\u{0}nul\u{85}next  ", "tabs and nul next"),
            ("\n\n", ""),
        ];
        for (input, want) in cases {
            assert_eq!(one_line(input), want, "{input:?}");
        }
    }

    #[test]
    fn failure_messages_name_the_count_and_the_time() {
        let since: DateTime<Utc> = "2026-01-02T03:04:59Z".parse().expect("a valid time");
        assert_eq!(when(&since), "2026-01-02 03:04 UTC");
        assert_eq!(
            failing(3, &since),
            "The last 3 checks of this watch failed, the first at 2026-01-02 03:04 UTC. \
             You will get one more message when it works again."
        );
        assert_eq!(
            recovered(5, &since),
            "The watch works again after 5 failed checks since 2026-01-02 03:04 UTC."
        );
    }

    #[test]
    fn shorten_cuts_at_a_word() {
        assert_eq!(shorten("short", 10), "short");
        assert_eq!(shorten("one two three four", 12), "one two…");
        assert_eq!(shorten("abcdefghijklmnop", 5), "abcde…");
    }
}
