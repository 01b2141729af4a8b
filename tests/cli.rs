//! The `redline` binary as scripts and people use it: output on the right
//! stream, documented exit codes, the demo, the watchlist commands.

#![allow(clippy::unwrap_used)]

mod support;

#[path = "cli/polish.rs"]
mod polish;
#[path = "cli/watchlist.rs"]
mod watchlist;

use support::{SEED_V1, SEED_V2, Setup, Site, redline, run, text, watch};

#[tokio::test]
async fn demo_prints_the_april_25_change_report() {
    let setup = Setup::new("");
    let output = run(&setup, &["demo"]).await;
    let stdout = text(&output.stdout);
    assert!(
        output.status.success(),
        "{}\n{}",
        stdout,
        text(&output.stderr)
    );
    for expected in [
        "baseline recorded as version 1",
        "new ad, reordered links, new timestamp and CSRF token: the article is unchanged",
        "change detected, version 1 → 2",
        "President",
        "A Binance spokesperson told",
        "Per the Saturday blog post",
        "Updates in bold",
    ] {
        assert!(
            stdout.contains(expected),
            "demo output lacks {expected:?}:\n{stdout}"
        );
    }
    assert!(!stdout.contains('\u{1b}'), "no colour when piped");
}

#[tokio::test]
async fn check_prints_nothing_until_something_changes_then_the_report() {
    let site = Site::start(SEED_V1).await;
    let setup = Setup::new(&watch("binance", &site.url(), ""));

    let first = run(&setup, &["check"]).await;
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    assert_eq!(text(&first.stdout), "", "a baseline reports nothing");
    assert!(
        text(&first.stderr).contains("baseline"),
        "progress goes to standard error"
    );

    let again = run(&setup, &["check", "binance"]).await;
    assert_eq!(
        (again.status.code(), text(&again.stdout)),
        (Some(0), String::new())
    );

    site.serve(SEED_V2);
    let changed = run(&setup, &["check", "--format", "json"]).await;
    assert_eq!(changed.status.code(), Some(0), "{}", text(&changed.stderr));
    let report: serde_json::Value =
        serde_json::from_slice(&changed.stdout).expect("one JSON document");
    assert_eq!(report["schema"], 1, "{report}");
    let changes = report["changes"].as_array().unwrap();
    assert!(changes.iter().any(|c| c["type"] == "note"), "{report}");
    assert!(report.to_string().contains("A Binance spokesperson told"));
}

#[tokio::test]
async fn a_failing_watch_does_not_stop_the_others_and_sets_the_exit_code() {
    let site = Site::start(SEED_V1).await;
    let watches = format!(
        "{}{}",
        watch("good", &site.url(), ""),
        watch("gone", "http://127.0.0.1:9/nothing", "")
    );
    let setup = Setup::new(&watches);
    let output = run(&setup, &["check"]).await;
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("gone") && stderr.contains("connection failed"),
        "{stderr}"
    );
    assert!(
        setup
            .store_dir()
            .join("good/versions")
            .read_dir()
            .unwrap()
            .count()
            == 1,
        "the good watch was checked"
    );
}

#[tokio::test]
async fn unknown_watch_names_are_bad_input() {
    let setup = Setup::new(&watch("one", "https://example.org/a", ""));
    let output = run(&setup, &["check", "two"]).await;
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("no watch named `two`"));
}

#[test]
fn validate_names_file_line_and_field_for_each_kind_of_mistake() {
    let setup = Setup::new(concat!(
        "[[watch]]\nname = \"Bad Name!\"\nurl = \"https://example.org/a\"\n\n",
        "[[watch]]\nname = \"dup\"\nurl = \"not a url\"\n\n",
        "[[watch]]\nname = \"dup\"\nurl = \"https://example.org/b\"\nselector = \"div[[\"\n\n",
        "[[watch]]\nname = \"sched\"\nurl = \"https://example.org/c\"\nschedule = \"61 * * * *\"\nnotify = [\"pager\"]\n",
    ));
    let output = redline(setup.dir.path()).arg("validate").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    // The binary runs in the setup's folder and reads ./watchlist.toml.
    let file = "watchlist.toml";
    // The test settings take 7 lines before the watches start at line 8.
    for (line, field) in [
        (9, "watch[1].name"),
        (14, "watch.dup.url"),
        (17, "watch.dup.name"),
        (19, "watch.dup.selector"),
        (24, "watch.sched.schedule"),
        (25, "watch.sched.notify"),
    ] {
        let located = format!("{file}:{line}:");
        let found = stderr
            .lines()
            .any(|l| l.contains(&located) && l.contains(field));
        assert!(found, "no problem at line {line} naming {field}:\n{stderr}");
    }
    assert!(
        stderr.contains("hint:"),
        "problems come with hints:\n{stderr}"
    );
}

