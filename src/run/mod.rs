//! `cachegate run`: load each scenario with its configurations, simulate every
//! configuration x replication, write the report folder, judge the checks, print a short
//! summary. The progress bars (the traces' check, then the runs) go to stderr, hidden
//! unless asked for ([`RunOptions::progress`]) or when stderr is not a terminal.
//!
//! The steps live apart: the trace pre-scan (`traces.rs`) and what it keeps for the next
//! run (`trace_checks.rs`), part files and their seals
//! (`parts.rs`), what a folder's parts belong to (`record.rs`), writing the report from
//! the parts (`finish.rs`), `cachegate merge` ([`merge`](self::merge())) and the printed
//! summary (`summary.rs`).

mod finish;
mod merge;
mod parts;
mod record;
mod summary;
mod trace_checks;
mod traces;

use std::io::{IsTerminal, Write};
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context as _, bail};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;

use crate::report;
use crate::scenario::{Configuration, Scenario, Study};
use crate::sim;
use crate::time::SimDuration;

pub use merge::merge;
pub(crate) use parts::{Part, read_part, write_part};

use finish::finish;
use parts::{prepare_dir, unit_stem};
use record::StudyRecord;
use traces::{Traces, attach_recordings, detach_recordings, read_traces};

/// How `cachegate run` runs its scenario files: where the reports go, what replaces the
/// scenarios' own values, what happens to an existing report folder, which shard runs,
/// on how many threads, and whether progress is shown.
///
/// ```
/// use cachegate::run::{Existing, RunOptions};
///
/// let options = RunOptions {
///     out: std::env::temp_dir().join("cachegate-doc-reports"),
///     existing: Existing::Replace,
///     ..RunOptions::default()
/// };
/// assert!(!options.progress);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct RunOptions {
    /// Folder the reports go in: each scenario writes to `out/<name>/`.
    pub out: PathBuf,
    /// Values that replace each scenario's own.
    pub overrides: Overrides,
    /// What to do with a report folder that already holds files.
    pub existing: Existing,
    /// Run only one shard of the configuration x replication runs.
    pub shard: Option<Shard>,
    /// Worker threads (default: all cores). Results are identical whatever the number.
    pub threads: Option<NonZeroUsize>,
    /// Show a progress bar on stderr (when it is a terminal).
    pub progress: bool,
    /// Bytes a study may keep its traces' requests in, so its runs replay them from
    /// memory rather than reading the files again (0: always read the files).
    pub trace_memory: usize,
}

/// The default of [`RunOptions::trace_memory`]: 1 GiB, about 25 million requests.
pub const DEFAULT_TRACE_MEMORY: usize = 1 << 30;

impl Default for RunOptions {
    /// Reports under `reports/`, the scenarios as written, an existing folder refused,
    /// every run, all cores, no progress bar, traces kept in up to 1 GiB.
    fn default() -> RunOptions {
        RunOptions {
            out: PathBuf::from("reports"),
            overrides: Overrides::default(),
            existing: Existing::Refuse,
            shard: None,
            threads: None,
            progress: false,
            trace_memory: DEFAULT_TRACE_MEMORY,
        }
    }
}

/// Values that replace every configuration's own (`--seed`, `--replications`,
/// `--duration`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Overrides {
    /// The seed.
    pub seed: Option<u64>,
    /// The number of replications (at least 1).
    pub replications: Option<u32>,
    /// The measured duration (more than zero); events and client stops past the new end
    /// simply do not happen.
    pub duration: Option<SimDuration>,
}

impl Overrides {
    fn apply(&self, s: &mut Scenario) {
        if let Some(seed) = self.seed {
            s.seed = seed;
        }
        if let Some(n) = self.replications {
            s.replications = n;
        }
        if let Some(d) = self.duration {
            s.duration = d;
        }
    }
}

