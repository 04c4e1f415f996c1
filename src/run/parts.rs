//! Part files: each configuration x replication's rows, written under `parts/` as soon
//! as it finishes and sealed with their checksums, so an interrupted run keeps them,
//! `--resume` and `merge` reuse them, and a truncated or edited part is refused.

use std::path::Path;

use anyhow::{Context as _, bail};

use crate::report::{self, ClientRow, StalenessRow, SummaryRow, TimeseriesRow};

/// Makes `dir` ready for a report: refused when it holds files unless `force` (its
/// parts are removed, but for the traces' checks, which describe the trace files and
/// not the report) or `resume` (they are kept).
pub(super) fn prepare_dir(dir: &Path, force: bool, resume: bool) -> anyhow::Result<()> {
    if dir.exists() {
        let nonempty = std::fs::read_dir(dir)
            .with_context(|| format!("reading {}", dir.display()))?
            .next()
            .is_some();
        if nonempty && !force && !resume {
            bail!(
                "{} already exists; pass --resume to continue it, --force to replace its reports, or --out to write elsewhere",
                dir.display()
            );
        }
        let parts = dir.join("parts");
        if force && parts.exists() {
            let entries = std::fs::read_dir(&parts)
                .with_context(|| format!("reading {}", parts.display()))?;
            for entry in entries {
                let path = entry
                    .with_context(|| format!("reading {}", parts.display()))?
                    .path();
                if path.file_name() == Some(super::trace_checks::FILE.as_ref()) {
                    continue;
                }
                let removed = if path.is_dir() {
                    std::fs::remove_dir_all(&path)
                } else {
                    std::fs::remove_file(&path)
                };
                removed.with_context(|| format!("removing {}", path.display()))?;
            }
        }
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))
}

/// The part file stem of one replication of the configuration whose stem is `stem`.
pub(super) fn unit_stem(stem: &str, replication: u32) -> String {
    format!("{stem}-r{replication:03}")
}

/// One configuration x replication's finished rows.
pub(crate) struct Part {
    pub(crate) summary: Vec<SummaryRow>,
    pub(crate) series: Vec<TimeseriesRow>,
    pub(crate) staleness: Vec<StalenessRow>,
    pub(crate) clients: Vec<ClientRow>,
    /// Requests the unit simulated (warm-up included), whenever it ran.
    pub(crate) simulated: u64,
    /// Read from an earlier run's parts rather than simulated now.
    pub(crate) resumed: bool,
}

/// The CSV files of a part, by the extension each has after the stem.
const PART_FILES: [&str; 4] = [
    "timeseries.csv",
    "staleness.csv",
    "clients.csv",
    "summary.csv",
];

/// A part's seal (`<stem>.part.json`), written after its files: its presence marks the
/// part complete, and the files' checksums show whether they are still as written.
#[derive(serde::Serialize, serde::Deserialize)]
struct Seal {
    /// Requests the unit simulated (warm-up included).
    simulated_requests: u64,
    /// SHA-256 of each file, by the extension in [`PART_FILES`].
    sha256: std::collections::BTreeMap<String, String>,
}

pub(crate) fn write_part(stem: &Path, part: &Part) -> anyhow::Result<()> {
    let bytes = [
        report::csv_bytes(&part.series)?,
        report::csv_bytes(&part.staleness)?,
        report::csv_bytes(&part.clients)?,
        report::csv_bytes(&part.summary)?,
    ];
    let mut seal = Seal {
        simulated_requests: part.simulated,
        sha256: Default::default(),
    };
    for (ext, bytes) in PART_FILES.iter().zip(&bytes) {
        let path = stem.with_extension(ext);
        report::write_atomic(&path, bytes)
            .with_context(|| format!("writing {}", path.display()))?;
        seal.sha256
            .insert((*ext).to_owned(), crate::checksum::sha256(bytes));
    }
    // The seal goes last: its presence marks the part complete.
    let path = stem.with_extension("part.json");
    report::write_atomic(&path, &serde_json::to_vec_pretty(&seal)?)
        .with_context(|| format!("writing {}", path.display()))
}

/// The part at `stem`, if it was finished (sealed); an error when it was sealed but its
/// files are missing or no longer what was written.
pub(crate) fn read_part(stem: &Path) -> anyhow::Result<Option<Part>> {
    let seal_path = stem.with_extension("part.json");
    let seal_bytes = match std::fs::read(&seal_path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("reading {}", seal_path.display())),
    };
    let seal: Seal = serde_json::from_slice(&seal_bytes).with_context(|| {
        format!(
            "{}: not a part seal written by cachegate (damaged? delete the part's files to \
             simulate it again)",
            seal_path.display()
        )
    })?;
    let mut files = Vec::with_capacity(PART_FILES.len());
    for ext in PART_FILES {
        let path = stem.with_extension(ext);
        let bytes = std::fs::read(&path).with_context(|| {
            format!(
                "reading {} (sealed as complete by {})",
                path.display(),
                seal_path.display()
            )
        })?;
        if seal.sha256.get(ext) != Some(&crate::checksum::sha256(&bytes)) {
            bail!(
                "{}: its contents are not what was written (its SHA-256 differs from the one \
                 in {}): truncated or edited; delete the part's files to simulate it again",
                path.display(),
                seal_path.display()
            );
        }
        files.push((path, bytes));
    }
    fn rows<T: serde::de::DeserializeOwned>(
        (path, bytes): &(std::path::PathBuf, Vec<u8>),
        what: &str,
    ) -> anyhow::Result<Vec<T>> {
        csv::Reader::from_reader(&bytes[..])
            .deserialize()
            .collect::<Result<Vec<T>, _>>()
            .with_context(|| format!("{}: not {what} written by cachegate", path.display()))
    }
    Ok(Some(Part {
        series: rows(&files[0], "a time series")?,
        staleness: rows(&files[1], "a staleness distribution")?,
        clients: rows(&files[2], "a breakdown by client")?,
        summary: rows(&files[3], "a summary")?,
        simulated: seal.simulated_requests,
        resumed: true,
    }))
}
