//! A compact, read-only view of a parsed page for content detection: the
//! nodes that can carry article text, in document order, with their kind and
//! the attribute hints the detector reads.
//!
//! This module owns the walk from `scraper`'s tree into that view and the
//! decision of what can never be text (scripts, styles, hidden elements,
//! form controls, the caller's ignore selectors). It must not judge what is
//! article and what is boilerplate beyond that: scoring is `score`'s job.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::collections::{HashMap, HashSet};

use ego_tree::NodeId;
use scraper::{ElementRef, Html, Node as HtmlNode};

use super::hints;

/// How an element takes part in the text flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// A paragraph (`p`), the unit most text lives in.
    Para,
    /// A heading `h1`–`h6`.
    Heading(u8),
    /// A list item, definition term or description.
    ListItem,
    /// A block quotation.
    Quote,
    /// Preformatted text.
    Pre,
    /// A figure or table caption.
    Caption,
    /// A block container (`div`, `section`, `td`, `ul`…): its direct text
    /// forms anonymous paragraphs.
    Container,
    /// A line break.
    Break,
    /// Phrasing content (`a`, `span`, `em`…).
    Inline,
}

impl Role {
    /// Whether an element of this role starts a new block of its own.
    pub(crate) fn is_block(self) -> bool {
        !matches!(self, Role::Inline | Role::Break)
    }
}

/// Inline styling that the block builder records as emphasis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Styling {
    /// `b`, `strong` or a bold `font-weight`.
    pub bold: bool,
    /// `i`, `em` or an italic `font-style`.
    pub italic: bool,
}

/// What one node of the view is.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind<'a> {
    /// An element, with its local name and role.
    Element { tag: &'a str, role: Role },
    /// A run of text, as the page has it (not normalised), with its
    /// counts.
    Text(&'a str, TextCounts),
}

/// What detection counts in a run of text, counted once when the view is
/// built.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TextCounts {
    /// Visible characters (white space excluded).
    pub chars: u32,
    /// Commas, a sign of running prose.
    pub commas: u32,
}

impl TextCounts {
    /// Counts `text`.
    pub(crate) fn of(text: &str) -> TextCounts {
        let mut counts = TextCounts::default();
        if text.is_ascii() {
            // Sums without a branch per byte, which the compiler
            // vectorises. The white space is `u8::is_ascii_whitespace`'s.
            let bytes = text.as_bytes();
            let mut blank = 0u32;
            for &b in bytes {
                blank += u32::from(matches!(b, b' ' | b'\t' | b'\n' | 0x0C | b'\r'));
                counts.commas += u32::from(b == b',');
            }
            counts.chars = bytes.len() as u32 - blank;
            return counts;
        }
        for c in text.chars() {
            if !c.is_whitespace() {
                counts.chars += 1;
                counts.commas += u32::from(matches!(c, ',' | '，' | '、' | '،'));
            }
        }
        counts
    }
}

/// One node of the view. Nodes are stored in document order (pre-order), so
/// a node's descendants are exactly the indices `index + 1 .. end`.
#[derive(Debug, Clone)]
pub(crate) struct Node<'a> {
    /// What the node is.
    pub kind: Kind<'a>,
    /// The parent's index; the root is its own parent.
    pub parent: u32,
    /// One past the index of the node's last descendant.
    pub end: u32,
    /// The element's `class` and `id` attributes, joined by a space; empty
    /// for text.
    pub hints: Cow<'a, str>,
    /// The index of `hints` among the page's distinct hints (0 for none),
    /// under which what they weigh is kept once worked out.
    pub hint: u32,
    /// Inline styling the element applies.
    pub styling: Styling,
    /// Whether the element is a link (`a` with an `href`).
    pub link: bool,
    /// Whether the element or its microdata marks it as the article body
    /// (`itemprop=articleBody`, `<article>`, `role=main`…).
    pub semantic: bool,
    /// Whether microdata marks the element as one of a recipe's
    /// ingredients (`itemprop=recipeIngredient`, or schema.org's older
    /// `ingredients`): the page's own statement that it is main content.
    pub ingredient: bool,
    /// What the element's tag, class, id or role say about it being page
    /// chrome (navigation, share bars, comments…). Set only in automatic
    /// mode.
    pub chrome: Chrome,
}

