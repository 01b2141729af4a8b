//! The blocking part of a check: extract the page, compare it with the
//! version the page showed last, and store what is new. It runs on a
//! blocking thread and owns everything it touches; `scraper::Html` lives
//! and dies inside [`extract::extract`].
//!
//! The order of the questions is what keeps a watch from failing for good:
//! a page that is a version already stored is the page as it was (a
//! return), whatever the quality guard would say of it; only a new text is
//! judged for plausibility, and a new text the guard refuses is accepted
//! once it stayed the same over [`STABLE_CHECKS`] checks, or when a person
//! asked for it (`redline accept`). This module must not hand alerts over:
//! it says what it found as a [`Verdict`].

use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::sync::OwnedSemaphorePermit;

use super::CheckError;
use super::announce::{Move, Tag};
use crate::article::Article;
use crate::charset::{EncodingDifference, encoding_only_difference};
use crate::diff::{self, DiffOptions};
use crate::extract::{self, Anchor, ExtractOptions, Implausible, Seen};
use crate::report::Report;
use crate::store::{
    KeptAnchor, NewVersion, Shown, Shrink, Snapshot, Store, StoredReport, VersionInfo,
};
use crate::watchlist::Watch;

/// How many checks in a row must see the same refused shrink before it is
/// taken as the new article: a page cut short by a fault rarely comes back
/// identical three times, a rewrite does.
pub const STABLE_CHECKS: u32 = 3;

/// What the analysis found.
#[derive(Debug)]
pub(super) enum Verdict {
    /// No version was stored: this one is the baseline.
    Baseline {
        /// Its number.
        version: u32,
    },
    /// The article is the version the page showed last.
    Unchanged,
    /// A new version, stored: the move to announce.
    Changed(Move),
    /// The page shows a version stored earlier again: the move back
    /// (`reverted`), announced once per distinct move.
    Returned(Move),
}

/// The verdict and the refused-shrink record to keep in the state.
pub(super) struct Analysed {
    /// What was found, or why the page cannot be taken.
    pub verdict: Result<Verdict, CheckError>,
    /// The refused shrink to remember (`None` once the page was taken).
    pub shrink: Option<Shrink>,
    /// Where the article was found this time, for the next check.
    pub anchor: Option<KeptAnchor>,
    /// The version the page shows now with its fingerprint, when known.
    pub shows: Option<Shown>,
    /// When the page says the article was published, when it says so.
    pub published: Option<DateTime<Utc>>,
    /// Whether the prescreen answered without parsing the page.
    pub prescreened: bool,
}

/// Everything the blocking analysis needs, owned.
pub(super) struct Analysis {
    /// The store versions are read from and written to.
    pub store: Arc<Store>,
    /// The watch checked.
    pub watch: Watch,
    /// The page, decoded; dropped as soon as it is extracted.
    pub html: String,
    /// The address it came from, after redirects.
    pub url: String,
    /// The version the page showed at the last successful check.
    pub base: Option<u32>,
    /// The fingerprint of `base`, from the state: an identical page is
    /// answered without listing or reading the stored versions.
    pub shown: Option<Shown>,
    /// The highest version number the state knows of.
    pub above: u32,
    /// The refused shrink seen at the previous checks.
    pub shrink: Option<Shrink>,
    /// How many versions to keep (`None`: all).
    pub keep_versions: Option<usize>,
    /// Store nothing (`check --dry-run`): report what a check would store.
    pub dry_run: bool,
    /// Where the article was found at the last check, trimmed when the
    /// state came from the store's cache: the whole anchor is then read
    /// from the store only when the page is extracted.
    pub anchor: Option<KeptAnchor>,
    /// When the check started: a new version's capture time.
    pub now: DateTime<Utc>,
    /// The check's share of the cores, given back before the store is
    /// written: a version's fsyncs wait for the disk, and another check's
    /// parse can use the core meanwhile.
    pub cpu: Option<OwnedSemaphorePermit>,
}

impl Analysis {
    /// Runs the analysis.
    pub fn run(mut self) -> Analysed {
        let mut shrink = self.shrink.take();
        let (mut anchor, mut shows, mut published) = (None, None, None);
        let mut prescreened = false;
        let verdict = self.judge(
            &mut shrink,
            &mut anchor,
            &mut shows,
            &mut published,
            &mut prescreened,
        );
        Analysed {
            verdict,
            shrink,
            anchor,
            shows,
            published,
            prescreened,
        }
    }

