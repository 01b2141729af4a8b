//! Block alignment: which old paragraph became which new one.
//!
//! Three passes. Blocks whose comparison keys are equal are anchored with
//! the Patience algorithm (unique paragraphs make reliable anchors). Between
//! anchors, blocks that reappear verbatim elsewhere are moves; the rest are
//! paired by similarity, one to one or as a split or merge. Blocks still
//! alone that closely match a lone block in another stretch are moves with
//! small edits. This module decides the pairing only; it must not look at
//! words (that is `words`) nor build the report.

use std::collections::HashMap;
use std::ops::Range;

use similar::{Algorithm, DiffOp, capture_diff_slices};

use super::Prepared;
use super::pairing::{self, MAX_PAIRING_CELLS, Step};

/// Blocks less similar than this are never read as one edited block.
const PAIR_THRESHOLD: f64 = 0.4;

/// A removed and an added block this similar, in different places, are one
/// block that moved and was touched up.
const MOVE_THRESHOLD: f64 = 0.75;

/// Blocks shorter than this many words are never fuzzy-matched as moves:
/// short lines ("Advertisement", "Read more") match too easily.
const MOVE_MIN_WORDS: usize = 4;

/// How an old and a new block relate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BlockOp {
    /// The same text in both (emphasis may differ).
    Equal { old: usize, new: usize },
    /// Old blocks edited into new blocks (one to one, split or merge).
    Paired {
        old: Range<usize>,
        new: Range<usize>,
    },
    /// A block that moved, verbatim or nearly.
    Moved { old: usize, new: usize },
    /// An old block with no counterpart.
    Removed { old: usize },
    /// A new block with no counterpart.
    Added { new: usize },
}

/// Aligns the blocks of two versions. The operations come in the new
/// version's reading order; a removed block sits where it stood.
pub(crate) fn align(old: &[Prepared], new: &[Prepared]) -> Vec<BlockOp> {
    let old_keys: Vec<&str> = old.iter().map(|b| &*b.key).collect();
    let new_keys: Vec<&str> = new.iter().map(|b| &*b.key).collect();
    let mut placed: Vec<(usize, BlockOp)> = Vec::new();
    let mut gaps: Vec<(Range<usize>, Range<usize>)> = Vec::new();
    for op in capture_diff_slices(Algorithm::Patience, &old_keys, &new_keys) {
        if let DiffOp::Equal {
            old_index,
            new_index,
            len,
        } = op
        {
            placed.extend((0..len).map(|k| {
                (
                    new_index + k,
                    BlockOp::Equal {
                        old: old_index + k,
                        new: new_index + k,
                    },
                )
            }));
        } else {
            gaps.push((op.old_range(), op.new_range()));
        }
    }
    let moved = exact_moves(old, new, &gaps);
    for &(o, n) in &moved {
        placed.push((n, BlockOp::Moved { old: o, new: n }));
    }
    let mut lone: Vec<(usize, BlockOp)> = Vec::new();
    for (old_range, new_range) in gaps {
        let olds: Vec<usize> = old_range
            .filter(|o| !moved.iter().any(|m| m.0 == *o))
            .collect();
        let news: Vec<usize> = new_range
            .clone()
            .filter(|n| !moved.iter().any(|m| m.1 == *n))
            .collect();
        pair_gap(old, new, &olds, &news, new_range.start, &mut lone);
    }
    placed.extend(fuzzy_moves(old, new, lone));
    // Stable: within one position, a removal (placed first) reads before
    // what took its place.
    placed.sort_by_key(|(at, op)| (*at, !matches!(op, BlockOp::Removed { .. })));
    placed.into_iter().map(|(_, op)| op).collect()
}

/// Lone blocks whose text reappears verbatim in another place: (old, new).
/// Only a key that is alone on both sides is matched, so that repeated
/// lines ("Advertisement") never read as moves.
fn exact_moves(
    old: &[Prepared],
    new: &[Prepared],
    gaps: &[(Range<usize>, Range<usize>)],
) -> Vec<(usize, usize)> {
    let mut old_by_key: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut new_by_key: HashMap<&str, Vec<usize>> = HashMap::new();
    for (o, n) in gaps {
        for i in o.clone() {
            old_by_key.entry(&*old[i].key).or_default().push(i);
        }
        for j in n.clone() {
            new_by_key.entry(&*new[j].key).or_default().push(j);
        }
    }
    let mut out: Vec<(usize, usize)> = new_by_key
        .iter()
        .filter(|(key, _)| !key.is_empty())
        .filter_map(
            |(key, news)| match (old_by_key.get(key).map(Vec::as_slice), news.as_slice()) {
                (Some(&[o]), &[n]) => Some((o, n)),
                _ => None,
            },
        )
        .collect();
    out.sort_unstable();
    out
}

