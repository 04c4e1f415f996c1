//! Hot paths allocate nothing per request: a run five times longer (five times the
//! requests) makes almost no more heap allocations, only the few that grow with live
//! cache entries. Counted with dhat's testing mode, in a test binary of its
//! own because it replaces the global allocator.

use std::path::Path;

use cachegate::policy::{Context, PolicyDocument, PolicySet};
use cachegate::scenario::Scenario;
use cachegate::time::SimDuration;

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

fn allocations_during(f: impl FnOnce()) -> u64 {
    let before = dhat::HeapStats::get().total_blocks;
    f();
    dhat::HeapStats::get().total_blocks - before
}

#[test]
fn allocations_do_not_grow_with_requests() {
    let _profiler = dhat::Profiler::builder().testing().build();

    // The policy check the gateway makes per invalidation.
    let doc = PolicyDocument::load(Path::new("scenarios/policies/ops-invalidate.json")).unwrap();
    let mut set = PolicySet::new();
    set.add("ops", &doc);
    let narrowed = set.for_action("execute-api:InvalidateCache");
    let ctx = Context::new();
    let arn = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/GET/pets/7";
    let n = allocations_during(|| {
        for _ in 0..10_000 {
            assert!(
                set.decide("execute-api:InvalidateCache", arn, &ctx)
                    .is_allowed()
            );
            assert!(narrowed.decide(arn, &ctx).is_allowed());
        }
    });
    assert_eq!(n, 0, "policy decisions allocate");

    // Whole simulator runs: 300 s and 1,500 s of the pets scenario without warm-up
    // (about 150 and 870 thousand requests, with misses and invalidations checked by
    // IAM). Measured here: 334 and 373 blocks.
    let mut scenario = Scenario::load(Path::new("scenarios/pets.toml")).unwrap();
    scenario.replications = 1;
    scenario.warmup = SimDuration::ZERO;
    let mut run_for = |secs| {
        scenario.duration = SimDuration::from_secs(secs);
        let s = scenario.clone();
        let mut requests = 0;
        let blocks = allocations_during(|| {
            requests = cachegate::sim::run(&s, 0, &mut |_| {})
                .unwrap()
                .simulated_requests;
        });
        (requests, blocks)
    };
    let (short_requests, short) = run_for(300);
    let (long_requests, long) = run_for(1_500);
    assert!(long_requests > 4 * short_requests);
    // Growth allowed: tables that grow by doubling with live entries (the cache, the
    // eviction queue's buckets). An allocation on any per-request path, even one taken
    // by 1 request in 2,000, would exceed the bound.
    let per_request = (long as f64 - short as f64) / (long_requests - short_requests) as f64;
    assert!(
        per_request < 1e-4,
        "{short} blocks for {short_requests} requests, {long} for {long_requests}"
    );
}
