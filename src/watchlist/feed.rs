//! The `[[feed]]` table: an RSS or Atom feed (or a page that links to one)
//! whose entries become watches, with the defaults they take.
//!
//! Raw shape and validated values both live here; problems go to the one
//! [`Collector`]. The keys a feed shares with a `[[watch]]` (selector,
//! ignore rules, schedule, channels, email) are validated by the same code
//! as a watch's. This module must not fetch a feed or derive its watches:
//! `feed` and the daemon do, from these values.

use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;
use url::Url;

use super::problems::Collector;
use super::raw::{RawList, RawWatchEmail};
use super::validate::{Common, RawCommon, parse_url, validate_common};
use super::{Settings, Watch, WatchName};
use crate::schedule::Policy;

/// One `[[feed]]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFeed {
    pub(super) name: Spanned<String>,
    pub(super) url: Spanned<String>,
    pub(super) selector: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) ignore: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) ignore_text: Vec<Spanned<String>>,
    pub(super) schedule: Option<Spanned<String>>,
    pub(super) notify: Option<RawList>,
    pub(super) email: Option<RawWatchEmail>,
    pub(super) limit: Option<Spanned<i64>>,
    pub(super) retire_after: Option<Spanned<String>>,
    pub(super) refresh: Option<Spanned<String>>,
}

/// A validated feed: where to read it and what its entries' watches take.
#[derive(Debug, Clone)]
pub struct Feed {
    /// Its stable name: the prefix of every derived watch's name.
    pub name: WatchName,
    /// The feed's address, or a page whose `<link rel="alternate">` names it.
    pub url: Url,
    /// The keys its entries' watches take (selector, ignore rules,
    /// schedule, channels, email): validated as a watch's are.
    pub(super) defaults: Common,
    /// The most entries watched at once: the newest are kept.
    pub limit: usize,
    /// The age (from publication, else first sight) at which an entry's
    /// watch is retired: kept in the store's history, no longer checked.
    pub retire_after: Duration,
    /// How often the feed itself is read. A new entry is baselined at its
    /// first check, never alerted.
    pub refresh: Duration,
}

impl Feed {
    /// The longest feed name: a derived watch's name adds `-` and
    /// [`Feed::HASH_LEN`] characters and must stay a [`WatchName`].
    pub const MAX_NAME_LEN: usize = WatchName::MAX_LEN - 1 - Self::HASH_LEN;
    /// The hex characters of an entry's address hash in its watch's name.
    pub const HASH_LEN: usize = 10;
    /// The default `limit`.
    pub const DEFAULT_LIMIT: usize = 50;
    /// The default `retire_after`: the adaptive policy's default span.
    pub const DEFAULT_RETIRE_AFTER: Duration = Duration::from_secs(30 * 24 * 3600);
    /// The default `refresh`.
    pub const DEFAULT_REFRESH: Duration = Duration::from_secs(15 * 60);

    /// The watch of the entry at `url`: the feed's defaults, under a name
    /// that is stable (the same entry always gets it) and unique (the
    /// feed's name and a hash of the address).
    pub fn watch(&self, url: Url) -> Watch {
        self.defaults.clone().watch(self.derived_name(&url), url)
    }

    /// `NAME-HASH`: the feed's name and the first characters of the BLAKE3
    /// hash of the entry's address (stable across builds, unlike std's).
    pub fn derived_name(&self, url: &Url) -> WatchName {
        let hash = blake3::hash(url.as_str().as_bytes()).to_hex();
        let name = format!("{}-{}", self.name, &hash[..Self::HASH_LEN]);
        WatchName::parse(&name).expect("a valid feed name and hex digits make a valid name")
    }
}

/// Validates the `[[feed]]` tables; a feed with any invalid key is left
/// out (its problems are recorded and the watchlist refused).
pub(super) fn validate_feeds(
    raw: &[Spanned<RawFeed>],
    settings: &Settings,
    named: &[&str],
    taken: &[Watch],
    check: &mut Collector,
) -> Vec<Feed> {
    let mut feeds: Vec<Feed> = Vec::new();
    for (index, spanned) in raw.iter().enumerate() {
        let f = spanned.get_ref();
        let label = match WatchName::parse(f.name.get_ref()) {
            Ok(_) => format!("feed.{}", f.name.get_ref()),
            Err(_) => format!("feed[{}]", index + 1),
        };
        let Some(feed) = validate_feed(f, &label, settings, named, check) else {
            continue;
        };
        // Derived names start with the feed's: a clash with a watch or
        // another feed would mix their histories.
        let clash = taken.iter().any(|w| w.name == feed.name)
            || feeds.iter().any(|other| other.name == feed.name);
        if clash {
            let message = format!("the name `{}` is used by another feed or watch", feed.name);
            check.fail(
                Some(&f.name),
                &format!("{label}.name"),
                message,
                Some("every feed needs its own name"),
            );
            continue;
        }
        feeds.push(feed);
    }
    feeds
}

