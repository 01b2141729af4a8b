//! Markup clean-up: making a word diff read like an editor's marks.
//!
//! A minimal edit script is not what an editor writes. This module turns
//! the word diff of two sentences into stretches an editor would mark (a
//! kept comma between two changes joins them; a space both sides share
//! stays outside the marks) and orders each stretch of changed segments
//! deletions first. It must not decide what is compared with what.

use similar::{Algorithm, DiffOp, capture_diff_slices};

use super::normalize::{Token, TokenKind};
use crate::report::{PARAGRAPH_BREAK, Segment, SegmentOp};

/// One stretch of a word diff: kept, or changed (old tokens replaced by new
/// ones, either side possibly empty). Ranges are relative to the sentence.
pub(crate) struct Item {
    pub equal: bool,
    pub old: std::ops::Range<usize>,
    pub new: std::ops::Range<usize>,
}

/// The word diff of two sentences, cleaned up to read as an editor's
/// markup: kept spaces and punctuation between two changes join the change,
/// and a change neither starts nor ends with a space both sides share.
pub(crate) fn word_items(old: &[Token], new: &[Token]) -> Vec<Item> {
    let ok: Vec<&str> = old.iter().map(|t| t.key.as_str()).collect();
    let nk: Vec<&str> = new.iter().map(|t| t.key.as_str()).collect();
    let mut items: Vec<Item> = Vec::new();
    for op in capture_diff_slices(Algorithm::Myers, &ok, &nk) {
        let equal = matches!(op, DiffOp::Equal { .. });
        push_item(
            &mut items,
            Item {
                equal,
                old: op.old_range(),
                new: op.new_range(),
            },
        );
    }
    // Absorb thin kept stretches between changes.
    for k in 1..items.len().saturating_sub(1) {
        let thin = items[k].old.len() <= 3
            && old[items[k].old.clone()]
                .iter()
                .all(|t| t.kind != TokenKind::Word);
        if items[k].equal && thin && !items[k - 1].equal && !items[k + 1].equal {
            items[k].equal = false;
        }
    }
    let mut merged: Vec<Item> = Vec::new();
    for item in items {
        push_item(&mut merged, item);
    }
    let mut out = Vec::new();
    for item in merged {
        if item.equal {
            push_item(&mut out, item);
        } else {
            trim_shared_space(&mut out, item, old, new);
        }
    }
    out
}

fn push_item(items: &mut Vec<Item>, item: Item) {
    if item.old.is_empty() && item.new.is_empty() {
        return;
    }
    if let Some(last) = items.last_mut()
        && last.equal == item.equal
    {
        last.old.end = item.old.end;
        last.new.end = item.new.end;
        return;
    }
    items.push(item);
}

/// Moves a leading or trailing space that both sides of a change share out
/// of the change, into kept text.
fn trim_shared_space(out: &mut Vec<Item>, mut item: Item, old: &[Token], new: &[Token]) {
    let is_space = |t: Option<&Token>| t.is_some_and(|t| t.kind == TokenKind::Space);
    if is_space(old.get(item.old.start))
        && is_space(new.get(item.new.start))
        && item.old.len() > 1
        && item.new.len() > 1
    {
        push_item(
            out,
            Item {
                equal: true,
                old: item.old.start..item.old.start + 1,
                new: item.new.start..item.new.start + 1,
            },
        );
        item.old.start += 1;
        item.new.start += 1;
    }
    let mut tail = None;
    let (oe, ne) = (item.old.end, item.new.end);
    if oe > item.old.start + 1
        && ne > item.new.start + 1
        && is_space(old.get(oe - 1))
        && is_space(new.get(ne - 1))
    {
        item.old.end -= 1;
        item.new.end -= 1;
        tail = Some(Item {
            equal: true,
            old: oe - 1..oe,
            new: ne - 1..ne,
        });
    }
    push_item(out, item);
    if let Some(t) = tail {
        push_item(out, t);
    }
}

/// Puts the deletions of every stretch of changes before its insertions,
/// as an editor marks a replacement, and joins what then touches.
pub(crate) fn deletions_first(segments: Vec<Segment>) -> Vec<Segment> {
    let mut out: Vec<Segment> = Vec::with_capacity(segments.len());
    let mut stretch: Vec<Segment> = Vec::new();
    let flush = |out: &mut Vec<Segment>, stretch: &mut Vec<Segment>| {
        stretch.sort_by_key(|s| s.op != SegmentOp::Deleted);
        let lead = hoist_shared_space(stretch, true);
        let trail = hoist_shared_space(stretch, false);
        for s in lead
            .into_iter()
            .chain(stretch.drain(..).filter(|s| !s.text.is_empty()))
            .chain(trail)
        {
            join(out, s);
        }
    };
    for s in segments {
        if s.op == SegmentOp::Equal {
            flush(&mut out, &mut stretch);
            join(&mut out, s);
        } else {
            stretch.push(s);
        }
    }
    flush(&mut out, &mut stretch);
    out
}

