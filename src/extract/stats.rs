//! Text statistics of every node of a page view, computed in two linear
//! passes: how many characters, link characters, commas, paragraphs, images
//! and list items each subtree holds, and how much text each block element
//! holds directly.
//!
//! Content detection reads these numbers; this module must not interpret
//! them. Text inside chrome (marked by `dom`) counts as absent.

use super::dom::{Chrome, Dom, Kind, Role, TextCounts};

/// The numbers for one node's subtree.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Stats {
    /// Visible characters (white space excluded).
    pub chars: u32,
    /// Visible characters inside links.
    pub link_chars: u32,
    /// Commas, a sign of running prose.
    pub commas: u32,
    /// Paragraph elements with text.
    pub paras: u32,
    /// Images.
    pub images: u32,
    /// List items.
    pub items: u32,
    /// Characters inside headings.
    pub heading_chars: u32,
    /// Child elements that hold text.
    pub text_children: u32,
    /// For a block element: characters of the text it holds directly, not
    /// inside a nested block.
    pub direct_chars: u32,
    /// For a block element: commas in that direct text.
    pub direct_commas: u32,
}

impl Stats {
    /// The share of the subtree's text that is link text.
    pub(crate) fn link_density(&self) -> f64 {
        if self.chars == 0 {
            0.0
        } else {
            f64::from(self.link_chars) / f64::from(self.chars)
        }
    }
}

/// Per-node facts that flow from ancestors to descendants.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Context {
    /// The nearest block element at or above the node (its own index for a
    /// block element).
    pub owner: u32,
    /// Whether the node is inside a link.
    pub in_link: bool,
    /// Whether the node is inside chrome.
    pub in_chrome: bool,
    /// Whether the node is inside a heading.
    pub in_heading: bool,
}

/// The statistics and contexts of every node of `dom`, by index.
pub(crate) struct PageStats {
    /// Subtree numbers per node.
    pub stats: Vec<Stats>,
    /// Inherited facts per node.
    pub context: Vec<Context>,
}

/// An element weakly marked as chrome that holds more than this share of
/// the page's text is the page's content after all.
const WEAK_CHROME_MAX_SHARE: f64 = 0.6;
/// Strong chrome words do not make chrome of an element that holds most
/// of the page's text either: "page-ad-margins" or "advertisement-pusher"
/// around everything is layout, not an ad.
const STRONG_CHROME_MAX_SHARE: f64 = 0.6;
/// Comment threads, though, can outweigh a short article many times over.
const COMMENTS_MAX_SHARE: f64 = 0.85;

