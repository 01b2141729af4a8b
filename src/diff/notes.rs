//! Editorial notes: "Updated …", "Correction: …", "Editor's note: …".
//!
//! News pages mark a revision with a note, usually at the top or bottom of
//! the body and often in italic. This module recognises such a block and
//! reads the note's own date; it must not decide whether the note is new
//! (that is the aligner's job).

use std::sync::LazyLock;

use regex::Regex;

use crate::report::NoteKind;

/// A note opens with a label and a colon ("Update:", "UPDATE 2 (April 25):",
/// "Correction, April 3:"), or with a sentence saying the piece was revised.
static NOTE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?ix)^ [\s\[(*_]*
        (?:
            (?:update[sd]?|correction|corrected|clarification|editor[’']?s[\ ]note|note[\ ]from[\ ]the[\ ]editors?)
                \b [^:]{0,40} (?: : | \s[\u{2013}\u{2014}-]\s )
          | (?:this|the) \s (?:article|story|post|report|piece|report) \s (?:has \s been|was|is \s being) \s
                (?:updated|corrected|amended|revised|changed|edited)
          | an \s earlier \s version \s of \s this
          | (?:updated|corrected) \s (?:on|at) \s
        )"#,
    )
    .expect("the note pattern is a valid regular expression")
});

/// Dates and times as notes write them: "April 25, 8:30 UTC", "Apr. 3,
/// 2022", "12:30 p.m. ET", "2022-04-25".
static DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)
        (?:
            \b(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?
            \s \d{1,2}(?:st|nd|rd|th)?\b (?:,?\s\d{4})?
            (?: (?:,|\s at)? \s \d{1,2}(?::\d{2})? (?:\s?[ap]\.?m\.?)? (?:\s(?-i:[A-Z]{2,5}))? )?
          | \b\d{1,2}\s(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b (?:\s\d{4})?
                (?: (?:,|\s at)? \s \d{1,2}:\d{2} (?:\s?[ap]\.?m\.?)? (?:\s(?-i:[A-Z]{2,5}))? )?
          | \b\d{4}-\d{2}-\d{2}(?:[T\s]\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:?\d{2})?)?
          | \b\d{1,2}:\d{2} (?:\s?[ap]\.?m\.?)? (?:\s(?-i:[A-Z]{2,5}))?
        )",
    )
    .expect("the date pattern is a valid regular expression")
});

/// The kind of note `text` is, when it is one.
pub(crate) fn kind(text: &str) -> Option<NoteKind> {
    if !NOTE.is_match(text) {
        return None;
    }
    let lower = text.to_lowercase();
    let head: String = lower.chars().take(80).collect();
    Some(if head.contains("editor") {
        NoteKind::EditorsNote
    } else if head.contains("correct")
        || head.contains("clarification")
        || head.contains("earlier version")
    {
        NoteKind::Correction
    } else {
        NoteKind::Update
    })
}

/// The note's own date or time, as written: the first one it mentions.
pub(crate) fn date(text: &str) -> Option<String> {
    DATE.find(text)
        .map(|m| m.as_str().trim_end_matches([',', '.']).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_notes_and_their_dates() {
        let cases: &[(&str, Option<NoteKind>, Option<&str>)] = &[
            (
                "The article has been updated on April 25, 8:30 UTC, with comments from the Binance spokesperson. Updates in bold.",
                Some(NoteKind::Update),
                Some("April 25, 8:30 UTC"),
            ),
            (
                "Update (12:30 p.m. ET): This story has been updated with further comments from a Binance representative.",
                Some(NoteKind::Update),
                Some("12:30 p.m. ET"),
            ),
            (
                "Correction: An earlier version misstated the sum.",
                Some(NoteKind::Correction),
                None,
            ),
            (
                "An earlier version of this article misnamed the minister.",
                Some(NoteKind::Correction),
                None,
            ),
            (
                "Editor’s note: This story was first published on 3 May 2021.",
                Some(NoteKind::EditorsNote),
                Some("3 May 2021"),
            ),
            (
                "UPDATE 2, Jan. 5, 2023: Adds details.",
                Some(NoteKind::Update),
                Some("Jan. 5, 2023"),
            ),
            (
                "Updated figures show a rise in prices across the region.",
                None,
                None,
            ),
            (
                "The update was rolled out to all users on Monday.",
                None,
                None,
            ),
            (
                "Binance has continued to operate in Russia after the war.",
                None,
                None,
            ),
        ];
        for (text, want_kind, want_date) in cases {
            assert_eq!(kind(text), *want_kind, "{text:?}");
            if want_kind.is_some() {
                assert_eq!(date(text).as_deref(), *want_date, "{text:?}");
            }
        }
    }
}
