//! What reaches the backend and what it does then: throttling, the cache's provisioning
//! window, integration timeouts, a backend's concurrency limit (queueing against
//! M/M/c theory, refusals), error responses and their caching, and coalesced waiters
//! served another request's response. Exact tests where the rule is exact, statistical
//! ones against theory where it exists.

use std::path::Path;

use super::{RunOutput, run};
use crate::metrics::Counts;
use crate::scenario::Scenario;
use crate::testing::ScenarioText;

fn scenario(text: &ScenarioText) -> Scenario {
    Scenario::parse(Path::new("test.toml"), text.text().as_bytes())
        .unwrap_or_else(|e| panic!("{e}"))
}

fn run_rep(text: &ScenarioText, replication: u32) -> RunOutput {
    run(&scenario(text), replication, &mut |_| {}).unwrap()
}

fn counts(text: &ScenarioText) -> Counts {
    run_rep(text, 0).recorder.counts
}

/// `GET /items/{id}` with `keys` keys and the given extra resource lines, and one
/// client `c` sending `rate` requests a second (`arrival`).
fn one_resource(
    keys: u64,
    latency: &str,
    resource: &str,
    rate: f64,
    arrival: &str,
) -> ScenarioText {
    ScenarioText::new("backend").then(&format!(
        r#"[[resources]]
path = "/items/{{id}}"
method = "GET"
cache_key_parameters = ["method.request.path.id"]
keys = {keys}
response_bytes = 100
backend_latency = {latency}
{resource}
[principals.public]
[[clients]]
name = "c"
principal = "public"
rate = {rate}
arrival = "{arrival}"
mix = {{ "GET /items/{{id}}" = 1.0 }}"#
    ))
}

#[test]
fn a_throttled_request_is_answered_429_before_the_cache_and_never_reaches_the_backend() {
    // 100 requests/s for 60 s against a method bucket of 20/s, burst 10: B + R·t admitted.
    let text = one_resource(5, "\"0ms\"", "", 100.0, "constant")
        .method_setting("throttling_rate_limit = 20")
        .method_setting("throttling_burst_limit = 10");
    let c = counts(&text);
    // Constant arrivals come at 10 ms, 20 ms, ..., 59.99 s.
    assert_eq!(c.requests, 5_999);
    let admitted = c.requests - c.throttled_429;
    // The last arrival is at 59.99 s: 10 + ⌊20 × 59.99⌋ = 1,209 (±1 on the boundary).
    assert!(admitted.abs_diff(1_209) <= 1, "{c:?}");
    assert_eq!(
        c.cache_hits + c.cache_misses,
        admitted,
        "throttled ones never look up"
    );
    assert_eq!(c.backend_requests, 5, "five keys, fetched once each");
    // The account's bucket (10,000/s) is far away; at 20,000/s it throttles alone.
    let busy = one_resource(5, "\"0ms\"", "", 20_000.0, "constant").duration("2s");
    let c = counts(&busy);
    assert!(
        (c.requests - c.throttled_429).abs_diff(5_000 + 20_000 - 1) <= 1,
        "{c:?}"
    );
    // Off in the model: nothing is throttled.
    let c = counts(&busy.model("throttling = false"));
    assert_eq!(c.throttled_429, 0);
}

#[test]
fn a_resize_leaves_the_cache_unavailable_for_its_provisioning_window_then_empty() {
    // One key at 10/s, answered at once: a fetch at the start, then hits, until the
    // resize at 20 s; for the 30 s window every request is a miss that stores nothing.
    let text = |provisioning: &str| {
        one_resource(1, "\"0ms\"", "", 10.0, "constant")
            .model(&format!("cache_provisioning = \"{provisioning}\""))
            .then(
                "[[events]]\nat = \"20s\"\naction = \"set_capacity\"\ncache_cluster_size = \"6.1\"",
            )
    };
    let c = counts(&text("30s"));
    // Misses: the first request, the 300 requests in [20 s, 50 s), the first after it.
    assert_eq!(c.cache_misses, 1 + 300 + 1, "{c:?}");
    assert_eq!(c.backend_requests, c.cache_misses);
    assert_eq!(c.requests, 599);
    // Without a window the resize costs one miss.
    let instant = counts(&text("0s"));
    assert_eq!(instant.cache_misses, 2);
}