/// What to do with a report folder that already holds files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Existing {
    /// Stop with an error: nothing already there is lost unasked.
    Refuse,
    /// Replace its reports (`--force`).
    Replace,
    /// Continue it: runs whose parts were already written (for the same scenario, seed
    /// and settings) are not simulated again (`--resume`).
    Resume,
}

/// Shard `index` of `count` (`--shard K/N`): the configuration x replication runs `u`
/// (numbered configuration-major) with `u mod count = index - 1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// From 1 to `count`.
    pub index: u32,
    /// How many shards the runs are split into.
    pub count: u32,
}

impl Shard {
    /// Whether run `unit` belongs to this shard.
    fn holds(self, unit: u64) -> bool {
        unit % u64::from(self.count) == u64::from(self.index - 1)
    }
}

/// Runs every scenario file of `scenarios` with `options`, writing each report folder and
/// printing a short summary of each to `out`; returns the exit status: 0, or 1 when a
/// check failed.
pub fn run(scenarios: &[PathBuf], options: &RunOptions, out: &mut dyn Write) -> anyhow::Result<u8> {
    // Validate everything first, so a bad file is reported before any long run.
    let mut studies = Vec::new();
    for path in scenarios {
        let mut study = Study::load(path)?;
        for c in &mut study.configurations {
            options.overrides.apply(&mut c.scenario);
        }
        // Overrides may have made the study too large to hold.
        if let Some(problem) = study.size_problem() {
            bail!("{}: {problem}", path.display());
        }
        studies.push(study);
    }
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(n) = options.threads {
        pool = pool.num_threads(n.get());
    }
    let pool = pool.build().context("starting worker threads")?;
    let mut status = 0;
    for study in &mut studies {
        let ran = run_study(study, options, &pool, out);
        detach_recordings(study);
        status = status.max(ran?);
    }
    Ok(status)
}