/// How sure the hints are that an element is page chrome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Chrome {
    /// Nothing says so.
    #[default]
    No,
    /// Words that usually mean chrome ("header", "sidebar", `<aside>`): an
    /// element so marked that holds most of the page's text is not chrome
    /// (pages do wrap everything in a `div id=header` left unclosed).
    Weak,
    /// Words that always mean chrome ("share", "comments", `<nav>`).
    Strong,
}

/// The view of one page: its nodes in document order.
#[derive(Debug)]
pub(crate) struct Dom<'a> {
    /// All nodes; index 0 is the root (the `body`, or the document's root
    /// element when there is no body).
    pub nodes: Vec<Node<'a>>,
    /// Per distinct hints string (by [`Node::hint`]): what its words say,
    /// worked out the first time a pass asks. Pages repeat a few dozen
    /// classes over thousands of elements, and every pass asks again.
    said: Vec<Said>,
}

/// What one distinct hints string says, each fact read from its words
/// once, when first asked for.
#[derive(Debug, Clone, Default)]
struct Said {
    /// [`hints::class_weight`].
    weight: OnceCell<f64>,
    /// [`hints::is_lead`].
    lead: OnceCell<bool>,
    /// [`hints::is_comments`].
    comments: OnceCell<bool>,
}

/// What the walk leaves out or marks.
pub(crate) struct WalkOptions<'s> {
    /// Elements removed with their subtrees (the caller's ignore selectors).
    pub ignored: &'s HashSet<NodeId>,
    /// Whether to mark chrome by class, id and role hints.
    pub mark_chrome: bool,
}

impl<'a> Dom<'a> {
    /// Walks `html` from its `body` (or root element) into the view.
    pub(crate) fn build(html: &'a Html, options: &WalkOptions<'_>) -> Dom<'a> {
        let root = body_of(html);
        Dom::build_from(root, options)
    }

    /// Walks the subtree of `root` into the view.
    pub(crate) fn build_from(root: ElementRef<'a>, options: &WalkOptions<'_>) -> Dom<'a> {
        let mut nodes = Vec::with_capacity(1024);
        let mut verdicts = Verdicts::default();
        // The root is walked even when hidden: a selector chose it.
        let first = element_node(root, 0, options, &mut verdicts, true);
        nodes.push(first.expect("a root is always walked"));
        // An explicit stack instead of recursion: real pages nest thousands
        // of levels deep often enough to overflow a thread's stack.
        let mut stack = vec![(0u32, root.children())];
        while let Some((index, children)) = stack.last_mut() {
            let parent = *index;
            let Some(child) = children.next() else {
                nodes[parent as usize].end = nodes.len() as u32;
                stack.pop();
                continue;
            };
            match child.value() {
                // White space is kept too: between two inline elements it
                // is what separates their words.
                HtmlNode::Text(text) => nodes.push(text_node(text, parent, nodes.len())),
                HtmlNode::Element(_) => {
                    let Some(element) = ElementRef::wrap(child) else {
                        continue;
                    };
                    if !options.ignored.is_empty() && options.ignored.contains(&element.id()) {
                        continue;
                    }
                    let Some(node) = element_node(element, parent, options, &mut verdicts, false)
                    else {
                        continue;
                    };
                    let index = nodes.len() as u32;
                    nodes.push(node);
                    stack.push((index, element.children()));
                }
                _ => {}
            }
        }
        let said = vec![Said::default(); verdicts.distinct()];
        Dom { nodes, said }
    }

    /// The weight the class and id hints of the element at `index` give it
    /// as a container of the article (see [`hints::class_weight`]).
    pub(crate) fn class_weight(&self, index: usize) -> f64 {
        let node = &self.nodes[index];
        *self.said[node.hint as usize]
            .weight
            .get_or_init(|| hints::class_weight(&node.hints))
    }

    /// Whether the class and id hints of the element at `index` name a
    /// lead paragraph (see [`hints::is_lead`]).
    pub(crate) fn is_lead_hint(&self, index: usize) -> bool {
        let node = &self.nodes[index];
        *self.said[node.hint as usize]
            .lead
            .get_or_init(|| hints::is_lead(&node.hints))
    }

    /// Whether the class and id hints of the element at `index` name a
    /// comment thread (see [`hints::is_comments`]).
    pub(crate) fn is_comments_hint(&self, index: usize) -> bool {
        let node = &self.nodes[index];
        *self.said[node.hint as usize]
            .comments
            .get_or_init(|| hints::is_comments(&node.hints))
    }

    /// The children of the node at `index`, in order.
    pub(crate) fn children(&self, index: usize) -> impl Iterator<Item = usize> + '_ {
        let end = self.nodes[index].end as usize;
        let mut next = index + 1;
        std::iter::from_fn(move || {
            if next >= end {
                return None;
            }
            let current = next;
            next = self.nodes[current].end as usize;
            Some(current)
        })
    }

    /// The element's role, or `None` for text.
    pub(crate) fn role(&self, index: usize) -> Option<Role> {
        match self.nodes[index].kind {
            Kind::Element { role, .. } => Some(role),
            Kind::Text(..) => None,
        }
    }

    /// The element's local name, or `""` for text.
    pub(crate) fn tag(&self, index: usize) -> &'a str {
        match self.nodes[index].kind {
            Kind::Element { tag, .. } => tag,
            Kind::Text(..) => "",
        }
    }
}

