//! Scenario files: TOML in, a validated [`Scenario`] (or a [`Study`] of several
//! configurations) out. `raw` mirrors the file (unknown fields rejected), `load` expands
//! variants and sweeps, `validate` interprets and cross-checks each configuration,
//! collecting every problem with its field path, and `locate` turns paths into lines and
//! columns.
//! Times in a scenario (client `start`/`stop`, event `at`) count from the start of the
//! simulation, warm-up included.

mod data_file;
mod empirical;
mod error;
mod imported;
pub mod limits;
mod load;
mod locate;
pub mod profile;
mod raw;
mod shape;
mod shapes;
mod study;
#[cfg(test)]
mod tests;
mod units;
mod validate;

use std::path::{Path, PathBuf};

pub use data_file::InputFile;
pub use empirical::MAX_KEYS as MAX_EMPIRICAL_KEYS;
pub use error::{FieldPath, ScenarioError, Seg};
pub(crate) use locate::{line_col, locate as locate_field};
pub use profile::{Rate, RateProfile, Step};
pub use study::{Configuration, Origin, Study};
pub use units::{DurationError, duration as parse_duration};

use crate::cache::ClusterSize;
use crate::gateway::{GatewayConfig, Principal};
use crate::time::{SimDuration, SimTime};

/// How often each key of a resource is requested.
#[derive(Debug, Clone, PartialEq)]
pub enum Popularity {
    /// Every key equally.
    Uniform,
    /// Key of rank r with weight 1/r^s (s >= 0).
    Zipf(f64),
    /// Key `i` with weight `weights[i]`, read from a file.
    Empirical {
        /// One weight a key, not all zero.
        weights: std::sync::Arc<Vec<f64>>,
        /// Where they were read.
        file: InputFile,
    },
}

/// A distribution of response sizes (per key: a key keeps its size).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SizeDist {
    /// Every response the same size.
    Fixed(u64),
    /// Log-normal with the given median (bytes) and sigma.
    LogNormal {
        /// Median bytes.
        median: f64,
        /// Shape.
        sigma: f64,
    },
}

/// A distribution of backend latencies (per fetch).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LatencyDist {
    /// Always the same.
    Fixed(SimDuration),
    /// Log-normal with the given median and sigma.
    LogNormal {
        /// Median.
        median: SimDuration,
        /// Shape.
        sigma: f64,
    },
    /// Exponential with the given mean (M/M/c service times).
    Exponential {
        /// Mean.
        mean: SimDuration,
    },
}

/// How a resource's traffic and backend behave.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceModel {
    /// `METHOD /path`, as clients' `mix` names it.
    pub label: String,
    /// Number of distinct parameter tuples (keys) requested.
    pub keys: u64,
    /// Key popularity.
    pub popularity: Popularity,
    /// Response sizes.
    pub response_bytes: SizeDist,
    /// Backend latency.
    pub backend_latency: LatencyDist,
    /// Changes per second of each key's data (Poisson); 0 = never.
    pub change_rate: f64,
    /// Per gateway parameter slot: `None`, the parameter's value is the key index;
    /// `Some(n)`, it takes `n` values, digits of the key index in mixed radix.
    pub param_values: Vec<Option<u64>>,
    /// How long the gateway waits for the backend's answer before answering 504
    /// (`integration_timeout`, default 29 s).
    pub integration_timeout: SimDuration,
    /// Share of fetches the backend answers with a 5xx (`backend_error_rate`).
    pub error_rate: f64,
    /// Index of the backend serving it, in [`Scenario::backends`].
    pub backend: usize,
}

/// API Gateway's default integration timeout for REST APIs.
pub const DEFAULT_INTEGRATION_TIMEOUT: SimDuration = SimDuration::from_secs(29);

/// What a backend at its concurrency limit does with another fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overload {
    /// The fetch waits, first come first served, for a slot (possibly into the
    /// integration timeout).
    Queue,
    /// The fetch fails at once (a Lambda function at its concurrency limit).
    Reject,
}

impl Overload {
    /// As a scenario writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Overload::Queue => "queue",
            Overload::Reject => "reject",
        }
    }
}

