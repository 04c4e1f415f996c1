//! Importing the live stage configuration: the JSON `aws apigateway get-stage` prints,
//! or an `AWS::ApiGateway::Stage` resource of a CloudFormation template (JSON or YAML),
//! turned into the scenario's `[stage]` section (`cachegate import stage`, or
//! `stage_file = "..."` in a scenario). Only the cache settings are read; everything else
//! in the file (logging, metrics, tags...) is ignored. Method-setting keys are
//! normalised to the scenario's spelling: `~1` decoded to `/`, the leading `/` trimmed
//! (`/~1pets~1{petId}` + `GET` -> `pets/{petId}/GET`).

pub mod api;
mod cloudformation;
mod get_stage;
pub(crate) mod origins;
pub mod position;

pub use origins::Origins;
mod serverless;
pub mod terraform;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::cache::ClusterSize;
use crate::diagnostic::Diagnostic;
use crate::gateway::{MethodSetting, UnauthorizedStrategy};

/// Why a stage file could not be imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file could not be read.
    #[error("{}: cannot read the file: {error}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// The file is not what it should be: the field path (e.g.
    /// `methodSettings."*/*".cacheTtlInSeconds`) and what was expected.
    #[error("{0}")]
    Invalid(Diagnostic),
    /// Several problems, each located.
    #[error("{0}")]
    Problems(crate::diagnostic::Diagnostics),
}

/// Where an imported stage came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `aws apigateway get-stage` output, with the stage's name when it has one.
    GetStage(Option<String>),
    /// A CloudFormation template's stage resource, by logical id.
    CloudFormation(String),
    /// The serverless-api-gateway-caching plugin's settings in a `serverless.yml`.
    Serverless,
    /// An `aws_api_gateway_stage` of `terraform show -json` output, by address; `plan`:
    /// of a saved plan (else of the state).
    Terraform {
        /// The resource's address.
        address: String,
        /// Whether the file is a plan.
        plan: bool,
    },
}

/// The cache settings of a deployed stage.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedStage {
    /// What the file was.
    pub source: Source,
    /// `cacheClusterEnabled`.
    pub cache_cluster_enabled: bool,
    /// `cacheClusterSize`.
    pub cache_cluster_size: Option<String>,
    /// `methodSettings`, keyed as the scenario spells them.
    pub method_settings: BTreeMap<String, MethodSetting>,
    /// Where in the file each setting was read.
    pub origins: Origins,
}

impl ImportedStage {
    /// The `[stage]` table, as a scenario has it.
    pub fn to_table(&self) -> toml::Table {
        let mut stage = toml::Table::new();
        stage.insert(
            "cache_cluster_enabled".into(),
            self.cache_cluster_enabled.into(),
        );
        if let Some(size) = &self.cache_cluster_size {
            stage.insert("cache_cluster_size".into(), size.clone().into());
        }
        let mut settings = toml::Table::new();
        for (key, s) in &self.method_settings {
            let mut t = toml::Table::new();
            if let Some(v) = s.caching_enabled {
                t.insert("caching_enabled".into(), v.into());
            }
            if let Some(v) = s.cache_ttl_in_seconds {
                t.insert("cache_ttl_in_seconds".into(), i64::from(v).into());
            }
            if let Some(v) = s.require_authorization_for_cache_control {
                t.insert("require_authorization_for_cache_control".into(), v.into());
            }
            if let Some(v) = s.unauthorized_cache_control_header_strategy {
                t.insert(
                    "unauthorized_cache_control_header_strategy".into(),
                    v.as_str().into(),
                );
            }
            if let Some(v) = s.throttling_rate_limit {
                t.insert("throttling_rate_limit".into(), v.into());
            }
            if let Some(v) = s.throttling_burst_limit {
                t.insert("throttling_burst_limit".into(), (v as i64).into());
            }
            settings.insert(key.clone(), t.into());
        }
        if !settings.is_empty() {
            stage.insert("method_settings".into(), settings.into());
        }
        stage
    }

