//! The words an alert opens with: its subject line and the one sentence that
//! says what changed. Shared by the text and HTML parts and by digests.
//!
//! Pure: no I/O, no clock. It must not decide markup (that is `text` and
//! `html`); everything here is plain text.

use crate::article::{BlockKind, Style};
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

/// One sentence saying what changed, e.g. "7 paragraphs added, 3 edited
/// and an update note added (April 25, 8:30 UTC)."
pub fn sentence(report: &Report) -> String {
    let c = report.counts();
    let mut parts = Vec::new();
    if report.headline.is_some() {
        parts.push("the headline changed".to_owned());
    }
    if report.byline.is_some() {
        parts.push("the byline changed".to_owned());
    }
    for (n, what) in [
        (c.added, "added"),
        (c.removed, "removed"),
        (c.edited, "edited"),
        (c.moved, "moved"),
    ] {
        if n > 0 {
            let noun = if parts.iter().any(|p| p.contains("paragraph")) {
                n.to_string()
            } else {
                plural(n, "paragraph", "paragraphs")
            };
            parts.push(format!("{noun} {what}"));
        }
    }
    if c.emphasised > 0 {
        parts.push(format!(
            "{} newly set in bold or italic",
            plural(c.emphasised, "passage", "passages")
        ));
    }
    if c.deemphasised > 0 {
        parts.push(format!(
            "{} no longer emphasised",
            plural(c.deemphasised, "passage", "passages")
        ));
    }
    let mut dated = None;
    for note in report.notes() {
        if let Change::Note {
            kind, status, date, ..
        } = note
        {
            let status = match status {
                crate::report::NoteStatus::Added => "added",
                crate::report::NoteStatus::Changed => "changed",
            };
            parts.push(format!("{} {status}", note_name(*kind, true)));
            dated = dated.or(date.clone());
        }
    }
    if parts.is_empty() {
        return "The article changed.".to_owned();
    }
    let mut text = join_and(&parts);
    if let Some(first) = text.get(..1) {
        text = first.to_uppercase() + &text[1..];
    }
    match dated {
        Some(date) => format!("{text} (note dated {}).", one_line(&date)),
        None => format!("{text}."),
    }
}

/// "an update note", "a correction", "an editor's note" (or capitalised
/// without the article).
pub fn note_name(kind: NoteKind, with_article: bool) -> &'static str {
    match (kind, with_article) {
        (NoteKind::Update, true) => "an update note",
        (NoteKind::Correction, true) => "a correction",
        (NoteKind::EditorsNote, true) => "an editor's note",
        (NoteKind::Update, false) => "Update note",
        (NoteKind::Correction, false) => "Correction",
        (NoteKind::EditorsNote, false) => "Editor's note",
    }
}

