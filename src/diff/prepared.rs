//! A block made ready for comparison, paying only for what is asked.
//!
//! Every block needs its comparison key (the alignment anchors unchanged
//! blocks by key), but an edited article changes a paragraph or two: only
//! the blocks left between anchors, or whose emphasis changed, need their
//! tokens, bag of words, sentence hashes and note kind. [`Prepared`] holds
//! the key from the start and works out the rest on first use, so that
//! the kept blocks cost one pass over their text. This module owns that
//! caching; it must not compare anything.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::hash::{DefaultHasher, Hash, Hasher};

use regex::Regex;

use super::normalize::{self, Token, TokenKind};
use super::notes;
use super::pairing::{self, Bag};
use super::sentences;
use crate::article::Block;
use crate::report::NoteKind;

/// A block ready for comparison: its key now, the rest when first asked.
pub(crate) struct Prepared<'a> {
    /// The block compared.
    pub block: &'a Block,
    /// The watch's ignore patterns, to mask the text when it is tokenised.
    ignore: &'a [Regex],
    /// The comparison key of the whole block (see `normalize::key_of`),
    /// most often the text itself.
    pub key: Cow<'a, str>,
    detail: OnceCell<Detail>,
}

/// What only a changed block needs.
struct Detail {
    tokens: Vec<Token>,
    bag: Bag,
    /// Hashes of its sentences of four words or more, to spot a paragraph
    /// that kept a sentence while the rest was rewritten.
    sentences: Vec<u64>,
    note: Option<NoteKind>,
}

/// The blocks ready for comparison, keys computed.
pub(crate) fn prepare<'a>(blocks: &'a [Block], ignore: &'a [Regex]) -> Vec<Prepared<'a>> {
    blocks
        .iter()
        .map(|block| Prepared {
            key: normalize::text_key(&block.text, &normalize::mask_ranges(&block.text, ignore)),
            block,
            ignore,
            detail: OnceCell::new(),
        })
        .collect()
}

impl Prepared<'_> {
    /// The block's tokens, masked stretches as one token each.
    pub fn tokens(&self) -> &[Token] {
        &self.detail().tokens
    }

    /// The bag of the block's content words.
    pub fn bag(&self) -> &Bag {
        &self.detail().bag
    }

    /// Hashes of the block's sentences of four words or more.
    pub fn sentences(&self) -> &[u64] {
        &self.detail().sentences
    }

    /// The kind of editorial note the block is, when it is one.
    pub fn note(&self) -> Option<NoteKind> {
        self.detail().note
    }

    fn detail(&self) -> &Detail {
        self.detail.get_or_init(|| {
            let text = &self.block.text;
            let tokens = normalize::tokenize(text, &normalize::mask_ranges(text, self.ignore));
            Detail {
                bag: pairing::bag(&tokens),
                sentences: sentence_hashes(text, &tokens),
                note: notes::kind(text),
                tokens,
            }
        })
    }
}

fn sentence_hashes(text: &str, tokens: &[Token]) -> Vec<u64> {
    sentences::sentences(text, tokens)
        .into_iter()
        .map(|r| &tokens[r])
        .filter(|t| t.iter().filter(|t| t.kind == TokenKind::Word).count() >= 4)
        .map(|t| {
            let mut h = DefaultHasher::new();
            normalize::key_of(t).hash(&mut h);
            h.finish()
        })
        .collect()
}
