//! Validation of the watchlist file: the checks of `[settings]` and every
//! `[[watch]]`, and the assembly of the typed watchlist. `[email]` is
//! `validate_email`'s, the named channels `validate_channels`'s; every
//! problem goes to the one [`Collector`].
//!
//! It builds the typed values of the parent module and must not be reached
//! from anywhere else.

use std::path::Path;
use std::str::FromStr;
use std::sync::{Arc, LazyLock};

use chrono_tz::Tz;
use toml::Spanned;
use url::Url;

use super::email::{EmailSettings, WatchEmail};
use super::problems::{Collector, Problem};
use super::raw::{RawSettings, RawWatch, RawWatchlist};
use super::validate_email::{email_settings, watch_email};
use super::{Channel, Channels, CssSelector, Settings, Watch, WatchName};

/// Parses and validates watchlist `text` read from `path` (relative paths
/// in it are resolved against `path`'s folder).
///
/// Every problem is collected, in file order, rather than stopping at the
/// first: a user fixes a watchlist in one go.
pub(super) fn validate(text: &str, path: &Path) -> Result<Validated, Vec<Problem>> {
    let mut c = Collector::default();
    let Some(raw) = RawWatchlist::read(text, &mut c) else {
        return Err(c.locate(text));
    };
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let email = raw
        .email
        .as_ref()
        .and_then(|e| email_settings(e.get_ref(), &mut c))
        .map(|settings| settings.resolve_paths(&base));
    let channels = raw.channels.validate(&base, &mut c);
    // A watch may name a channel whose table has a problem: that problem
    // is reported, not a second "unknown channel" for each watch.
    let named: Vec<&str> = raw.channels.names().collect();
    let settings = validate_settings(raw.settings.unwrap_or_default(), &base, &named, &mut c);
    let watches = validate_watches(&raw.watches, &settings, &named, &mut c);
    let feeds = super::feed::validate_feeds(&raw.feeds, &settings, &named, &watches, &mut c);
    // The email channel needs the [email] table; say so where it is asked for.
    if !raw.has_email {
        for feed in &feeds {
            if feed.defaults.notify.contains(&Channel::Email) {
                c.fail_at(
                    None,
                    &format!("feed.{}.notify", feed.name),
                    "the email channel needs an [email] table",
                    Some("add [email] with server, from and to (see README), or use notify = [\"log\"]"),
                );
            }
        }
        for (watch, raw_watch) in watches.iter().zip(&raw.watches) {
            if watch.notify.contains(&Channel::Email) {
                let span = raw_watch
                    .get_ref()
                    .notify
                    .as_ref()
                    .map_or(raw_watch.span(), |n| n.span());
                c.fail_at(
                    Some(span),
                    &format!("watch.{}.notify", watch.name),
                    "the email channel needs an [email] table",
                    Some("add [email] with server, from and to (see README), or use notify = [\"log\"]"),
                );
            }
        }
    }
    if c.is_empty() {
        return Ok(Validated {
            settings,
            email,
            channels,
            watches,
            feeds,
        });
    }
    Err(c.locate(text))
}

/// What a valid watchlist file holds.
pub(super) struct Validated {
    pub(super) settings: Settings,
    pub(super) email: Option<EmailSettings>,
    pub(super) channels: Channels,
    pub(super) watches: Vec<Watch>,
    pub(super) feeds: Vec<super::Feed>,
}

