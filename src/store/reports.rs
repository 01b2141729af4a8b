//! Change reports kept beside their versions
//! (`000002-<fingerprint>.report.json`): the JSON renderer's versioned
//! document, written by [`Store::add_version`] before the version itself
//! and read back here. A report names the version it was compared with in
//! its context's `from`. This module must not compute reports.

use std::io;

use serde::Deserialize;

use super::{Store, StoreError, VersionInfo, read_json};
use crate::report::Report;

/// A version's change report: what changed since the version it was
/// compared with when it was stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredReport {
    /// The version compared against.
    pub from: u32,
    /// What changed.
    pub report: Report,
}

impl Store {
    /// The change report stored beside `info`'s version: `None` for a
    /// baseline or a version stored before reports were kept.
    ///
    /// # Errors
    ///
    /// An I/O error, or [`StoreError::Corrupt`] when the report is damaged.
    pub fn report(&self, info: &VersionInfo) -> Result<Option<StoredReport>, StoreError> {
        let Some(name) = info.path.file_name().and_then(|n| n.to_str()) else {
            return Ok(None);
        };
        let path = info.path.with_file_name(report_file_name(name));
        let file: ReportFile = match read_json(&path) {
            Ok(file) => file,
            Err(StoreError::Io { source, .. }) if source.kind() == io::ErrorKind::NotFound => {
                return Ok(None);
            }
            Err(e) => return Err(e),
        };
        let from = file
            .context
            .from
            .as_deref()
            .and_then(|f| f.strip_prefix('v'))
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| StoreError::Corrupt {
                path: path.clone(),
                reason: "the report does not name the version it was compared with".into(),
            })?;
        Ok(Some(StoredReport {
            from,
            report: file.report,
        }))
    }
}

/// The shape of a stored report file that is read back: the JSON
/// renderer's document, of which the context's `from` and the report
/// itself are needed.
#[derive(Deserialize)]
struct ReportFile {
    context: ReportContext,
    #[serde(flatten)]
    report: Report,
}

#[derive(Deserialize)]
struct ReportContext {
    from: Option<String>,
}

/// `000002-ab12.json` → `000002-ab12.report.json`.
pub(super) fn report_file_name(version_file: &str) -> String {
    let stem = version_file.strip_suffix(".json").unwrap_or(version_file);
    format!("{stem}.report.json")
}

#[cfg(test)]
mod tests {
    use std::fs;

    use chrono::Utc;

    use crate::article::{Block, BlockKind};
    use crate::report::{Change, Report};
    use crate::store::tests::article;
    use crate::store::{NewVersion, Store, StoredReport, version_file_name};
    use crate::watchlist::WatchName;

    fn new(text: &str, report: Option<StoredReport>) -> NewVersion<'static> {
        NewVersion {
            article: article(text),
            url: "http://a/",
            captured_at: Utc::now(),
            report,
            above: 0,
        }
    }

    /// A write stopped between the report's rename and the version's (here
    /// by a folder in the version's place) leaves the report alone, no
    /// version and no temporary file; the next check stores the version
    /// under the same number, over that report.
    #[test]
    fn a_write_stopped_between_report_and_version_is_taken_up_again() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(dir.path()).expect("open");
        let watch = WatchName::parse("story").expect("valid name");
        store.add_version(&watch, new("one", None)).expect("v1");
        let report = Report {
            changes: vec![Change::Added {
                new_index: 1,
                blocks: vec![Block::new(BlockKind::Paragraph, "two")],
            }],
            ..Report::default()
        };
        let stored = || {
            Some(StoredReport {
                from: 1,
                report: report.clone(),
            })
        };
        let versions = dir.path().join("story/versions");
        let listed = store.versions(&watch).expect("list");
        let blocker = versions.join(version_file_name(2, &article("one two").fingerprint()));
        fs::create_dir_all(blocker.join("inside")).expect("a folder in the version's place");
        let stopped = store.add_version_listed(&watch, new("one two", stored()), &listed);
        assert!(stopped.is_err());
        fs::remove_dir_all(&blocker).expect("remove the folder");
        let listed = store.versions(&watch).expect("list");
        assert_eq!(listed.iter().map(|v| v.version).collect::<Vec<_>>(), [1]);
        let names: Vec<String> = fs::read_dir(&versions)
            .expect("list")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
        assert!(
            names.iter().any(|n| n.ends_with(".report.json")),
            "{names:?}"
        );

        let v2 = store
            .add_version(&watch, new("one two", stored()))
            .expect("v2");
        assert_eq!(v2.version, 2);
        let listed = store.versions(&watch).expect("list");
        let kept = store.report(&listed[1]).expect("read").expect("kept");
        assert_eq!((kept.from, kept.report), (1, report));
    }
}
