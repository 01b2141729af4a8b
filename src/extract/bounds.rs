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
//! the page's [`node_budget`] are dropped and their text kept, and
//! attributes past
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
/// The most tags and comments kept on any page: each costs a few hundred
/// bytes of tree and analysis, so past this a page costs far more memory
/// than its size.
pub const MAX_NODES: usize = 200_000;
/// Tags and comments kept on any page, however small: more than three
/// times the most of any page in the extraction benchmark's development
/// set (3,245).
pub const MIN_NODES: usize = 20_000;
/// Bytes of page per tag or comment kept beyond [`MIN_NODES`]. The densest
/// real page of that set has one every 50 bytes (so a page as dense loses
/// nothing below a megabyte), a hostile page one every 3 or 4; and a tag
/// costs some 700 bytes of tree and analysis, so this keeps a page's cost
/// under 20 times its size (see `benches/hostile.rs`).
const BYTES_PER_NODE: usize = 48;

/// How many tags and comments a page of `len` bytes keeps: enough for any
/// real page, few enough that the tree stays a small multiple of the page.
pub fn node_budget(len: usize) -> usize {
    (len / BYTES_PER_NODE).clamp(MIN_NODES, MAX_NODES)
}
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

/// Formatting elements: the parser re-opens them after a misnested end tag
/// closed them implicitly ("reconstructs the active formatting elements"),
/// once for every later run of text.
const FORMATTING: [&str; 14] = [
    "a", "b", "big", "code", "em", "font", "i", "nobr", "s", "small", "strike", "strong", "tt", "u",
];
/// How many formatting elements the parser may re-open over a page. A page
/// that keeps dozens of formatting elements open across thousands of
/// paragraphs would make it build a tree far larger than the page; past
/// this budget, formatting elements closed implicitly are closed
/// explicitly instead (text after them is no longer set in their style).
const MAX_RECONSTRUCTED: usize = 100_000;

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
    open_names: OpenNames,
    /// Start tags dropped whose end tags are still to come, by name, so
    /// that those end tags are dropped too.
    dropped: Vec<(&'a str, usize)>,
    /// Tags and comments kept so far.
    nodes: usize,
    /// How many may be kept (see [`node_budget`]).
    max_nodes: usize,
    /// End tags of nothing open seen so far: the parser walks its open
    /// elements for each, so past [`MAX_STRAY_END_TAGS`] they are dropped.
    stray: usize,
    /// Formatting elements closed implicitly that the parser will re-open
    /// at the next text, outermost first.
    active: Vec<&'a str>,
    /// Formatting elements closed implicitly so far (each is re-opened
    /// once per later run of text).
    reconstructed: usize,
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
            open_names: OpenNames::default(),
            dropped: Vec::new(),
            nodes: 0,
            max_nodes: node_budget(src.len()),
            stray: 0,
            active: Vec::new(),
            reconstructed: 0,
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
        while let Some(offset) = memchr::memchr(b'<', &bytes[self.pos..]) {
            let start = self.pos + offset;
            if !self.active.is_empty()
                && bytes[self.pos..start]
                    .iter()
                    .any(|b| !b.is_ascii_whitespace())
            {
                self.reconstruct();
            }
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
        if self.nodes >= self.max_nodes {
            self.cut(start, end, "");
        } else {
            self.nodes += 1;
        }
    }

    /// Lowercases `name` into the scanner's buffer.
    fn lowercase(&mut self, name: &str) {
        self.lower.clear();
        self.lower.push_str(name);
        self.lower.make_ascii_lowercase();
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
        let drop = (!void && self.open.len() >= MAX_DEPTH) || self.nodes >= self.max_nodes;
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
        if (inline || void) && !self.active.is_empty() {
            self.reconstruct();
            // `reconstruct` used the buffer.
            self.lowercase(name);
        }
        if raw {
            self.skip_raw_text(name);
        } else if !void {
            self.open.push(name);
            self.count_open();
        }
    }

    fn end_tag(&mut self, start: usize) {
        let name = self.name(start + 2);
        let end = memchr::memchr(b'>', &self.src.as_bytes()[start..])
            .map_or(self.src.len(), |at| start + at + 1);
        self.pos = end;
        self.lowercase(name);
        let is_open = self.open_names.count(&self.lower) > 0;
        // `</p>` with no open `p` and `</br>` make elements of their own.
        if self.lower == "br" || (self.lower == "p" && !is_open) {
            if self.nodes >= self.max_nodes {
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
            // `</b>` of a formatting element closed implicitly: the parser
            // forgets it.
            if let Some(at) = self
                .active
                .iter()
                .rposition(|a| a.eq_ignore_ascii_case(name))
            {
                self.active.remove(at);
                return;
            }
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
            self.close_formatting_above(at, start);
            self.pop_to(at);
        }
    }

    /// Handles the formatting elements that an end tag closing `open[at]`
    /// closes implicitly: the parser re-opens them later, so they join
    /// `active`, until the budget is spent; then they are closed
    /// explicitly, before the end tag at `start`.
    fn close_formatting_above(&mut self, at: usize, start: usize) {
        let above: Vec<&'a str> = self.open[at + 1..]
            .iter()
            .copied()
            .filter(|open| FORMATTING.iter().any(|f| f.eq_ignore_ascii_case(open)))
            .collect();
        if above.is_empty() {
            return;
        }
        let spent = self.reconstructed + above.len() > MAX_RECONSTRUCTED;
        if !spent && self.nodes < self.max_nodes {
            self.reconstructed += above.len();
            self.active.extend(above);
            return;
        }
        let closes: String = above
            .iter()
            .rev()
            .map(|name| format!("</{name}>"))
            .collect();
        self.cut(start, start, &closes);
    }

    /// The parser re-opens the formatting elements in `active`.
    fn reconstruct(&mut self) {
        for name in std::mem::take(&mut self.active) {
            self.nodes += 1;
            self.open.push(name);
            self.lowercase(name);
            self.count_open();
        }
    }

    /// Counts one more open element named as the buffer holds.
    fn count_open(&mut self) {
        self.open_names.add(&self.lower);
    }

    /// Closes the open elements from `at` up.
    fn pop_to(&mut self, at: usize) {
        for closed in self.open.drain(at..) {
            self.lower.clear();
            self.lower.push_str(closed);
            self.lower.make_ascii_lowercase();
            self.open_names.remove(&self.lower);
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
        // The delimiters are ASCII: a byte search finds them as a char
        // search would, without decoding.
        let len = rest
            .bytes()
            .position(|b| b.is_ascii_whitespace() || b == b'/' || b == b'>')
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
        let bytes = self.src.as_bytes();
        let name = name.as_bytes();
        // ASCII case-insensitive search for `</name` without lowercasing
        // the page: every `<` is found by `memchr`, and only those are
        // compared.
        let found = memchr::memchr_iter(b'<', &bytes[self.pos..])
            .map(|at| self.pos + at)
            .find(|&lt| {
                bytes.get(lt + 1) == Some(&b'/')
                    && bytes
                        .get(lt + 2..lt + 2 + name.len())
                        .is_some_and(|n| n.eq_ignore_ascii_case(name))
            });
        self.pos = match found {
            Some(close) => self.src[close..]
                .find('>')
                .map_or(self.src.len(), |end| close + end + 1),
            None => self.src.len(),
        };
    }
}

/// How many elements of each lowercase name are open. The names pages
/// use most are counted in a fixed table, found without hashing; the rest
/// (a page may make up any number of names) in a map with std's keyed
/// hash.
#[derive(Default)]
struct OpenNames {
    common: [usize; COMMON_NAMES],
    other: HashMap<String, usize>,
}

/// How many names [`common_name`] knows.
const COMMON_NAMES: usize = 32;

/// The index of a frequent element name in [`OpenNames`]' table.
fn common_name(lower: &str) -> Option<usize> {
    let index = match lower {
        "a" => 0,
        "div" => 1,
        "span" => 2,
        "p" => 3,
        "li" => 4,
        "ul" => 5,
        "ol" => 6,
        "b" => 7,
        "i" => 8,
        "em" => 9,
        "strong" => 10,
        "section" => 11,
        "article" => 12,
        "header" => 13,
        "footer" => 14,
        "nav" => 15,
        "aside" => 16,
        "main" => 17,
        "figure" => 18,
        "figcaption" => 19,
        "h1" => 20,
        "h2" => 21,
        "h3" => 22,
        "h4" => 23,
        "table" => 24,
        "tbody" => 25,
        "tr" => 26,
        "td" => 27,
        "form" => 28,
        "button" => 29,
        "label" => 30,
        "picture" => 31,
        _ => return None,
    };
    Some(index)
}

impl OpenNames {
    /// How many elements named `lower` are open.
    fn count(&self, lower: &str) -> usize {
        match common_name(lower) {
            Some(index) => self.common[index],
            None => self.other.get(lower).copied().unwrap_or(0),
        }
    }

    /// Counts one more open element named `lower`; an uncommon name is
    /// copied only the first time it is seen, not at every tag.
    fn add(&mut self, lower: &str) {
        match common_name(lower) {
            Some(index) => self.common[index] += 1,
            None => match self.other.get_mut(lower) {
                Some(count) => *count += 1,
                None => {
                    self.other.insert(lower.to_owned(), 1);
                }
            },
        }
    }

    /// Counts one fewer open element named `lower`.
    fn remove(&mut self, lower: &str) {
        let count = match common_name(lower) {
            Some(index) => &mut self.common[index],
            None => match self.other.get_mut(lower) {
                Some(count) => count,
                None => return,
            },
        };
        *count = count.saturating_sub(1);
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
            memchr::memchr(quote, &bytes[look + 1..]).map_or(bytes.len(), |end| look + 1 + end + 1)
        }
        _ => {
            while look < bytes.len() && bytes[look] != b'>' && !bytes[look].is_ascii_whitespace() {
                look += 1;
            }
            look
        }
    }
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
    fn tags_inside_raw_text_are_not_tags() {
        // Past the depth cap if its `<div>`s counted; its end tag in
        // another case, after a `<` and a `</` that end nothing.
        let script = format!(
            "<script>if (a <b && c </d) {{ x = '{}' }}</SCRIPT >",
            "<div>".repeat(MAX_DEPTH + 10)
        );
        let page = format!("<html><body>{script}<p>After</p></body></html>");
        assert!(matches!(bound(&page), Cow::Borrowed(_)));
    }

    #[test]
    fn real_pages_are_within_every_bound() {
        let pages = [
            include_str!("../../tests/fixtures/seed/v1.html"),
            include_str!("../../tests/fixtures/seed/v2.html"),
            include_str!("../../tests/fixtures/extract/pages/aeb-9da36ae4714bfccc/page.html"),
            include_str!("../../tests/fixtures/extract/pages/aeb-b3c19dd5f0612d09/page.html"),
            include_str!("../../tests/fixtures/extract/pages/rdb-ars-1/page.html"),
            include_str!("../../tests/fixtures/extract/pages/rdb-medium-2/page.html"),
            include_str!("../../tests/fixtures/extract/pages/rdb-v8-blog/page.html"),
        ];
        for page in pages {
            assert!(matches!(bound(page), Cow::Borrowed(_)), "{}", &page[..200]);
        }
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
    fn formatting_re_opened_for_every_paragraph_is_bounded() {
        let formatting: String = (0..100).map(|i| format!("<b id=b{i}>")).collect();
        let page = format!("<div>{formatting}</div>{}", "<p>x</p>".repeat(5_000));
        let html = scraper::Html::parse_document(&bound(&page));
        let bold = html
            .tree
            .nodes()
            .filter(|n| n.value().as_element().is_some_and(|e| e.name() == "b"))
            .count();
        // Unbounded, the parser re-opens all 100 in each of the 5,000
        // paragraphs: 500,100 elements.
        assert!(bold <= MAX_RECONSTRUCTED + 200, "{bold} bold elements");
        let text: String = html.root_element().text().collect();
        assert_eq!(text.matches('x').count(), 5_000);
    }

    #[test]
    fn nodes_past_the_cap_are_dropped_and_their_text_kept() {
        let page = "<b>x</b>".repeat(300_000);
        let kept = node_budget(page.len());
        assert!(kept > MIN_NODES && kept < 300_000);
        let bounded = bound(&page);
        assert_eq!(bounded.matches("<b>").count(), kept);
        assert_eq!(bounded.matches('x').count(), 300_000);
    }
}
