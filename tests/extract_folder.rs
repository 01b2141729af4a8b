//! `extract_folder`: a folder of saved pages becomes one `NAME.txt` per page
//! (the body's blocks separated by blank lines, no headline), and a page
//! that cannot be extracted is listed, with its file written empty; pages
//! are decoded by their charset as the fetcher decodes them.

use std::fs;
use std::path::Path;

use redline::extract::extract_folder;

fn copy_fixture(from: &str, pages: &Path, name: &str) {
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(from);
    fs::create_dir_all(pages.join(name)).expect("a page folder can be created");
    fs::copy(&source, pages.join(name).join("page.html")).expect("the fixture can be copied");
}

#[test]
fn every_page_gets_a_text_file() {
    let pages = tempfile::tempdir().expect("a temporary folder");
    let out = tempfile::tempdir().expect("a temporary folder");
    copy_fixture("seed/v2.html", pages.path(), "seed-v2");
    copy_fixture("extract/synthetic/consent.html", pages.path(), "consent");
    fs::create_dir_all(pages.path().join("no-page-here")).expect("a folder without a page");

    let run = extract_folder(pages.path(), out.path()).expect("the folder run works");

    assert_eq!(run.pages, 2);
    assert!(run.bytes > 0);
    assert_eq!(run.failures.len(), 1);
    assert_eq!(run.failures[0].0, "consent");
    let text = fs::read_to_string(out.path().join("seed-v2.txt")).expect("the seed's text");
    let blocks: Vec<&str> = text.trim_end().split("\n\n").collect();
    assert_eq!(blocks.len(), 19);
    assert!(blocks[0].starts_with("A local representative"));
    assert!(!text.contains("Binance Regional Head Agreed to Hand Client Data"));
    let consent = fs::read_to_string(out.path().join("consent.txt")).expect("an empty file");
    assert!(consent.trim().is_empty());
    assert!(!out.path().join("no-page-here.txt").exists());
}

#[test]
fn pages_are_decoded_by_their_meta_charset() {
    let pages = tempfile::tempdir().expect("a temporary folder");
    let out = tempfile::tempdir().expect("a temporary folder");
    let mut html = b"<html><head><meta charset=\"windows-1252\"></head><body><article>".to_vec();
    for _ in 0..6 {
        html.extend_from_slice(
            b"<p>Der B\xe4cker sagte \x93gr\xfc\xdf Gott\x94, und die Stra\xdfe war voll, \
              als die Sonne \xfcber den D\xe4chern aufging und alle zum Markt gingen.</p>",
        );
    }
    html.extend_from_slice(b"</article></body></html>");
    fs::create_dir_all(pages.path().join("latin")).expect("a page folder");
    fs::write(pages.path().join("latin/page.html"), html).expect("the page is written");

    extract_folder(pages.path(), out.path()).expect("the folder run works");

    let text = fs::read_to_string(out.path().join("latin.txt")).expect("the page's text");
    assert!(text.contains("Der Bäcker sagte “grüß Gott”"), "{text}");
}
