//! A raw view of a page's markup for the prescreen: where each start tag,
//! end tag, comment and run of text lies in the page's bytes, as an HTML
//! tokenizer in its data state sees them (quoted attribute values may hold
//! `>`, comments end at `-->` or `--!>`, `<!…>` and `<?…>` at the first
//! `>`, a tag cut off by the end of the page is no tag).
//!
//! The tokenizer's other states depend on the tree being built (raw text
//! after `<script>`, CDATA in SVG), which this module does not know: the
//! caller switches them with [`Tokens::raw_text`] and [`Tokens::skip_past`].
//! It only reads bytes: it must not decode, allocate per tag, or judge what
//! a tag means.

use memchr::memmem;

/// One token of the page, as byte offsets into it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Token {
    /// A start tag.
    Start(Tag),
    /// An end tag.
    End(Tag),
    /// Text between markup: `start..end`.
    Text(usize, usize),
    /// A comment, doctype, processing instruction or bogus comment:
    /// `start..end`.
    Markup(usize, usize),
    /// `<![CDATA[` at this offset, not consumed: a CDATA section in SVG or
    /// MathML, a bogus comment elsewhere (the caller knows which).
    Cdata(usize),
}

/// A tag's place in the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Tag {
    /// Where its `<` is.
    pub at: usize,
    /// One past its `>`.
    pub end: usize,
    /// Where its name lies: `name.0..name.1`.
    pub name: (usize, usize),
    /// Whether it ends with `/>`.
    pub self_closing: bool,
}

/// The tokens of a page, in order.
pub(super) struct Tokens<'a> {
    src: &'a [u8],
    pos: usize,
}

// What the tree builder does with some elements, which switches the
// tokenizer's state or ends foreign content: the caller needs to know.

/// Elements that never have content.
pub(super) const VOID: [&str; 17] = [
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
    "wbr", "param", "keygen", "frame", "basefont",
];
/// Elements the parser re-opens after a misnested end tag closed them.
pub(super) const FORMATTING: [&str; 14] = [
    "a", "b", "big", "code", "em", "font", "i", "nobr", "s", "small", "strike", "strong", "tt", "u",
];
/// HTML start tags that end SVG or MathML content early.
pub(super) const BREAKOUT: [&str; 45] = [
    "b",
    "big",
    "blockquote",
    "body",
    "br",
    "center",
    "code",
    "dd",
    "div",
    "dl",
    "dt",
    "em",
    "embed",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "head",
    "hr",
    "i",
    "img",
    "li",
    "listing",
    "menu",
    "meta",
    "nobr",
    "ol",
    "p",
    "pre",
    "ruby",
    "s",
    "small",
    "span",
    "strong",
    "strike",
    "sub",
    "sup",
    "table",
    "tt",
    "u",
    "ul",
    "var",
    "font",
];
/// SVG and MathML elements whose content is parsed as HTML.
pub(super) const INTEGRATION: [&str; 9] = [
    "foreignobject",
    "desc",
    "title",
    "mi",
    "mo",
    "mn",
    "ms",
    "mtext",
    "annotation-xml",
];
/// Elements whose content is raw text up to their own end tag (with
/// scripting on, as the extraction's parser runs, `noscript` too).
pub(super) const RAW: [&str; 9] = [
    "script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "noscript",
];

/// White space between a tag's parts (a carriage return is a line feed by
/// the time the tokenizer sees it).
fn is_space(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ')
}

impl<'a> Tokens<'a> {
    /// The tokens of `src`.
    pub(super) fn new(src: &'a str) -> Self {
        Tokens {
            src: src.as_bytes(),
            pos: 0,
        }
    }

    /// The tokens of `src` from `pos`, which must be where a token starts
    /// in the data state.
    pub(super) fn at(src: &'a str, pos: usize) -> Self {
        Tokens {
            src: src.as_bytes(),
            pos,
        }
    }

    /// Where the next token starts.
    pub(super) fn pos(&self) -> usize {
        self.pos
    }

    /// The next token, or `None` at the end of the page (a tag cut off by
    /// the end is dropped, as the tokenizer drops it).
    pub(super) fn next_token(&mut self) -> Option<Token> {
        let src = self.src;
        if self.pos >= src.len() {
            return None;
        }
        let lt = memchr::memchr(b'<', &src[self.pos..]).map_or(src.len(), |o| self.pos + o);
        if lt > self.pos {
            let text = Token::Text(self.pos, lt);
            self.pos = lt;
            return Some(text);
        }
        match (src.get(lt + 1), src.get(lt + 2)) {
            (Some(c), _) if c.is_ascii_alphabetic() => self.tag(lt, lt + 1).map(Token::Start),
            (Some(b'/'), Some(c)) if c.is_ascii_alphabetic() => {
                self.tag(lt, lt + 2).map(Token::End)
            }
            // `</>` is dropped whole.
            (Some(b'/'), Some(b'>')) => Some(self.markup(lt, lt + 3)),
            (Some(b'/'), Some(_)) | (Some(b'?'), _) => Some(self.bogus(lt)),
            (Some(b'!'), _) => Some(self.declaration(lt)),
            // A `<` that starts nothing is text.
            _ => {
                self.pos = lt + 1;
                Some(Token::Text(lt, lt + 1))
            }
        }
    }

