//! The walk behind the prescreen: one pass over a page's tokens with a
//! naive stack of open elements, which finds the anchored container's span
//! by its start tag and digests what extraction reads there and around it
//! (see `prescreen`). It models the parser only as far as the digest needs
//! (open elements, formatting elements left open, the form pointer) and
//! gives no answer wherever it does not follow the parser (escaped
//! scripts, SVG and MathML breakouts, raw text in a select, plain text).
//! Pure: no I/O, no decoding, and it must not judge content.

use std::sync::LazyLock;

use memchr::memmem;
use scraper::ElementRef;

use super::names::{
    A, BASE, BODY, BR, BREAKS_OUT, FORM, H1, HEAD, HEADER, HTML, INTEGRATES, Kind, LINK, MATH,
    META, NOBR, P, PLAINTEXT, RAW_TEXT, SCRIPT, SELECT, SVG, TABLE, TEMPLATE, TIME, TITLE,
    VOID_ELEMENT, kind,
};
use super::tags::{Attribute, FORMATTING, Tag, Token, Tokens, attributes_of};

/// Adds a length-prefixed field to `hasher`, so that no field's bytes can
/// pass for another's.
fn field(hasher: &mut blake3::Hasher, bytes: &[u8]) {
    hasher.update(&(bytes.len() as u64).to_le_bytes());
    hasher.update(bytes);
}

fn is(name: &[u8], names: &[&str]) -> bool {
    names
        .iter()
        .any(|n| name.eq_ignore_ascii_case(n.as_bytes()))
}

/// An open element, as the naive stack keeps it.
struct Open {
    /// Where its name lies in the page.
    name: (usize, usize),
    /// What its name is.
    kind: Kind,
    /// Its start tag: `at..end`.
    at: usize,
    end: usize,
    /// A number of its own, for the text set directly in it.
    id: u32,
    /// Whether its whole span is metadata (an `h1`, a byline, the banner
    /// around an `h1`).
    capture: bool,
}

/// What a start tag's words say it may carry for `meta`.
#[derive(Default)]
struct Marks {
    /// An author or byline (`rel=author`, `itemprop=author`, a byline
    /// class): `meta` reads the element's text.
    author: bool,
    /// Microdata: `meta` reads its attributes.
    itemprop: bool,
    /// A JSON script type.
    json: bool,
    /// A character reference that could spell any of these.
    hidden: bool,
}

/// The words [`Marks`] looks for, searched with finders built once.
static WORDS: LazyLock<[memmem::Finder<'static>; 4]> = LazyLock::new(|| {
    [b"author".as_slice(), b"byline", b"itemprop", b"json"].map(memmem::Finder::new)
});

impl Marks {
    fn of(tag: &[u8], lower: &mut Vec<u8>) -> Marks {
        // `<li>`, `<p>`: too short to hold a word (the shortest, `json`,
        // needs six bytes with its `<` and `>`).
        if tag.len() < 6 && !tag.contains(&b'&') {
            return Marks::default();
        }
        lower.clear();
        lower.extend(tag.iter().map(u8::to_ascii_lowercase));
        let [author, byline, itemprop, json] = &*WORDS;
        let has = |word: &memmem::Finder<'_>| word.find(lower).is_some();
        Marks {
            author: has(author) || has(byline),
            itemprop: has(itemprop),
            json: has(json),
            hidden: spells_letters(lower),
        }
    }
}

/// Whether a character reference in `tag` may decode to a letter: any but
/// the few that decode to punctuation (`&amp;` in links is everywhere).
fn spells_letters(tag: &[u8]) -> bool {
    memchr::memchr_iter(b'&', tag).any(|at| {
        let rest = &tag[at + 1..];
        let name_len = rest
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
        let name = &rest[..name_len];
        rest.first() == Some(&b'#')
            || !(name.is_empty() || is(name, &["amp", "lt", "gt", "quot", "apos", "nbsp"]))
    })
}

