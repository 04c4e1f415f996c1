//! Truncating an `f64` to a `u64` on the hot path, with exactly the results of `as`: on
//! x86-64 without AVX-512 `as u64` (and back to `f64`) takes a dozen instructions where
//! `as i64` takes a few, so every value below 2^63 (all the arrival gaps it converts)
//! goes through `i64`, and only the rest through the unsigned conversion.

/// 2^63, exactly.
const I64_BOUND: f64 = 9_223_372_036_854_775_808.0;

/// `x as u64` (truncated, saturating at `u64::MAX`, 0 for NaN), and that integer
/// `as f64`, for an `x` that is not negative.
#[inline(always)]
pub fn truncate(x: f64) -> (u64, f64) {
    debug_assert!(x >= 0.0 || x.is_nan(), "{x} is negative");
    if x < I64_BOUND {
        let n = x as i64;
        (n as u64, n as f64)
    } else {
        let n = x as u64;
        (n, n as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt as _, SeedableRng};

    /// `truncate` against the casts it stands for, bit for bit.
    fn check(x: f64) {
        let (n, back) = truncate(x);
        assert_eq!(n, x as u64, "truncate({x:e})");
        assert_eq!(
            back.to_bits(),
            (x as u64 as f64).to_bits(),
            "truncate({x:e})"
        );
    }

    #[test]
    fn the_same_as_the_unsigned_casts_at_every_edge() {
        let two63 = I64_BOUND;
        for x in [
            0.0,
            -0.0,
            0.49,
            0.5,
            0.999_999,
            1.0,
            f64::NAN,
            -f64::NAN,
            f64::INFINITY,
            f64::MIN_POSITIVE,
            (1u64 << 53) as f64,
            (1u64 << 53) as f64 + 2.0,
            two63,
            two63 - 1024.0,
            two63 + 2048.0,
            18_446_744_073_709_551_616.0,
            1e300,
        ] {
            check(x);
        }
        assert_eq!(truncate(two63 - 1024.0).0, (1 << 63) - 1024);
        assert_eq!(
            truncate(two63).0,
            1 << 63,
            "2^63 itself takes the unsigned way"
        );
    }

    #[test]
    fn the_same_as_the_unsigned_casts_on_random_values() {
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(7);
        for _ in 0..200_000 {
            // Every non-negative `f64` (and NaN): the sign bit cleared.
            let bits: u64 = rng.random();
            check(f64::from_bits(bits >> 1));
            // Gaps in microseconds, as the simulator meets them.
            check(rng.random::<f64>() * 1e15);
        }
    }
}
