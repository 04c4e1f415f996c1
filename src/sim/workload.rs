//! What clients ask for and what the backend answers: arrival gaps, the choice of
//! resource and key, parameter values, backend latency, response sizes and data
//! changes. Each sampler is built once per run from the validated scenario.

use rand_distr::{Distribution, Exp1, LogNormal, Zipf};

use super::alias::AliasTable;
use super::rng::Rng;
use crate::cache::Fingerprint;
use crate::scenario::{LatencyDist, Popularity, ResourceModel, SizeDist};
use crate::time::{SimDuration, SimTime};

/// Largest key count sampled from an alias table (8 bytes a key); above it, Zipf keys
/// are drawn by rejection-inversion, slower but with no table.
const ALIAS_MAX_KEYS: u64 = 1 << 18;

/// Picks a key index of a resource by popularity (index 0 the most popular).
#[derive(Debug, Clone)]
pub enum KeySampler {
    /// Uniform over `0..n`.
    Uniform(u64),
    /// Zipf weights 1/(i+1)^s, or a file's weights, in an alias table.
    Alias(AliasTable),
    /// Zipf ranks 1..=n by rejection-inversion, for very large key counts.
    Zipf(Zipf<f64>),
}

impl KeySampler {
    /// For `resource`.
    pub fn new(resource: &ResourceModel) -> KeySampler {
        let n = resource.keys;
        match &resource.popularity {
            &Popularity::Zipf(s) if s > 0.0 && n > 1 => {
                let table = (n <= ALIAS_MAX_KEYS)
                    .then(|| {
                        let weights: Vec<f64> = (1..=n).map(|r| (r as f64).powf(-s)).collect();
                        AliasTable::new(&weights)
                    })
                    .flatten();
                match (table, Zipf::new(n as f64, s)) {
                    (Some(t), _) => KeySampler::Alias(t),
                    (None, Ok(z)) => KeySampler::Zipf(z),
                    (None, Err(_)) => KeySampler::Uniform(n),
                }
            }
            Popularity::Empirical { weights, .. } => match AliasTable::new(&weights[..]) {
                Some(t) => KeySampler::Alias(t),
                // Validation refuses weights that make no table.
                None => KeySampler::Uniform(n),
            },
            _ => KeySampler::Uniform(n),
        }
    }

    /// A key index.
    #[inline]
    pub fn sample(&self, rng: &mut Rng) -> u64 {
        match self {
            KeySampler::Uniform(n) => {
                use rand::Rng as _;
                // Lemire's multiply-shift: uniform over 0..n for n < 2^32.
                ((rng.next_u64() >> 32) * *n) >> 32
            }
            KeySampler::Alias(t) => t.sample(rng),
            KeySampler::Zipf(z) => (z.sample(rng) as u64).max(1) - 1,
        }
    }
}

/// Writes the parameter values of key `k` into `out`: a parameter with `n` values takes
/// the next mixed-radix digit of `k`; one without takes `k` itself.
#[inline]
pub fn param_values(resource: &ResourceModel, k: u64, out: &mut Vec<u64>) {
    out.clear();
    out.resize(resource.param_values.len(), 0);
    param_values_into(resource, k, out);
}

/// As [`param_values`], into the first `resource.param_values.len()` places of `out`.
#[inline]
pub fn param_values_into(resource: &ResourceModel, k: u64, out: &mut [u64]) {
    let mut rest = k;
    for (spec, out) in resource.param_values.iter().zip(out) {
        *out = match spec {
            Some(n) => {
                let digit = rest % n;
                rest /= n;
                digit
            }
            None => k,
        };
    }
}

/// A resource's backend: latency, response sizes, data changes.
#[derive(Debug, Clone)]
pub struct Backend {
    latency: LatencyDist,
    latency_ln: Option<LogNormal<f64>>,
    size: SizeDist,
    size_ln: Option<LogNormal<f64>>,
    change_rate_per_us: f64,
    size_domain: u64,
}

