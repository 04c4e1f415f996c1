//! Terraform and OpenTofu: `terraform show -json` of a saved plan (the API as the pending
//! change would make it) or of the state (as it is). Read: `aws_api_gateway_stage`
//! (`stage_name`, `cache_cluster_enabled`, `cache_cluster_size`),
//! `aws_api_gateway_method_settings` (`method_path`, `settings[0]`: caching, TTL,
//! require-authorization, strategy, throttling), `aws_api_gateway_resource` (`path`, or
//! `path_part` under `parent_id`), `aws_api_gateway_method` (`http_method`,
//! `request_parameters`), `aws_api_gateway_integration` (`type`, `cache_key_parameters`,
//! `cache_namespace`, `request_parameters`, `request_templates`,
//! `timeout_milliseconds`), an `aws_api_gateway_rest_api`'s OpenAPI `body`, and the
//! identity policies that mention `execute-api` (`aws_iam_policy`,
//! `aws_iam_role_policy`, `aws_iam_user_policy`, `aws_iam_policy_document` data).
//! Where a plan does not know an id yet, the `configuration`'s references link a method
//! to its resource (`model.rs`).

mod model;

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use super::api::{ApiSource, ImportedApi, ImportedMethod, ImportedParam, ParamIn, Reads};
use super::{
    ImportedStage, Source, check_size, check_ttl, normalise_key, strategy, throttle_burst,
    throttle_rate,
};
use crate::gateway::MethodSetting;
use model::{Model, Resource};

type Problems = Vec<(String, String)>;

/// Whether a JSON document is `terraform show -json` output.
pub(super) fn is_terraform(doc: &Value) -> bool {
    doc.get("format_version").is_some()
        && (doc.get("planned_values").is_some() || doc.get("values").is_some())
}

/// The stage named `name` (or the only one) of a plan or state.
pub(super) fn stage(doc: &Value, name: Option<&str>) -> Result<ImportedStage, Problems> {
    let model = Model::read(doc).map_err(|p| vec![p])?;
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
        let Some(path) = ms.str("method_path") else {
            problems.push((format!("{}.values.method_path", ms.at), "expected the method path (`*/*` or `pets/{petId}/GET`), which the plan does not know yet".into()));
            continue;
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
                method_settings.insert(normalise_key(path), s);
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

/// The API's methods in a plan or state: its method and integration resources, or
/// (when it has none) the OpenAPI `body` of its `aws_api_gateway_rest_api`.
pub(super) fn api(doc: &Value, path: &Path) -> Result<ImportedApi, Problems> {
    let model = Model::read(doc).map_err(|p| vec![p])?;
    let mut problems = Problems::new();
    let mut api = ImportedApi {
        source: ApiSource::Terraform,
        title: model
            .of("aws_api_gateway_rest_api")
            .find_map(|r| r.str("name"))
            .map(str::to_owned),
        methods: Vec::new(),
        notes: Vec::new(),
    };
    let integrations: Vec<&Resource> = model.of("aws_api_gateway_integration").collect();
    for m in model.of("aws_api_gateway_method") {
        let Some(verb) = m.str("http_method") else {
            problems.push((
                format!("{}.values.http_method", m.at),
                "expected the HTTP method".into(),
            ));
            continue;
        };
        let Some(owner) = owner_of(&model, m) else {
            problems.push((
                format!("{}.values.resource_id", m.at),
                "cannot tell which aws_api_gateway_resource the method is on (neither its id nor a reference to it is in the file)".into(),
            ));
            continue;
        };
        let resource_path = match resource_path(&model, &owner, 0) {
            Ok(p) => p,
            Err(e) => {
                problems.push(e);
                continue;
            }
        };
        let integration = integrations.iter().find(|i| {
            i.str("http_method") == Some(verb) && owner_of(&model, i).as_ref() == Some(&owner)
        });
        let int_at = integration.map_or_else(String::new, |i| format!("{}.values", i.at));
        let field = |name: &str| integration.and_then(|i| i.values.get(name));
        let before = problems.len();
        let kind = field("type")
            .and_then(Value::as_str)
            .map(str::to_ascii_uppercase);
        let cache_key_parameters = super::api::strings_at(
            field("cache_key_parameters"),
            &format!("{int_at}.cache_key_parameters"),
            &mut problems,
        );
        let cache_namespace = field("cache_namespace")
            .and_then(Value::as_str)
            .filter(|ns| !ns.is_empty())
            .map(str::to_owned);
        let timeout_ms = field("timeout_milliseconds").and_then(Value::as_u64);
        let reads = Reads::of(
            integration.map(|_| kind.as_deref().unwrap_or("")),
            field("request_parameters"),
            field("request_templates"),
            &int_at,
            &mut problems,
        );
        let mut parameters = Vec::new();
        if let Some(declared) = m
            .values
            .get("request_parameters")
            .and_then(Value::as_object)
        {
            for key in declared.keys() {
                let parsed = key
                    .strip_prefix("method.request.")
                    .and_then(|rest| rest.split_once('.'))
                    .and_then(|(part, name)| Some((ParamIn::from_request_part(part)?, name)));
                match parsed {
                    Some((location, name)) if !name.is_empty() => parameters.push(ImportedParam {
                        affects_response: reads.reads(location, name),
                        name: name.to_owned(),
                        location,
                    }),
                    _ => problems.push((
                        super::api::key_path(&format!("{}.values.request_parameters", m.at), key),
                        "expected `method.request.{path|querystring|header}.{name}`".into(),
                    )),
                }
            }
        }
        if problems.len() > before {
            continue;
        }
        // The resource's own id is API Gateway's default namespace.
        let own_id = match &owner {
            Owner::Resource(r) => r.str("id"),
            Owner::Root => None,
        };
        api.methods.push(ImportedMethod {
            path: resource_path,
            method: verb.to_ascii_uppercase(),
            cache_key_parameters,
            cache_namespace: cache_namespace.filter(|ns| Some(ns.as_str()) != own_id),
            parameters,
            integration: kind,
            reads,
            timeout_ms,
            location: m.at.clone(),
        });
    }
    if api.methods.is_empty() {
        // An API defined by an OpenAPI body.
        if let Some((body, at)) = model
            .of("aws_api_gateway_rest_api")
            .find_map(|r| r.str("body").map(|b| (b, r.at.clone())))
        {
            return match super::api::parse_api(path, body.as_bytes()) {
                Ok(mut from_body) => {
                    from_body
                        .notes
                        .push(format!("methods from the OpenAPI `body` at {at}"));
                    Ok(from_body)
                }
                Err(e) => Err(vec![(format!("{at}.values.body"), e.to_string())]),
            };
        }
    }
    if problems.is_empty() {
        Ok(api)
    } else {
        Err(problems)
    }
}

/// What a method or integration is on: a resource, or the API's root (`/`).
#[derive(Debug, Clone)]
enum Owner<'m, 'a> {
    Resource(&'m Resource<'a>),
    Root,
}

impl PartialEq for Owner<'_, '_> {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Owner::Resource(a), Owner::Resource(b)) => a.address == b.address,
            (Owner::Root, Owner::Root) => true,
            _ => false,
        }
    }
}

