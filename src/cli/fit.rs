//! `cachegate fit`: its arguments, where the log's fields are (a scenario's access-log
//! trace, `--field` overrides, or API Gateway's documented names), and what it prints
//! and writes.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;

use crate::fit::FitOptions;
use crate::trace::{FieldRule, LogFields, MaxAgeZero, TraceFormat};

/// `cachegate fit`.
#[derive(Debug, Args)]
pub struct FitArgs {
    /// API Gateway access logs (JSON lines, plain or zstd), read in order as one.
    #[arg(required = true, value_name = "LOG")]
    pub logs: Vec<PathBuf>,
    /// Take the field mapping, the callers' principals and the `max-age=0` rule from
    /// this scenario's first access-log trace.
    #[arg(long, value_name = "SCENARIO")]
    pub scenario: Option<PathBuf>,
    /// Print JSON rather than text.
    #[arg(long)]
    pub json: bool,
    /// Write each principal's rate profile to DIR/profiles/ and the empirical
    /// popularity of each resource no Zipf law fits to DIR/popularity/ (CSV, as
    /// scenarios read them).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Replace files --out would write that exist.
    #[arg(long, requires = "out")]
    pub force: bool,
    /// How the logs are read.
    #[command(flatten)]
    pub read: ReadArgs,
    /// No progress on stderr (it is hidden off a terminal anyway).
    #[arg(long)]
    pub quiet: bool,
}

/// How `fit` and `init` read the logs.
#[derive(Debug, Args)]
pub struct ReadArgs {
    /// Where a field is: `time`, `method`, `resource_path`, `path`, `principal`,
    /// `response_length`, `integration_latency`, `status` or `cache_control` (its value
    /// containing `max-age=0` counts as such a request), as `NAME=dotted.path`;
    /// repeatable. Over the scenario's mapping, or API Gateway's names.
    #[arg(long = "field", value_name = "NAME=PATH")]
    pub fields: Vec<String>,
    /// The rate profile's step, e.g. "15m" (default: from 1m to 1d, at most 200 steps
    /// over the logs' span); a whole number of minutes.
    #[arg(long, value_name = "DURATION")]
    pub window: Option<String>,
    /// Distinct keys counted exactly per resource; past it, the most requested keys are
    /// kept with counts within a stated error and distinct keys estimated.
    #[arg(long, value_name = "N", default_value_t = 1 << 20)]
    pub max_keys: usize,
    /// Lines of a log that may fail to parse before reading stops (default: the scenario
    /// trace's `max_bad_lines`, else 100).
    #[arg(long, value_name = "N")]
    pub max_bad_lines: Option<u64>,
    /// CloudWatch CacheHitCount / CacheMissCount as `aws cloudwatch get-metric-data` or
    /// `get-metric-statistics` prints them (JSON), for production's hit rate.
    #[arg(long, value_name = "FILE")]
    pub cloudwatch: Vec<PathBuf>,
}

/// The fit options for `logs` that `read` asks for, the mapping from `scenario`'s first
/// access-log trace when given.
pub fn options(
    logs: &[PathBuf],
    scenario: Option<&std::path::Path>,
    read: &ReadArgs,
) -> anyhow::Result<FitOptions> {
    let mut fields = LogFields::standard();
    let mut principals = Vec::new();
    let mut default_principal = None;
    let mut max_bad = crate::trace::DEFAULT_MAX_BAD_LINES;
    if let Some(s) = scenario {
        let study = crate::scenario::Study::load(s)?;
        let base = study.base();
        let trace = base
            .traces
            .iter()
            .find(|t| matches!(t.format, TraceFormat::AccessLog(_)))
            .with_context(|| {
                format!(
                    "{}: no access-log trace to take the fields from",
                    s.display()
                )
            })?;
        let TraceFormat::AccessLog(spec) = &trace.format else {
            unreachable!("found as an access log")
        };
        let name = |i: u32| base.principals.get(i as usize).map(|p| p.name.clone());
        fields.time = spec.time.clone();
        fields.method = spec.method.clone();
        fields.resource_path = spec.resource_path.clone();
        fields.path = spec.path.clone();
        fields.principal = spec.principal.clone();
        fields.response_length = spec.response_length.clone();
        if let MaxAgeZero::Field(rule) = &trace.max_age_zero {
            fields.max_age_zero = Some(rule.clone());
        }
        principals = spec
            .principals
            .iter()
            .filter_map(|(caller, i)| Some((caller.clone(), name(*i)?)))
            .collect();
        default_principal = name(trace.principal);
        max_bad = trace.max_bad_lines;
    }
    for f in &read.fields {
        let (name, path) = f
            .split_once('=')
            .with_context(|| format!("--field {f}: expected NAME=dotted.path"))?;
        let path: Vec<String> = path.split('.').map(str::to_owned).collect();
        if path.iter().any(String::is_empty) {
            anyhow::bail!("--field {f}: the path has an empty segment");
        }
        match name {
            "time" => fields.time = path,
            "method" => fields.method = path,
            "resource_path" => fields.resource_path = path,
            "path" => fields.path = path,
            "principal" => fields.principal = Some(path),
            "response_length" => fields.response_length = Some(path),
            "integration_latency" => fields.integration_latency = Some(path),
            "status" => fields.status = Some(path),
            "cache_control" => fields.max_age_zero = Some(FieldRule::max_age_zero_in(path)),
            other => anyhow::bail!(
                "--field {f}: unknown field `{other}`; expected time, method, resource_path, path, principal, response_length, integration_latency, status or cache_control"
            ),
        }
    }
    let window_s = match &read.window {
        None => None,
        Some(w) => {
            let d =
                crate::scenario::parse_duration(w).map_err(|e| anyhow::anyhow!("--window: {e}"))?;
            let s = d.as_micros() / 1_000_000;
            if s < 60 || s % 60 != 0 || d.as_micros() % 1_000_000 != 0 {
                anyhow::bail!("--window: expected a whole number of minutes, got {w}");
            }
            Some(s)
        }
    };
    if read.max_keys == 0 {
        anyhow::bail!("--max-keys: must be at least 1");
    }
    Ok(FitOptions {
        logs: logs.to_vec(),
        fields,
        principals,
        default_principal,
        max_keys: read.max_keys,
        max_bad_lines: read.max_bad_lines.unwrap_or(max_bad),
        window_s,
        cloudwatch: read.cloudwatch.clone(),
    })
}

/// Runs `cachegate fit`.
pub fn fit(args: &FitArgs, out: &mut dyn Write) -> anyhow::Result<u8> {
    let options = options(&args.logs, args.scenario.as_deref(), &args.read)?;
    let bar = progress(args.quiet);
    let fit = crate::fit::fit(&options, &mut |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    });
    bar.finish_and_clear();
    let fit = fit?;
    if args.json {
        serde_json::to_writer_pretty(&mut *out, &fit)?;
        writeln!(out)?;
    } else {
        out.write_all(crate::fit::text(&fit).as_bytes())?;
    }
    if let Some(dir) = &args.out {
        let written = crate::fit::write_files(&fit, dir, args.force).map_err(anyhow::Error::msg)?;
        for w in written {
            eprintln!("wrote {}", w.display());
        }
    }
    Ok(0)
}

/// A progress bar of bytes read, on stderr when it is a terminal and not `quiet`.
pub fn progress(quiet: bool) -> indicatif::ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        indicatif::ProgressBar::hidden()
    } else {
        let bar =
            indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "fit [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar
    }
}