impl Backend {
    /// For resource `index` of a replication with seed `replication_seed`.
    pub fn new(resource: &ResourceModel, index: usize, replication_seed: u64) -> Backend {
        let ln = |median: f64, sigma: f64| LogNormal::new(median.ln(), sigma).ok();
        Backend {
            latency: resource.backend_latency,
            latency_ln: match resource.backend_latency {
                LatencyDist::LogNormal { median, sigma } => ln(median.as_micros() as f64, sigma),
                LatencyDist::Fixed(_) | LatencyDist::Exponential { .. } => None,
            },
            size: resource.response_bytes,
            size_ln: match resource.response_bytes {
                SizeDist::LogNormal { median, sigma } => ln(median, sigma),
                SizeDist::Fixed(_) => None,
            },
            change_rate_per_us: resource.change_rate / 1e6,
            size_domain: Fingerprint::new(replication_seed)
                .push(index as u64)
                .finish(),
        }
    }

    /// How long a fetch takes.
    #[inline]
    pub fn latency(&self, rng: &mut Rng) -> SimDuration {
        match (&self.latency, &self.latency_ln) {
            (_, Some(d)) => SimDuration::from_micros((d.sample(rng) + 0.5) as u64),
            (LatencyDist::Fixed(l), None) => *l,
            (LatencyDist::Exponential { mean }, None) => {
                let e: f64 = Exp1.sample(rng);
                SimDuration::from_micros((e * mean.as_micros() as f64 + 0.5) as u64)
            }
            (LatencyDist::LogNormal { median, .. }, None) => *median,
        }
    }

    /// The response size of key `k`: fixed per key for the whole run.
    pub fn response_bytes(&self, k: u64) -> u64 {
        match (&self.size, &self.size_ln) {
            (SizeDist::Fixed(n), _) => *n,
            (_, Some(d)) => {
                let mut rng = <Rng as rand::SeedableRng>::seed_from_u64(
                    Fingerprint::new(self.size_domain).push(k).finish(),
                );
                d.sample(&mut rng).round() as u64
            }
            (SizeDist::LogNormal { median, .. }, None) => *median as u64,
        }
    }

    /// When data read at `read_at` next changes (Poisson changes are memoryless, so no
    /// per-key state or event is needed); [`SimTime::MAX`] if it never does.
    #[inline]
    pub fn next_change(&self, read_at: SimTime, rng: &mut Rng) -> SimTime {
        if self.change_rate_per_us <= 0.0 {
            return SimTime::MAX;
        }
        let e: f64 = Exp1.sample(rng);
        let gap = e / self.change_rate_per_us;
        read_at + SimDuration::from_micros(gap.min(u64::MAX as f64 / 2.0) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resource(param_values: Vec<Option<u64>>) -> ResourceModel {
        ResourceModel {
            label: "GET /x".into(),
            keys: 100,
            popularity: Popularity::Uniform,
            response_bytes: SizeDist::Fixed(10),
            backend_latency: LatencyDist::Fixed(SimDuration::from_millis(5)),
            change_rate: 0.0,
            param_values,
            integration_timeout: crate::scenario::DEFAULT_INTEGRATION_TIMEOUT,
            error_rate: 0.0,
            backend: 0,
        }
    }

    #[test]
    fn parameter_values_are_mixed_radix_digits() {
        let mut out = Vec::new();
        param_values(&resource(vec![None, Some(10), Some(20)]), 57, &mut out);
        assert_eq!(out, vec![57, 7, 5]);
        param_values(&resource(vec![None]), 3, &mut out);
        assert_eq!(out, vec![3]);
    }

    #[test]
    fn uniform_keys_cover_the_range() {
        let mut rng = super::super::rng::stream(1, super::super::rng::Component::Keys, 0);
        let s = KeySampler::Uniform(4);
        let mut seen = [0u32; 4];
        for _ in 0..4_000 {
            seen[s.sample(&mut rng) as usize] += 1;
        }
        assert!(seen.iter().all(|&c| (850..1150).contains(&c)), "{seen:?}");
    }
}