    /// The `[stage]` section as TOML text, with a comment saying where it came from.
    pub fn to_toml(&self, file: &Path) -> String {
        let from = match &self.source {
            Source::GetStage(Some(name)) => {
                format!("`aws apigateway get-stage` output for stage \"{name}\"")
            }
            Source::GetStage(None) => "`aws apigateway get-stage` output".to_owned(),
            Source::CloudFormation(id) => {
                format!("the stage resource `{id}` of a CloudFormation or SAM template")
            }
            Source::Serverless => {
                "the serverless-api-gateway-caching settings of a serverless.yml".to_owned()
            }
            Source::Terraform { address, plan } => format!(
                "`{address}` in `terraform show -json` of a {}",
                if *plan { "plan" } else { "state" }
            ),
        };
        let mut out = format!("# Imported from {} ({from}).\n", file.display());
        if matches!(self.source, Source::CloudFormation(_)) {
            out.push_str(
                "# CloudFormation's MethodSetting has no RequireAuthorizationForCacheControl or\n\
                 # UnauthorizedCacheControlHeaderStrategy: API Gateway's defaults (true and\n\
                 # SUCCEED_WITH_RESPONSE_HEADER) apply unless you set them below.\n",
            );
        }
        let mut root = toml::Table::new();
        root.insert("stage".into(), self.to_table().into());
        // A table of tables and plain values always serialises.
        out.push_str(&toml::to_string(&root).unwrap_or_default());
        out
    }
}

/// Reads a stage file: get-stage JSON, or a CloudFormation template (JSON or YAML) or a
/// single stage resource of one. `logical_id` picks the stage resource when a template
/// has several.
pub fn load_stage(path: &Path, logical_id: Option<&str>) -> Result<ImportedStage, ImportError> {
    let bytes = std::fs::read(path).map_err(|error| ImportError::Read {
        path: path.to_owned(),
        error,
    })?;
    parse_stage(path, &bytes, logical_id)
}

/// [`load_stage`] on text already read; `path` names it in errors.
///
/// ```
/// use cachegate::import::parse_stage;
///
/// let json = br#"{"stageName": "prod", "cacheClusterEnabled": true, "cacheClusterSize": "0.5",
///   "methodSettings": {"*/*": {"cachingEnabled": true, "cacheTtlInSeconds": 300}}}"#;
/// let stage = parse_stage("prod.json".as_ref(), json, None).unwrap();
/// assert_eq!(stage.cache_cluster_size.as_deref(), Some("0.5"));
/// assert!(stage.to_toml("prod.json".as_ref()).contains("cache_ttl_in_seconds = 300"));
/// ```
pub fn parse_stage(
    path: &Path,
    bytes: &[u8],
    logical_id: Option<&str>,
) -> Result<ImportedStage, ImportError> {
    let invalid = |p: &str, m: String| {
        ImportError::Invalid(Diagnostic::new(path.display().to_string(), 0, 0, p, m))
    };
    let value = parse_document(
        path,
        bytes,
        "`aws apigateway get-stage` output or a CloudFormation template",
        MAX_FILE_BYTES,
    )?;
    let serde_json::Value::Object(map) = &value else {
        return Err(invalid(
            "",
            "expected an object: `aws apigateway get-stage` output or a CloudFormation template"
                .into(),
        ));
    };
    if terraform::is_terraform(&value) {
        terraform::stage(&value, logical_id).map_err(|problems| located(path, problems))
    } else if serverless::is_serverless(map) {
        serverless::stage(&value).map_err(|problems| located(path, problems))
    } else if map.contains_key("Resources") || map.get("Type").is_some_and(|t| t.is_string()) {
        cloudformation::stage(&value, logical_id).map_err(|(p, m)| invalid(&p, m))
    } else if [
        "cacheClusterEnabled",
        "methodSettings",
        "stageName",
        "deploymentId",
    ]
    .iter()
    .any(|k| map.contains_key(*k))
    {
        get_stage::stage(map).map_err(|(p, m)| invalid(&p, m))
    } else {
        Err(invalid(
            "",
            "neither `aws apigateway get-stage` output (no cacheClusterEnabled, methodSettings or stageName) nor a CloudFormation template (no Resources)".into(),
        ))
    }
}

