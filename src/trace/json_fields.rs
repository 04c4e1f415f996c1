//! Pulls a few fields out of one JSON object without building it: a streaming serde
//! walk that captures the wanted fields (by flat dotted name, or by a path into nested
//! objects) as borrowed text or numbers and skips everything else. An access-log line
//! is read without allocating, unless a captured string has escapes.

use std::borrow::Cow;
use std::fmt;

use serde::Deserializer as _;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, Visitor};

/// A captured field value.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Val<'a> {
    /// A string (borrowed from the line unless it had escapes).
    Str(Cow<'a, str>),
    /// A non-negative integer.
    U64(u64),
    /// Any other number.
    F64(f64),
    /// `true` or `false`.
    Bool(bool),
    /// `null`.
    Null,
    /// An object or array.
    Other,
}

/// Keys of at most this many bytes are compared as two words.
const KEY_WORDS: usize = 16;

/// The first `len` (at most 16) bytes of `window` as two little-endian words, the bytes
/// past `len` cleared.
#[inline(always)]
fn key_words(window: &[u8; KEY_WORDS], len: usize) -> [u64; 2] {
    let word = |at: usize| u64::from_le_bytes(window[at..at + 8].try_into().expect("8 bytes"));
    // The low `n` bytes of a word (n in 0..=8).
    let keep = |n: usize| {
        if n >= 8 {
            u64::MAX
        } else {
            (1u64 << (8 * n)) - 1
        }
    };
    [word(0) & keep(len), word(8) & keep(len.saturating_sub(8))]
}

/// Most fields one call can capture.
pub(super) const MAX_FIELDS: usize = 10;

/// The wanted field paths, compiled into one table of keys per object level, so each
/// key of a line is looked up once (rather than compared with every wanted path).
#[derive(Debug, Clone)]
pub(super) struct Fields {
    /// Level 0 is the line's object; an entry's `child` is the level under its key.
    levels: Vec<Vec<Entry>>,
    /// Per level, bit `n` set when a key of `n` bytes (below 64) is there: most keys of
    /// a line are told apart by their length alone.
    lengths: Vec<u64>,
}

/// What one key at one level leads to.
#[derive(Debug, Clone)]
pub(super) struct Entry {
    pub(super) key: Box<str>,
    /// A key of at most 16 bytes as two little-endian words, zero past its end (see
    /// [`key_words`]): compared without a call to `memcmp`.
    words: Option<[u64; 2]>,
    /// The slots whose path ends at this key.
    pub(super) here: u32,
    /// The slots whose whole dotted path is this (flat) key: level 0 only.
    pub(super) flat: u32,
    /// The level under this key, for paths that go deeper.
    pub(super) child: Option<usize>,
}

