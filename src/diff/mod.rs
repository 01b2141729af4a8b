//! Comparison of two versions of an article into a change [`Report`].
//!
//! [`compare`] reads like an editor marking up a revised draft, in levels:
//! blocks are anchored where unchanged, paired by similarity where edited
//! (a split or merge reads as one edit), recognised as moved when they
//! reappear elsewhere; inside paired blocks sentences are paired, and only
//! inside paired sentences are words compared. Notes, changed numbers,
//! quotations and emphasis are reported on their own.
//!
//! Differences a reader cannot see never count: white space, NBSP, soft
//! hyphens, quote and dash styles and Unicode forms are folded away
//! (`normalize`), and the text a watch ignores is masked.
//!
//! This module is pure: no I/O, no clock, and the same inputs always give
//! the same report. Work is bounded by size caps rather than a deadline, so
//! that a pathological pair (everything changed) is still reproducible.

mod align;
mod markup;
mod normalize;
mod notes;
mod pairing;
mod prepared;
mod quotes;
mod sentences;
mod words;

use std::cell::OnceCell;
use std::collections::HashSet;
use std::ops::Range;

use regex::Regex;

use crate::article::{Article, Block, BlockKind, Titles};
use crate::report::{Change, Finding, NoteStatus, Report, TextChange, TitleChange, TitleKind};
use align::BlockOp;
use prepared::{Prepared, prepare};
use words::Edit;

/// How to compare two versions.
#[derive(Debug, Clone, Default)]
pub struct DiffOptions {
    /// Text to mask before comparing (a watch's ignore patterns, e.g.
    /// relative times such as `\d+ minutes ago`): whatever a match says, it
    /// compares equal to any other match. Default: nothing is masked.
    pub ignore_text: Vec<Regex>,
}

/// Compares an old and a new version of an article. Pure: no I/O.
///
/// The report's `changes` come in the new version's reading order, one per
/// run of added or removed blocks, edited block (or split/merge), moved
/// block, restyled passage and new or changed note; a note is reported as
/// a note and never also as added text. `headline` and `byline` are set
/// when they changed, and `titles` lists the metadata titles that changed
/// (see `title_changes` for versions stored before titles were kept); `findings` name the numbers and quotations that
/// changed inside kept text. Identical versions give an empty report.
///
/// ```
/// use redline::article::{Article, Block, BlockKind};
/// use redline::diff::{DiffOptions, compare};
/// use redline::report::{Format, RenderContext, render};
///
/// let body = |text: &str| Article { blocks: vec![Block::new(BlockKind::Paragraph, text)], ..Article::default() };
/// let report = compare(&body("At least 12 people died."), &body("At least 15 people died."), &DiffOptions::default());
/// assert_eq!(report.summary(), "1 edit, 1 number changed");
/// let text = render(&report, &RenderContext::default(), Format::Text);
/// assert!(text.contains("At least [-12-]{+15+} people died."));
/// ```
pub fn compare(old: &Article, new: &Article, options: &DiffOptions) -> Report {
    // Most checks find the article untouched: say so without tokenising it.
    if old.headline == new.headline
        && old.titles == new.titles
        && old.byline == new.byline
        && old.blocks == new.blocks
    {
        return Report::default();
    }
    let old_blocks = prepare(&old.blocks, &options.ignore_text);
    let new_blocks = prepare(&new.blocks, &options.ignore_text);
    // The headline's meaning changed when the titles came: it is compared
    // only between versions that agree on whether they know the titles.
    let headline = if old.titles.is_some() == new.titles.is_some() {
        field_change(
            old.headline.as_deref(),
            new.headline.as_deref(),
            &options.ignore_text,
        )
    } else {
        None
    };
    let mut builder = Builder {
        old: &old_blocks,
        new: &new_blocks,
        old_quotes: OnceCell::new(),
        new_quotes: OnceCell::new(),
        report: Report {
            headline,
            titles: title_changes(
                old.titles.as_ref(),
                new.titles.as_ref(),
                &options.ignore_text,
            ),
            byline: field_change(
                old.byline.as_deref(),
                new.byline.as_deref(),
                &options.ignore_text,
            ),
            ..Report::default()
        },
    };
    for op in align::align(&old_blocks, &new_blocks) {
        builder.add(op);
    }
    builder.report
}