/// A block shares a sentence with another: the two read as one edited
/// block even when the rest was rewritten.
const SHARED_SENTENCE_SCORE: f64 = 0.5;

/// How well old blocks `o` read as new blocks `n` (0.0–1.0): the
/// similarity of their words, raised when they share a whole sentence. A
/// split or merge needs adjacent blocks, and a note pairs only with a note
/// (one to one): otherwise a new note would read as edited text.
fn score(old: &[Prepared], new: &[Prepared], o: &[usize], n: &[usize]) -> f64 {
    let adjacent = |ix: &[usize]| ix.windows(2).all(|w| w[1] == w[0] + 1);
    let notes_agree = match (o, n) {
        ([i], [j]) => old[*i].note().is_some() == new[*j].note().is_some(),
        // A note never takes part in a split or merge.
        _ => {
            o.iter().all(|&i| old[i].note().is_none()) && n.iter().all(|&j| new[j].note().is_none())
        }
    };
    if !adjacent(o) || !adjacent(n) || !notes_agree {
        return 0.0;
    }
    let words = match (o, n) {
        ([i], [j]) => pairing::similarity(old[*i].bag(), new[*j].bag()),
        _ => {
            let a = pairing::union(o.iter().map(|&i| old[i].bag()));
            let b = pairing::union(n.iter().map(|&j| new[j].bag()));
            pairing::similarity(&a, &b)
        }
    };
    let shared = o.iter().any(|&i| {
        old[i]
            .sentences()
            .iter()
            .any(|h| n.iter().any(|&j| new[j].sentences().contains(h)))
    });
    if shared {
        words.max(SHARED_SENTENCE_SCORE)
    } else {
        words
    }
}

/// The most blocks one block may be split into, or merged from.
const MAX_SPAN: usize = 3;

/// A split or merge is scored only when one of its parts already scores
/// this much one to one: it spares the scoring of most spans, which is
/// what pairing spends its time on.
const SPLIT_PART_MIN: f32 = 0.25;

/// Scores spans of lone blocks (`olds`, `news`: block indexes), caching
/// the one-to-one scores.
struct Scorer<'a, 'p> {
    old: &'a [Prepared<'p>],
    new: &'a [Prepared<'p>],
    olds: &'a [usize],
    news: &'a [usize],
    /// One-to-one scores, `olds.len()` rows of `news.len()`.
    single: Vec<f32>,
}

impl<'a, 'p> Scorer<'a, 'p> {
    /// Scores every one-to-one pair; callers keep `olds.len() *
    /// news.len()` within [`MAX_PAIRING_CELLS`].
    fn new(
        old: &'a [Prepared<'p>],
        new: &'a [Prepared<'p>],
        olds: &'a [usize],
        news: &'a [usize],
    ) -> Self {
        let mut single = Vec::with_capacity(olds.len() * news.len());
        for &i in olds {
            single.extend(news.iter().map(|&j| score(old, new, &[i], &[j]) as f32));
        }
        Scorer {
            old,
            new,
            olds,
            news,
            single,
        }
    }

    /// The score of old items `o` read as new items `n` (ranges into
    /// `olds` and `news`).
    fn span(&self, o: Range<usize>, n: Range<usize>) -> f64 {
        let width = self.news.len();
        if o.len() == 1 && n.len() == 1 {
            return f64::from(self.single[o.start * width + n.start]);
        }
        let best_part = o
            .clone()
            .flat_map(|i| n.clone().map(move |j| (i, j)))
            .map(|(i, j)| self.single[i * width + j])
            .fold(0.0, f32::max);
        if best_part < SPLIT_PART_MIN {
            return 0.0;
        }
        score(self.old, self.new, &self.olds[o], &self.news[n])
    }
}

/// Pairs the lone blocks of one gap, pushing `(position, op)` entries.
fn pair_gap(
    old: &[Prepared],
    new: &[Prepared],
    olds: &[usize],
    news: &[usize],
    start: usize,
    out: &mut Vec<(usize, BlockOp)>,
) {
    if olds.len().saturating_mul(news.len()) > MAX_PAIRING_CELLS {
        // Too large to pair: everything is removed, then added.
        out.extend(olds.iter().map(|&i| (start, BlockOp::Removed { old: i })));
        out.extend(news.iter().map(|&j| (j, BlockOp::Added { new: j })));
        return;
    }
    let scorer = Scorer::new(old, new, olds, news);
    let score = |o: Range<usize>, n: Range<usize>| scorer.span(o, n);
    // A removed block is placed just before the new block that follows it.
    let mut next = start;
    for step in pairing::pair(olds.len(), news.len(), MAX_SPAN, PAIR_THRESHOLD, score) {
        match step {
            Step::Pair(o, n) => {
                let new = news[n.start]..news[n.end - 1] + 1;
                next = new.end;
                out.push((
                    new.start,
                    BlockOp::Paired {
                        old: olds[o.start]..olds[o.end - 1] + 1,
                        new,
                    },
                ));
            }
            Step::Old(i) => out.push((next, BlockOp::Removed { old: olds[i] })),
            Step::New(j) => {
                next = news[j] + 1;
                out.push((news[j], BlockOp::Added { new: news[j] }));
            }
        }
    }
}

