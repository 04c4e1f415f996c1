//! `cachegate audit`: a static review of a stage's cache configuration, its API's
//! methods and the IAM policies of its callers, without simulating: each finding has a
//! rule id, a severity, the evidence (file and field path), why it matters and what to
//! change (`rules.rs`); printed as text or JSON (`output.rs`). The subject is every
//! configuration of a scenario, or a stage file with an optional API definition.

mod output;
mod rules;

use std::path::Path;

use serde::Serialize;

use crate::gateway::{ApiIdentity, Principal, ResourceConfig, StageSettings};

pub use output::{Format, render};

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Worth knowing.
    Note,
    /// Likely to cost money, load or freshness.
    Warning,
    /// Serves wrong data or lets anyone load the backend.
    Error,
}

impl Level {
    /// Parses `note`, `warning` or `error`.
    pub fn parse(s: &str) -> Option<Level> {
        match s {
            "note" => Some(Level::Note),
            "warning" => Some(Level::Warning),
            "error" => Some(Level::Error),
            _ => None,
        }
    }

    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Note => "note",
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }
}

/// Where a finding's evidence is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// The file.
    pub file: String,
    /// The field path within it, in the scenario's terms (e.g.
    /// `stage.method_settings."*/*".require_authorization_for_cache_control`).
    pub field: String,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The rule's id, e.g. `read-parameter-not-in-cache-key`.
    pub rule: &'static str,
    /// Its severity.
    pub level: Level,
    /// The configuration it is about (a scenario's variant), when there are several.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub configuration: Option<String>,
    /// What is wrong, about this configuration.
    pub message: String,
    /// Where.
    pub evidence: Evidence,
    /// Why it matters.
    pub why: &'static str,
    /// What to change.
    pub fix: String,
}

/// What one audit looks at.
pub struct Subject<'a> {
    /// The configuration's name, when a scenario has several.
    pub configuration: Option<String>,
    /// The file the stage settings came from.
    pub stage_file: String,
    /// The file the methods came from.
    pub api_file: String,
    /// Per principal: the file its policies came from.
    pub principal_files: Vec<String>,
    /// The API, for execute-api ARNs.
    pub api: &'a ApiIdentity,
    /// The stage's settings.
    pub stage: &'a StageSettings,
    /// The API's methods.
    pub resources: &'a [ResourceConfig],
    /// The callers, and whether each is public (anyone can call as it).
    pub principals: &'a [Principal],
    /// Per principal: public.
    pub public: &'a [bool],
    /// Per method (as `gateway.resources`): its response size in bytes, when fixed.
    pub response_bytes: Vec<Option<u64>>,
    /// The stage before the change, for the planned-change rules.
    pub live: Option<&'a crate::gateway::StageSettings>,
    /// The cluster size in force (and, with `live`, before the change).
    pub cluster_size: Option<crate::cache::ClusterSize>,
    /// The live cluster size.
    pub live_cluster_size: Option<crate::cache::ClusterSize>,
}

/// Every finding about `subject`, most serious first, then by rule and evidence.
pub fn audit(subject: &Subject<'_>) -> Vec<Finding> {
    let mut findings = rules::all(subject);
    findings.sort_by(|a, b| {
        b.level.cmp(&a.level).then_with(|| {
            (a.rule, &a.evidence.field, &a.message).cmp(&(b.rule, &b.evidence.field, &b.message))
        })
    });
    findings.dedup();
    findings
}

/// Every finding about every configuration of the scenario at `path`.
pub fn audit_scenario(path: &Path) -> Result<Vec<Finding>, crate::scenario::ScenarioError> {
    let study = crate::scenario::Study::load(path)?;
    let mut all = Vec::new();
    let several = study.configurations.len() > 1;
    for c in &study.configurations {
        let s = &c.scenario;
        let file = s.source.display().to_string();
        let subject = Subject {
            configuration: several.then(|| c.name.clone()),
            stage_file: file.clone(),
            api_file: file.clone(),
            principal_files: vec![file.clone(); s.principals.len()],
            api: &s.gateway.api,
            stage: &s.gateway.stage,
            resources: &s.gateway.resources,
            principals: &s.principals,
            public: &s.public_principals,
            response_bytes: s
                .resources
                .iter()
                .map(|r| match r.response_bytes {
                    crate::scenario::SizeDist::Fixed(n) => Some(n),
                    _ => None,
                })
                .collect(),
            live: None,
            cluster_size: s.cluster_size,
            live_cluster_size: None,
        };
        all.extend(audit(&subject));
    }
    Ok(all)
}

/// The exit status: 1 when a finding is at or above `fail_on`, else 0.
pub fn status(findings: &[Finding], fail_on: Level) -> u8 {
    u8::from(findings.iter().any(|f| f.level >= fail_on))
}

