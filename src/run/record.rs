//! What a report folder's parts belong to (`parts/study.json`), and the fingerprint
//! that keeps a part from being reused for another scenario text, trace, seed or length.

use std::collections::BTreeMap;

use super::traces::TraceRead;
use crate::report::Manifest;
use crate::scenario::{Configuration, Study};

/// What a report folder's parts belong to (`parts/study.json`): enough to finish the
/// report from the parts alone, without the scenario file (`cachegate merge`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub(super) struct StudyRecord {
    /// The manifest, but for what only finishing knows (checks' verdicts, wall time).
    pub(super) manifest: Manifest,
    /// Each configuration's part file stem, `NNN-<fingerprint>`; a replication's parts add `-rRRR`.
    pub(super) stems: Vec<String>,
    /// The checks as written.
    pub(super) checks: Vec<String>,
    /// The scenario's description.
    #[serde(default)]
    pub(super) description: String,
    /// Per configuration, what it sets over the scenario file.
    #[serde(default)]
    pub(super) changes: Vec<Vec<String>>,
    /// The verdict's order, as written.
    #[serde(default)]
    pub(super) rank_by: Vec<String>,
    /// `[calibration]`, when the scenario has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) calibration: Option<crate::report::Calibration>,
}

impl StudyRecord {
    pub(super) fn of(study: &Study, traces: &[TraceRead]) -> StudyRecord {
        let base = study.base();
        let names: Vec<String> = study
            .configurations
            .iter()
            .map(|c| c.name.clone())
            .collect();
        StudyRecord {
            manifest: Manifest {
                scenario: study.name().to_owned(),
                scenario_path: base.source.display().to_string(),
                scenario_sha256: base.source_sha256.clone(),
                seed: base.seed,
                replications: base.replications,
                cachegate_version: env!("CARGO_PKG_VERSION").to_owned(),
                duration_s: base.duration.as_secs_f64(),
                warmup_s: base.warmup.as_secs_f64(),
                window_s: base.window.as_secs_f64(),
                configurations: names.clone(),
                baseline: names[study.baseline].clone(),
                assumptions: study
                    .configurations
                    .iter()
                    .map(|c| {
                        let a: BTreeMap<String, String> = c
                            .scenario
                            .assumptions()
                            .into_iter()
                            .map(|(k, v)| (k.to_owned(), v))
                            .collect();
                        (c.name.clone(), a)
                    })
                    .collect(),
                checks: Vec::new(),
                price_table: crate::cache::ClusterSize::price_table(),
                simulated_requests: 0,
                traces: traces.iter().map(|t| t.summary.clone()).collect(),
                inputs: {
                    let mut all: Vec<_> = study
                        .configurations
                        .iter()
                        .flat_map(|c| c.scenario.inputs.iter().cloned())
                        .collect();
                    all.sort();
                    all.dedup();
                    all
                },
            },
            stems: study
                .configurations
                .iter()
                .enumerate()
                .map(|(i, c)| format!("{i:03}-{}", fingerprint(c, traces)))
                .collect(),
            checks: study.checks.iter().map(|c| c.text.clone()).collect(),
            description: base.description.clone(),
            changes: study
                .configurations
                .iter()
                .map(|c| c.changes.clone())
                .collect(),
            rank_by: study.rank_by.iter().map(ToString::to_string).collect(),
            calibration: study.calibration.clone(),
        }
    }
}

/// What a configuration's results depend on: a part written for another scenario text,
/// trace contents, seed, length or version is not reused.
fn fingerprint(c: &Configuration, traces: &[TraceRead]) -> String {
    let s = &c.scenario;
    let trace_hashes: Vec<&str> = s
        .traces
        .iter()
        .filter_map(|t| traces.iter().find(|r| r.model.file == t.file))
        .map(|r| r.summary.digest.as_str())
        .collect();
    let mut key = format!(
        "{}|{}|{}|{}|{}|{}|{}|{}|{}",
        s.source_sha256,
        c.name,
        s.seed,
        s.replications,
        s.duration.as_micros(),
        s.warmup.as_micros(),
        s.window.as_micros(),
        env!("CARGO_PKG_VERSION"),
        trace_hashes.join(",")
    );
    // Every other file read (profiles, popularity, policies, stage and API files).
    for f in &s.inputs {
        key.push_str(&format!("|{}={}", f.path, f.sha256));
    }
    crate::checksum::sha256(key.as_bytes())[..16].to_owned()
}
