//! The full per-request gateway decision on the pets stage (settings, cache key,
//! `max-age=0`, IAM, strategy, cache), with a bare hashbrown lookup over the same pet ids
//! as the baseline: a hit, a miss, an authorized invalidation (ARN rendered, IAM
//! allows) and an unauthorized one rejected with 403.

use std::hint::black_box;

use cachegate::cache::{CacheKey, Lookup, NewEntry, Presence, StageCache};
use cachegate::gateway::fixture::{OPS, PET, PUBLIC, pets_config, pets_principals};
use cachegate::gateway::{Gateway, Request, Response, Route, UnauthorizedStrategy};
use cachegate::time::{SimDuration, SimTime};
use criterion::{Criterion, Throughput, criterion_group};

use crate::workload::zipf_indices;

const STREAM: usize = 4_096;

/// One decision, folded to a number so nothing is optimized away. Inlined into the
/// measuring loop, and only its input goes through `black_box`, as with the baseline.
#[inline(always)]
fn decide(
    g: &mut Gateway<u64>,
    now: SimTime,
    principal: usize,
    id: u64,
    max_age_zero: bool,
) -> u64 {
    let params = [black_box(id)];
    let req = Request {
        now,
        principal,
        resource: PET,
        params: &params,
        path: None,
        max_age_zero,
        key: None,
    };
    match g.decide(&req).route {
        Route::Hit { value, .. } => value,
        Route::Miss(f) | Route::Refresh(f) => f.key.0 & 1,
        Route::Uncached | Route::Unavailable | Route::Forbidden => 1,
    }
}

fn gateway_decision(c: &mut Criterion) {
    let config = pets_config(UnauthorizedStrategy::FailWith403, true);
    for n in [10_000u64, 1_000_000] {
        let mut g: Gateway<u64> =
            Gateway::new(&config, &pets_principals()).expect("fixture is valid");
        for id in 0..n {
            let req = Request {
                now: SimTime::ZERO,
                principal: PUBLIC,
                resource: PET,
                params: &[id],
                path: None,
                max_age_zero: false,
                key: None,
            };
            // 100-byte responses: 10⁶ of them fit the 0.5 GB cache, so every lookup hits.
            if let Route::Miss(f) = g.decide(&req).route {
                g.complete(
                    SimTime::ZERO,
                    &f,
                    Response {
                        bytes: 100,
                        value: id,
                    },
                    Presence::Unknown,
                );
            }
        }
        assert_eq!(g.cache_usage().0 as u64, n, "the whole key space is cached");
        let ids = zipf_indices(n, 0.9, STREAM, 2);
        let absent: Vec<u64> = (0..STREAM as u64).map(|i| n + i).collect();
        let mut bare: hashbrown::HashMap<u64, u64> = hashbrown::HashMap::new();
        for id in 0..n {
            bare.insert(id, id);
        }
        let now = SimTime::from_micros(1);
        let mut group = c.benchmark_group(format!("gateway/N={n}/zipf0.9"));
        group.throughput(Throughput::Elements(STREAM as u64));
        group.bench_function("baseline_hashbrown_get", |b| {
            b.iter(|| {
                ids.iter()
                    .filter_map(|id| bare.get(black_box(id)))
                    .sum::<u64>()
            })
        });
        // The same lookups on a bare StageCache holding the gateway's own keys: what the
        // decision adds on top of the cache.
        let mut bare_cache: StageCache<u64> = StageCache::new(config.cache);
        for id in 0..n {
            bare_cache.insert(
                SimTime::ZERO,
                NewEntry::new(g.cache_key(PET, &[id]), 100, SimDuration::from_secs(60), id),
                Presence::Unknown,
            );
        }
        let keys: Vec<CacheKey> = ids.iter().map(|&id| g.cache_key(PET, &[id])).collect();
        group.bench_function("stage_cache_get_same_keys", |b| {
            b.iter(|| {
                keys.iter()
                    .map(|&k| match bare_cache.get(now, black_box(k)) {
                        Lookup::Hit(v) => v,
                        _ => 0,
                    })
                    .sum::<u64>()
            })
        });
        group.bench_function("decide/hit", |b| {
            b.iter(|| {
                ids.iter()
                    .map(|&id| decide(&mut g, now, PUBLIC, id, false))
                    .sum::<u64>()
            })
        });
        group.bench_function("decide/miss", |b| {
            b.iter(|| {
                absent
                    .iter()
                    .map(|&id| decide(&mut g, now, PUBLIC, id, false))
                    .sum::<u64>()
            })
        });
        group.bench_function("decide/invalidate_allowed", |b| {
            b.iter(|| {
                ids.iter()
                    .map(|&id| decide(&mut g, now, OPS, id, true))
                    .sum::<u64>()
            })
        });
        group.bench_function("decide/invalidate_403", |b| {
            b.iter(|| {
                ids.iter()
                    .map(|&id| decide(&mut g, now, PUBLIC, id, true))
                    .sum::<u64>()
            })
        });
        group.finish();
    }
}

criterion_group!(benches, gateway_decision);