/// The problems found in the file `path`, each with its field path, as one error.
pub(crate) fn located(path: &Path, problems: Vec<(String, String)>) -> ImportError {
    let file = path.display().to_string();
    let list: Vec<Diagnostic> = problems
        .into_iter()
        .map(|(p, m)| Diagnostic::new(file.clone(), 0, 0, &p, m))
        .collect();
    match crate::diagnostic::Diagnostics::from_vec(list) {
        None => ImportError::Invalid(Diagnostic::new(file, 0, 0, "", "not readable".to_owned())),
        Some(one) if one.len() == 1 => ImportError::Invalid(one.first().clone()),
        Some(all) => ImportError::Problems(all),
    }
}

/// A JSON or YAML document (YAML read as CloudFormation writes it, short-form
/// intrinsics included), refused before parsing when larger than `max_bytes` or nested
/// too deep. `expected` says what the file should have been, in errors.
pub(crate) fn parse_document(
    path: &Path,
    bytes: &[u8],
    expected: &str,
    max_bytes: usize,
) -> Result<serde_json::Value, ImportError> {
    let invalid =
        |m: String| ImportError::Invalid(Diagnostic::new(path.display().to_string(), 0, 0, "", m));
    let text =
        std::str::from_utf8(bytes).map_err(|_| invalid("the file is not UTF-8 text".into()))?;
    check_shape(text, max_bytes).map_err(invalid)?;
    match serde_json::from_str(text) {
        Ok(v) => Ok(v),
        Err(json_error) => {
            if text.trim_start().starts_with('{') {
                return Err(invalid(format!(
                    "not valid JSON: {json_error} (expected {expected})"
                )));
            }
            match yaml_serde::from_str::<yaml_serde::Value>(text) {
                Ok(y) => Ok(cloudformation::from_yaml(y)),
                Err(e) => Err(invalid(format!(
                    "neither JSON nor YAML: {e} (expected {expected})"
                ))),
            }
        }
    }
}

/// A method-settings key as the scenario spells it: `~1` decoded to `/` (and `~0` to
/// `~`), the leading `/` of the resource path trimmed; `*/*` stays.
pub(crate) fn settings_key(resource_path: &str, method: &str) -> String {
    // CloudFormation writes `/` then the escaped path (`/~1pets~1{petId}`); get-stage
    // keys are the escaped path alone (`~1pets~1{petId}`) or plain (`pets/{petId}`).
    let path = resource_path.strip_prefix('/').unwrap_or(resource_path);
    let path = path.replace("~1", "/").replace("~0", "~");
    let path = path.strip_prefix('/').unwrap_or(&path);
    if path == "*" && method == "*" {
        "*/*".to_owned()
    } else {
        format!("{path}/{}", method.to_ascii_uppercase())
    }
}

/// A get-stage map key (`*/*`, `pets/{petId}/GET`, `~1pets~1{petId}/GET`) normalised.
pub(crate) fn normalise_key(key: &str) -> String {
    match key.rsplit_once('/') {
        Some((path, method)) => settings_key(path, method),
        None => key.to_owned(),
    }
}

/// Checks a cluster size's spelling.
pub(crate) fn check_size(size: &str) -> Result<(), String> {
    ClusterSize::parse(size).map(|_| ()).ok_or_else(|| {
        format!(
            "unknown cache cluster size \"{size}\"; expected one of 0.5, 1.6, 6.1, 13.5, 28.4, 58.2, 118, 237"
        )
    })
}

/// Reads `throttlingRateLimit`: requests a second, at least 0; -1 (how Terraform writes
/// "not set") reads as unset.
pub(crate) fn throttle_rate(rate: Option<f64>) -> Result<Option<f64>, String> {
    match rate {
        Some(-1.0) => Ok(None),
        Some(r) if (0.0..=crate::gateway::MAX_LIMIT).contains(&r) => Ok(Some(r)),
        _ => Err(format!(
            "expected requests a second within 0..={} (or -1, not set)",
            crate::gateway::MAX_LIMIT
        )),
    }
}

