//! `cachegate audit`: a static review of a stage's cache configuration, its API's
//! methods and the IAM policies of its callers, without simulating: each finding has a
//! rule id, a severity, the evidence (file and field path), why it matters and what to
//! change (`rules.rs`); printed as text or JSON (`output.rs`). The subject is every
//! configuration of a scenario, or a stage file with an optional API definition.

mod evidence;
mod files;
mod output;
mod rules;
mod sarif;
mod simulate;

use std::path::Path;

use serde::Serialize;

use crate::gateway::{ApiIdentity, Principal, ResourceConfig, StageSettings};

pub use files::{AuditError, Files, audit_files};
pub use output::{Format, render};
pub use rules::{RULES, Rule};
pub use simulate::{Measurement, Metric, SimulateError, simulate};

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

/// Where a finding's evidence is: the file to change, the field in that file's own
/// terms, and its line and column (of the field, or of its nearest parent the file
/// has) when the file could be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// The file.
    pub file: String,
    /// The field path within it, as the file names it (e.g.
    /// `stage.method_settings."*/*".require_authorization_for_cache_control` in a
    /// scenario, `methodSettings."*/*".cachingEnabled` in get-stage output).
    pub field: String,
    /// The 1-based line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// The 1-based column, in characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
}

impl Evidence {
    fn new(file: &str, field: String, place: Option<(usize, usize)>) -> Evidence {
        Evidence {
            file: file.to_owned(),
            field,
            line: place.map(|p| p.0),
            column: place.map(|p| p.1),
        }
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Serialize)]
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
    /// What simulating it showed (`--simulate`), when its cost can be measured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub measured: Option<simulate::Measurement>,
    /// What it is about, in the scenario's terms (for `--simulate`'s fix).
    #[serde(skip)]
    site: evidence::Site,
    /// The method it is about (index in the subject's resources), when one.
    #[serde(skip)]
    resource: Option<usize>,
}

/// What one audit looks at.
pub struct Subject<'a> {
    /// The configuration's name, when a scenario has several.
    pub configuration: Option<String>,
    /// The files its settings came from, for the evidence.
    sources: evidence::Sources,
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
    let scenario_text = evidence::Text::read(path);
    let mut all = Vec::new();
    let several = study.configurations.len() > 1;
    // The files the configurations import, read again (once each) for where each
    // setting is in them: they loaded a moment ago, so they read.
    let mut stages = Vec::new();
    let mut apis = Vec::new();
    for c in &study.configurations {
        let s = &c.scenario;
        let stage = c.origin.stage_file.as_ref().and_then(|(f, _)| {
            once(&mut stages, f, |f| {
                let imported = crate::import::load_stage(f, None).ok()?;
                Some((evidence::Text::read(f), imported.origins))
            })
        });
        let api = c.origin.api_file.as_ref().and_then(|(f, _)| {
            once(&mut apis, f, |f| {
                let imported = crate::import::api::load_api(f).ok()?;
                Some((evidence::Text::read(f), imported))
            })
        });
        let subject = Subject {
            configuration: several.then(|| c.name.clone()),
            sources: evidence::Sources {
                scenario: Some((scenario_text.clone(), c.origin.clone())),
                stage,
                api,
                policies: Vec::new(),
                policy_dir: path.parent().unwrap_or(Path::new("")).to_owned(),
            },
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

/// `read(file)`, from `cache` when it was read before.
fn once<T: Clone>(
    cache: &mut Vec<(std::path::PathBuf, Option<T>)>,
    file: &Path,
    read: impl FnOnce(&Path) -> Option<T>,
) -> Option<T> {
    if let Some((_, value)) = cache.iter().find(|(f, _)| f == file) {
        return value.clone();
    }
    let value = read(file);
    cache.push((file.to_owned(), value.clone()));
    value
}

/// The exit status: 1 when a finding is at or above `fail_on`, else 0.
pub fn status(findings: &[Finding], fail_on: Level) -> u8 {
    u8::from(findings.iter().any(|f| f.level >= fail_on))
}

#[cfg(test)]
mod tests;