#[test]
fn a_backend_answer_after_the_integration_timeout_is_a_504_and_is_not_stored() {
    // 2 s answers, a 1 s timeout: every request misses and gets a 504 at 1 s.
    let text = one_resource(
        1,
        "\"2s\"",
        "integration_timeout = \"1s\"",
        10.0,
        "constant",
    )
    .duration("10s");
    let out = run_rep(&text, 0);
    let c = out.recorder.counts;
    // Arrivals at 0.1 s, 0.2 s, ..., 9.9 s.
    assert_eq!(c.requests, 99);
    assert_eq!(c.cache_hits, 0, "nothing was ever stored");
    // Requests from 9 s on time out at or after the run's end.
    assert_eq!(c.timeouts_504, 89, "{c:?}");
    assert_eq!(c.errors_5xx, c.timeouts_504);
    assert_eq!(c.successful, 0);
    // The histogram keeps three significant digits.
    assert!((out.recorder.latency_ms(0.5) - 1_000.0).abs() <= 1.0);
    // An answer in time is stored as before: the requests until it comes miss (nine,
    // at 0.1 s to 0.9 s), then every one hits.
    let fast = counts(
        &one_resource(
            1,
            "\"900ms\"",
            "integration_timeout = \"1s\"",
            10.0,
            "constant",
        )
        .duration("10s"),
    );
    assert_eq!(
        (fast.timeouts_504, fast.cache_misses, fast.cache_hits),
        (0, 9, 90)
    );
}

#[test]
fn a_backend_at_its_limit_refuses_or_queues() {
    // Caching off (TTL 0); one fetch at a time of 1 s; a request every 100 ms: of each
    // ten, the one arriving as the slot frees is served, nine are refused.
    let reject = one_resource(
        1,
        "\"1s\"",
        "backend_concurrency = 1\nbackend_overload = \"reject\"",
        10.0,
        "constant",
    )
    .ttl(0)
    .duration("10s");
    let c = counts(&reject);
    // Arrivals at 0.1 s, ..., 9.9 s; served at 0.1 s, 1.1 s, ..., 9.1 s (the slot frees
    // just before the arrival at the same instant).
    assert_eq!(c.requests, 99);
    assert_eq!(c.backend_requests, 10, "{c:?}");
    assert_eq!(c.errors_5xx, 89);
    assert_eq!(c.timeouts_504, 0, "refusals answer 500 by default");
    let c = counts(&reject.clone().model("backend_overload_status = 504"));
    assert_eq!(c.timeouts_504, 89);
    // Queued instead: the backend serves one a second; the rest wait into the 29 s
    // timeout. Over 60 s, 60 served; those waiting past 29 s are withdrawn with a 504.
    let queue = one_resource(1, "\"1s\"", "backend_concurrency = 1", 10.0, "constant")
        .ttl(0)
        .duration("60s");
    let out = run_rep(&queue, 0);
    let c = out.recorder.counts;
    assert!(c.backend_requests.abs_diff(60) <= 1, "{c:?}");
    // A request arriving at t is served at about t × 10 s (the backend falls 0.9 s
    // behind every 100 ms): from about 3.2 s on, every arrival waits past 29 s.
    // Those arriving after 31 s are still waiting when the run ends.
    assert!(c.timeouts_504 > 250 && c.successful < 35, "{c:?}");
    assert!(out.recorder.backend_wait_ms(0.99) >= 28_000.0);
}

/// Erlang C: the probability that an arrival to an M/M/c queue waits, and the mean
/// wait, for arrival rate `lambda`, service rate `mu` a server and `c` servers.
fn erlang_c(lambda: f64, mu: f64, c: u32) -> (f64, f64) {
    let a = lambda / mu;
    let rho = a / f64::from(c);
    let mut term = 1.0;
    let mut sum = 0.0;
    for k in 0..c {
        if k > 0 {
            term *= a / f64::from(k);
        }
        sum += term;
    }
    let last = term * a / f64::from(c) / (1.0 - rho);
    let p_wait = last / (sum + last);
    (p_wait, p_wait / (f64::from(c) * mu - lambda))
}

#[test]
fn queueing_at_a_bounded_backend_matches_erlang_c() {
    // Caching off, Poisson arrivals at 30/s, exponential service of mean 100 ms, four
    // at once: ρ = 0.75, P(wait) = 0.509, mean wait 50.9 ms.
    let (lambda, mu, servers) = (30.0, 10.0, 4);
    let (p_theory, w_theory) = erlang_c(lambda, mu, servers);
    let text = one_resource(
        100,
        "{ exponential = { mean = \"100ms\" } }",
        "backend_concurrency = 4",
        lambda,
        "poisson",
    )
    .ttl(0)
    .warmup("60s")
    .duration("2000s");
    // Five replications of ~60,000 fetches each; their spread gives the error.
    let runs: Vec<(f64, f64)> = (0..5)
        .map(|r| {
            let (mean_ms, waited) = run_rep(&text, r).recorder.backend_wait_mean_ms();
            (waited, mean_ms / 1_000.0)
        })
        .collect();
    for (name, pick, theory) in [("P(wait)", 0, p_theory), ("mean wait (s)", 1, w_theory)] {
        let xs: Vec<f64> = runs
            .iter()
            .map(|r| if pick == 0 { r.0 } else { r.1 })
            .collect();
        let mean = xs.iter().sum::<f64>() / 5.0;
        let sd = (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 4.0).sqrt();
        let se = sd / 5f64.sqrt();
        // t(0.999, 4 df) = 8.61: fails by chance once in a thousand seeds; the floor
        // guards against a spread that happens to be tiny.
        let tolerance = (8.61 * se).max(0.01 * theory);
        assert!(
            (mean - theory).abs() <= tolerance,
            "{name}: simulated {mean:.4} (se {se:.4}), Erlang C {theory:.4}"
        );
    }
}