/// The resource `r`'s `resource_id` (or `parent_id`, for a resource) is on.
fn owner_of<'m, 'a>(model: &'m Model<'a>, r: &Resource<'a>) -> Option<Owner<'m, 'a>> {
    owner_by(model, r, "resource_id")
}

fn owner_by<'m, 'a>(
    model: &'m Model<'a>,
    r: &Resource<'a>,
    attribute: &str,
) -> Option<Owner<'m, 'a>> {
    if let Some(id) = r.str(attribute) {
        if model
            .of("aws_api_gateway_rest_api")
            .any(|api| api.str("root_resource_id") == Some(id))
        {
            return Some(Owner::Root);
        }
    }
    if let Some(found) = model.linked(r, attribute, "aws_api_gateway_resource", "id") {
        return Some(Owner::Resource(found));
    }
    if model.references_attribute(r, attribute, ".root_resource_id") {
        return Some(Owner::Root);
    }
    None
}

/// The path of the resource `owner`: its `path`, else its `path_part` under its
/// parent's path.
fn resource_path(
    model: &Model<'_>,
    owner: &Owner<'_, '_>,
    depth: usize,
) -> Result<String, (String, String)> {
    let Owner::Resource(r) = owner else {
        return Ok("/".into());
    };
    if let Some(p) = r.str("path") {
        return Ok(p.to_owned());
    }
    let Some(part) = r.str("path_part") else {
        return Err((
            format!("{}.values.path_part", r.at),
            "expected the resource's path_part".into(),
        ));
    };
    if depth > 64 {
        return Err((
            format!("{}.values.parent_id", r.at),
            "resources nested more than 64 deep (a cycle?)".into(),
        ));
    }
    let Some(parent) = owner_by(model, r, "parent_id") else {
        return Err((
            format!("{}.values.parent_id", r.at),
            "cannot tell the resource's parent (neither its id nor a reference to it is in the file)".into(),
        ));
    };
    let base = resource_path(model, &parent, depth + 1)?;
    Ok(format!("{}/{part}", base.trim_end_matches('/')))
}

