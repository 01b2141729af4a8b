//! What the prescreen's walk needs to know of an element's name, found
//! once per tag: which of the tree builder's lists (`tags`) it is on, and
//! the few names the walk treats one by one, as bits. The walk then tests
//! bits instead of comparing the name with every list, for every tag and
//! every open element. Pure, no allocation per tag, and it must not judge
//! what a tag means beyond those lists.

use std::sync::LazyLock;

use super::tags::{BREAKOUT, FORMATTING, INTEGRATION, RAW, VOID};

/// An element's name as the walk sees it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Kind {
    /// Its bits (the constants below).
    pub bits: u32,
    /// Its place in [`FORMATTING`] plus one; 0 when it is no formatting
    /// element.
    pub formatting: u8,
}

pub(super) const VOID_ELEMENT: u32 = 1;
pub(super) const BREAKS_OUT: u32 = 1 << 1;
pub(super) const INTEGRATES: u32 = 1 << 2;
pub(super) const RAW_TEXT: u32 = 1 << 3;
pub(super) const SVG: u32 = 1 << 4;
pub(super) const MATH: u32 = 1 << 5;
pub(super) const FORM: u32 = 1 << 6;
pub(super) const A: u32 = 1 << 7;
pub(super) const NOBR: u32 = 1 << 8;
pub(super) const PLAINTEXT: u32 = 1 << 9;
pub(super) const H1: u32 = 1 << 10;
pub(super) const TITLE: u32 = 1 << 11;
pub(super) const HTML: u32 = 1 << 12;
pub(super) const HEAD: u32 = 1 << 13;
pub(super) const BODY: u32 = 1 << 14;
pub(super) const META: u32 = 1 << 15;
pub(super) const LINK: u32 = 1 << 16;
pub(super) const TIME: u32 = 1 << 17;
pub(super) const BASE: u32 = 1 << 18;
pub(super) const HEADER: u32 = 1 << 19;
pub(super) const SELECT: u32 = 1 << 20;
pub(super) const TEMPLATE: u32 = 1 << 21;
pub(super) const TABLE: u32 = 1 << 22;
pub(super) const SCRIPT: u32 = 1 << 23;
pub(super) const P: u32 = 1 << 24;
pub(super) const BR: u32 = 1 << 25;

/// The names treated one by one, with their bits.
const SINGLE: [(&str, u32); 22] = [
    ("svg", SVG),
    ("math", MATH),
    ("form", FORM),
    ("a", A),
    ("nobr", NOBR),
    ("plaintext", PLAINTEXT),
    ("h1", H1),
    ("title", TITLE),
    ("html", HTML),
    ("head", HEAD),
    ("body", BODY),
    ("meta", META),
    ("link", LINK),
    ("time", TIME),
    ("base", BASE),
    ("header", HEADER),
    ("select", SELECT),
    ("template", TEMPLATE),
    ("table", TABLE),
    ("script", SCRIPT),
    ("p", P),
    ("br", BR),
];

/// The longest name on any list (`annotation-xml`).
const LONGEST: usize = 14;

/// Every listed name with its kind, by its length and first letter (a
/// bucket holds one or two names).
type Table = Vec<Vec<(&'static [u8], Kind)>>;

/// The bucket of a lowercase name of 1 to [`LONGEST`] bytes starting
/// with a letter.
fn bucket_of(lower: &[u8]) -> Option<usize> {
    let letter = usize::from(lower.first()?.checked_sub(b'a')?);
    (letter < 26 && lower.len() <= LONGEST).then(|| (lower.len() - 1) * 26 + letter)
}

static BY_SHAPE: LazyLock<Table> = LazyLock::new(|| {
    let mut table: Table = vec![Vec::new(); LONGEST * 26];
    let lists: [(&[&str], u32); 4] = [
        (&VOID, VOID_ELEMENT),
        (&BREAKOUT, BREAKS_OUT),
        (&INTEGRATION, INTEGRATES),
        (&RAW, RAW_TEXT),
    ];
    let listed = lists
        .iter()
        .flat_map(|(names, bit)| names.iter().map(move |n| (*n, *bit)))
        .chain(SINGLE)
        .chain(FORMATTING.iter().map(|n| (*n, 0)));
    for (name, bit) in listed {
        let Some(bucket) = bucket_of(name.as_bytes()).and_then(|b| table.get_mut(b)) else {
            continue;
        };
        let at = match bucket.iter().position(|(n, _)| *n == name.as_bytes()) {
            Some(at) => at,
            None => {
                bucket.push((name.as_bytes(), Kind::default()));
                bucket.len() - 1
            }
        };
        let kind = &mut bucket[at].1;
        kind.bits |= bit;
        if let Some(i) = FORMATTING.iter().position(|f| *f == name) {
            kind.formatting = u8::try_from(i + 1).unwrap_or(0);
        }
    }
    table
});

/// The kind of the element named `name` (in any ASCII case).
pub(super) fn kind(name: &[u8]) -> Kind {
    if name.is_empty() || name.len() > LONGEST {
        return Kind::default();
    }
    let mut lower = [0u8; LONGEST];
    let lower = &mut lower[..name.len()];
    for (to, from) in lower.iter_mut().zip(name) {
        *to = from.to_ascii_lowercase();
    }
    let Some(bucket) = bucket_of(lower).and_then(|b| BY_SHAPE.get(b)) else {
        return Kind::default();
    };
    bucket
        .iter()
        .find(|(n, _)| *n == &*lower)
        .map(|(_, k)| *k)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_has_the_bits_of_every_list_it_is_on_in_any_case() {
        let b = kind(b"B");
        assert_eq!(b.bits, BREAKS_OUT);
        assert_eq!(usize::from(b.formatting), 2);
        assert_eq!(kind(b"br").bits, VOID_ELEMENT | BREAKS_OUT | BR);
        assert_eq!(kind(b"Title").bits, INTEGRATES | RAW_TEXT | TITLE);
        assert_eq!(kind(b"annotation-xml").bits, INTEGRATES);
        assert_eq!(kind(b"custom-element"), Kind::default());
        assert_eq!(kind(b"div").bits, BREAKS_OUT);
        assert_eq!(kind(b"1x"), Kind::default());
    }
}
