//! Seeded key streams shared by the benches (quick_cache's benches use the same idea):
//! the same seed gives the same stream on every run.

use rand::SeedableRng;
use rand_distr::{Distribution, Zipf};
use rand_xoshiro::Xoshiro256PlusPlus;

/// `count` key indices in `0..n`, Zipf-distributed with exponent `s` (0 = uniform).
pub fn zipf_indices(n: u64, s: f64, count: usize, seed: u64) -> Vec<u64> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let zipf = Zipf::new(n as f64, s).expect("valid Zipf parameters");
    (0..count)
        .map(|_| zipf.sample(&mut rng) as u64 - 1)
        .collect()
}
