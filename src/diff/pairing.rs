//! Similarity of texts and order-keeping pairing of two short runs.
//!
//! After the exact alignment has anchored what is unchanged, the runs in
//! between are paired by similarity: paragraphs with paragraphs (one to one,
//! or one to two for a split or merge), sentences with sentences. This module
//! owns the similarity measure and the pairing; it must not know what the
//! items are.

use std::borrow::Cow;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::ops::Range;

use super::normalize::{Token, TokenKind};

/// A bag of words: the sorted hashes of a text's lower-cased word keys.
pub(crate) type Bag = Vec<u64>;

/// Pairing runs larger than this many candidate pairs is not attempted:
/// the runs are reported as removed and added instead. It bounds the work
/// on a pathological pair (everything changed) while leaving any real
/// article (hundreds of paragraphs) untouched.
pub(crate) const MAX_PAIRING_CELLS: usize = 250_000;

/// English function words, left out of bags: two unrelated paragraphs
/// share many of them, which would make them look alike.
const STOP_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "been", "but", "by", "for", "from", "had", "has",
    "have", "he", "her", "his", "i", "in", "is", "it", "its", "of", "on", "or", "she", "that",
    "the", "their", "them", "they", "this", "to", "was", "we", "were", "which", "who", "will",
    "with", "would", "you",
];

fn is_stop_word(word: &str) -> bool {
    word.len() <= 5 && STOP_WORDS.binary_search(&word).is_ok()
}

/// The bag of words of `tokens`: its content words, lower-cased.
pub(crate) fn bag(tokens: &[Token]) -> Bag {
    let mut bag: Bag = tokens
        .iter()
        .filter(|t| t.kind == TokenKind::Word)
        .map(|t| lower(&t.key))
        .filter(|w| !is_stop_word(w))
        .map(|w| {
            // DefaultHasher::new() uses fixed keys, so bags are the same on
            // every run and reports stay reproducible.
            let mut h = DefaultHasher::new();
            w.hash(&mut h);
            h.finish()
        })
        .collect();
    bag.sort_unstable();
    bag
}

/// `word` lower-cased, copied only when that changes it: most words of a
/// text are lower-case ASCII already.
fn lower(word: &str) -> Cow<'_, str> {
    if word
        .bytes()
        .all(|b| b.is_ascii() && !b.is_ascii_uppercase())
    {
        Cow::Borrowed(word)
    } else {
        Cow::Owned(word.to_lowercase())
    }
}

/// The union of several bags, sorted.
pub(crate) fn union<'a>(bags: impl IntoIterator<Item = &'a Bag>) -> Bag {
    let mut all: Bag = Vec::new();
    for bag in bags {
        // Merging two sorted bags is linear; most unions are of one or two.
        let mut merged = Vec::with_capacity(all.len() + bag.len());
        let (mut i, mut j) = (0, 0);
        while i < all.len() && j < bag.len() {
            if all[i] <= bag[j] {
                merged.push(all[i]);
                i += 1;
            } else {
                merged.push(bag[j]);
                j += 1;
            }
        }
        merged.extend_from_slice(&all[i..]);
        merged.extend_from_slice(&bag[j..]);
        all = merged;
    }
    all
}

/// The Dice coefficient of two bags (0.0–1.0): twice the words in common
/// over the words in both. Two empty bags are identical.
pub(crate) fn similarity(a: &[u64], b: &[u64]) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let (mut i, mut j, mut common) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                common += 1;
                i += 1;
                j += 1;
            }
        }
    }
    2.0 * common as f64 / (a.len() + b.len()) as f64
}

/// One step of a pairing, in order: a pair of old and new spans, or an old
/// or new item left alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    /// Old items `0` read as new items `1` (one to one, or a split/merge).
    Pair(Range<usize>, Range<usize>),
    /// An old item with no counterpart.
    Old(usize),
    /// A new item with no counterpart.
    New(usize),
}