/// One pass over a page's tokens with the naive stack of open elements.
pub(super) struct Walk<'a> {
    tokens: Tokens<'a>,
    src: &'a [u8],
    /// The container's start tag to find (when probing, the first that
    /// matches the element, once found).
    start_tag: &'a [u8],
    /// When probing: the element whose start tag is looked for, and how
    /// many start tags matched it.
    probe: Option<ElementRef<'a>>,
    probed: usize,
    stack: Vec<Open>,
    next_id: u32,
    /// Start minus end tags of each formatting element.
    formatting: [i32; FORMATTING.len()],
    /// Whether a `form` was opened and not ended by `</form>`: the parser
    /// ignores another one until then, even after it closed implicitly.
    form: bool,
    /// Open `svg` and `math` elements.
    foreign: usize,
    /// Metadata outside the container, in page order.
    meta: blake3::Hasher,
    /// The digest of the context entering the container.
    context: Option<blake3::Hash>,
    /// The container's span; its end once closed.
    region: Option<(usize, Option<usize>)>,
    /// The container's place in `stack` while it is open.
    container: Option<usize>,
    /// The container's ancestors' numbers (0: outside every element).
    ancestors: Vec<u32>,
    /// Runs of text other than white space, outside the container, with
    /// the number of the element they are set in directly.
    texts: Vec<(u32, usize, usize)>,
    lower: Vec<u8>,
    /// A buffer for a probed start tag's attributes.
    attributes: Vec<Attribute>,
}

impl<'a> Walk<'a> {
    pub(super) fn new(html: &'a str, start_tag: &'a [u8], probe: Option<ElementRef<'a>>) -> Self {
        Walk {
            tokens: Tokens::new(html),
            src: html.as_bytes(),
            start_tag,
            probe,
            probed: 0,
            stack: Vec::with_capacity(64),
            next_id: 1,
            formatting: [0; FORMATTING.len()],
            form: false,
            foreign: 0,
            meta: blake3::Hasher::new(),
            context: None,
            region: None,
            container: None,
            ancestors: Vec::new(),
            texts: Vec::new(),
            lower: Vec::new(),
            attributes: Vec::new(),
        }
    }

    /// Walks the whole page; `None` when it meets what it does not follow.
    pub(super) fn run(&mut self) -> Option<()> {
        while let Some(token) = self.tokens.next_token() {
            match token {
                Token::Text(start, end) => self.text(start, end),
                Token::Markup(start, end) => self.markup(start, end),
                Token::Cdata(at) if self.foreign > 0 => {
                    self.tokens.skip_past(at, b"]]>")?;
                }
                Token::Cdata(at) => self.tokens.skip_bogus(at),
                Token::Start(tag) => self.start(tag)?,
                Token::End(tag) => self.end(tag)?,
            }
        }
        while let Some(open) = self.stack.pop() {
            self.close(open, self.src.len());
        }
        Some(())
    }

    fn text(&mut self, start: usize, end: usize) {
        let blank = self.src[start..end]
            .iter()
            .all(|b| matches!(b, b'\t' | b'\n' | b'\x0c' | b'\r' | b' '));
        if self.container.is_none() && !blank {
            // Text before the body (in `html` or `head`) starts the body
            // there: it is set in the body, outside every element.
            let owner = match self.stack.last() {
                Some(o) if o.kind.bits & (HTML | HEAD) == 0 => o.id,
                _ => 0,
            };
            self.texts.push((owner, start, end));
        }
    }

    /// A doctype sets the parser's quirks mode, which changes the tree.
    fn markup(&mut self, start: usize, end: usize) {
        let bytes = &self.src[start..end];
        if self.container.is_none()
            && bytes.len() >= 9
            && bytes[..9].eq_ignore_ascii_case(b"<!doctype")
        {
            field(&mut self.meta, bytes);
        }
    }

    fn start(&mut self, tag: Tag) -> Option<()> {
        let src = self.src;
        let name = &src[tag.name.0..tag.name.1];
        let kind = kind(name);
        let has = |bits: u32| kind.bits & bits != 0;
        if self.foreign > 0 && (has(BREAKS_OUT) || self.in_integration_point()) {
            return None;
        }
        let bytes = &src[tag.at..tag.end];
        let raw = self.foreign == 0 && has(RAW_TEXT);
        // `<svg/>` closes at once even in HTML; `<path/>` in SVG too.
        let foreign_root = has(SVG | MATH);
        let closed = tag.self_closing && (self.foreign > 0 || foreign_root);
        // A second `form` while one is open is ignored by the parser.
        let ignored = self.form && has(FORM);
        let pushes = !(raw || closed || ignored || has(VOID_ELEMENT));
        self.implied(tag, name, kind)?;
        self.probe(tag, name)?;
        if bytes == self.start_tag {
            self.enter(tag, pushes)?;
        }
        let outside = self.container.is_none();
        let marks = if outside {
            Marks::of(bytes, &mut self.lower)
        } else {
            Marks::default()
        };
        if outside {
            self.metadata(kind, bytes, &marks);
        }
        if raw {
            return self.raw(tag, name, kind, outside, &marks);
        }
        if has(PLAINTEXT) {
            return None;
        }
        if let Some(i) = usize::from(kind.formatting).checked_sub(1) {
            self.formatting[i] += 1;
        }
        let capture = outside && (marks.author || marks.hidden || has(H1 | TITLE));
        if capture && !pushes {
            // An element with no content: its tag is all there is to read.
            field(&mut self.meta, bytes);
        }
        if pushes {
            self.foreign += usize::from(foreign_root);
            self.stack.push(Open {
                name: tag.name,
                kind,
                at: tag.at,
                end: tag.end,
                id: self.next_id,
                capture,
            });
            self.next_id += 1;
        }
        Some(())
    }

