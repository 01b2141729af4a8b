//! The change report: what `diff` finds between two versions of an article,
//! in a form every renderer and alert channel shares.
//!
//! This module is the model only. It must not compute differences (that is
//! `diff`) nor decide how they look (that is the renderers); it owns the
//! vocabulary both speak, and the JSON shape that scripts read, which is
//! versioned by [`Report::SCHEMA`].

use serde::{Deserialize, Serialize};

use crate::article::{Block, BlockKind, Style};

/// Everything that changed between an old and a new version of an article.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The headline, when it changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headline: Option<TextChange>,
    /// The byline, when it changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub byline: Option<TextChange>,
    /// The body's changes, in the new version's reading order.
    pub changes: Vec<Change>,
}

/// A field's value before and after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextChange {
    /// The value in the old version (empty when it had none).
    pub old: String,
    /// The value in the new version (empty when it has none).
    pub new: String,
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
        /// The kind of the (first) new block.
        kind: BlockKind,
        /// The edit, word by word: the new text is the concatenation of the
        /// `Equal` and `Inserted` segments, the old text of the `Equal` and
        /// `Deleted` ones.
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
    },
}

/// A piece of an edited block's text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    /// Whether the text is kept, inserted or deleted.
    pub op: SegmentOp,
    /// The text, spaces included, so segments concatenate to the full text.
    pub text: String,
    /// Whether the text is emphasised (bold) in its version.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub emphasised: bool,
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
    /// Notes added or changed.
    pub notes: usize,
}

impl Report {
    /// The version of the report's JSON shape. Bumped on any change that a
    /// program reading the JSON would notice.
    pub const SCHEMA: u32 = 1;

    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.headline.is_none() && self.byline.is_none() && self.changes.is_empty()
    }

    /// Counts the report's changes by kind.
    pub fn counts(&self) -> Counts {
        let mut counts = Counts::default();
        for change in &self.changes {
            match change {
                Change::Added { blocks, .. } => counts.added += blocks.len(),
                Change::Removed { blocks, .. } => counts.removed += blocks.len(),
                Change::Edited { .. } => counts.edited += 1,
                Change::Moved { .. } => counts.moved += 1,
                Change::Emphasised { .. } => counts.emphasised += 1,
                Change::Note { .. } => counts.notes += 1,
            }
        }
        counts
    }

    /// The notes this report found, newest first as they appear.
    pub fn notes(&self) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(|c| matches!(c, Change::Note { .. }))
    }
}
