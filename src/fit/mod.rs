//! `cachegate fit`: a workload model from API Gateway access logs, in one streaming pass
//! and bounded memory. Per resource (method and path template) and overall: the request
//! rate (mean, busiest second, a profile per window, the average day across days), key
//! popularity (distinct keys, a maximum-likelihood Zipf law with its goodness of fit and
//! the ranks it holds over, or the empirical distribution), principals' shares and
//! `max-age=0` shares, response sizes and backend latency (lognormal fits beside their
//! quantiles), and production's own cache hit rate where the logs (or CloudWatch) show
//! it. The numbers `cachegate init` writes into a scenario come from here.

mod cloudwatch;
mod dist;
mod keys;
mod output;
mod rate;
mod zipf;

use std::collections::BTreeMap;
use std::path::PathBuf;

pub use cloudwatch::{CacheCounts, read_cloudwatch};
pub use dist::{Dist, DistSummary};
pub use keys::{Counted, KeyCounts};
pub(crate) use output::write_new;
pub use output::{popularity_csv, profile_csv, text, write_files};
pub use rate::{Profile, RateStats};
pub use zipf::{MAX_KS, ZipfFit};

use crate::trace::{LogFields, LogRecord, TraceError};

/// Distinct principals told apart; later callers are counted together.
pub const MAX_PRINCIPALS: usize = 16;

/// The name of callers past [`MAX_PRINCIPALS`].
pub const OTHER_CALLERS: &str = "other-callers";

/// The name of requests with no caller.
pub const ANONYMOUS: &str = "anonymous";

/// What to read and how.
#[derive(Debug, Clone)]
pub struct FitOptions {
    /// The access logs, read in order as one.
    pub logs: Vec<PathBuf>,
    /// Where their lines keep each field.
    pub fields: LogFields,
    /// Caller value -> principal name (a scenario trace's `principals`); callers not
    /// listed are their own principal (or `default_principal` when given).
    pub principals: Vec<(String, String)>,
    /// The principal of callers not listed, when a scenario says.
    pub default_principal: Option<String>,
    /// Distinct keys counted exactly per resource (then approximately).
    pub max_keys: usize,
    /// Lines that may fail to parse, per log.
    pub max_bad_lines: u64,
    /// Seconds per profile step; `None`: chosen from the span.
    pub window_s: Option<u64>,
    /// CloudWatch metric files (`get-metric-data` / `get-metric-statistics` JSON).
    pub cloudwatch: Vec<PathBuf>,
}

impl FitOptions {
    /// Reading `logs` with `fields`: each caller its own principal, 2^20 keys counted
    /// exactly per resource, the traces' default bad-line limit, the profile's step from
    /// the span, no CloudWatch file.
    pub fn new(logs: Vec<PathBuf>, fields: LogFields) -> FitOptions {
        FitOptions {
            logs,
            fields,
            principals: Vec::new(),
            default_principal: None,
            max_keys: 1 << 20,
            max_bad_lines: crate::trace::DEFAULT_MAX_BAD_LINES,
            window_s: None,
            cloudwatch: Vec::new(),
        }
    }
}

/// One log as read.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LogSummary {
    /// The file.
    pub file: String,
    /// Records read.
    pub records: u64,
    /// Lines that did not parse.
    pub bad: u64,
    /// The first lines that did not parse, `line N: why`.
    pub first_bad: Vec<String>,
    /// Its first record's time (epoch µs).
    pub first_us: Option<u64>,
}

/// A request rate.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Traffic {
    /// Requests.
    pub requests: u64,
    /// The first request's time (RFC 3339).
    pub first: String,
    /// The last request's time.
    pub last: String,
    /// Seconds from the first request to the last (at least 1).
    pub span_s: f64,
    /// Requests a second over the logs' span.
    pub mean_rate: f64,
    /// The busiest second's requests.
    pub busiest_second: u64,
    /// When the busiest second was.
    pub busiest_at: String,
    /// The rate per window over the span.
    pub profile: Profile,
    /// The average day, when the logs cover two days or more.
    pub daily: Option<Profile>,
}

