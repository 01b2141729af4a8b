//! The change report: what `diff` finds between two versions of an article,
//! in a form every renderer and alert channel shares.
//!
//! This module is the model, its counts and its one-line summary. It must not
//! compute differences (that is `diff`); how a report looks is decided by the
//! renderers in [`render`](mod@render), which read the model and nothing else. The JSON
//! shape that scripts read is versioned by [`Report::SCHEMA`] and described in
//! [`render`](mod@render)'s JSON renderer.

pub mod render;
mod summary;

use serde::{Deserialize, Serialize};

use crate::article::{Block, BlockKind, Style};

pub use render::{Format, RenderContext, html_changes, html_fragment, render};

/// Everything that changed between an old and a new version of an article.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The visible headline, when it changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headline: Option<TextChange>,
    /// The metadata titles that changed (`og:title`, the JSON-LD headline,
    /// the document's `<title>`), in that order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub titles: Vec<TitleChange>,
    /// The byline, when it changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub byline: Option<TextChange>,
    /// The body's changes, in the new version's reading order.
    pub changes: Vec<Change>,
    /// Facts a reporter looks for first, drawn from the changes: numbers
    /// changed inside a sentence, quotations that appeared or disappeared.
    /// They repeat what `changes` shows, so they are never counted as
    /// changes of their own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<Finding>,
}

/// A field's value before and after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextChange {
    /// The value in the old version (empty when it had none).
    pub old: String,
    /// The value in the new version (empty when it has none).
    pub new: String,
    /// The edit word by word, as in [`Change::Edited`]; empty when the
    /// value was added or removed as a whole.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub segments: Vec<Segment>,
}

/// A metadata title's value before and after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TitleChange {
    /// Which title.
    pub kind: TitleKind,
    /// Its values and the edit.
    #[serde(flatten)]
    pub change: TextChange,
}

/// The metadata titles a page gives an article besides its visible
/// headline (see [`crate::article::Titles`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TitleKind {
    /// `og:title`.
    OgTitle,
    /// The JSON-LD article's `headline`.
    JsonLdHeadline,
    /// The document's `<title>`.
    DocumentTitle,
}

impl TitleKind {
    /// Every kind, in the order reports list them.
    pub const ALL: [TitleKind; 3] = [
        TitleKind::OgTitle,
        TitleKind::JsonLdHeadline,
        TitleKind::DocumentTitle,
    ];

    /// The title as a reader names it, capitalised for a heading.
    pub fn label(self) -> &'static str {
        match self {
            TitleKind::OgTitle => "og:title",
            TitleKind::JsonLdHeadline => "JSON-LD headline",
            TitleKind::DocumentTitle => "Page title",
        }
    }

    /// This title's value in `titles`.
    pub fn of(self, titles: &crate::article::Titles) -> Option<&str> {
        match self {
            TitleKind::OgTitle => titles.og.as_deref(),
            TitleKind::JsonLdHeadline => titles.json_ld.as_deref(),
            TitleKind::DocumentTitle => titles.document.as_deref(),
        }
    }
}

/// One change to the body. Positions are indexes into the old and new
/// versions' `blocks`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Change {
    /// A run of consecutive blocks that are new. Their emphasis is kept:
    /// updates set in bold show as such.
    Added {
        /// Index of the first added block in the new version.
        new_index: usize,
        /// The added blocks, in order.
        blocks: Vec<Block>,
    },
    /// A run of consecutive blocks that are gone.
    Removed {
        /// Index of the first removed block in the old version.
        old_index: usize,
        /// The removed blocks, in order.
        blocks: Vec<Block>,
    },
    /// A block whose text was edited (one block to one, or a split or merge
    /// of several, read as one edit).
    Edited {
        /// Index of the first old block involved.
        old_index: usize,
        /// Index of the first new block involved.
        new_index: usize,
        /// How many old blocks are involved: 2 or more when paragraphs were
        /// merged.
        #[serde(default = "one", skip_serializing_if = "is_one")]
        old_count: usize,
        /// How many new blocks are involved: 2 or more when a paragraph was
        /// split.
        #[serde(default = "one", skip_serializing_if = "is_one")]
        new_count: usize,
        /// The kind of the (first) new block.
        kind: BlockKind,
        /// The edit, word by word: the new text is the concatenation of the
        /// `Equal` and `Inserted` segments, the old text of the `Equal` and
        /// `Deleted` ones. Where blocks were split or merged, a segment whose
        /// text is [`PARAGRAPH_BREAK`] marks the paragraph boundary.
        segments: Vec<Segment>,
    },
    /// A block that moved, possibly with small edits.
    Moved {
        /// Its index in the old version.
        old_index: usize,
        /// Its index in the new version.
        new_index: usize,
        /// The block as it is now.
        block: Block,
        /// Its small edits word by word, as in [`Change::Edited`]; empty
        /// when it moved unchanged.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        segments: Vec<Segment>,
    },
    /// Text that was already there and is now set in a style (typically
    /// bold, marking an update).
    Emphasised {
        /// Index of the block in the new version.
        new_index: usize,
        /// The text that gained the style.
        text: String,
        /// The style it gained.
        style: Style,
    },
    /// Text that is still there but no longer set in a style.
    Deemphasised {
        /// Index of the block in the new version.
        new_index: usize,
        /// The text that lost the style.
        text: String,
        /// The style it lost.
        style: Style,
    },
    /// An update note, correction or editor's note that is new or changed.
    Note {
        /// Index of the note's block in the new version.
        new_index: usize,
        /// What kind of note it is.
        kind: NoteKind,
        /// Whether the note is new or a changed earlier note.
        status: NoteStatus,
        /// The note's text as it is now.
        text: String,
        /// The note's own date or time, as written ("April 25, 8:30 UTC").
        #[serde(default, skip_serializing_if = "Option::is_none")]
        date: Option<String>,
        /// For a changed note, its edit word by word; empty for a new note.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        segments: Vec<Segment>,
    },
}

