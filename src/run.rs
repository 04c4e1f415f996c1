//! `cachegate run`: load each scenario with its configurations, simulate every
//! configuration x replication, write the report folder, judge the checks, print a short
//! summary. The progress bar goes to stderr and is hidden with
//! `--quiet` or when stderr is not a terminal.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::time::Instant;

use anyhow::{Context as _, bail};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;

use crate::cli::RunArgs;
use crate::metrics::{Check, Metric, Rank};
use crate::report::{
    self, AggregateRow, Manifest, StalenessRow, SummaryRow, TimeseriesRow, TraceSummary, Verdict,
};
use crate::scenario::{Configuration, Scenario, Study};
use crate::sim;

/// Runs every scenario in `args`; returns the exit status: 0, or 1 when a check failed.
pub fn run(args: &RunArgs, out: &mut dyn Write) -> anyhow::Result<u8> {
    // Validate everything first, so a bad file is reported before any long run.
    let mut studies = Vec::new();
    for path in &args.scenarios {
        let mut study = Study::load(path)?;
        for c in &mut study.configurations {
            apply_overrides(&mut c.scenario, args)?;
        }
        // Overrides may have made the study too large to hold.
        if let Some(problem) = study.size_problem() {
            bail!("{}: {problem}", path.display());
        }
        studies.push(study);
    }
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(n) = args.threads {
        pool = pool.num_threads(usize::from(n));
    }
    let pool = pool.build().context("starting worker threads")?;
    let mut status = 0;
    for study in &studies {
        status = status.max(run_study(study, args, &pool, out)?);
    }
    Ok(status)
}

fn apply_overrides(s: &mut Scenario, args: &RunArgs) -> anyhow::Result<()> {
    if let Some(seed) = args.seed {
        s.seed = seed;
    }
    if let Some(n) = args.replications {
        s.replications = n;
    }
    if let Some(d) = &args.duration {
        let d =
            crate::scenario::parse_duration(d).map_err(|e| anyhow::anyhow!("--duration: {e}"))?;
        if d.is_zero() {
            bail!("--duration: must be > 0");
        }
        s.duration = d;
    }
    Ok(())
}

fn run_study(
    study: &Study,
    args: &RunArgs,
    pool: &rayon::ThreadPool,
    out: &mut dyn Write,
) -> anyhow::Result<u8> {
    let dir = args.out.join(study.name());
    // A shard adds its parts to a folder other shards may be writing too.
    prepare_dir(&dir, args.force, args.resume || args.shard.is_some())?;
    // Traces are read once before anything runs: too many bad lines stop here, and what
    // they contain goes into the manifest and the fingerprints.
    let traces = read_traces(study, pool)?;
    for t in &traces {
        for note in &t.notes {
            eprintln!("warning: {}: {note}", study.name());
        }
    }
    for warning in study.warnings() {
        eprintln!("warning: {}: {warning}", study.name());
    }
    let parts = dir.join("parts");
    std::fs::create_dir_all(&parts).with_context(|| format!("creating {}", parts.display()))?;
    let record = StudyRecord::of(study, &traces);
    report::write_atomic(
        &parts.join("study.json"),
        &serde_json::to_vec_pretty(&record)?,
    )
    .with_context(|| format!("writing {}", parts.join("study.json").display()))?;
    let started = Instant::now();
    // The unit of work, of resuming and of sharding is one configuration x replication,
    // numbered configuration-major: unit u is replication u mod R of configuration u / R.
    let replications = u64::from(study.base().replications);
    let units: Vec<(usize, u32)> = (0..study.configurations.len())
        .flat_map(|i| (0..study.base().replications).map(move |r| (i, r)))
        .enumerate()
        .filter(|&(u, _)| {
            args.shard
                .is_none_or(|(k, n)| u as u64 % u64::from(n) == u64::from(k - 1))
        })
        .map(|(_, unit)| unit)
        .collect();
    let seconds = |c: &Configuration| (c.scenario.end().as_micros() / 1_000_000).max(1);
    let total: u64 = units
        .iter()
        .map(|&(i, _)| seconds(&study.configurations[i]))
        .sum();
    let bar = progress_bar(total, args.quiet, study.name());
    // Units run in parallel; each one's rows are written under parts/ as soon as it
    // finishes, so an interrupted run keeps them and `--resume` reuses them. `collect`
    // keeps the order, and each run owns its state, so the output does not depend on
    // the thread count.
    let results = pool.install(|| {
        units
            .par_iter()
            .map(|&(i, replication)| {
                let c = &study.configurations[i];
                let stem = parts.join(unit_stem(&record.stems[i], replication));
                if args.resume || args.shard.is_some() {
                    if let Some(done) = read_part(&stem)? {
                        bar.inc(seconds(c));
                        return Ok(done);
                    }
                }
                let mut shown = 0u64;
                let output = sim::run(&c.scenario, replication, &mut |t| {
                    let now = t.as_micros() / 1_000_000;
                    bar.inc(now.saturating_sub(shown));
                    shown = shown.max(now);
                })
                .with_context(|| {
                    format!(
                        "{}: configuration `{}`",
                        c.scenario.source.display(),
                        c.name
                    )
                })?;
                let part = Part {
                    summary: vec![report::summary_row(&c.scenario, &c.name, &output)],
                    series: report::timeseries_rows(&c.scenario, &c.name, &output),
                    staleness: report::staleness_rows(&c.name, &output),
                    simulated: output.simulated_requests,
                    resumed: false,
                };
                write_part(&stem, &part)?;
                Ok(part)
            })
            .collect::<anyhow::Result<Vec<Part>>>()
    })?;
    bar.finish_and_clear();
    if let Some((k, n)) = args.shard {
        writeln!(
            out,
            "{}: shard {k}/{n}: {} of {} configuration x replication run(s) written to {}; when every shard is done, run again with --resume (same arguments, no --shard) to combine them",
            study.name(),
            results.len(),
            study.configurations.len() as u64 * replications,
            parts.display()
        )?;
        return Ok(0);
    }
    let resumed = results.iter().filter(|p| p.resumed).count();
    if resumed > 0 {
        writeln!(
            out,
            "{}: {resumed} configuration x replication run(s) resumed from {}",
            study.name(),
            parts.display()
        )?;
    }
    finish(&record, results, &dir, started.elapsed().as_secs_f64(), out)
}

