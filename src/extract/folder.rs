//! Running the extractor over a folder of saved pages, one `NAME.txt` per
//! page, for the extraction benchmark and for checking selectors in bulk.
//!
//! This is the extractor's only file I/O; it must not hold any extraction
//! logic of its own.

use std::fs;
use std::io;
use std::path::Path;

use super::{ExtractOptions, extract};

/// What a folder run did.
#[derive(Debug, Default)]
pub struct FolderRun {
    /// Pages extracted (failures included).
    pub pages: usize,
    /// Bytes of HTML read.
    pub bytes: u64,
    /// Pages whose extraction failed, with the reason; their `NAME.txt` is
    /// written empty.
    pub failures: Vec<(String, String)>,
}

/// Extracts every `pages/NAME/page.html` into `out/NAME.txt`: the body's
/// blocks separated by blank lines, without the headline. Pages are
/// decoded as the fetcher decodes a body without a charset header (a
/// byte-order mark, else `<meta charset>`, else UTF-8).
///
/// # Errors
///
/// Fails when `pages` cannot be listed, a page cannot be read, or `out`
/// cannot be created or written. An extraction failure is not an error: it
/// is listed in [`FolderRun::failures`].
pub fn extract_folder(pages: &Path, out: &Path) -> io::Result<FolderRun> {
    fs::create_dir_all(out)?;
    let mut names: Vec<String> = fs::read_dir(pages)?
        .filter_map(Result::ok)
        .filter(|e| e.path().join("page.html").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let options = ExtractOptions::default();
    let mut run = FolderRun::default();
    for name in names {
        let bytes = fs::read(pages.join(&name).join("page.html"))?;
        run.pages += 1;
        run.bytes += bytes.len() as u64;
        // Saved pages have no headers: the fetcher's own decoding (BOM,
        // then `<meta charset>`, else UTF-8) reads them as a check would.
        let html = crate::fetch::decode(bytes, "");
        let text = match extract(&html, &options) {
            Ok(article) => article.body_text(),
            Err(error) => {
                run.failures.push((name.clone(), error.to_string()));
                String::new()
            }
        };
        fs::write(out.join(format!("{name}.txt")), text + "\n")?;
    }
    Ok(run)
}