/// When both the deletions and the insertions of a stretch start (or end)
/// with a space, takes that space out of both and returns it as kept text:
/// `[- a-]{+ b+}` reads better as ` [-a-]{+b+}`.
fn hoist_shared_space(stretch: &mut [Segment], leading: bool) -> Option<Segment> {
    let pick = |op: SegmentOp, stretch: &[Segment]| {
        let mut ix = stretch
            .iter()
            .enumerate()
            .filter(|(_, s)| s.op == op)
            .map(|(i, _)| i);
        if leading { ix.next() } else { ix.next_back() }
    };
    let (d, i) = (
        pick(SegmentOp::Deleted, stretch)?,
        pick(SegmentOp::Inserted, stretch)?,
    );
    let has = |s: &Segment| {
        if leading {
            s.text.starts_with(' ')
        } else {
            s.text.ends_with(' ')
        }
    };
    if !has(&stretch[d])
        || !has(&stretch[i])
        || stretch[d].text.len() < 2
        || stretch[i].text.len() < 2
    {
        return None;
    }
    for k in [d, i] {
        let text = &mut stretch[k].text;
        if leading {
            text.remove(0);
        } else {
            text.pop();
        }
    }
    Some(Segment {
        op: SegmentOp::Equal,
        text: " ".into(),
        emphasised: false,
        italic: false,
    })
}

/// Appends a segment, joining it to the last one when op and styles agree
/// and neither is a paragraph break.
fn join(out: &mut Vec<Segment>, s: Segment) {
    if let Some(last) = out.last_mut()
        && last.op == s.op
        && last.emphasised == s.emphasised
        && last.italic == s.italic
        && last.text != PARAGRAPH_BREAK
        && s.text != PARAGRAPH_BREAK
    {
        last.text.push_str(&s.text);
        return;
    }
    out.push(s);
}

#[cfg(test)]
mod tests {
    use super::super::normalize::tokenize;
    use super::*;

    /// The markup of a word diff, `[-old-]{+new+}`.
    fn show(old: &str, new: &str) -> String {
        let (ot, nt) = (tokenize(old, &[]), tokenize(new, &[]));
        let text = |src: &str, toks: &[Token], r: std::ops::Range<usize>| -> String {
            toks[r].iter().map(|t| &src[t.range.clone()]).collect()
        };
        let mut out = String::new();
        for item in word_items(&ot, &nt) {
            if item.equal {
                out += &text(new, &nt, item.new);
                continue;
            }
            let (d, i) = (text(old, &ot, item.old), text(new, &nt, item.new));
            if !d.is_empty() {
                out += &format!("[-{d}-]");
            }
            if !i.is_empty() {
                out += &format!("{{+{i}+}}");
            }
        }
        out
    }

    #[test]
    fn word_diffs_read_like_an_editors_marks() {
        let cases = [
            (
                "including president Vladimir Putin",
                "including President Vladimir Putin",
                "including [-president-]{+President+} Vladimir Putin",
            ),
            (
                "Still, the exchange admitted that it was",
                "Meanwhile, the exchange previously stated that it was",
                "[-Still-]{+Meanwhile+}, the exchange [-admitted-]{+previously stated+} that it was",
            ),
            (
                "killed 12, injured 30 people",
                "killed 15, injured 31 people",
                "killed [-12-]{+15+}, injured [-30-]{+31+} people",
            ),
            (
                "alpha - beta rest",
                "gamma - delta rest",
                "[-alpha - beta-]{+gamma - delta+} rest",
            ),
            ("the end", "the end", "the end"),
            ("", "new words", "{+new words+}"),
        ];
        for (old, new, want) in cases {
            assert_eq!(show(old, new), want, "{old:?} -> {new:?}");
        }
    }

    #[test]
    fn deletions_come_first_and_shared_spaces_stay_outside() {
        let seg = |op, text: &str| Segment {
            op,
            text: text.into(),
            emphasised: false,
            italic: false,
        };
        let input = vec![
            seg(SegmentOp::Equal, "A."),
            seg(SegmentOp::Inserted, " C."),
            seg(SegmentOp::Deleted, " B."),
        ];
        let want = vec![
            seg(SegmentOp::Equal, "A. "),
            seg(SegmentOp::Deleted, "B."),
            seg(SegmentOp::Inserted, "C."),
        ];
        assert_eq!(deletions_first(input), want);
    }
}
