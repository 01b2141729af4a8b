//! Bounds on what a page may cost to parse, enforced on its text before the
//! HTML parser sees it.
//!
//! html5ever's tree builder does work per open element for many tokens, so
//! a page nested 100,000 levels deep costs minutes of CPU; a tag with a
//! million attributes costs a quadratic duplicate check; a page of millions
//! of tiny elements costs hundreds of bytes of tree per byte of page. This
//! module makes one linear pass over the tags (a tokenizer's view, not a
//! parser's) and rewrites only what is past a bound, as browsers do with
//! their nesting limits: start and end tags nested deeper than
//! [`MAX_DEPTH`] are dropped and their text kept, tags and comments past
//! [`MAX_NODES`] are dropped and their text kept, and attributes past
//! [`MAX_ATTRIBUTES`] on one tag are dropped. A page within every bound is
//! returned as it is, without a copy.
//!
//! It must stay pure and linear, and must not judge content: deciding what
//! is article text is the rest of `extract`'s job.

use std::borrow::Cow;
use std::collections::HashMap;

/// The deepest nesting kept. Browsers cap the DOM depth at a few hundred
/// levels (Blink at 512); no real article comes near it.
pub const MAX_DEPTH: usize = 512;
/// The most tags and comments kept per page. A large real page has tens of
/// thousands; past this the tree would cost far more memory than the page.
pub const MAX_NODES: usize = 200_000;
/// The most attributes kept on one tag: real tags carry a handful, and the
/// parser checks each new attribute against all earlier ones.
pub const MAX_ATTRIBUTES: usize = 64;

/// Elements whose content is text up to their own end tag: tags inside them
/// are not tags.
const RAW_TEXT: [&str; 9] = [
    "script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "noscript",
];
/// Elements that never have content, so never nest.
const VOID: [&str; 16] = [
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
    "wbr", "param", "keygen", "frame",
];
/// Elements that close an open element of the same name when they start
/// (`<p>a<p>b`, `<li>a<li>b`): counted as siblings, not as nesting.
const SELF_CLOSING_SIBLINGS: [&str; 11] = [
    "p", "li", "dt", "dd", "option", "tr", "td", "th", "rt", "rp", "optgroup",
];
/// Phrasing elements: dropping their tags must not glue words apart.
const INLINE: [&str; 20] = [
    "a", "abbr", "b", "bdi", "bdo", "big", "cite", "code", "em", "font", "i", "kbd", "mark", "q",
    "s", "small", "span", "strong", "sub", "sup",
];

/// Returns `html` with everything past the bounds removed, or `html` itself
/// (borrowed) when the page is within every bound.
pub fn bound(html: &str) -> Cow<'_, str> {
    let mut scan = Scanner::new(html);
    scan.run();
    match scan.out {
        None => Cow::Borrowed(html),
        Some(mut out) => {
            out.push_str(&html[scan.copied..]);
            Cow::Owned(out)
        }
    }
}

/// One pass over a page's tags: the open elements, the counts, and the
/// rewritten text once the first cut was made.
struct Scanner<'a> {
    src: &'a str,
    pos: usize,
    /// Names of the open elements, outermost first (never deeper than
    /// [`MAX_DEPTH`]: deeper start tags are dropped, not pushed).
    open: Vec<&'a str>,
    /// How many elements of each (lowercase) name are open, so that an end
    /// tag of nothing open is known without walking `open`.
    open_names: HashMap<String, usize>,
    /// Start tags dropped whose end tags are still to come, by name, so
    /// that those end tags are dropped too.
    dropped: Vec<(&'a str, usize)>,
    /// Tags and comments kept so far.
    nodes: usize,
    /// End tags of nothing open seen so far: the parser walks its open
    /// elements for each, so past [`MAX_STRAY_END_TAGS`] they are dropped.
    stray: usize,
    /// The rewritten page up to `copied`, once something was cut.
    out: Option<String>,
    /// How much of `src` is accounted for in `out`.
    copied: usize,
    /// A buffer for lowercasing tag names without allocating per tag.
    lower: String,
}