/// The page's `body` element, or its root element when it has none.
pub(crate) fn body_of(html: &Html) -> ElementRef<'_> {
    let root = html.root_element();
    root.child_elements()
        .find(|e| e.value().name() == "body")
        .unwrap_or(root)
}

fn text_node<'a>(text: &'a str, parent: u32, index: usize) -> Node<'a> {
    Node {
        kind: Kind::Text(text, TextCounts::of(text)),
        parent,
        end: index as u32 + 1,
        hints: Cow::Borrowed(""),
        hint: 0,
        styling: Styling::default(),
        link: false,
        semantic: false,
        ingredient: false,
        chrome: Chrome::No,
    }
}

/// The view's node for an element, or `None` for an element that can never
/// hold visible text (unless `keep_hidden`).
fn element_node<'a>(
    element: ElementRef<'a>,
    parent: u32,
    options: &WalkOptions<'_>,
    verdicts: &mut Verdicts<'a>,
    keep_hidden: bool,
) -> Option<Node<'a>> {
    let value = element.value();
    let tag = value.name();
    if !keep_hidden && never_text(tag) {
        return None;
    }
    let role = role_of(tag);
    let mut hints: Cow<'a, str> = Cow::Borrowed("");
    let (mut style, mut aria_role, mut itemprop, mut aria_hidden) = ("", "", "", false);
    let mut href = false;
    for (name, attr) in value.attrs() {
        match name {
            "class" | "id" => {
                // Ids made from a section's title would read as hints
                // ("sharing-with-…" as a share bar), and a heading's id is
                // an anchor for links into the text ("nav_results_1"),
                // never a statement of what the heading is.
                let heading = matches!(tag, "h1" | "h2" | "h3" | "h4" | "h5" | "h6");
                if name == "id" && (heading || hints::is_slug(attr)) {
                    continue;
                }
                // Most elements have a class or an id, not both: borrowed.
                hints = if hints.is_empty() {
                    Cow::Borrowed(attr)
                } else {
                    Cow::Owned(format!("{hints} {attr}"))
                };
            }
            "style" => {
                if !keep_hidden && hints::is_hidden_style(attr) {
                    return None;
                }
                style = attr;
            }
            "hidden" if !keep_hidden => return None,
            "role" => aria_role = attr,
            "itemprop" => itemprop = attr,
            "aria-hidden" => aria_hidden = attr.eq_ignore_ascii_case("true"),
            "href" => href = true,
            _ => {}
        }
    }
    let styling = Styling {
        bold: matches!(tag, "b" | "strong") || hints::is_bold_style(style),
        italic: matches!(tag, "i" | "em") || hints::is_italic_style(style),
    };
    let semantic = tag == "article"
        || tag == "main"
        || itemprop.eq_ignore_ascii_case("articleBody")
        || aria_role.eq_ignore_ascii_case("main");
    let hint = verdicts.id(&hints);
    let chrome = if !options.mark_chrome {
        Chrome::No
    } else if tag == "nav" || hints::is_chrome_role(aria_role) {
        Chrome::Strong
    } else {
        match verdicts.chrome(hint, &hints) {
            Chrome::No if aria_hidden || matches!(tag, "aside" | "footer") => Chrome::Weak,
            verdict => verdict,
        }
    };
    Some(Node {
        kind: Kind::Element { tag, role },
        parent,
        end: 0,
        hints,
        hint,
        styling,
        link: tag == "a" && href,
        semantic,
        ingredient: itemprop.eq_ignore_ascii_case("recipeIngredient")
            || itemprop.eq_ignore_ascii_case("ingredients"),
        chrome,
    })
}

