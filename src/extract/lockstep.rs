//! The prescreen's cheap proof that a region's bytes spell the subtree the
//! page's parse holds: the span's tokens and the container's nodes walked
//! in lockstep, each start tag the next child element (same name, same
//! attributes), each end tag the close of the current element once all its
//! children were met, each run of text and each comment the next child
//! node of its kind. When they agree to the container's own end tag, the
//! parser built exactly the tree the tokens nest into: it inserted,
//! dropped, moved or re-opened nothing (an implied end tag, a `tbody`, a
//! reconstructed formatting element, a fostered text would each break
//! the lockstep), so the span's end is the parser's.
//!
//! It only proves: `false` means "not proven", and the caller may try the
//! slower proof (a parse of the span alone). Markup whose tokenizer states
//! depend on the tree (SVG and MathML, templates, `plaintext`, a select's
//! raw text, CDATA, doctypes and bogus comments in the body, escaped
//! scripts) is never proven here. Pure: no I/O, no allocation per node
//! beyond the stack of open elements, and it must not judge content.

use ego_tree::NodeRef;
use scraper::{ElementRef, Node};

use super::region::attributes_match;
use super::tags::{Attribute, RAW, Tag, Token, Tokens};

/// Elements with no content, as the parser has them.
const VOID: [&str; 19] = [
    "area", "base", "basefont", "bgsound", "br", "col", "embed", "frame", "hr", "img", "input",
    "keygen", "link", "meta", "param", "source", "track", "wbr", "image",
];

/// Start tags whose content this walk does not follow.
const UNFOLLOWED: [&str; 6] = ["svg", "math", "template", "plaintext", "select", "image"];

fn is(name: &[u8], names: &[&str]) -> bool {
    names
        .iter()
        .any(|n| name.eq_ignore_ascii_case(n.as_bytes()))
}

/// Bytes whose parse is exactly themselves: no character reference, no
/// carriage return to normalise, no NUL to drop or replace.
fn plain(bytes: &[u8]) -> bool {
    memchr::memchr3(b'&', b'\r', b'\0', bytes).is_none()
}

/// An open element: the node, and the next of its children to meet.
struct Frame<'a> {
    node: NodeRef<'a, Node>,
    next: Option<NodeRef<'a, Node>>,
}

/// Whether the page's parse holds, as `container`, exactly the tree the
/// tokens of `html[start..end]` nest into (see the module's documentation).
pub(super) fn proven(html: &str, (start, end): (usize, usize), container: ElementRef<'_>) -> bool {
    Lockstep {
        src: html.as_bytes(),
        tokens: Tokens::at(html, start),
        stack: Vec::with_capacity(32),
        text: None,
        attributes: Vec::new(),
    }
    .run(start, end, container)
    .is_some()
}

struct Lockstep<'s, 'a> {
    src: &'s [u8],
    tokens: Tokens<'s>,
    stack: Vec<Frame<'a>>,
    /// The run of text not yet met: `start..end`.
    text: Option<(usize, usize)>,
    /// A buffer for each start tag's attributes.
    attributes: Vec<Attribute>,
}

impl<'s, 'a> Lockstep<'s, 'a> {
    /// `Some` once the container closed at `end` in lockstep.
    fn run(&mut self, start: usize, end: usize, container: ElementRef<'a>) -> Option<()> {
        let Some(Token::Start(tag)) = self.tokens.next_token() else {
            return None;
        };
        (tag.at == start).then_some(())?;
        self.element(tag, *container)?;
        while let Some(token) = self.tokens.next_token() {
            if let Token::Text(from, to) = token {
                self.text = Some(self.text.map_or((from, to), |(s, _)| (s, to)));
                continue;
            }
            self.flush_text()?;
            match token {
                Token::Start(tag) => {
                    let node = self.next_child()?;
                    self.element(tag, node)?;
                }
                Token::End(tag) => {
                    self.end(tag)?;
                    if self.stack.is_empty() {
                        return (tag.end == end).then_some(());
                    }
                }
                Token::Markup(from, to) => self.comment(from, to)?,
                Token::Text(..) | Token::Cdata(_) => return None,
            }
        }
        None
    }

