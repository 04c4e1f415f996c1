//! The simulator against published analytic results, with tolerances derived from the
//! sampling error (batch means over the time-series windows), plus determinism.
//!
//! - TTL cache, Poisson requests (Jung, Berger, Balakrishnan, "Modeling TTL-based
//!   Internet caches", INFOCOM 2003): a key requested at rate λ with TTL T (fixed from
//!   insertion) has hit probability λT / (1 + λT).
//! - LRU under Zipf popularity (Che, Tung, Wang, "Hierarchical Web caching systems:
//!   modeling, design and experimental results", IEEE JSAC 2002): with characteristic
//!   time t_C solving Σᵢ (1 − e^{−λᵢ t_C}) = C, key i hits with probability
//!   1 − e^{−λᵢ t_C}.

use std::path::Path;

use super::*;
use crate::scenario::Scenario;
use crate::testing::ScenarioText;

fn scenario(toml: &str) -> Scenario {
    Scenario::parse(Path::new("test.toml"), toml.as_bytes()).unwrap_or_else(|e| panic!("{e}"))
}

/// A one-resource scenario: `keys` keys with `popularity`, one client at `rate`/s,
/// 100-byte responses, zero backend latency; seed 7, 20 s windows. Callers add the TTL,
/// the capacity, the warm-up and the duration.
fn single_resource(keys: u64, popularity: &str, rate: f64) -> ScenarioText {
    ScenarioText::new("theory")
        .seed(7)
        .window("20s")
        .then(&format!(
            r#"[[resources]]
path = "/items/{{id}}"
method = "GET"
cache_key_parameters = ["method.request.path.id"]
keys = {keys}
popularity = {popularity}
response_bytes = 100
backend_latency = "0ms"
[principals.public]
[[clients]]
name = "c"
principal = "public"
rate = {rate}
mix = {{ "GET /items/{{id}}" = 1.0 }}"#
        ))
}

/// `text` with a byte capacity, as a scenario.
fn with_capacity(text: ScenarioText, capacity: u64) -> Scenario {
    scenario(&text.model(&format!("capacity_bytes = {capacity}")).text())
}

