//! Comparison keys: what two texts must share to count as the same.
//!
//! Block texts are already normalised by `article::normalize_text`; this
//! module goes one step further for comparison only. It folds typography a
//! reader does not see as a change (curly and straight quotes, dash styles,
//! compatibility forms such as ligatures and full-width letters), masks the
//! text a watch asked to ignore, and cuts text into tokens whose keys the
//! aligner compares. It must never change what a report shows: tokens keep
//! byte ranges into the original text, and only their keys are folded.

use std::borrow::Cow;
use std::ops::Range;

use regex::Regex;
use unicode_normalization::UnicodeNormalization;

/// What a token is, which decides how edits around it are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenKind {
    /// Letters and digits, with inner connectors ("don't", "10,900", "8:30").
    Word,
    /// A run of white space.
    Space,
    /// One punctuation or symbol character.
    Punct,
    /// A stretch of text matched by an ignore pattern, compared as one
    /// placeholder whatever it says.
    Masked,
}

/// One token of a text: its place in the original text and its comparison
/// key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Token {
    /// Byte range in the original text.
    pub range: Range<usize>,
    /// What the token is.
    pub kind: TokenKind,
    /// The folded text the aligner compares.
    pub key: String,
}

/// The key every masked stretch gets, so that "5 minutes ago" and "2 hours
/// ago" compare equal when a watch ignores relative times.
const MASK_KEY: &str = "\u{1}";

/// Folds `text` for comparison: compatibility normalisation (NFKC), quote
/// and dash styles unified, invisible characters dropped, white space runs
/// folded to one space.
pub(crate) fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    fold_into(&mut out, text);
    out
}

/// Appends `fold(text)` to `out`, sparing a string per token when a whole
/// key is built.
fn fold_into(out: &mut String, text: &str) {
    // Letters, digits and plain punctuation of ASCII fold to themselves.
    if text.bytes().all(|b| b.is_ascii_graphic() && b != b'`') {
        out.push_str(text);
        return;
    }
    let start = out.len();
    let mut pending_space = false;
    for ch in text.nfkc() {
        let ch = match ch {
            '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{00AB}' | '\u{00BB}'
            | '\u{2033}' | '\u{301D}' | '\u{301E}' => '"',
            '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{2039}' | '\u{203A}'
            | '\u{2032}' | '`' | '\u{00B4}' => '\'',
            '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2015}'
            | '\u{2212}' => '-',
            '\u{00AD}' | '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' => continue,
            c => c,
        };
        if ch.is_whitespace() {
            pending_space = true;
            continue;
        }
        if ch.is_control() {
            continue;
        }
        if pending_space && out.len() > start {
            out.push(' ');
        }
        pending_space = false;
        out.push(ch);
    }
}

/// The byte ranges of `text` matched by any of `patterns`, sorted and
/// merged where they touch.
pub(crate) fn mask_ranges(text: &str, patterns: &[Regex]) -> Vec<Range<usize>> {
    let mut ranges: Vec<Range<usize>> = patterns
        .iter()
        .flat_map(|p| p.find_iter(text).map(|m| m.range()))
        .filter(|r| !r.is_empty())
        .collect();
    ranges.sort_by_key(|r| (r.start, r.end));
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(ranges.len());
    for r in ranges {
        match merged.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    merged
}

/// Characters that join two runs of letters or digits into one word:
/// "don't", "10,900", "8:30", "U.S", "well-known".
fn is_connector(ch: char) -> bool {
    matches!(
        ch,
        '\'' | '\u{2019}' | '.' | ',' | ':' | '-' | '\u{2010}' | '\u{2011}' | '/'
    )
}

/// Cuts `text` into tokens; each range in `masks` (sorted, disjoint)
/// becomes one [`TokenKind::Masked`] token.
pub(crate) fn tokenize(text: &str, masks: &[Range<usize>]) -> Vec<Token> {
    let mut tokens = Vec::new();
    scan(text, masks, |range, kind| {
        let key = match kind {
            TokenKind::Masked => MASK_KEY.into(),
            TokenKind::Space => " ".to_string(),
            _ => fold(&text[range.clone()]),
        };
        tokens.push(Token { range, kind, key });
    });
    tokens
}

/// The comparison key of `text` with `masks`: the same as
/// `key_of(&tokenize(text, masks))`, built without a string per token, and
/// borrowed when the text is its own key. Every block's key is needed (the
/// alignment compares them all) while only changed blocks need their
/// tokens.
pub(crate) fn text_key<'t>(text: &'t str, masks: &[Range<usize>]) -> Cow<'t, str> {
    if masks.is_empty() {
        if is_own_key(text) {
            return Cow::Borrowed(text);
        }
        if text.bytes().all(|b| is_plain(b) || is_space(b)) {
            return Cow::Owned(plain_key(text));
        }
    }
    let mut key = String::with_capacity(text.len());
    scan(text, masks, |range, kind| match kind {
        // Leading space is dropped, as `key_of` drops it.
        TokenKind::Space if key.is_empty() => {}
        TokenKind::Space => key.push(' '),
        TokenKind::Masked => key.push_str(MASK_KEY),
        _ => fold_into(&mut key, &text[range]),
    });
    let trimmed = key.trim_end_matches(' ').len();
    key.truncate(trimmed);
    Cow::Owned(key)
}