    fn markup(&mut self, start: usize, end: usize) -> Token {
        self.pos = end;
        Token::Markup(start, end)
    }

    /// A bogus comment (`<?…>`, `</ …>`, `<!…>`): to the first `>`.
    fn bogus(&mut self, lt: usize) -> Token {
        let end = memchr::memchr(b'>', &self.src[lt..]).map_or(self.src.len(), |o| lt + o + 1);
        self.markup(lt, end)
    }

    /// `<!`: a comment, CDATA or a doctype and other bogus comments.
    fn declaration(&mut self, lt: usize) -> Token {
        let rest = &self.src[lt..];
        if rest.starts_with(b"<![CDATA[") {
            return Token::Cdata(lt);
        }
        if !rest.starts_with(b"<!--") {
            return self.bogus(lt);
        }
        let body = lt + 4;
        let after = &self.src[body..];
        // `<!-->` and `<!--->` are whole (empty) comments.
        let end = if after.starts_with(b">") {
            body + 1
        } else if after.starts_with(b"->") {
            body + 2
        } else {
            let close = memmem::find(after, b"-->").map(|o| (o, 3));
            let bang = memmem::find(after, b"--!>").map(|o| (o, 4));
            match (close, bang) {
                (Some(a), Some(b)) => body + a.0.min(b.0) + if a.0 < b.0 { a.1 } else { b.1 },
                (Some((o, n)), None) | (None, Some((o, n))) => body + o + n,
                // A comment never closed runs to the end of the page.
                (None, None) => self.src.len(),
            }
        };
        self.markup(lt, end)
    }

    /// Moves past the first `pattern` from `from` (CDATA's `]]>`), or to
    /// `None` when the page has none.
    pub(super) fn skip_past(&mut self, from: usize, pattern: &[u8]) -> Option<usize> {
        let offset = memmem::find(&self.src[from..], pattern)?;
        self.pos = from + offset + pattern.len();
        Some(self.pos)
    }

    /// Moves past the first `>` from `from`: a bogus comment.
    pub(super) fn skip_bogus(&mut self, from: usize) {
        self.bogus(from);
    }

    /// The raw text of the element whose start tag ended at `self.pos`,
    /// up to the end tag named `name` (compared regardless of ASCII case,
    /// and followed by white space, `/` or `>`), which is consumed; its
    /// content is returned. `None` when there is no such end tag, or (for
    /// a script, `escapes`) when `<!--` comes first: the tokenizer's
    /// escaped script states are not followed.
    pub(super) fn raw_text(&mut self, name: &[u8], escapes: bool) -> Option<(usize, usize)> {
        let start = self.pos;
        let mut from = start;
        loop {
            let at = from + memmem::find(&self.src[from..], b"</")?;
            let name_end = at + 2 + name.len();
            let matches = self
                .src
                .get(at + 2..name_end)
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
                && self
                    .src
                    .get(name_end)
                    .is_some_and(|&b| is_space(b) || b == b'/' || b == b'>');
            if matches {
                if escapes && memmem::find(&self.src[start..at], b"<!--").is_some() {
                    return None;
                }
                self.tag(at, at + 2)?;
                return Some((start, at));
            }
            from = at + 2;
        }
    }

    /// A tag from its `<` at `lt`, its name starting at `name`: the
    /// tokenizer's tag and attribute states, to find the `>` that ends it.
    fn tag(&mut self, lt: usize, name: usize) -> Option<Tag> {
        let src = self.src;
        let mut i = name;
        while i < src.len() && !is_space(src[i]) && src[i] != b'/' && src[i] != b'>' {
            i += 1;
        }
        let name_end = i;
        let (end, self_closing) = attributes(src, i, None)?;
        self.pos = end;
        Some(Tag {
            at: lt,
            end,
            name: (name, name_end),
            self_closing,
        })
    }
}

/// An attribute as written: where its name and its value (without
/// quotes; empty when it has none) lie.
pub(super) type Attribute = ((usize, usize), (usize, usize));