impl Fields {
    /// Compiles `wanted[i]` (path segments) for slot `i`. A flat key equal to the whole
    /// dotted path wins over a nested path (access-log formats often use flat keys such
    /// as `"identity.userArn"`).
    pub(super) fn new(wanted: &[Vec<String>]) -> Fields {
        debug_assert!(wanted.len() <= MAX_FIELDS);
        let mut levels: Vec<Vec<Entry>> = vec![Vec::new()];
        fn entry<'l>(levels: &'l mut [Vec<Entry>], level: usize, key: &str) -> &'l mut Entry {
            let at = match levels[level].iter().position(|e| &*e.key == key) {
                Some(i) => i,
                None => {
                    levels[level].push(Entry {
                        key: key.into(),
                        words: (key.len() <= KEY_WORDS).then(|| {
                            let mut padded = [0u8; KEY_WORDS];
                            padded[..key.len()].copy_from_slice(key.as_bytes());
                            key_words(&padded, key.len())
                        }),
                        here: 0,
                        flat: 0,
                        child: None,
                    });
                    levels[level].len() - 1
                }
            };
            &mut levels[level][at]
        }
        for (i, path) in wanted.iter().enumerate() {
            let bit = 1u32 << i;
            if path.len() > 1 {
                entry(&mut levels, 0, &path.join(".")).flat |= bit;
            }
            let mut level = 0;
            for (depth, seg) in path.iter().enumerate() {
                if depth + 1 == path.len() {
                    entry(&mut levels, level, seg).here |= bit;
                } else {
                    let child = match entry(&mut levels, level, seg).child {
                        Some(c) => c,
                        None => {
                            levels.push(Vec::new());
                            let c = levels.len() - 1;
                            entry(&mut levels, level, seg).child = Some(c);
                            c
                        }
                    };
                    level = child;
                }
            }
        }
        let lengths = levels
            .iter()
            .map(|keys| {
                keys.iter()
                    .map(|e| {
                        if e.key.len() < 64 {
                            1u64 << e.key.len()
                        } else {
                            0
                        }
                    })
                    .fold(0, |a, b| a | b)
            })
            .collect();
        Fields { levels, lengths }
    }

    /// The entry of `key` (its bytes as written, without escapes) at level `level`.
    #[inline]
    pub(super) fn find(&self, level: usize, key: &[u8]) -> Option<&Entry> {
        if key.len() < 64 && self.lengths[level] & (1 << key.len()) == 0 {
            return None;
        }
        self.levels[level].iter().find(|e| e.key.as_bytes() == key)
    }

    /// [`Fields::find`] of the key `line[at..at + len]`: a key of at most 16 bytes with
    /// 16 bytes of the line from `at` is compared as two words.
    #[inline]
    pub(super) fn find_at(
        &self,
        level: usize,
        line: &[u8],
        at: usize,
        len: usize,
    ) -> Option<&Entry> {
        if len < 64 && self.lengths[level] & (1 << len) == 0 {
            return None;
        }
        if len <= KEY_WORDS
            && let Some(window) = line.get(at..at + KEY_WORDS)
        {
            let words = key_words(window.try_into().expect("16 bytes"), len);
            return self.levels[level]
                .iter()
                .find(|e| e.words == Some(words) && e.key.len() == len);
        }
        self.find(level, &line[at..at + len])
    }

    /// Captures each slot's field into `out[slot]` from the JSON object `line`.
    pub(super) fn extract<'a>(
        &self,
        line: &'a [u8],
        out: &mut [Option<Val<'a>>; MAX_FIELDS],
    ) -> Result<(), String> {
        for o in out.iter_mut() {
            *o = None;
        }
        let mut de = serde_json::Deserializer::from_slice(line);
        let mut flat = 0u32;
        de.deserialize_map(Level {
            fields: self,
            level: 0,
            out,
            flat: &mut flat,
        })
        .map_err(|e| format!("not JSON: {e}"))?;
        de.end().map_err(|e| format!("not JSON: {e}"))
    }
}

/// One object level of the walk.
struct Level<'w, 'o, 'a> {
    fields: &'w Fields,
    level: usize,
    out: &'o mut [Option<Val<'a>>; MAX_FIELDS],
    flat: &'o mut u32,
}

impl<'de> Visitor<'de> for Level<'_, '_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<(), M::Error> {
        while let Some(Key(key)) = map.next_key()? {
            let Some(e) = self.fields.find(self.level, key.as_bytes()) else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            // A nested capture does not replace a flat one.
            let capture = (e.here & !*self.flat) | e.flat;
            if capture != 0 {
                let v = map.next_value_seed(ValSeed)?;
                for i in 0..MAX_FIELDS {
                    if capture & (1 << i) != 0 {
                        self.out[i] = Some(v.clone());
                    }
                }
                *self.flat |= e.flat;
            } else if let Some(child) = e.child {
                map.next_value_seed(Nested {
                    fields: self.fields,
                    level: child,
                    out: &mut *self.out,
                    flat: &mut *self.flat,
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

/// A value under a key that leads to wanted paths: an object to walk, or anything
/// else to skip.
struct Nested<'w, 'o, 'a> {
    fields: &'w Fields,
    level: usize,
    out: &'o mut [Option<Val<'a>>; MAX_FIELDS],
    flat: &'o mut u32,
}

impl<'de> DeserializeSeed<'de> for Nested<'_, '_, 'de> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(NestedVisitor(Level {
            fields: self.fields,
            level: self.level,
            out: self.out,
            flat: self.flat,
        }))
    }
}

struct NestedVisitor<'w, 'o, 'a>(Level<'w, 'o, 'a>);

impl<'de> Visitor<'de> for NestedVisitor<'_, '_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<(), M::Error> {
        self.0.visit_map(map)
    }

    fn visit_seq<S: de::SeqAccess<'de>>(self, mut seq: S) -> Result<(), S::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(())
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
}

/// An object key, borrowed when it has no escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(s.to_owned())))
            }
        }
        d.deserialize_str(V)
    }
}

/// A captured value.
pub(super) struct ValSeed;