/// A backend: the resources it serves share its concurrency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendModel {
    /// A `[backends.NAME]`'s name, or the label of the one resource it serves.
    pub name: String,
    /// Most fetches served at once; `None`: unlimited.
    pub concurrency: Option<u64>,
    /// What it does beyond that.
    pub overload: Overload,
}

/// Arrival process of a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrival {
    /// Exponential gaps.
    Poisson,
    /// Evenly spaced.
    Constant,
}

/// A synthetic client population.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientModel {
    /// Its name.
    pub name: String,
    /// Index of its principal.
    pub principal: usize,
    /// Requests per second, constant or over time.
    pub rate: Rate,
    /// What `rate` is multiplied by (`rate_scale`, default 1).
    pub rate_scale: f64,
    /// Whether it sends at all (`enabled`, default true): a variant may switch a client
    /// off, keeping every other client's random streams as they are.
    pub enabled: bool,
    /// Arrival process.
    pub arrival: Arrival,
    /// Share of requests with `Cache-Control: max-age=0`.
    pub max_age_zero: f64,
    /// Resource index and share, shares summing to 1.
    pub mix: Vec<(usize, f64)>,
    /// First arrival no earlier than this.
    pub start: SimTime,
    /// No arrival at or after this ([`SimTime::MAX`] when not given: until the end).
    pub stop: SimTime,
}

impl ClientModel {
    /// The number of requests it is expected to send in `[from, to)`: its rate, scaled,
    /// integrated over the part of that span between its start and stop.
    pub fn expected_requests(&self, from: SimTime, to: SimTime) -> f64 {
        let (from, to) = (from.max(self.start), to.min(self.stop));
        if to <= from || !self.enabled {
            return 0.0;
        }
        self.rate_scale * self.rate.expected(from, to)
    }
}

/// Something that happens to the stage or its backends at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StageAction {
    /// `FlushStageCache`.
    Flush,
    /// The backend fails every fetch it starts for `duration` (5xx responses).
    BackendOutage {
        /// How long.
        duration: SimDuration,
        /// The resource whose backend fails; every resource's when `None`.
        resource: Option<usize>,
    },
    /// Change the cache capacity (drops every entry).
    SetCapacity {
        /// New capacity in bytes.
        bytes: u64,
        /// The cluster size, when given as one.
        size: Option<ClusterSize>,
    },
}

/// A stage action at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StageEvent {
    /// When.
    pub at: SimTime,
    /// What.
    pub action: StageAction,
}

/// A validated scenario: everything the simulator needs, every invariant checked.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// `name`, also the report folder's name.
    pub name: String,
    /// `description`.
    pub description: String,
    /// The file it came from.
    pub source: PathBuf,
    /// SHA-256 of the file's bytes, hex.
    pub source_sha256: String,
    /// Base seed.
    pub seed: u64,
    /// Measured simulated time.
    pub duration: SimDuration,
    /// Simulated before measuring.
    pub warmup: SimDuration,
    /// Time-series resolution.
    pub window: SimDuration,
    /// Independent replications.
    pub replications: u32,
    /// The gateway: API identity, stage settings, cache, resources.
    pub gateway: GatewayConfig,
    /// The cluster size, when caching is enabled.
    pub cluster_size: Option<ClusterSize>,
    /// `model.coalesce_misses`.
    pub coalesce_misses: bool,
    /// `model.negated_incomparable`: what a negated IAM condition operator comes to on a
    /// value that cannot be compared.
    pub negated_incomparable: crate::policy::operator::NegatedIncomparable,
    /// Latency the gateway adds to every response (`model.gateway_latency`).
    pub gateway_latency: SimDuration,
    /// `model.cache_error_responses`: whether the backend's 5xx responses are cached.
    pub cache_error_responses: bool,
    /// `model.cache_provisioning`: how long creating or resizing the cache takes.
    pub cache_provisioning: SimDuration,
    /// `model.backend_overload_status`: what a client gets when a backend refuses a
    /// fetch at its concurrency limit.
    pub overload_status: u16,
    /// The backends, each serving one resource or a named group.
    pub backends: Vec<BackendModel>,
    /// `cost.backend_usd_per_million_requests`.
    pub backend_usd_per_million: Option<f64>,
    /// Per resource (same order as `gateway.resources`).
    pub resources: Vec<ResourceModel>,
    /// Principals, in name order.
    pub principals: Vec<Principal>,
    /// Per principal: `public = true`, anyone can call as it (unauthenticated clients,
    /// an API key shipped in a web page), for `cachegate audit`.
    pub public_principals: Vec<bool>,
    /// Client populations.
    pub clients: Vec<ClientModel>,
    /// Recorded traces replayed beside the clients.
    pub traces: Vec<crate::trace::TraceModel>,
    /// Stage events, in time order.
    pub events: Vec<StageEvent>,
    /// Condition values in the principals' policies that do not parse for their operator
    /// (kept; they match nothing), each with its principal and file.
    pub policy_warnings: Vec<String>,
    /// The files it was read from besides the scenario file and traces (rate profiles,
    /// popularity, policies, stage and API files), by path, with their SHA-256.
    pub inputs: Vec<InputFile>,
}

