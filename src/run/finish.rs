//! Writing a report folder from its parts: the CSV files, the checks judged, the
//! verdict's ranking, the charts, `report.html` and `manifest.json`.

use std::io::Write;
use std::path::Path;

use anyhow::Context as _;

use super::parts::Part;
use super::record::StudyRecord;
use super::summary::print_summary;
use crate::metrics::{Check, Metric, Rank};
use crate::report::{self, ClientRow, Manifest, StalenessRow, SummaryRow, TimeseriesRow, Verdict};

/// Writes the report files from every configuration's part, the charts rasterised on
/// `pool` (rayon's global pool when none); returns the exit status (1 when a check
/// failed).
pub(super) fn finish(
    record: &StudyRecord,
    parts: Vec<Part>,
    dir: &Path,
    wall: f64,
    pool: Option<&rayon::ThreadPool>,
    out: &mut dyn Write,
) -> anyhow::Result<u8> {
    let names = &record.manifest.configurations;
    let baseline = names
        .iter()
        .position(|n| *n == record.manifest.baseline)
        .unwrap_or(0);
    let simulated: u64 = parts.iter().map(|p| p.simulated).sum();
    let simulated_now: u64 = parts
        .iter()
        .filter(|p| !p.resumed)
        .map(|p| p.simulated)
        .sum();
    let summary: Vec<SummaryRow> = parts
        .iter()
        .flat_map(|p| p.summary.iter().cloned())
        .collect();
    let staleness: Vec<StalenessRow> = parts
        .iter()
        .flat_map(|p| p.staleness.iter().cloned())
        .collect();
    let clients: Vec<ClientRow> = parts
        .iter()
        .flat_map(|p| p.clients.iter().cloned())
        .collect();
    let series: Vec<TimeseriesRow> = parts.into_iter().flat_map(|p| p.series).collect();
    let aggregate = report::aggregate_rows(names, baseline, &summary);
    let checks = record
        .checks
        .iter()
        .map(|c| Check::parse(c))
        .collect::<Result<Vec<Check>, _>>()?;
    let rank_by = if record.rank_by.is_empty() {
        Rank::DEFAULT.to_vec()
    } else {
        record
            .rank_by
            .iter()
            .map(|r| Rank::parse(r))
            .collect::<Result<Vec<Rank>, _>>()?
    };
    let verdicts = report::judge(names, &checks, &aggregate);
    let ranking = report::ranking(names, &verdicts, &aggregate, &rank_by);
    let manifest = Manifest {
        checks: verdicts.iter().map(Verdict::line).collect(),
        simulated_requests: simulated,
        ..record.manifest.clone()
    };
    let write = |name: &str, bytes: &[u8]| {
        report::write_atomic(&dir.join(name), bytes)
            .with_context(|| format!("writing {}", dir.join(name).display()))
    };
    // The metrics the table and the comparison plots show: the key ones, then any a
    // check or the verdict's order names.
    let mut shown: Vec<Metric> = Metric::KEY.to_vec();
    for m in checks
        .iter()
        .map(|c| c.metric)
        .chain(rank_by.iter().map(|r| r.metric))
    {
        if !shown.contains(&m) {
            shown.push(m);
        }
    }
    let data = report::PlotData {
        names,
        baseline,
        window_s: manifest.window_s,
        duration_s: manifest.duration_s,
        series: &series,
        staleness: &staleness,
        aggregate: &aggregate,
        compare: &shown,
        checks: &checks,
    };
    let charts = match pool {
        Some(pool) => pool.install(|| report::charts(&data))?,
        None => report::charts(&data)?,
    };
    write("summary.csv", &report::csv_bytes(&summary)?)?;
    write("aggregate.csv", &report::csv_bytes(&aggregate)?)?;
    write("timeseries.csv", &report::csv_bytes(&series)?)?;
    write("staleness.csv", &report::csv_bytes(&staleness)?)?;
    write("clients.csv", &report::csv_bytes(&clients)?)?;
    let calibration = record
        .calibration
        .as_ref()
        .map(|c| (c, report::calibration_rows(c, &summary)));
    if let Some((_, rows)) = &calibration {
        write("calibration.csv", &report::csv_bytes(rows)?)?;
    }
    write_plots(dir, &charts)?;
    let html = report::render_html(&report::HtmlReport {
        manifest: &manifest,
        description: &record.description,
        changes: &record.changes,
        aggregate: &aggregate,
        checks: &record.checks,
        verdicts: &verdicts,
        rank_by: &rank_by,
        ranking: &ranking,
        metrics: &shown,
        charts: &charts,
        clients: &clients,
        calibration: calibration.as_ref().map(|(c, rows)| (*c, rows.as_slice())),
    });
    write("report.html", html.as_bytes())?;
    write("manifest.json", &serde_json::to_vec_pretty(&manifest)?)?;
    print_summary(
        out,
        &manifest,
        dir,
        &aggregate,
        &verdicts,
        calibration.as_ref().map(|(c, rows)| (*c, rows.as_slice())),
        (simulated_now, wall),
    )?;
    Ok(if verdicts.iter().any(|v| !v.pass()) {
        1
    } else {
        0
    })
}

/// Writes each chart as `plots/<stem>.svg` and (with the `png` feature) `.png`, and
/// removes plots an earlier run of the folder left that this one did not draw.
fn write_plots(dir: &Path, charts: &[report::Chart]) -> anyhow::Result<()> {
    let plots = dir.join("plots");
    std::fs::create_dir_all(&plots).with_context(|| format!("creating {}", plots.display()))?;
    let mut written = Vec::new();
    for c in charts {
        let png = c.png.as_deref().map(|bytes| ("png", bytes));
        for (ext, bytes) in std::iter::once(("svg", c.svg.as_bytes())).chain(png) {
            let name = format!("{}.{ext}", c.stem);
            let path = plots.join(&name);
            report::write_atomic(&path, bytes)
                .with_context(|| format!("writing {}", path.display()))?;
            written.push(std::ffi::OsString::from(name));
        }
    }
    for entry in
        std::fs::read_dir(&plots).with_context(|| format!("reading {}", plots.display()))?
    {
        let entry = entry?;
        let name = entry.file_name();
        let ours = [".svg", ".png"]
            .iter()
            .any(|e| name.to_string_lossy().ends_with(e));
        if ours && !written.contains(&name) {
            std::fs::remove_file(entry.path())
                .with_context(|| format!("removing {}", entry.path().display()))?;
        }
    }
    Ok(())
}
