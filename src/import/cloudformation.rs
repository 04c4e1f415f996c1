//! CloudFormation and SAM: a stage's `CacheClusterEnabled`, `CacheClusterSize` and
//! `MethodSettings` (`ResourcePath` with `~1` for `/`, `HttpMethod`, `CachingEnabled`,
//! `CacheTtlInSeconds`, `ThrottlingRateLimit`, `ThrottlingBurstLimit`), from a JSON or
//! YAML template. A stage is declared by an `AWS::ApiGateway::Stage`, by a SAM
//! `AWS::Serverless::Api` (its properties over the template's `Globals.Api`), or by an
//! `AWS::ApiGateway::Deployment`'s `StageDescription`, whose own `CachingEnabled`,
//! `CacheTtlInSeconds` and throttling are the stage-wide (`*/*`) settings.
//! YAML's short-form intrinsics (`!Ref`, `!Sub`, `!GetAtt`...) read as their long form;
//! a `Ref` to a template parameter takes the parameter's `Default`; other intrinsics
//! cannot be evaluated offline and are reported with their field path.

use serde_json::{Map, Value};

use super::get_stage::expected;
use super::{ImportedStage, Source, check_size, check_ttl, settings_key};
use crate::gateway::MethodSetting;

type Problem = (String, String);

const STAGE: &str = "AWS::ApiGateway::Stage";
const SERVERLESS_API: &str = "AWS::Serverless::Api";
const DEPLOYMENT: &str = "AWS::ApiGateway::Deployment";

/// What the template may declare a stage with, for errors.
const DECLARERS: &str = "an AWS::ApiGateway::Stage, an AWS::Serverless::Api or an AWS::ApiGateway::Deployment with a StageDescription";

/// Whether resource `r` declares a stage.
fn declares_stage(r: &Value) -> bool {
    match r.get("Type").and_then(Value::as_str) {
        Some(STAGE | SERVERLESS_API) => true,
        Some(DEPLOYMENT) => r.pointer("/Properties/StageDescription").is_some(),
        _ => false,
    }
}

/// A YAML template as the JSON one it stands for.
pub(super) fn from_yaml(y: yaml_serde::Value) -> Value {
    use yaml_serde::Value as Y;
    match y {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                n.as_f64()
                    .and_then(serde_json::Number::from_f64)
                    .map_or(Value::Null, Value::Number)
            }
        }
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(items.into_iter().map(from_yaml).collect()),
        Y::Mapping(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| {
                    let key = match k {
                        Y::String(s) => s,
                        other => yaml_serde::to_string(&other)
                            .unwrap_or_default()
                            .trim()
                            .to_owned(),
                    };
                    (key, from_yaml(v))
                })
                .collect(),
        ),
        Y::Tagged(t) => {
            let name = t.tag.to_string();
            let name = name.trim_start_matches('!');
            let value = from_yaml(t.value);
            let (key, value) = match (name, value) {
                ("Ref", v) => ("Ref".to_owned(), v),
                ("GetAtt", Value::String(s)) => (
                    "Fn::GetAtt".to_owned(),
                    Value::Array(s.splitn(2, '.').map(|p| Value::String(p.into())).collect()),
                ),
                (other, v) => (format!("Fn::{other}"), v),
            };
            Value::Object(Map::from_iter([(key, value)]))
        }
    }
}

