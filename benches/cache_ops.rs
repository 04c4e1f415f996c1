//! Stage cache operations at 10⁴ and 10⁶ entries, each group with a bare hashbrown map
//! lookup over the same keys as the baseline: hit, miss, and insert with eviction.

use std::hint::black_box;

use cachegate::cache::{
    CacheConfig, CacheKey, Capacity, EvictionPolicy, Fingerprint, Lookup, NewEntry, Presence,
    StageCache, TtlMode,
};
use cachegate::time::{SimDuration, SimTime};
use criterion::{Criterion, Throughput, criterion_group};

use crate::workload::zipf_indices;

const STREAM: usize = 4_096;
const ENTRY: u64 = 1_000;

fn key(i: u64) -> CacheKey {
    Fingerprint::new(7).push(i).key()
}

fn filled(n: u64, eviction: EvictionPolicy) -> StageCache<u64> {
    let mut c = StageCache::new(CacheConfig {
        capacity: Capacity::Bytes(n * ENTRY),
        entry_overhead_bytes: 0,
        ttl_mode: TtlMode::Fixed,
        eviction,
    });
    for i in 0..n {
        c.insert(
            SimTime::ZERO,
            NewEntry::new(key(i), ENTRY, SimDuration::from_secs(3_600), i),
            Presence::Unknown,
        );
    }
    c
}

fn cache_ops(c: &mut Criterion) {
    for n in [10_000u64, 1_000_000] {
        for (label, s) in [("uniform", 0.0), ("zipf0.9", 0.9)] {
            let keys: Vec<CacheKey> = zipf_indices(n, s, STREAM, 1).into_iter().map(key).collect();
            let absent: Vec<CacheKey> = (0..STREAM as u64).map(|i| key(n + i)).collect();
            let mut bare: hashbrown::HashMap<CacheKey, u64> = hashbrown::HashMap::new();
            for i in 0..n {
                bare.insert(key(i), i);
            }
            let mut g = c.benchmark_group(format!("cache/N={n}/{label}"));
            g.throughput(Throughput::Elements(STREAM as u64));
            g.bench_function("baseline_hashbrown_get", |b| {
                b.iter(|| {
                    keys.iter()
                        .filter_map(|k| bare.get(black_box(k)))
                        .sum::<u64>()
                })
            });
            for eviction in [EvictionPolicy::Lru, EvictionPolicy::Fifo] {
                let mut cache = filled(n, eviction);
                let now = SimTime::from_micros(1);
                g.bench_function(format!("hit/{}", eviction.as_str()), |b| {
                    b.iter(|| {
                        keys.iter()
                            .map(|&k| match cache.get(now, black_box(k)) {
                                Lookup::Hit(v) => v,
                                _ => 0,
                            })
                            .sum::<u64>()
                    })
                });
            }
            let mut cache = filled(n, EvictionPolicy::Lru);
            g.bench_function("miss/lru", |b| {
                b.iter(|| {
                    absent
                        .iter()
                        .filter(|&&k| cache.get(SimTime::ZERO, black_box(k)) == Lookup::Miss)
                        .count()
                })
            });
            // Steady state of a full cache: every insert of a new key evicts the least
            // recently used entry.
            let mut cache = filled(n, EvictionPolicy::Lru);
            let mut next = n;
            g.bench_function("insert_evicting/lru", |b| {
                b.iter(|| {
                    for _ in 0..STREAM {
                        next += 1;
                        cache.insert(
                            SimTime::ZERO,
                            NewEntry::new(key(next), ENTRY, SimDuration::from_secs(60), next),
                            Presence::Unknown,
                        );
                    }
                })
            });
            g.finish();
        }
    }
}

criterion_group!(benches, cache_ops);
