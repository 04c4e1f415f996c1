//! `cachegate init`: a runnable, commented scenario from access logs (and, when given,
//! the stage, the API definition and the callers' policies). The logs are fitted
//! ([`crate::fit`]); the scenario has a synthetic client per principal with its fitted
//! rate profile, resource mix and `max-age=0` share, each resource's fitted popularity,
//! sizes and latency, and two configurations of the same stage: `replay` (the logs
//! themselves as a trace) and `fitted` (the synthetic clients). Every fitted number
//! carries a comment saying where it came from.

mod callers;
mod text;

use std::path::{Path, PathBuf};

use crate::fit::{Fit, FitOptions};

/// What `cachegate init` reads and writes.
#[derive(Debug, Clone)]
pub struct InitOptions {
    /// The logs and how to read them.
    pub fit: FitOptions,
    /// The stage (get-stage JSON, CloudFormation, Terraform), as `stage_file`.
    pub stage: Option<PathBuf>,
    /// The API definition, as `api_file`.
    pub api: Option<PathBuf>,
    /// Identity policies, one principal each (named after the file).
    pub policies: Vec<PathBuf>,
    /// The scenario file to write; its data files go beside it.
    pub out: PathBuf,
    /// Replace files that exist.
    pub force: bool,
    /// The command that wrote it, for the scenario's header (so it can be regenerated).
    pub command: Option<String>,
}

/// What `init` wrote.
#[derive(Debug, Clone)]
pub struct Written {
    /// The scenario.
    pub scenario: PathBuf,
    /// The data files (profiles, popularity) beside it.
    pub files: Vec<PathBuf>,
    /// What the scenario leaves out or assumes, for the user.
    pub notes: Vec<String>,
}

/// Fits the logs and writes the scenario and its data files.
pub fn init(
    options: &InitOptions,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Written, anyhow::Error> {
    let fit = crate::fit::fit(&options.fit, progress)?;
    let api = match &options.api {
        Some(f) => Some(crate::import::api::load_api(f)?),
        None => None,
    };
    // Inputs the scenario names are refused now, not when it is first run.
    if let Some(f) = &options.stage {
        crate::import::load_stage(f, None)?;
    }
    for f in &options.policies {
        crate::policy::PolicyDocument::load(f)?;
    }
    let dir = options
        .out
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_owned();
    std::fs::create_dir_all(&dir)
        .map_err(|e| anyhow::anyhow!("{}: cannot create: {e}", dir.display()))?;
    let plan = text::Plan::new(&fit, options, api.as_ref(), &dir)?;
    // Every file is checked before any is written, so a refusal leaves nothing half done.
    let mut targets: Vec<(PathBuf, String)> = plan.files.clone();
    targets.push((options.out.clone(), plan.scenario.clone()));
    if !options.force {
        if let Some((p, _)) = targets.iter().find(|(p, _)| p.exists()) {
            anyhow::bail!("{} exists: not replaced (--force replaces it)", p.display());
        }
    }
    for (path, body) in &targets {
        crate::fit::write_new(path, body, true).map_err(anyhow::Error::msg)?;
    }
    Ok(Written {
        scenario: options.out.clone(),
        files: plan.files.into_iter().map(|(p, _)| p).collect(),
        notes: plan.notes,
    })
}

/// `path` relative to `dir` (both made absolute first), with `/` separators, as a
/// scenario names its files.
pub(crate) fn relative(dir: &Path, path: &Path) -> String {
    let abs = |p: &Path| {
        std::path::absolute(p)
            .map(|a| a.components().collect::<PathBuf>())
            .unwrap_or_else(|_| p.to_owned())
    };
    let (from, to) = (abs(dir), abs(path));
    let (f, t): (Vec<_>, Vec<_>) = (from.components().collect(), to.components().collect());
    let common = f.iter().zip(&t).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".to_owned(); f.len() - common];
    parts.extend(
        t[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    if parts.is_empty() {
        ".".to_owned()
    } else {
        parts.join("/")
    }
}

/// Production's hit rate as the fit saw it, for the scenario's comments.
pub(crate) fn observed(fit: &Fit) -> Option<(f64, String)> {
    if let Some(h) = fit.cloudwatch.as_ref().and_then(|c| c.hit_rate()) {
        return Some((
            h,
            "CloudWatch CacheHitCount / (CacheHitCount + CacheMissCount)".into(),
        ));
    }
    fit.cache.hit_rate().map(|h| {
        (
            h,
            "access-log records with no integration latency over those with one".into(),
        )
    })
}

#[cfg(test)]
mod tests;
