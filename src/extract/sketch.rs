//! A text's sketch: the hashes of its three-word shingles, and the few
//! smallest of them kept as a sample that later versions are measured
//! against (the share of the sample a new text still holds estimates how
//! much of the old text it kept).
//!
//! Hashes are FNV-1a, fixed by their definition, so that a sketch stored
//! by one build compares with another build's. This module knows texts and
//! articles only, not pages.

use crate::article::Article;
use std::borrow::Cow;

/// Words per shingle.
const SHINGLE: usize = 3;

/// The `size` smallest shingle hashes of the article's body, sorted.
#[cfg(test)]
fn of(article: &Article, size: usize) -> Vec<u64> {
    smallest(shingles(article), size)
}

/// The `size` smallest distinct hashes of `hashes`, sorted: the sketch of
/// a text whose shingles were hashed already.
pub(crate) fn smallest(mut hashes: Vec<u64>, size: usize) -> Vec<u64> {
    hashes.sort_unstable();
    hashes.dedup();
    hashes.truncate(size);
    hashes
}

/// The share of a sketch's hashes found among `shingles` (1 for an empty
/// sketch: a body too short to sketch says nothing). Looks the shingles
/// up in the sketch, not the reverse: a sketch is a few dozen sorted
/// hashes, a text thousands of shingles that need no set built.
pub(crate) fn shared(sketch: &[u64], shingles: &[u64]) -> f64 {
    if sketch.is_empty() {
        return 1.0;
    }
    // A stored sketch is sorted; one edited by hand may not be. A hash is
    // marked at its first place, so that one held twice counts twice.
    let sorted = sketch.is_sorted();
    let first = |hash: &u64| {
        if sorted {
            let at = sketch.partition_point(|h| h < hash);
            (sketch.get(at) == Some(hash)).then_some(at)
        } else {
            sketch.iter().position(|h| h == hash)
        }
    };
    let mut found = vec![false; sketch.len()];
    for at in shingles.iter().filter_map(first) {
        found[at] = true;
    }
    let kept = sketch
        .iter()
        .filter(|h| first(h).is_some_and(|at| found[at]))
        .count();
    kept as f64 / sketch.len() as f64
}

/// The hashes of the body's three-word shingles, words lowercased, in
/// the text's order (repeats kept).
pub(crate) fn shingles(article: &Article) -> Vec<u64> {
    let words: Vec<Cow<'_, str>> = article
        .blocks
        .iter()
        .flat_map(|b| words_of(&b.text))
        .collect();
    shingles_of(&words)
}

/// The words of a text, lowercased; borrowed when they already are (most
/// words of most pages), since sketches are taken of every version.
pub(crate) fn words_of(text: &str) -> impl Iterator<Item = Cow<'_, str>> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            if w.bytes().all(|b| b.is_ascii() && !b.is_ascii_uppercase()) {
                Cow::Borrowed(w)
            } else {
                Cow::Owned(w.to_lowercase())
            }
        })
}

/// The hashes of the three-word shingles of `words`, in order: FNV-1a of
/// the words joined by single spaces, hashed in place rather than joined.
pub(crate) fn shingles_of<S: AsRef<str>>(words: &[S]) -> Vec<u64> {
    words
        .windows(SHINGLE)
        .map(|window| {
            let mut hash = FNV_OFFSET;
            for (i, word) in window.iter().enumerate() {
                if i > 0 {
                    hash = fnv1a_from(hash, b" ");
                }
                hash = fnv1a_from(hash, word.as_ref().as_bytes());
            }
            hash
        })
        .collect()
}

/// FNV-1a, 32 bits.
pub(crate) fn fnv1a32(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5, |h, &b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

/// FNV-1a's 64-bit offset basis: the hash of nothing.
const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// FNV-1a, 64 bits.
#[cfg(test)]
fn fnv1a(bytes: &[u8]) -> u64 {
    fnv1a_from(FNV_OFFSET, bytes)
}

/// FNV-1a, 64 bits, continued from `hash` over more bytes.
fn fnv1a_from(hash: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(hash, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::article::{Block, BlockKind};

    fn article(text: &str) -> Article {
        Article {
            blocks: vec![Block::new(BlockKind::Paragraph, text)],
            ..Article::default()
        }
    }

    #[test]
    fn a_sketch_measures_how_much_text_was_kept() {
        let old =
            article("the harbour reopened on saturday after the storm tore through the coast");
        let sketch = of(&old, 64);
        assert_eq!(shared(&sketch, &shingles(&old)), 1.0);
        let edited =
            article("the harbour reopened on sunday after the storm tore through the coast");
        let kept = shared(&sketch, &shingles(&edited));
        assert!(kept > 0.5 && kept < 1.0, "{kept}");
        assert_eq!(
            shared(&sketch, &shingles(&article("something else entirely"))),
            0.0
        );
        // The hash is fixed by its definition: stored sketches stay valid.
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        let words: Vec<_> = words_of("The Harbour ÉTÉ reopened").collect();
        assert_eq!(words, ["the", "harbour", "été", "reopened"]);
        let joined = [
            fnv1a(b"the harbour \xc3\xa9t\xc3\xa9"),
            fnv1a("harbour été reopened".as_bytes()),
        ];
        assert_eq!(shingles_of(&words), joined);
    }

    #[test]
    fn a_sketch_held_twice_or_unsorted_counts_as_it_is_held() {
        let text = article("one two three four five six seven");
        let all = shingles(&text);
        let sketch = of(&text, 3);
        assert_eq!(sketch.len(), 3);
        assert!(sketch.is_sorted());
        assert_eq!(shared(&[sketch[0], sketch[0], 7], &all), 2.0 / 3.0);
        assert_eq!(shared(&[7, sketch[1], sketch[0]], &all), 2.0 / 3.0);
        assert_eq!(shared(&[], &all), 1.0);
    }
}