/// The files `cachegate audit --stage ... [--api ...] [--live ...] [--policies ...]`
/// names.
#[derive(Debug, Clone, Default)]
pub struct Files {
    /// The stage (any format `import stage` reads).
    pub stage: std::path::PathBuf,
    /// The API definition (any format `import api` reads).
    pub api: Option<std::path::PathBuf>,
    /// The stage before the change (for the planned-change rules).
    pub live: Option<std::path::PathBuf>,
    /// Identity policies, one principal each (named after the file).
    pub policies: Vec<std::path::PathBuf>,
    /// Principals (file stems) anyone can call as.
    pub public: Vec<String>,
    /// The API the policies' ARNs are read against.
    pub identity: Option<ApiIdentity>,
}

/// Why files could not be audited.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// A stage or API file.
    #[error("{0}")]
    Import(#[from] crate::import::ImportError),
    /// A policy file.
    #[error("{0}")]
    Policy(#[from] crate::policy::PolicyError),
    /// The arguments do not fit together.
    #[error("{0}")]
    Usage(String),
}

/// Every finding about the files of `files`.
pub fn audit_files(files: &Files) -> Result<Vec<Finding>, AuditError> {
    let stage = crate::import::load_stage(&files.stage, None)?;
    let live = files
        .live
        .as_ref()
        .map(|p| crate::import::load_stage(p, None))
        .transpose()?;
    let settings = |s: &crate::import::ImportedStage| StageSettings {
        cache_cluster_enabled: s.cache_cluster_enabled,
        method_settings: s.method_settings.clone(),
    };
    let size = |s: &crate::import::ImportedStage| {
        s.cache_cluster_size
            .as_deref()
            .and_then(crate::cache::ClusterSize::parse)
    };
    let mut resources = Vec::new();
    if let Some(api_path) = &files.api {
        let api = crate::import::api::load_api(api_path)?;
        for m in &api.methods {
            let Some(method) = crate::gateway::Method::parse(m.scenario_method()) else {
                continue;
            };
            resources.push(ResourceConfig {
                path: m.path.clone(),
                method,
                params: m
                    .parameters
                    .iter()
                    .filter_map(|p| {
                        let location = match p.location {
                            crate::import::api::ParamIn::Path => return None,
                            crate::import::api::ParamIn::Query => crate::gateway::Location::Query,
                            crate::import::api::ParamIn::Header => crate::gateway::Location::Header,
                        };
                        Some(crate::gateway::Param {
                            name: p.name.clone(),
                            location,
                            affects_response: p.affects_response,
                        })
                    })
                    .collect(),
                cache_key_parameters: m.cache_key_parameters.clone(),
                cache_namespace: m.cache_namespace.clone(),
            });
        }
    }
    if !files.policies.is_empty() && files.identity.is_none() {
        return Err(AuditError::Usage(
            "--policies needs the API they are read against: --region, --account, --api-id and --stage-name".into(),
        ));
    }
    let identity = files.identity.clone().unwrap_or(ApiIdentity {
        region: "us-east-1".into(),
        account: "000000000000".into(),
        api_id: "api".into(),
        stage: "stage".into(),
    });
    let mut principals = Vec::new();
    for p in &files.policies {
        let doc = crate::policy::PolicyDocument::load(p)?;
        let name = p.file_stem().map_or_else(
            || p.display().to_string(),
            |s| s.to_string_lossy().into_owned(),
        );
        let mut set = crate::policy::PolicySet::new();
        set.add(&p.display().to_string(), &doc);
        principals.push(Principal {
            name,
            policies: set,
            context: crate::policy::Context::new(),
        });
    }
    for name in &files.public {
        if !principals.iter().any(|p| &p.name == name) {
            return Err(AuditError::Usage(format!(
                "--public {name}: no policy file is named `{name}`"
            )));
        }
    }
    let public: Vec<bool> = principals
        .iter()
        .map(|p| files.public.contains(&p.name))
        .collect();
    let stage_settings = settings(&stage);
    let live_settings = live.as_ref().map(settings);
    let shown = |p: &Path| p.display().to_string();
    let subject = Subject {
        configuration: None,
        stage_file: shown(&files.stage),
        api_file: files
            .api
            .as_deref()
            .map_or_else(|| shown(&files.stage), shown),
        principal_files: files.policies.iter().map(|p| shown(p)).collect(),
        api: &identity,
        stage: &stage_settings,
        resources: &resources,
        principals: &principals,
        public: &public,
        response_bytes: vec![None; resources.len()],
        live: live_settings.as_ref(),
        cluster_size: size(&stage),
        live_cluster_size: live.as_ref().and_then(size),
    };
    Ok(audit(&subject))
}

#[cfg(test)]
mod tests;
