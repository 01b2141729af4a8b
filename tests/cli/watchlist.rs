//! The watchlist as the command line meets it: every problem named in one
//! pass, secrets that cannot be read, `add`'s errors in the edited
//! document, and a mistyped watch name.

use super::{run, text};
use crate::support::{SEED_V1, Setup, Site, redline, watch};

#[test]
fn validation_names_every_problem_in_one_pass() {
    let setup = Setup::new(concat!(
        // A bad selector used to hide everything after it in its watch.
        "[[watch]]\nname = \"one\"\nurl = \"https://example.org/a\"\nselector = \"div[[\"\n",
        "schedule = \"61 * * * *\"\nnotify = [\"pager\", \"sms\"]\n\n",
        // A misspelt key used to stop the whole file.
        "[[watch]]\nname = \"two\"\nurl = \"https://example.org/b\"\nselectr = \"main\"\n\n",
        "[[watch]]\nname = \"three\"\nurl = \"not a url\"\nignore = [\"p[[\", \"a((\"]\n",
    ));
    let output = redline(setup.dir.path()).arg("validate").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    for expected in [
        "watch.one.selector",
        "watch.one.schedule",
        "unknown channel `pager`",
        "unknown channel `sms`",
        "unknown field `selectr`",
        "watch.three.url",
        "`p[[` is not a valid CSS selector",
        "`a((` is not a valid CSS selector",
    ] {
        assert!(stderr.contains(expected), "lacks {expected:?}:\n{stderr}");
    }
    assert!(stderr.contains("(8 problems)"), "{stderr}");
}

/// A watchlist whose `[email]` reads its password from an unset variable,
/// with one log-only watch and one email watch.
fn unset_password_watchlist(site: &Site) -> Setup {
    Setup::new(&format!(
        "[email]\nserver = \"127.0.0.1:1\"\nsecurity = \"none\"\nusername = \"u\"\n\
         password_env = \"REDLINE_TEST_UNSET_PASSWORD\"\nfrom = \"r <r@news.test>\"\n\
         to = [\"desk@news.test\"]\n\n{}{}",
        watch("logged", &site.url(), ""),
        watch("mailed", &site.url(), "notify = [\"log\", \"email\"]"),
    ))
}

#[tokio::test]
async fn an_unset_password_env_warns_and_log_only_watches_are_still_checked() {
    let site = Site::start(SEED_V1).await;
    let setup = unset_password_watchlist(&site);
    let validate = redline(setup.dir.path())
        .env_remove("REDLINE_TEST_UNSET_PASSWORD")
        .arg("validate")
        .output()
        .unwrap();
    let stderr = text(&validate.stderr);
    assert_eq!(validate.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("warning") && stderr.contains("REDLINE_TEST_UNSET_PASSWORD"),
        "{stderr}"
    );

    let check = run(&setup, &["check"]).await;
    let stderr = text(&check.stderr);
    assert_eq!(check.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("mailed") && stderr.contains("REDLINE_TEST_UNSET_PASSWORD"),
        "the email watch fails with its reason:\n{stderr}"
    );
    let versions = |name: &str| {
        std::fs::read_dir(setup.store_dir().join(name).join("versions")).map_or(0, |d| d.count())
    };
    assert_eq!(versions("logged"), 1, "the log-only watch was checked");
    assert_eq!(versions("mailed"), 0);
}

#[test]
fn add_reports_problems_at_lines_of_the_edited_document() {
    let setup = Setup::new(&watch("story", "https://example.org/story", ""));
    let before = std::fs::read_to_string(&setup.path).unwrap();
    let output = redline(setup.dir.path())
        .args(["add", "other", "not-a-url", "--schedule", "every day"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(&setup.path).unwrap(), before);
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("2 problems in the new table") && stderr.contains("is unchanged"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("watchlist.toml:"),
        "no line of a file that was never written:\n{stderr}"
    );
    // Each problem's line is a line of the edited table shown above it.
    for (key, argument) in [("url", "(URL)"), ("schedule", "(--schedule)")] {
        let shown = stderr
            .lines()
            .find(|l| l.contains(&format!("| {key} = ")))
            .unwrap_or_else(|| panic!("the table shows {key}:\n{stderr}"));
        let line: usize = shown.split('|').next().unwrap().trim().parse().unwrap();
        let problem = format!("line {line}: watch.other.{key}: ");
        assert!(
            stderr
                .lines()
                .any(|l| l.contains(&problem) && l.contains(argument)),
            "no {problem:?} naming {argument}:\n{stderr}"
        );
    }
}

#[tokio::test]
async fn a_mistyped_watch_name_suggests_a_command_that_works() {
    let site = Site::start(SEED_V1).await;
    let setup = Setup::new(&watch("binance", &site.url(), ""));
    assert!(run(&setup, &["check"]).await.status.success());
    for command in ["history", "check", "remove"] {
        let output = run(&setup, &[command, "binanse"]).await;
        assert_eq!(output.status.code(), Some(2), "{command}");
        let stderr = text(&output.stderr);
        let suggested = format!("try `redline {command} binance`");
        assert!(
            stderr.contains("did you mean `binance`?") && stderr.contains(&suggested),
            "{stderr}"
        );
    }
    let works = run(&setup, &["history", "binance"]).await;
    assert!(works.status.success(), "{}", text(&works.stderr));
    let far = run(&setup, &["history", "something-else"]).await;
    assert!(
        text(&far.stderr).contains("`redline list` shows the watches"),
        "{}",
        text(&far.stderr)
    );
}