#[test]
fn under_a_constant_error_rate_the_share_of_cached_errors_served_is_that_rate() {
    // Each TTL cycle of a key begins with a fetch that fails with probability p; its
    // hits serve what it stored. So a share p of hits (and of all answers) are errors.
    let p = 0.2;
    let text = one_resource(
        200,
        "\"0ms\"",
        &format!("backend_error_rate = {p}"),
        400.0,
        "poisson",
    )
    .ttl(10)
    .duration("1000s");
    let c = counts(&text);
    let error_hit_share = c.error_hits as f64 / c.cache_hits as f64;
    // ~40,000 cycles: the share's standard error is about 0.002 (hits of one cycle
    // share its fate, so allow five times the binomial one).
    assert!(
        (error_hit_share - p).abs() < 0.02,
        "{error_hit_share} {c:?}"
    );
    let error_share = c.errors_5xx as f64 / c.requests as f64;
    assert!((error_share - p).abs() < 0.02, "{error_share}");
    // With error responses not cached, a failed fetch stores nothing: no error hits,
    // and the failures are the fetches' share alone.
    let c = counts(&text.model("cache_error_responses = false"));
    assert_eq!(c.error_hits, 0);
    assert!(c.errors_5xx <= c.cache_misses);
}

#[test]
fn an_outage_inside_a_ttl_cycle_is_served_from_the_cache_for_the_rest_of_that_ttl() {
    // One key at 10/s, answered at once; fetched at 0.1 s, then every TTL. An outage
    // from 100 s to 130 s.
    let outage = "[[events]]\nat = \"100s\"\naction = \"backend_outage\"\nduration = \"30s\"";
    let at = |ttl| {
        counts(
            &one_resource(1, "\"0ms\"", "", 10.0, "constant")
                .ttl(ttl)
                .duration("300s")
                .then(outage),
        )
    };
    // TTL 60: the fetch at 120.1 s fails; its error is served until 180.1 s: the fetch
    // and 599 hits.
    let c = at(60);
    assert_eq!((c.errors_5xx, c.error_hits), (600, 599), "{c:?}");
    // TTL 300: no fetch falls in the outage; no client sees it.
    let c = at(300);
    assert_eq!(c.errors_5xx, 0);
    // TTL 1: the fetches in the outage fail, each error served for its second: the
    // outage's 300 requests.
    let c = at(1);
    assert_eq!(c.errors_5xx, 300, "{c:?}");
}

#[test]
fn a_coalesced_waiter_served_another_parameter_values_response_is_a_wrong_key_response() {
    // The key is `id` alone (one value); the response depends on `lang` (two values):
    // both keys share one cache key. Responses over 1 MiB are never stored, so every
    // request misses: without coalescing each gets its own fetch (never a wrong
    // response); with it, a request joins the fetch in flight, whose `lang` differs
    // from its own half of the time.
    let text = |model: &str| {
        ScenarioText::new("coalesce")
            .duration("100s")
            .model(model)
            .then(
                r#"[[resources]]
path = "/items/{id}"
method = "GET"
cache_key_parameters = ["method.request.path.id"]
keys = 2
response_bytes = 2_000_000
backend_latency = "1s"
[[resources.parameters]]
name = "id"
in = "path"
values = 1
[[resources.parameters]]
name = "lang"
in = "query"
values = 2
[principals.public]
[[clients]]
name = "c"
principal = "public"
rate = 50
mix = { "GET /items/{id}" = 1.0 }"#,
            )
    };
    let plain = counts(&text("coalesce_misses = false"));
    assert_eq!(plain.cache_hits, 0);
    assert_eq!(plain.wrong_key_responses, 0);
    let c = counts(&text("coalesce_misses = true"));
    assert_eq!(c.cache_hits, 0);
    let waiters = c.requests - c.backend_requests;
    assert!(waiters > 4_000, "{c:?}");
    // Binomial(waiters, 1/2): five standard deviations.
    let sd = (waiters as f64 * 0.25).sqrt();
    assert!(
        (c.wrong_key_responses as f64 - waiters as f64 / 2.0).abs() < 5.0 * sd,
        "{} wrong of {waiters} waiters",
        c.wrong_key_responses
    );
}

