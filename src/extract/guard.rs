//! The quality guard: telling an extraction that cannot be the article (a
//! consent wall, an error page, a body collapsed to a fraction of the last
//! good version) from a real change, so that a bad fetch is reported as a
//! failure and never as an edit.
//!
//! This module judges extracted articles only; it must not parse HTML nor
//! know where the versions are stored.

use crate::article::{Article, BlockKind};

/// Why an extraction is not a believable version of the watched article.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Implausible {
    /// The body shrank to a small fraction of the last good version.
    #[error(
        "the body collapsed from {before} to {after} words; the page is probably incomplete or \
         the selector now matches something else"
    )]
    Collapsed {
        /// Words in the last good version.
        before: usize,
        /// Words now.
        after: usize,
    },
    /// The last good version had paragraphs and this one has none.
    #[error(
        "the body has no paragraphs any more (it had {before}); the page layout may have changed"
    )]
    NoParagraphs {
        /// Paragraphs in the last good version.
        before: usize,
    },
    /// The page is a consent wall, an error page or a bot check.
    #[error("the page looks like {0}, not the article")]
    NotTheArticle(PageKind),
    /// The headline and nearly every word of the body are new: the address
    /// now serves another page (a redirect to a front page, a soft 404).
    #[error(
        "the page now holds a different text (headline and {shared_percent}% of the words shared); \
         the address may redirect elsewhere"
    )]
    DifferentPage {
        /// The share of the last good version's distinct words still present.
        shared_percent: u8,
    },
}

/// Pages that stand in for an article without being one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageKind {
    /// A cookie or privacy consent wall.
    Consent,
    /// An HTTP error or "not found" page.
    Error,
    /// A bot check or "enable JavaScript" interstitial.
    Interstitial,
}

impl std::fmt::Display for PageKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PageKind::Consent => "a cookie consent page",
            PageKind::Error => "an error page",
            PageKind::Interstitial => "a bot check or javascript interstitial",
        })
    }
}

/// A body shorter than this share of the previous one is a collapse.
const COLLAPSE_SHARE: f64 = 0.3;
/// Bodies this short are too small to judge a collapse by.
const MIN_WORDS_TO_JUDGE: usize = 40;
/// A version sharing less than this share of the last one's distinct words,
/// under another headline, is another page.
const MIN_SHARED_WORDS: f64 = 0.15;
/// How many blocks at the head of the body are read for a stand-in's words.
const STAND_IN_HEAD_BLOCKS: usize = 3;
/// Pages longer than this are articles, whatever words they contain.
const MAX_STAND_IN_WORDS: usize = 150;

/// Checks that `current` is a believable next version of `previous`, the
/// watch's last good extraction.
///
/// # Errors
///
/// [`Implausible`] says why `current` is not believable: the body collapsed,
/// lost every paragraph, or is a consent or error page.
pub fn check_plausible(previous: &Article, current: &Article) -> Result<(), Implausible> {
    if let Some(kind) = stand_in_kind(current) {
        return Err(Implausible::NotTheArticle(kind));
    }
    let (before, after) = (previous.word_count(), current.word_count());
    if before >= MIN_WORDS_TO_JUDGE && (after as f64) < before as f64 * COLLAPSE_SHARE {
        return Err(Implausible::Collapsed { before, after });
    }
    if before >= MIN_WORDS_TO_JUDGE && previous.headline != current.headline {
        let shared = shared_words(previous, current);
        if shared < MIN_SHARED_WORDS {
            return Err(Implausible::DifferentPage {
                shared_percent: (shared * 100.0).round() as u8,
            });
        }
    }
    let paragraphs = |a: &Article| {
        a.blocks
            .iter()
            .filter(|b| b.kind == BlockKind::Paragraph)
            .count()
    };
    let had = paragraphs(previous);
    if had >= 3 && paragraphs(current) == 0 {
        return Err(Implausible::NoParagraphs { before: had });
    }
    Ok(())
}