impl<'de> DeserializeSeed<'de> for ValSeed {
    type Value = Val<'de>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Val<'de>, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Val<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Val<'de>, E> {
                Ok(Val::Str(Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Val<'de>, E> {
                Ok(Val::Str(Cow::Owned(s.to_owned())))
            }
            fn visit_u64<E>(self, n: u64) -> Result<Val<'de>, E> {
                Ok(Val::U64(n))
            }
            fn visit_i64<E>(self, n: i64) -> Result<Val<'de>, E> {
                Ok(Val::F64(n as f64))
            }
            fn visit_f64<E>(self, x: f64) -> Result<Val<'de>, E> {
                Ok(Val::F64(x))
            }
            fn visit_bool<E>(self, b: bool) -> Result<Val<'de>, E> {
                Ok(Val::Bool(b))
            }
            fn visit_unit<E>(self) -> Result<Val<'de>, E> {
                Ok(Val::Null)
            }
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Val<'de>, M::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Val::Other)
            }
            fn visit_seq<S: de::SeqAccess<'de>>(self, mut seq: S) -> Result<Val<'de>, S::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Val::Other)
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(p: &[&str]) -> Vec<Vec<String>> {
        p.iter()
            .map(|s| s.split('.').map(str::to_owned).collect())
            .collect()
    }

    #[test]
    fn keys_compared_as_words_match_exactly_the_keys_compared_as_bytes() {
        // Wanted keys of every length up to 20 (words up to 16, bytes past), some
        // sharing a prefix or differing only in their last byte.
        let wanted: Vec<String> = (1..=20)
            .map(|n| "abcdefghijklmnopqrst"[..n].to_owned())
            .chain(["abcdefghijklmnoQ".into(), "abcdefgH".into()])
            .collect();
        // More keys than one call captures: the level is put together from one-key tables.
        let fields = Fields {
            levels: vec![
                wanted
                    .iter()
                    .map(|k| Fields::new(&[vec![k.clone()]]).levels[0][0].clone())
                    .collect(),
            ],
            lengths: vec![u64::MAX],
        };
        let candidates: Vec<String> = wanted
            .iter()
            .cloned()
            .chain((0..=20).map(|n| "abcdefghijklmnopqrsX"[..n].to_owned()))
            .chain((1..=20).map(|n| format!("{}\0", &"abcdefghijklmnopqrst"[..n - 1])))
            .collect();
        for key in &candidates {
            // The key at the line's end (too few bytes for words) and with room after.
            for tail in ["", "\":\"value of the key\"}"] {
                let line = format!("{{\"{key}{tail}");
                let got = fields.find_at(0, line.as_bytes(), 2, key.len());
                let want = fields.find(0, key.as_bytes());
                assert_eq!(
                    got.map(|e| &e.key),
                    want.map(|e| &e.key),
                    "{key:?} {tail:?}"
                );
                assert_eq!(want.is_some(), wanted.contains(key), "{key:?}");
            }
        }
    }

    #[test]
    fn flat_and_nested_fields_are_captured_and_the_rest_skipped() {
        let wanted = paths(&[
            "time",
            "identity.userArn",
            "identity.caller",
            "size",
            "missing",
        ]);
        let mut out = Default::default();
        let line = br#"{"skip":{"a":[1,{"b":2}]},"time":1764000000000,"identity":{"caller":"AIDA","userArn":"arn:x"},"size":"12","esc":"a\"b"}"#;
        Fields::new(&wanted).extract(line, &mut out).unwrap();
        assert_eq!(out[0], Some(Val::U64(1_764_000_000_000)));
        assert_eq!(out[1], Some(Val::Str(Cow::Borrowed("arn:x"))));
        assert_eq!(out[2], Some(Val::Str(Cow::Borrowed("AIDA"))));
        assert_eq!(out[3], Some(Val::Str(Cow::Borrowed("12"))));
        assert_eq!(out[4], None);
        // A flat dotted key wins over the nested path, in either order.
        for line in [
            &br#"{"identity.userArn":"flat","identity":{"userArn":"nested"}}"#[..],
            &br#"{"identity":{"userArn":"nested"},"identity.userArn":"flat"}"#[..],
        ] {
            Fields::new(&wanted).extract(line, &mut out).unwrap();
            assert_eq!(out[1], Some(Val::Str(Cow::Borrowed("flat"))));
        }
        // Escaped strings are unescaped; a wanted path through a non-object is absent.
        let line = br#"{"identity":"none","time":"24\/Nov\/2025:16:00:00 +0000"}"#;
        Fields::new(&wanted).extract(line, &mut out).unwrap();
        assert_eq!(
            out[0],
            Some(Val::Str(Cow::Owned("24/Nov/2025:16:00:00 +0000".into())))
        );
        assert_eq!(out[1], None);
        for bad in [&b"{\"time\":1"[..], b"[1,2]", b"{} trailing", b""] {
            assert!(
                Fields::new(&wanted).extract(bad, &mut out).is_err(),
                "{bad:?}"
            );
        }
    }
}