/// The text of the [`Segment`] that marks a paragraph boundary inside an
/// edit that split or merged paragraphs: inserted where a paragraph was
/// split, deleted where two were merged.
pub const PARAGRAPH_BREAK: &str = "\n";

fn one() -> usize {
    1
}

fn is_one(n: &usize) -> bool {
    *n == 1
}

/// A piece of an edited block's text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    /// Whether the text is kept, inserted or deleted.
    pub op: SegmentOp,
    /// The text, spaces included, so segments concatenate to the full text.
    pub text: String,
    /// Whether the text is set in bold in its version (the new version for
    /// kept and inserted text, the old one for deleted text).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub emphasised: bool,
    /// Whether the text is set in italic in its version.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub italic: bool,
}

/// What happened to a [`Segment`]'s text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SegmentOp {
    /// In both versions.
    Equal,
    /// Only in the new version.
    Inserted,
    /// Only in the old version.
    Deleted,
}

/// The kinds of editorial note news pages attach to a revised article.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoteKind {
    /// "Updated …", "This article has been updated …".
    Update,
    /// "Correction: …", "An earlier version of this article …".
    Correction,
    /// "Editor's note: …".
    EditorsNote,
}

/// Whether a note is new in this version or an earlier note changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoteStatus {
    /// The note was not in the old version.
    Added,
    /// The note was there and its text changed.
    Changed,
}

/// A fact drawn from the changes that a reporter wants named on its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Finding {
    /// A number (a count, a sum, a date) changed inside a sentence that was
    /// otherwise kept.
    NumberChanged {
        /// Index of the block in the new version.
        new_index: usize,
        /// The words as they were ("12", "USD 10,900").
        old: String,
        /// The words as they are now.
        new: String,
        /// The sentence as it reads now.
        sentence: String,
    },
    /// A quotation that is new inside an edited block. Quotations inside
    /// wholly added blocks are shown by the added block itself.
    QuoteAdded {
        /// Index of the block in the new version.
        new_index: usize,
        /// The quoted words, without their quotation marks.
        text: String,
    },
    /// A quotation that is gone from the article.
    QuoteRemoved {
        /// Index of the block in the old version.
        old_index: usize,
        /// The quoted words, without their quotation marks.
        text: String,
    },
}

/// How many changes of each kind a report holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Blocks added (not runs: six paragraphs count six).
    pub added: usize,
    /// Blocks removed.
    pub removed: usize,
    /// Blocks edited.
    pub edited: usize,
    /// Blocks moved.
    pub moved: usize,
    /// Passages newly emphasised.
    pub emphasised: usize,
    /// Passages that lost their emphasis.
    #[serde(default)]
    pub deemphasised: usize,
    /// Notes added or changed.
    pub notes: usize,
    /// Numbers changed inside sentences (findings, not changes).
    #[serde(default)]
    pub numbers: usize,
    /// Quotations added inside edited blocks (findings).
    #[serde(default)]
    pub quotes_added: usize,
    /// Quotations gone from the article (findings).
    #[serde(default)]
    pub quotes_removed: usize,
}

impl Report {
    /// The version of the report's JSON shape. Bumped on any change that a
    /// program reading the JSON would notice.
    pub const SCHEMA: u32 = 1;

    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.headline.is_none()
            && self.titles.is_empty()
            && self.byline.is_none()
            && self.changes.is_empty()
    }

    /// The whole fields that changed, each with its label, in the order
    /// reports show them: the visible headline first, then the metadata
    /// titles, then the byline.
    pub fn field_changes(&self) -> Vec<(&'static str, &TextChange)> {
        let mut fields = Vec::new();
        if let Some(headline) = &self.headline {
            fields.push(("Headline", headline));
        }
        fields.extend(self.titles.iter().map(|t| (t.kind.label(), &t.change)));
        if let Some(byline) = &self.byline {
            fields.push(("Byline", byline));
        }
        fields
    }

    /// Counts the report's changes and findings by kind.
    pub fn counts(&self) -> Counts {
        let mut counts = Counts::default();
        for change in &self.changes {
            match change {
                Change::Added { blocks, .. } => counts.added += blocks.len(),
                Change::Removed { blocks, .. } => counts.removed += blocks.len(),
                Change::Edited { .. } => counts.edited += 1,
                Change::Moved { .. } => counts.moved += 1,
                Change::Emphasised { .. } => counts.emphasised += 1,
                Change::Deemphasised { .. } => counts.deemphasised += 1,
                Change::Note { .. } => counts.notes += 1,
            }
        }
        for finding in &self.findings {
            match finding {
                Finding::NumberChanged { .. } => counts.numbers += 1,
                Finding::QuoteAdded { .. } => counts.quotes_added += 1,
                Finding::QuoteRemoved { .. } => counts.quotes_removed += 1,
            }
        }
        counts
    }

    /// The notes this report found, in the new version's reading order.
    pub fn notes(&self) -> impl Iterator<Item = &Change> {
        self.changes
            .iter()
            .filter(|c| matches!(c, Change::Note { .. }))
    }
}
