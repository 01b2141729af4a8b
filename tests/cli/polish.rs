//! The command line's finish: completions and a manual page generated from
//! its definition, a dry run, `list`'s columns, a closed pipe, `extract
//! --dir`'s exit status, and `--format` offering only what renders, as the
//! README and `--help` say.

use std::io::Read;
use std::process::Stdio;

use super::{run, text};
use crate::support::{SEED_V1, SEED_V2, Setup, Site, redline, watch};

#[test]
fn completions_are_generated_for_every_shell_and_bash_parses_them() {
    let setup = Setup::new("");
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let output = redline(setup.dir.path())
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(output.status.success(), "{shell}: {}", text(&output.stderr));
        let script = text(&output.stdout);
        for subcommand in ["check", "history", "validate", "completions", "man"] {
            assert!(script.contains(subcommand), "{shell} lacks {subcommand}");
        }
    }
    let bash = redline(setup.dir.path())
        .args(["completions", "bash"])
        .output()
        .unwrap();
    let file = setup.dir.path().join("redline.bash");
    std::fs::write(&file, &bash.stdout).unwrap();
    let parsed = std::process::Command::new("bash")
        .arg("-n")
        .arg(&file)
        .output()
        .unwrap();
    assert!(parsed.status.success(), "{}", text(&parsed.stderr));
}

#[test]
fn the_man_page_renders() {
    let setup = Setup::new("");
    let output = redline(setup.dir.path()).arg("man").output().unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    let page = text(&output.stdout);
    assert!(
        page.starts_with(".ie") || page.contains(".TH redline"),
        "{page}"
    );
    let file = setup.dir.path().join("redline.1");
    std::fs::write(&file, &output.stdout).unwrap();
    // groff renders it when it is installed (Debian's man-db brings it).
    let Ok(rendered) = std::process::Command::new("groff")
        .args(["-man", "-Tutf8"])
        .arg(&file)
        .output()
    else {
        return;
    };
    // Terminal output marks bold by overstriking: `X\x08X`.
    let mut rendered: Vec<char> = text(&rendered.stdout).chars().collect();
    while let Some(at) = rendered.iter().position(|c| *c == '\u{8}') {
        rendered.drain(at.saturating_sub(1)..=at);
    }
    let rendered: String = rendered.into_iter().collect();
    for expected in ["redline", "SUBCOMMANDS", "completions", "Exit codes"] {
        assert!(rendered.contains(expected), "lacks {expected}:\n{rendered}");
    }
}

/// How many versions of `name` the store holds (a version's stored report
/// beside it is not a version).
fn versions(setup: &Setup, name: &str) -> usize {
    let name = redline::watchlist::WatchName::parse(name).unwrap();
    redline::store::Store::open_read_only(&setup.store_dir())
        .versions(&name)
        .map_or(0, |v| v.len())
}

#[tokio::test]
async fn a_dry_run_reports_the_change_and_stores_nothing() {
    let site = Site::start(SEED_V1).await;
    let setup = Setup::new(&watch("binance", &site.url(), ""));
    let first = run(&setup, &["check", "--dry-run"]).await;
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    assert!(!setup.store_dir().exists(), "a dry run makes no store");

    assert!(run(&setup, &["check"]).await.status.success());
    let state = setup.store_dir().join("binance/state.json");
    let before = std::fs::read(&state).unwrap();
    site.serve(SEED_V2);
    let dry = run(&setup, &["check", "--dry-run"]).await;
    assert_eq!(dry.status.code(), Some(0), "{}", text(&dry.stderr));
    assert!(
        text(&dry.stdout).contains("President"),
        "the change is reported"
    );
    assert_eq!(versions(&setup, "binance"), 1, "no version stored");
    assert_eq!(std::fs::read(&state).unwrap(), before, "no state written");

    let real = run(&setup, &["check"]).await;
    assert!(text(&real.stdout).contains("President"), "still news");
    assert_eq!(versions(&setup, "binance"), 2);
}

#[tokio::test]
async fn list_shows_next_due_health_and_last_error_with_human_times() {
    let site = Site::start(SEED_V1).await;
    let watches = format!(
        "{}{}{}",
        watch("good", &site.url(), ""),
        watch("gone", "http://127.0.0.1:9/nothing", ""),
        watch("later", &site.url(), ""),
    );
    let setup = Setup::new(&watches);
    run(&setup, &["check", "good", "gone"]).await;
    let list = text(&run(&setup, &["list"]).await.stdout);
    let block = |name: &str| {
        list.split("\n")
            .skip_while(|l| !l.starts_with(name))
            .take(4)
            .collect::<Vec<_>>()
            .join("\n")
    };
    let good = block("good");
    assert!(
        good.contains("next due 20")
            && good.contains(" ok")
            && good.contains("last check baseline 20"),
        "{list}"
    );
    let gone = block("gone");
    assert!(
        gone.contains("failing (1 check in a row)") && gone.contains("last error: "),
        "{list}"
    );
    assert!(block("later").contains("never checked"), "{list}");
    let nanoseconds = regex::Regex::new(r"\d\d:\d\d:\d\d\.\d").unwrap();
    assert!(!nanoseconds.is_match(&list), "{list}");

    let json = run(&setup, &["list", "--format", "json"]).await;
    let rows: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(rows[1]["health"], "failing");
    assert!(rows[0]["next_due"].is_string(), "{rows}");

    let history = text(&run(&setup, &["history", "good"]).await.stdout);
    assert!(
        history.starts_with("v1") && !nanoseconds.is_match(&history),
        "{history}"
    );
}

