//! Randomised edits of the seed article: whatever is changed, `compare`
//! never panics, every edit's segments rebuild both texts, comparing a
//! version with itself reports nothing, and every added or removed block
//! is accounted for exactly once.

#[path = "fixtures/diff/support.rs"]
mod support;

use redline::article::{Article, Block, BlockKind, Emphasis, Style};
use redline::diff::{DiffOptions, compare};
use redline::report::Change;

/// One random editorial change to `article`.
fn mutate(rng: &mut fastrand::Rng, article: &mut Article) {
    let n = article.blocks.len();
    if n == 0 {
        article.blocks.push(Block::new(
            BlockKind::Paragraph,
            "A fresh paragraph appears.",
        ));
        return;
    }
    let at = rng.usize(..n);
    let text = article.blocks[at].text.clone();
    let words: Vec<&str> = text.split(' ').collect();
    match rng.u8(..8) {
        0 => {
            let w = rng.usize(..words.len());
            let mut w2 = words.clone();
            w2[w] = ["twelve", "15", "“quoted words here”", "Meanwhile,", "—"][rng.usize(..5)];
            article.blocks[at] = Block::new(BlockKind::Paragraph, &w2.join(" "));
        }
        1 => {
            article.blocks.remove(at);
        }
        2 => {
            let to = rng.usize(..n);
            let block = article.blocks.remove(at);
            article.blocks.insert(to, block);
        }
        3 if words.len() > 4 => {
            let cut = rng.usize(1..words.len() - 1);
            article.blocks[at] = Block::new(BlockKind::Paragraph, &words[..cut].join(" "));
            article.blocks.insert(
                at + 1,
                Block::new(BlockKind::Paragraph, &words[cut..].join(" ")),
            );
        }
        4 if at + 1 < n => {
            let next = article.blocks.remove(at + 1);
            article.blocks[at] = Block::new(BlockKind::Paragraph, &format!("{text} {}", next.text));
        }
        5 => {
            let len = article.blocks[at].text.len();
            let end = (1..=len)
                .rev()
                .find(|&e| article.blocks[at].text.is_char_boundary(e) && e <= len / 2 + 1);
            if let Some(end) = end {
                article.blocks[at].emphasis = vec![Emphasis {
                    start: 0,
                    end,
                    style: Style::Bold,
                }];
            }
        }
        6 => article.blocks.insert(
            at,
            Block::new(
                BlockKind::Paragraph,
                "Update: This story was updated on May 3.",
            ),
        ),
        _ => {
            article.blocks[at] = Block::new(
                BlockKind::Paragraph,
                &format!("{text} An added sentence, with 3 numbers."),
            )
        }
    }
}

#[test]
fn random_edits_keep_the_report_consistent() {
    let mut rng = fastrand::Rng::with_seed(425);
    let base = support::v2();
    for round in 0..150 {
        let mut old = base.clone();
        for _ in 0..rng.usize(0..4) {
            mutate(&mut rng, &mut old);
        }
        let mut new = old.clone();
        for _ in 0..rng.usize(1..8) {
            mutate(&mut rng, &mut new);
        }
        let report = compare(&old, &new, &DiffOptions::default());
        support::check_segments(&old, &new, &report);
        assert!(
            compare(&new, &new, &DiffOptions::default()).is_empty(),
            "round {round}"
        );
        let mut seen_new = vec![0usize; new.blocks.len()];
        let mut seen_old = vec![0usize; old.blocks.len()];
        for change in &report.changes {
            match change {
                Change::Added { new_index, blocks } => {
                    (0..blocks.len()).for_each(|k| seen_new[new_index + k] += 1)
                }
                Change::Removed { old_index, blocks } => {
                    (0..blocks.len()).for_each(|k| seen_old[old_index + k] += 1)
                }
                Change::Edited {
                    old_index,
                    new_index,
                    old_count,
                    new_count,
                    ..
                } => {
                    (0..*old_count).for_each(|k| seen_old[old_index + k] += 1);
                    (0..*new_count).for_each(|k| seen_new[new_index + k] += 1);
                }
                Change::Moved {
                    old_index,
                    new_index,
                    ..
                } => {
                    seen_old[*old_index] += 1;
                    seen_new[*new_index] += 1;
                }
                Change::Note { new_index, .. } => seen_new[*new_index] += 1,
                Change::Emphasised { .. } | Change::Deemphasised { .. } => {}
            }
        }
        assert!(
            seen_new.iter().all(|&c| c <= 1),
            "round {round}: a new block reported twice: {report:#?}"
        );
        assert!(
            seen_old.iter().all(|&c| c <= 1),
            "round {round}: an old block reported twice: {report:#?}"
        );
    }
}
