//! `cachegate merge`: one report from the parts of several report folders, without the
//! scenario file.

use std::io::Write;
use std::path::Path;

use anyhow::{Context as _, bail};

use super::finish::finish;
use super::parts::{prepare_dir, read_part, unit_stem, write_part};
use super::record::StudyRecord;
use crate::report;

/// `cachegate merge`: finishes one report from the parts of several report folders
/// (e.g. shards run on different machines); returns the exit status.
pub fn merge(
    folders: &[std::path::PathBuf],
    out_dir: &Path,
    force: bool,
    out: &mut dyn Write,
) -> anyhow::Result<u8> {
    let read_record = |folder: &Path| -> anyhow::Result<StudyRecord> {
        let path = folder.join("parts").join("study.json");
        let bytes = std::fs::read(&path).with_context(|| {
            format!(
                "{}: not a cachegate report folder (no parts/study.json)",
                folder.display()
            )
        })?;
        serde_json::from_slice(&bytes).with_context(|| {
            format!(
                "{}: not a study.json written by this cachegate",
                path.display()
            )
        })
    };
    let Some((first, rest)) = folders.split_first() else {
        bail!("name at least one report folder");
    };
    let record = read_record(first)?;
    for folder in rest {
        let other = read_record(folder)?;
        if other.stems != record.stems
            || other.manifest.scenario_sha256 != record.manifest.scenario_sha256
        {
            bail!(
                "{} and {} are reports of different runs (scenario, seed or settings differ)",
                first.display(),
                folder.display()
            );
        }
    }
    let dir = out_dir.join(&record.manifest.scenario);
    prepare_dir(&dir, force, false)?;
    let parts_dir = dir.join("parts");
    std::fs::create_dir_all(&parts_dir)
        .with_context(|| format!("creating {}", parts_dir.display()))?;
    let mut parts = Vec::new();
    let mut missing = Vec::new();
    for (stem, name) in record.stems.iter().zip(&record.manifest.configurations) {
        for replication in 0..record.manifest.replications {
            let stem = unit_stem(stem, replication);
            let found = folders
                .iter()
                .map(|f| read_part(&f.join("parts").join(&stem)))
                .find_map(|r| r.transpose());
            match found {
                Some(part) => {
                    let part = part?;
                    write_part(&parts_dir.join(&stem), &part)?;
                    parts.push(part);
                }
                None => missing.push(format!("`{name}` replication {replication} ({stem})")),
            }
        }
    }
    if !missing.is_empty() {
        bail!(
            "no folder holds the results of {}: did every shard finish?",
            missing.join(", ")
        );
    }
    report::write_atomic(
        &parts_dir.join("study.json"),
        &serde_json::to_vec_pretty(&record)?,
    )?;
    finish(&record, parts, &dir, 0.0, None, out)
}