    /// The next child of the current element, which the next token must
    /// have made.
    fn next_child(&mut self) -> Option<NodeRef<'a, Node>> {
        let frame = self.stack.last_mut()?;
        let node = frame.next?;
        frame.next = node.next_sibling();
        Some(node)
    }

    /// A start tag met by `node`: the same element, then its content.
    fn element(&mut self, tag: Tag, node: NodeRef<'a, Node>) -> Option<()> {
        let name = &self.src[tag.name.0..tag.name.1];
        let element = ElementRef::wrap(node)?;
        let same = name.eq_ignore_ascii_case(element.value().name().as_bytes())
            && !is(name, &UNFOLLOWED)
            && attributes_match(&self.src[tag.at..tag.end], element, &mut self.attributes);
        same.then_some(())?;
        if is(name, &VOID) {
            return node.first_child().is_none().then_some(());
        }
        if is(name, &RAW) {
            let script = name.eq_ignore_ascii_case(b"script");
            let (from, to) = self.tokens.raw_text(name, script)?;
            return raw_content(node, &self.src[from..to], name);
        }
        self.stack.push(Frame {
            node,
            next: node.first_child(),
        });
        Some(())
    }

    /// An end tag: the current element's, once all its children were met.
    fn end(&mut self, tag: Tag) -> Option<()> {
        let name = &self.src[tag.name.0..tag.name.1];
        let frame = self.stack.last()?;
        let element = ElementRef::wrap(frame.node)?;
        let closes =
            frame.next.is_none() && name.eq_ignore_ascii_case(element.value().name().as_bytes());
        closes.then_some(())?;
        self.stack.pop();
        Some(())
    }

    /// The run of text before the token just read, met by a text node.
    fn flush_text(&mut self) -> Option<()> {
        let Some((from, to)) = self.text.take() else {
            return Some(());
        };
        let node = self.next_child()?;
        let Node::Text(text) = node.value() else {
            return None;
        };
        let bytes = &self.src[from..to];
        // A run with references decodes by the bytes alone, in the data
        // state: its node being there is what the proof needs.
        (!plain(bytes) || text.as_bytes() == bytes).then_some(())
    }

    /// A comment, met by a comment node; other markup in the body (a
    /// doctype, a bogus comment) is not followed.
    fn comment(&mut self, from: usize, to: usize) -> Option<()> {
        let bytes = &self.src[from..to];
        let body = bytes.strip_prefix(b"<!--")?;
        let content = body
            .strip_suffix(b"-->")
            .or_else(|| body.strip_suffix(b"--!>"))?;
        let node = self.next_child()?;
        let Node::Comment(comment) = node.value() else {
            return None;
        };
        (plain(content) && comment.as_bytes() == content).then_some(())
    }
}

/// Whether a raw text element's node holds `content` as the parser makes
/// it: no child when empty, else one text node (the same bytes when they
/// are plain; a textarea's leading line feed, which the parser drops, is
/// not followed).
fn raw_content(node: NodeRef<'_, Node>, content: &[u8], name: &[u8]) -> Option<()> {
    let mut children = node.children();
    let first = children.next();
    if children.next().is_some() {
        return None;
    }
    match first.map(|n| n.value()) {
        None => content.is_empty().then_some(()),
        Some(Node::Text(text)) => {
            let newline = name.eq_ignore_ascii_case(b"textarea") && content.starts_with(b"\n");
            let same = !plain(content) || text.as_bytes() == content;
            (!newline && same).then_some(())
        }
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use scraper::{Html, Selector};

    use super::proven;

    /// Whether the `#c` element of `page` is proven to be its span, the
    /// span given from its start tag to the end of `tail`'s first match.
    fn proves(page: &str, tail: &str) -> bool {
        let html = Html::parse_document(page);
        let selector = Selector::parse("#c").unwrap_or_else(|e| panic!("{e}"));
        let container = html.select(&selector).next().expect("a #c element");
        let start = page.find("<div id=c").expect("the container's start tag");
        let end = start + page[start..].find(tail).expect("the tail") + tail.len();
        proven(page, (start, end), container)
    }

    #[test]
    fn a_well_nested_container_is_proven() {
        let page = "<body><div id=c><p>One &amp; <b>two</b></p><!-- c --><br>\
                    <script>if (a</b) x</script>three</div><p>after</p>";
        assert!(proves(page, "three</div>"));
    }

    #[test]
    fn what_the_parser_added_or_moved_is_not_proven() {
        // An implied end tag, an implied tbody, a fostered text, a
        // reconstructed formatting element, a stray end tag.
        for page in [
            "<div id=c><p>a<p>b</div>",
            "<div id=c><table><tr><td>x</td></tr></table></div>",
            "<div id=c><table><tbody>x<tr><td>y</td></tr></tbody></table></div>",
            "<p><b>x</p><div id=c>y</div>",
            "<div id=c>a</span>b</div>",
        ] {
            assert!(!proves(page, "</div>"), "{page}");
        }
    }

    #[test]
    fn an_end_tag_the_parser_ignores_is_not_the_end() {
        // The parser ignores `</div>` in the table cell: the container goes
        // on past the naive end.
        let page = "<div id=c><table><tbody><tr><td>a</div>b</td></tr></tbody></table></div>";
        assert!(!proves(page, "a</div>"));
        assert!(!proves("<div id=c>a</div>", "a"));
    }
}
