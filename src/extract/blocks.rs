//! Turns the chosen part of a page into body blocks: paragraphs, headings,
//! list items, quotes, captions and preformatted text, each with its
//! normalised text and the byte ranges set in bold or italic.
//!
//! This module owns block boundaries and the emphasis invariants of
//! `crate::article` (offsets into normalised text, on character boundaries,
//! sorted, same-style ranges disjoint). It must not decide which parts of
//! the page are article: it renders what it is given.

use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};

use super::dom::{Dom, Kind, Role};
use crate::article::{Block, BlockKind, Emphasis, Style, normalize_text};

/// Renders the subtrees rooted at `roots` (in the given order) into blocks,
/// leaving out every node whose `skip` flag is set, with its subtree.
pub(crate) fn render(dom: &Dom<'_>, roots: &[usize], skip: &[bool]) -> Vec<Block> {
    let mut builder = Builder::default();
    for &root in roots {
        render_subtree(dom, root, skip, &mut builder);
        builder.flush();
    }
    builder.blocks
}

/// Walks one subtree in document order, opening and closing elements as the
/// pre-order indices pass their ends.
fn render_subtree(dom: &Dom<'_>, root: usize, skip: &[bool], builder: &mut Builder) {
    let end = dom.nodes[root].end as usize;
    let mut open: Vec<usize> = Vec::new();
    let mut i = root;
    while i < end {
        while let Some(&top) = open.last() {
            if i < dom.nodes[top].end as usize {
                break;
            }
            builder.exit(dom, top);
            open.pop();
        }
        if skip[i] {
            i = dom.nodes[i].end as usize;
            continue;
        }
        match dom.nodes[i].kind {
            Kind::Text(text, _) => builder.push_text(text),
            Kind::Element { .. } => {
                builder.enter(dom, i);
                open.push(i);
            }
        }
        i += 1;
    }
    while let Some(top) = open.pop() {
        builder.exit(dom, top);
    }
}

/// The block being written and the context it is written in.
#[derive(Default)]
struct Builder {
    /// Finished blocks.
    blocks: Vec<Block>,
    /// The current block's normalised text so far.
    text: String,
    /// Emphasis ranges of the current block, per style, in order.
    bold: Vec<(usize, usize)>,
    italic: Vec<(usize, usize)>,
    /// Whether white space was seen since the last character written.
    pending_space: bool,
    /// How many bold and italic elements are open.
    bold_depth: usize,
    italic_depth: usize,
    /// The block roles currently open, innermost last.
    kinds: Vec<Role>,
    /// Line breaks seen since the last character: two in a row end a block,
    /// as they do on the page.
    breaks: u8,
    /// Whether a text node of the current block began with a character
    /// that may compose with the text before it, so that the block must be
    /// checked for composition when it ends.
    unchecked: bool,
}

impl Builder {
    fn enter(&mut self, dom: &Dom<'_>, index: usize) {
        let Some(role) = dom.role(index) else { return };
        let styling = dom.nodes[index].styling;
        if role.is_block() {
            self.flush();
            self.kinds.push(role);
        } else if role == Role::Break {
            self.breaks += 1;
            self.pending_space = true;
            if self.breaks >= 2 {
                self.flush();
            }
        }
        self.bold_depth += usize::from(styling.bold);
        self.italic_depth += usize::from(styling.italic);
    }

    fn exit(&mut self, dom: &Dom<'_>, index: usize) {
        let Some(role) = dom.role(index) else { return };
        let styling = dom.nodes[index].styling;
        self.bold_depth -= usize::from(styling.bold);
        self.italic_depth -= usize::from(styling.italic);
        if role.is_block() {
            self.flush();
            self.kinds.pop();
        } else if matches!(dom.tag(index), "img" | "td" | "th") {
            self.pending_space = true;
        }
    }