/// ASCII that tokenises into words and punctuation whose keys are their
/// text: letters, digits, and punctuation but the backtick (a quote
/// style).
fn is_plain(b: u8) -> bool {
    b.is_ascii_graphic() && b != b'`'
}

/// The white space of ASCII, as `char::is_whitespace` knows it.
fn is_space(b: u8) -> bool {
    matches!(b, b'\t'..=b'\r' | b' ')
}

/// Whether `text` is its own key: plain (see [`is_plain`]), with one
/// space, and only a space, between its runs of other characters. Block
/// texts are normalised already, so most are.
fn is_own_key(text: &str) -> bool {
    // No early exit: the compiler reads many bytes at once instead.
    let odd = text.bytes().fold(false, |odd, b| {
        odd | (b.wrapping_sub(b' ') > b'~' - b' ') | (b == b'`')
    });
    !odd && !text.starts_with(' ') && !text.ends_with(' ') && !text.contains("  ")
}

/// The key of plain text (see [`is_plain`]): its runs of non-space
/// characters, one space between them.
fn plain_key(text: &str) -> String {
    let (bytes, mut key) = (text.as_bytes(), String::with_capacity(text.len()));
    let mut at = 0;
    while at < bytes.len() {
        while at < bytes.len() && is_space(bytes[at]) {
            at += 1;
        }
        let start = at;
        while at < bytes.len() && !is_space(bytes[at]) {
            at += 1;
        }
        if at > start {
            if !key.is_empty() {
                key.push(' ');
            }
            key.push_str(&text[start..at]);
        }
    }
    key
}

/// Cuts `text` into token ranges and kinds, calling `emit` on each in
/// order (see [`tokenize`]).
fn scan(text: &str, masks: &[Range<usize>], mut emit: impl FnMut(Range<usize>, TokenKind)) {
    let mut masks = masks.iter().peekable();
    let mut at = 0;
    while let Some((ch, len)) = char_at(text, at) {
        let start = at;
        if let Some(mask) = masks.peek().filter(|m| m.start <= start) {
            let end = mask.end;
            masks.next();
            if end > start {
                emit(start..end, TokenKind::Masked);
            }
            while at < end
                && let Some((_, len)) = char_at(text, at)
            {
                at += len;
            }
            continue;
        }
        let mask_start = masks.peek().map_or(usize::MAX, |m| m.start);
        let kind = classify(ch);
        at += len;
        match kind {
            TokenKind::Space => {
                while at < mask_start
                    && let Some((c, len)) = char_at(text, at)
                    && c.is_whitespace()
                {
                    at += len;
                }
            }
            TokenKind::Word => {
                while at < mask_start
                    && let Some((c, len)) = char_at(text, at)
                {
                    if c.is_alphanumeric() || is_invisible(c) {
                        at += len;
                    } else if is_connector(c)
                        && let Some((next, next_len)) = char_at(text, at + len)
                        && next.is_alphanumeric()
                    {
                        // A connector joins only when a letter or digit follows.
                        at += len + next_len;
                    } else {
                        break;
                    }
                }
            }
            _ => {}
        }
        emit(start..at, kind);
    }
}

/// The character at byte `at` of `text` (a character boundary) and its
/// length in bytes; ASCII is read without decoding.
fn char_at(text: &str, at: usize) -> Option<(char, usize)> {
    let b = *text.as_bytes().get(at)?;
    if b.is_ascii() {
        return Some((char::from(b), 1));
    }
    let ch = text.get(at..)?.chars().next()?;
    Some((ch, ch.len_utf8()))
}

