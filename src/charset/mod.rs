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

mod mojibake;

pub use mojibake::{
    EncodingDifference, EncodingFault, encoding_only_difference, repair_double_encoding,
};

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
/// valid UTF-8 declared in a legacy charset is read as UTF-8. Text
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
    } else if !body.is_ascii() && std::str::from_utf8(body).is_ok() {
        // Non-ASCII text in a legacy charset, single-byte or not (a stale
        // `<meta charset="gb2312">` on a page re-encoded as UTF-8), almost
        // never forms valid UTF-8 by chance: the declaration is wrong.
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
    // Counted in chunks of at most 255 bytes into a `u8`, which the
    // compiler turns into wide vector adds: this runs over every fetched
    // page, and a count per byte into a `usize` ran at a tenth the speed.
    valid
        .chunks(255)
        .map(|chunk| {
            let leads = chunk
                .iter()
                .fold(0u8, |n, &b| n.wrapping_add(u8::from(b >= 0xC0)));
            usize::from(leads)
        })
        .sum()
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
pub(crate) fn cp1252_byte(c: char) -> Option<u8> {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž',
        '\u{8f}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}',
        'ž', 'Ÿ',
    ];
    match c as u32 {
        // ASCII has no such byte; most characters of most pages are ASCII,
        // and this is asked of every one of them.
        0..=0x7F => None,
        0xA0..=0xFF => Some(c as u32 as u8),
        _ => HIGH.iter().position(|&h| h == c).map(|i| 0x80 + i as u8),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(bytes: &[u8], content_type: &str) -> String {
        decode(bytes.to_vec(), content_type).text
    }

    #[test]
    fn leads_are_counted_past_a_chunk() {
        // 300 two-byte and 100 three-byte characters among ASCII: more
        // leads than one chunk's counter could hold, and chunks that end
        // inside a character.
        let text = "é".repeat(300) + &"a€".repeat(100);
        assert_eq!(count_leads(text.as_bytes()), 400);
        assert_eq!(count_leads(b"plain ascii"), 0);
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
        // A stale multi-byte legacy <meta> on a page that is valid UTF-8.
        assert_eq!(
            text("<meta charset=\"gb2312\"><p>café 中文</p>".as_bytes(), ""),
            "<meta charset=\"gb2312\"><p>café 中文</p>"
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
}