/// What a report folder's parts belong to (`parts/study.json`): enough to finish the
/// report from the parts alone, without the scenario file (`cachegate merge`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct StudyRecord {
    /// The manifest, but for what only finishing knows (checks' verdicts, wall time).
    manifest: Manifest,
    /// Each configuration's part file stem, `NNN-<fingerprint>`; a replication's parts add `-rRRR`.
    stems: Vec<String>,
    /// The checks as written.
    checks: Vec<String>,
    /// The scenario's description.
    #[serde(default)]
    description: String,
    /// Per configuration, what it sets over the scenario file.
    #[serde(default)]
    changes: Vec<Vec<String>>,
    /// The verdict's order, as written.
    #[serde(default)]
    rank_by: Vec<String>,
}

impl StudyRecord {
    fn of(study: &Study, traces: &[TraceRead]) -> StudyRecord {
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
        }
    }
}

/// Writes the report files from every configuration's part; returns the exit status
/// (1 when a check failed).
fn finish(
    record: &StudyRecord,
    parts: Vec<Part>,
    dir: &Path,
    wall: f64,
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
    let charts = report::charts(&report::PlotData {
        names,
        baseline,
        window_s: manifest.window_s,
        duration_s: manifest.duration_s,
        series: &series,
        staleness: &staleness,
        aggregate: &aggregate,
        compare: &shown,
        checks: &checks,
    })?;
    write("summary.csv", &report::csv_bytes(&summary)?)?;
    write("aggregate.csv", &report::csv_bytes(&aggregate)?)?;
    write("timeseries.csv", &report::csv_bytes(&series)?)?;
    write("staleness.csv", &report::csv_bytes(&staleness)?)?;
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
    });
    write("report.html", html.as_bytes())?;
    write("manifest.json", &serde_json::to_vec_pretty(&manifest)?)?;
    print_summary(
        out,
        &manifest,
        dir,
        &aggregate,
        &verdicts,
        simulated_now,
        wall,
    )?;
    Ok(if verdicts.iter().any(|v| !v.pass()) {
        1
    } else {
        0
    })
}

/// Writes each chart as `plots/<stem>.svg` and `.png`, and removes plots an earlier run
/// of the folder left that this one did not draw.
fn write_plots(dir: &Path, charts: &[report::Chart]) -> anyhow::Result<()> {
    let plots = dir.join("plots");
    std::fs::create_dir_all(&plots).with_context(|| format!("creating {}", plots.display()))?;
    let mut written = Vec::new();
    for c in charts {
        for (ext, bytes) in [("svg", c.svg.as_bytes()), ("png", &c.png[..])] {
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
    finish(&record, parts, &dir, 0.0, out)
}

fn prepare_dir(dir: &Path, force: bool, resume: bool) -> anyhow::Result<()> {
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
        if force {
            let parts = dir.join("parts");
            if parts.exists() {
                std::fs::remove_dir_all(&parts)
                    .with_context(|| format!("removing {}", parts.display()))?;
            }
        }
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))
}

/// The part file stem of one replication of the configuration whose stem is `stem`.
fn unit_stem(stem: &str, replication: u32) -> String {
    format!("{stem}-r{replication:03}")
}