#[test]
fn a_closed_pipe_ends_quietly_with_success() {
    let watches: String = (0..50)
        .map(|i| watch(&format!("w{i}"), "https://example.org/a", ""))
        .collect();
    let setup = Setup::new(&watches);
    let mut child = redline(setup.dir.path())
        .arg("list")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The reader goes away before anything is written, as `head` does.
    drop(child.stdout.take());
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert_eq!(stderr, "", "nothing said about the pipe");
}

#[test]
fn extract_dir_exits_1_naming_the_pages_that_failed() {
    let setup = Setup::new("");
    let pages = setup.dir.path().join("pages");
    for (name, html) in [("good", SEED_V1), ("empty", "<html><body></body></html>")] {
        std::fs::create_dir_all(pages.join(name)).unwrap();
        std::fs::write(pages.join(name).join("page.html"), html).unwrap();
    }
    let output = redline(setup.dir.path())
        .args(["extract", "--dir", "pages", "--out", "out"])
        .output()
        .unwrap();
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("1 page failed: empty"), "{stderr}");
    assert!(setup.dir.path().join("out/good.txt").is_file());
}

/// The `--format` values each command offers, read off its `--help`.
fn formats(setup: &Setup, command: &str) -> Vec<String> {
    let help = redline(setup.dir.path())
        .args([command, "-h"])
        .output()
        .unwrap();
    // Help is wrapped to a width: read it as one line.
    let help = text(&help.stdout)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let values = help
        .split("--format <FORMAT>")
        .nth(1)
        .and_then(|rest| rest.split("[possible values: ").nth(1))
        .and_then(|rest| rest.split(']').next())
        .unwrap_or_else(|| panic!("{command} --help names no formats:\n{help}"));
    values.split(", ").map(str::to_owned).collect()
}

#[test]
fn readme_and_help_agree_on_every_command_option_and_format() {
    let setup = Setup::new("");
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let table = readme
        .split("## Commands")
        .nth(1)
        .and_then(|rest| rest.split("\n\n").nth(1))
        .unwrap();
    let mut rows = 0;
    for row in table.lines().filter(|l| l.starts_with("| `redline ")) {
        rows += 1;
        let usage = row.split('`').nth(1).unwrap();
        let command = usage.split_whitespace().nth(1).unwrap();
        let help = redline(setup.dir.path())
            .args([command, "--help"])
            .output()
            .unwrap();
        assert!(help.status.success(), "{command}: {}", text(&help.stderr));
        let help = text(&help.stdout);
        for option in usage.split(['[', ']', ' ']).filter(|w| w.starts_with("--")) {
            assert!(help.contains(option), "`{command} --help` lacks {option}");
        }
        if let Some(listed) = usage.split("--format ").nth(1) {
            let listed: Vec<String> = listed
                .split(']')
                .next()
                .unwrap()
                .split("\\|")
                .map(str::to_owned)
                .collect();
            assert_eq!(listed, formats(&setup, command), "{command}");
        }
    }
    assert!(rows >= 15, "the commands table has a row per command");
    for (command, offered) in [
        ("list", "text, json"),
        ("history", "text, json"),
        ("show", "text, json"),
        ("extract", "text, json"),
        ("check", "text, json, markdown, html"),
        ("diff", "text, json, markdown, html"),
    ] {
        assert_eq!(formats(&setup, command).join(", "), offered, "{command}");
    }
    let refused = redline(setup.dir.path())
        .args(["list", "--format", "markdown"])
        .output()
        .unwrap();
    assert_eq!(
        refused.status.code(),
        Some(2),
        "a format list cannot render"
    );
}

/// `redline ARGS` run on a pseudo-terminal by util-linux's `script`, its
/// terminal output; `None` where `script` is not installed.
fn on_a_terminal(setup: &Setup, args: &str) -> Option<String> {
    let line = format!("{} {args}", env!("CARGO_BIN_EXE_redline"));
    let output = std::process::Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .current_dir(setup.dir.path())
        .env_remove("REDLINE_WATCHLIST")
        .env("NO_COLOR", "1")
        .output()
        .ok()?;
    Some(text(&output.stdout))
}

#[test]
fn the_progress_bar_shows_on_a_terminal_only_and_not_with_q() {
    let watches: String = (0..4)
        .map(|i| watch(&format!("w{i}"), "http://127.0.0.1:9/nothing", ""))
        .collect();
    let setup = Setup::new(&watches);
    let piped = redline(setup.dir.path()).arg("check").output().unwrap();
    assert!(
        !text(&piped.stderr).contains("/4 checked"),
        "hidden when piped"
    );
    let Some(terminal) = on_a_terminal(&setup, "check") else {
        return;
    };
    assert!(terminal.contains("/4 checked"), "{terminal}");
    let quiet = on_a_terminal(&setup, "-q check").unwrap();
    assert!(!quiet.contains("/4 checked"), "{quiet}");
}