fn join_and(parts: &[String]) -> String {
    match parts {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// "paragraph 5", "heading 2", "list item 9": where a block is, 1-based.
pub fn place(kind: BlockKind, index: usize) -> String {
    let name = match kind {
        BlockKind::Paragraph => "paragraph",
        BlockKind::Heading => "heading",
        BlockKind::ListItem => "list item",
        BlockKind::Quote => "quote",
        BlockKind::Caption => "caption",
        BlockKind::Preformatted => "preformatted block",
    };
    format!("{name} {}", index + 1)
}

/// The label above one change, e.g. "Paragraphs 7–12 added".
pub fn change_label(change: &Change) -> String {
    match change {
        Change::Added { new_index, blocks } => range_label(
            *new_index,
            blocks.len(),
            blocks.first().map(|b| b.kind),
            "added",
        ),
        Change::Removed { old_index, blocks } => range_label(
            *old_index,
            blocks.len(),
            blocks.first().map(|b| b.kind),
            "removed (numbered as before)",
        ),
        Change::Edited {
            new_index, kind, ..
        } => capitalise(&format!("{} edited", place(*kind, *new_index))),
        Change::Moved {
            old_index,
            new_index,
            block,
            ..
        } => capitalise(&format!(
            "{} moved from position {}",
            place(block.kind, *new_index),
            old_index + 1
        )),
        Change::Emphasised {
            new_index, style, ..
        } => format!("Now in {}, paragraph {}", style.label(), new_index + 1),
        Change::Deemphasised {
            new_index, style, ..
        } => format!(
            "No longer in {}, paragraph {}",
            style.label(),
            new_index + 1
        ),
        Change::Note {
            kind, status, date, ..
        } => {
            let status = match status {
                crate::report::NoteStatus::Added => "new",
                crate::report::NoteStatus::Changed => "changed",
            };
            match date {
                Some(d) => format!("{} ({status}, {})", note_name(*kind, false), one_line(d)),
                None => format!("{} ({status})", note_name(*kind, false)),
            }
        }
    }
}

fn range_label(first: usize, len: usize, kind: Option<BlockKind>, what: &str) -> String {
    let kind = kind.unwrap_or(BlockKind::Paragraph);
    if len <= 1 {
        return capitalise(&format!("{} {what}", place(kind, first)));
    }
    let noun = if kind == BlockKind::Paragraph {
        "Paragraphs"
    } else {
        "Blocks"
    };
    format!("{noun} {}–{} {what}", first + 1, first + len)
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().collect::<String>() + chars.as_str())
        .unwrap_or_default()
}

/// A piece of a block's text with the emphasis that covers all of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Run<'a> {
    /// The text.
    pub text: &'a str,
    /// Set in bold.
    pub bold: bool,
    /// Set in italic.
    pub italic: bool,
}

/// Splits a block's text at its emphasis boundaries. Ranges that do not
/// fall on character boundaries (a broken invariant) are ignored rather
/// than trusted.
pub fn runs(block: &crate::article::Block) -> Vec<Run<'_>> {
    let text = block.text.as_str();
    let valid: Vec<_> = block
        .emphasis
        .iter()
        .filter(|e| {
            e.start < e.end
                && text.is_char_boundary(e.start)
                && text.is_char_boundary(e.end.min(text.len()))
        })
        .collect();
    let mut cuts: Vec<usize> = vec![0, text.len()];
    for e in &valid {
        cuts.push(e.start);
        cuts.push(e.end.min(text.len()));
    }
    cuts.sort_unstable();
    cuts.dedup();
    let mut out: Vec<Run<'_>> = Vec::new();
    for pair in cuts.windows(2) {
        let (start, end) = (pair[0], pair[1]);
        let covered = |style| {
            valid
                .iter()
                .any(|e| e.style == style && e.start <= start && end <= e.end)
        };
        let run = Run {
            text: &text[start..end],
            bold: covered(Style::Bold),
            italic: covered(Style::Italic),
        };
        match out.last_mut() {
            Some(last) if last.bold == run.bold && last.italic == run.italic => {
                last.text = &text[start - last.text.len()..end];
            }
            _ => out.push(run),
        }
    }
    out
}

/// Whether most of a block is bold: such blocks are labelled "bold on the
/// page" once instead of being marked up word by word.
pub fn mostly_bold(block: &crate::article::Block) -> bool {
    block.emphasised_share(Style::Bold) > 0.8
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
    fn shorten_cuts_at_a_word() {
        assert_eq!(shorten("short", 10), "short");
        assert_eq!(shorten("one two three four", 12), "one two…");
        assert_eq!(shorten("abcdefghijklmnop", 5), "abcde…");
    }

    #[test]
    fn labels_name_the_place() {
        let block = crate::article::Block::new(BlockKind::Paragraph, "x");
        let added = Change::Added {
            new_index: 6,
            blocks: vec![block.clone(); 6],
        };
        assert_eq!(change_label(&added), "Paragraphs 7–12 added");
        let one = Change::Added {
            new_index: 16,
            blocks: vec![block],
        };
        assert_eq!(change_label(&one), "Paragraph 17 added");
    }
}