/// End tags that close nothing which are kept: a sloppy page has a few;
/// past this many the page is hostile and they are dropped (the parser
/// ignores them anyway, after a walk of its open elements for each).
const MAX_STRAY_END_TAGS: usize = 10_000;

impl<'a> Scanner<'a> {
    fn new(src: &'a str) -> Self {
        Scanner {
            src,
            pos: 0,
            open: Vec::new(),
            open_names: HashMap::new(),
            dropped: Vec::new(),
            nodes: 0,
            stray: 0,
            out: None,
            copied: 0,
            lower: String::new(),
        }
    }

    /// Replaces `src[start..end]` with `with` in the output.
    fn cut(&mut self, start: usize, end: usize, with: &str) {
        let out = self
            .out
            .get_or_insert_with(|| String::with_capacity(self.src.len()));
        out.push_str(&self.src[self.copied..start]);
        out.push_str(with);
        self.copied = end;
    }

    fn run(&mut self) {
        let bytes = self.src.as_bytes();
        while let Some(offset) = memchr(b'<', &bytes[self.pos..]) {
            let start = self.pos + offset;
            self.pos = start + 1;
            match bytes.get(start + 1) {
                Some(b) if b.is_ascii_alphabetic() => self.start_tag(start),
                Some(b'/') if bytes.get(start + 2).is_some_and(u8::is_ascii_alphabetic) => {
                    self.end_tag(start)
                }
                Some(b'!' | b'?' | b'/') => self.comment(start),
                _ => {}
            }
        }
    }

    /// A comment, doctype, processing instruction or bogus comment: one node.
    fn comment(&mut self, start: usize) {
        let rest = &self.src[start..];
        let end = if rest.starts_with("<!--") {
            let body = start + 4;
            if self.src[body..].starts_with('>') {
                body + 1
            } else if self.src[body..].starts_with("->") {
                body + 2
            } else {
                self.src[body..]
                    .find("-->")
                    .map_or(self.src.len(), |at| body + at + 3)
            }
        } else {
            self.src[start..]
                .find('>')
                .map_or(self.src.len(), |at| start + at + 1)
        };
        self.pos = end;
        if self.nodes >= MAX_NODES {
            self.cut(start, end, "");
        } else {
            self.nodes += 1;
        }
    }

    /// Lowercases `name` into the scanner's buffer.
    fn lowercase(&mut self, name: &str) {
        self.lower.clear();
        self.lower
            .extend(name.chars().map(|c| c.to_ascii_lowercase()));
    }

    fn start_tag(&mut self, start: usize) {
        let name = self.name(start + 1);
        self.lowercase(name);
        let lower = self.lower.as_str();
        // `<p>a<p>b`: the second closes the first (a sibling, not a child).
        if SELF_CLOSING_SIBLINGS.contains(&lower)
            && self
                .open
                .last()
                .is_some_and(|top| top.eq_ignore_ascii_case(name))
        {
            self.pop_to(self.open.len() - 1);
            // `pop_to` used the buffer.
            self.lowercase(name);
        }
        let lower = self.lower.as_str();
        // `<div/>` opens a div in HTML: only the void elements never nest.
        let void = VOID.contains(&lower);
        let raw = RAW_TEXT.contains(&lower) || lower == "plaintext";
        let inline = INLINE.contains(&lower);
        let drop = (!void && self.open.len() >= MAX_DEPTH) || self.nodes >= MAX_NODES;
        let end = self.attributes(start + 1 + name.len(), !drop);
        self.pos = end;
        if drop {
            if raw {
                // Its content would turn into text: drop it whole.
                self.skip_raw_text(name);
                self.cut(start, self.pos, " ");
            } else {
                self.cut(start, end, if inline { "" } else { " " });
                if !void {
                    self.note_dropped(name);
                }
            }
            return;
        }
        self.nodes += 1;
        if raw {
            self.skip_raw_text(name);
        } else if !void {
            self.open.push(name);
            *self.open_names.entry(self.lower.clone()).or_default() += 1;
        }
    }