/// The change of a whole field (headline, byline), word by word.
fn field_change(old: Option<&str>, new: Option<&str>, ignore: &[Regex]) -> Option<TextChange> {
    let (old, new) = (old.unwrap_or(""), new.unwrap_or(""));
    if normalize::field_key(old, ignore) == normalize::field_key(new, ignore) {
        return None;
    }
    let segments = if old.is_empty() || new.is_empty() {
        Vec::new()
    } else {
        let (a, b) = (
            Block::new(BlockKind::Paragraph, old),
            Block::new(BlockKind::Paragraph, new),
        );
        let (a, b) = (
            prepare(std::slice::from_ref(&a), ignore),
            prepare(std::slice::from_ref(&b), ignore),
        );
        words::edit(&[&a[0]], &[&b[0]]).segments
    };
    Some(TextChange {
        old: old.to_string(),
        new: new.to_string(),
        segments,
    })
}

/// The changes of the metadata titles, in [`TitleKind::ALL`]'s order.
///
/// The rule for versions of different ages: a title is compared only when
/// both versions know the titles ([`Article::titles`] is `Some`). Then a
/// title present in both and different is a change, and so is one that
/// appeared or disappeared. When either version predates the titles (an
/// upgrade), nothing is reported, whatever the other holds: the old version
/// never looked for them, so their absence there says nothing.
fn title_changes(old: Option<&Titles>, new: Option<&Titles>, ignore: &[Regex]) -> Vec<TitleChange> {
    let (Some(old), Some(new)) = (old, new) else {
        return Vec::new();
    };
    TitleKind::ALL
        .into_iter()
        .filter_map(|kind| {
            let change = field_change(kind.of(old), kind.of(new), ignore)?;
            Some(TitleChange { kind, change })
        })
        .collect()
}

/// Turns block operations into the report's changes and findings.
struct Builder<'a, 'p> {
    old: &'a [Prepared<'p>],
    new: &'a [Prepared<'p>],
    /// The quotation keys of each version, gathered on first use: most
    /// edits touch no quotation, and then no block is searched for one.
    old_quotes: OnceCell<HashSet<String>>,
    new_quotes: OnceCell<HashSet<String>>,
    report: Report,
}

/// The quotation keys of a version, gathered once into `cell`.
fn quote_keys<'c>(cell: &'c OnceCell<HashSet<String>>, blocks: &[Prepared]) -> &'c HashSet<String> {
    cell.get_or_init(|| quotes::keys(blocks.iter().map(|p| p.block.text.as_str())))
}

impl Builder<'_, '_> {
    fn add(&mut self, op: BlockOp) {
        match op {
            BlockOp::Equal { old, new } => {
                let (o, n) = (&self.old[old], &self.new[new]);
                if o.block.emphasis != n.block.emphasis || o.block.text != n.block.text {
                    let edit = words::edit(&[o], &[n]);
                    self.restyles(&edit, new);
                }
            }
            BlockOp::Paired { old, new } => self.paired(old, new),
            BlockOp::Moved { old, new } => {
                let edit = words::edit(&[&self.old[old]], &[&self.new[new]]);
                let segments = if edit.changes_text() {
                    edit.segments.clone()
                } else {
                    Vec::new()
                };
                let block = self.new[new].block.clone();
                self.report.changes.push(Change::Moved {
                    old_index: old,
                    new_index: new,
                    block,
                    segments,
                });
                self.restyles(&edit, new);
                self.findings(&edit, old..old + 1, new..new + 1);
            }
            BlockOp::Removed { old } => self.removed(old),
            BlockOp::Added { new } => self.added(new),
        }
    }

    fn paired(&mut self, old: Range<usize>, new: Range<usize>) {
        let olds: Vec<&Prepared> = self.old[old.clone()].iter().collect();
        let news: Vec<&Prepared> = self.new[new.clone()].iter().collect();
        let edit = words::edit(&olds, &news);
        if edit.changes_text() {
            let first = &self.new[new.start];
            let change = match (first.note(), news.len()) {
                (Some(kind), 1) => Change::Note {
                    new_index: new.start,
                    kind,
                    status: NoteStatus::Changed,
                    text: first.block.text.clone(),
                    date: notes::date(&first.block.text),
                    segments: edit.segments.clone(),
                },
                _ => Change::Edited {
                    old_index: old.start,
                    new_index: new.start,
                    old_count: old.len(),
                    new_count: new.len(),
                    kind: first.block.kind,
                    segments: edit.segments.clone(),
                },
            };
            self.report.changes.push(change);
        }
        self.restyles(&edit, new.start);
        self.findings(&edit, old, new);
    }

