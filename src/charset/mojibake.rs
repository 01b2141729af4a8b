//! Mojibake: repairing text that was encoded twice, and recognising a
//! difference between two versions that is only encoding damage. Pure, like
//! the rest of `charset`.

use crate::article::Article;

use super::cp1252_byte;

/// Undoes UTF-8 that was read as Windows-1252 and encoded again (`cafÃ©`
/// → `café`): in each run of non-ASCII characters that all have a
/// Windows-1252 byte, the stretches whose bytes form multi-byte UTF-8
/// characters are replaced by those characters. Returns the text and how
/// many characters were repaired.
pub fn repair_double_encoding(text: String) -> (String, usize) {
    if !has_mojibake_pair(&text) {
        return (text, 0);
    }
    let mut out = String::with_capacity(text.len());
    let mut repaired = 0;
    let mut run: Vec<u8> = Vec::new();
    let mut run_start = 0;
    for (at, c) in text.char_indices() {
        match cp1252_byte(c) {
            Some(byte) => {
                if run.is_empty() {
                    run_start = at;
                }
                run.push(byte);
            }
            None => {
                flush_run(&text[run_start..at], &mut run, &mut out, &mut repaired);
                out.push(c);
            }
        }
    }
    flush_run(&text[run_start..], &mut run, &mut out, &mut repaired);
    (out, repaired)
}

/// Appends a run of Windows-1252-encodable characters, each stretch whose
/// bytes form a multi-byte UTF-8 character decoded as that character, the
/// rest as it was (a character whose last byte was lost stays as it is).
fn flush_run(original: &str, run: &mut Vec<u8>, out: &mut String, repaired: &mut usize) {
    // Called before every character outside a run, when `original` reaches
    // back to the last run's start: collecting it each time made a page's
    // repair quadratic in its length.
    if run.is_empty() {
        return;
    }
    let chars: Vec<char> = original.chars().collect();
    let mut at = 0;
    while at < run.len() {
        let len = match run[at] {
            0xC2..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF4 => 4,
            _ => 1,
        };
        let decoded = run
            .get(at..at + len)
            .filter(|_| len > 1)
            .and_then(|bytes| std::str::from_utf8(bytes).ok());
        match decoded {
            Some(utf8) => {
                out.push_str(utf8);
                *repaired += 1;
                at += len;
            }
            None => {
                out.push(chars[at]);
                at += 1;
            }
        }
    }
    run.clear();
}

/// Whether `text` has a UTF-8 lead byte read as Windows-1252 (`Â`–`ô`)
/// followed by a continuation byte read the same way: the mark of double
/// encoding, checked before any copy is made.
fn has_mojibake_pair(text: &str) -> bool {
    // A lead read as Windows-1252 is a character from U+00C2 to U+00F4,
    // which UTF-8 writes as 0xC3 then 0x82..=0xB4: only those places are
    // looked at, so a page is scanned at memory speed, not character by
    // character.
    let bytes = text.as_bytes();
    memchr::memchr_iter(0xC3, bytes).any(|at| {
        bytes
            .get(at + 1)
            .is_some_and(|second| (0x82..=0xB4).contains(second))
            && text[at + 2..]
                .chars()
                .next()
                .and_then(cp1252_byte)
                .is_some_and(|b| (0x80..=0xBF).contains(&b))
    })
}

/// A difference between two versions that is only encoding damage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EncodingDifference {
    /// The new version is the old one with characters mis-decoded: not a
    /// change, and not to be stored.
    Damaged(EncodingFault),
    /// The old version was the damaged one and the new one reads it right:
    /// not a change either.
    Repaired,
}

/// The new version differs from the stored one only by mis-decoded text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the page differs from the stored version only by mis-decoded characters (`{old}` became `{new}`); \
     the site's charset is probably declared wrong; not treated as a change"
)]
pub struct EncodingFault {
    /// A stretch of the stored text around the first damaged character.
    pub old: String,
    /// The same stretch as the page now reads.
    pub new: String,
}

