//! `cachegate audit --stage F [--api F] [--live F] [--policies F...]`: the subject
//! read from the importers' files rather than a scenario.

use super::evidence::{Sources, Text};
use super::{Finding, Subject, audit};
use crate::gateway::{ApiIdentity, Principal, ResourceConfig, StageSettings};

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
    let api = files
        .api
        .as_ref()
        .map(|p| crate::import::api::load_api(p))
        .transpose()?;
    if let Some(api) = &api {
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
    let subject = Subject {
        configuration: None,
        sources: Sources {
            scenario: None,
            stage: Some((Text::read(&files.stage), stage.origins.clone())),
            api: api.map(|a| (Text::read(files.api.as_deref().unwrap_or(&files.stage)), a)),
            policies: files
                .policies
                .iter()
                .map(|p| vec![p.display().to_string()])
                .collect(),
            policy_dir: std::path::PathBuf::new(),
        },
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