    /// What a start tag does before it opens its element, as the parser
    /// has it: a link or `nobr` inside an open one closes it first, and a
    /// `form` sets the form pointer.
    fn implied(&mut self, tag: Tag, name: &[u8], kind: Kind) -> Option<()> {
        if self.foreign > 0 {
            return Some(());
        }
        let open = |o: &Open| self.src[o.name.0..o.name.1].eq_ignore_ascii_case(name);
        if kind.bits & (A | NOBR) != 0 && self.stack.iter().any(open) {
            self.end(tag)?;
        }
        self.form |= kind.bits & FORM != 0;
        Some(())
    }

    fn in_integration_point(&self) -> bool {
        self.stack
            .last()
            .is_some_and(|o| o.kind.bits & INTEGRATES != 0)
    }

    /// The container's start tag: seen once only, in plain HTML, not in a
    /// page banner (whose whole content `headline` reads).
    fn enter(&mut self, tag: Tag, pushes: bool) -> Option<()> {
        let unsure = HEADER | SELECT | TEMPLATE | TABLE | SVG | MATH;
        if self.region.is_some() || !pushes || self.stack.iter().any(|o| o.kind.bits & unsure != 0)
        {
            return None;
        }
        let mut context = blake3::Hasher::new();
        for open in &self.stack {
            field(&mut context, &self.src[open.at..open.end]);
        }
        for count in self.formatting {
            context.update(&count.to_le_bytes());
        }
        context.update(&[u8::from(self.form)]);
        self.context = Some(context.finalize());
        self.ancestors = std::iter::once(0)
            .chain(self.stack.iter().map(|o| o.id))
            .collect();
        field(&mut self.meta, b"the container");
        self.region = Some((tag.at, None));
        self.container = Some(self.stack.len());
        Some(())
    }

    /// When probing, a start tag of the element's name whose attributes,
    /// as written, are the element's: the first becomes the container's
    /// start tag, and a second gives no answer (which of them parsed into
    /// the element is not known).
    fn probe(&mut self, tag: Tag, name: &[u8]) -> Option<()> {
        let Some(element) = self.probe else {
            return Some(());
        };
        if !name.eq_ignore_ascii_case(element.value().name().as_bytes()) {
            return Some(());
        }
        let bytes = &self.src[tag.at..tag.end];
        if attributes_match(bytes, element, &mut self.attributes) {
            self.probed += 1;
            if self.probed > 1 {
                return None;
            }
            self.start_tag = bytes;
        }
        Some(())
    }