/// Whether `new` differs from `old` only by encoding damage: replacement
/// characters (U+FFFD) standing for characters of the other version, or
/// double-encoded text, in the headline, byline or blocks. `None` when
/// there is a real difference (or none at all).
pub fn encoding_only_difference(old: &Article, new: &Article) -> Option<EncodingDifference> {
    let (old_text, new_text) = (comparable(old), comparable(new));
    if old_text == new_text {
        return None;
    }
    let (old_fixed, old_repairs) = repair_double_encoding(old_text.clone());
    let (new_fixed, new_repairs) = repair_double_encoding(new_text.clone());
    let matched = match_with_wildcards(&old_fixed, &new_fixed)?;
    let new_damaged = new_repairs > 0 || matched.new_wildcards > 0;
    if !new_damaged {
        return (old_repairs > 0 || matched.old_wildcards > 0)
            .then_some(EncodingDifference::Repaired);
    }
    let (old_sample, new_sample) = first_difference(&old_text, &new_text);
    Some(EncodingDifference::Damaged(EncodingFault {
        old: old_sample,
        new: new_sample,
    }))
}

/// An article's text as compared here: headline, byline and blocks.
fn comparable(article: &Article) -> String {
    let mut text = String::new();
    for part in [&article.headline, &article.byline].into_iter().flatten() {
        text.push_str(part);
        text.push('\n');
    }
    for block in &article.blocks {
        text.push_str(&block.text);
        text.push('\n');
    }
    text
}

/// How many damaged runs of each side stood for characters of the other.
#[derive(Debug, Default)]
struct Wildcards {
    old_wildcards: usize,
    new_wildcards: usize,
}

/// Matches two texts where a damaged run on either side (see
/// [`replacements`], [`mojibake_len`]) stands for a run of non-ASCII characters on the other.
/// `None` when they differ otherwise.
fn match_with_wildcards(old: &str, new: &str) -> Option<Wildcards> {
    let (old, new): (Vec<char>, Vec<char>) = (old.chars().collect(), new.chars().collect());
    let (mut i, mut j) = (0, 0);
    let mut found = Wildcards::default();
    while i < old.len() || j < new.len() {
        if i < old.len() && old.get(i) == new.get(j) {
            (i, j) = (i + 1, j + 1);
            continue;
        }
        // Replacement characters first: they are certain damage, where a
        // mojibake-like pair may be real text.
        let (in_new, in_old) = match (replacements(&new, j), replacements(&old, i)) {
            (0, 0) => (mojibake_len(&new, j), mojibake_len(&old, i)),
            runs => runs,
        };
        if in_new > 0 {
            j += in_new;
            i = skip_stood_for(&old, i, new.get(j))?;
            found.new_wildcards += 1;
        } else if in_old > 0 {
            i += in_old;
            j = skip_stood_for(&new, j, old.get(i))?;
            found.old_wildcards += 1;
        } else {
            return None;
        }
    }
    Some(found)
}

/// The length of the run of U+FFFD at `at`.
fn replacements(text: &[char], at: usize) -> usize {
    text.get(at..)
        .unwrap_or_default()
        .iter()
        .take_while(|&&c| c == '\u{FFFD}')
        .count()
}

/// The length of what is left at `at` of a double-encoded character that
/// normalisation cut short: a UTF-8 lead byte read as Windows-1252, then
/// continuation bytes read the same way (`â€` of a quotation mark whose
/// last byte was a control character). Zero when there is none.
fn mojibake_len(text: &[char], at: usize) -> usize {
    let is_lead = |c: &char| cp1252_byte(*c).is_some_and(|b| (0xC2..=0xF4).contains(&b));
    let is_continuation = |c: &char| cp1252_byte(*c).is_some_and(|b| (0x80..=0xBF).contains(&b));
    if !text.get(at).is_some_and(is_lead) {
        return 0;
    }
    let tail = text[at + 1..]
        .iter()
        .take(3)
        .take_while(|c| is_continuation(c))
        .count();
    if tail > 0 { 1 + tail } else { 0 }
}