/// Spans of one item, or of two that are adjacent blocks (a split or
/// merge), as ranges into `ix` (sorted block indexes).
fn spans(ix: &[usize]) -> Vec<Range<usize>> {
    let mut out: Vec<Range<usize>> = (0..ix.len()).map(|k| k..k + 1).collect();
    out.extend(
        (1..ix.len())
            .filter(|&k| ix[k] == ix[k - 1] + 1)
            .map(|k| k - 1..k + 1),
    );
    out
}

/// Pairs of old and new spans that match closely enough to be a move:
/// (score, old span, new span). Two-to-two spans are never tried.
fn move_candidates(
    scorer: &Scorer,
    old_spans: &[Range<usize>],
    new_spans: &[Range<usize>],
) -> Vec<(f64, usize, usize)> {
    let mut candidates = Vec::new();
    for (r, os) in old_spans.iter().enumerate() {
        let words: usize = scorer.olds[os.clone()]
            .iter()
            .map(|&i| scorer.old[i].bag().len())
            .sum();
        if words < MOVE_MIN_WORDS {
            continue;
        }
        for (a, ns) in new_spans.iter().enumerate() {
            if os.len() > 1 && ns.len() > 1 {
                continue;
            }
            let s = scorer.span(os.clone(), ns.clone());
            if s >= MOVE_THRESHOLD {
                candidates.push((s, r, a));
            }
        }
    }
    candidates
}

/// Turns removed and added blocks that closely match into one move (or,
/// for a split or merge, one edit placed where the new blocks stand), best
/// matches first.
fn fuzzy_moves(
    old: &[Prepared],
    new: &[Prepared],
    lone: Vec<(usize, BlockOp)>,
) -> Vec<(usize, BlockOp)> {
    // (entry in `lone`, block index), in reading order.
    let mut removed: Vec<(usize, usize)> = Vec::new();
    let mut added: Vec<(usize, usize)> = Vec::new();
    for (k, (_, op)) in lone.iter().enumerate() {
        match *op {
            BlockOp::Removed { old: o } => removed.push((k, o)),
            BlockOp::Added { new: n } => added.push((k, n)),
            _ => {}
        }
    }
    if removed.is_empty() || added.is_empty() || removed.len() * added.len() > MAX_PAIRING_CELLS {
        return lone;
    }
    let olds: Vec<usize> = removed.iter().map(|x| x.1).collect();
    let news: Vec<usize> = added.iter().map(|x| x.1).collect();
    let scorer = Scorer::new(old, new, &olds, &news);
    let (old_spans, new_spans) = (spans(&olds), spans(&news));
    let mut candidates = move_candidates(&scorer, &old_spans, &new_spans);
    candidates.sort_by(|x, y| y.0.total_cmp(&x.0).then((x.1, x.2).cmp(&(y.1, y.2))));
    let mut lone: Vec<Option<(usize, BlockOp)>> = lone.into_iter().map(Some).collect();
    let mut taken = vec![false; lone.len()];
    for (_, r, a) in candidates {
        let entries: Vec<usize> = removed[old_spans[r].clone()]
            .iter()
            .chain(&added[new_spans[a].clone()])
            .map(|x| x.0)
            .collect();
        if entries.iter().any(|&k| taken[k]) {
            continue;
        }
        let (o, n) = (&olds[old_spans[r].clone()], &news[new_spans[a].clone()]);
        let op = if o.len() == 1 && n.len() == 1 {
            BlockOp::Moved {
                old: o[0],
                new: n[0],
            }
        } else {
            BlockOp::Paired {
                old: o[0]..o[o.len() - 1] + 1,
                new: n[0]..n[n.len() - 1] + 1,
            }
        };
        // The first removal's entry becomes the move, placed at the new
        // position; the other entries are dropped.
        for &k in &entries {
            taken[k] = true;
            lone[k] = None;
        }
        lone[entries[0]] = Some((n[0], op));
    }
    lone.into_iter().flatten().collect()
}