    /// The numbers and quotations an edit changed, as findings.
    fn findings(&mut self, edit: &Edit, old: Range<usize>, new: Range<usize>) {
        // A changed note is its own finding: its new date is not news.
        let numbers = if self.new[new.start].note().is_some() {
            &[][..]
        } else {
            &edit.numbers[..]
        };
        for number in numbers {
            let text = &self.new[new.start + number.block].block.text;
            self.report.findings.push(Finding::NumberChanged {
                new_index: new.start + number.block,
                old: number.old.clone(),
                new: number.new.clone(),
                sentence: text[number.sentence.clone()].to_string(),
            });
        }
        for i in old {
            self.quotes_removed(i);
        }
        for j in new {
            for q in quotes::quotations(&self.new[j].block.text) {
                if !quote_keys(&self.old_quotes, self.old).contains(&quotes::key(&q)) {
                    self.report.findings.push(Finding::QuoteAdded {
                        new_index: j,
                        text: q,
                    });
                }
            }
        }
    }

    /// Emphasis gained or lost by kept text, as changes of their own.
    fn restyles(&mut self, edit: &Edit, new_start: usize) {
        for r in &edit.restyles {
            let index = new_start + r.block;
            let text = self.new[index].block.text[r.range.clone()]
                .trim()
                .to_string();
            if !text.chars().any(char::is_alphanumeric) {
                continue;
            }
            self.report.changes.push(if r.gained {
                Change::Emphasised {
                    new_index: index,
                    text,
                    style: r.style,
                }
            } else {
                Change::Deemphasised {
                    new_index: index,
                    text,
                    style: r.style,
                }
            });
        }
    }

    fn removed(&mut self, old: usize) {
        let block = self.old[old].block.clone();
        match self.report.changes.last_mut() {
            Some(Change::Removed { old_index, blocks }) if *old_index + blocks.len() == old => {
                blocks.push(block)
            }
            _ => self.report.changes.push(Change::Removed {
                old_index: old,
                blocks: vec![block],
            }),
        }
        self.quotes_removed(old);
    }

    fn added(&mut self, new: usize) {
        let p = &self.new[new];
        if let Some(kind) = p.note() {
            let text = p.block.text.clone();
            let date = notes::date(&text);
            let status = NoteStatus::Added;
            self.report.changes.push(Change::Note {
                new_index: new,
                kind,
                status,
                text,
                date,
                segments: Vec::new(),
            });
            return;
        }
        let block = p.block.clone();
        match self.report.changes.last_mut() {
            Some(Change::Added { new_index, blocks }) if *new_index + blocks.len() == new => {
                blocks.push(block)
            }
            _ => self.report.changes.push(Change::Added {
                new_index: new,
                blocks: vec![block],
            }),
        }
    }

    fn quotes_removed(&mut self, old: usize) {
        for q in quotes::quotations(&self.old[old].block.text) {
            if !quote_keys(&self.new_quotes, self.new).contains(&quotes::key(&q)) {
                self.report.findings.push(Finding::QuoteRemoved {
                    old_index: old,
                    text: q,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(headline: &str, titles: Option<(&str, &str)>) -> Article {
        Article {
            headline: Some(headline.into()),
            titles: titles.map(|(og, document)| Titles {
                og: (!og.is_empty()).then(|| og.into()),
                json_ld: None,
                document: Some(document.into()),
            }),
            ..Article::default()
        }
    }

    /// The rule for versions of different ages, as a table: what an old
    /// version did not know never reads as a change.
    #[test]
    fn titles_and_headline_compare_only_when_both_versions_know_them() {
        let cases = [
            // Stored before titles were kept, against a new extraction:
            // the headline's meaning changed, nothing is compared.
            (
                version("Old meta headline", None),
                version("Visible", Some(("Og", "T"))),
                "no change",
            ),
            // Both old: headlines compare as they always did.
            (version("A", None), version("B", None), "headline changed"),
            // Both know the titles: a title present in both and different.
            (
                version("H", Some(("Og", "T"))),
                version("H", Some(("Og 2", "T"))),
                "og:title changed",
            ),
            // Removed or added while the other side knew the field.
            (
                version("H", Some(("Og", "T"))),
                version("H", Some(("", "T"))),
                "og:title changed",
            ),
            (
                version("H", Some(("", "T"))),
                version("H2", Some(("Og", "T2"))),
                "headline changed, og:title changed, page title changed",
            ),
        ];
        for (old, new, want) in cases {
            let report = compare(&old, &new, &DiffOptions::default());
            assert_eq!(report.summary(), want, "{old:?} → {new:?}");
        }
    }
}
