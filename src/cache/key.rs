//! Cache keys: a 64-bit fingerprint of (cache namespace, method, the values of the
//! declared cache key parameters), computed once per request from integer value ids, so
//! no string is built per lookup. The cache's index hashes the fingerprint once more.
//!
//! Two different parameter tuples share a fingerprint with probability about n²/2⁶⁵ for
//! n live keys (3·10⁻⁶ at 10⁷ keys); such a collision would merge two entries, which is
//! negligible next to sampling noise.

use std::hash::{BuildHasherDefault, Hasher};

/// A cache key fingerprint.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CacheKey(pub u64);

/// Builds a [`CacheKey`] (or any fingerprint) from a sequence of integers; order matters.
#[derive(Debug, Clone, Copy)]
pub struct Fingerprint(u64);

impl Fingerprint {
    /// Starts a fingerprint; `domain` separates unrelated uses of the same values.
    #[inline]
    pub const fn new(domain: u64) -> Fingerprint {
        Fingerprint(mix(domain ^ 0x243F_6A88_85A3_08D3))
    }

    /// Adds one value: xor, multiply by an odd constant, rotate (each a bijection of the
    /// state, so one push never maps two values to one state); `finish` avalanches.
    #[inline]
    #[must_use]
    pub const fn push(self, value: u64) -> Fingerprint {
        Fingerprint(
            (self.0 ^ value)
                .wrapping_mul(0x9E37_79B9_7F4A_7C15)
                .rotate_left(29),
        )
    }

    /// The fingerprint. Each push already multiplies by a large odd constant and
    /// rotates the well-mixed high product bits down, so one xor-fold suffices for the
    /// cache's index, which multiplies again and takes the top bits as a key's home slot
    /// (a full `fmix64` here cost much of a gateway decision).
    #[inline]
    pub const fn finish(self) -> u64 {
        self.0 ^ (self.0 >> 32)
    }

    /// The fingerprint as a cache key.
    #[inline]
    pub const fn key(self) -> CacheKey {
        CacheKey(self.finish())
    }
}

/// The MurmurHash3 64-bit finalizer (`fmix64`): a bijection with full avalanche.
#[inline]
const fn mix(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// A `Hasher` that passes a pre-mixed `u64` through unchanged.
#[derive(Debug, Default, Clone, Copy)]
pub struct IdentityHasher(u64);

impl Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is used by `CacheKey`; anything else is folded in safely.
        for &b in bytes {
            self.0 = mix(self.0 ^ u64::from(b));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Builds [`IdentityHasher`]s.
pub type IdentityBuild = BuildHasherDefault<IdentityHasher>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_depend_on_every_value_and_their_order() {
        let f = |vals: &[u64]| {
            vals.iter()
                .fold(Fingerprint::new(1), |f, &v| f.push(v))
                .finish()
        };
        assert_ne!(f(&[1, 2]), f(&[2, 1]));
        assert_ne!(f(&[0]), f(&[]));
        assert_ne!(f(&[0, 0]), f(&[0]));
        assert_ne!(
            Fingerprint::new(1).push(5).finish(),
            Fingerprint::new(2).push(5).finish()
        );
        // No collisions over a dense grid of small values (the simulator's value ids).
        let mut seen = std::collections::HashSet::new();
        for a in 0..300 {
            for b in 0..300 {
                assert!(seen.insert(f(&[a, b])));
            }
        }
    }
}