/// Skips the non-ASCII characters a run of U+FFFD stood for: at least one,
/// and no further than the character that follows the run on the other side.
fn skip_stood_for(text: &[char], mut at: usize, next: Option<&char>) -> Option<usize> {
    if text.get(at).is_none_or(|c| c.is_ascii()) {
        return None;
    }
    at += 1;
    while text
        .get(at)
        .is_some_and(|c| !c.is_ascii() && Some(c) != next)
    {
        at += 1;
    }
    Some(at)
}

/// A short stretch of each text around their first difference.
fn first_difference(old: &str, new: &str) -> (String, String) {
    let same = old
        .chars()
        .zip(new.chars())
        .take_while(|(a, b)| a == b)
        .count();
    let sample = |text: &str| -> String {
        text.chars()
            .skip(same.saturating_sub(8))
            .take(24)
            .take_while(|c| *c != '\n')
            .collect()
    };
    (sample(old), sample(new))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::article::{Block, BlockKind};

    fn article(texts: &[&str]) -> Article {
        Article {
            headline: Some(texts[0].to_owned()),
            blocks: texts[1..]
                .iter()
                .map(|t| Block::new(BlockKind::Paragraph, t))
                .collect(),
            ..Article::default()
        }
    }

    #[test]
    fn mojibake_pairs_are_found_by_their_bytes() {
        // (text, whether it holds a lead read as Windows-1252 followed by a
        // continuation read the same way)
        let cases = [
            ("plain ascii", false),
            ("café, Zoë, “quoted”", false),
            ("cafÃ©", true),
            ("â€œ", true),
            ("Â€ and Â\u{9d}", true),
            ("Ã at the end Ã", false),
            ("Ãx then ô!", false),
            ("ôÿ", false),
        ];
        for (text, expected) in cases {
            assert_eq!(has_mojibake_pair(text), expected, "{text}");
        }
    }

    #[test]
    fn differences_of_encoding_alone_are_recognised() {
        let clean = article(&["Café reopens", "The café — “Chez Zoë” — reopened."]);
        let lost = article(&[
            "Caf\u{fffd} reopens",
            "The caf\u{fffd} — \u{fffd}Chez Zo\u{fffd}\u{fffd} — reopened.",
        ]);
        let twice = article(&[
            "CafÃ© reopens",
            "The cafÃ© — â€œChez ZoÃ«â€\u{9d} — reopened.",
        ]);
        for damaged in [&lost, &twice] {
            let found = encoding_only_difference(&clean, damaged);
            assert!(
                matches!(found, Some(EncodingDifference::Damaged(_))),
                "{found:?}"
            );
            assert_eq!(
                encoding_only_difference(damaged, &clean),
                Some(EncodingDifference::Repaired)
            );
        }
        let Some(EncodingDifference::Damaged(fault)) = encoding_only_difference(&clean, &lost)
        else {
            unreachable!("checked above")
        };
        assert!(fault.to_string().contains("`Café reopens`"), "{fault}");
        // A real edit beside the damage is a change.
        let edited = article(&["Caf\u{fffd} reopens", "The caf\u{fffd} closed for good."]);
        assert_eq!(encoding_only_difference(&clean, &edited), None);
        // Replacement characters where the other side has ASCII are a change.
        let ascii = article(&["Cafe reopens", "The cafe — “Chez Zoe” — reopened."]);
        let lost_ascii = article(&["Caf\u{fffd} reopens", "The cafe — “Chez Zoe” — reopened."]);
        assert_eq!(encoding_only_difference(&ascii, &lost_ascii), None);
    }
}