    fn judge(
        mut self,
        shrink: &mut Option<Shrink>,
        anchor: &mut Option<KeptAnchor>,
        shows: &mut Option<Shown>,
        published: &mut Option<DateTime<Utc>>,
        prescreened: &mut bool,
    ) -> Result<Verdict, CheckError> {
        let options = ExtractOptions {
            selector: self.watch.selector.as_ref().map(|s| s.selector.clone()),
            ignore: self
                .watch
                .ignore
                .iter()
                .map(|s| s.selector.clone())
                .collect(),
        };
        let html = std::mem::take(&mut self.html);
        let page = page_digest(&html, &options);
        if let Some((shown, by_region)) = self.read_before(&page, &html, &options) {
            *shrink = None;
            *shows = Some(shown);
            *anchor = self.anchor.take();
            *prescreened = by_region;
            return Ok(Verdict::Unchanged);
        }
        // Where the last check found the article, while it plausibly still
        // holds it: furniture changing around it cannot move the boundary.
        let before = self.whole_anchor()?;
        let extracted = extract::extract_at(&html, &options, before.as_ref())?;
        drop(html);
        if let Some(why) = &extracted.fallback {
            tracing::info!(watch = %self.watch.name, reason = %why, "detecting the article afresh");
        }
        let article = extracted.article;
        *published = article.published_at;
        let fingerprint = article.fingerprint();
        *anchor = extracted.anchor.map(|a| {
            KeptAnchor::Whole(Box::new(Anchor {
                seen: Some(Seen {
                    page,
                    fingerprint: fingerprint.0.clone(),
                    region: extracted.region,
                }),
                ..a
            }))
        });
        if let Some(shown) = &self.shown
            && Some(shown.version) == self.base
            && shown.fingerprint == fingerprint.0
        {
            *shrink = None;
            *shows = Some(shown.clone());
            return Ok(Verdict::Unchanged);
        }
        let name = &self.watch.name;
        let versions = self.store.versions(name)?;
        let Some(base) = self.base_snapshot(&versions)? else {
            let stored = self.keep(article, None, &versions)?;
            *shows = Some(Shown::of(&stored));
            return Ok(Verdict::Baseline {
                version: stored.version,
            });
        };
        // Until told otherwise, the page shows its base.
        *shows = Some(Shown::of(&base));
        if fingerprint == base.fingerprint {
            *shrink = None;
            return Ok(Verdict::Unchanged);
        }
        // A version already stored is the page as it once was: never a
        // fault, whatever its length.
        let seen = versions
            .iter()
            .find(|v| fingerprint.0.starts_with(&v.fingerprint.0));
        if let Some(seen) = seen {
            *shrink = None;
            let earlier = self.store.read(seen)?;
            let report = self.compare(&base.article, &earlier.article);
            if report.is_empty() {
                return Ok(Verdict::Unchanged);
            }
            *shows = Some(Shown::of(&earlier));
            return Ok(Verdict::Returned(Move {
                from: Tag::of(&base),
                to: Tag::of(&earlier),
                headline: earlier.article.headline,
                report,
                reverted: true,
            }));
        }
        self.judge_new(base, article, &fingerprint.0, shrink, shows, &versions)
    }

    /// A text never stored: judged for plausibility (unless a person asked
    /// for it to be taken), compared, and stored with its report.
    fn judge_new(
        &mut self,
        base: Snapshot,
        article: Article,
        fingerprint: &str,
        shrink: &mut Option<Shrink>,
        shows: &mut Option<Shown>,
        listed: &[VersionInfo],
    ) -> Result<Verdict, CheckError> {
        let name = &self.watch.name.clone();
        // Mis-decoded text is a fault of the page's charset, not an edit.
        match encoding_only_difference(&base.article, &article) {
            Some(EncodingDifference::Damaged(fault)) => return Err(fault.into()),
            Some(EncodingDifference::Repaired) => return Ok(Verdict::Unchanged),
            None => {}
        }
        let accept = self.store.accept_requested(name);
        if !accept && let Err(why) = extract::check_plausible(&base.article, &article) {
            self.stable_shrink(shrink, fingerprint, why)?;
        }
        *shrink = None;
        let report = self.compare(&base.article, &article);
        if report.is_empty() {
            // A version stored before titles were kept differs only in its
            // digest: it is replaced silently, so that later title changes
            // are compared against a version that knows them.
            if base.article.titles.is_none() && article.titles.is_some() {
                let stored = self.keep(article, None, listed)?;
                return Ok(Verdict::Baseline {
                    version: stored.version,
                });
            }
            // Only invisible or masked differences: not a change, not stored.
            return Ok(Verdict::Unchanged);
        }
        let headline = article.headline.clone();
        let stored_report = StoredReport {
            from: base.version,
            report: report.clone(),
        };
        let stored = self.keep(article, Some(stored_report), listed)?;
        *shows = Some(Shown::of(&stored));
        if self.dry_run {
            return Ok(Verdict::Changed(Move {
                from: Tag::of(&base),
                to: Tag::of(&stored),
                headline,
                report,
                reverted: false,
            }));
        }
        if accept {
            self.store.clear_accept(name)?;
            tracing::info!(watch = %name, version = stored.version, "page accepted as asked");
        }
        if let Some(keep) = self.keep_versions {
            self.store.prune(name, keep)?;
        }
        Ok(Verdict::Changed(Move {
            from: Tag::of(&base),
            to: Tag::of(&stored),
            headline,
            report,
            reverted: false,
        }))
    }