/// The stage resource of a template (or a lone resource), picked by `logical_id` when
/// there are several.
pub(super) fn stage(template: &Value, logical_id: Option<&str>) -> Result<ImportedStage, Problem> {
    let empty = Map::new();
    let params = template
        .get("Parameters")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let (id, resource, base) = match template.get("Resources") {
        None => ("(the resource)".to_owned(), template, String::new()),
        Some(Value::Object(resources)) => {
            let stages: Vec<(&String, &Value)> = resources
                .iter()
                .filter(|(_, r)| declares_stage(r))
                .collect();
            let picked = match (logical_id, stages.as_slice()) {
                (Some(want), _) => stages.iter().find(|(id, _)| *id == want).ok_or_else(|| {
                    (
                        "Resources".to_owned(),
                        format!(
                            "no stage resource named `{want}`; the template's stages are {}",
                            names(&stages)
                        ),
                    )
                })?,
                (None, [one]) => one,
                (None, []) => {
                    return Err((
                        "Resources".into(),
                        format!("the template declares no stage ({DECLARERS})"),
                    ));
                }
                (None, _) => {
                    return Err((
                        "Resources".into(),
                        format!(
                            "the template declares several stages ({}); pick one with --resource",
                            names(&stages)
                        ),
                    ));
                }
            };
            (
                picked.0.clone(),
                picked.1,
                format!("{}.", super::api::key_path("Resources", picked.0)),
            )
        }
        Some(v) => return Err(("Resources".into(), expected("an object", v))),
    };
    if !declares_stage(resource) {
        return Err((
            format!("{base}Type"),
            format!(
                "expected a stage ({DECLARERS}), got {}",
                resource
                    .get("Type")
                    .map_or("nothing".into(), |t| t.to_string())
            ),
        ));
    }
    let kind = resource
        .get("Type")
        .and_then(Value::as_str)
        .unwrap_or(STAGE);
    let own = match resource.get("Properties") {
        Some(Value::Object(p)) => p,
        None => &empty,
        Some(v) => return Err((format!("{base}Properties"), expected("an object", v))),
    };
    // Where the stage's settings are, and (SAM) the globals under them.
    let (props, base) = if kind == DEPLOYMENT {
        match own.get("StageDescription") {
            Some(Value::Object(d)) => (d.clone(), format!("{base}Properties.StageDescription.")),
            Some(v) => {
                return Err((
                    format!("{base}Properties.StageDescription"),
                    expected("an object", v),
                ));
            }
            None => (Map::new(), format!("{base}Properties.StageDescription.")),
        }
    } else {
        let mut props = Map::new();
        if kind == SERVERLESS_API {
            if let Some(Value::Object(globals)) = template.pointer("/Globals/Api") {
                props.extend(globals.clone());
            }
        }
        // SAM's rule for Globals: the resource's values override, its lists add to the
        // global ones (so its method settings come after, and win, theirs).
        for (k, v) in own {
            match (props.get_mut(k), v) {
                (Some(Value::Array(global)), Value::Array(mine)) => {
                    global.extend(mine.iter().cloned())
                }
                _ => {
                    props.insert(k.clone(), v.clone());
                }
            }
        }
        (props, format!("{base}Properties."))
    };
    let props = &props;
    let at = |field: &str| format!("{base}{field}");
    // SAM's globals come first in a merged list, and give what the resource leaves out.
    let globals = (kind == SERVERLESS_API)
        .then(|| template.pointer("/Globals/Api").and_then(Value::as_object))
        .flatten();
    let global_settings = globals
        .and_then(|g| g.get("MethodSettings"))
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    let origin = |field: &str| match globals {
        Some(g) if g.contains_key(field) && !own.contains_key(field) => {
            format!("Globals.Api.{field}")
        }
        _ => at(field),
    };
    let setting_origin = |i: usize| {
        if i < global_settings {
            format!("Globals.Api.MethodSettings[{i}]")
        } else {
            at(&format!("MethodSettings[{}]", i - global_settings))
        }
    };
    let mut origins = super::Origins::default();
    origins.stage(base.trim_end_matches('.'));
    origins.field("cache_cluster_enabled", origin("CacheClusterEnabled"));
    origins.field("cache_cluster_size", origin("CacheClusterSize"));
    let get = |field: &str| -> Result<Option<Value>, Problem> {
        props
            .get(field)
            .map(|v| resolve(v, params).map_err(|m| (at(field), m)))
            .transpose()
    };
    let cache_cluster_enabled = match get("CacheClusterEnabled")? {
        None => false,
        Some(v) => {
            boolean(&v).ok_or_else(|| (at("CacheClusterEnabled"), expected("true or false", &v)))?
        }
    };
    let cache_cluster_size = match get("CacheClusterSize")? {
        None => None,
        Some(v) => {
            let s = scalar_text(&v).ok_or_else(|| {
                (
                    at("CacheClusterSize"),
                    expected("a size such as \"0.5\"", &v),
                )
            })?;
            check_size(&s).map_err(|m| (at("CacheClusterSize"), m))?;
            Some(s)
        }
    };
    let mut method_settings = std::collections::BTreeMap::new();
    if kind == DEPLOYMENT {
        // A StageDescription's own settings are the stage-wide ones.
        let wide = setting_fields(&get, &at)?;
        if wide != MethodSetting::default() {
            origins.setting(
                "*/*",
                base.trim_end_matches('.'),
                &wide,
                &super::origins::CLOUDFORMATION,
            );
            method_settings.insert("*/*".to_owned(), wide);
        }
    }
    match get("MethodSettings")? {
        None => {}
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                let at_i = |field: &str| at(&format!("MethodSettings[{i}].{field}"));
                let item =
                    resolve(item, params).map_err(|m| (at(&format!("MethodSettings[{i}]")), m))?;
                let Value::Object(fields) = &item else {
                    return Err((
                        at(&format!("MethodSettings[{i}]")),
                        expected("an object", &item),
                    ));
                };
                let field = |name: &str| -> Result<Option<Value>, Problem> {
                    fields
                        .get(name)
                        .map(|v| resolve(v, params).map_err(|m| (at_i(name), m)))
                        .transpose()
                };
                let text = |name: &str| -> Result<String, Problem> {
                    match field(name)? {
                        None => Ok("*".to_owned()),
                        Some(v) => {
                            scalar_text(&v).ok_or_else(|| (at_i(name), expected("a string", &v)))
                        }
                    }
                };
                let key = settings_key(&text("ResourcePath")?, &text("HttpMethod")?);
                let setting = setting_fields(&field, &at_i)?;
                origins.setting(
                    &key,
                    &setting_origin(i),
                    &setting,
                    &super::origins::CLOUDFORMATION,
                );
                // An entry for `*/*` refines the StageDescription's own settings.
                let entry = method_settings.entry(key).or_default();
                merge_setting(entry, setting);
            }
        }
        Some(v) => return Err((at("MethodSettings"), expected("a list", &v))),
    }
    Ok(ImportedStage {
        source: Source::CloudFormation(id),
        cache_cluster_enabled,
        cache_cluster_size,
        method_settings,
        origins,
    })
}

