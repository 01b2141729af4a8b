//! Sentence boundaries inside a block, found on its tokens.
//!
//! The aligner pairs sentences before it compares words, so that a word
//! diff never runs across a sentence that was rewritten beyond recognition.
//! This module only cuts; it must not compare. A boundary is a full stop,
//! question or exclamation mark (with any closing quotes or brackets) then a
//! space, then a capital, digit or opening quote; common abbreviations
//! ("Mr.", "U.S.", "p.m.") are not boundaries.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::ops::Range;

use super::normalize::{Token, TokenKind};

/// Abbreviations after which a full stop does not end a sentence. Words
/// with an inner full stop ("U.S", "p.m") are abbreviations as well.
const ABBREVIATIONS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "vs", "etc", "inc", "ltd", "co", "corp",
    "no", "gen", "gov", "sen", "rep", "lt", "col", "capt", "sgt", "jan", "feb", "mar", "apr",
    "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "fig", "approx", "e.g", "i.e",
];

/// A "sentence" longer than this many tokens (a flattened table, a list of
/// names, text without punctuation) is cut into pieces, so that a small
/// edit in it is still marked word by word.
const LONG_SENTENCE: usize = 256;

/// The smallest and largest piece of a long sentence, in tokens.
const PIECE_MIN: usize = 48;
const PIECE_MAX: usize = 512;

/// Cuts `tokens` into sentences: token ranges that exclude the white space
/// between sentences. Ranges are in order, disjoint and cover every
/// non-space token; a text without a boundary is one sentence, cut into
/// pieces when it is very long.
pub(crate) fn sentences(text: &str, tokens: &[Token]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    for range in punctuated(text, tokens) {
        if range.len() > LONG_SENTENCE {
            out.extend(pieces(tokens, range));
        } else {
            out.push(range);
        }
    }
    out
}

/// Cuts a long run of tokens at spaces chosen by the words before them
/// (content-defined), so that an insertion moves only the cuts near it and
/// the pieces of two versions still pair one to one.
fn pieces(tokens: &[Token], range: Range<usize>) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = range.start;
    for k in range.clone() {
        if tokens[k].kind != TokenKind::Space || k == start || k + 1 >= range.end {
            continue;
        }
        let len = k - start;
        let marked = {
            let mut h = DefaultHasher::new();
            tokens[k - 1].key.hash(&mut h);
            h.finish().is_multiple_of(32)
        };
        if (len >= PIECE_MIN && marked) || len >= PIECE_MAX {
            out.push(start..k);
            start = k + 1;
        }
    }
    out.push(start..range.end);
    out
}

/// The sentences as punctuation marks them.
fn punctuated(text: &str, tokens: &[Token]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = skip_space(tokens, 0);
    let mut i = start;
    while i < tokens.len() {
        if let Some(space) = boundary_at(text, tokens, i) {
            out.push(start..space);
            start = skip_space(tokens, space);
            i = start;
            continue;
        }
        i += 1;
    }
    let mut end = tokens.len();
    while end > start && tokens[end - 1].kind == TokenKind::Space {
        end -= 1;
    }
    if end > start {
        out.push(start..end);
    }
    out
}

fn skip_space(tokens: &[Token], mut i: usize) -> usize {
    while i < tokens.len() && tokens[i].kind == TokenKind::Space {
        i += 1;
    }
    i
}

/// When token `i` ends a sentence, the index of the space token after it
/// (and after any closing quotes or brackets).
fn boundary_at(text: &str, tokens: &[Token], i: usize) -> Option<usize> {
    let t = &tokens[i];
    if t.kind != TokenKind::Punct || !matches!(&text[t.range.clone()], "." | "!" | "?" | "…") {
        return None;
    }
    if &text[t.range.clone()] == "." && i > 0 && is_abbreviation(&text[tokens[i - 1].range.clone()])
    {
        return None;
    }
    let mut j = i + 1;
    while j < tokens.len()
        && tokens[j].kind == TokenKind::Punct
        && is_closing(&text[tokens[j].range.clone()])
    {
        j += 1;
    }
    let space = tokens.get(j).filter(|s| s.kind == TokenKind::Space)?;
    let next = tokens.get(j + 1)?;
    let first = text[next.range.clone()].chars().next()?;
    let opens = first.is_uppercase() || first.is_ascii_digit() || is_opening(first);
    (opens && !space.range.is_empty()).then_some(j)
}

fn is_abbreviation(word: &str) -> bool {
    let lower = word.to_lowercase();
    word.contains('.')
        || (word.chars().count() == 1 && word.chars().all(char::is_uppercase))
        || ABBREVIATIONS.contains(&lower.as_str())
}

fn is_closing(p: &str) -> bool {
    matches!(p, "\"" | "'" | "”" | "’" | "»" | ")" | "]")
}

fn is_opening(c: char) -> bool {
    matches!(c, '"' | '\'' | '“' | '‘' | '«' | '(' | '[')
}

#[cfg(test)]
mod tests {
    use super::super::normalize::tokenize;
    use super::*;

    fn cut(text: &str) -> Vec<String> {
        let tokens = tokenize(text, &[]);
        sentences(text, &tokens)
            .into_iter()
            .map(|r| text[tokens[r.start].range.start..tokens[r.end - 1].range.end].to_string())
            .collect()
    }

    #[test]
    fn long_unpunctuated_text_is_cut_into_pieces_at_spaces() {
        let text: String = (0..2_000)
            .map(|i| format!("w{i}"))
            .collect::<Vec<_>>()
            .join(" ");
        let tokens = tokenize(&text, &[]);
        let cut = sentences(&text, &tokens);
        assert!(cut.len() > 4, "{} pieces", cut.len());
        assert!(cut.iter().all(|r| r.len() <= PIECE_MAX && !r.is_empty()));
        for pair in cut.windows(2) {
            assert_eq!(pair[0].end + 1, pair[1].start, "pieces are one space apart");
            assert_eq!(tokens[pair[0].end].kind, TokenKind::Space);
        }
        assert_eq!((cut[0].start, cut[cut.len() - 1].end), (0, tokens.len()));
    }

    #[test]
    fn cuts_at_sentence_ends_only() {
        let cases: &[(&str, &[&str])] = &[
            ("One. Two! Three?", &["One.", "Two!", "Three?"]),
            (
                "He said “stop.” Then left.",
                &["He said “stop.”", "Then left."],
            ),
            (
                "Mr. Smith went to the U.S. on Monday. Done.",
                &["Mr. Smith went to the U.S. on Monday.", "Done."],
            ),
            ("At 8:30 p.m. ET it began.", &["At 8:30 p.m. ET it began."]),
            ("no capital. after", &["no capital. after"]),
            (
                "Prices rose 5.5 percent. 2022 was hard.",
                &["Prices rose 5.5 percent.", "2022 was hard."],
            ),
            ("", &[]),
        ];
        for (text, want) in cases {
            assert_eq!(cut(text), *want, "{text:?}");
        }
    }
}
