//! A Zipf law fitted to key counts: the exponent by maximum likelihood over the ranks
//! whose counts are large enough to rank reliably, the Kolmogorov-Smirnov distance
//! between the fitted and the observed rank distribution as the goodness of fit, and
//! the verdict whether a Zipf law describes the keys at all.

/// Counts below this rank too noisily to place a key (a count of 5 is ±45%).
const MIN_COUNT: u64 = 5;

/// The largest KS distance a fit may have and still be said to hold: the fitted law's
/// cumulative share of requests is everywhere within 3 points of the observed one.
pub const MAX_KS: f64 = 0.03;

/// A fitted Zipf law.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct ZipfFit {
    /// The exponent `s` (weight of rank r: r^-s).
    pub exponent: f64,
    /// The ranks it was fitted over, 1..=ranks.
    pub ranks: u64,
    /// Their share of the requests.
    pub share: f64,
    /// The Kolmogorov-Smirnov distance between observed and fitted rank shares.
    pub ks: f64,
    /// Whether it holds (`ks <= MAX_KS`).
    pub fits: bool,
}

/// The maximum-likelihood Zipf law for `counts` (descending), over the ranks with at
/// least [`MIN_COUNT`] requests (at least 3 of them); `None` with fewer.
pub fn fit(counts: &[u64]) -> Option<ZipfFit> {
    debug_assert!(counts.windows(2).all(|w| w[0] >= w[1]));
    let all: u64 = counts.iter().sum();
    let ranks = counts.partition_point(|&c| c >= MIN_COUNT);
    if ranks < 3 {
        return None;
    }
    let counts = &counts[..ranks];
    let n: u64 = counts.iter().sum();
    let ln_r: Vec<f64> = (1..=ranks).map(|r| (r as f64).ln()).collect();
    let observed = counts
        .iter()
        .zip(&ln_r)
        .map(|(&c, l)| c as f64 * l)
        .sum::<f64>()
        / n as f64;
    // The expected ln(rank) falls as s grows: bisect for the s that gives the observed.
    let expected = |s: f64| {
        let (mut h, mut m) = (0.0, 0.0);
        for l in &ln_r {
            let w = (-s * l).exp();
            h += w;
            m += w * l;
        }
        m / h
    };
    let (mut lo, mut hi) = (0.0f64, 10.0f64);
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        if expected(mid) > observed {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let s = 0.5 * (lo + hi);
    let h: f64 = ln_r.iter().map(|l| (-s * l).exp()).sum();
    let (mut seen, mut fitted, mut ks) = (0.0, 0.0, 0.0f64);
    for (&c, l) in counts.iter().zip(&ln_r) {
        seen += c as f64 / n as f64;
        fitted += (-s * l).exp() / h;
        ks = ks.max((seen - fitted).abs());
    }
    Some(ZipfFit {
        exponent: s,
        ranks: ranks as u64,
        share: n as f64 / all as f64,
        ks,
        fits: ks <= MAX_KS,
    })
}

/// The most keys [`universe`] considers: beyond, the law's tail is too thin to matter.
const MAX_UNIVERSE: u64 = 1 << 24;

/// Ranks 1..=n as runs `(first rank, count)`: each rank alone up to 1024, then runs 1%
/// long, over which r^-s changes by under 1% (summing a run as its count times the
/// weight of its middle rank is then within 0.01% of the exact sum).
fn runs(n: u64) -> impl Iterator<Item = (u64, u64)> {
    let mut next = 1u64;
    std::iter::from_fn(move || {
        if next > n {
            return None;
        }
        let len = if next <= 1024 { 1 } else { (next / 100).max(1) };
        let len = len.min(n - next + 1);
        let run = (next, len);
        next += len;
        Some(run)
    })
}

/// Expected distinct keys among `requests` draws from a Zipf law of exponent `s` over
/// `n` keys: the sum over keys of 1 - (1 - p)^requests.
fn expected_distinct(s: f64, n: u64, requests: f64) -> f64 {
    let weight = |(first, len): (u64, u64)| (first as f64 + (len as f64 - 1.0) / 2.0).powf(-s);
    let h: f64 = runs(n).map(|r| r.1 as f64 * weight(r)).sum();
    runs(n)
        .map(|r| {
            let p = weight(r) / h;
            // (1 - p)^N = exp(N ln(1 - p)), exact for small p.
            r.1 as f64 * -(requests * (-p).ln_1p()).exp_m1()
        })
        .sum()
}

/// How many keys a Zipf law of exponent `s` must range over for `requests` draws to
/// show `distinct` keys, as the logs did: the keys never requested are part of the law's
/// tail, so a law over the keys seen alone is more concentrated than the logs. At least
/// `distinct`; `None` when even [`MAX_UNIVERSE`] keys show fewer (the tail is heavier
/// than any Zipf law of this exponent).
pub fn universe(s: f64, requests: u64, distinct: u64) -> Option<u64> {
    let (n, target) = (requests as f64, distinct as f64);
    if distinct == 0 || requests == 0 {
        return None;
    }
    let mut hi = distinct.max(1);
    while expected_distinct(s, hi, n) < target {
        if hi >= MAX_UNIVERSE {
            return None;
        }
        hi = (hi * 2).min(MAX_UNIVERSE);
    }
    let mut lo = distinct.max(1);
    if expected_distinct(s, lo, n) >= target {
        return Some(lo);
    }
    // expected(lo) < target <= expected(hi): bisect to a key.
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if expected_distinct(s, mid, n) < target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some(hi)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_distr::{Distribution, Zipf};

    fn sampled(keys: u64, s: f64, n: usize, seed: u64) -> Vec<u64> {
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(seed);
        let z = Zipf::new(keys as f64, s).unwrap();
        let mut counts = vec![0u64; keys as usize];
        for _ in 0..n {
            counts[z.sample(&mut rng) as usize - 1] += 1;
        }
        counts.sort_unstable_by(|a, b| b.cmp(a));
        counts
    }

    #[test]
    fn the_exponent_of_sampled_zipf_keys_is_recovered() {
        for (keys, s) in [(10_000u64, 1.0), (50_000, 0.7), (2_000, 1.3)] {
            let counts = sampled(keys, s, 500_000, 7);
            let f = fit(&counts).unwrap();
            assert!(
                (f.exponent - s).abs() < 0.03,
                "s = {s}: fitted {}",
                f.exponent
            );
            assert!(f.fits && f.ks < MAX_KS, "s = {s}: ks {}", f.ks);
            assert!(f.ranks >= 100, "{}", f.ranks);
        }
    }

    #[test]
    fn the_key_universe_is_recovered_from_the_distinct_keys_seen() {
        // 30,000 draws over 20,000 keys at Zipf 0.8 show far fewer distinct keys; the
        // universe that explains them is the true one, within 5%.
        let counts = sampled(20_000, 0.8, 30_000, 11);
        let distinct = counts.iter().filter(|&&c| c > 0).count() as u64;
        assert!(distinct < 15_000, "{distinct}");
        let u = universe(0.8, 30_000, distinct).unwrap();
        assert!((u as f64 / 20_000.0 - 1.0).abs() < 0.05, "{u}");
        // Every key seen many times: the universe is what was seen.
        assert_eq!(universe(0.5, 1_000_000, 100), Some(100));
        assert_eq!(universe(1.0, 0, 10), None);
    }

    #[test]
    fn keys_in_flat_bands_are_no_zipf_law() {
        // A flat head, a flat middle ten times rarer: far from any power law.
        let mut counts: Vec<u64> = (0..50)
            .map(|_| 2_000)
            .chain((0..2_000).map(|_| 200))
            .collect();
        counts.sort_unstable_by(|a, b| b.cmp(a));
        let f = fit(&counts).unwrap();
        assert!(!f.fits && f.ks > MAX_KS, "{f:?}");
        // Uniform keys: exponent 0, and that holds.
        let f = fit(&[100; 500]).unwrap();
        assert!(f.exponent < 1e-6 && f.fits, "{f:?}");
        assert!(fit(&[100, 50]).is_none());
        assert!(fit(&[100, 50, 4, 3]).is_none());
    }
}