    /// Appends page text, normalising as `normalize_text` does, and extends
    /// the emphasis ranges over the characters written.
    fn push_text(&mut self, text: &str) {
        // Most page text is ASCII, or Latin and punctuation that is stable
        // under composition: both skip the costly composition pass.
        if text.is_ascii() {
            self.push_ascii(text);
            return;
        }
        // Only a character that may compose with the one before it can
        // make piecewise composition differ from composing the whole.
        if text
            .chars()
            .next()
            .is_some_and(|c| !is_stable(c) && is_nfc_quick([c].into_iter()) != IsNormalized::Yes)
        {
            self.unchecked = true;
        }
        if text.chars().all(is_stable) || is_nfc_quick(text.chars()) == IsNormalized::Yes {
            text.chars().for_each(|c| self.push_normal(c));
        } else {
            text.nfc().for_each(|c| self.push_normal(c));
        }
    }

    /// Writes ASCII text by `normalize_text`'s rules, a run of printable
    /// characters at a time: the same text and emphasis as writing it
    /// character by character, since every character of a run after the
    /// first follows the one before it directly.
    fn push_ascii(&mut self, text: &str) {
        let bytes = text.as_bytes();
        let mut at = 0;
        while at < bytes.len() {
            let run = bytes[at..]
                .iter()
                .position(|b| !b.is_ascii_graphic())
                .map_or(bytes.len(), |len| at + len);
            if run > at {
                self.push_str(&text[at..run]);
                at = run;
                continue;
            }
            // White space as `char::is_whitespace` has it (vertical tab
            // included); other control characters are dropped.
            if matches!(bytes[at], b'\t' | b'\n' | 0x0B | 0x0C | b'\r' | b' ') {
                self.pending_space = true;
            }
            at += 1;
        }
    }

    /// Writes a run of characters that are neither white space nor
    /// dropped, as `push_char` would one by one.
    fn push_str(&mut self, run: &str) {
        if self.pending_space && !self.text.is_empty() {
            self.text.push(' ');
        }
        self.pending_space = false;
        self.breaks = 0;
        let start = self.text.len();
        self.text.push_str(run);
        let end = self.text.len();
        if self.bold_depth > 0 {
            extend(&mut self.bold, start, end, &self.text);
        }
        if self.italic_depth > 0 {
            extend(&mut self.italic, start, end, &self.text);
        }
    }

    /// Writes one character of composed text by `normalize_text`'s rules.
    fn push_normal(&mut self, c: char) {
        match c {
            '\u{00AD}' | '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' => {}
            c if c.is_whitespace() => self.pending_space = true,
            c if c.is_control() => {}
            c => self.push_char(c),
        }
    }

    fn push_char(&mut self, c: char) {
        self.push_str(c.encode_utf8(&mut [0; 4]));
    }

    /// Ends the current block, if it has text.
    fn flush(&mut self) {
        self.pending_space = false;
        self.breaks = 0;
        if self.text.is_empty() {
            return;
        }
        let text = std::mem::take(&mut self.text);
        let mut emphasis: Vec<Emphasis> = Vec::new();
        for (spans, style) in [
            (&mut self.bold, Style::Bold),
            (&mut self.italic, Style::Italic),
        ] {
            emphasis.extend(
                spans
                    .drain(..)
                    .map(|(start, end)| Emphasis { start, end, style }),
            );
        }
        emphasis.sort_by_key(|e| (e.start, e.style));
        // Composition across two text nodes is the one case where writing
        // piecewise differs from normalising the whole; the text wins and
        // the emphasis, whose offsets no longer hold, is dropped.
        let kind = self.kind();
        let block = if !std::mem::take(&mut self.unchecked) || unicode_normalization::is_nfc(&text)
        {
            Block {
                kind,
                text,
                emphasis,
            }
        } else {
            Block {
                kind,
                text: normalize_text(&text),
                emphasis: Vec::new(),
            }
        };
        self.blocks.push(block);
    }