/// Computes the statistics of every node, honouring the chrome hints at
/// `honour` and stronger (`Chrome::No` honours none). Weak hints are not
/// honoured on the ancestors of `anchor`, the node most likely to hold the
/// article: a "sidebar" class on a wrapper around the story is layout.
pub(crate) fn compute(dom: &Dom<'_>, honour: Chrome, anchor: Option<usize>) -> PageStats {
    let n = dom.nodes.len();
    let all = all_chars(dom);
    let prose = prose_chars(dom, &all);
    // An element holding three quarters of the page's prose is its content's
    // wrapper, whatever its class says ("sharing-container" around a
    // story); comment threads, which can hold more prose than the story,
    // keep their own limit.
    let holds_prose = |i: usize| prose[0] > 0 && prose[i] * 4 >= prose[0] * 3;
    let weak_limit = f64::from(all[0]) * WEAK_CHROME_MAX_SHARE;
    let strong_limit = f64::from(all[0]) * STRONG_CHROME_MAX_SHARE;
    let comments_limit = f64::from(all[0]) * COMMENTS_MAX_SHARE;
    let mut context = Vec::with_capacity(n);
    // Top-down: parents come before children in pre-order.
    for (i, node) in dom.nodes.iter().enumerate() {
        let parent = if i == 0 {
            None
        } else {
            Some(context[node.parent as usize])
        };
        let p: Context = parent.unwrap_or(Context {
            owner: 0,
            in_link: false,
            in_chrome: false,
            in_heading: false,
        });
        let role = dom.role(i);
        context.push(Context {
            owner: if role.is_some_and(Role::is_block) || i == 0 {
                i as u32
            } else {
                p.owner
            },
            in_link: p.in_link || node.link,
            in_chrome: p.in_chrome
                || match node.chrome {
                    Chrome::No => false,
                    Chrome::Weak => {
                        honour == Chrome::Weak
                            && f64::from(all[i]) <= weak_limit
                            && !anchor.is_some_and(|a| a >= i && a < node.end as usize)
                    }
                    Chrome::Strong => {
                        let comments = dom.is_comments_hint(i);
                        honour != Chrome::No
                            && ((f64::from(all[i]) <= strong_limit
                                && (comments || !holds_prose(i)))
                                || (f64::from(all[i]) <= comments_limit && comments))
                    }
                },
            in_heading: p.in_heading || matches!(role, Some(Role::Heading(_))),
        });
    }
    let mut stats = vec![Stats::default(); n];
    // Bottom-up: children come after parents, so a reverse sweep sees every
    // child before its parent.
    for i in (0..n).rev() {
        let ctx = context[i];
        if ctx.in_chrome {
            continue;
        }
        match dom.nodes[i].kind {
            Kind::Text(_, counts) => {
                let TextCounts { chars, commas } = counts;
                let s = &mut stats[i];
                s.chars = chars;
                s.commas = commas;
                if ctx.in_link {
                    s.link_chars = chars;
                }
                if ctx.in_heading {
                    s.heading_chars = chars;
                }
                let owner = &mut stats[ctx.owner as usize];
                owner.direct_chars += chars;
                owner.direct_commas += commas;
            }
            Kind::Element { tag, role } => {
                let s = &mut stats[i];
                match role {
                    Role::Para if s.chars > 0 => s.paras += 1,
                    // Text set straight into a container, paragraphs
                    // divided by line breaks, counts as paragraphs too.
                    Role::Container if s.direct_chars >= 25 => {
                        s.paras += (s.direct_chars / 200).max(1)
                    }
                    Role::ListItem => s.items += 1,
                    _ => {}
                }
                if tag == "img" {
                    s.images += 1;
                }
            }
        }
        if i > 0 {
            let child = stats[i];
            let parent = &mut stats[dom.nodes[i].parent as usize];
            parent.chars += child.chars;
            parent.link_chars += child.link_chars;
            parent.commas += child.commas;
            parent.paras += child.paras;
            parent.images += child.images;
            parent.items += child.items;
            parent.heading_chars += child.heading_chars;
            if child.chars > 0 && matches!(dom.nodes[i].kind, Kind::Element { .. }) {
                parent.text_children += 1;
            }
        }
    }
    PageStats { stats, context }
}

/// Paragraphs at least this long (visible characters) are prose.
const PROSE_PARAGRAPH_CHARS: u32 = 150;

/// Characters in prose paragraphs per subtree, chrome included: the text
/// of every `p` (or `pre`, `blockquote`) of at least
/// [`PROSE_PARAGRAPH_CHARS`].
fn prose_chars(dom: &Dom<'_>, all: &[u32]) -> Vec<u32> {
    let mut prose = vec![0u32; dom.nodes.len()];
    // Reverse pre-order: every node's descendants come first.
    for i in (0..dom.nodes.len()).rev() {
        let paragraph = matches!(dom.role(i), Some(Role::Para | Role::Pre | Role::Quote));
        if paragraph && all[i] >= PROSE_PARAGRAPH_CHARS {
            prose[i] = all[i];
        }
        if i > 0 {
            let parent = dom.nodes[i].parent as usize;
            prose[parent] += prose[i];
        }
    }
    prose
}

/// Visible characters per subtree, chrome included.
fn all_chars(dom: &Dom<'_>) -> Vec<u32> {
    let mut chars = vec![0u32; dom.nodes.len()];
    for i in (1..dom.nodes.len()).rev() {
        if let Kind::Text(_, counts) = dom.nodes[i].kind {
            chars[i] = counts.chars;
        }
        let parent = dom.nodes[i].parent as usize;
        chars[parent] += chars[i];
    }
    chars
}
