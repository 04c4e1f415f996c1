//! `cachegate run`: load each scenario, simulate every replication, write the report
//! folder, print a short summary. The progress bar goes to stderr and is hidden with
//! `--quiet` or when stderr is not a terminal.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::time::Instant;

use anyhow::{Context as _, bail};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;

use crate::cli::RunArgs;
use crate::report::{self, Manifest, SummaryRow};
use crate::scenario::Scenario;
use crate::sim;

/// The single configuration's name until scenarios declare variants.
pub const BASE_VARIANT: &str = "base";

/// Runs every scenario in `args`; returns the exit status.
pub fn run(args: &RunArgs, out: &mut dyn Write) -> anyhow::Result<u8> {
    // Validate everything first, so a bad file is reported before any long run.
    let mut scenarios = Vec::new();
    for path in &args.scenarios {
        let mut s = Scenario::load(path)?;
        apply_overrides(&mut s, args)?;
        scenarios.push(s);
    }
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(n) = args.threads {
        pool = pool.num_threads(usize::from(n));
    }
    let pool = pool.build().context("starting worker threads")?;
    for s in &scenarios {
        run_one(s, args, &pool, out)?;
    }
    Ok(0)
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

fn run_one(
    s: &Scenario,
    args: &RunArgs,
    pool: &rayon::ThreadPool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let dir = args.out.join(&s.name);
    prepare_dir(&dir, args.force)?;
    let started = Instant::now();
    let total = (s.end().as_micros() / 1_000_000).max(1) * u64::from(s.replications);
    let bar = progress_bar(total, args.quiet, &s.name);
    // Replications run in parallel; `collect` keeps replication order, and each run owns
    // its state, so the output does not depend on the number of threads.
    let outputs = pool
        .install(|| {
            (0..s.replications)
                .into_par_iter()
                .map(|replication| {
                    let mut shown = 0u64;
                    sim::run(s, replication, &mut |t| {
                        let now = t.as_micros() / 1_000_000;
                        bar.inc(now.saturating_sub(shown));
                        shown = shown.max(now);
                    })
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .with_context(|| format!("{}: setting up the gateway", s.source.display()))?;
    let mut summary: Vec<SummaryRow> = Vec::new();
    let mut series = Vec::new();
    let mut simulated = 0u64;
    for output in &outputs {
        simulated += output.simulated_requests;
        summary.push(report::summary_row(s, BASE_VARIANT, output));
        series.extend(report::timeseries_rows(s, BASE_VARIANT, output));
    }
    bar.finish_and_clear();
    let wall = started.elapsed().as_secs_f64();
    let manifest = Manifest {
        scenario: s.name.clone(),
        scenario_path: s.source.display().to_string(),
        scenario_sha256: s.source_sha256.clone(),
        seed: s.seed,
        replications: s.replications,
        cachegate_version: env!("CARGO_PKG_VERSION").to_owned(),
        duration_s: s.duration.as_secs_f64(),
        warmup_s: s.warmup.as_secs_f64(),
        window_s: s.window.as_secs_f64(),
        assumptions: s.assumptions().into_iter().map(|(k, v)| (k.to_owned(), v)).collect::<BTreeMap<_, _>>(),
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
    write("timeseries.csv", &report::csv_bytes(&series)?)?;
    write("manifest.json", &serde_json::to_vec_pretty(&manifest)?)?;
    print_summary(out, s, &dir, &summary, simulated, wall)?;
    Ok(())
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
    s: &Scenario,
    dir: &Path,
    rows: &[SummaryRow],
    simulated: u64,
    wall: f64,
) -> std::io::Result<()> {
    let mean =
        |f: fn(&SummaryRow) -> f64| rows.iter().map(f).sum::<f64>() / rows.len().max(1) as f64;
    writeln!(
        out,
        "{}: {} replication(s) of {} -> {}",
        s.name,
        rows.len(),
        s.duration,
        dir.display()
    )?;
    writeln!(
        out,
        "  hit rate {:.4}  backend {:.1} rps mean, {:.0} peak  stale {:.4}  403s {:.0}  ignored max-age=0 {:.0}  wrong responses {:.0}",
        mean(|r| r.hit_rate),
        mean(|r| r.backend_rps_mean),
        mean(|r| r.backend_rps_peak as f64),
        mean(|r| r.stale_fraction),
        mean(|r| r.invalidations_rejected as f64),
        mean(|r| r.invalidations_ignored as f64),
        mean(|r| r.wrong_key_responses as f64),
    )?;
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