/// Hit ratio over the run and its standard error by batch means over the windows.
pub(super) fn hit_ratio_with_se(out: &RunOutput) -> (f64, f64) {
    let c = &out.recorder.counts;
    let overall = c.cache_hits as f64 / (c.cache_hits + c.cache_misses) as f64;
    let batches: Vec<f64> = out
        .recorder
        .windows()
        .iter()
        .map(|w| w.cache_hits as f64 / (w.cache_hits + w.cache_misses).max(1) as f64)
        .collect();
    let n = batches.len() as f64;
    let mean = batches.iter().sum::<f64>() / n;
    let var = batches.iter().map(|b| (b - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (overall, (var / n).sqrt())
}

fn run0(s: &Scenario) -> RunOutput {
    run(s, 0, &mut |_| {}).unwrap()
}

#[test]
fn ttl_cache_hit_probability_matches_jung_berger_balakrishnan() {
    // 100 keys, uniform, 100 req/s in all: each key is Poisson with λ = 1/s.
    for ttl in [1u32, 2, 5] {
        let text = single_resource(100, "\"uniform\"", 100.0)
            .ttl(ttl.into())
            .warmup("30s")
            .duration("2000s");
        let s = with_capacity(text, 1_000_000_000);
        let out = run0(&s);
        let (h, se) = hit_ratio_with_se(&out);
        let lt = 1.0 * f64::from(ttl);
        let expected = lt / (1.0 + lt);
        assert!(se > 0.0 && se < 0.01, "se {se}");
        assert!(
            (h - expected).abs() < 4.0 * se,
            "TTL {ttl}: simulated {h:.5}, theory {expected:.5}, 4σ = {:.5}",
            4.0 * se
        );
        assert_eq!(out.recorder.counts.stale_responses, 0, "data never changes");
    }
}

/// Che's approximation for Zipf(`s`) over `keys` keys.
fn che_hit_ratio(keys: u64, s: f64, capacity: f64) -> f64 {
    let weights: Vec<f64> = (1..=keys).map(|r| (r as f64).powf(-s)).collect();
    let total: f64 = weights.iter().sum();
    let p: Vec<f64> = weights.iter().map(|w| w / total).collect();
    che(&p, capacity)
}

/// Che's approximation for request probabilities `p`: t_C by bisection, then the
/// request-weighted hit probability.
pub(super) fn che(p: &[f64], capacity: f64) -> f64 {
    let occupancy = |t: f64| p.iter().map(|pi| 1.0 - (-pi * t).exp()).sum::<f64>();
    let (mut lo, mut hi) = (0.0, 1.0);
    while occupancy(hi) < capacity {
        hi *= 2.0;
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if occupancy(mid) < capacity {
            lo = mid
        } else {
            hi = mid
        }
    }
    p.iter().map(|pi| pi * (1.0 - (-pi * lo).exp())).sum()
}

#[test]
fn lru_under_zipf_matches_che_approximation() {
    // 5,000 keys, Zipf 0.8, room for 500 entries, TTL longer than the run: only
    // capacity evicts. Che's approximation is not exact for finite caches (Fricker,
    // Robert and Roberts, ITC 2012, find it within a fraction of a percent at this
    // size); the simulation agrees within sampling error alone.
    let text = single_resource(5_000, "{ zipf = 0.8 }", 2_000.0)
        .ttl(3_600)
        .warmup("200s")
        .duration("1000s");
    let s = with_capacity(text, 500 * 100);
    let out = run0(&s);
    let (h, se) = hit_ratio_with_se(&out);
    let expected = che_hit_ratio(5_000, 0.8, 500.0);
    assert!(out.evictions > 0 && out.expirations == 0);
    assert!(
        (h - expected).abs() < 4.0 * se,
        "simulated {h:.5}, Che {expected:.5}, 4σ = {:.5}",
        4.0 * se
    );
}

#[test]
fn a_run_is_a_pure_function_of_scenario_and_replication() {
    let text = single_resource(1_000, "{ zipf = 0.9 }", 500.0)
        .ttl(30)
        .warmup("10s")
        .duration("120s");
    let s = with_capacity(text, 100 * 300);
    let a = crate::report::summary_row(&s, "base", &run0(&s));
    let b = crate::report::summary_row(&s, "base", &run0(&s));
    assert_eq!(a, b);
    let other = crate::report::summary_row(&s, "base", &run(&s, 1, &mut |_| {}).unwrap());
    assert_ne!(a.seed, other.seed);
    assert_ne!(
        a.requests, other.requests,
        "replications draw different requests"
    );
}

/// The pets-like stage with one client; `extra_stage`, `extra_model` and `client` are
/// spliced into their sections.
fn pets(extra_stage: &str, extra_model: &str, clients: &str, events: &str) -> Scenario {
    let policy = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/policies/ops-invalidate.json"
    );
    scenario(&format!(
        r#"
name = "behaviour"
seed = 5
duration = "60s"
warmup = "10s"
window = "5s"
[api]
region = "us-east-1"
account = "123456789012"
api_id = "a1b2c3d4e5"
stage = "prod"
[stage]
cache_cluster_enabled = true
cache_cluster_size = "0.5"
[stage.method_settings."*/*"]
caching_enabled = true
cache_ttl_in_seconds = 300
{extra_stage}
[model]
{extra_model}
[[resources]]
path = "/pets/{{petId}}"
method = "GET"
cache_key_parameters = ["method.request.path.petId"]
keys = 20
response_bytes = 100
backend_latency = "100ms"
[principals.ops]
policies = ["{policy}"]
[principals.public]
{clients}
{events}
"#
    ))
}

const PUBLIC_BUSTER: &str = r#"
[[clients]]
name = "buster"
principal = "public"
rate = 50
max_age_zero = 1.0
mix = { "GET /pets/{petId}" = 1.0 }
"#;

#[test]
fn each_strategy_end_to_end() {
    for (strategy, rejected, ignored, warnings) in [
        ("FAIL_WITH_403", true, false, false),
        ("SUCCEED_WITH_RESPONSE_HEADER", false, true, true),
        ("SUCCEED_WITHOUT_RESPONSE_HEADER", false, true, false),
    ] {
        let stage = format!("unauthorized_cache_control_header_strategy = \"{strategy}\"");
        let out = run0(&pets(&stage, "", PUBLIC_BUSTER, ""));
        let c = out.recorder.counts;
        assert!(c.requests > 2_000, "{strategy}");
        assert_eq!(
            c.invalidations_honored, 0,
            "{strategy}: public may not invalidate"
        );
        assert_eq!(
            c.invalidations_rejected == c.requests,
            rejected,
            "{strategy}"
        );
        assert_eq!(c.invalidations_ignored == c.requests, ignored, "{strategy}");
        assert_eq!(c.warning_headers == c.requests, warnings, "{strategy}");
        if rejected {
            assert_eq!(
                c.backend_requests, 0,
                "{strategy}: a 403 never reaches the backend"
            );
            assert_eq!(c.successful, 0);
        } else {
            assert!(
                c.cache_hits > c.cache_misses,
                "{strategy}: served from the cache"
            );
        }
    }
    // Require authorization off: every max-age=0 is honoured and goes to the backend.
    let out = run0(&pets(
        "require_authorization_for_cache_control = false",
        "",
        PUBLIC_BUSTER,
        "",
    ));
    let c = out.recorder.counts;
    assert_eq!(c.invalidations_honored, c.requests);
    assert_eq!(
        (c.cache_hits, c.cache_misses, c.backend_requests),
        (0, c.requests, c.requests)
    );
}

#[test]
fn coalescing_sends_concurrent_misses_to_the_backend_once() {
    // 1,000 req/s over 20 keys with a 100 ms backend and a 1 s TTL: many misses for a
    // key arrive while its fetch is in flight.
    let client = r#"
[[clients]]
name = "app"
principal = "public"
rate = 1000
mix = { "GET /pets/{petId}" = 1.0 }
"#;
    let stage = "[stage.method_settings.\"pets/{petId}/GET\"]\ncache_ttl_in_seconds = 1";
    let plain = run0(&pets(stage, "", client, "")).recorder.counts;
    let coalesced = run0(&pets(stage, "coalesce_misses = true", client, ""))
        .recorder
        .counts;
    // The same requests either way (common random numbers). Without coalescing every
    // miss is a fetch (and each fetch's response re-inserts the entry, restarting its TTL).
    assert_eq!(plain.requests, coalesced.requests);
    assert_eq!(plain.backend_requests, plain.cache_misses);
    // With coalescing, at most one fetch per key per (TTL + latency) cycle.
    let cycles = 20.0 * 60.0 / 1.1;
    assert!(
        coalesced.backend_requests as f64 <= cycles * 1.05,
        "{} fetches",
        coalesced.backend_requests
    );
    assert!(coalesced.backend_requests * 3 < plain.backend_requests);
    // Waiters are answered too: only requests still waiting when the run ends (at most
    // rate x backend latency = 100 of them) go unanswered.
    assert!(
        coalesced.requests - coalesced.successful <= 100,
        "{coalesced:?}"
    );
    assert!(plain.requests - plain.successful <= 100, "{plain:?}");
}

#[test]
fn a_flush_makes_every_key_miss_again() {
    let client = r#"
[[clients]]
name = "app"
principal = "public"
rate = 200
mix = { "GET /pets/{petId}" = 1.0 }
"#;
    let flush = "[[events]]\nat = \"40s\"\naction = \"flush_stage_cache\"";
    let resize =
        "[[events]]\nat = \"40s\"\naction = \"set_capacity\"\ncache_cluster_size = \"1.6\"";
    // With coalescing, each key costs exactly one fetch per refill.
    // A resize that takes no time (the provisioning window has a test of its own).
    let model = "coalesce_misses = true\ncache_provisioning = \"0s\"";
    let base = run0(&pets("", model, client, ""));
    for events in [flush, resize] {
        let out = run0(&pets("", model, client, events));
        // Before the event the runs are identical; after it, all 20 keys are fetched again.
        assert_eq!(
            out.recorder.counts.backend_requests,
            base.recorder.counts.backend_requests + 20,
            "{events}"
        );
        let w = out.recorder.windows();
        // 40 s is 30 s after warm-up: window 6 of 5 s.
        assert_eq!(w[6].backend_requests, 20, "{events}");
        assert_eq!(w[5].backend_requests, 0, "{events}");
    }
}