    /// The last check's anchor whole, for an extraction: a trimmed one is
    /// read again from the store, past its cache. A file another process
    /// replaced since holds another anchor, which is not this one's; the
    /// article is then detected afresh, as without an anchor.
    fn whole_anchor(&mut self) -> Result<Option<Anchor>, CheckError> {
        Ok(match self.anchor.take() {
            Some(KeptAnchor::Whole(anchor)) => Some(*anchor),
            Some(KeptAnchor::Trimmed(trimmed)) => self
                .store
                .anchor(&self.watch.name)?
                .filter(|whole| trimmed.is_of(whole)),
            None => None,
        })
    }

    /// What the page shows, when the article read from the page the
    /// anchor was last made from is the one the state says the page shows,
    /// and this page would read the same without being parsed: it is that
    /// very page (`page` is its digest; a page that differs by one byte is
    /// not), or its article's region and everything read beside it are
    /// unchanged although the furniture around them moved (the prescreen,
    /// `extract::prescreen_unchanged`; then `true` comes with it).
    fn read_before(
        &self,
        page: &str,
        html: &str,
        options: &ExtractOptions,
    ) -> Option<(Shown, bool)> {
        let seen = self.anchor.as_ref()?.seen()?;
        let shown = self.shown.as_ref()?;
        if Some(shown.version) != self.base || shown.fingerprint != seen.fingerprint {
            return None;
        }
        if seen.page == page {
            return Some((shown.clone(), false));
        }
        let region = seen.region.as_ref()?;
        extract::prescreen_unchanged(html, options, region).then(|| (shown.clone(), true))
    }

    /// Counts a refused text seen again; passes once it stayed the same
    /// over [`STABLE_CHECKS`] checks and is a shrink (a stand-in page or
    /// another page altogether is never taken on its persistence alone).
    fn stable_shrink(
        &self,
        shrink: &mut Option<Shrink>,
        fingerprint: &str,
        why: Implausible,
    ) -> Result<(), CheckError> {
        let checks = match shrink {
            Some(s) if s.fingerprint == fingerprint => s.checks + 1,
            _ => 1,
        };
        let shrinking = matches!(
            why,
            Implausible::Collapsed { .. } | Implausible::NoParagraphs { .. }
        );
        if shrinking && checks >= STABLE_CHECKS {
            tracing::info!(watch = %self.watch.name, checks, "a shorter article stayed the same over several checks; taking it as the new version");
            return Ok(());
        }
        *shrink = Some(Shrink {
            fingerprint: fingerprint.to_owned(),
            checks,
        });
        Err(why.into())
    }

    /// The version the page showed last. When the state names a version
    /// that is gone (moved aside as a damaged file's message advises), the
    /// newest stored version stands in; `None` when nothing is stored.
    fn base_snapshot(&self, versions: &[VersionInfo]) -> Result<Option<Snapshot>, CheckError> {
        let named = self
            .base
            .and_then(|b| versions.iter().find(|v| v.version == b));
        let info = match (named, self.base) {
            (Some(info), _) => info,
            (None, Some(missing)) => {
                let Some(newest) = versions.last() else {
                    return Ok(None);
                };
                tracing::warn!(watch = %self.watch.name, missing, instead = newest.version, "the version the page showed last is gone from the store; comparing with the newest stored version");
                newest
            }
            (None, None) => match versions.last() {
                Some(newest) => newest,
                None => return Ok(None),
            },
        };
        Ok(Some(self.store.read(info)?))
    }

    fn compare(&self, old: &Article, new: &Article) -> Report {
        let options = DiffOptions {
            ignore_text: self.watch.ignore_text.clone(),
        };
        diff::compare(old, new, &options)
    }

    /// Stores `article` (with its report) as the watch's next version; a
    /// dry run stores nothing and answers with the version a real check
    /// would have stored. The core is given back first: what follows waits
    /// for the disk. `listed` is the watch's versions as this check listed
    /// them, which the store need not list again.
    fn keep(
        &mut self,
        article: Article,
        report: Option<StoredReport>,
        listed: &[VersionInfo],
    ) -> Result<Snapshot, CheckError> {
        drop(self.cpu.take());
        let name = &self.watch.name;
        let new = NewVersion {
            article,
            url: &self.url,
            captured_at: self.now,
            report,
            above: self.above,
        };
        Ok(if self.dry_run {
            self.store.would_add(name, new)?
        } else {
            self.store.add_version_listed(name, new, listed)?
        })
    }
}

/// A digest of a page as extraction reads it with `options`: its text,
/// the options' selectors, and this build's version (another build may
/// read the same page otherwise). BLAKE3, which hashes a page in a few
/// microseconds where parsing it takes hundreds.
fn page_digest(html: &str, options: &ExtractOptions) -> String {
    use scraper::selector::ToCss;
    let mut hasher = blake3::Hasher::new();
    let mut field = |bytes: &[u8]| {
        // Length-prefixed, so that no field's bytes can pass for another's.
        hasher.update(&(bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    };
    field(env!("CARGO_PKG_VERSION").as_bytes());
    let selector = options.selector.as_ref().map(ToCss::to_css_string);
    field(selector.unwrap_or_default().as_bytes());
    for ignored in &options.ignore {
        field(ignored.to_css_string().as_bytes());
    }
    field(html.as_bytes());
    hasher.finalize().to_hex()[..32].to_string()
}