/// An identity policy that mentions `execute-api`, and who holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedPolicy {
    /// The principal's name for the scenario: the role or user, else the policy's name.
    pub principal: String,
    /// The policy document (JSON text).
    pub document: String,
    /// The resource it came from.
    pub address: String,
}

/// The identity policies of a plan or state that mention `execute-api`.
pub(super) fn policies(doc: &Value) -> Result<Vec<ImportedPolicy>, Problems> {
    let model = Model::read(doc).map_err(|p| vec![p])?;
    let mut out = Vec::new();
    for (kind, holder, holder_kind, text) in [
        ("aws_iam_role_policy", "role", "aws_iam_role", "policy"),
        ("aws_iam_user_policy", "user", "aws_iam_user", "policy"),
        ("aws_iam_policy", "name", "", "policy"),
        ("data.aws_iam_policy_document", "", "", "json"),
    ] {
        for r in model.of(kind) {
            let Some(document) = r.str(text) else {
                continue;
            };
            if !document.contains("execute-api") {
                continue;
            }
            // The role or user by its name, or (unknown in a plan) the one referenced.
            let held_by = (!holder.is_empty())
                .then(|| r.str(holder))
                .flatten()
                .or_else(|| {
                    (!holder_kind.is_empty())
                        .then(|| model.referenced(r, holder, holder_kind))
                        .flatten()
                        .and_then(|h| h.str("name"))
                });
            let name = held_by
                .unwrap_or_else(|| r.config_address().rsplit('.').next().unwrap_or("policy"));
            let mut principal: String = name
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            if principal.is_empty() {
                principal = "policy".into();
            }
            out.push(ImportedPolicy {
                principal,
                document: document.to_owned(),
                address: r.address.clone(),
            });
        }
    }
    Ok(out)
}

fn list(names: &[String]) -> String {
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}

/// What `cachegate import terraform` reads of a plan or state.
#[derive(Debug, Clone)]
pub struct ImportedTerraform {
    /// Whether the file is a plan (else a state).
    pub plan: bool,
    /// The stage (`--stage`, or the only one); `None` when the file has none.
    pub stage: Option<ImportedStage>,
    /// The API's methods; `None` when the file defines none.
    pub api: Option<ImportedApi>,
    /// The identity policies that mention `execute-api`.
    pub policies: Vec<ImportedPolicy>,
    /// `[api]` fields the file knows: `api_id`, `stage`, `region`.
    pub identity: BTreeMap<&'static str, String>,
}

/// Reads `terraform show -json` output (`stage`: the stage's name, when it has several).
pub fn load(
    path: &Path,
    stage_name: Option<&str>,
) -> Result<ImportedTerraform, super::ImportError> {
    let bytes = std::fs::read(path).map_err(|error| super::ImportError::Read {
        path: path.to_owned(),
        error,
    })?;
    parse(path, &bytes, stage_name)
}

/// [`load`] on bytes already read; `path` names the file in errors.
pub fn parse(
    path: &Path,
    bytes: &[u8],
    stage_name: Option<&str>,
) -> Result<ImportedTerraform, super::ImportError> {
    let located = |problems: Problems| super::located(path, problems);
    let doc = super::parse_document(
        path,
        bytes,
        "`terraform show -json` of a plan or state",
        super::api::MAX_API_FILE_BYTES,
    )?;
    if !is_terraform(&doc) {
        return Err(located(vec![(
            String::new(),
            "not `terraform show -json` output (no `format_version` with `planned_values` or `values`)".into(),
        )]));
    }
    let model = Model::read(&doc).map_err(|p| located(vec![p]))?;
    let has_stage = model.of("aws_api_gateway_stage").next().is_some();
    let mut problems = Problems::new();
    let stage = if has_stage || stage_name.is_some() {
        match self::stage(&doc, stage_name) {
            Ok(s) => Some(s),
            Err(mut p) => {
                problems.append(&mut p);
                None
            }
        }
    } else {
        None
    };
    let api = match api(&doc, path) {
        Ok(a) if a.methods.is_empty() => None,
        Ok(a) => Some(a),
        Err(mut p) => {
            problems.append(&mut p);
            None
        }
    };
    let policies = policies(&doc).map_err(located)?;
    if !problems.is_empty() {
        return Err(located(problems));
    }
    if stage.is_none() && api.is_none() && policies.is_empty() {
        return Err(located(vec![(
            String::new(),
            "no API Gateway stage, method or execute-api policy in the plan or state".into(),
        )]));
    }
    let mut identity = BTreeMap::new();
    if let Some(id) = model
        .of("aws_api_gateway_rest_api")
        .find_map(|r| r.str("id"))
    {
        identity.insert("api_id", id.to_owned());
    }
    if let Some(s) = model.of("aws_api_gateway_stage").find(|s| {
        stage
            .as_ref()
            .is_some_and(|chosen| matches!(&chosen.source, Source::Terraform { address, .. } if *address == s.address))
    }) {
        if let Some(name) = s.str("stage_name") {
            identity.insert("stage", name.to_owned());
        }
    }
    if let Some(region) = doc
        .pointer("/configuration/provider_config/aws/expressions/region/constant_value")
        .and_then(Value::as_str)
    {
        identity.insert("region", region.to_owned());
    }
    Ok(ImportedTerraform {
        plan: model.plan,
        stage,
        api,
        policies,
        identity,
    })
}