/// Keys of a resource.
#[derive(Debug, Clone, serde::Serialize)]
pub struct KeysFit {
    /// Distinct keys (estimated when not exact).
    pub distinct: u64,
    /// Whether counts are exact (else within `error` of the truth, `distinct` estimated).
    pub exact: bool,
    /// How far under the truth a count may be (0 when exact).
    pub error: u64,
    /// The fitted Zipf law, when enough keys repeat to fit one.
    pub zipf: Option<ZipfFit>,
    /// When the law fits: how many keys it must range over for the logs' requests to
    /// show the distinct keys they did (the keys never requested are its tail).
    pub universe: Option<u64>,
    /// The most requested keys and their counts.
    pub top: Vec<(String, u64)>,
    /// Every counted key, most requested first (for the empirical popularity file).
    #[serde(skip)]
    pub all: Vec<(String, u64)>,
}

/// Responses from the cache and from the backend, as the logs show them.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct CacheSeen {
    /// Successful responses without an integration (served from the cache).
    pub from_cache: u64,
    /// Responses with an integration latency (the backend was called).
    pub from_backend: u64,
}

impl CacheSeen {
    /// `from_cache / (from_cache + from_backend)`, when any were seen.
    pub fn hit_rate(&self) -> Option<f64> {
        let n = self.from_cache + self.from_backend;
        (n > 0).then(|| self.from_cache as f64 / n as f64)
    }
}

/// One resource's workload.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ResourceFit {
    /// `METHOD /template`.
    pub label: String,
    /// Share of all requests.
    pub share: f64,
    /// Its request rate.
    pub traffic: Traffic,
    /// Its keys.
    pub keys: KeysFit,
    /// Response bytes (`responseLength`), when logged.
    pub response_bytes: Option<DistSummary>,
    /// Backend milliseconds (`integrationLatency`), when logged.
    pub backend_latency_ms: Option<DistSummary>,
    /// Its responses from the cache and from the backend.
    pub cache: CacheSeen,
    /// Share of its requests sending `max-age=0`, when the logs carry it.
    pub max_age_zero: Option<f64>,
}

/// One principal's traffic.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PrincipalFit {
    /// Its name (a scenario principal, the caller's value, `anonymous`, or
    /// `other-callers`).
    pub name: String,
    /// Share of all requests.
    pub share: f64,
    /// Share of its requests sending `max-age=0`, when the logs carry it.
    pub max_age_zero: Option<f64>,
    /// Its request rate.
    pub traffic: Traffic,
    /// Its requests per resource, as shares.
    pub mix: Vec<(String, f64)>,
}

/// Everything fitted.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Fit {
    /// The logs read, in order.
    pub logs: Vec<LogSummary>,
    /// All requests.
    pub overall: Traffic,
    /// Per resource, most requested first.
    pub resources: Vec<ResourceFit>,
    /// Per principal, most requests first.
    pub principals: Vec<PrincipalFit>,
    /// Production's hit rate as the access logs show it (see the README's assumption
    /// `cache hits in access logs`).
    pub cache: CacheSeen,
    /// Production's hit rate as CloudWatch counted it, when given.
    pub cloudwatch: Option<CacheCounts>,
    /// Seconds per profile step.
    pub window_s: u64,
}

/// What fit failed on.
#[derive(Debug, thiserror::Error)]
pub enum FitError {
    /// A log could not be read.
    #[error(transparent)]
    Log(#[from] TraceError),
    /// A CloudWatch file could not be read.
    #[error("{0}")]
    CloudWatch(String),
    /// Nothing to fit.
    #[error("{0}")]
    Empty(String),
}

#[derive(Default)]
struct Stream {
    rate: RateStats,
    max_age: (u64, u64),
}

impl Stream {
    fn add(&mut self, r: &LogRecord<'_>) {
        self.rate.add(r.micros);
        if let Some(m) = r.max_age_zero {
            self.max_age.0 += u64::from(m);
            self.max_age.1 += 1;
        }
    }