/// Validates one `[[feed]]`; `None` when any key is invalid.
fn validate_feed(
    f: &RawFeed,
    label: &str,
    settings: &Settings,
    named: &[&str],
    check: &mut Collector,
) -> Option<Feed> {
    let key = |k: &str| format!("{label}.{k}");
    let name_hint = "a feed's name starts its watches' names: lowercase letters, digits, `-` and `_`, at most 53 characters";
    let name = check.parse(&f.name, &key("name"), Some(name_hint), |n| {
        if n.len() > Feed::MAX_NAME_LEN {
            return Err(format!(
                "name is longer than {} characters",
                Feed::MAX_NAME_LEN
            ));
        }
        WatchName::parse(n)
    });
    let url_hint = "write the feed's address, or a page that links to its feed";
    let url = check.parse(&f.url, &key("url"), Some(url_hint), parse_url);
    let common = RawCommon {
        selector: f.selector.as_ref(),
        ignore: &f.ignore,
        ignore_text: &f.ignore_text,
        schedule: f.schedule.as_ref(),
        notify: f.notify.as_ref(),
        email: f.email.as_ref(),
    };
    let adaptive = Policy::Adaptive(settings.adaptive.clone());
    let valid = validate_common(&common, label, adaptive, settings, named, check);
    let limit = f
        .limit
        .as_ref()
        .map(|v| check.count(v, &key("limit"), 1..10_001).map(|n| n as usize));
    let retire_after = f
        .retire_after
        .as_ref()
        .map(|v| check.duration(v, &key("retire_after")));
    let refresh = f
        .refresh
        .as_ref()
        .map(|v| check.duration(v, &key("refresh")));
    let (name, url, valid) = (name?, url?, valid?);
    Some(Feed {
        name,
        url,
        defaults: valid,
        limit: limit.unwrap_or(Some(Feed::DEFAULT_LIMIT))?,
        retire_after: retire_after.unwrap_or(Some(Feed::DEFAULT_RETIRE_AFTER))?,
        refresh: refresh.unwrap_or(Some(Feed::DEFAULT_REFRESH))?,
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::watchlist::Watchlist;

    fn problems(text: &str) -> Vec<String> {
        match Watchlist::parse(text, Path::new("/w/watchlist.toml")) {
            Ok(_) => Vec::new(),
            Err(crate::watchlist::WatchlistError::Invalid { problems, .. }) => problems
                .into_iter()
                .map(|p| format!("{}:{}", p.line.unwrap_or(0), p.field.unwrap_or_default()))
                .collect(),
            Err(e) => vec![e.to_string()],
        }
    }

    #[test]
    fn a_feed_takes_defaults_and_names_its_problems() {
        let text = "[[feed]]\nname = \"wire\"\nurl = \"https://e.org/rss\"\n";
        let list = Watchlist::parse(text, Path::new("/w/watchlist.toml")).expect("valid");
        let feed = &list.feeds[0];
        assert_eq!(feed.defaults.schedule.as_str(), "adaptive");
        assert_eq!(feed.limit, super::Feed::DEFAULT_LIMIT);
        let entry = url::Url::parse("https://e.org/news/1").expect("valid");
        let watch = feed.watch(entry.clone());
        // Stable and unique: the same entry, the same name; another, another.
        assert_eq!(watch.name, feed.watch(entry).name);
        assert!(watch.name.as_str().starts_with("wire-"));
        let other = url::Url::parse("https://e.org/news/2").expect("valid");
        assert_ne!(watch.name, feed.watch(other).name);
        let bad = "[[watch]]\nname = \"wire\"\nurl = \"https://e.org/a\"\n\
            [[feed]]\nname = \"wire\"\nurl = \"https://e.org/rss\"\nlimit = 0\n\
            [[feed]]\nname = \"b\"\nurl = \"ftp://e.org\"\nschedule = \"often\"\nretire_after = \"old\"\n";
        assert_eq!(
            problems(bad),
            [
                "7:feed.wire.limit",
                "10:feed.b.url",
                "11:feed.b.schedule",
                "12:feed.b.retire_after"
            ]
        );
        let clash = "[[watch]]\nname = \"wire\"\nurl = \"https://e.org/a\"\n\
            [[feed]]\nname = \"wire\"\nurl = \"https://e.org/rss\"\n";
        assert_eq!(problems(clash), ["5:feed.wire.name"]);
    }
}
