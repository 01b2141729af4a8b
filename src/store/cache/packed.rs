//! A watch's state packed into one allocation of a few hundred bytes, as
//! the store's cache keeps it: the fields in order, numbers as varints,
//! times as seconds and nanoseconds, and the hexadecimal digests and
//! fingerprints as the bytes they spell. The anchor is kept trimmed (what
//! it last saw and the digest of its bulk, see `KeptAnchor`).
//!
//! A `WatchState` held as a struct takes about 1.2 KB (the struct, a dozen
//! strings each in its own allocation, the anchor's boxed `Seen`); packed,
//! about 250 bytes, and one allocation instead of fifteen, which also
//! leaves the allocator fewer small holes between a pass's large buffers.
//! Unpacking costs about what cloning the struct did.
//!
//! Packing and unpacking name every field without `..`, so that a field
//! added to the state cannot be forgotten here: it does not compile. A
//! packing that does not unpack (it cannot happen, but a time out of
//! chrono's range would be one) is a miss: the store reads the file. This
//! module must not read or write files.

use chrono::{DateTime, Utc};

use crate::extract::{Region, Seen};
use crate::store::{KeptAnchor, Return, Shown, Shrink, WatchState};

/// Packs `state`, its anchor trimmed.
pub(super) fn pack(state: &WatchState) -> Box<[u8]> {
    let WatchState {
        schema,
        url,
        etag,
        last_modified,
        last_check,
        last_outcome,
        current_version,
        shows,
        announced,
        failures,
        failing_since,
        last_error,
        failure_alerted,
        shrink,
        alerted,
        returns,
        anchor,
        published,
        first_seen,
        last_change,
    } = state;
    let mut out = Packer(Vec::with_capacity(256));
    out.number(u64::from(*schema));
    out.text(url);
    out.option(etag.as_deref(), Packer::text);
    out.option(last_modified.as_deref(), Packer::text);
    out.option(*last_check, Packer::time);
    out.option(last_outcome.as_deref(), Packer::text);
    out.option(*current_version, Packer::small);
    out.option(shows.as_ref(), |out, shown| {
        out.small(shown.version);
        out.text(&shown.fingerprint);
    });
    out.option(*announced, Packer::small);
    out.small(*failures);
    out.option(*failing_since, Packer::time);
    out.option(last_error.as_deref(), Packer::text);
    out.flag(*failure_alerted);
    out.option(shrink.as_ref(), |out, shrink| {
        out.text(&shrink.fingerprint);
        out.small(shrink.checks);
    });
    out.number(alerted.len() as u64);
    for [from, to] in alerted {
        out.small(*from);
        out.small(*to);
    }
    out.number(returns.len() as u64);
    for back in returns {
        out.time(back.at);
        out.small(back.from);
        out.small(back.to);
    }
    out.option(anchor.as_ref(), |out, anchor| {
        out.0.extend_from_slice(&anchor.bulk().to_le_bytes());
        out.option(anchor.seen(), Packer::seen);
    });
    out.option(*published, Packer::time);
    out.option(*first_seen, Packer::time);
    out.option(*last_change, Packer::time);
    out.0.into_boxed_slice()
}