    fn max_age_share(&self) -> Option<f64> {
        (self.max_age.1 > 0).then(|| self.max_age.0 as f64 / self.max_age.1 as f64)
    }
}

struct Resource {
    stream: Stream,
    keys: KeyCounts,
    sizes: Dist,
    latency: Dist,
    cache: CacheSeen,
}

struct Principal {
    stream: Stream,
    mix: BTreeMap<String, u64>,
}

/// Reads every log once and fits the workload; `progress` gets bytes read of `total`.
pub fn fit(options: &FitOptions, progress: &mut dyn FnMut(u64, u64)) -> Result<Fit, FitError> {
    let total: u64 = options
        .logs
        .iter()
        .map(|p| std::fs::metadata(p).map_or(0, |m| m.len()))
        .sum();
    let mut overall = Stream::default();
    let mut resources: BTreeMap<String, Resource> = BTreeMap::new();
    let mut principals: BTreeMap<String, Principal> = BTreeMap::new();
    let mut cache = CacheSeen::default();
    let mut logs = Vec::new();
    let mut done = 0u64;
    for path in &options.logs {
        let mut each = |r: &LogRecord<'_>| {
            overall.add(r);
            let label = format!("{} {}", r.method.to_ascii_uppercase(), r.template);
            let res = resources.entry(label.clone()).or_insert_with(|| Resource {
                stream: Stream::default(),
                keys: KeyCounts::new(options.max_keys),
                sizes: Dist::new(1.0),
                latency: Dist::new(1_000.0),
                cache: CacheSeen::default(),
            });
            res.stream.add(r);
            res.keys.add(r.key);
            if let Some(n) = r.response_length {
                res.sizes.add(n as f64);
            }
            if let Some(ms) = r.integration_latency {
                res.latency.add(ms);
            }
            let ok = r.status.is_none_or(|s| (200..400).contains(&s));
            if r.latency_logged {
                match r.integration_latency {
                    Some(_) => res.cache.from_backend += 1,
                    None if ok => res.cache.from_cache += 1,
                    None => {}
                }
            }
            let name = principal_name(options, r.principal, &principals);
            let p = principals.entry(name).or_insert_with(|| Principal {
                stream: Stream::default(),
                mix: BTreeMap::new(),
            });
            p.stream.add(r);
            *p.mix.entry(label).or_default() += 1;
        };
        let read = crate::trace::read_log(
            path,
            &options.fields,
            options.max_bad_lines,
            &mut |bytes| progress(done + bytes, total),
            &mut each,
        )?;
        done += std::fs::metadata(path).map_or(read.bytes, |m| m.len());
        logs.push(LogSummary {
            file: path.display().to_string(),
            records: read.records,
            bad: read.bad,
            first_bad: read.first_bad,
            first_us: read.first_us,
        });
    }
    if overall.rate.count == 0 {
        let bad: u64 = logs.iter().map(|l| l.bad).sum();
        let first = logs.iter().find_map(|l| l.first_bad.first());
        return Err(FitError::Empty(format!(
            "{}: no request records: nothing to fit{} (check the field mapping: time `{}`, method `{}`, resource path `{}`, path `{}`)",
            options
                .logs
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
            first.map_or_else(String::new, |f| format!(
                "; {bad} line(s) did not parse, first {f}"
            )),
            options.fields.time.join("."),
            options.fields.method.join("."),
            options.fields.resource_path.join("."),
            options.fields.path.join(".")
        )));
    }
    let window_s = options
        .window_s
        .unwrap_or_else(|| auto_window(overall.rate.last_us - overall.rate.first_us));
    let n = overall.rate.count as f64;
    let span = (overall.rate.first_us, overall.rate.last_us);
    let traffic = |s: &mut Stream| {
        s.rate.finish();
        let r = &s.rate;
        Traffic {
            requests: r.count,
            first: rfc3339(r.first_us),
            last: rfc3339(r.last_us),
            span_s: r.span_s(),
            mean_rate: r.mean_rate(),
            busiest_second: r.busiest.0,
            busiest_at: rfc3339(r.busiest.1.saturating_mul(1_000_000)),
            profile: r.profile(window_s, span),
            daily: r.daily(window_s.min(3_600), span),
        }
    };
    let mut resource_fits = Vec::new();
    for (label, mut r) in resources {
        let counted = r.keys.counted();
        resource_fits.push(ResourceFit {
            share: r.stream.rate.count as f64 / n,
            max_age_zero: r.stream.max_age_share(),
            traffic: traffic(&mut r.stream),
            keys: keys_fit(counted),
            response_bytes: r.sizes.summary(),
            backend_latency_ms: r.latency.summary(),
            cache: r.cache,
            label,
        });
        cache.from_cache += r.cache.from_cache;
        cache.from_backend += r.cache.from_backend;
    }
    let mut principal_fits: Vec<PrincipalFit> = principals
        .into_iter()
        .map(|(name, mut p)| {
            let count = p.stream.rate.count as f64;
            PrincipalFit {
                share: count / n,
                max_age_zero: p.stream.max_age_share(),
                traffic: traffic(&mut p.stream),
                mix: p
                    .mix
                    .into_iter()
                    .map(|(l, c)| (l, c as f64 / count))
                    .collect(),
                name,
            }
        })
        .collect();
    principal_fits.sort_by(|a, b| {
        b.traffic
            .requests
            .cmp(&a.traffic.requests)
            .then_with(|| a.name.cmp(&b.name))
    });
    resource_fits.sort_by(|a, b| {
        b.traffic
            .requests
            .cmp(&a.traffic.requests)
            .then_with(|| a.label.cmp(&b.label))
    });
    let cloudwatch = if options.cloudwatch.is_empty() {
        None
    } else {
        let mut all = CacheCounts::default();
        for f in &options.cloudwatch {
            let c = read_cloudwatch(f).map_err(FitError::CloudWatch)?;
            all.cache_hits += c.cache_hits;
            all.cache_misses += c.cache_misses;
        }
        Some(all)
    };
    Ok(Fit {
        logs,
        overall: traffic(&mut overall),
        resources: resource_fits,
        principals: principal_fits,
        cache,
        cloudwatch,
        window_s,
    })
}

