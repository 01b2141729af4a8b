//! Quotations: the quoted words of a text, and which of them are new or
//! gone.
//!
//! A quotation that disappears from a story, or appears inside a paragraph
//! that was otherwise kept, is what a reporter looks for first. This module
//! finds quotations and compares them by their folded words; it must not
//! decide which blocks to look at (that is the caller's).

use std::collections::HashSet;
use std::sync::LazyLock;

use regex::Regex;

use super::normalize::fold;

/// A quotation in curly, straight or guillemet quotes, of at least two
/// words. Single quotes are left out: they double as apostrophes.
static QUOTE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"“([^“”]+)”|"([^"]+)"|«\s?([^«»]+?)\s?»|„([^„“”]+)[“”]"#)
        .expect("the quotation pattern is a valid regular expression")
});

/// The quotations in `text`: the quoted words without their marks.
pub(crate) fn quotations(text: &str) -> Vec<String> {
    QUOTE
        .captures_iter(text)
        .filter_map(|c| {
            c.iter()
                .skip(1)
                .flatten()
                .next()
                .map(|m| m.as_str().trim().to_string())
        })
        .filter(|q| q.split_whitespace().count() >= 2)
        .collect()
}

/// The comparison key of a quotation: folded, closing punctuation dropped
/// (“crime.” and “crime” are the same quotation).
pub(crate) fn key(quote: &str) -> String {
    fold(quote)
        .trim_end_matches(['.', ',', ';', ':', '!', '?'])
        .to_lowercase()
}

/// Every quotation key of a version.
pub(crate) fn keys<'a>(texts: impl IntoIterator<Item = &'a str>) -> HashSet<String> {
    texts
        .into_iter()
        .flat_map(quotations)
        .map(|q| key(&q))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_quotations_of_two_words_or_more() {
        let cases: &[(&str, &[&str])] = &[
            (
                "asking to “help them fight crime.” Permission",
                &["help them fight crime."],
            ),
            (r#"He said "no comment" and "yes.""#, &["no comment"]),
            ("a « citation en français » ici", &["citation en français"]),
            ("didn’t have “much of a choice.”", &["much of a choice."]),
            ("no quotes here", &[]),
        ];
        for (text, want) in cases {
            assert_eq!(quotations(text), *want, "{text:?}");
        }
        assert_eq!(key("Much of a choice."), key("much of a choice"));
    }
}
