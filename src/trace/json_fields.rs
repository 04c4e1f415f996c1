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

/// Most fields one call can capture.
pub(super) const MAX_FIELDS: usize = 8;

/// Captures `wanted[i]` (path segments) into `out[i]` from the JSON object `line`.
/// A flat key equal to the whole dotted path wins over a nested path (access-log
/// formats often use flat keys such as `"identity.userArn"`).
pub(super) fn extract<'a>(
    line: &'a [u8],
    wanted: &[Vec<String>],
    out: &mut [Option<Val<'a>>; MAX_FIELDS],
) -> Result<(), String> {
    debug_assert!(wanted.len() <= MAX_FIELDS);
    for o in out.iter_mut() {
        *o = None;
    }
    let mut de = serde_json::Deserializer::from_slice(line);
    let mut flat = 0u32;
    let active = (1u32 << wanted.len()) - 1;
    de.deserialize_map(Level {
        wanted,
        depth: 0,
        active,
        out,
        flat: &mut flat,
    })
    .map_err(|e| format!("not JSON: {e}"))?;
    de.end().map_err(|e| format!("not JSON: {e}"))
}

/// `key` equals the segments of `path` joined with `.`.
fn eq_joined(key: &str, path: &[String]) -> bool {
    let mut rest = key;
    for (i, seg) in path.iter().enumerate() {
        if i > 0 {
            let Some(r) = rest.strip_prefix('.') else {
                return false;
            };
            rest = r;
        }
        let Some(r) = rest.strip_prefix(seg.as_str()) else {
            return false;
        };
        rest = r;
    }
    rest.is_empty()
}

/// One object level of the walk: `active` are the wanted paths whose first `depth`
/// segments led here.
struct Level<'w, 'o, 'a> {
    wanted: &'w [Vec<String>],
    depth: usize,
    active: u32,
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
            let (mut here, mut deeper, mut flat_here) = (0u32, 0u32, 0u32);
            for (i, path) in self.wanted.iter().enumerate() {
                if self.active & (1 << i) == 0 {
                    continue;
                }
                if self.depth == 0 && path.len() > 1 && eq_joined(&key, path) {
                    flat_here |= 1 << i;
                } else if path.get(self.depth).is_some_and(|s| *s == *key) {
                    if path.len() == self.depth + 1 {
                        here |= 1 << i;
                    } else {
                        deeper |= 1 << i;
                    }
                }
            }
            // A nested capture does not replace a flat one.
            here &= !*self.flat;
            let capture = here | flat_here;
            if capture != 0 {
                let v = map.next_value_seed(ValSeed)?;
                for i in 0..self.wanted.len() {
                    if capture & (1 << i) != 0 {
                        self.out[i] = Some(v.clone());
                    }
                }
                *self.flat |= flat_here;
            } else if deeper != 0 {
                map.next_value_seed(Nested {
                    wanted: self.wanted,
                    depth: self.depth + 1,
                    active: deeper,
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
    wanted: &'w [Vec<String>],
    depth: usize,
    active: u32,
    out: &'o mut [Option<Val<'a>>; MAX_FIELDS],
    flat: &'o mut u32,
}

impl<'de> DeserializeSeed<'de> for Nested<'_, '_, 'de> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(NestedVisitor(Level {
            wanted: self.wanted,
            depth: self.depth,
            active: self.active,
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
struct ValSeed;

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
        extract(line, &wanted, &mut out).unwrap();
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
            extract(line, &wanted, &mut out).unwrap();
            assert_eq!(out[1], Some(Val::Str(Cow::Borrowed("flat"))));
        }
        // Escaped strings are unescaped; a wanted path through a non-object is absent.
        let line = br#"{"identity":"none","time":"24\/Nov\/2025:16:00:00 +0000"}"#;
        extract(line, &wanted, &mut out).unwrap();
        assert_eq!(
            out[0],
            Some(Val::Str(Cow::Owned("24/Nov/2025:16:00:00 +0000".into())))
        );
        assert_eq!(out[1], None);
        for bad in [&b"{\"time\":1"[..], b"[1,2]", b"{} trailing", b""] {
            assert!(extract(bad, &wanted, &mut out).is_err(), "{bad:?}");
        }
    }
}