/// The principal a record's caller belongs to.
fn principal_name(
    options: &FitOptions,
    caller: Option<&str>,
    seen: &BTreeMap<String, Principal>,
) -> String {
    if let Some(c) = caller {
        if let Some((_, p)) = options.principals.iter().find(|(k, _)| k == c) {
            return p.clone();
        }
    }
    if let Some(d) = &options.default_principal {
        return d.clone();
    }
    let name = caller.unwrap_or(ANONYMOUS);
    if seen.contains_key(name) || seen.len() < MAX_PRINCIPALS {
        name.to_owned()
    } else {
        OTHER_CALLERS.to_owned()
    }
}

fn keys_fit(c: Counted) -> KeysFit {
    // Counts a pruned table may understate by `error`: fit where that is under 10%.
    let reliable: Vec<u64> = c
        .keys
        .iter()
        .map(|(_, n)| *n)
        .take_while(|&n| c.exact || n >= 10 * c.error)
        .collect();
    let zipf = zipf::fit(&reliable);
    KeysFit {
        universe: zipf
            .filter(|z| z.fits)
            .and_then(|z| zipf::universe(z.exponent, c.total, c.distinct)),
        distinct: c.distinct,
        exact: c.exact,
        error: c.error,
        zipf,
        top: c.keys.iter().take(10).cloned().collect(),
        all: c.keys,
    }
}

/// A profile step for a span of `span_us`: the shortest of 1 min, 5 min, 15 min, 1 h,
/// 6 h, 1 day that gives at most 200 steps.
fn auto_window(span_us: u64) -> u64 {
    let span_s = span_us / 1_000_000;
    [60, 300, 900, 3_600, 21_600, 86_400]
        .into_iter()
        .find(|w| span_s / w <= 200)
        .unwrap_or(86_400)
}

/// Epoch µs as RFC 3339 (UTC).
pub fn rfc3339(us: u64) -> String {
    i64::try_from(us)
        .ok()
        .and_then(|us| jiff::Timestamp::from_microsecond(us).ok())
        .map_or_else(|| format!("{us} µs after 1970"), |t| t.to_string())
}

/// The file name part for `label` (`GET /pets/{petId}` -> `get-pets-petid`).
pub fn slug(label: &str) -> String {
    let mut out = String::new();
    for c in label.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-').to_owned();
    if out.is_empty() {
        "root".to_owned()
    } else {
        out
    }
}

#[cfg(test)]
pub(crate) mod tests;
