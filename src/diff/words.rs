//! The edit inside paired blocks: sentences first, then words.
//!
//! Given the old and new blocks of one edit (one to one, or a split or
//! merge), this module pairs their sentences, diffs the words of paired
//! sentences, and shows a sentence rewritten beyond recognition whole, old
//! then new. It yields the segments of the edit, the passages whose only
//! change is their emphasis, and the numbers that changed. It must not pair
//! blocks (that is `align`) nor build the report's changes.

use std::ops::Range;

use similar::{Algorithm, DiffOp, capture_diff_slices};

use super::Prepared;
use super::markup::{deletions_first, word_items};
use super::normalize::{Token, TokenKind, key_of};
use super::pairing::{self, Bag, Step};
use super::sentences::sentences;
use crate::article::{Block, Style};
use crate::report::{PARAGRAPH_BREAK, Segment, SegmentOp};

/// Sentences less similar than this are not word-diffed but shown whole.
const SENTENCE_THRESHOLD: f64 = 0.5;

/// A paired sentence keeping less than this share of its words is shown
/// whole: word markup over a rewrite is noise.
const MIN_KEPT_WORDS: f64 = 0.4;

/// Sentences longer than this many tokens are compared whole, bounding the
/// word diff on a block without any sentence boundary.
const MAX_SENTENCE_TOKENS: usize = 10_000;

/// What one edit yields.
#[derive(Debug, Default)]
pub(crate) struct Edit {
    /// The edit, word by word (see `Change::Edited`).
    pub segments: Vec<Segment>,
    /// Kept text whose emphasis changed.
    pub restyles: Vec<Restyle>,
    /// Numbers changed inside paired sentences.
    pub numbers: Vec<NumberEdit>,
}

impl Edit {
    /// Whether the text changed at all (emphasis aside).
    pub fn changes_text(&self) -> bool {
        self.segments.iter().any(|s| s.op != SegmentOp::Equal)
    }
}

/// Kept text that gained or lost a style.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Restyle {
    /// Which of the edit's new blocks holds it (0 for the first).
    pub block: usize,
    /// Its byte range in that block's text.
    pub range: Range<usize>,
    /// The style concerned.
    pub style: Style,
    /// Gained (true) or lost (false).
    pub gained: bool,
}

/// A number changed inside a sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NumberEdit {
    /// Which of the edit's new blocks holds it.
    pub block: usize,
    /// The old words.
    pub old: String,
    /// The new words.
    pub new: String,
    /// The byte range of the sentence in that block's text.
    pub sentence: Range<usize>,
}

/// A sentence of one of the edit's blocks, or the boundary between two.
struct Unit {
    block: usize,
    tokens: Range<usize>,
    key: String,
    bag: Bag,
    is_break: bool,
}

/// Computes the edit from `old` blocks to `new` blocks.
pub(crate) fn edit(old: &[&Prepared], new: &[&Prepared]) -> Edit {
    let (old_units, new_units) = (units(old), units(new));
    let mut w = Writer {
        old,
        new,
        edit: Edit::default(),
        runs: [None, None],
    };
    let (mut old_prev_sentence, mut new_prev_sentence) = (false, false);
    for step in align_units(&old_units, &new_units) {
        let (o, n) = match step {
            Step::Pair(o, n) => (Some(&old_units[o.start]), Some(&new_units[n.start])),
            Step::Old(i) => (Some(&old_units[i]), None),
            Step::New(j) => (None, Some(&new_units[j])),
        };
        // Sentences of one block are separated by one space in each version.
        let old_space = o.is_some_and(|u| !u.is_break) && old_prev_sentence;
        let new_space = n.is_some_and(|u| !u.is_break) && new_prev_sentence;
        match (old_space, new_space) {
            (true, true) => w.push_space(SegmentOp::Equal),
            (true, false) => w.push_space(SegmentOp::Deleted),
            (false, true) => w.push_space(SegmentOp::Inserted),
            (false, false) => {}
        }
        if let Some(u) = o {
            old_prev_sentence = !u.is_break;
        }
        if let Some(u) = n {
            new_prev_sentence = !u.is_break;
        }
        match (o, n) {
            (Some(a), Some(b)) if a.is_break && b.is_break => {
                w.push_text(SegmentOp::Equal, PARAGRAPH_BREAK, (false, false))
            }
            (Some(a), Some(b)) => w.sentence_pair(a, b),
            (Some(a), None) => w.whole(SegmentOp::Deleted, a),
            (None, Some(b)) => w.whole(SegmentOp::Inserted, b),
            (None, None) => {}
        }
    }
    w.flush_runs();
    w.edit.segments = deletions_first(std::mem::take(&mut w.edit.segments));
    w.edit
}

