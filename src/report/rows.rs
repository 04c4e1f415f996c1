//! The rows of the report files and how a run's measurements become them.

use serde::Serialize;

use crate::metrics::{SummaryRow, WindowCounts};
use crate::scenario::Scenario;
use crate::sim::RunOutput;

/// One row of `timeseries.csv`.
// NOTE: each column is defined in the README's "Report files" section.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct TimeseriesRow {
    pub variant: String,
    pub replication: u32,
    pub seed: u64,
    /// Start of the window, seconds after warm-up.
    pub window_start_s: f64,
    pub requests: u64,
    pub cache_hits: u64,
    pub cache_misses: u64,
    pub backend_requests: u64,
    pub stale_responses: u64,
    pub forbidden_403: u64,
    pub throttled_429: u64,
    pub errors_5xx: u64,
    pub backend_inflight_peak: u64,
}

/// One row of `staleness.csv`: a point of the staleness distribution of one run's stale
/// responses (the CDF the report plots).
// NOTE: each column is defined in the README's "Report files" section.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct StalenessRow {
    pub variant: String,
    pub replication: u32,
    pub seed: u64,
    /// Stale responses the distribution is over.
    pub stale_responses: u64,
    /// The fraction of those responses at most `staleness_ms` stale.
    pub quantile: f64,
    pub staleness_ms: f64,
}

/// The quantiles `staleness.csv` gives: every percent from 0 to 99, the 99.9th and the
/// maximum.
fn staleness_quantiles() -> impl Iterator<Item = f64> {
    (0..100).map(|i| f64::from(i) / 100.0).chain([0.999, 1.0])
}

/// `manifest.json`: what ran.
// NOTE: each field is defined in the README's "Report files" section.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Manifest {
    pub scenario: String,
    pub scenario_path: String,
    pub scenario_sha256: String,
    pub seed: u64,
    pub replications: u32,
    pub cachegate_version: String,
    pub duration_s: f64,
    pub warmup_s: f64,
    pub window_s: f64,
    pub configurations: Vec<String>,
    pub baseline: String,
    pub assumptions: std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>>,
    pub checks: Vec<String>,
    pub price_table: String,
    pub simulated_requests: u64,
    /// Traces replayed, as read before the run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub traces: Vec<TraceSummary>,
    /// Files the configurations read besides the scenario and traces (rate profiles,
    /// popularity, policies, stage and API files), with their SHA-256.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inputs: Vec<crate::scenario::InputFile>,
}

