//! The stage of a plan or state: an `aws_api_gateway_stage` and the
//! `aws_api_gateway_method_settings` of that stage.

use std::collections::BTreeMap;

use serde_json::Value;

use super::Problems;
use super::model::{Model, Resource};
use crate::gateway::MethodSetting;
use crate::import::{
    ImportedStage, Source, check_size, check_ttl, normalise_key, strategy, throttle_burst,
    throttle_rate,
};

/// The stage named `name` (or the only one) of a plan or state.
pub(super) fn stage(model: &Model<'_>, name: Option<&str>) -> Result<ImportedStage, Problems> {
    let stages: Vec<&Resource> = model.of("aws_api_gateway_stage").collect();
    let names: Vec<String> = stages
        .iter()
        .map(|s| s.str("stage_name").unwrap_or(&s.address).to_owned())
        .collect();
    let chosen = match name {
        Some(n) => stages
            .iter()
            .find(|s| s.str("stage_name") == Some(n) || s.address == n)
            .ok_or_else(|| {
                vec![(
                    String::new(),
                    format!(
                        "no aws_api_gateway_stage named \"{n}\"; the file has: {}",
                        list(&names)
                    ),
                )]
            })?,
        None => match stages.as_slice() {
            [one] => one,
            [] => {
                return Err(vec![(
                    String::new(),
                    "no aws_api_gateway_stage resource in the plan or state".into(),
                )]);
            }
            _ => {
                return Err(vec![(
                    String::new(),
                    format!(
                        "{} aws_api_gateway_stage resources ({}): pick one with --stage NAME",
                        stages.len(),
                        list(&names)
                    ),
                )]);
            }
        },
    };
    let mut problems = Problems::new();
    let at = |field: &str| format!("{}.values.{field}", chosen.at);
    let cache_cluster_enabled = match chosen.values.get("cache_cluster_enabled") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(v) => {
            problems.push((
                at("cache_cluster_enabled"),
                format!("expected true or false, got {v}"),
            ));
            false
        }
    };
    let cache_cluster_size = match chosen.values.get("cache_cluster_size") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.is_empty() => None,
        Some(Value::String(s)) => {
            if let Err(m) = check_size(s) {
                problems.push((at("cache_cluster_size"), m));
            }
            Some(s.clone())
        }
        Some(v) => {
            problems.push((
                at("cache_cluster_size"),
                format!("expected a size string, got {v}"),
            ));
            None
        }
    };
    let stage_name = chosen.str("stage_name");
    let mut method_settings = BTreeMap::new();
    let mut origins = crate::import::Origins::default();
    origins.stage(format!("{}.values", chosen.at));
    for field in ["cache_cluster_enabled", "cache_cluster_size"] {
        origins.field(field, at(field));
    }
    for ms in model.of("aws_api_gateway_method_settings") {
        // Settings of this stage: by name, or (in a plan) by reference to it.
        let same = match ms.str("stage_name") {
            Some(n) => Some(n) == stage_name,
            None => model
                .referenced(ms, "stage_name", "aws_api_gateway_stage")
                .is_some_and(|s| s.address == chosen.address),
        };
        if !same {
            continue;
        }
        let computed;
        let path = match ms.str("method_path") {
            Some(p) => p,
            None => match computed_method_path(model, ms) {
                Ok(p) => {
                    computed = p;
                    computed.as_str()
                }
                Err(m) => {
                    problems.push((format!("{}.values.method_path", ms.at), m));
                    continue;
                }
            },
        };
        let settings = ms
            .values
            .get("settings")
            .and_then(Value::as_array)
            .and_then(|s| s.first())
            .and_then(Value::as_object);
        let Some(settings) = settings else {
            problems.push((
                format!("{}.values.settings", ms.at),
                "expected a list of one settings block".into(),
            ));
            continue;
        };
        let s_at = |f: &str| format!("{}.values.settings[0].{f}", ms.at);
        match setting(settings, &s_at) {
            Ok(s) => {
                let key = normalise_key(path);
                origins.setting(
                    &key,
                    &format!("{}.values.settings[0]", ms.at),
                    &s,
                    &crate::import::origins::TERRAFORM,
                );
                method_settings.insert(key, s);
            }
            Err(mut p) => problems.append(&mut p),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(ImportedStage {
        source: Source::Terraform {
            address: chosen.address.clone(),
            plan: model.plan,
        },
        cache_cluster_enabled,
        cache_cluster_size,
        method_settings,
        origins,
    })
}

/// One `settings` block.
fn setting(
    s: &serde_json::Map<String, Value>,
    at: &dyn Fn(&str) -> String,
) -> Result<MethodSetting, Problems> {
    let mut problems = Problems::new();
    let flag = |name: &str, problems: &mut Problems| match s.get(name) {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(v) => {
            problems.push((at(name), format!("expected true or false, got {v}")));
            None
        }
    };
    let caching_enabled = flag("caching_enabled", &mut problems);
    let require_authorization_for_cache_control =
        flag("require_authorization_for_cache_control", &mut problems);
    let cache_ttl_in_seconds = match s.get("cache_ttl_in_seconds") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_i64().map(check_ttl) {
            Some(Ok(t)) => Some(t),
            Some(Err(m)) => {
                problems.push((at("cache_ttl_in_seconds"), m));
                None
            }
            None => {
                problems.push((
                    at("cache_ttl_in_seconds"),
                    format!("expected whole seconds, got {v}"),
                ));
                None
            }
        },
    };
    let unauthorized_cache_control_header_strategy =
        match s.get("unauthorized_cache_control_header_strategy") {
            None | Some(Value::Null) => None,
            Some(Value::String(x)) if x.is_empty() => None,
            Some(Value::String(x)) => match strategy(x) {
                Ok(v) => Some(v),
                Err(m) => {
                    problems.push((at("unauthorized_cache_control_header_strategy"), m));
                    None
                }
            },
            Some(v) => {
                problems.push((
                    at("unauthorized_cache_control_header_strategy"),
                    format!("expected a string, got {v}"),
                ));
                None
            }
        };
    let throttling_rate_limit = match s.get("throttling_rate_limit") {
        None | Some(Value::Null) => None,
        Some(v) => throttle_rate(v.as_f64()).unwrap_or_else(|m| {
            problems.push((at("throttling_rate_limit"), m));
            None
        }),
    };
    let throttling_burst_limit = match s.get("throttling_burst_limit") {
        None | Some(Value::Null) => None,
        Some(v) => throttle_burst(v.as_i64()).unwrap_or_else(|m| {
            problems.push((at("throttling_burst_limit"), m));
            None
        }),
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(MethodSetting {
        caching_enabled,
        cache_ttl_in_seconds,
        require_authorization_for_cache_control,
        unauthorized_cache_control_header_strategy,
        throttling_rate_limit,
        throttling_burst_limit,
    })
}

fn list(names: &[String]) -> String {
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}

/// A `method_path` the plan does not know yet (it names a resource's computed `path`),
/// read from what its expression references, as the provider's documented idiom writes
/// it: `"${trimprefix(aws_api_gateway_resource.X.path, "/")}/${aws_api_gateway_method.Y.http_method}"`
/// (or `path_part` for the resource's last segment). Terraform's plan keeps the
/// references but not the expression's text, so this is an assumption, and a method
/// path whose HTTP method is written as a literal cannot be read.
fn computed_method_path(model: &Model<'_>, ms: &Resource<'_>) -> Result<String, String> {
    let unknown =
        "expected the method path (`*/*` or `pets/{petId}/GET`), which the plan does not know yet";
    let resource = model.referenced(ms, "method_path", "aws_api_gateway_resource");
    let method = model.referenced(ms, "method_path", "aws_api_gateway_method");
    let (Some(resource), Some(method)) = (resource, method) else {
        return Err(format!(
            "{unknown}, and its expression does not name both an aws_api_gateway_resource and an aws_api_gateway_method to read it from"
        ));
    };
    let verb = method
        .str("http_method")
        .ok_or_else(|| format!("{unknown}; {} has no known http_method", method.address))?;
    let segment = if model.references_attribute(ms, "method_path", ".path_part") {
        resource
            .str("path_part")
            .map(str::to_owned)
            .ok_or_else(|| format!("{unknown}; {} has no known path_part", resource.address))?
    } else {
        super::methods::path_of(model, resource).map_err(|(_, m)| format!("{unknown}; {m}"))?
    };
    Ok(format!("{}/{verb}", segment.trim_start_matches('/')))
}