    fn end_tag(&mut self, start: usize) {
        let name = self.name(start + 2);
        let end = self.src[start..]
            .find('>')
            .map_or(self.src.len(), |at| start + at + 1);
        self.pos = end;
        self.lowercase(name);
        let is_open = self
            .open_names
            .get(self.lower.as_str())
            .is_some_and(|n| *n > 0);
        // `</p>` with no open `p` and `</br>` make elements of their own.
        if self.lower == "br" || (self.lower == "p" && !is_open) {
            if self.nodes >= MAX_NODES {
                self.cut(start, end, " ");
            } else {
                self.nodes += 1;
            }
            return;
        }
        let inline = INLINE.contains(&self.lower.as_str());
        if let Some(entry) = self
            .dropped
            .iter_mut()
            .find(|(n, count)| *count > 0 && n.eq_ignore_ascii_case(name))
        {
            entry.1 -= 1;
            self.cut(start, end, if inline { "" } else { " " });
            return;
        }
        if !is_open {
            self.stray += 1;
            if self.stray > MAX_STRAY_END_TAGS {
                self.cut(start, end, "");
            }
            return;
        }
        // An end tag closes its element and everything opened inside it.
        if let Some(at) = self
            .open
            .iter()
            .rposition(|open| open.eq_ignore_ascii_case(name))
        {
            self.pop_to(at);
        }
    }

    /// Closes the open elements from `at` up.
    fn pop_to(&mut self, at: usize) {
        for closed in self.open.drain(at..) {
            self.lower.clear();
            self.lower
                .extend(closed.chars().map(|c| c.to_ascii_lowercase()));
            if let Some(count) = self.open_names.get_mut(self.lower.as_str()) {
                *count = count.saturating_sub(1);
            }
        }
    }

    fn note_dropped(&mut self, name: &'a str) {
        match self
            .dropped
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            Some(entry) => entry.1 += 1,
            None => self.dropped.push((name, 1)),
        }
    }

    /// The tag name starting at `at`: up to white space, `/` or `>`.
    fn name(&self, at: usize) -> &'a str {
        let rest = &self.src[at..];
        let len = rest
            .find(|c: char| c.is_ascii_whitespace() || c == '/' || c == '>')
            .unwrap_or(rest.len());
        &rest[..len]
    }

    /// Reads a start tag's attributes from `at` to its `>`, cutting those
    /// past [`MAX_ATTRIBUTES`] when `may_cut`. Returns the end of the tag.
    fn attributes(&mut self, mut at: usize, may_cut: bool) -> usize {
        let bytes = self.src.as_bytes();
        let mut count = 0;
        loop {
            while at < bytes.len() && (bytes[at].is_ascii_whitespace() || bytes[at] == b'/') {
                at += 1;
            }
            match bytes.get(at) {
                None => return bytes.len(),
                Some(b'>') => return at + 1,
                Some(_) => {}
            }
            let attribute = at;
            at = attribute_end(bytes, at);
            count += 1;
            if may_cut && count > MAX_ATTRIBUTES {
                self.cut(attribute, at, " ");
            }
        }
    }

    /// Moves past the content of a raw-text element and its end tag.
    fn skip_raw_text(&mut self, name: &str) {
        let closing = format!("</{name}");
        let rest = &self.src.as_bytes()[self.pos..];
        // ASCII case-insensitive search without lowercasing the whole page.
        let found = rest
            .windows(closing.len())
            .position(|w| w.eq_ignore_ascii_case(closing.as_bytes()));
        self.pos = match found {
            Some(at) => {
                let close = self.pos + at;
                self.src[close..]
                    .find('>')
                    .map_or(self.src.len(), |end| close + end + 1)
            }
            None => self.src.len(),
        };
    }
}

