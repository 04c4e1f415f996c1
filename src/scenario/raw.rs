//! The scenario file as written (TOML, mirrored field for field, unknown fields
//! rejected). Fields that take several shapes (`popularity`, `response_bytes`,
//! `backend_latency`, rates) stay `toml::Value` here and are interpreted, with their field
//! path, by `validate`.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::cache::{EvictionPolicy, TtlMode};
use crate::gateway::MethodSetting;

/// A whole scenario file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub seed: u64,
    pub duration: String,
    pub warmup: Option<String>,
    pub window: Option<String>,
    pub replications: Option<u32>,
    pub api: RawApi,
    /// `[stage]`; with `stage_file`, merged over the imported stage (see `load`).
    #[serde(default)]
    pub stage: Option<RawStage>,
    /// `stage_file = "..."`: the stage as deployed (get-stage JSON or a CloudFormation
    /// template), resolved into `[stage]` before each configuration is validated.
    #[serde(default)]
    #[allow(dead_code)]
    // Read from the TOML table by `load`; here so the shape check accepts it.
    pub stage_file: Option<String>,
    /// `api_file = "..."`: the API definition (an OpenAPI/Swagger export or
    /// get-resources output) whose methods the `[[resources]]` entries give workloads
    /// to, resolved before each configuration is validated.
    #[serde(default)]
    #[allow(dead_code)]
    // Read from the TOML table by `load`; here so the shape check accepts it.
    pub api_file: Option<String>,
    #[serde(default)]
    pub model: RawModel,
    #[serde(default)]
    pub cost: RawCost,
    pub resources: Vec<RawResource>,
    #[serde(default)]
    pub principals: BTreeMap<String, RawPrincipal>,
    #[serde(default)]
    pub clients: Vec<RawClient>,
    /// `[[traces]]`: recorded requests replayed beside (or instead of) the clients.
    #[serde(default)]
    pub traces: Vec<RawTrace>,
    #[serde(default)]
    pub events: Vec<RawEvent>,
    /// `[backends.NAME]`: a backend several resources share.
    #[serde(default)]
    pub backends: BTreeMap<String, RawBackend>,
    /// `[[variants]]`: each a partial scenario merged over this one (see `study`).
    #[serde(default)]
    pub variants: Vec<toml::Table>,
    /// `checks = ["hit_rate >= 0.9", ...]`.
    #[serde(default)]
    pub checks: Vec<String>,
    /// `rank_by = ["lowest backend_rps_peak", "highest hit_rate", ...]`: the report's
    /// verdict order.
    #[serde(default)]
    pub rank_by: Vec<String>,
    /// `[sweep]`: dotted field path -> values, expanded as a cartesian product.
    #[serde(default)]
    pub sweep: toml::Table,
    /// `[calibration]`: which configurations replay the logs and run the fitted model.
    pub calibration: Option<RawCalibration>,
}

/// `[calibration]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCalibration {
    pub replay: String,
    pub fitted: String,
    pub observed_hit_rate: Option<f64>,
    pub observed: Option<String>,
}

/// `[api]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawApi {
    pub region: String,
    pub account: String,
    pub api_id: String,
    pub stage: String,
    /// The account's throttling in the Region (requests a second; default 10,000).
    pub account_throttling_rate_limit: Option<f64>,
    /// The account's token bucket size (default 5,000).
    pub account_throttling_burst_limit: Option<i64>,
}

/// `[stage]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStage {
    /// Off unless set, as in API Gateway.
    #[serde(default)]
    pub cache_cluster_enabled: bool,
    pub cache_cluster_size: Option<String>,
    #[serde(default)]
    pub method_settings: BTreeMap<String, MethodSetting>,
}

/// `[model]`: assumptions where AWS documents nothing.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawModel {
    #[serde(default)]
    pub ttl_mode: TtlMode,
    #[serde(default)]
    pub eviction: EvictionPolicy,
    #[serde(default)]
    pub coalesce_misses: bool,
    /// What a negated IAM condition operator comes to on a value that cannot be compared.
    #[serde(default)]
    pub negated_incomparable: crate::policy::operator::NegatedIncomparable,
    pub capacity_bytes: Option<u64>,
    /// Capacity as a number of entries, whatever their size (for trace replay against
    /// cache-simulator results).
    pub capacity_entries: Option<u64>,
    #[serde(default)]
    pub entry_overhead_bytes: u64,
    pub gateway_latency: Option<String>,
    /// Whether requests are throttled at all (API Gateway always throttles; off for
    /// comparisons with cache simulators).
    pub throttling: Option<bool>,
    /// Whether error (5xx) responses of the backend are cached like any other.
    pub cache_error_responses: Option<bool>,
    /// How long creating or resizing the cache takes.
    pub cache_provisioning: Option<String>,
    /// The status clients get when a backend refuses a fetch at its concurrency limit.
    pub backend_overload_status: Option<u16>,
}

