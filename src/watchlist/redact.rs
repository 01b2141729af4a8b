//! Addresses as they may be shown or stored for display: a password in a
//! watch's URL (`https://user:secret@host/…`) is masked.
//!
//! The fetcher alone uses a watch's URL as written; everything that prints,
//! logs, mails or stores an address for a person to read goes through
//! [`redacted`] or [`redact_text`]. This module must not decide anything
//! else about addresses.

use url::Url;

/// What a password is shown as.
pub const MASK: &str = "***";

/// `url` with its password, if any, replaced by [`MASK`]; the user name is
/// kept so that a reader can tell two logins apart.
pub fn redacted(url: &Url) -> Url {
    let mut shown = url.clone();
    if shown.password().is_some() {
        // Only URLs that cannot have a password (`data:`, `mailto:`) refuse
        // one, and those have none to mask.
        let _ = shown.set_password(Some(MASK));
    }
    shown
}

/// An address read back from a file (a stored version, a queued alert),
/// redacted when it parses as a URL; text that does not parse is cut at its
/// first `@` after the scheme, so that nothing like a password survives.
pub fn redact_text(text: &str) -> String {
    match Url::parse(text) {
        Ok(url) => redacted(&url).to_string(),
        Err(_) => match (text.find("://"), text.rfind('@')) {
            (Some(scheme), Some(at)) if at > scheme => {
                format!("{}{MASK}{}", &text[..scheme + 3], &text[at..])
            }
            _ => text.to_owned(),
        },
    }
}

impl super::Watch {
    /// The watch's address as it may be shown, logged or stored for display.
    pub fn display_url(&self) -> String {
        redacted(&self.url).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_masked_and_the_rest_kept() {
        let cases = [
            (
                "http://user:s3cret@example.org/a?b=c#d",
                "http://user:***@example.org/a?b=c#d",
            ),
            ("https://:pass@example.org/", "https://:***@example.org/"),
            ("https://user@example.org/", "https://user@example.org/"),
            ("https://example.org/news", "https://example.org/news"),
        ];
        for (given, shown) in cases {
            let url = Url::parse(given).expect("a test URL");
            assert_eq!(redacted(&url).as_str(), shown);
            assert_eq!(redact_text(given), shown);
        }
        assert_eq!(redact_text("http://u:p@[bad/x"), "http://***@[bad/x");
        assert_eq!(redact_text("not a url"), "not a url");
    }
}