/// The end of the attribute starting at `at`: its name, then an optional
/// `= value`, quoted or not.
fn attribute_end(bytes: &[u8], mut at: usize) -> usize {
    // The first character may be anything but white space, `/` and `>`,
    // `=` included, as in the tokenizer.
    at += 1;
    while at < bytes.len()
        && !matches!(bytes[at], b'=' | b'>' | b'/')
        && !bytes[at].is_ascii_whitespace()
    {
        at += 1;
    }
    let mut look = at;
    while look < bytes.len() && bytes[look].is_ascii_whitespace() {
        look += 1;
    }
    if bytes.get(look) != Some(&b'=') {
        return at;
    }
    look += 1;
    while look < bytes.len() && bytes[look].is_ascii_whitespace() {
        look += 1;
    }
    match bytes.get(look) {
        Some(&quote @ (b'"' | b'\'')) => {
            memchr(quote, &bytes[look + 1..]).map_or(bytes.len(), |end| look + 1 + end + 1)
        }
        _ => {
            while look < bytes.len() && bytes[look] != b'>' && !bytes[look].is_ascii_whitespace() {
                look += 1;
            }
            look
        }
    }
}

/// The first position of `needle` in `haystack`.
fn memchr(needle: u8, haystack: &[u8]) -> Option<usize> {
    haystack.iter().position(|&b| b == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_pages_are_not_copied() {
        let page = "<html><body><div class=a><p>One<p>Two<br><img src=x alt='a > b'></div>\
                    <script>if (a < b) { x = '<div>' }</script><!-- <div> --></body></html>";
        assert!(matches!(bound(page), Cow::Borrowed(_)));
    }

    #[test]
    fn nesting_past_the_cap_is_flattened_and_its_text_kept() {
        let depth = 100_000;
        let page = format!(
            "{}deep text{}<p>after</p>",
            "<div>".repeat(depth),
            "</div>".repeat(depth)
        );
        let bounded = bound(&page);
        assert_eq!(bounded.matches("<div>").count(), MAX_DEPTH);
        assert_eq!(bounded.matches("</div>").count(), MAX_DEPTH);
        assert!(bounded.contains("deep text") && bounded.contains("<p>after</p>"));
    }

    #[test]
    fn a_100000_deep_page_parses_into_a_bounded_tree() {
        let depth = 100_000;
        let page = format!(
            "<html><body>{}<p>deep text</p>{}</body></html>",
            "<span><div>".repeat(depth / 2),
            "</div></span>".repeat(depth / 2)
        );
        let html = scraper::Html::parse_document(&bound(&page));
        let deepest = html
            .tree
            .nodes()
            .map(|n| n.ancestors().count())
            .max()
            .unwrap_or(0);
        assert!(deepest <= MAX_DEPTH + 8, "depth {deepest}");
        let text: String = html.root_element().text().collect();
        assert!(text.contains("deep text"));
    }

    #[test]
    fn attributes_past_the_cap_are_dropped() {
        let attributes: String = (0..1000).map(|i| format!(" a{i}=\"v>{i}\"")).collect();
        let page = format!("<p{attributes} class=last>text</p>");
        let bounded = bound(&page);
        assert!(bounded.contains("a63=") && !bounded.contains("a64="));
        assert!(
            bounded.ends_with(">text</p>"),
            "{}",
            &bounded[bounded.len() - 40..]
        );
    }

    #[test]
    fn nodes_past_the_cap_are_dropped_and_their_text_kept() {
        let page = "<b>x</b>".repeat(MAX_NODES + 10);
        let bounded = bound(&page);
        assert_eq!(bounded.matches("<b>").count(), MAX_NODES);
        assert_eq!(bounded.matches('x').count(), MAX_NODES + 10);
    }
}