impl Study {
    /// Reads, parses and validates a scenario file with all its configurations.
    ///
    /// ```
    /// use cachegate::scenario::Study;
    ///
    /// let study = Study::load("scenarios/pets.toml".as_ref()).unwrap();
    /// let names: Vec<&str> = study.configurations.iter().map(|c| c.name.as_str()).collect();
    /// assert_eq!(names, ["warning-header", "fail-403", "silent"]);
    /// assert_eq!(study.checks[0].to_string(), "backend_rps_mean <= 250");
    ///
    /// // A file with problems lists them all, each with its line, column and field.
    /// let err = Study::load("no/such/file.toml".as_ref()).unwrap_err();
    /// assert!(err.to_string().starts_with("no/such/file.toml: cannot read scenario"));
    /// ```
    pub fn load(path: &Path) -> Result<Study, ScenarioError> {
        let bytes = std::fs::read(path).map_err(|error| ScenarioError::Read {
            path: path.to_owned(),
            error,
        })?;
        load::study(path, &bytes)
    }

    /// Parses and validates scenario text that came from `path` (files it names are
    /// read relative to that), with all its configurations.
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<Study, ScenarioError> {
        load::study(path, bytes)
    }
}

impl Scenario {
    /// Reads, parses and validates a scenario file; policies load relative to it.
    pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
        let bytes = std::fs::read(path).map_err(|error| ScenarioError::Read {
            path: path.to_owned(),
            error,
        })?;
        Scenario::parse(path, &bytes)
    }

    /// Parses and validates scenario text that came from `path` (its baseline
    /// configuration, when it has variants).
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<Scenario, ScenarioError> {
        let mut study = load::study(path, bytes)?;
        Ok(study.configurations.swap_remove(study.baseline).scenario)
    }

    /// Total simulated time: warm-up plus the measured duration.
    pub fn end(&self) -> SimTime {
        SimTime::ZERO + self.warmup + self.duration
    }

    /// What a reader of the results should know about the scenario: its policies'
    /// condition values that do not parse (they match nothing), and what falls outside
    /// the measured time (after the warm-up, before the end) and so is not measured, or
    /// not at all: a client that starts at or after the end or stops
    /// before the warm-up ends, a stage event at or after the end or during the warm-up.
    /// A scenario that studies an attack or a flush then measures something else, most
    /// often after `--duration` shortened it.
    pub fn warnings(&self) -> Vec<String> {
        let (warmup, end) = (SimTime::ZERO + self.warmup, self.end());
        let since = |t: SimTime| t.saturating_since(SimTime::ZERO);
        let mut out = self.policy_warnings.clone();
        out.extend(self.caching_warnings());
        for c in self.clients.iter().filter(|c| c.enabled) {
            if c.start >= end {
                out.push(format!(
                    "client `{}` starts at {}, at or after the run's end ({}): it sends nothing",
                    c.name,
                    since(c.start),
                    since(end)
                ));
            } else if c.stop <= warmup {
                out.push(format!(
                    "client `{}` stops at {}, before the warm-up ends ({}): none of its requests is measured",
                    c.name,
                    since(c.stop),
                    since(warmup)
                ));
            } else if c.expected_requests(warmup, end) == 0.0 {
                out.push(format!(
                    "client `{}` sends nothing in the measured time ({} to {}): {}",
                    c.name,
                    since(warmup),
                    since(end),
                    if c.rate_scale == 0.0 {
                        "its rate_scale is 0"
                    } else {
                        "its rate profile is 0 there"
                    }
                ));
            }
        }
        for e in &self.events {
            let what = match e.action {
                StageAction::Flush => "flush_stage_cache",
                StageAction::SetCapacity { .. } => "set_capacity",
                StageAction::BackendOutage { .. } => "backend_outage",
            };
            if e.at >= end {
                out.push(format!(
                    "event `{what}` at {} is at or after the run's end ({}): it never happens",
                    since(e.at),
                    since(end)
                ));
            } else if e.at < warmup {
                out.push(format!(
                    "event `{what}` at {} happens during the warm-up (until {}): what follows it is measured only in part",
                    since(e.at),
                    since(warmup)
                ));
            }
        }
        out
    }

    /// A stage whose cache cluster and method settings disagree: the cluster on with no
    /// method caching (paid for, storing nothing), or caching enabled with the cluster off.
    fn caching_warnings(&self) -> Vec<String> {
        let stage = &self.gateway.stage;
        let mut out = Vec::new();
        if stage.cache_cluster_enabled {
            let caches = self
                .gateway
                .resources
                .iter()
                .any(|r| stage.resolve(&r.path, r.method).cached);
            if !caches {
                let price = self
                    .cluster_size
                    .map_or(0.0, crate::cache::ClusterSize::price_per_hour_usd);
                out.push(format!(
                    "the cache cluster is on but no method caches (no `caching_enabled = true` in \
                     `*/*` or a method's entry, as the API, CloudFormation and Terraform leave it): \
                     paying ${price:.3}/hour for a cache that stores nothing"
                ));
            }
        } else {
            let enabled: Vec<String> = stage
                .method_settings
                .iter()
                .filter(|(_, s)| s.caching_enabled == Some(true))
                .map(|(key, _)| format!("`{key}`"))
                .collect();
            if !enabled.is_empty() {
                out.push(format!(
                    "caching is enabled in method settings {} but `cache_cluster_enabled` is \
                     false: without a cache cluster nothing is cached",
                    enabled.join(", ")
                ));
            }
        }
        out
    }

    /// The model assumptions in force, for reports: `(name, value)`.
    pub fn assumptions(&self) -> Vec<(&'static str, String)> {
        let c = &self.gateway.cache;
        vec![
            ("ttl_mode", c.ttl_mode.as_str().to_owned()),
            ("eviction", c.eviction.as_str().to_owned()),
            ("coalesce_misses", self.coalesce_misses.to_string()),
            (
                "negated_incomparable",
                self.negated_incomparable.as_str().to_owned(),
            ),
            match c.capacity {
                crate::cache::Capacity::Bytes(n) => ("capacity_bytes", n.to_string()),
                crate::cache::Capacity::Entries(n) => ("capacity_entries", n.to_string()),
            },
            ("entry_overhead_bytes", c.entry_overhead_bytes.to_string()),
            ("gateway_latency", self.gateway_latency.to_string()),
            (
                "throttling",
                match self.gateway.throttling {
                    Some(l) => format!(
                        "token buckets: the method's, then the account's ({}/s, burst {}); a token taken is not returned",
                        crate::scenario::units::show(l.rate),
                        l.burst
                    ),
                    None => "off (no request is throttled)".to_owned(),
                },
            ),
            (
                "cache_error_responses",
                self.cache_error_responses.to_string(),
            ),
            (
                "gateway_errors_cached",
                "false (504 timeouts and refusals at a backend's limit are the gateway's own answers)".to_owned(),
            ),
            (
                "late_integration_responses",
                "dropped (an answer after the integration timeout is not stored)".to_owned(),
            ),
            (
                "backend_overload_status",
                self.overload_status.to_string(),
            ),
            ("cache_provisioning", self.cache_provisioning.to_string()),
        ]
    }
}