#[test]
fn the_shipped_watchlist_is_valid() {
    let root = env!("CARGO_MANIFEST_DIR");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_redline"))
        .current_dir(root)
        .env_remove("REDLINE_WATCHLIST")
        .arg("validate")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("valid, 3 watches"));
}

#[test]
fn add_and_remove_keep_comments_and_refuse_invalid_edits() {
    let setup = Setup::new("# my watches\n");
    let dir = setup.dir.path();
    let add = redline(dir)
        .args([
            "add",
            "story",
            "https://example.org/story",
            "--schedule",
            "@hourly",
        ])
        .output()
        .unwrap();
    assert!(add.status.success(), "{}", text(&add.stderr));
    let after_add = std::fs::read_to_string(&setup.path).unwrap();
    assert!(
        after_add.contains("# my watches") && after_add.contains("name = \"story\""),
        "{after_add}"
    );

    let bad = redline(dir)
        .args([
            "add",
            "other",
            "https://example.org/x",
            "--schedule",
            "every day",
        ])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert_eq!(
        std::fs::read_to_string(&setup.path).unwrap(),
        after_add,
        "an invalid edit is not written"
    );

    let remove = redline(dir).args(["remove", "story"]).output().unwrap();
    assert!(remove.status.success(), "{}", text(&remove.stderr));
    let after_remove = std::fs::read_to_string(&setup.path).unwrap();
    assert!(
        after_remove.contains("# my watches") && !after_remove.contains("story"),
        "{after_remove}"
    );
}

#[tokio::test]
async fn extract_prints_headline_then_blocks() {
    let setup = Setup::new("");
    let page = setup.dir.path().join("page.html");
    std::fs::write(&page, SEED_V2).unwrap();
    let output = run(&setup, &["extract", page.to_str().unwrap()]).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    let mut blocks = stdout.split("\n\n");
    assert_eq!(
        blocks.next(),
        Some("Binance Regional Head Agreed to Hand Client Data to Russia After Meeting – Reuters")
    );
    assert!(
        blocks
            .next()
            .unwrap()
            .starts_with("A local representative for the major crypto exchange")
    );
    assert!(!stdout.contains("Learn more"), "chrome is not extracted");

    let json = run(
        &setup,
        &["extract", page.to_str().unwrap(), "--format", "json"],
    )
    .await;
    let article: redline::article::Article = serde_json::from_slice(&json.stdout).unwrap();
    // Eighteen paragraphs and the editor's note.
    assert_eq!(article.blocks.len(), 19);
}

#[tokio::test]
async fn history_show_and_diff_browse_the_stored_versions() {
    let site = Site::start(SEED_V1).await;
    let setup = Setup::new(&watch("binance", &site.url(), ""));
    assert!(run(&setup, &["check"]).await.status.success());
    let only_one = run(&setup, &["diff", "binance"]).await;
    assert_eq!(
        only_one.status.code(),
        Some(2),
        "one version has no change to show"
    );
    site.serve(SEED_V2);
    assert!(run(&setup, &["check"]).await.status.success());

    let history = text(&run(&setup, &["history", "binance"]).await.stdout);
    let lines: Vec<&str> = history.lines().collect();
    assert_eq!(lines.len(), 2, "{history}");
    assert!(
        lines[0].starts_with("v1") && lines[0].contains("first version recorded"),
        "{history}"
    );
    assert!(
        lines[1].starts_with("v2") && lines[1].contains("+7 paragraphs"),
        "{history}"
    );

    let json = run(&setup, &["history", "binance", "--format", "json"]).await;
    let history: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(history["versions"].as_array().unwrap().len(), 2);

    // The default diff is the last change; an explicit pair gives the same.
    let last = text(&run(&setup, &["diff", "binance"]).await.stdout);
    let explicit = text(&run(&setup, &["diff", "binance", "1", "2"]).await.stdout);
    assert_eq!(last, explicit);
    assert!(
        last.contains("{+President+}") && last.contains("Updates in bold"),
        "{last}"
    );
    let markdown = text(
        &run(&setup, &["diff", "binance", "--format", "markdown"])
            .await
            .stdout,
    );
    assert!(markdown.contains("President"), "{markdown}");

    let shown = text(&run(&setup, &["show", "binance", "1"]).await.stdout);
    assert!(
        shown.contains("including president Vladimir Putin") && !shown.contains("Per the Saturday")
    );
    let missing = run(&setup, &["show", "binance", "7"]).await;
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing.stderr).contains("has no version 7"));
}
