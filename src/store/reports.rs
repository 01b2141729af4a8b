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