impl ImportedTerraform {
    /// The scenario text: `[api]` (what the file knows), `[stage]`, `[[resources]]` and
    /// a `[principals.NAME]` per policy holder. With `out`, each policy is written
    /// there as `NAME.json` (an existing file is not replaced) and referenced; without,
    /// the policies are listed in a comment.
    pub fn to_toml(&self, file: &Path, out: Option<&Path>) -> Result<String, std::io::Error> {
        use std::fmt::Write as _;
        let mut text = String::new();
        let kind = if self.plan { "plan" } else { "state" };
        let _ = writeln!(
            text,
            "# Imported from {} (`terraform show -json` of a {kind}).",
            file.display()
        );
        text.push_str("\n[api]\n");
        for (field, example) in [
            ("region", "\"us-east-1\""),
            ("account", "\"123456789012\""),
            ("api_id", "\"a1b2c3d4e5\""),
            ("stage", "\"prod\""),
        ] {
            match self.identity.get(field) {
                Some(v) => {
                    let _ = writeln!(text, "{field} = {}", toml::Value::String(v.clone()));
                }
                None => {
                    let _ = writeln!(text, "# {field} = {example}   # not in the file: fill in");
                }
            }
        }
        if let Some(stage) = &self.stage {
            let mut root = toml::Table::new();
            root.insert("stage".into(), stage.to_table().into());
            text.push('\n');
            text.push_str(&toml::to_string(&root).unwrap_or_default());
        }
        if let Some(api) = &self.api {
            text.push('\n');
            text.push_str(&api.to_toml(file));
        }
        let mut by_principal: BTreeMap<&str, Vec<&ImportedPolicy>> = BTreeMap::new();
        for p in &self.policies {
            by_principal.entry(&p.principal).or_default().push(p);
        }
        for (principal, list) in by_principal {
            // Principal names are made of letters, digits, `-` and `_`: a bare key.
            let _ = writeln!(text, "\n[principals.{principal}]");
            match out {
                Some(dir) => {
                    std::fs::create_dir_all(dir)?;
                    let mut files = Vec::new();
                    for (i, p) in list.iter().enumerate() {
                        let name = if i == 0 {
                            format!("{principal}.json")
                        } else {
                            format!("{principal}-{}.json", i + 1)
                        };
                        let target = dir.join(&name);
                        let pretty = serde_json::from_str::<Value>(&p.document)
                            .ok()
                            .and_then(|v| serde_json::to_string_pretty(&v).ok())
                            .unwrap_or_else(|| p.document.clone());
                        write_new(&target, pretty.as_bytes())?;
                        files.push(toml::Value::String(target.display().to_string()).to_string());
                        let _ = writeln!(text, "# {}: from `{}`", name, p.address);
                    }
                    let _ = writeln!(text, "policies = [{}]", files.join(", "));
                }
                None => {
                    for p in list {
                        let _ = writeln!(
                            text,
                            "# `{}` grants execute-api actions: rerun with --out DIR to write it and reference it here",
                            p.address
                        );
                    }
                }
            }
        }
        Ok(text)
    }
}

/// Writes `bytes` to a new file `path` (an existing one is an error, never replaced),
/// through a temporary file renamed into place.
fn write_new(path: &Path, bytes: &[u8]) -> Result<(), std::io::Error> {
    if path.exists() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            format!("{} already exists; not replaced", path.display()),
        ));
    }
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests;