fn run_study(
    study: &mut Study,
    options: &RunOptions,
    pool: &rayon::ThreadPool,
    out: &mut dyn Write,
) -> anyhow::Result<u8> {
    let dir = options.out.join(study.name());
    // A shard adds its parts to a folder other shards may be writing too, and takes
    // those already there, as a resumed run does.
    let reuse = options.existing == Existing::Resume || options.shard.is_some();
    prepare_dir(&dir, options.existing == Existing::Replace, reuse)?;
    // The unit of work, of resuming and of sharding is one configuration x replication,
    // numbered configuration-major: unit u is replication u mod R of configuration u / R.
    let replications = u64::from(study.base().replications);
    let units: Vec<(usize, u32)> = (0..study.configurations.len())
        .flat_map(|i| (0..study.base().replications).map(move |r| (i, r)))
        .enumerate()
        .filter(|&(u, _)| options.shard.is_none_or(|s| s.holds(u as u64)))
        .map(|(_, unit)| unit)
        .collect();
    // Traces are read once before anything runs (unless an earlier run's check of the
    // same files is kept): too many bad lines stop here, and what they contain goes into
    // the manifest and the fingerprints. A study of one run (nothing to resume) leaves
    // the check to that run, which reads each trace once for both.
    let one_run = !reuse && study.configurations.len() as u64 * replications == 1;
    let parts = dir.join("parts");
    let mut traces = read_traces(
        study,
        pool,
        options.trace_memory,
        &parts,
        options.progress,
        one_run,
    )?;
    let in_run = traces.in_run();
    if !in_run {
        traces.keep(&parts)?;
    }
    // Fewer runs than threads: a run may read its trace on a thread of its own.
    attach_recordings(
        study,
        &mut traces.reads,
        units.len() < pool.current_num_threads(),
    );
    let study = &*study;
    let notes = |traces: &Traces| {
        for t in &traces.reads {
            for note in &t.notes {
                eprintln!("warning: {}: {note}", study.name());
            }
        }
    };
    if !in_run {
        notes(&traces);
    }
    for warning in study.warnings() {
        eprintln!("warning: {}: {warning}", study.name());
    }
    std::fs::create_dir_all(&parts).with_context(|| format!("creating {}", parts.display()))?;
    let write_record = |traces: &Traces| -> anyhow::Result<StudyRecord> {
        let record = StudyRecord::of(study, &traces.reads);
        let path = parts.join("study.json");
        report::write_atomic(&path, &serde_json::to_vec_pretty(&record)?)
            .with_context(|| format!("writing {}", path.display()))?;
        Ok(record)
    };
    let started = Instant::now();
    let seconds = |c: &Configuration| (c.scenario.end().as_micros() / 1_000_000).max(1);
    let total: u64 = units
        .iter()
        .map(|&(i, _)| seconds(&study.configurations[i]))
        .sum();
    let bar = progress_bar(
        total,
        options.progress,
        study.name(),
        "{prefix} [{bar:30}] {pos}/{len} simulated s ({eta}){msg}",
    );
    // One configuration x replication's run, as a part.
    let run_unit = |i: usize, replication: u32| -> anyhow::Result<Part> {
        let c = &study.configurations[i];
        let mut shown = 0u64;
        let output = sim::run(&c.scenario, replication, &mut |t| {
            let now = t.as_micros() / 1_000_000;
            bar.inc(now.saturating_sub(shown));
            shown = shown.max(now);
            if in_run && t >= c.scenario.end() {
                bar.set_message(", checking the rest of the trace");
            }
        })
        .with_context(|| {
            format!(
                "{}: configuration `{}`",
                c.scenario.source.display(),
                c.name
            )
        })?;
        Ok(Part {
            summary: vec![report::summary_row(&c.scenario, &c.name, &output)],
            series: report::timeseries_rows(&c.scenario, &c.name, &output),
            staleness: report::staleness_rows(&c.name, &output),
            clients: report::client_rows(&c.scenario, &c.name, &output),
            simulated: output.simulated_requests,
            resumed: false,
        })
    };
    let (record, results) = if in_run {
        // The one run took the traces' checks: what the record's fingerprints and the
        // manifest need is known once it is over.
        let &[(i, replication)] = units.as_slice() else {
            unreachable!("a study of one run has one unit");
        };
        let part = pool.install(|| run_unit(i, replication))?;
        bar.finish_and_clear();
        traces.take_from_run()?;
        traces.keep(&parts)?;
        notes(&traces);
        let record = write_record(&traces)?;
        write_part(&parts.join(unit_stem(&record.stems[i], replication)), &part)?;
        (record, vec![part])
    } else {
        let record = write_record(&traces)?;
        // Units run in parallel; each one's rows are written under parts/ as soon as
        // it finishes, so an interrupted run keeps them and `--resume` reuses them.
        // `collect` keeps the order, and each run owns its state, so the output does
        // not depend on the thread count.
        let results = pool.install(|| {
            units
                .par_iter()
                .map(|&(i, replication)| {
                    let stem = parts.join(unit_stem(&record.stems[i], replication));
                    if reuse {
                        if let Some(done) = read_part(&stem)? {
                            bar.inc(seconds(&study.configurations[i]));
                            return Ok(done);
                        }
                    }
                    let part = run_unit(i, replication)?;
                    write_part(&stem, &part)?;
                    Ok(part)
                })
                .collect::<anyhow::Result<Vec<Part>>>()
        })?;
        (record, results)
    };
    bar.finish_and_clear();
    if let Some(Shard { index: k, count: n }) = options.shard {
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
    finish(
        &record,
        results,
        &dir,
        started.elapsed().as_secs_f64(),
        Some(pool),
        out,
    )
}

/// A bar of `total` (simulated seconds, bytes) on stderr, drawn with `template`;
/// hidden unless `shown` and stderr is a terminal.
fn progress_bar(total: u64, shown: bool, name: &str, template: &str) -> ProgressBar {
    if !shown || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_prefix(name.to_owned());
    bar
}
