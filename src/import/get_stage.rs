//! `aws apigateway get-stage` output: `cacheClusterEnabled`, `cacheClusterSize` and
//! `methodSettings` (a map from `*/*` or `{resource_path}/{METHOD}` to `cachingEnabled`,
//! `cacheTtlInSeconds`, `requireAuthorizationForCacheControl`,
//! `unauthorizedCacheControlHeaderStrategy`, `throttlingRateLimit`, `throttlingBurstLimit`,
//! among fields cachegate does not model).

use serde_json::{Map, Value};

use super::{
    ImportedStage, Source, check_size, check_ttl, normalise_key, strategy, throttle_burst,
    throttle_rate,
};
use crate::gateway::MethodSetting;

type Problem = (String, String);

pub(super) fn stage(map: &Map<String, Value>) -> Result<ImportedStage, Problem> {
    let cache_cluster_enabled = match map.get("cacheClusterEnabled") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(v) => return Err(("cacheClusterEnabled".into(), expected("true or false", v))),
    };
    let cache_cluster_size = match map.get("cacheClusterSize") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => {
            check_size(s).map_err(|m| ("cacheClusterSize".to_owned(), m))?;
            Some(s.clone())
        }
        Some(v) => return Err(("cacheClusterSize".into(), expected("a size string", v))),
    };
    let mut method_settings = std::collections::BTreeMap::new();
    let mut origins = super::Origins::default();
    origins.stage("");
    for (field, name) in [
        ("cache_cluster_enabled", "cacheClusterEnabled"),
        ("cache_cluster_size", "cacheClusterSize"),
    ] {
        origins.field(field, name);
    }
    match map.get("methodSettings") {
        None | Some(Value::Null) => {}
        Some(Value::Object(settings)) => {
            for (key, v) in settings {
                let at = |field: &str| format!("methodSettings.\"{key}\".{field}");
                let Value::Object(fields) = v else {
                    return Err((
                        format!("methodSettings.\"{key}\""),
                        expected("an object", v),
                    ));
                };
                let flag = |field: &str| match fields.get(field) {
                    None | Some(Value::Null) => Ok(None),
                    Some(Value::Bool(b)) => Ok(Some(*b)),
                    Some(v) => Err((at(field), expected("true or false", v))),
                };
                let ttl = match fields.get("cacheTtlInSeconds") {
                    None | Some(Value::Null) => None,
                    Some(n @ Value::Number(num)) => Some(
                        num.as_i64()
                            .ok_or_else(|| (at("cacheTtlInSeconds"), expected("whole seconds", n)))
                            .and_then(|t| check_ttl(t).map_err(|m| (at("cacheTtlInSeconds"), m)))?,
                    ),
                    Some(v) => return Err((at("cacheTtlInSeconds"), expected("a number", v))),
                };
                let unauthorized = match fields.get("unauthorizedCacheControlHeaderStrategy") {
                    None | Some(Value::Null) => None,
                    Some(Value::String(s)) => Some(
                        strategy(s)
                            .map_err(|m| (at("unauthorizedCacheControlHeaderStrategy"), m))?,
                    ),
                    Some(v) => {
                        return Err((
                            at("unauthorizedCacheControlHeaderStrategy"),
                            expected("a strategy name", v),
                        ));
                    }
                };
                let rate = match fields.get("throttlingRateLimit") {
                    None | Some(Value::Null) => None,
                    Some(v @ Value::Number(n)) => throttle_rate(n.as_f64())
                        .map_err(|m| (at("throttlingRateLimit"), format!("{m}, got {v}")))?,
                    Some(v) => return Err((at("throttlingRateLimit"), expected("a number", v))),
                };
                let burst = match fields.get("throttlingBurstLimit") {
                    None | Some(Value::Null) => None,
                    Some(v @ Value::Number(n)) => throttle_burst(n.as_i64())
                        .map_err(|m| (at("throttlingBurstLimit"), format!("{m}, got {v}")))?,
                    Some(v) => return Err((at("throttlingBurstLimit"), expected("a number", v))),
                };
                let setting = MethodSetting {
                    throttling_rate_limit: rate,
                    throttling_burst_limit: burst,
                    caching_enabled: flag("cachingEnabled")?,
                    cache_ttl_in_seconds: ttl,
                    require_authorization_for_cache_control: flag(
                        "requireAuthorizationForCacheControl",
                    )?,
                    unauthorized_cache_control_header_strategy: unauthorized,
                };
                let normalised = normalise_key(key);
                origins.setting(
                    &normalised,
                    &crate::import::api::key_path("methodSettings", key),
                    &setting,
                    &super::origins::GET_STAGE,
                );
                method_settings.insert(normalised, setting);
            }
        }
        Some(v) => return Err(("methodSettings".into(), expected("an object", v))),
    }
    Ok(ImportedStage {
        source: Source::GetStage(
            map.get("stageName")
                .and_then(Value::as_str)
                .map(str::to_owned),
        ),
        cache_cluster_enabled,
        cache_cluster_size,
        method_settings,
        origins,
    })
}

/// `expected X, got <what v is>`.
pub(super) fn expected(what: &str, v: &Value) -> String {
    let got = match v {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => format!("\"{s}\""),
        Value::Array(_) => "a list".to_owned(),
        Value::Object(_) => "an object".to_owned(),
    };
    format!("expected {what}, got {got}")
}