/// Pairs `n_old` old items with `n_new` new items without crossing, so as
/// to maximise the total score of the pairs. `score(old, new)` scores a
/// pair of spans; spans longer than one item (at most `max_span`, and only
/// on one side) read as a split or merge. Pairs scoring below `threshold`
/// are never made. Unpaired old items come before unpaired new ones.
pub(crate) fn pair(
    n_old: usize,
    n_new: usize,
    max_span: usize,
    threshold: f64,
    score: impl Fn(Range<usize>, Range<usize>) -> f64,
) -> Vec<Step> {
    if n_old == 0 || n_new == 0 || n_old.saturating_mul(n_new) > MAX_PAIRING_CELLS {
        return lone_steps(0..n_old, 0..n_new);
    }
    let width = n_new + 1;
    // best[i * width + j]: the best total for old[..i] and new[..j]; from
    // holds the spans of the last pair (0, 0 when the cell skips an item).
    let mut best = vec![0.0f64; (n_old + 1) * width];
    let mut from = vec![(0u8, 0u8); (n_old + 1) * width];
    for i in 0..=n_old {
        for j in 0..=n_new {
            let at = i * width + j;
            let (mut value, mut step) = (f64::NEG_INFINITY, (0u8, 0u8));
            if i > 0 && best[at - width] > value {
                (value, step) = (best[at - width], (1, 0));
            }
            if j > 0 && best[at - 1] > value {
                (value, step) = (best[at - 1], (0, 1));
            }
            for (a, b) in spans(max_span) {
                if a > i || b > j {
                    continue;
                }
                let s = score(i - a..i, j - b..j);
                let total = best[(i - a) * width + (j - b)] + s;
                if s >= threshold && total > value {
                    (value, step) = (total, (a as u8, b as u8));
                }
            }
            best[at] = if i == 0 && j == 0 { 0.0 } else { value };
            from[at] = step;
        }
    }
    backtrack(&from, width, n_old, n_new)
}

/// The span shapes tried, one to one first so that it wins ties.
fn spans(max_span: usize) -> Vec<(usize, usize)> {
    let mut out = vec![(1, 1)];
    for k in 2..=max_span {
        out.push((1, k));
        out.push((k, 1));
    }
    out
}

fn backtrack(from: &[(u8, u8)], width: usize, n_old: usize, n_new: usize) -> Vec<Step> {
    let (mut i, mut j) = (n_old, n_new);
    let mut rev: Vec<Step> = Vec::new();
    let (mut lone_old, mut lone_new) = (Vec::new(), Vec::new());
    let flush = |rev: &mut Vec<Step>, lone_old: &mut Vec<usize>, lone_new: &mut Vec<usize>| {
        // Walking backwards: new items first so that, reversed, old ones lead.
        rev.extend(lone_new.drain(..).map(Step::New));
        rev.extend(lone_old.drain(..).map(Step::Old));
    };
    while i > 0 || j > 0 {
        let (a, b) = (
            from[i * width + j].0 as usize,
            from[i * width + j].1 as usize,
        );
        match (a, b) {
            (1, 0) => {
                i -= 1;
                lone_old.push(i);
            }
            (0, 1) => {
                j -= 1;
                lone_new.push(j);
            }
            _ => {
                flush(&mut rev, &mut lone_old, &mut lone_new);
                rev.push(Step::Pair(i - a..i, j - b..j));
                i -= a;
                j -= b;
            }
        }
    }
    flush(&mut rev, &mut lone_old, &mut lone_new);
    rev.reverse();
    rev
}

/// Every item alone: old ones, then new ones.
pub(crate) fn lone_steps(old: Range<usize>, new: Range<usize>) -> Vec<Step> {
    old.map(Step::Old).chain(new.map(Step::New)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Scores by equality of single letters; spans score by whether the
    /// concatenations are equal.
    fn run(old: &[&str], new: &[&str]) -> Vec<Step> {
        pair(old.len(), new.len(), 2, 0.5, |o, n| {
            let a: String = old[o].concat();
            let b: String = new[n].concat();
            if a == b { 1.0 } else { 0.0 }
        })
    }

    #[test]
    fn pairs_in_order_and_leaves_the_rest() {
        use Step::*;
        let cases: Vec<(&[&str], &[&str], Vec<Step>)> = vec![
            (
                &["a", "b"],
                &["a", "x", "b"],
                vec![Pair(0..1, 0..1), New(1), Pair(1..2, 2..3)],
            ),
            (&["ab"], &["a", "b"], vec![Pair(0..1, 0..2)]),
            (&["a", "b"], &["ab"], vec![Pair(0..2, 0..1)]),
            (&["x"], &["y"], vec![Old(0), New(0)]),
            (&[], &["y"], vec![New(0)]),
        ];
        for (old, new, want) in cases {
            assert_eq!(run(old, new), want, "{old:?} -> {new:?}");
        }
    }

    #[test]
    fn stop_words_are_sorted_for_binary_search() {
        assert!(STOP_WORDS.windows(2).all(|w| w[0] < w[1]));
        assert!(STOP_WORDS.iter().all(|w| w.len() <= 5));
    }

    #[test]
    fn similarity_is_dice_over_words() {
        let a = vec![1, 2, 3, 4];
        let b = vec![1, 2, 3, 5];
        assert!((similarity(&a, &b) - 0.75).abs() < 1e-9);
        assert_eq!(similarity(&[], &[]), 1.0);
        assert_eq!(similarity(&a, &[]), 0.0);
    }
}