fn validate_settings(
    raw: RawSettings,
    base: &Path,
    named: &[&str],
    check: &mut Collector,
) -> Settings {
    let mut s = Settings::default_in(base);
    if let Some(v) = &raw.snapshots {
        s.snapshots = base.join(v.get_ref());
    }
    validate_schedules(&raw, &mut s, check);
    if let Some(v) = &raw.notify {
        s.notify = check
            .channels(v, "settings.notify", named)
            .map_or(s.notify, Arc::from);
    }
    if let Some(v) = &raw.user_agent {
        s.user_agent = v.get_ref().clone();
    }
    if let Some(v) = &raw.timeout {
        s.timeout = check.duration(v, "settings.timeout").unwrap_or(s.timeout);
    }
    if let Some(v) = &raw.max_body {
        let hint = Some("write a size such as \"10 MiB\" or \"500 KB\"");
        s.max_body = check
            .parse(v, "settings.max_body", hint, |t| {
                t.parse::<bytesize::ByteSize>().map(|b| b.as_u64())
            })
            .unwrap_or(s.max_body);
    }
    if let Some(v) = &raw.concurrency {
        s.concurrency = check
            .count(v, "settings.concurrency", 1..1025)
            .map_or(s.concurrency, |n| n as usize);
    }
    if let Some(v) = &raw.per_host_interval {
        s.per_host_interval = check
            .duration(v, "settings.per_host_interval")
            .unwrap_or(s.per_host_interval);
    }
    if let Some(v) = &raw.retries {
        s.retries = check
            .count(v, "settings.retries", 0..11)
            .map_or(s.retries, |n| n as u32);
    }
    if let Some(v) = &raw.spread {
        s.spread = check.duration(v, "settings.spread").unwrap_or(s.spread);
    }
    if let Some(v) = &raw.failure_alert_after {
        s.failure_alert_after = check
            .count(v, "settings.failure_alert_after", 1..1001)
            .map_or(s.failure_alert_after, |n| n as u32);
    }
    if let Some(v) = &raw.keep_versions {
        s.keep_versions = check
            .count(v, "settings.keep_versions", 0..1_000_001)
            .and_then(|n| (n > 0).then_some(n as usize));
    }
    if let Some(v) = &raw.listen {
        let hint = Some("write an address and port such as \"127.0.0.1:9187\"");
        s.listen = check.parse(v, "settings.listen", hint, |a| {
            a.parse::<std::net::SocketAddr>()
                .map_err(|_| format!("`{a}` is not an address and port"))
        });
    }
    if let Some(v) = &raw.shard {
        let hint = Some("write I/N with I from 0, e.g. \"0/3\" for the first of three instances");
        s.shard = check.parse(v, "settings.shard", hint, str::parse::<super::Shard>);
    }
    s
}

/// `[settings]`' schedule keys: the adaptive steps, the default policy
/// (which may name them) and the time zone.
fn validate_schedules(raw: &RawSettings, s: &mut Settings, check: &mut Collector) {
    // The steps first: `schedule = "adaptive"` takes them.
    if let Some(v) = &raw.adaptive
        && let Some(adaptive) = check.steps(v, "settings.adaptive")
    {
        s.adaptive = adaptive;
    }
    if let Some(v) = &raw.schedule
        && let Some(policy) = check.policy(v, "settings.schedule", &s.adaptive)
    {
        s.schedule = policy;
    }
    if let Some(v) = &raw.timezone {
        let hint = Some("use an IANA time zone name such as \"UTC\" or \"Europe/Berlin\"");
        let zone = check.parse(v, "settings.timezone", hint, |z| {
            Tz::from_str(z).map_err(|_| format!("unknown time zone `{z}`"))
        });
        s.timezone = zone.unwrap_or(s.timezone);
    }
}

fn validate_watches(
    raw: &[Spanned<RawWatch>],
    settings: &Settings,
    named: &[&str],
    check: &mut Collector,
) -> Vec<Watch> {
    let mut seen: Vec<(&str, usize)> = Vec::new();
    // Exactly as many as there are tables: a doubled vector of 5,000
    // watches would hold room for 3,000 more.
    let mut watches = Vec::with_capacity(raw.len());
    for (index, spanned) in raw.iter().enumerate() {
        let w = spanned.get_ref();
        let label = match WatchName::parse(w.name.get_ref()) {
            Ok(_) => format!("watch.{}", w.name.get_ref()),
            Err(_) => format!("watch[{}]", index + 1),
        };
        if let Some((_, first)) = seen.iter().find(|(n, _)| *n == w.name.get_ref()) {
            let message = format!(
                "duplicate name `{}` (first used by watch {first})",
                w.name.get_ref()
            );
            check.fail(
                Some(&w.name),
                &format!("{label}.name"),
                message,
                Some("every watch needs its own name"),
            );
        }
        seen.push((w.name.get_ref(), index + 1));
        // A watch with any invalid field is left out; its errors are
        // recorded and the whole watchlist will be refused.
        if let Some(watch) = validate_watch(w, &label, settings, named, check) {
            watches.push(watch);
        }
    }
    watches
}