/// The settings CloudFormation's method settings (and a Deployment's
/// `StageDescription`, for every method) give: caching, TTL and throttling.
fn setting_fields(
    get: &dyn Fn(&str) -> Result<Option<Value>, Problem>,
    at: &dyn Fn(&str) -> String,
) -> Result<MethodSetting, Problem> {
    let caching_enabled = match get("CachingEnabled")? {
        None => None,
        Some(v) => {
            Some(boolean(&v).ok_or_else(|| (at("CachingEnabled"), expected("true or false", &v)))?)
        }
    };
    let cache_ttl_in_seconds = match get("CacheTtlInSeconds")? {
        None => None,
        Some(v) => {
            let n = integer(&v)
                .ok_or_else(|| (at("CacheTtlInSeconds"), expected("whole seconds", &v)))?;
            Some(check_ttl(n).map_err(|m| (at("CacheTtlInSeconds"), m))?)
        }
    };
    let throttling_rate_limit = match get("ThrottlingRateLimit")? {
        None => None,
        Some(v) => {
            let n =
                number(&v).ok_or_else(|| (at("ThrottlingRateLimit"), expected("a number", &v)))?;
            super::throttle_rate(Some(n))
                .map_err(|m| (at("ThrottlingRateLimit"), format!("{m}, got {n}")))?
        }
    };
    let throttling_burst_limit = match get("ThrottlingBurstLimit")? {
        None => None,
        Some(v) => {
            let n = integer(&v)
                .ok_or_else(|| (at("ThrottlingBurstLimit"), expected("a whole number", &v)))?;
            super::throttle_burst(Some(n))
                .map_err(|m| (at("ThrottlingBurstLimit"), format!("{m}, got {n}")))?
        }
    };
    Ok(MethodSetting {
        caching_enabled,
        cache_ttl_in_seconds,
        throttling_rate_limit,
        throttling_burst_limit,
        ..MethodSetting::default()
    })
}

/// `more`'s given fields over `base`'s.
fn merge_setting(base: &mut MethodSetting, more: MethodSetting) {
    base.caching_enabled = more.caching_enabled.or(base.caching_enabled);
    base.cache_ttl_in_seconds = more.cache_ttl_in_seconds.or(base.cache_ttl_in_seconds);
    base.throttling_rate_limit = more.throttling_rate_limit.or(base.throttling_rate_limit);
    base.throttling_burst_limit = more.throttling_burst_limit.or(base.throttling_burst_limit);
}

fn names(stages: &[(&String, &Value)]) -> String {
    if stages.is_empty() {
        return "none".into();
    }
    stages
        .iter()
        .map(|(id, _)| format!("`{id}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `v` with a `Ref` to a template parameter replaced by its `Default`.
fn resolve(v: &Value, params: &Map<String, Value>) -> Result<Value, String> {
    let Value::Object(m) = v else {
        return Ok(v.clone());
    };
    if m.len() != 1 {
        return Ok(v.clone());
    }
    let (k, arg) = m
        .iter()
        .next()
        .map(|(k, a)| (k.as_str(), a))
        .unwrap_or(("", v));
    match k {
        "Ref" => {
            let name = arg.as_str().unwrap_or_default();
            match params.get(name).and_then(|p| p.get("Default")) {
                Some(d) => Ok(d.clone()),
                None => Err(format!(
                    "`Ref: {name}` has no parameter Default to take; write the value, or give the parameter a Default"
                )),
            }
        }
        k if k.starts_with("Fn::") => Err(format!(
            "`{k}` cannot be evaluated without deploying the template; write the value"
        )),
        _ => Ok(v.clone()),
    }
}

/// CloudFormation takes `true`, `"true"` and `"True"` alike.
fn boolean(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok().filter(|n: &f64| n.is_finite()),
        _ => None,
    }
}

fn integer(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A string, or a number written as YAML/JSON reads it (`CacheClusterSize: 0.5`).
fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}
