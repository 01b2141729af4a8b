//! Text encodings: which charset a page's bytes are really in, undoing
//! mojibake, and recognising a difference between two articles that is only
//! encoding damage.
//!
//! Sites declare charsets wrongly: Windows-1252 bytes served as UTF-8 (each
//! accented letter becomes U+FFFD), UTF-8 served as Latin-1 (`café` becomes
//! `cafÃ©`), UTF-8 encoded twice. Taken at face value, each alerts as an
//! edit of every accented word and stores the garbage. [`decode`] checks the
//! declaration against the bytes and repairs double encoding, and
//! [`encoding_only_difference`] is the second line of defence when a page is
//! beyond repair. Everything here is pure: no I/O, no logging.

use std::borrow::Cow;

use encoding_rs::Encoding;

use crate::article::Article;

/// A page's text and how its charset was chosen.
#[derive(Debug)]
pub struct Decoded {
    /// The page's text.
    pub text: String,
    /// What was corrected, when the declaration or the bytes were wrong.
    pub correction: Option<Correction>,
}

/// A correction made while decoding, for the fetcher's log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Correction {
    /// The bytes contradicted the declared charset and were read in another.
    Charset {
        /// The charset the page declared (or UTF-8 by default).
        declared: &'static str,
        /// The charset the bytes were read in.
        used: &'static str,
    },
    /// Text encoded twice (UTF-8 read as Windows-1252, then encoded again)
    /// was decoded once more.
    DoubleEncoding {
        /// How many characters were repaired.
        repaired: usize,
    },
}

/// Decodes a body to text: the charset of the `Content-Type` header, else a
/// byte-order mark, else a `<meta charset>` in the first kilobytes, else
/// UTF-8, then checked against the bytes: bytes declared UTF-8 that are
/// mostly not UTF-8 are read in the `<meta>` charset or Windows-1252, and
/// valid UTF-8 declared in a single-byte charset is read as UTF-8. Text
/// encoded twice is repaired. Undecodable bytes become U+FFFD rather than
/// failing the check.
///
/// Takes the body by value: a page that is already valid UTF-8 (most are)
/// becomes the text without being copied.
pub fn decode(body: Vec<u8>, content_type: &str) -> Decoded {
    let declared = content_type
        .split(';')
        .filter_map(|part| part.trim().strip_prefix("charset="))
        .next()
        .map(|c| c.trim_matches(['"', '\'']))
        .and_then(|label| Encoding::for_label(label.as_bytes()));
    let meta = sniff_meta_charset(&body);
    let chosen = declared
        .or_else(|| Encoding::for_bom(&body).map(|(e, _)| e))
        .or(meta)
        .unwrap_or(encoding_rs::UTF_8);
    let encoding = validate(chosen, &body, meta);
    let mut correction = (encoding != chosen).then(|| Correction::Charset {
        declared: chosen.name(),
        used: encoding.name(),
    });
    let (text, _, _) = encoding.decode(&body);
    let text = match text {
        // The whole body, unchanged: reuse its buffer.
        Cow::Borrowed(same) if same.len() == body.len() => {
            String::from_utf8(body).expect("the decoder borrowed the whole body as valid UTF-8")
        }
        text => text.into_owned(),
    };
    let (text, repaired) = repair_double_encoding(text);
    if repaired > 0 {
        correction = Some(Correction::DoubleEncoding { repaired });
    }
    Decoded { text, correction }
}

/// The charset to read `body` in, given the one `chosen` from declarations.
fn validate(
    chosen: &'static Encoding,
    body: &[u8],
    meta: Option<&'static Encoding>,
) -> &'static Encoding {
    if chosen == encoding_rs::UTF_8 {
        let census = Utf8Census::of(body);
        // A few stray bytes in a UTF-8 page stay U+FFFD; a page whose
        // non-ASCII bytes are mostly invalid is in a legacy charset.
        if census.invalid > census.valid_multibyte {
            return meta
                .filter(|m| *m != encoding_rs::UTF_8 && m.is_ascii_compatible())
                .unwrap_or(encoding_rs::WINDOWS_1252);
        }
    } else if chosen.is_single_byte() && !body.is_ascii() && std::str::from_utf8(body).is_ok() {
        // Non-ASCII text in a single-byte charset almost never forms valid
        // UTF-8 by chance: the declaration is wrong.
        return encoding_rs::UTF_8;
    }
    chosen
}

/// Counts of valid multi-byte characters and invalid sequences in bytes
/// read as UTF-8.
#[derive(Debug, Default, PartialEq, Eq)]
struct Utf8Census {
    valid_multibyte: usize,
    invalid: usize,
}

impl Utf8Census {
    fn of(mut bytes: &[u8]) -> Self {
        let mut census = Utf8Census::default();
        loop {
            match std::str::from_utf8(bytes) {
                Ok(valid) => {
                    census.valid_multibyte += count_leads(valid.as_bytes());
                    return census;
                }
                Err(error) => {
                    census.valid_multibyte += count_leads(&bytes[..error.valid_up_to()]);
                    census.invalid += 1;
                    let skip = error
                        .error_len()
                        .unwrap_or(bytes.len() - error.valid_up_to());
                    bytes = &bytes[error.valid_up_to() + skip..];
                }
            }
        }
    }
}