/// Validates one `[[watch]]` table; `None` when any field is invalid.
fn validate_watch(
    w: &RawWatch,
    label: &str,
    settings: &Settings,
    named: &[&str],
    check: &mut Collector,
) -> Option<Watch> {
    let f = |key: &str| format!("{label}.{key}");
    let name_hint = "the name becomes a folder name: use lowercase letters, digits, `-` and `_`";
    let name = check.parse(&w.name, &f("name"), Some(name_hint), WatchName::parse);
    let url_hint = "write a full address such as \"https://example.org/news/story\"";
    let url = check.parse(&w.url, &f("url"), Some(url_hint), parse_url);
    let common = RawCommon {
        selector: w.selector.as_ref(),
        ignore: &w.ignore,
        ignore_text: &w.ignore_text,
        schedule: w.schedule.as_ref(),
        notify: w.notify.as_ref(),
        email: w.email.as_ref(),
    };
    let valid = validate_common(
        &common,
        label,
        settings.schedule.clone(),
        settings,
        named,
        check,
    );
    Some(valid?.watch(name?, url?))
}

/// The keys a `[[watch]]` shares with a `[[feed]]` (whose values become
/// its derived watches'), as written.
pub(super) struct RawCommon<'a> {
    pub(super) selector: Option<&'a Spanned<String>>,
    pub(super) ignore: &'a [Spanned<String>],
    pub(super) ignore_text: &'a [Spanned<String>],
    pub(super) schedule: Option<&'a Spanned<String>>,
    pub(super) notify: Option<&'a super::RawList>,
    pub(super) email: Option<&'a super::RawWatchEmail>,
}

/// Those keys, validated.
#[derive(Debug, Clone)]
pub(super) struct Common {
    pub(super) selector: Option<CssSelector>,
    pub(super) ignore: Vec<CssSelector>,
    pub(super) ignore_text: Vec<regex::Regex>,
    pub(super) schedule: super::Policy,
    pub(super) notify: Arc<[Channel]>,
    pub(super) email: Arc<WatchEmail>,
}

/// The email settings of every watch that writes none, shared by them all.
static NO_EMAIL: LazyLock<Arc<WatchEmail>> = LazyLock::new(|| Arc::new(WatchEmail::default()));

impl Common {
    /// The watch named `name` at `url` that takes these keys: a
    /// `[[watch]]`'s own, or a feed entry's from its feed.
    pub(super) fn watch(self, name: WatchName, url: Url) -> Watch {
        Watch {
            name,
            url,
            selector: self.selector,
            ignore: self.ignore,
            ignore_text: self.ignore_text,
            schedule: self.schedule,
            notify: self.notify,
            email: self.email,
        }
    }
}

/// Validates the keys a watch and a feed share, under `label`; `schedule`
/// is the policy when none is written. `None` when any is invalid.
pub(super) fn validate_common(
    w: &RawCommon<'_>,
    label: &str,
    schedule: super::Policy,
    settings: &Settings,
    named: &[&str],
    check: &mut Collector,
) -> Option<Common> {
    let f = |key: &str| format!("{label}.{key}");
    let selector_hint = "try the selector with `redline extract URL --selector CSS`";
    // Every field is checked even after a bad one, so that one pass names
    // every problem of the watch.
    let selector = match w.selector {
        Some(s) => check
            .parse(s, &f("selector"), Some(selector_hint), CssSelector::parse)
            .map(Some),
        None => Some(None),
    };
    let ignore_hint = "ignore takes CSS selectors such as \".newsletter-box\"";
    let ignore = check.every(w.ignore, |c, s| {
        c.parse(s, &f("ignore"), Some(ignore_hint), CssSelector::parse)
    });
    let regex_hint =
        "write a regular expression in single quotes, which keep backslashes: '\\d+ minutes ago'";
    let ignore_text = check.every(w.ignore_text, |c, s| {
        c.parse(s, &f("ignore_text"), Some(regex_hint), parse_regex)
    });
    let schedule = match w.schedule {
        Some(s) => check.policy(s, &f("schedule"), &settings.adaptive),
        None => Some(schedule),
    };
    let notify = match &w.notify {
        Some(n) => check.channels(n, &f("notify"), named).map(Arc::from),
        None => Some(settings.notify.clone()),
    };
    let email = match w.email {
        Some(raw) => watch_email(raw, &f("email"), check).map(Arc::new),
        None => Some(NO_EMAIL.clone()),
    };
    Some(Common {
        selector: selector?,
        ignore: ignore?,
        ignore_text: ignore_text?,
        schedule: schedule?,
        notify: notify?,
        email: email?,
    })
}