/// The attributes of the tag at the start of `tag` (its `<` at 0), as
/// written, in order, into `found` (cleared first, so that a caller reuses
/// one buffer); `None` when it is not a whole tag.
pub(super) fn attributes_of(tag: &[u8], found: &mut Vec<Attribute>) -> Option<()> {
    let mut i = 1 + usize::from(tag.get(1) == Some(&b'/'));
    while i < tag.len() && !is_space(tag[i]) && tag[i] != b'/' && tag[i] != b'>' {
        i += 1;
    }
    found.clear();
    attributes(tag, i, Some(found))?;
    Some(())
}

/// Where a tag whose attributes start at `i` ends (one past its `>`) and
/// whether it closed with `/>`; `None` when the page ends first. Each
/// attribute goes to `found` when given.
fn attributes(
    src: &[u8],
    mut i: usize,
    mut found: Option<&mut Vec<Attribute>>,
) -> Option<(usize, bool)> {
    loop {
        // Before an attribute's name.
        while is_space(*src.get(i)?) {
            i += 1;
        }
        match src[i] {
            b'>' => return Some((i + 1, false)),
            b'/' => {
                i += 1;
                if *src.get(i)? == b'>' {
                    return Some((i + 1, true));
                }
                continue;
            }
            // The name: its first character may be `=`, `"`, `'` or `<`.
            _ => i += 1,
        }
        let name = (i - 1, {
            while !matches!(
                *src.get(i)?,
                b'\t' | b'\n' | b'\x0c' | b'\r' | b' ' | b'/' | b'>' | b'='
            ) {
                i += 1;
            }
            i
        });
        while is_space(*src.get(i)?) {
            i += 1;
        }
        let mut value = (i, i);
        if src[i] == b'=' {
            i += 1;
            while is_space(*src.get(i)?) {
                i += 1;
            }
            let end = value_end(src, i)?;
            value = match src[i] {
                b'"' | b'\'' => (i + 1, end - 1),
                _ => (i, end),
            };
            i = end;
        }
        if let Some(found) = found.as_deref_mut() {
            found.push((name, value));
        }
    }
}

/// Where an attribute's value starting at `i` ends (at the `>` of a tag
/// whose value is missing, which the caller reads next).
fn value_end(src: &[u8], i: usize) -> Option<usize> {
    match *src.get(i)? {
        quote @ (b'"' | b'\'') => {
            let close = memchr::memchr(quote, &src[i + 1..])?;
            Some(i + 1 + close + 1)
        }
        b'>' => Some(i),
        _ => {
            let mut j = i;
            while !is_space(*src.get(j)?) && src[j] != b'>' {
                j += 1;
            }
            Some(j)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(src: &str) -> Vec<Token> {
        let mut tokens = Tokens::new(src);
        std::iter::from_fn(|| tokens.next_token()).collect()
    }

    #[test]
    fn a_quoted_greater_than_sign_does_not_end_a_tag() {
        let src = r#"<a title="a > b" href='x>y'>t</a>"#;
        let found = tokens(src);
        let Token::Start(tag) = found[0] else {
            panic!("{found:?}")
        };
        assert_eq!(&src[tag.at..tag.end], r#"<a title="a > b" href='x>y'>"#);
        assert_eq!(found[1], Token::Text(tag.end, tag.end + 1));
    }

    #[test]
    fn comments_end_as_the_tokenizer_ends_them() {
        for (src, end) in [
            ("<!-- a --> x", 10),
            ("<!-- a --!> x", 11),
            ("<!--> x", 5),
            ("<!---> x", 6),
            ("<!----> x", 7),
            ("<!DOCTYPE html> x", 15),
            ("<?php x ?> x", 10),
        ] {
            assert_eq!(tokens(src)[0], Token::Markup(0, end), "{src}");
        }
        assert_eq!(tokens("<!-- never closed <p>")[0], Token::Markup(0, 21));
    }

    #[test]
    fn a_tag_cut_off_by_the_end_of_the_page_is_no_tag() {
        assert_eq!(tokens("x<div class=\"a"), vec![Token::Text(0, 1)]);
    }

    #[test]
    fn raw_text_ends_at_its_own_end_tag_only() {
        let src = "<script>if (a</b) x = '</scripts>';</SCRIPT >after";
        let mut tokens = Tokens::new(src);
        assert!(matches!(tokens.next_token(), Some(Token::Start(_))));
        let (start, end) = tokens
            .raw_text(b"script", true)
            .expect("the script is closed");
        assert_eq!(&src[start..end], "if (a</b) x = '</scripts>';");
        assert_eq!(tokens.next_token(), Some(Token::Text(45, 50)));
        let mut escaped = Tokens::new("<script><!-- <script></script> --></script>");
        escaped.next_token();
        assert_eq!(escaped.raw_text(b"script", true), None);
    }
}
