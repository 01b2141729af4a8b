//! A watch's anchor as its state holds it: whole, as `state.json` stores
//! it and extraction needs it, or trimmed, as the store's cache keeps it.
//! The bulk of an anchor (its text runs, block kinds and sketch, a few
//! kilobytes) is needed only by a full extraction; every faster answer of
//! a check (a 304, a page seen before, the prescreen) needs only what the
//! anchor last saw. So the cache keeps a [`Trimmed`] anchor, and the
//! analysis reads the whole one from disk when it extracts.
//!
//! The two forms are distinct types so that a trimmed anchor cannot reach
//! extraction (which takes an [`Anchor`]) nor be written: it does not
//! serialise, and the store writes the anchor the file holds in its place.
//! This module must not read or write files.

use std::hash::{DefaultHasher, Hash, Hasher};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::extract::{Anchor, Seen};

/// A state's anchor: whole, or trimmed by the store's cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeptAnchor {
    /// The anchor as made and stored (boxed, so that a trimmed one does
    /// not take a whole one's room).
    Whole(Box<Anchor>),
    /// The anchor without its bulk; the whole one is in `state.json`.
    Trimmed(Trimmed),
}

/// An anchor without its path, sketch, kinds and runs: what it last saw,
/// and a digest of the rest to tell the whole anchor it was trimmed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trimmed {
    seen: Option<Box<Seen>>,
    /// A hash of everything but `seen`, for this process only (it is
    /// never written, so it need not be stable across builds).
    digest: u64,
}

impl Trimmed {
    /// Whether `whole` is the anchor this was trimmed from.
    pub fn is_of(&self, whole: &Anchor) -> bool {
        self.seen.as_deref() == whole.seen.as_ref() && self.digest == digest(whole)
    }
}

impl KeptAnchor {
    /// What the anchor last saw, in either form.
    pub fn seen(&self) -> Option<&Seen> {
        match self {
            KeptAnchor::Whole(anchor) => anchor.seen.as_ref(),
            KeptAnchor::Trimmed(trimmed) => trimmed.seen.as_deref(),
        }
    }

    /// The anchor trimmed (a trimmed one as it is).
    pub fn trimmed(&self) -> KeptAnchor {
        match self {
            KeptAnchor::Whole(anchor) => KeptAnchor::Trimmed(Trimmed {
                seen: anchor.seen.clone().map(Box::new),
                digest: digest(anchor),
            }),
            KeptAnchor::Trimmed(trimmed) => KeptAnchor::Trimmed(trimmed.clone()),
        }
    }

    /// Whether `self` and `other` are the same anchor apart from what it
    /// last saw, whatever their forms.
    pub fn same_but_seen(&self, other: &KeptAnchor) -> bool {
        self.bulk() == other.bulk()
    }

    /// The digest of all but what the anchor last saw, in either form:
    /// what a trimmed anchor keeps of its bulk.
    pub(super) fn bulk(&self) -> u64 {
        match self {
            KeptAnchor::Whole(anchor) => digest(anchor),
            KeptAnchor::Trimmed(trimmed) => trimmed.digest,
        }
    }

    /// The trimmed anchor that saw `seen` and whose bulk has the digest
    /// `bulk`, as the store's cache packs it.
    pub(super) fn trimmed_of(seen: Option<Seen>, bulk: u64) -> KeptAnchor {
        KeptAnchor::Trimmed(Trimmed {
            seen: seen.map(Box::new),
            digest: bulk,
        })
    }
}

/// A hash of all of `anchor` but what it last saw.
fn digest(anchor: &Anchor) -> u64 {
    let mut hasher = DefaultHasher::new();
    anchor.path.hash(&mut hasher);
    anchor.sketch.hash(&mut hasher);
    anchor.chars.hash(&mut hasher);
    anchor.kinds.hash(&mut hasher);
    anchor.runs.hash(&mut hasher);
    hasher.finish()
}

impl Serialize for KeptAnchor {
    /// The whole anchor; a trimmed one is an error, never written.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            KeptAnchor::Whole(anchor) => anchor.serialize(serializer),
            KeptAnchor::Trimmed(_) => Err(serde::ser::Error::custom(
                "a trimmed anchor is never written",
            )),
        }
    }
}

impl<'de> Deserialize<'de> for KeptAnchor {
    /// A stored anchor is always whole.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Anchor::deserialize(deserializer).map(|anchor| KeptAnchor::Whole(Box::new(anchor)))
    }
}