/// The lead bytes of multi-byte characters in valid UTF-8.
fn count_leads(valid: &[u8]) -> usize {
    valid.iter().filter(|&&b| b >= 0xC0).count()
}

/// Finds `<meta charset="…">` or `<meta http-equiv=Content-Type content="…; charset=…">`
/// in the first 4 KiB, as browsers do before parsing.
fn sniff_meta_charset(body: &[u8]) -> Option<&'static Encoding> {
    let head = &body[..body.len().min(4096)];
    let head = String::from_utf8_lossy(head).to_ascii_lowercase();
    let mut rest = head.as_str();
    while let Some(at) = rest.find("charset=") {
        rest = &rest[at + "charset=".len()..];
        let label: String = rest
            .trim_start_matches(['"', '\''])
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.'))
            .collect();
        if let Some(encoding) = Encoding::for_label(label.as_bytes()) {
            // A page that claims UTF-16 in ASCII-compatible bytes is wrong
            // about itself; browsers read it as UTF-8.
            return Some(
                if encoding == encoding_rs::UTF_16LE || encoding == encoding_rs::UTF_16BE {
                    encoding_rs::UTF_8
                } else {
                    encoding
                },
            );
        }
    }
    None
}

/// The Windows-1252 byte of `c`, when it has one above ASCII.
fn cp1252_byte(c: char) -> Option<u8> {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž',
        '\u{8f}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}',
        'ž', 'Ÿ',
    ];
    match c as u32 {
        0xA0..=0xFF => Some(c as u32 as u8),
        _ => HIGH.iter().position(|&h| h == c).map(|i| 0x80 + i as u8),
    }
}

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
    let mut lead = false;
    for c in text.chars() {
        let byte = cp1252_byte(c);
        if lead && byte.is_some_and(|b| (0x80..=0xBF).contains(&b)) {
            return true;
        }
        lead = byte.is_some_and(|b| (0xC2..=0xF4).contains(&b));
    }
    false
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
    if !text.get(at).is_some_and(|c| !c.is_ascii()) {
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

    fn text(bytes: &[u8], content_type: &str) -> String {
        decode(bytes.to_vec(), content_type).text
    }

    #[test]
    fn charset_sources_in_order() {
        let latin1 = b"<html><head><meta charset=\"iso-8859-1\"></head><body>caf\xe9</body></html>";
        // A <meta charset> is used when the header says nothing.
        assert!(text(latin1, "text/html").contains("café"));
        // The header wins over the page.
        let utf8 = "<meta charset=\"iso-8859-1\">café".as_bytes();
        assert!(text(utf8, "text/html; charset=utf-8").contains("café"));
        // http-equiv form.
        let win = b"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=windows-1252\">\x93quoted\x94";
        assert!(text(win, "").contains("\u{201c}quoted\u{201d}"));
        // A few stray bytes in UTF-8 do not fail and do not switch charsets.
        let stray = "ok \u{e9}t\u{e9} \u{e0} la plage \u{2014} "
            .as_bytes()
            .to_vec();
        let decoded = decode(
            [stray, b"\xff".to_vec()].concat(),
            "text/html; charset=utf-8",
        );
        assert!(decoded.text.starts_with("ok été"), "{}", decoded.text);
        assert_eq!(decoded.correction, None);
        // Valid UTF-8 comes back whole; a byte-order mark is dropped.
        assert_eq!(text("<p>café</p>".as_bytes(), ""), "<p>café</p>");
        assert_eq!(text(b"\xef\xbb\xbf<p>x</p>", ""), "<p>x</p>");
    }

    #[test]
    fn declarations_contradicted_by_the_bytes_are_overruled() {
        // Windows-1252 bytes declared UTF-8.
        let decoded = decode(
            b"<p>caf\xe9 cr\xe8me \x93ok\x94</p>".to_vec(),
            "text/html; charset=utf-8",
        );
        assert_eq!(decoded.text, "<p>café crème \u{201c}ok\u{201d}</p>");
        assert_eq!(
            decoded.correction,
            Some(Correction::Charset {
                declared: "UTF-8",
                used: "windows-1252"
            })
        );
        // ... with a <meta> naming the real charset.
        let latin2 = b"<meta charset=iso-8859-2><p>\xb3\xf3d\xbc</p>".to_vec();
        assert!(
            decode(latin2, "text/html; charset=utf-8")
                .text
                .contains("łódź")
        );
        // UTF-8 declared Latin-1.
        assert_eq!(
            text("<p>café</p>".as_bytes(), "text/html; charset=iso-8859-1"),
            "<p>café</p>"
        );
        // Plain ASCII keeps its declaration.
        assert_eq!(
            decode(b"<p>x</p>".to_vec(), "text/html; charset=latin1").correction,
            None
        );
    }

    #[test]
    fn double_encoded_utf8_is_repaired() {
        let twice = "<p>café, naïve — “quoted”</p>";
        let garbled: String = twice
            .bytes()
            .map(|b| {
                encoding_rs::WINDOWS_1252
                    .decode_without_bom_handling(&[b])
                    .0
                    .into_owned()
            })
            .collect();
        assert_ne!(garbled, twice);
        let decoded = decode(garbled.into_bytes(), "text/html; charset=utf-8");
        assert_eq!(decoded.text, twice);
        // Real Latin-1 text is left alone.
        assert_eq!(repair_double_encoding("Ça va, «élève»".to_owned()).1, 0);
    }

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