/// The state `bytes` were packed from; `None` when they do not unpack.
pub(super) fn unpack(bytes: &[u8]) -> Option<WatchState> {
    let mut input = Unpacker(bytes);
    let input = &mut input;
    let state = WatchState {
        schema: input.small()?,
        url: input.text()?,
        etag: input.option(Unpacker::text)?,
        last_modified: input.option(Unpacker::text)?,
        last_check: input.option(Unpacker::time)?,
        last_outcome: input.option(Unpacker::text)?,
        current_version: input.option(Unpacker::small)?,
        shows: input.option(|input| {
            Some(Shown {
                version: input.small()?,
                fingerprint: input.text()?,
            })
        })?,
        announced: input.option(Unpacker::small)?,
        failures: input.small()?,
        failing_since: input.option(Unpacker::time)?,
        last_error: input.option(Unpacker::text)?,
        failure_alerted: input.flag()?,
        shrink: input.option(|input| {
            Some(Shrink {
                fingerprint: input.text()?,
                checks: input.small()?,
            })
        })?,
        alerted: input.list(|input| Some([input.small()?, input.small()?]))?,
        returns: input.list(|input| {
            Some(Return {
                at: input.time()?,
                from: input.small()?,
                to: input.small()?,
            })
        })?,
        anchor: input.option(|input| {
            let bulk = u64::from_le_bytes(input.take(8)?.try_into().ok()?);
            let seen = input.option(Unpacker::seen)?;
            Some(KeptAnchor::trimmed_of(seen, bulk))
        })?,
        published: input.option(Unpacker::time)?,
        first_seen: input.option(Unpacker::time)?,
        last_change: input.option(Unpacker::time)?,
    };
    input.0.is_empty().then_some(state)
}

/// Writes fields into a packing.
struct Packer(Vec<u8>);

impl Packer {
    /// An unsigned number, seven bits a byte (LEB128).
    fn number(&mut self, mut n: u64) {
        while n >= 0x80 {
            self.0.push((n as u8) | 0x80);
            n >>= 7;
        }
        self.0.push(n as u8);
    }

    fn small(&mut self, n: u32) {
        self.number(u64::from(n));
    }

    fn flag(&mut self, on: bool) {
        self.0.push(u8::from(on));
    }

    /// A string: its length doubled, plus one when it is lowercase
    /// hexadecimal of even length and written as the bytes it spells.
    fn text(&mut self, text: &str) {
        let hex = !text.is_empty()
            && text.len().is_multiple_of(2)
            && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if hex {
            self.number(((text.len() as u64 / 2) << 1) | 1);
            for pair in text.as_bytes().chunks_exact(2) {
                self.0.push(nibble(pair[0]) << 4 | nibble(pair[1]));
            }
        } else {
            self.number((text.len() as u64) << 1);
            self.0.extend_from_slice(text.as_bytes());
        }
    }

    /// A time as its seconds since the epoch (zigzag) and nanoseconds.
    fn time(&mut self, at: DateTime<Utc>) {
        let seconds = at.timestamp();
        self.number(((seconds << 1) ^ (seconds >> 63)) as u64);
        self.small(at.timestamp_subsec_nanos());
    }

    fn seen(&mut self, seen: &Seen) {
        let Seen {
            page,
            fingerprint,
            region,
        } = seen;
        self.text(page);
        self.text(fingerprint);
        self.option(region.as_ref(), |out, region| {
            let Region { start_tag, digest } = region;
            out.text(start_tag);
            out.text(digest);
        });
    }

    /// A byte saying whether `value` is there, then it.
    fn option<T>(&mut self, value: Option<T>, write: impl FnOnce(&mut Self, T)) {
        self.flag(value.is_some());
        if let Some(value) = value {
            write(self, value);
        }
    }
}

/// The value of a lowercase hexadecimal digit.
fn nibble(digit: u8) -> u8 {
    match digit {
        b'0'..=b'9' => digit - b'0',
        _ => digit - b'a' + 10,
    }
}

/// Reads fields from a packing, in the order [`Packer`] wrote them.
struct Unpacker<'a>(&'a [u8]);

