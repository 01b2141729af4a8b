//! The report in words: the one-line summary and the one-sentence account
//! that subjects, logs, history lists and alerts lead with.
//!
//! Plain functions of the report's counts and notes; they must not look at
//! the text of the changes.

use super::{Change, NoteKind, NoteStatus, Report, TitleKind};
use crate::article::Style;

impl Report {
    /// One line saying what changed, for subjects, logs and history lists:
    /// `headline changed, +7 paragraphs, 3 edits, 1 update note`, or
    /// `no change`.
    pub fn summary(&self) -> String {
        let c = self.counts();
        let mut parts: Vec<String> = Vec::new();
        if self.headline.is_some() {
            parts.push("headline changed".into());
        }
        for title in &self.titles {
            parts.push(format!("{} changed", title.kind.lowercase()));
        }
        if self.byline.is_some() {
            parts.push("byline changed".into());
        }
        if c.added > 0 {
            parts.push(format!("+{}", plural(c.added, "paragraph", "paragraphs")));
        }
        if c.removed > 0 {
            parts.push(format!("-{}", plural(c.removed, "paragraph", "paragraphs")));
        }
        let blocks = [
            (c.edited, "edit", "edits"),
            (c.moved, "moved", "moved"),
            (c.emphasised, "newly emphasised", "newly emphasised"),
            (c.deemphasised, "emphasis removed", "emphasis removed"),
        ];
        parts.extend(counted(&blocks));
        parts.extend(self.note_summaries());
        let facts = [
            (c.numbers, "number changed", "numbers changed"),
            (c.quotes_added, "quote added", "quotes added"),
            (c.quotes_removed, "quote removed", "quotes removed"),
        ];
        parts.extend(counted(&facts));
        if parts.is_empty() {
            "no change".into()
        } else {
            parts.join(", ")
        }
    }

    /// What changed in one English sentence, for the top of an alert: "7
    /// paragraphs were added, 3 paragraphs were edited and an update note
    /// was added." or "Nothing changed."
    pub fn sentence(&self) -> String {
        let c = self.counts();
        let mut clauses: Vec<String> = Vec::new();
        if self.headline.is_some() {
            clauses.push("the headline changed".into());
        }
        for title in &self.titles {
            clauses.push(format!("the {} changed", title.kind.lowercase()));
        }
        if self.byline.is_some() {
            clauses.push("the byline changed".into());
        }
        let paragraphs = [
            (c.added, "added"),
            (c.removed, "removed"),
            (c.edited, "edited"),
        ];
        for (n, what) in paragraphs.into_iter().filter(|(n, _)| *n > 0) {
            clauses.push(match n {
                1 => format!("1 paragraph was {what}"),
                n => format!("{n} paragraphs were {what}"),
            });
        }
        if c.moved > 0 {
            clauses.push(plural(c.moved, "paragraph moved", "paragraphs moved"));
        }
        if c.emphasised > 0 {
            clauses.push(format!(
                "{} newly emphasised",
                plural(c.emphasised, "passage was", "passages were")
            ));
        }
        if c.deemphasised > 0 {
            clauses.push(format!(
                "{} its emphasis",
                plural(c.deemphasised, "passage lost", "passages lost")
            ));
        }
        clauses.extend(self.note_clauses());
        let facts = [
            (c.numbers, "number changed", "numbers changed"),
            (c.quotes_added, "quote was added", "quotes were added"),
            (c.quotes_removed, "quote was removed", "quotes were removed"),
        ];
        clauses.extend(counted(&facts));
        capitalised_sentence(clauses)
    }

    /// "an update note was added", "the correction was changed", … one per note.
    fn note_clauses(&self) -> Vec<String> {
        let mut clauses = Vec::new();
        for change in self.notes() {
            if let Change::Note { kind, status, .. } = change {
                let article = if *kind == NoteKind::Update { "an" } else { "a" };
                clauses.push(match status {
                    NoteStatus::Added => format!("{article} {} was added", kind.label()),
                    NoteStatus::Changed => format!("the {} was changed", kind.label()),
                });
            }
        }
        clauses
    }

    /// "1 update note", "1 correction changed", … one entry per kind and
    /// status of note, in a fixed order.
    fn note_summaries(&self) -> Vec<String> {
        let mut out = Vec::new();
        for kind in [
            NoteKind::Update,
            NoteKind::Correction,
            NoteKind::EditorsNote,
        ] {
            for status in [NoteStatus::Added, NoteStatus::Changed] {
                let n = self
                    .changes
                    .iter()
                    .filter(|c| matches!(c, Change::Note { kind: k, status: s, .. } if *k == kind && *s == status))
                    .count();
                if n == 0 {
                    continue;
                }
                let label = plural(n, kind.label(), kind.label_plural());
                out.push(match status {
                    NoteStatus::Added => label,
                    NoteStatus::Changed => format!("{label} changed"),
                });
            }
        }
        out
    }
}

