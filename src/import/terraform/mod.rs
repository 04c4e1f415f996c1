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

mod methods;
mod model;
mod policies;
mod stage;

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use super::api::ImportedApi;
use super::{ImportedStage, Source};
use model::Model;
pub use policies::ImportedPolicy;

type Problems = Vec<(String, String)>;

/// Whether a JSON document is `terraform show -json` output.
pub(super) fn is_terraform(doc: &Value) -> bool {
    doc.get("format_version").is_some()
        && (doc.get("planned_values").is_some() || doc.get("values").is_some())
}

/// The stage named `name` (or the only one) of a plan or state.
pub(super) fn stage(doc: &Value, name: Option<&str>) -> Result<ImportedStage, Problems> {
    stage::stage(&Model::read(doc).map_err(|p| vec![p])?, name)
}

/// The API's methods in a plan or state.
pub(super) fn api(doc: &Value, path: &Path) -> Result<ImportedApi, Problems> {
    methods::api(&Model::read(doc).map_err(|p| vec![p])?, path)
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
        match stage::stage(&model, stage_name) {
            Ok(s) => Some(s),
            Err(mut p) => {
                problems.append(&mut p);
                None
            }
        }
    } else {
        None
    };
    let api = match methods::api(&model, path) {
        Ok(a) if a.methods.is_empty() => None,
        Ok(a) => Some(a),
        Err(mut p) => {
            problems.append(&mut p);
            None
        }
    };
    let policies = policies::policies(&model).map_err(located)?;
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
    crate::report::write_atomic(path, bytes)
}

#[cfg(test)]
mod tests;