/// The sentences of a group of blocks, with a break unit between blocks.
fn units(group: &[&Prepared]) -> Vec<Unit> {
    let mut out = Vec::new();
    for (b, p) in group.iter().enumerate() {
        if b > 0 {
            out.push(Unit {
                block: b,
                tokens: 0..0,
                key: "\u{2}".into(),
                bag: Bag::new(),
                is_break: true,
            });
        }
        for range in sentences(&p.block.text, p.tokens()) {
            let tokens = &p.tokens()[range.clone()];
            out.push(Unit {
                block: b,
                tokens: range,
                key: key_of(tokens),
                bag: pairing::bag(tokens),
                is_break: false,
            });
        }
    }
    out
}

/// Aligns the units of two versions: equal ones anchored, the rest paired
/// one to one by similarity.
fn align_units(old: &[Unit], new: &[Unit]) -> Vec<Step> {
    let old_keys: Vec<&str> = old.iter().map(|u| u.key.as_str()).collect();
    let new_keys: Vec<&str> = new.iter().map(|u| u.key.as_str()).collect();
    let mut steps = Vec::new();
    for op in capture_diff_slices(Algorithm::Patience, &old_keys, &new_keys) {
        let (o, n) = (op.old_range(), op.new_range());
        if let DiffOp::Equal { len, .. } = op {
            steps.extend(
                (0..len).map(|k| {
                    Step::Pair(o.start + k..o.start + k + 1, n.start + k..n.start + k + 1)
                }),
            );
            continue;
        }
        let score = |a: Range<usize>, b: Range<usize>| {
            let (x, y) = (&old[o.start + a.start], &new[n.start + b.start]);
            match (x.is_break, y.is_break) {
                (true, true) => 1.0,
                (false, false) => pairing::similarity(&x.bag, &y.bag),
                _ => 0.0,
            }
        };
        steps.extend(
            pairing::pair(o.len(), n.len(), 1, SENTENCE_THRESHOLD, score)
                .into_iter()
                .map(|s| match s {
                    Step::Pair(a, b) => Step::Pair(
                        o.start + a.start..o.start + a.end,
                        n.start + b.start..n.start + b.end,
                    ),
                    Step::Old(i) => Step::Old(o.start + i),
                    Step::New(j) => Step::New(n.start + j),
                }),
        );
    }
    steps
}

/// Builds an [`Edit`] as units are walked.
struct Writer<'a, 'p> {
    old: &'a [&'p Prepared<'p>],
    new: &'a [&'p Prepared<'p>],
    edit: Edit,
    /// The open run of restyled text, per style (bold, italic).
    runs: [Option<Restyle>; 2],
}

impl Writer<'_, '_> {
    fn push_space(&mut self, op: SegmentOp) {
        self.push_text(op, " ", (false, false));
    }

    /// Appends text; white space joins the previous segment of the same op
    /// whatever its styles, so that spaces never break a bold run.
    fn push_text(&mut self, op: SegmentOp, text: &str, (bold, italic): (bool, bool)) {
        let space = text.chars().all(char::is_whitespace) && text != PARAGRAPH_BREAK;
        if let Some(last) = self.edit.segments.last_mut()
            && last.op == op
            && last.text != PARAGRAPH_BREAK
            && text != PARAGRAPH_BREAK
            && (space || (last.emphasised == bold && last.italic == italic))
        {
            last.text.push_str(text);
            return;
        }
        self.edit.segments.push(Segment {
            op,
            text: text.to_string(),
            emphasised: bold,
            italic,
        });
    }

    fn push_tokens(&mut self, op: SegmentOp, side: &Prepared, tokens: Range<usize>) {
        for t in &side.tokens()[tokens] {
            self.push_text(
                op,
                &side.block.text[t.range.clone()],
                styles_at(side.block, t.range.start),
            );
        }
    }

    /// A sentence present in one version only, shown whole.
    fn whole(&mut self, op: SegmentOp, u: &Unit) {
        if u.is_break {
            self.push_text(op, PARAGRAPH_BREAK, (false, false));
            return;
        }
        self.flush_runs();
        let side = if op == SegmentOp::Deleted {
            self.old[u.block]
        } else {
            self.new[u.block]
        };
        self.push_tokens(op, side, u.tokens.clone());
    }

    /// Two paired sentences: word by word, or whole when rewritten beyond
    /// recognition.
    fn sentence_pair(&mut self, o: &Unit, n: &Unit) {
        let (os, ns) = (self.old[o.block], self.new[n.block]);
        let (ot, nt) = (
            &os.tokens()[o.tokens.clone()],
            &ns.tokens()[n.tokens.clone()],
        );
        if (ot.len() > MAX_SENTENCE_TOKENS || nt.len() > MAX_SENTENCE_TOKENS) && o.key != n.key {
            return self.replace_whole(o, n);
        }
        let items = word_items(ot, nt);
        let kept: usize = items
            .iter()
            .filter(|i| i.equal)
            .map(|i| count_words(&ot[i.old.clone()]))
            .sum();
        let total = count_words(ot) + count_words(nt);
        if o.key != n.key && total > 0 && 2.0 * kept as f64 / (total as f64) < MIN_KEPT_WORDS {
            return self.replace_whole(o, n);
        }
        for item in items {
            let (old_range, new_range) = (
                shift(&item.old, o.tokens.start),
                shift(&item.new, n.tokens.start),
            );
            if item.equal {
                self.equal_tokens(o.block, old_range, n.block, new_range);
            } else {
                self.flush_runs();
                self.note_number(os, &old_range, n, &new_range);
                self.push_tokens(SegmentOp::Deleted, os, old_range);
                self.push_tokens(SegmentOp::Inserted, ns, new_range);
            }
        }
    }

