//! Report files: `summary.csv` (a row per configuration × replication),
//! `timeseries.csv` (a row per window), `manifest.json` (what ran). Rows are
//! `Serialize` structs, so the column order is the field order and units are in the
//! column names; writers take `impl Write` so tests can check bytes; files are written
//! to a temporary name and renamed into place, so a reader never sees a partial file.

mod aggregate;
mod calibration;
mod compare;
mod html;
mod plot;
mod rows;
mod sources;
mod verdict;

use std::io::Write;
use std::path::Path;

pub use crate::metrics::SummaryRow;
pub use aggregate::AggregateRow;
pub(crate) use aggregate::{aggregate_rows, mean_ci};
pub use calibration::{Calibration, CalibrationRow};
pub(crate) use calibration::{calibration_rows, observed_note};
pub use compare::CompareRow;
pub(crate) use compare::{compare, pairing, read_summary};
pub(crate) use html::{HtmlReport, num, render_html};
pub(crate) use plot::{Chart, PlotData, charts};
pub use rows::{Manifest, StalenessRow, TimeseriesRow, TraceSummary};
pub(crate) use rows::{staleness_rows, summary_row, timeseries_rows};
pub use sources::ClientRow;
pub(crate) use sources::client_rows;
pub use verdict::{Outcome, Verdict};
pub(crate) use verdict::{judge, mean_of, ranking};

/// Writes CSV rows (with a header) to `out`.
pub(crate) fn write_csv<R: serde::Serialize>(
    out: impl Write,
    rows: &[R],
) -> Result<(), csv::Error> {
    let mut w = csv::Writer::from_writer(out);
    for row in rows {
        w.serialize(row)?;
    }
    w.flush()?;
    Ok(())
}

/// The CSV text of `rows`.
pub(crate) fn csv_bytes<R: serde::Serialize>(rows: &[R]) -> Result<Vec<u8>, csv::Error> {
    let mut buf = Vec::new();
    write_csv(&mut buf, rows)?;
    Ok(buf)
}

/// Writes `bytes` to `path` atomically: a temporary file in the same folder (removed
/// if anything fails), synced, then renamed over `path`, so a reader sees the old file
/// or the new one, never a part. The file gets the permissions any new file gets (the
/// umask's), not the temporary file's owner-only ones.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let prefix = format!(".{name}.");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut tmp = builder.tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_atomic_write_replaces_the_file_with_the_permissions_of_a_new_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("summary.csv");
        super::write_atomic(&path, b"old").unwrap();
        super::write_atomic(&path, b"new").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "no temporary file left: {names:?}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let plain = dir.path().join("plain");
            std::fs::write(&plain, b"").unwrap();
            let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode();
            assert_eq!(mode(&path), mode(&plain), "as File::create makes them");
        }
    }
}