    /// The container's start tag: the one given, or the one probed.
    pub(super) fn start_tag(&self) -> &'a [u8] {
        self.start_tag
    }

    /// Hashes what `meta` and `headline` read from a start tag outside the
    /// container (spans are hashed when their element closes).
    fn metadata(&mut self, kind: Kind, bytes: &[u8], marks: &Marks) {
        let tags = HTML | BODY | META | LINK | TIME | BASE;
        if kind.bits & tags != 0 || (marks.itemprop && !marks.author) {
            field(&mut self.meta, bytes);
        }
        if kind.bits & H1 != 0 {
            // Where an `h1` sits says whether it is the article's: its
            // ancestors' tags, and all of a banner around it.
            field(&mut self.meta, b"h1 in");
            for open in &mut self.stack {
                field(&mut self.meta, &self.src[open.at..open.end]);
                open.capture |= open.kind.bits & HEADER != 0;
            }
        }
    }

    /// A raw text element: skipped to its end tag, its span hashed when
    /// `meta` reads it (a title, a JSON-LD script).
    fn raw(
        &mut self,
        tag: Tag,
        name: &[u8],
        kind: Kind,
        outside: bool,
        marks: &Marks,
    ) -> Option<()> {
        // In a select, the parser ignores some of these start tags.
        if self.stack.iter().any(|o| o.kind.bits & SELECT != 0) {
            return None;
        }
        let script = kind.bits & SCRIPT != 0;
        self.tokens.raw_text(name, script)?;
        let read = kind.bits & TITLE != 0 || (script && marks.json) || marks.author || marks.hidden;
        if outside && read {
            field(&mut self.meta, &self.src[tag.at..self.tokens.pos()]);
        }
        Some(())
    }

    fn end(&mut self, tag: Tag) -> Option<()> {
        let name = &self.src[tag.name.0..tag.name.1];
        let kind = kind(name);
        // In SVG or MathML these two leave it, as HTML.
        if self.foreign > 0 && kind.bits & (P | BR) != 0 {
            return None;
        }
        // The parser keeps them open: what follows still goes in the body.
        if kind.bits & (HTML | BODY) != 0 {
            return Some(());
        }
        if kind.bits & FORM != 0 {
            self.form = false;
        }
        if let Some(i) = usize::from(kind.formatting).checked_sub(1) {
            self.formatting[i] -= 1;
        }
        let Some(index) = self
            .stack
            .iter()
            .rposition(|o| self.src[o.name.0..o.name.1].eq_ignore_ascii_case(name))
        else {
            return Some(());
        };
        while self.stack.len() > index {
            let open = self.stack.pop().expect("the stack is longer than index");
            self.close(open, tag.end);
        }
        Some(())
    }

    /// An element closed at `end`.
    fn close(&mut self, open: Open, end: usize) {
        if open.capture {
            field(&mut self.meta, &self.src[open.at..end]);
        }
        if open.kind.bits & (SVG | MATH) != 0 {
            self.foreign -= 1;
        }
        if self.container == Some(self.stack.len()) {
            self.container = None;
            if let Some((start, _)) = self.region {
                self.region = Some((start, Some(end)));
            }
        }
    }

    /// The digest and the container's span, when the container was seen
    /// and closed.
    pub(super) fn finish(self) -> Option<(String, (usize, usize))> {
        let (start, Some(end)) = self.region? else {
            return None;
        };
        let mut hasher = blake3::Hasher::new();
        field(&mut hasher, env!("CARGO_PKG_VERSION").as_bytes());
        field(&mut hasher, &self.src[start..end]);
        field(&mut hasher, self.context?.as_bytes());
        for (owner, from, to) in self.texts {
            if let Some(depth) = self.ancestors.iter().position(|&a| a == owner) {
                hasher.update(&(depth as u64).to_le_bytes());
                field(&mut hasher, &self.src[from..to]);
            }
        }
        field(&mut hasher, self.meta.finalize().as_bytes());
        let digest = hasher.finalize().to_hex()[..32].to_string();
        Some((digest, (start, end)))
    }
}

/// Whether a start tag's attributes, as written, are `element`'s: the same
/// names (the first of each), and the same values where they hold no
/// character reference (one with a reference matches any value; several
/// matching start tags then give no answer).
pub(super) fn attributes_match(
    tag: &[u8],
    element: ElementRef<'_>,
    attributes: &mut Vec<Attribute>,
) -> bool {
    if attributes_of(tag, attributes).is_none() {
        return false;
    }
    // The parser keeps the first of several attributes of one name.
    let mut kept = 0;
    let mut lower = String::new();
    for (i, &((name_at, name_end), (value_at, value_end))) in attributes.iter().enumerate() {
        let name = &tag[name_at..name_end];
        let seen = attributes[..i]
            .iter()
            .any(|&((at, end), _)| tag[at..end].eq_ignore_ascii_case(name));
        if seen {
            continue;
        }
        // Names are mostly lowercase already: only others are copied.
        let name = String::from_utf8_lossy(name);
        let name = if name.bytes().any(|b| b.is_ascii_uppercase()) {
            lower.clear();
            lower.push_str(&name);
            lower.make_ascii_lowercase();
            lower.as_str()
        } else {
            &name
        };
        let value = &tag[value_at..value_end];
        let Some(parsed) = element.value().attr(name) else {
            return false;
        };
        if !value.contains(&b'&') && !value.contains(&b'\r') && value != parsed.as_bytes() {
            return false;
        }
        kept += 1;
    }
    kept == element.value().attrs().count()
}