/// One replayed trace file, in `manifest.json`.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[allow(missing_docs)]
pub struct TraceSummary {
    pub name: String,
    pub file: String,
    /// The file's digest, `algorithm:hex` (the trace's `digest`).
    pub digest: String,
    pub requests: u64,
    pub bad_records: u64,
    /// The first bad records, `line N: why`.
    pub bad_examples: Vec<String>,
    /// Requests for resources the scenario does not model, `METHOD /path xN`.
    pub unmodelled: Vec<String>,
    pub reordered: u64,
    pub span_s: f64,
    /// Requests at or after the run's end, not replayed.
    pub after_end: u64,
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// Rounds to 6 significant decimals so CSVs stay readable (values are deterministic
/// either way).
pub(super) fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// The summary row of one run.
pub fn summary_row(scenario: &Scenario, variant: &str, run: &RunOutput) -> SummaryRow {
    let r = &run.recorder;
    let c = &r.counts;
    let secs = scenario.duration.as_secs_f64();
    let backend_rps_mean = if secs > 0.0 {
        c.backend_requests as f64 / secs
    } else {
        0.0
    };
    let cache_price = cache_price_per_hour(scenario);
    let backend_price = scenario
        .backend_usd_per_million
        .map_or(0.0, |p| p * backend_rps_mean * 3_600.0 / 1e6);
    SummaryRow {
        variant: variant.to_owned(),
        replication: run.replication,
        seed: run.seed,
        requests: c.requests,
        cache_hits: c.cache_hits,
        cache_misses: c.cache_misses,
        hit_rate: round6(ratio(c.cache_hits, c.cache_hits + c.cache_misses)),
        backend_requests: c.backend_requests,
        backend_rps_mean: round6(backend_rps_mean),
        backend_rps_peak: r.backend_peak_per_second(),
        backend_inflight_peak: r.inflight_peak(),
        backend_wait_p99_ms: r.backend_wait_ms(0.99),
        invalidations_honored: c.invalidations_honored,
        invalidations_rejected: c.invalidations_rejected,
        invalidations_ignored: c.invalidations_ignored,
        warning_headers: c.warning_headers,
        stale_responses: c.stale_responses,
        stale_fraction: round6(ratio(c.stale_responses, c.successful)),
        staleness_p50_ms: r.staleness_ms(0.5),
        staleness_p99_ms: r.staleness_ms(0.99),
        staleness_max_ms: r.staleness_max_ms(),
        latency_p50_ms: r.latency_ms(0.5),
        latency_p99_ms: r.latency_ms(0.99),
        latency_p999_ms: r.latency_ms(0.999),
        evictions: run.evictions,
        expirations: run.expirations,
        wrong_key_responses: c.wrong_key_responses,
        throttled_429: c.throttled_429,
        errors_5xx: c.errors_5xx,
        timeouts_504: c.timeouts_504,
        error_hits: c.error_hits,
        availability: round6(ratio(
            c.successful,
            c.successful + c.invalidations_rejected + c.throttled_429 + c.errors_5xx,
        )),
        cost_per_hour_usd: round6(cache_price + backend_price),
    }
}

/// The cache cluster's hourly price over the measured time, weighted by how long each
/// size was in force: a `set_capacity` to a cluster size bills the new size from the
/// change on (a `capacity_bytes` change keeps the size, and its price, as it was).
fn cache_price_per_hour(scenario: &Scenario) -> f64 {
    if !scenario.gateway.stage.cache_cluster_enabled {
        return 0.0;
    }
    let price =
        |size: Option<crate::cache::ClusterSize>| size.map_or(0.0, |s| s.price_per_hour_usd());
    let (start, end) = (crate::time::SimTime::ZERO + scenario.warmup, scenario.end());
    let measured = (end - start).as_micros();
    if measured == 0 {
        return price(scenario.cluster_size);
    }
    let mut current = price(scenario.cluster_size);
    let mut since = start;
    let mut weighted = 0.0;
    for e in &scenario.events {
        if let crate::scenario::StageAction::SetCapacity {
            size: Some(size), ..
        } = e.action
        {
            let at = e.at.max(start).min(end);
            weighted += current * (at - since).as_micros() as f64;
            since = at;
            current = size.price_per_hour_usd();
        }
    }
    weighted += current * (end - since).as_micros() as f64;
    weighted / measured as f64
}

/// The staleness distribution of one run; none when nothing was stale.
pub fn staleness_rows(variant: &str, run: &RunOutput) -> Vec<StalenessRow> {
    let r = &run.recorder;
    let n = r.counts.stale_responses;
    if n == 0 {
        return Vec::new();
    }
    staleness_quantiles()
        .map(|quantile| StalenessRow {
            variant: variant.to_owned(),
            replication: run.replication,
            seed: run.seed,
            stale_responses: n,
            quantile,
            staleness_ms: if quantile < 1.0 {
                r.staleness_ms(quantile)
            } else {
                r.staleness_max_ms()
            },
        })
        .collect()
}

/// The time-series rows of one run.
pub fn timeseries_rows(scenario: &Scenario, variant: &str, run: &RunOutput) -> Vec<TimeseriesRow> {
    let w = scenario.window.as_secs_f64();
    run.recorder
        .windows()
        .iter()
        .enumerate()
        .map(|(i, c): (usize, &WindowCounts)| TimeseriesRow {
            variant: variant.to_owned(),
            replication: run.replication,
            seed: run.seed,
            window_start_s: round6(i as f64 * w),
            requests: c.requests,
            cache_hits: c.cache_hits,
            cache_misses: c.cache_misses,
            backend_requests: c.backend_requests,
            stale_responses: c.stale_responses,
            forbidden_403: c.forbidden,
            throttled_429: c.throttled,
            errors_5xx: c.errors_5xx,
            backend_inflight_peak: c.inflight_peak,
        })
        .collect()
}