    /// The kind of the block being written: the innermost open block role
    /// that is not a plain paragraph or container decides.
    fn kind(&self) -> BlockKind {
        for role in self.kinds.iter().rev() {
            match role {
                Role::Heading(_) => return BlockKind::Heading,
                Role::ListItem => return BlockKind::ListItem,
                Role::Quote => return BlockKind::Quote,
                Role::Pre => return BlockKind::Preformatted,
                Role::Caption => return BlockKind::Caption,
                _ => {}
            }
        }
        BlockKind::Paragraph
    }
}

/// Characters that composition never changes nor joins to their
/// neighbours: everything before the combining diacritics (U+0300), and the
/// general punctuation news text is full of (dashes, quotes, ellipses).
fn is_stable(c: char) -> bool {
    c < '\u{300}'
        || ('\u{2010}'..='\u{2027}').contains(&c)
        || ('\u{2030}'..='\u{205E}').contains(&c)
}

/// Extends the last range to cover `start..end` when only a space separates
/// them (so `<b>a</b> <b>b</b>` is one range), or starts a new range.
fn extend(spans: &mut Vec<(usize, usize)>, start: usize, end: usize, text: &str) {
    if let Some(last) = spans.last_mut() {
        let joined = last.1 == start || (last.1 + 1 == start && &text[last.1..start] == " ");
        if joined {
            last.1 = end;
            return;
        }
    }
    spans.push((start, end));
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use scraper::Html;

    use super::*;
    use crate::extract::dom::WalkOptions;

    fn blocks_of(html: &str) -> Vec<Block> {
        let page = Html::parse_document(html);
        let ignored = HashSet::new();
        let dom = Dom::build(
            &page,
            &WalkOptions {
                ignored: &ignored,
                mark_chrome: false,
            },
        );
        render(&dom, &[0], &vec![false; dom.nodes.len()])
    }

    #[test]
    fn blocks_have_kinds_and_normalised_text() {
        let blocks = blocks_of(
            "<h2>Title\u{a0} here</h2><p>One  <a href=x>two</a>\nthree</p><ul><li>a</li><li>b</li></ul>\
             <blockquote><p>quoted</p></blockquote><figure><figcaption>cap</figcaption></figure>\
             <div>loose text<br><br>after break</div>",
        );
        let got: Vec<_> = blocks.iter().map(|b| (b.kind, b.text.as_str())).collect();
        assert_eq!(
            got,
            [
                (BlockKind::Heading, "Title here"),
                (BlockKind::Paragraph, "One two three"),
                (BlockKind::ListItem, "a"),
                (BlockKind::ListItem, "b"),
                (BlockKind::Quote, "quoted"),
                (BlockKind::Caption, "cap"),
                (BlockKind::Paragraph, "loose text"),
                (BlockKind::Paragraph, "after break"),
            ]
        );
    }

    #[test]
    fn emphasis_ranges_cover_the_styled_words() {
        let blocks = blocks_of("<p>plain <strong>bold one</strong> <b>two</b> and <em>it</em></p>");
        let block = &blocks[0];
        assert_eq!(block.text, "plain bold one two and it");
        let spans: Vec<_> = block
            .emphasis
            .iter()
            .map(|e| (&block.text[e.start..e.end], e.style))
            .collect();
        assert_eq!(
            spans,
            [("bold one two", Style::Bold), ("it", Style::Italic)]
        );
    }

    #[test]
    fn composition_across_text_nodes_matches_normalize_text() {
        let blocks = blocks_of("<p>Cafe<b>\u{301}</b> crème “quoted” — done</p>");
        assert_eq!(
            blocks[0].text,
            normalize_text("Cafe\u{301} crème “quoted” — done")
        );
        assert_eq!(blocks[0].text, "Café crème “quoted” — done");
    }

    #[test]
    fn a_fully_bold_paragraph_is_one_range() {
        let blocks = blocks_of("<p><strong> all of it </strong></p>");
        assert_eq!(
            blocks[0].emphasis,
            [Emphasis {
                start: 0,
                end: 9,
                style: Style::Bold
            }]
        );
    }
}
