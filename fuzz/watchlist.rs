//! The watchlist target: mutated watchlists must be accepted or refused
//! with located problems, never panic, and an accepted one must hold only
//! valid names.

use std::path::Path;

use redline::watchlist::{WatchName, Watchlist};

/// The seeds: the shipped watchlist and one with every table.
const SEEDS: [&str; 2] = [
    include_str!("../watchlist.toml"),
    r#"[settings]
snapshots = "snapshots"
schedule = "0 */2 * * 1-5"
timezone = "Europe/Paris"
notify = ["log", "email"]
timeout = "30s"
retries = 2
max_body = "10 MiB"
concurrency = 8
per_host_interval = "1s"
spread = "60s"
failure_alert_after = 3
keep_versions = 10

[email]
server = "smtp.example.org:465"
security = "tls"
username = "alerts@example.org"
password_env = "REDLINE_SMTP_PASSWORD"
from = "redline <alerts@example.org>"
to = ["desk@example.org"]
digest = "0 8 * * *"

[[watch]]
name = "story"
url = "https://user:pw@example.org/news/story?id=1#top"
selector = "div.entry-content > p:not(.ad)"
ignore = [".newsletter-box", "aside"]
ignore_text = ['\d+ (minutes|hours) ago']
schedule = "@hourly"
notify = ["email"]
email = { add_to = ["reporter@example.org"], digest = "off" }
"#,
];

/// Tokens that matter to TOML and to the watchlist's fields.
const TOKENS: [&str; 24] = [
    "[[watch]]\n",
    "[settings]\n",
    "[email]\n",
    "name = ",
    "url = ",
    "\"",
    "'''",
    "=",
    "\n",
    "schedule = \"",
    "* * * * * *",
    "@yearly",
    "60 24 32 13 8",
    "\"http://[::1]:0/\"",
    "selector = \"",
    ":nth-child(",
    "ignore_text = ['",
    "(?P<",
    "timeout = \"",
    "9999999999999h",
    "max_body = \"",
    "18446744073709551616 EiB",
    "é\u{202e}\u{0}",
    "#",
];

pub(crate) fn input(rng: &mut fastrand::Rng) -> Vec<u8> {
    let mut text = SEEDS[rng.usize(..SEEDS.len())].as_bytes().to_vec();
    super::mutate(rng, &mut text, &TOKENS);
    text
}

pub(crate) fn target(input: &[u8]) -> Result<(), String> {
    let text = String::from_utf8_lossy(input);
    match Watchlist::parse(&text, Path::new("/fuzz/watchlist.toml")) {
        Ok(watchlist) => {
            for watch in &watchlist.watches {
                WatchName::parse(watch.name.as_str())
                    .map_err(|e| format!("an accepted watch has an invalid name: {e}"))?;
                let _ = watch.display_url();
            }
            Ok(())
        }
        Err(error) => {
            let message = error.to_string();
            if message.is_empty() {
                return Err("a refusal without a message".to_owned());
            }
            Ok(())
        }
    }
}
