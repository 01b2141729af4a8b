//! Sentence boundaries inside a block, found on its tokens.
//!
//! The aligner pairs sentences before it compares words, so that a word
//! diff never runs across a sentence that was rewritten beyond recognition.
//! This module only cuts; it must not compare. A boundary is a full stop,
//! question or exclamation mark (with any closing quotes or brackets) then a
//! space, then a capital, digit or opening quote; common abbreviations
//! ("Mr.", "U.S.", "p.m.") are not boundaries.

use std::ops::Range;

use super::normalize::{Token, TokenKind};

/// Abbreviations after which a full stop does not end a sentence. Words
/// with an inner full stop ("U.S", "p.m") are abbreviations as well.
const ABBREVIATIONS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "vs", "etc", "inc", "ltd", "co", "corp",
    "no", "gen", "gov", "sen", "rep", "lt", "col", "capt", "sgt", "jan", "feb", "mar", "apr",
    "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "fig", "approx", "e.g", "i.e",
];

/// Cuts `tokens` into sentences: token ranges that exclude the white space
/// between sentences. Ranges are in order, disjoint and cover every
/// non-space token; a text without a boundary is one sentence.
pub(crate) fn sentences(text: &str, tokens: &[Token]) -> Vec<Range<usize>> {
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