/// One configuration x replication's finished rows.
pub(crate) struct Part {
    pub(crate) summary: Vec<SummaryRow>,
    pub(crate) series: Vec<TimeseriesRow>,
    pub(crate) staleness: Vec<StalenessRow>,
    /// Requests the unit simulated (warm-up included), whenever it ran.
    pub(crate) simulated: u64,
    /// Read from an earlier run's parts rather than simulated now.
    pub(crate) resumed: bool,
}

/// A trace file as read before the run.
struct TraceRead {
    file: std::path::PathBuf,
    summary: TraceSummary,
    notes: Vec<String>,
}

/// Reads every distinct trace file of the study once (in parallel), with its SHA-256.
fn read_traces(study: &Study, pool: &rayon::ThreadPool) -> anyhow::Result<Vec<TraceRead>> {
    let mut distinct: Vec<(&crate::trace::TraceModel, crate::time::SimTime)> = Vec::new();
    for c in &study.configurations {
        for t in &c.scenario.traces {
            if !distinct.iter().any(|(d, _)| **d == *t) {
                distinct.push((t, c.scenario.end()));
            }
        }
    }
    pool.install(|| {
        distinct
            .par_iter()
            .map(|&(t, end)| -> anyhow::Result<TraceRead> {
                // Two reads of the file, side by side: on a large trace each takes about
                // a quarter of the run's wall time.
                let (tally, sha256) = rayon::join(
                    || crate::trace::scan(t, end),
                    || crate::trace::file_sha256(t),
                );
                let (tally, sha256) = (tally?, sha256?);
                Ok(TraceRead {
                    file: t.file.clone(),
                    notes: tally.notes(&t.name),
                    summary: TraceSummary {
                        name: t.name.clone(),
                        file: t.file.display().to_string(),
                        sha256,
                        requests: tally.requests,
                        bad_records: tally.bad,
                        bad_examples: tally.first_bad.clone(),
                        unmodelled: tally
                            .unmodelled
                            .iter()
                            .map(|(l, n)| format!("{l} x{n}"))
                            .collect(),
                        reordered: tally.reordered,
                        span_s: tally.span.as_secs_f64(),
                        after_end: tally.after_end,
                    },
                })
            })
            .collect()
    })
}

/// What a configuration's results depend on: a part written for another scenario text,
/// trace contents, seed, length or version is not reused.
fn fingerprint(c: &Configuration, traces: &[TraceRead]) -> String {
    let s = &c.scenario;
    let trace_hashes: Vec<&str> = s
        .traces
        .iter()
        .filter_map(|t| traces.iter().find(|r| r.file == t.file))
        .map(|r| r.summary.sha256.as_str())
        .collect();
    let key = format!(
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
    crate::hex::sha256(key.as_bytes())[..16].to_owned()
}

/// The three CSV files of a part, by the extension each has after the stem.
const PART_FILES: [&str; 3] = ["timeseries.csv", "staleness.csv", "summary.csv"];

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
            .insert((*ext).to_owned(), crate::hex::sha256(bytes));
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
        if seal.sha256.get(ext) != Some(&crate::hex::sha256(&bytes)) {
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
        summary: rows(&files[2], "a summary")?,
        simulated: seal.simulated_requests,
        resumed: true,
    }))
}

fn progress_bar(total: u64, quiet: bool, name: &str) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} simulated s ({eta})")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_prefix(name.to_owned());
    bar
}

fn print_summary(
    out: &mut dyn Write,
    manifest: &Manifest,
    dir: &Path,
    aggregate: &[AggregateRow],
    verdicts: &[Verdict],
    simulated: u64,
    wall: f64,
) -> std::io::Result<()> {
    writeln!(
        out,
        "{}: {} configuration(s) x {} replication(s) of {}s -> {}",
        manifest.scenario,
        manifest.configurations.len(),
        manifest.replications,
        manifest.duration_s,
        dir.display()
    )?;
    for name in &manifest.configurations {
        let mean = |metric| report::mean_of(aggregate, name, metric);
        writeln!(
            out,
            "  {:<16} hit rate {:.4}  backend {:.1} rps mean, {:.0} peak  stale {:.4}  403s {:.0}  ignored max-age=0 {:.0}  wrong responses {:.0}",
            name,
            mean(Metric::HitRate),
            mean(Metric::BackendRpsMean),
            mean(Metric::BackendRpsPeak),
            mean(Metric::StaleFraction),
            mean(Metric::InvalidationsRejected),
            mean(Metric::InvalidationsIgnored),
            mean(Metric::WrongKeyResponses),
        )?;
    }
    for v in verdicts {
        writeln!(out, "  {}", v.line())?;
    }
    writeln!(
        out,
        "  {} requests simulated in {:.2} s ({:.2} M/s)",
        simulated,
        wall,
        if wall > 0.0 {
            simulated as f64 / wall / 1e6
        } else {
            0.0
        }
    )
}