fn parse_regex(text: &str) -> Result<regex::Regex, String> {
    regex::Regex::new(text).map_err(|e| {
        // The regex crate draws a caret diagram over several lines; one line
        // with the reason reads better in a list of problems.
        let reason = e
            .to_string()
            .lines()
            .last()
            .unwrap_or_default()
            .trim_start_matches("error: ")
            .to_owned();
        format!("`{text}` is not a regular expression: {reason}")
    })
}

pub(super) fn parse_url(text: &str) -> Result<Url, String> {
    let url = Url::parse(text).map_err(|e| format!("`{text}` is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("`{text}` is not an http or https address"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("`{text}` has no host"));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `line:field` of every problem in `text`, in file order.
    fn problems(text: &str) -> Vec<String> {
        match validate(text, Path::new("/w/watchlist.toml")) {
            Ok(_) => Vec::new(),
            Err(problems) => problems
                .into_iter()
                .map(|p| format!("{}:{}", p.line.unwrap_or(0), p.field.unwrap_or_default()))
                .collect(),
        }
    }

    #[test]
    fn one_pass_names_every_problem() {
        let w = "[[watch]]\nname = \"a\"\nurl = \"https://e.org/a\"\n";
        let cases: [(&str, &[&str]); 6] = [
            // Every field of one watch, even after a bad selector.
            (
                "[[watch]]\nname = \"a\"\nurl = \"x\"\nselector = \"p[[\"\nschedule = \"soon\"\n",
                &["3:watch.a.url", "4:watch.a.selector", "5:watch.a.schedule"],
            ),
            // Every bad item of a list.
            (
                &format!(
                    "{w}notify = [\"pager\", \"log\", \"sms\"]\nignore = [\"a((\", \"b((\"]\n"
                ),
                &[
                    "4:watch.a.notify",
                    "4:watch.a.notify",
                    "5:watch.a.ignore",
                    "5:watch.a.ignore",
                ],
            ),
            // A misspelt key hides neither its watch's other problems nor
            // the next watch.
            (
                &format!(
                    "{w}selectr = \"p\"\nschedul = \"x\"\nschedule = \"y\"\n[[watch]]\nname = \"b\"\nurl = \"y\"\n"
                ),
                &[
                    "4:watch[1].selectr",
                    "5:watch[1].schedul",
                    "6:watch.a.schedule",
                    "9:watch.b.url",
                ],
            ),
            // Nor does an unreadable table hide the watches.
            (
                &format!("[settings]\ntimeout = 5\n[emial]\n{w}schedule = \"x\"\n"),
                &["2:settings.timeout", "3:emial", "7:watch.a.schedule"],
            ),
            // A broken [email] table is not also reported as missing.
            (
                &format!("[email]\nserver = 1\n{w}notify = [\"email\"]\n"),
                &["2:email.server"],
            ),
            ("[[watch]]\nname = \"a\"\nurl = \"https://e.org/a\"\n", &[]),
        ];
        for (text, expected) in cases {
            assert_eq!(problems(text), expected, "{text}");
        }
    }

    #[test]
    fn every_syntax_error_is_named() {
        let found = problems("a = \nb = [1,\n[settings\n");
        assert!(found.len() >= 2, "{found:?}");
    }
}