impl Unpacker<'_> {
    fn take(&mut self, count: usize) -> Option<&[u8]> {
        let (taken, rest) = self.0.split_at_checked(count)?;
        self.0 = rest;
        Some(taken)
    }

    fn number(&mut self) -> Option<u64> {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = *self.take(1)?.first()?;
            n |= u64::from(byte & 0x7f) << shift;
            if byte < 0x80 {
                return Some(n);
            }
        }
        None
    }

    fn small(&mut self) -> Option<u32> {
        u32::try_from(self.number()?).ok()
    }

    fn flag(&mut self) -> Option<bool> {
        match self.take(1)? {
            [0] => Some(false),
            [1] => Some(true),
            _ => None,
        }
    }

    fn text(&mut self) -> Option<String> {
        let head = self.number()?;
        let len = usize::try_from(head >> 1).ok()?;
        let bytes = self.take(len)?;
        if head & 1 == 0 {
            return String::from_utf8(bytes.to_vec()).ok();
        }
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut text = String::with_capacity(len * 2);
        for byte in bytes {
            text.push(char::from(DIGITS[usize::from(byte >> 4)]));
            text.push(char::from(DIGITS[usize::from(byte & 0xf)]));
        }
        Some(text)
    }

    fn time(&mut self) -> Option<DateTime<Utc>> {
        let zigzag = self.number()?;
        let seconds = ((zigzag >> 1) as i64) ^ -((zigzag & 1) as i64);
        DateTime::from_timestamp(seconds, self.small()?)
    }

    fn seen(&mut self) -> Option<Seen> {
        Some(Seen {
            page: self.text()?,
            fingerprint: self.text()?,
            region: self.option(|input| {
                Some(Region {
                    start_tag: input.text()?,
                    digest: input.text()?,
                })
            })?,
        })
    }

    /// `Some(None)` for an absent value, `None` when the bytes are wrong.
    fn option<T>(&mut self, read: impl FnOnce(&mut Self) -> Option<T>) -> Option<Option<T>> {
        if self.flag()? {
            read(self).map(Some)
        } else {
            Some(None)
        }
    }

    fn list<T>(&mut self, mut read: impl FnMut(&mut Self) -> Option<T>) -> Option<Vec<T>> {
        let count = usize::try_from(self.number()?).ok()?;
        // A count is never more than the bytes left: each item takes one.
        if count > self.0.len() {
            return None;
        }
        (0..count).map(|_| read(self)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::{pack, unpack};
    use crate::store::{KeptAnchor, WatchState};

    #[test]
    fn a_state_unpacks_as_it_was_with_its_anchor_trimmed() {
        let at = chrono::Utc::now();
        let mut state = WatchState {
            schema: 7,
            url: "http://example.test/a".to_owned(),
            etag: Some("\"0a1b\"".to_owned()),
            last_check: Some(at),
            last_outcome: Some("changed".to_owned()),
            current_version: Some(300),
            shows: Some(crate::store::Shown {
                version: 300,
                fingerprint: "00ff".repeat(8),
            }),
            failures: 2,
            failing_since: Some(at - chrono::Duration::days(20_000)),
            last_error: Some("ABCDEF".to_owned()),
            failure_alerted: true,
            shrink: Some(crate::store::Shrink {
                fingerprint: "abc".to_owned(),
                checks: u32::MAX,
            }),
            first_seen: Some(at - chrono::Duration::nanoseconds(1)),
            ..WatchState::default()
        };
        state.remember_alerted(1, 2);
        state.remember_return(at, 2, 1);
        assert_eq!(unpack(&pack(&state)), Some(state.clone()));
        state.anchor = Some(KeptAnchor::Whole(Box::new(crate::extract::Anchor {
            path: Vec::new(),
            sketch: vec![1, 2],
            chars: 10,
            kinds: None,
            runs: vec![4],
            seen: Some(crate::extract::Seen {
                page: "0123456789abcdef".to_owned(),
                fingerprint: "Fingerprint".to_owned(),
                region: Some(crate::extract::Region {
                    start_tag: "<article class=\"a\">".to_owned(),
                    digest: "ee".repeat(16),
                }),
            }),
        })));
        assert_eq!(unpack(&pack(&state)), Some(state.trimmed()));
        assert_eq!(unpack(&pack(&state.trimmed())), Some(state.trimmed()));
    }

    #[test]
    fn bytes_cut_short_do_not_unpack() {
        let state = WatchState {
            url: "http://example.test/a".to_owned(),
            last_check: Some(chrono::Utc::now()),
            ..WatchState::default()
        };
        let packed = pack(&state);
        for len in 0..packed.len() {
            assert_eq!(unpack(&packed[..len]), None, "cut at {len}");
        }
    }
}