/// The distinct class and id hints seen so far on a page, numbered in
/// order of first sight (0 is the empty hint), with their chrome verdicts:
/// pages repeat the same classes hundreds of times, and a lookup is
/// cheaper than matching the word lists again. The map keeps std's keyed
/// hash: its keys are the page's own strings.
struct Verdicts<'a> {
    ids: HashMap<Cow<'a, str>, u32>,
    /// Per id: the chrome verdict, once asked for.
    chrome: Vec<Option<Chrome>>,
}

impl Default for Verdicts<'_> {
    fn default() -> Self {
        Verdicts {
            ids: HashMap::new(),
            chrome: vec![Some(Chrome::No)],
        }
    }
}

impl<'a> Verdicts<'a> {
    /// The number of `hints` among the page's distinct hints.
    #[expect(
        clippy::ptr_arg,
        reason = "a borrowed hint is stored as a borrow, without a copy"
    )]
    fn id(&mut self, hints: &Cow<'a, str>) -> u32 {
        if hints.is_empty() {
            return 0;
        }
        if let Some(&id) = self.ids.get(hints.as_ref()) {
            return id;
        }
        let id = self.chrome.len() as u32;
        self.chrome.push(None);
        self.ids.insert(hints.clone(), id);
        id
    }

    /// The chrome verdict of `hints`, numbered `id`.
    fn chrome(&mut self, id: u32, hints: &str) -> Chrome {
        *self.chrome[id as usize].get_or_insert_with(|| hints::chrome(hints))
    }

    /// How many distinct hints there are, the empty one included.
    fn distinct(&self) -> usize {
        self.chrome.len()
    }
}

/// Elements whose content is never article text: code, styles, embedded
/// media, form controls and the groups of them (`fieldset`: a video
/// player's caption settings, a poll, a comment form). (Elements the page hides are left out by
/// `element_node`, which reads their attributes.)
fn never_text(tag: &str) -> bool {
    matches!(
        tag,
        "script"
            | "style"
            | "noscript"
            | "template"
            | "svg"
            | "math"
            | "iframe"
            | "object"
            | "embed"
            | "canvas"
            | "video"
            | "audio"
            | "select"
            | "option"
            | "textarea"
            | "input"
            | "legend"
            | "fieldset"
            | "button"
            | "link"
            | "meta"
            | "head"
            | "title"
            | "map"
            | "dialog"
    )
}

/// The role of an element by its local name.
fn role_of(tag: &str) -> Role {
    match tag {
        "p" => Role::Para,
        "h1" => Role::Heading(1),
        "h2" => Role::Heading(2),
        "h3" => Role::Heading(3),
        "h4" => Role::Heading(4),
        "h5" => Role::Heading(5),
        "h6" => Role::Heading(6),
        "li" | "dt" | "dd" => Role::ListItem,
        "blockquote" => Role::Quote,
        "pre" => Role::Pre,
        "figcaption" | "caption" => Role::Caption,
        "br" | "hr" => Role::Break,
        "div" | "section" | "article" | "main" | "header" | "footer" | "aside" | "nav" | "ul"
        | "ol" | "dl" | "table" | "tbody" | "thead" | "tfoot" | "tr" | "td" | "th" | "figure"
        | "form" | "fieldset" | "details" | "summary" | "address" | "center" | "hgroup"
        | "body" | "html" | "menu" | "legend" | "frameset" | "noframes" => Role::Container,
        _ => Role::Inline,
    }
}
