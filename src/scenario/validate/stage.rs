//! A scenario's stage: the cache cluster, the capacity the model gives it, the method
//! settings (checked against the declared resources) and the gateway they make, which
//! checks the resources' path templates and cache key parameters itself.

use super::super::error::{Problems, at};
use super::super::raw::{RawScenario, RawStage};
use super::super::units;
use crate::cache::{CacheConfig, Capacity, ClusterSize};
use crate::gateway::{
    ApiIdentity, Gateway, GatewayConfig, Limits, MAX_LIMIT, Method, ResourceConfig, STAGE_WIDE,
    StageSettings, method_setting_key,
};
use crate::time::SimDuration;

/// The stage's cache as the model sees it.
pub(super) struct Cache<'a> {
    /// The stage as written (an empty one when missing).
    pub(super) stage: std::borrow::Cow<'a, RawStage>,
    /// The cache cluster's size, when it has one.
    pub(super) cluster_size: Option<ClusterSize>,
    /// The model's capacity, TTL and eviction.
    pub(super) config: CacheConfig,
    /// The gateway's own latency (`None` when it does not parse).
    pub(super) gateway_latency: Option<SimDuration>,
}

/// The `[stage]` cache settings and the `[model]`'s capacity.
pub(super) fn cache<'a>(raw: &'a RawScenario, problems: &mut Problems) -> Cache<'a> {
    let stage_path = at("stage");
    let stage = match &raw.stage {
        Some(s) => std::borrow::Cow::Borrowed(s),
        None => {
            problems.add(
                stage_path.clone(),
                "missing: give a `[stage]` table, or `stage_file = \"...\"` naming the stage as deployed",
            );
            std::borrow::Cow::Owned(RawStage {
                cache_cluster_enabled: false,
                cache_cluster_size: None,
                method_settings: Default::default(),
            })
        }
    };
    let cluster_size = match &stage.cache_cluster_size {
        Some(s) => problems.check(
            &stage_path.key("cache_cluster_size"),
            ClusterSize::parse(s).ok_or_else(|| {
                format!(
                    "unknown size \"{s}\"; expected one of {}",
                    ClusterSize::expected()
                )
            }),
        ),
        None if stage.cache_cluster_enabled => {
            problems.add(
                stage_path.key("cache_cluster_size"),
                format!(
                    "required when `cache_cluster_enabled = true`; one of {}",
                    ClusterSize::expected()
                ),
            );
            None
        }
        None => None,
    };
    let model = &raw.model;
    if model.capacity_entries.is_some() && model.capacity_bytes.is_some() {
        problems.add(
            at("model").key("capacity_entries"),
            "give `capacity_bytes` or `capacity_entries`, not both",
        );
    }
    let capacity = match model.capacity_entries {
        Some(n) => Capacity::Entries(n),
        None => Capacity::Bytes(
            model
                .capacity_bytes
                .or(cluster_size.map(ClusterSize::bytes))
                .unwrap_or(0),
        ),
    };
    let gateway_latency = match &model.gateway_latency {
        Some(l) => problems.check(&at("model").key("gateway_latency"), units::duration(l)),
        None => Some(SimDuration::ZERO),
    };
    Cache {
        stage,
        cluster_size,
        config: CacheConfig {
            capacity,
            entry_overhead_bytes: model.entry_overhead_bytes,
            ttl_mode: model.ttl_mode,
            eviction: model.eviction,
        },
        gateway_latency,
    }
}

