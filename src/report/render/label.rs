//! The words above one change in the HTML face, for readers who do not
//! count in pilcrows: "Paragraphs 7–12 added · bold on the page",
//! "Paragraph 5 edited", "Update note (new, April 25, 8:30 UTC)".
//!
//! The line-oriented faces keep their terse `¶` headings (`layout`); this
//! module only words a change. It must not mark up or escape anything: the
//! caller escapes what it returns.

use crate::article::{Block, BlockKind, Style};
use crate::report::{Change, NoteStatus};

/// The share of a block's text in bold above which an added block is
/// labelled "bold on the page": news sites set whole updates in bold.
const MOSTLY: f64 = 0.8;

/// The label above one change, e.g. "Paragraphs 7–12 added".
pub(crate) fn label(change: &Change) -> String {
    match change {
        Change::Added { new_index, blocks } => {
            let label = range_label(*new_index, blocks, "added");
            if !blocks.is_empty() && blocks.iter().all(mostly_bold) {
                format!("{label} · bold on the page")
            } else {
                label
            }
        }
        Change::Removed { old_index, blocks } => {
            range_label(*old_index, blocks, "removed (numbered as before)")
        }
        Change::Edited {
            old_index,
            new_index,
            old_count,
            new_count,
            kind,
            ..
        } => {
            let now = span(*kind, *new_index, *new_count);
            let before = span(*kind, *old_index, *old_count);
            capitalise(&match (*old_count, *new_count) {
                (1, 1) => format!("{now} edited"),
                (1, _) => format!("{now} edited: split from old {before}"),
                _ => format!("{now} edited: merged from old {before}"),
            })
        }
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
                NoteStatus::Added => "new",
                NoteStatus::Changed => "changed",
            };
            let kind = capitalise(kind.label());
            match date {
                Some(d) => format!("{kind} ({status}, {d})"),
                None => format!("{kind} ({status})"),
            }
        }
    }
}

/// Whether most of a block is bold.
fn mostly_bold(block: &Block) -> bool {
    block.emphasised_share(Style::Bold) > MOSTLY
}

/// "paragraph 5", "heading 2", "list item 9": where a block is, from 1.
fn place(kind: BlockKind, index: usize) -> String {
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

/// "Paragraph 17 added", "Paragraphs 7–12 added", "Blocks 3–4 removed".
fn range_label(first: usize, blocks: &[Block], what: &str) -> String {
    let kind = blocks.first().map_or(BlockKind::Paragraph, |b| b.kind);
    capitalise(&format!("{} {what}", span(kind, first, blocks.len())))
}

/// "paragraph 17", "paragraphs 7–12", "blocks 3–4": `len` blocks from
/// `first`, counted from 1.
fn span(kind: BlockKind, first: usize, len: usize) -> String {
    if len <= 1 {
        return place(kind, first);
    }
    let noun = if kind == BlockKind::Paragraph {
        "paragraphs"
    } else {
        "blocks"
    };
    format!("{noun} {}–{}", first + 1, first + len)
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().collect::<String>() + chars.as_str())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::article::Emphasis;
    use crate::report::NoteKind;

    fn bold(text: &str) -> Block {
        let mut block = Block::new(BlockKind::Paragraph, text);
        block.emphasis.push(Emphasis {
            start: 0,
            end: text.len(),
            style: Style::Bold,
        });
        block
    }

    #[test]
    fn labels_name_the_place_and_the_bold() {
        let plain = Block::new(BlockKind::Paragraph, "x");
        let heading = Block::new(BlockKind::Heading, "x");
        let cases = [
            (
                Change::Added {
                    new_index: 6,
                    blocks: vec![plain.clone(); 6],
                },
                "Paragraphs 7–12 added",
            ),
            (
                Change::Added {
                    new_index: 6,
                    blocks: vec![bold("all of it"); 6],
                },
                "Paragraphs 7–12 added · bold on the page",
            ),
            (
                Change::Added {
                    new_index: 16,
                    blocks: vec![plain.clone(), bold("x")],
                },
                "Paragraphs 17–18 added",
            ),
            (
                Change::Removed {
                    old_index: 2,
                    blocks: vec![heading],
                },
                "Heading 3 removed (numbered as before)",
            ),
            (
                Change::Edited {
                    old_index: 3,
                    new_index: 4,
                    old_count: 1,
                    new_count: 1,
                    kind: BlockKind::ListItem,
                    segments: Vec::new(),
                },
                "List item 5 edited",
            ),
            (
                Change::Edited {
                    old_index: 3,
                    new_index: 2,
                    old_count: 1,
                    new_count: 2,
                    kind: BlockKind::Paragraph,
                    segments: Vec::new(),
                },
                "Paragraphs 3–4 edited: split from old paragraph 4",
            ),
            (
                Change::Edited {
                    old_index: 3,
                    new_index: 2,
                    old_count: 2,
                    new_count: 1,
                    kind: BlockKind::Paragraph,
                    segments: Vec::new(),
                },
                "Paragraph 3 edited: merged from old paragraphs 4–5",
            ),
            (
                Change::Note {
                    new_index: 0,
                    kind: NoteKind::Update,
                    status: NoteStatus::Added,
                    text: String::new(),
                    date: Some("April 25, 8:30 UTC".into()),
                    segments: Vec::new(),
                },
                "Update note (new, April 25, 8:30 UTC)",
            ),
        ];
        for (change, want) in cases {
            assert_eq!(label(&change), want);
        }
    }
}