/// `[cost]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCost {
    pub backend_usd_per_million_requests: Option<f64>,
}

/// `[[resources]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawResource {
    pub path: String,
    pub method: String,
    #[serde(default)]
    pub cache_key_parameters: Vec<String>,
    pub cache_namespace: Option<String>,
    #[serde(default)]
    pub parameters: Vec<RawParameter>,
    /// Required when a client requests the resource; traces bring their own keys.
    pub keys: Option<u64>,
    pub popularity: Option<toml::Value>,
    pub response_bytes: toml::Value,
    pub backend_latency: toml::Value,
    pub data_change_rate: Option<toml::Value>,
    /// How long the gateway waits for the backend (default 29 s).
    pub integration_timeout: Option<String>,
    /// The name of a shared `[backends.NAME]` serving this resource.
    pub backend: Option<String>,
    /// Most fetches the resource's own backend serves at once (default: unlimited).
    pub backend_concurrency: Option<u64>,
    /// `"queue"` or `"reject"`: what the resource's own backend does at its limit.
    pub backend_overload: Option<String>,
    /// Share of fetches the backend answers with a 5xx.
    pub backend_error_rate: Option<f64>,
}

/// `[backends.NAME]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBackend {
    pub concurrency: Option<u64>,
    pub overload: Option<String>,
}

/// `[[resources.parameters]]`: a request parameter and how its values vary.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawParameter {
    pub name: String,
    /// Required, unless an `api_file` declares the parameter (checked after it is read).
    #[serde(rename = "in")]
    pub location: Option<String>,
    pub values: Option<u64>,
    pub affects_response: Option<bool>,
}

/// `[principals.NAME]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPrincipal {
    #[serde(default)]
    pub policies: Vec<String>,
    /// Anyone can call as it (for `cachegate audit`).
    pub public: Option<bool>,
    #[serde(default)]
    pub context: BTreeMap<String, toml::Value>,
}

/// `[[clients]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawClient {
    pub name: String,
    pub principal: String,
    pub rate: toml::Value,
    pub rate_scale: Option<f64>,
    /// `false` leaves the client out of the run (validated all the same).
    pub enabled: Option<bool>,
    pub arrival: Option<String>,
    #[serde(default)]
    pub max_age_zero: f64,
    pub mix: BTreeMap<String, f64>,
    pub start: Option<String>,
    pub stop: Option<String>,
}

/// `[[events]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEvent {
    pub at: String,
    pub action: String,
    pub cache_cluster_size: Option<String>,
    pub capacity_bytes: Option<u64>,
    /// `backend_outage`: how long fetches fail.
    pub duration: Option<String>,
    /// `backend_outage`: the resource (`"GET /pets"`) whose backend fails; all when
    /// absent.
    pub resource: Option<String>,
}

/// `[[traces]]`: a recorded trace and how its records map to the model.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTrace {
    pub name: String,
    /// `false` leaves the trace out of the run (validated all the same).
    pub enabled: Option<bool>,
    pub file: String,
    pub format: String,
    pub compression: Option<String>,
    pub start: Option<String>,
    pub max_bad_lines: Option<u64>,
    /// The file's digest in the report: `xxh3-128` (default) or `sha256`.
    pub digest: Option<String>,
    pub principal: Option<String>,
    /// A share of requests (number), or `{ field = "...", equals | contains = "..." }`.
    pub max_age_zero: Option<toml::Value>,
    /// Id formats: the resource (`"GET /objects/{id}"`) object ids are keys of.
    pub resource: Option<String>,
    /// Text, and CSV without a time column: requests per second.
    pub rate: Option<toml::Value>,
    /// CSV: columns by header name or 1-based position.
    pub time_column: Option<toml::Value>,
    pub id_column: Option<toml::Value>,
    pub size_column: Option<toml::Value>,
    /// CSV: `s`, `ms` or `us`.
    pub time_unit: Option<String>,
    pub header: Option<bool>,
    pub delimiter: Option<String>,
    /// Access logs: field paths.
    #[serde(default)]
    pub fields: RawTraceFields,
    /// Access logs: caller value -> principal name.
    #[serde(default)]
    pub principals: BTreeMap<String, String>,
}

/// `[traces.fields]`: where an access-log line keeps what the model needs.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTraceFields {
    pub time: Option<String>,
    pub method: Option<String>,
    pub resource_path: Option<String>,
    pub path: Option<String>,
    pub principal: Option<String>,
    pub response_length: Option<String>,
}
