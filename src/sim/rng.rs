//! Random number streams. Every component draws from its own stream, derived from
//! `(seed, replication, component, index)`, so adding a client does not shift another
//! client's draws and every configuration of a replication sees the same client
//! requests (common random numbers). Xoshiro256++ is named explicitly (rand's `SmallRng`
//! may change algorithm between versions).

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::cache::Fingerprint;

/// The generator every stream uses.
pub type Rng = Xoshiro256PlusPlus;

/// What a stream is for.
#[derive(Debug, Clone, Copy)]
#[repr(u64)]
pub enum Component {
    /// A client's arrival times.
    Arrivals = 1,
    /// A client's choice of resource (drawn only when its mix has several).
    Mix = 2,
    /// Backend latencies.
    Latency = 3,
    /// Per-key data changes.
    Changes = 4,
    /// A client's choice of key.
    Keys = 5,
    /// Whether a client's request carries `max-age=0` (drawn only for shares strictly
    /// between 0 and 1).
    MaxAge = 6,
    /// Whether a replayed request carries `max-age=0`, for traces that give a share.
    TraceMaxAge = 7,
    /// Whether the backend answers a fetch with an error (drawn only for error rates
    /// strictly between 0 and 1).
    Errors = 8,
}

/// The seed of a replication.
pub fn replication_seed(seed: u64, replication: u32) -> u64 {
    Fingerprint::new(seed)
        .push(u64::from(replication))
        .push(0x5EED)
        .finish()
}

/// The stream for `component` number `index` in a replication.
pub fn stream(replication_seed: u64, component: Component, index: u64) -> Rng {
    let s = Fingerprint::new(replication_seed)
        .push(component as u64)
        .push(index)
        .push(0x57AE);
    // Two more pushes so that the full 64 bits are avalanched before seeding.
    Rng::seed_from_u64(s.push(1).push(2).finish())
}

/// A uniform draw in (0, 1], from the top 53 bits (never 0, so `ln` is finite).
#[inline]
pub fn unit_open0(rng: &mut Rng) -> f64 {
    use rand::Rng as _;
    ((rng.next_u64() >> 11) + 1) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// Whether an event of probability `p` happens, drawing from `rng` only when `p` is
/// strictly between 0 and 1 (so a certain or impossible event leaves the stream alone).
#[inline]
pub fn chance(p: f64, rng: &mut Rng) -> bool {
    match p {
        p if p <= 0.0 => false,
        p if p >= 1.0 => true,
        p => unit_open0(rng) < p,
    }
}