/// Characters that belong to the word around them without being letters:
/// invisible joiners and soft hyphens, and combining marks (an accent
/// written as a separate code point).
fn is_invisible(ch: char) -> bool {
    // None is ASCII: the test spares ASCII the table of combining marks.
    !ch.is_ascii()
        && (matches!(
            ch,
            '\u{00AD}' | '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}'
        ) || unicode_normalization::char::is_combining_mark(ch))
}

fn classify(ch: char) -> TokenKind {
    if ch.is_whitespace() {
        TokenKind::Space
    } else if ch.is_alphanumeric() || is_invisible(ch) {
        TokenKind::Word
    } else {
        TokenKind::Punct
    }
}

/// The comparison key of a whole token sequence: token keys concatenated,
/// leading and trailing space dropped. Equal keys mean "no visible change".
pub(crate) fn key_of(tokens: &[Token]) -> String {
    let mut key = String::new();
    for t in tokens {
        if t.kind == TokenKind::Space && key.is_empty() {
            continue;
        }
        key.push_str(&t.key);
    }
    let trimmed = key.trim_end_matches(' ').len();
    key.truncate(trimmed);
    key
}

/// The folded text with masked stretches replaced, for fields that are
/// compared whole (headline, byline).
pub(crate) fn field_key(text: &str, patterns: &[Regex]) -> String {
    text_key(text, &mask_ranges(text, patterns)).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(text: &str) -> String {
        field_key(text, &[])
    }

    #[test]
    fn invisible_differences_fold_to_one_key() {
        let cases = [
            ("“help them fight crime.”", "\"help them fight crime.\""),
            ("Binance’s head", "Binance's head"),
            ("a\u{00A0}b  c", "a b c"),
            ("co\u{00AD}operate", "cooperate"),
            ("ﬁnance", "finance"),
            ("Cafe\u{0301}", "Café"),
            ("2020–2022", "2020-2022"),
            ("  padded ", "padded"),
        ];
        for (a, b) in cases {
            assert_eq!(key(a), key(b), "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn visible_differences_keep_distinct_keys() {
        let cases = [
            ("president", "President"),
            ("10,900", "10,800"),
            ("a b", "ab"),
        ];
        for (a, b) in cases {
            assert_ne!(key(a), key(b), "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn tokens_keep_numbers_and_contractions_whole() {
        let text = "EUR 10,000 (USD 10,900) at 8:30 UTC, didn’t.";
        let words: Vec<&str> = tokenize(text, &[])
            .iter()
            .filter(|t| t.kind == TokenKind::Word)
            .map(|t| &text[t.range.clone()])
            .collect();
        assert_eq!(
            words,
            [
                "EUR", "10,000", "USD", "10,900", "at", "8:30", "UTC", "didn’t"
            ]
        );
    }

    /// The key built in one pass is the key of the tokens, on every kind
    /// of text: typography, invisible and control characters, masks.
    #[test]
    fn text_key_is_the_key_of_the_tokens() {
        let ago = Regex::new(r"\d+ (minutes|hours) ago").expect("pattern is valid");
        let texts = [
            "",
            "   ",
            "  padded  text \t\n here ",
            "\u{B}vertical\u{C}tab\r\nends, (plain) ASCII: 10,900 at 8:30.\u{B}",
            "a `backtick` quote",
            "“help them fight crime.” Binance’s head",
            "\u{00AD}\u{200B} lead, co\u{00AD}operate \u{00AD}",
            "ﬁnance Cafe\u{0301} 2020–2022 `tick`",
            "ctl\u{1}\u{7} chars\u{85}next\u{A0}nbsp",
            "Updated 5 minutes ago, then 2 hours ago.",
            "5 minutes ago",
        ];
        for text in texts {
            for patterns in [&[][..], std::slice::from_ref(&ago)] {
                let masks = mask_ranges(text, patterns);
                assert_eq!(
                    text_key(text, &masks),
                    key_of(&tokenize(text, &masks)),
                    "{text:?}"
                );
            }
        }
    }

    #[test]
    fn masked_stretches_compare_equal() {
        let ago = Regex::new(r"\d+ (minutes|hours) ago").expect("pattern is valid");
        let patterns = [ago];
        assert_eq!(
            field_key("Updated 5 minutes ago", &patterns),
            field_key("Updated 2 hours ago", &patterns)
        );
        assert_ne!(
            field_key("Updated 5 minutes ago", &[]),
            field_key("Updated 2 hours ago", &[])
        );
    }
}