impl NoteKind {
    /// The note kind as a reader names it: "update note".
    pub fn label(self) -> &'static str {
        match self {
            NoteKind::Update => "update note",
            NoteKind::Correction => "correction",
            NoteKind::EditorsNote => "editor's note",
        }
    }

    fn label_plural(self) -> &'static str {
        match self {
            NoteKind::Update => "update notes",
            NoteKind::Correction => "corrections",
            NoteKind::EditorsNote => "editor's notes",
        }
    }
}

impl TitleKind {
    /// The title as named inside a sentence: "og:title", "page title".
    fn lowercase(self) -> &'static str {
        match self {
            TitleKind::OgTitle => "og:title",
            TitleKind::JsonLdHeadline => "JSON-LD headline",
            TitleKind::DocumentTitle => "page title",
        }
    }
}

impl Style {
    /// The style as a reader names it: "bold", "italic".
    pub fn label(self) -> &'static str {
        match self {
            Style::Bold => "bold",
            Style::Italic => "italic",
        }
    }
}

/// "A, b and c." from clauses "a", "b", "c"; "Nothing changed." from none.
fn capitalised_sentence(mut clauses: Vec<String>) -> String {
    let mut sentence = match clauses.len() {
        0 => "nothing changed".to_string(),
        1 => clauses.remove(0),
        _ => {
            let last = clauses.pop().expect("two or more clauses");
            format!("{} and {last}", clauses.join(", "))
        }
    };
    sentence.replace_range(..1, &sentence[..1].to_uppercase());
    sentence.push('.');
    sentence
}

/// "1 edit", "3 edits".
/// "3 edits", "1 quote added", … for each count above zero, in order.
fn counted<'a>(items: &'a [(usize, &'a str, &'a str)]) -> impl Iterator<Item = String> + 'a {
    items
        .iter()
        .filter(|(n, ..)| *n > 0)
        .map(|&(n, s, p)| plural(n, s, p))
}

fn plural(n: usize, singular: &str, plural: &str) -> String {
    format!("{n} {}", if n == 1 { singular } else { plural })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::article::{Block, BlockKind};
    use crate::report::{Change, TextChange};

    fn added(n: usize) -> Change {
        Change::Added {
            new_index: 0,
            blocks: vec![Block::new(BlockKind::Paragraph, "x"); n],
        }
    }

    fn edited() -> Change {
        Change::Edited {
            old_index: 0,
            new_index: 0,
            old_count: 1,
            new_count: 1,
            kind: BlockKind::Paragraph,
            segments: Vec::new(),
        }
    }

    fn note(status: NoteStatus) -> Change {
        Change::Note {
            new_index: 0,
            kind: NoteKind::Update,
            status,
            text: String::new(),
            date: None,
            segments: Vec::new(),
        }
    }

    #[test]
    fn summary_names_each_kind_once() {
        let headline = Some(TextChange {
            old: "a".into(),
            new: "b".into(),
            segments: Vec::new(),
        });
        let cases: Vec<(Report, &str)> = vec![
            (Report::default(), "no change"),
            (
                Report {
                    changes: vec![
                        edited(),
                        added(6),
                        edited(),
                        added(1),
                        edited(),
                        note(NoteStatus::Added),
                    ],
                    ..Report::default()
                },
                "+7 paragraphs, 3 edits, 1 update note",
            ),
            (
                Report {
                    headline,
                    changes: vec![edited()],
                    ..Report::default()
                },
                "headline changed, 1 edit",
            ),
            (
                Report {
                    changes: vec![note(NoteStatus::Changed), added(1)],
                    ..Report::default()
                },
                "+1 paragraph, 1 update note changed",
            ),
        ];
        for (report, want) in cases {
            assert_eq!(report.summary(), want);
        }
    }

    #[test]
    fn sentence_reads_as_english() {
        let seed = Report {
            changes: vec![
                edited(),
                added(6),
                edited(),
                added(1),
                edited(),
                note(NoteStatus::Added),
            ],
            ..Report::default()
        };
        assert_eq!(
            seed.sentence(),
            "7 paragraphs were added, 3 paragraphs were edited and an update note was added."
        );
        assert_eq!(Report::default().sentence(), "Nothing changed.");
        let one = Report {
            changes: vec![edited()],
            ..Report::default()
        };
        assert_eq!(one.sentence(), "1 paragraph was edited.");
    }
}