#[test]
fn the_cache_cost_is_weighted_by_the_time_each_size_was_in_force() {
    // 0.5 GB ($0.020/h) for the first quarter of the measured hour, 6.1 GB ($0.200/h)
    // after; the resize during the warm-up counts from the measured start.
    let text = |events: &str| {
        one_resource(1, "\"0ms\"", "", 1.0, "constant")
            .warmup("10m")
            .duration("1h")
            .then(events)
    };
    let cost = |events: &str| {
        let s = scenario(&text(events));
        let out = run(&s, 0, &mut |_| {}).unwrap();
        crate::report::summary_row(&s, "base", &out).cost_per_hour_usd
    };
    let resize = |at: &str, size: &str| {
        format!(
            "[[events]]\nat = \"{at}\"\naction = \"set_capacity\"\ncache_cluster_size = \"{size}\"\n"
        )
    };
    assert_eq!(cost(""), 0.02);
    assert!((cost(&resize("25m", "6.1")) - (0.25 * 0.02 + 0.75 * 0.2)).abs() < 1e-6);
    assert!((cost(&resize("5m", "6.1")) - 0.2).abs() < 1e-6);
    let both = resize("25m", "6.1") + &resize("55m", "1.6");
    let p16 = crate::cache::ClusterSize::parse("1.6")
        .unwrap()
        .price_per_hour_usd();
    assert!((cost(&both) - (0.25 * 0.02 + 0.5 * 0.2 + 0.25 * p16)).abs() < 1e-6);
}

/// Each source's counts, summed, are the run's totals, whatever answered them.
fn assert_sources_add_up(out: &RunOutput, what: &str) {
    let c = &out.recorder.counts;
    let s = &out.recorder.sources;
    let sum = |f: fn(&crate::metrics::SourceCounts) -> u64| s.iter().map(f).sum::<u64>();
    assert_eq!(sum(|s| s.requests), c.requests, "{what}: requests");
    assert_eq!(sum(|s| s.throttled_429), c.throttled_429, "{what}: 429s");
    assert_eq!(sum(|s| s.errors_5xx), c.errors_5xx, "{what}: 5xx");
    assert_eq!(
        sum(|s| s.forbidden_403),
        c.invalidations_rejected,
        "{what}: 403s"
    );
    assert_eq!(sum(|s| s.successful()), c.successful, "{what}: 2xx");
}

#[test]
fn each_client_is_counted_what_it_got_and_the_counts_add_up_to_the_totals() {
    // pets under FAIL_WITH_403: only the unauthorized scraper sending max-age=0 is
    // refused; the app (no max-age=0) and ops (allowed to invalidate) never are.
    let study = crate::scenario::Study::load(Path::new("scenarios/pets.toml")).unwrap();
    let fail = study
        .configurations
        .iter()
        .find(|c| c.name.contains("403"))
        .expect("pets compares FAIL_WITH_403");
    let mut pets = fail.scenario.clone();
    pets.duration = crate::time::SimDuration::from_secs(300);
    for c in &mut pets.clients {
        c.start = crate::time::SimTime::ZERO;
    }
    let out = run(&pets, 0, &mut |_| {}).unwrap();
    assert_sources_add_up(&out, "pets");
    let by_name = |name: &str| {
        let i = pets.clients.iter().position(|c| c.name == name).unwrap();
        out.recorder.sources[i]
    };
    assert!(by_name("scraper").forbidden_403 > 0);
    assert_eq!(by_name("app").forbidden_403, 0);
    assert_eq!(by_name("ops-refresh").forbidden_403, 0);
    assert!(by_name("app").requests > 0);

    // The attack against a bounded backend: 429s, 5xx, timeouts and queued fetches
    // still in flight at the end; every configuration adds up.
    let study =
        crate::scenario::Study::load(Path::new("scenarios/attack-throttling.toml")).unwrap();
    for c in &study.configurations {
        let out = run(&c.scenario, 0, &mut |_| {}).unwrap();
        assert_sources_add_up(&out, &c.name);
        let throttled = out.recorder.counts.throttled_429;
        if c.name == "stage-throttling" {
            // The stage bucket does not know who is abusive: both clients are throttled.
            assert!(throttled > 0);
            assert!(out.recorder.sources.iter().all(|s| s.throttled_429 > 0));
        }
    }

    // One client alone bears every 429.
    let text = one_resource(5, "\"0ms\"", "", 10.0, "constant")
        .method_setting("throttling_rate_limit = 1")
        .method_setting("throttling_burst_limit = 1");
    let out = run_rep(&text, 0);
    assert_eq!(out.recorder.sources.len(), 1);
    assert_sources_add_up(&out, "one client");
    assert_eq!(
        out.recorder.sources[0].throttled_429,
        out.recorder.counts.throttled_429
    );
    assert!(out.recorder.counts.throttled_429 > 0);
}