/// Reads `throttlingBurstLimit`: a whole number of requests, at least 0; -1 reads as
/// unset.
pub(crate) fn throttle_burst(burst: Option<i64>) -> Result<Option<u64>, String> {
    match burst {
        Some(-1) => Ok(None),
        Some(b) if (0..=crate::gateway::MAX_LIMIT as i64).contains(&b) => Ok(Some(b as u64)),
        _ => Err(format!(
            "expected a whole number of requests within 0..={} (or -1, not set)",
            crate::gateway::MAX_LIMIT as i64
        )),
    }
}

/// Checks a TTL.
pub(crate) fn check_ttl(ttl: i64) -> Result<u32, String> {
    u32::try_from(ttl)
        .ok()
        .filter(|t| *t <= 3_600)
        .ok_or_else(|| format!("must be within 0..=3600 seconds, got {ttl}"))
}

/// Parses a strategy's AWS spelling.
pub(crate) fn strategy(s: &str) -> Result<UnauthorizedStrategy, String> {
    match s {
        "FAIL_WITH_403" => Ok(UnauthorizedStrategy::FailWith403),
        "SUCCEED_WITH_RESPONSE_HEADER" => Ok(UnauthorizedStrategy::SucceedWithResponseHeader),
        "SUCCEED_WITHOUT_RESPONSE_HEADER" => Ok(UnauthorizedStrategy::SucceedWithoutResponseHeader),
        other => Err(format!(
            "unknown strategy \"{other}\"; expected FAIL_WITH_403, SUCCEED_WITH_RESPONSE_HEADER or SUCCEED_WITHOUT_RESPONSE_HEADER"
        )),
    }
}

#[cfg(test)]
mod tests;

/// The largest stage file read: CloudFormation's own limit on a template (1 MB, from S3);
/// `get-stage` output is far smaller.
pub const MAX_FILE_BYTES: usize = 1_000_000;

/// The deepest nesting of `[` and `{` read, and the most a line may be indented: a real
/// template nests a few levels; parsing (and converting) deeper input costs time and
/// stack out of all proportion.
pub const MAX_DEPTH: usize = 64;
const MAX_INDENT: usize = 256;

/// Refuses a file too large or nested too deep to be a stage or template, before any
/// parser sees it (YAML parsing takes time quadratic in the nesting).
fn check_shape(text: &str, max_bytes: usize) -> Result<(), String> {
    if text.len() > max_bytes {
        let why = if max_bytes == MAX_FILE_BYTES {
            " (CloudFormation's own limit on a template)"
        } else {
            ""
        };
        return Err(format!("{} bytes, more than {max_bytes}{why}", text.len()));
    }
    for (i, line) in text.lines().enumerate() {
        let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
        if indent > MAX_INDENT {
            return Err(format!(
                "line {} is indented {indent} columns, more than {MAX_INDENT}: nested too deep for a configuration file",
                i + 1
            ));
        }
    }
    // Brackets outside quoted strings and comments.
    let (mut depth, mut quote, mut comment, mut escaped) = (0usize, None, false, false);
    let mut prev = '\n';
    for (line, c) in text.chars().scan(1usize, |line, c| {
        let at = *line;
        *line += usize::from(c == '\n');
        Some((at, c))
    }) {
        match (quote, c) {
            (_, '\n') => comment = false,
            _ if comment => {}
            (Some(q), _) if escaped => {
                escaped = false;
                quote = Some(q);
            }
            (Some('"'), '\\') => escaped = true,
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            // A quote opens a string only where a value starts (`it's` is plain text).
            (None, '"' | '\'') if prev.is_whitespace() || "[{,:".contains(prev) => {
                quote = Some(c);
            }
            (None, '#') if prev.is_whitespace() => comment = true,
            (None, '[' | '{') => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(format!(
                        "line {line}: nested more than {MAX_DEPTH} deep: too deep for a configuration file"
                    ));
                }
            }
            (None, ']' | '}') => depth = depth.saturating_sub(1),
            (None, _) => {}
        }
        prev = c;
    }
    Ok(())
}