/// Checks each method-settings key: a TTL within API Gateway's range, and a key that
/// names a declared resource method (or `*/*`).
pub(super) fn method_settings(raw: &RawScenario, stage: &RawStage, problems: &mut Problems) {
    let settings_path = at("stage").key("method_settings");
    for (key, setting) in &stage.method_settings {
        let key_path = settings_path.key(key);
        if let Some(rate) = setting.throttling_rate_limit {
            if !(0.0..=MAX_LIMIT).contains(&rate) {
                problems.add(
                    key_path.key("throttling_rate_limit"),
                    format!(
                        "expected requests a second within 0..={MAX_LIMIT}, got {}",
                        units::show(rate)
                    ),
                );
            }
        }
        if let Some(burst) = setting.throttling_burst_limit {
            if burst > MAX_LIMIT as u64 {
                problems.add(
                    key_path.key("throttling_burst_limit"),
                    format!("expected at most {MAX_LIMIT} requests, got {burst}"),
                );
            }
        }
        if let Some(ttl) = setting.cache_ttl_in_seconds {
            if ttl > 3600 {
                problems.add(
                    key_path.key("cache_ttl_in_seconds"),
                    format!("must be within 0..=3600 (API Gateway's maximum TTL), got {ttl}"),
                );
            }
        }
        if key == STAGE_WIDE {
            continue;
        }
        if key.starts_with('/') && key != "/" && !key.starts_with("//") {
            problems.add(key_path, format!("method-setting keys have no leading slash (AWS stores such a key but ignores it); write \"{}\"", &key[1..]));
            continue;
        }
        let known = raw.resources.iter().any(|r| {
            Method::parse(&r.method).is_some_and(|m| method_setting_key(&r.path, m) == *key)
        });
        if !known {
            let expected: Vec<String> = raw
                .resources
                .iter()
                .filter_map(|r| {
                    Method::parse(&r.method)
                        .map(|m| format!("\"{}\"", method_setting_key(&r.path, m)))
                })
                .collect();
            problems.add(
                key_path,
                format!(
                    "names no declared resource method; expected \"*/*\" or one of {}",
                    expected.join(", ")
                ),
            );
        }
    }
}

/// The gateway's configuration; when every resource was read, the gateway's own checks
/// of path templates and cache key parameters too.
pub(super) fn gateway(
    raw: &RawScenario,
    cache: &Cache<'_>,
    resources: Vec<ResourceConfig>,
    problems: &mut Problems,
) -> GatewayConfig {
    let all_read = resources.len() == raw.resources.len();
    let gateway = GatewayConfig {
        api: ApiIdentity {
            region: raw.api.region.clone(),
            account: raw.api.account.clone(),
            api_id: raw.api.api_id.clone(),
            stage: raw.api.stage.clone(),
        },
        stage: StageSettings {
            cache_cluster_enabled: cache.stage.cache_cluster_enabled,
            method_settings: cache.stage.method_settings.clone(),
        },
        cache: cache.config,
        resources,
        throttling: throttling(raw, problems),
    };
    if all_read {
        if let Err(e) = Gateway::<()>::new(&gateway, &[]) {
            let i = raw
                .resources
                .iter()
                .position(|r| r.path == e.path && Method::parse(&r.method) == Some(e.method))
                .unwrap_or(0);
            problems.add(
                at("resources").index(i).key(e.field.name()),
                e.message.clone(),
            );
        }
    }
    gateway
}

/// The account's throttling limits (`[api]`), unless the model turns throttling off.
fn throttling(raw: &RawScenario, problems: &mut Problems) -> Option<Limits> {
    let api = at("api");
    let mut limits = Limits::ACCOUNT_DEFAULT;
    if let Some(rate) = raw.api.account_throttling_rate_limit {
        if (0.0..=MAX_LIMIT).contains(&rate) {
            limits.rate = rate;
        } else {
            problems.add(
                api.key("account_throttling_rate_limit"),
                format!(
                    "expected requests a second within 0..={MAX_LIMIT}, got {}",
                    units::show(rate)
                ),
            );
        }
    }
    if let Some(burst) = raw.api.account_throttling_burst_limit {
        match u64::try_from(burst) {
            Ok(b) if b <= MAX_LIMIT as u64 => limits.burst = b,
            _ => problems.add(
                api.key("account_throttling_burst_limit"),
                format!("expected a whole number of requests within 0..={MAX_LIMIT}, got {burst}"),
            ),
        }
    }
    raw.model.throttling.unwrap_or(true).then_some(limits)
}
