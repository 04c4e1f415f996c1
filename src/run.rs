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
use crate::report::{self, AggregateRow, Manifest, SummaryRow};
use crate::scenario::{Scenario, Study};
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
    let base = study.base();
    let dir = args.out.join(study.name());
    prepare_dir(&dir, args.force)?;
    let started = Instant::now();
    let jobs: Vec<(usize, u32)> = study
        .configurations
        .iter()
        .enumerate()
        .flat_map(|(i, c)| (0..c.scenario.replications).map(move |r| (i, r)))
        .collect();
    let total: u64 = jobs
        .iter()
        .map(|&(i, _)| (study.configurations[i].scenario.end().as_micros() / 1_000_000).max(1))
        .sum();
    let bar = progress_bar(total, args.quiet, study.name());
    // Configurations x replications run in parallel; `collect` keeps their order, and
    // each run owns its state, so the output does not depend on the number of threads.
    let outputs = pool
        .install(|| {
            jobs.par_iter()
                .map(|&(i, replication)| {
                    let mut shown = 0u64;
                    sim::run(&study.configurations[i].scenario, replication, &mut |t| {
                        let now = t.as_micros() / 1_000_000;
                        bar.inc(now.saturating_sub(shown));
                        shown = shown.max(now);
                    })
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .with_context(|| format!("{}: setting up the gateway", base.source.display()))?;
    bar.finish_and_clear();
    let mut summary: Vec<SummaryRow> = Vec::new();
    let mut series = Vec::new();
    let mut simulated = 0u64;
    for (&(i, _), output) in jobs.iter().zip(&outputs) {
        let c = &study.configurations[i];
        simulated += output.simulated_requests;
        summary.push(report::summary_row(&c.scenario, &c.name, output));
        series.extend(report::timeseries_rows(&c.scenario, &c.name, output));
    }
    let names: Vec<String> = study
        .configurations
        .iter()
        .map(|c| c.name.clone())
        .collect();
    let aggregate = report::aggregate_rows(&names, study.baseline, &summary);
    let verdicts = judge(study, &aggregate);
    let wall = started.elapsed().as_secs_f64();
    let manifest = Manifest {
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
                let a: BTreeMap<String, String> = c.scenario.assumptions().into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
                (c.name.clone(), a)
            })
            .collect(),
        checks: verdicts.iter().map(|v| v.line()).collect(),
        price_table: "USD/hour, us-east-1: 0.5 GB $0.020 (third-party source); 1.6 $0.038, 6.1 $0.200, 13.5 $0.250, 28.4 $0.500, 58.2 $1.000, 118 $1.900, 237 $3.800 (recalled list prices, unconfirmed)".to_owned(),
        wall_time_s: wall,
        simulated_requests: simulated,
        simulated_requests_per_second: if wall > 0.0 { simulated as f64 / wall } else { 0.0 },
    };
    let write = |name: &str, bytes: &[u8]| {
        report::write_atomic(&dir.join(name), bytes)
            .with_context(|| format!("writing {}", dir.join(name).display()))
    };
    write("summary.csv", &report::csv_bytes(&summary)?)?;
    write("aggregate.csv", &report::csv_bytes(&aggregate)?)?;
    write("timeseries.csv", &report::csv_bytes(&series)?)?;
    write("manifest.json", &serde_json::to_vec_pretty(&manifest)?)?;
    print_summary(out, study, &dir, &aggregate, &verdicts, simulated, wall)?;
    Ok(if verdicts.iter().any(|v| !v.pass) {
        1
    } else {
        0
    })
}

/// A check judged for one configuration.
struct Verdict {
    configuration: String,
    check: String,
    mean: f64,
    pass: bool,
}

impl Verdict {
    fn line(&self) -> String {
        format!(
            "{} {}: {} (mean {})",
            if self.pass { "PASS" } else { "FAIL" },
            self.configuration,
            self.check,
            self.mean
        )
    }
}

fn judge(study: &Study, aggregate: &[AggregateRow]) -> Vec<Verdict> {
    let mut out = Vec::new();
    for c in &study.configurations {
        for check in &study.checks {
            let mean = aggregate
                .iter()
                .find(|r| r.variant == c.name && r.metric == check.metric)
                .map_or(f64::NAN, |r| r.mean);
            out.push(Verdict {
                configuration: c.name.clone(),
                check: check.text.clone(),
                mean,
                pass: check.op.holds(mean, check.value),
            });
        }
    }
    out
}

fn prepare_dir(dir: &Path, force: bool) -> anyhow::Result<()> {
    if dir.exists() {
        let nonempty = std::fs::read_dir(dir)
            .with_context(|| format!("reading {}", dir.display()))?
            .next()
            .is_some();
        if nonempty && !force {
            bail!(
                "{} already exists; pass --force to replace its reports, or --out to write elsewhere",
                dir.display()
            );
        }
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))
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
    study: &Study,
    dir: &Path,
    aggregate: &[AggregateRow],
    verdicts: &[Verdict],
    simulated: u64,
    wall: f64,
) -> std::io::Result<()> {
    let base = study.base();
    writeln!(
        out,
        "{}: {} configuration(s) x {} replication(s) of {} -> {}",
        study.name(),
        study.configurations.len(),
        base.replications,
        base.duration,
        dir.display()
    )?;
    for c in &study.configurations {
        let mean = |metric: &str| {
            aggregate
                .iter()
                .find(|r| r.variant == c.name && r.metric == metric)
                .map_or(f64::NAN, |r| r.mean)
        };
        writeln!(
            out,
            "  {:<16} hit rate {:.4}  backend {:.1} rps mean, {:.0} peak  stale {:.4}  403s {:.0}  ignored max-age=0 {:.0}  wrong responses {:.0}",
            c.name,
            mean("hit_rate"),
            mean("backend_rps_mean"),
            mean("backend_rps_peak"),
            mean("stale_fraction"),
            mean("invalidations_rejected"),
            mean("invalidations_ignored"),
            mean("wrong_key_responses"),
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