/// The share of `previous`'s distinct body words that `current` still has.
fn shared_words(previous: &Article, current: &Article) -> f64 {
    let words = |a: &Article| -> std::collections::HashSet<String> {
        a.blocks
            .iter()
            .flat_map(|b| b.text.split_whitespace().map(str::to_lowercase))
            .collect()
    };
    let (before, after) = (words(previous), words(current));
    if before.is_empty() {
        return 1.0;
    }
    before.iter().filter(|w| after.contains(*w)).count() as f64 / before.len() as f64
}

/// What kind of stand-in page `article` is, if its short text reads like a
/// consent wall, an error page or a bot check.
pub fn stand_in_kind(article: &Article) -> Option<PageKind> {
    // Counting stops past the limit: real articles are long.
    let words = article
        .blocks
        .iter()
        .flat_map(|b| b.text.split_whitespace());
    if words.take(MAX_STAND_IN_WORDS + 1).count() > MAX_STAND_IN_WORDS {
        return None;
    }
    // A stand-in says what it is up front; a short article that mentions
    // a captcha further down is still an article.
    let mut text = article.headline.clone().unwrap_or_default().to_lowercase();
    for block in article.blocks.iter().take(STAND_IN_HEAD_BLOCKS) {
        text.push('\n');
        text.push_str(&block.text.to_lowercase());
    }
    const CONSENT: &[&str] = &[
        "we use cookies",
        "accept all cookies",
        "cookie settings",
        "manage cookies",
        "your privacy choices",
        "consent to the use",
        "we value your privacy",
    ];
    const ERROR: &[&str] = &[
        "page not found",
        "404 not found",
        "403 forbidden",
        "access denied",
        "500 internal server error",
        "service unavailable",
        "this page does not exist",
        "page you requested could not be found",
        "bad gateway",
    ];
    const INTERSTITIAL: &[&str] = &[
        "enable javascript",
        "javascript is disabled",
        "are you a robot",
        "verify you are human",
        "checking your browser",
        "just a moment...",
        "captcha",
        "unusual traffic",
    ];
    let any = |words: &[&str]| words.iter().any(|w| text.contains(w));
    if any(CONSENT) {
        Some(PageKind::Consent)
    } else if any(ERROR) {
        Some(PageKind::Error)
    } else if any(INTERSTITIAL) {
        Some(PageKind::Interstitial)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::article::Block;

    fn article(paragraphs: &[&str]) -> Article {
        Article {
            blocks: paragraphs
                .iter()
                .map(|p| Block::new(BlockKind::Paragraph, p))
                .collect(),
            ..Article::default()
        }
    }

    fn words(n: usize) -> String {
        vec!["word"; n].join(" ")
    }

    #[test]
    fn verdicts() {
        let long = words(200);
        let good = article(&[&long, &long, &long]);
        let cases: Vec<(Article, Result<(), Implausible>)> = vec![
            (article(&[&long, &long]), Ok(())),
            (
                article(&[&words(50)]),
                Err(Implausible::Collapsed {
                    before: 600,
                    after: 50,
                }),
            ),
            (
                Article {
                    blocks: vec![Block::new(BlockKind::ListItem, &words(600))],
                    ..Article::default()
                },
                Err(Implausible::NoParagraphs { before: 3 }),
            ),
            (
                article(&["We use cookies to improve your experience.", "Accept all"]),
                Err(Implausible::NotTheArticle(PageKind::Consent)),
            ),
            (
                article(&["404 Not Found"]),
                Err(Implausible::NotTheArticle(PageKind::Error)),
            ),
        ];
        for (current, want) in cases {
            assert_eq!(
                check_plausible(&good, &current),
                want,
                "{}",
                current.body_text()
            );
        }
    }

    #[test]
    fn a_short_first_version_is_not_judged_by_length() {
        let small = article(&["A short note."]);
        assert_eq!(check_plausible(&small, &article(&["Shorter."])), Ok(()));
    }
}
