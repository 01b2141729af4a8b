//! Shards: one watchlist split between N instances with no coordination.
//! Instance I of N takes the watches whose stable hash of the name falls
//! in its share, so every watch belongs to exactly one instance, and the
//! same one on every machine and every run. This module only decides
//! membership and names; the store and the outbox use [`Shard::tag`] to
//! keep each instance's lock and queue apart.

use std::fmt;
use std::str::FromStr;

use super::WatchName;

/// The most instances one watchlist can be split between.
pub const MAX_SHARDS: u32 = 4096;

/// Instance `index` of `count` (`index` counts from 0, like a Kubernetes
/// pod ordinal or a systemd template instance).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Shard {
    index: u32,
    count: u32,
}

/// Why a shard could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShardError {
    /// Not of the form `I/N`.
    #[error("`{0}` is not a shard: write I/N, e.g. 0/3 for the first of three instances")]
    Form(String),
    /// `I` is not below `N`, or `N` is 0 or too large.
    #[error(
        "shard {index}/{count} does not exist: I counts from 0 and must be below N (1 to {MAX_SHARDS})"
    )]
    Range {
        /// The index given.
        index: u32,
        /// The count given.
        count: u32,
    },
}

impl Shard {
    /// Instance `index` of `count`.
    ///
    /// # Errors
    ///
    /// [`ShardError::Range`] unless `index < count <= MAX_SHARDS`.
    pub fn new(index: u32, count: u32) -> Result<Self, ShardError> {
        if count == 0 || count > MAX_SHARDS || index >= count {
            return Err(ShardError::Range { index, count });
        }
        Ok(Shard { index, count })
    }

    /// This instance's number, from 0.
    pub fn index(self) -> u32 {
        self.index
    }

    /// How many instances share the watchlist.
    pub fn count(self) -> u32 {
        self.count
    }

    /// Whether the watch named `name` is this instance's. The share is the
    /// BLAKE3 hash of the name modulo N: stable across machines, releases
    /// and watchlist order, and even over the names.
    pub fn owns(self, name: &WatchName) -> bool {
        let hash = blake3::hash(name.as_str().as_bytes());
        let mut first = [0u8; 8];
        first.copy_from_slice(&hash.as_bytes()[..8]);
        u64::from_le_bytes(first) % u64::from(self.count) == u64::from(self.index)
    }

    /// The shard in file names: `I-of-N`.
    pub fn tag(self) -> String {
        format!("{}-of-{}", self.index, self.count)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = ShardError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let form = || ShardError::Form(text.to_owned());
        let (index, count) = text.trim().split_once('/').ok_or_else(form)?;
        let index = index.trim().parse().map_err(|_| form())?;
        let count = count.trim().parse().map_err(|_| form())?;
        Shard::new(index, count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(text: &str) -> WatchName {
        WatchName::parse(text).expect("a valid name")
    }

    #[test]
    fn every_watch_belongs_to_exactly_one_shard() {
        let shards: Vec<Shard> = (0..3).map(|i| Shard::new(i, 3).expect("shard")).collect();
        let mut sizes = [0usize; 3];
        for n in 0..3000 {
            let watch = name(&format!("story-{n}"));
            let owners: Vec<u32> = shards
                .iter()
                .filter(|s| s.owns(&watch))
                .map(|s| s.index())
                .collect();
            assert_eq!(owners.len(), 1, "{watch} has owners {owners:?}");
            sizes[owners[0] as usize] += 1;
        }
        // BLAKE3 spreads names evenly: each share is near a third.
        assert!(sizes.iter().all(|&s| (850..1150).contains(&s)), "{sizes:?}");
    }

    #[test]
    fn shards_are_read_as_index_over_count() {
        assert_eq!("1/3".parse::<Shard>(), Shard::new(1, 3));
        assert_eq!(
            "0/1".parse::<Shard>().map(Shard::tag),
            Ok("0-of-1".to_owned())
        );
        assert!(matches!(
            "3/3".parse::<Shard>(),
            Err(ShardError::Range { .. })
        ));
        assert!(matches!(
            "0/0".parse::<Shard>(),
            Err(ShardError::Range { .. })
        ));
        assert!(matches!("first".parse::<Shard>(), Err(ShardError::Form(_))));
    }
}