    fn replace_whole(&mut self, o: &Unit, n: &Unit) {
        self.whole(SegmentOp::Deleted, o);
        self.whole(SegmentOp::Inserted, n);
    }

    /// Kept tokens: shown as the new version has them, their emphasis
    /// compared with the old version's.
    fn equal_tokens(&mut self, ob: usize, old: Range<usize>, nb: usize, new: Range<usize>) {
        let (os, ns) = (self.old[ob], self.new[nb]);
        for (a, b) in os.tokens()[old].iter().zip(&ns.tokens()[new]) {
            let now = styles_at(ns.block, b.range.start);
            self.push_text(SegmentOp::Equal, &ns.block.text[b.range.clone()], now);
            if b.kind == TokenKind::Space {
                continue;
            }
            let then = styles_at(os.block, a.range.start);
            for (k, style, was, is) in [
                (0, Style::Bold, then.0, now.0),
                (1, Style::Italic, then.1, now.1),
            ] {
                self.track_restyle(k, style, (was != is).then_some(is), nb, b.range.clone());
            }
        }
    }

    /// Extends, closes or opens the run of restyled text for one style.
    fn track_restyle(
        &mut self,
        k: usize,
        style: Style,
        gained: Option<bool>,
        block: usize,
        range: Range<usize>,
    ) {
        let run = &mut self.runs[k];
        match (run.as_mut(), gained) {
            (Some(r), Some(g)) if r.gained == g && r.block == block => r.range.end = range.end,
            (_, Some(gained)) => {
                if let Some(done) = run.replace(Restyle {
                    block,
                    range,
                    style,
                    gained,
                }) {
                    self.edit.restyles.push(done);
                }
            }
            (_, None) => {
                if let Some(done) = run.take() {
                    self.edit.restyles.push(done);
                }
            }
        }
    }

    fn flush_runs(&mut self) {
        for k in 0..2 {
            if let Some(done) = self.runs[k].take() {
                self.edit.restyles.push(done);
            }
        }
    }

    /// Records a changed number when both sides of a word change hold one.
    fn note_number(&mut self, os: &Prepared, old: &Range<usize>, n: &Unit, new: &Range<usize>) {
        let ns = self.new[n.block];
        let (a, b) = (span_text(os, old), span_text(ns, new));
        if has_number(a) && has_number(b) {
            let sentence = span(ns, &n.tokens);
            self.edit.numbers.push(NumberEdit {
                block: n.block,
                old: a.to_string(),
                new: b.to_string(),
                sentence,
            });
        }
    }
}

fn shift(r: &Range<usize>, by: usize) -> Range<usize> {
    r.start + by..r.end + by
}

fn count_words(tokens: &[Token]) -> usize {
    tokens.iter().filter(|t| t.kind == TokenKind::Word).count()
}

/// The byte range of a token range in its block's text.
fn span(p: &Prepared, tokens: &Range<usize>) -> Range<usize> {
    match (
        p.tokens().get(tokens.start),
        tokens.end.checked_sub(1).and_then(|e| p.tokens().get(e)),
    ) {
        (Some(a), Some(b)) if !tokens.is_empty() => a.range.start..b.range.end,
        _ => 0..0,
    }
}

fn span_text<'a>(p: &'a Prepared, tokens: &Range<usize>) -> &'a str {
    p.block.text[span(p, tokens)].trim()
}

/// Number words that newsrooms write out ("twelve people", "a dozen").
const NUMBER_WORDS: &[&str] = &[
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
    "twenty",
    "thirty",
    "forty",
    "fifty",
    "sixty",
    "seventy",
    "eighty",
    "ninety",
    "hundred",
    "hundreds",
    "thousand",
    "thousands",
    "million",
    "millions",
    "billion",
    "billions",
    "trillion",
    "dozen",
    "dozens",
];

/// Whether `text` states a number, in digits or in words.
pub(crate) fn has_number(text: &str) -> bool {
    text.chars().any(|c| c.is_ascii_digit())
        || text
            .split(|c: char| !c.is_alphanumeric())
            .any(|w| NUMBER_WORDS.contains(&w.to_lowercase().as_str()))
}

/// Whether the text at byte `at` of `block` is set in bold and in italic.
pub(crate) fn styles_at(block: &Block, at: usize) -> (bool, bool) {
    let mut out = (false, false);
    for e in &block.emphasis {
        if e.start > at {
            break;
        }
        if at < e.end {
            match e.style {
                Style::Bold => out.0 = true,
                Style::Italic => out.1 = true,
            }
        }
    }
    out
}
