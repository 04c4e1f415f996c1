//! The `cachegate` command line (clap derive): subcommands, their arguments, and what each
//! prints. Data goes to stdout; errors are returned to `main`, which prints them and picks
//! the exit status (0 success or allowed, 1 a negative answer, 2 an error).

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};

use crate::diagnostic::Diagnostics;
use crate::run::{Existing, Overrides, RunOptions, Shard};
use crate::scenario::{ScenarioError, Study};
use crate::time::SimDuration;

mod audit;
mod fit;
mod init;
mod policy;

pub use audit::AuditArgs;
pub use fit::{FitArgs, ReadArgs};
pub use init::InitArgs;
pub use policy::{EvalArgs, PolicyCommand};

/// Decide how an API Gateway stage cache should be configured before it goes live.
#[derive(Debug, Parser)]
#[command(name = "cachegate", version, about, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Simulate scenarios and write their reports (CSV and manifest).
    ///
    /// Exit status: 0 success, 1 some check failed, 2 error.
    Run(RunArgs),
    /// Finish one report from the parts of several report folders (e.g. shards run on
    /// different machines), without the scenario file.
    ///
    /// Exit status: 0 success, 1 some check failed, 2 error.
    Merge {
        /// Report folders (each `.../<name>/` with a `parts/` folder).
        #[arg(required = true, value_name = "REPORT_DIR")]
        folders: Vec<PathBuf>,
        /// Folder the merged report goes in, as `OUT/<name>/`.
        #[arg(long, value_name = "OUT", default_value = "reports")]
        out: PathBuf,
        /// Replace an existing report folder.
        #[arg(long)]
        force: bool,
    },
    /// Compare the metrics of two earlier runs (report folders): differences B - A per
    /// configuration with 95% intervals, as CSV on stdout.
    ///
    /// Exit status: 0 compared, 2 error.
    Compare {
        /// The first report folder (A).
        #[arg(value_name = "REPORT_A")]
        a: PathBuf,
        /// The second report folder (B).
        #[arg(value_name = "REPORT_B")]
        b: PathBuf,
    },
    /// Check scenario files and report every problem found.
    ///
    /// Exit status: 0 all valid, 1 some invalid, 2 some unreadable.
    Validate {
        /// Scenario files (TOML).
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// Review a cache configuration without simulating it: a scenario (every
    /// configuration), or a stage file with the API definition, the live stage and the
    /// callers' policies. Each finding names its rule, severity, evidence, why it
    /// matters and what to change.
    ///
    /// Exit status: 0 no finding at or above --fail-on, 1 some, 2 error.
    Audit(AuditArgs),
    /// Fit a workload from API Gateway access logs: per resource and principal, the
    /// request rate (mean, busiest second, a profile, the average day), key popularity
    /// (a Zipf law or the empirical distribution), `max-age=0` shares, response sizes,
    /// backend latency, and production's cache hit rate; one streaming pass.
    ///
    /// Exit status: 0 fitted, 2 error.
    Fit(FitArgs),
    /// Write a runnable scenario from access logs (and the stage, API definition and
    /// policies when given): a synthetic client per principal with its fitted rate
    /// profile, mix and `max-age=0` share, each resource's fitted popularity, sizes and
    /// latency, and two configurations, `replay` (the logs) and `fitted` (the clients).
    ///
    /// Exit status: 0 written, 2 error.
    Init(InitArgs),
    /// Work with IAM policy documents.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Turn deployed configuration into scenario text.
    #[command(subcommand)]
    Import(ImportCommand),
}

/// `cachegate import ...`
#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Print the scenario `[stage]` section equivalent to a deployed stage: the JSON
    /// `aws apigateway get-stage` prints, an `AWS::ApiGateway::Stage` resource of a
    /// CloudFormation template (JSON or YAML), or an `aws_api_gateway_stage` of
    /// `terraform show -json` output (`--resource` then takes the stage's name).
    ///
    /// Exit status: 0 imported, 2 error.
    Stage {
        /// The stage file.
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// The stage resource's logical id, when the template has several.
        #[arg(long, value_name = "LOGICAL_ID")]
        resource: Option<String>,
    },
    /// Print the scenario `[[resources]]` of an API definition: an OpenAPI 3 or Swagger
    /// 2.0 export with API Gateway's extensions (`aws apigateway get-export
    /// --parameters extensions='apigateway'`, JSON or YAML) or `aws apigateway
    /// get-resources --embed methods` output. Each method's cache key parameters and
    /// declared parameters, marked with whether the integration reads them; workload
    /// fields are left as commented placeholders.
    ///
    /// Exit status: 0 imported, 2 error.
    Api {
        /// The API definition file.
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Print the scenario of a Terraform or OpenTofu configuration: `terraform show
    /// -json` of a saved plan (the API as the change would make it) or of the state (as
    /// it is). `[api]` as far as the file knows it, `[stage]`, `[[resources]]`, and a
    /// `[principals.NAME]` for each identity policy that mentions execute-api.
    ///
    /// Exit status: 0 imported, 2 error.
    Terraform {
        /// The `terraform show -json` output.
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// The stage's name, when the configuration has several.
        #[arg(long, value_name = "NAME")]
        stage: Option<String>,
        /// Write each policy as a file in DIR (an existing file is not replaced) and
        /// reference it from its principal.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
}

/// Arguments of `cachegate run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scenario files (TOML).
    #[arg(required = true, value_name = "SCENARIO")]
    pub scenarios: Vec<PathBuf>,
    /// Folder the reports go in: each scenario writes to `OUT/<name>/`.
    #[arg(long, value_name = "OUT", default_value = "reports")]
    pub out: PathBuf,
    /// Override the scenario's seed.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Override the number of replications.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub replications: Option<u32>,
    /// Override the measured duration (e.g. `2m`); events and client stops past the new
    /// end simply do not happen.
    #[arg(long, value_name = "DURATION", value_parser = parse_run_duration)]
    pub duration: Option<SimDuration>,
    /// Replace an existing report folder (the traces' checks kept in its
    /// `parts/traces.json` stay: delete that file to have the traces checked again).
    #[arg(long, conflicts_with = "resume")]
    pub force: bool,
    /// Continue an interrupted run in an existing report folder: configuration x
    /// replication runs whose results were already written (for the same scenario, seed
    /// and settings) are not simulated again. Also combines the parts written by
    /// `--shard` runs.
    #[arg(long)]
    pub resume: bool,
    /// Run only shard K of N (configuration x replication runs u with u mod N = K-1,
    /// numbered configuration-major, K from 1), writing
    /// their parts to the report folder (which may exist); a final run with `--resume`
    /// and the same other arguments combines all shards without simulating again.
    #[arg(long, value_name = "K/N", value_parser = parse_shard, conflicts_with = "force")]
    pub shard: Option<Shard>,
    /// Worker threads for replications (default: all cores); when a study has fewer runs
    /// than threads, a run reads a compressed, text or CSV object-id trace ahead on one
    /// more. Results are identical whatever the number.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,
    /// Memory in MiB a study may keep its access logs' requests in (about 40 bytes each,
    /// plus their paths), so that its configurations and replications replay them from
    /// memory instead of parsing the logs again; a log that does not fit is read from
    /// its file by each run. 0 always reads the files. Object-id traces are always read
    /// from their files. Results are identical either way.
    #[arg(long, value_name = "MIB", default_value_t = 1024)]
    pub trace_memory: u32,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

impl RunArgs {
    /// The run's options, as the library takes them.
    pub fn options(&self) -> RunOptions {
        RunOptions {
            out: self.out.clone(),
            overrides: Overrides {
                seed: self.seed,
                replications: self.replications,
                duration: self.duration,
            },
            existing: match (self.force, self.resume) {
                (true, _) => Existing::Replace,
                (false, true) => Existing::Resume,
                (false, false) => Existing::Refuse,
            },
            shard: self.shard,
            threads: self
                .threads
                .and_then(|n| std::num::NonZeroUsize::new(usize::from(n))),
            progress: !self.quiet,
            trace_memory: (self.trace_memory as usize).saturating_mul(1 << 20),
        }
    }
}

/// A measured duration for `--duration`: a humantime string, more than zero.
fn parse_run_duration(text: &str) -> Result<SimDuration, String> {
    let d = crate::scenario::parse_duration(text).map_err(|e| e.to_string())?;
    if d.is_zero() {
        return Err("must be > 0".into());
    }
    Ok(d)
}

fn parse_shard(text: &str) -> Result<Shard, String> {
    let bad = || format!("expected K/N with 1 <= K <= N, e.g. 2/8, got `{text}`");
    let (k, n) = text.split_once('/').ok_or_else(bad)?;
    let (k, n): (u32, u32) = (
        k.trim().parse().map_err(|_| bad())?,
        n.trim().parse().map_err(|_| bad())?,
    );
    if k == 0 || k > n {
        return Err(bad());
    }
    Ok(Shard { index: k, count: n })
}

/// Runs a parsed command line, writing results to `out`; returns the exit status.
pub fn run(cli: Cli, out: &mut dyn Write) -> anyhow::Result<u8> {
    match cli.command {
        Command::Policy(PolicyCommand::Eval(args)) => policy::policy_eval(&args, out),
        Command::Policy(PolicyCommand::Check { files, strict }) => {
            policy::policy_check(&files, strict, out)
        }
        Command::Validate { files } => validate(&files, out),
        Command::Audit(args) => audit::audit(&args, out),
        Command::Fit(args) => fit::fit(&args, out),
        Command::Init(args) => init::init(&args, out),
        Command::Import(ImportCommand::Stage { file, resource }) => {
            let stage = crate::import::load_stage(&file, resource.as_deref())?;
            out.write_all(stage.to_toml(&file).as_bytes())?;
            Ok(0)
        }
        Command::Import(ImportCommand::Terraform {
            file,
            stage,
            out: dir,
        }) => {
            let imported = crate::import::terraform::load(&file, stage.as_deref())?;
            let text = imported
                .to_toml(&file, dir.as_deref())
                .context("writing the policies")?;
            out.write_all(text.as_bytes())?;
            Ok(0)
        }
        Command::Import(ImportCommand::Api { file }) => {
            let api = crate::import::api::load_api(&file)?;
            out.write_all(api.to_toml(&file).as_bytes())?;
            Ok(0)
        }
        Command::Run(args) => crate::run::run(&args.scenarios, &args.options(), out),
        Command::Merge {
            folders,
            out: to,
            force,
        } => crate::run::merge(&folders, &to, force, out),
        Command::Compare { a, b } => {
            let (ra, rb) = (
                crate::report::read_summary(&a).map_err(anyhow::Error::msg)?,
                crate::report::read_summary(&b).map_err(anyhow::Error::msg)?,
            );
            let manifest = |dir: &std::path::Path| -> anyhow::Result<crate::report::Manifest> {
                let path = dir.join("manifest.json");
                let bytes = std::fs::read(&path)
                    .with_context(|| format!("{}: cannot read", path.display()))?;
                serde_json::from_slice(&bytes).with_context(|| {
                    format!("{}: not a manifest written by cachegate", path.display())
                })
            };
            let may_pair = match crate::report::pairing(&manifest(&a)?, &manifest(&b)?) {
                Ok(warning) => {
                    if let Some(w) = warning {
                        eprintln!("warning: {w}");
                    }
                    true
                }
                Err(why) => {
                    eprintln!("warning: {why}");
                    false
                }
            };
            let rows = crate::report::compare(&ra, &rb, may_pair).map_err(anyhow::Error::msg)?;
            out.write_all(&crate::report::csv_bytes(&rows)?)?;
            Ok(0)
        }
    }
}

/// How checking one file ended.
enum Checked {
    /// Valid: a one-line description.
    Valid(String),
    /// Invalid: every problem, one per line (stdout, status 1).
    Invalid(Diagnostics),
    /// Unreadable: the error (stderr, status 2).
    Unreadable(String),
}

/// Checks each file, printing what it found; 0 all valid, 1 some invalid, 2 some
/// unreadable.
fn check_files(
    files: &[PathBuf],
    out: &mut dyn Write,
    check: impl Fn(&PathBuf) -> Checked,
) -> anyhow::Result<u8> {
    let mut status = 0u8;
    for file in files {
        match check(file) {
            Checked::Valid(line) => writeln!(out, "{}: ok: {line}", file.display())?,
            Checked::Invalid(problems) => {
                writeln!(out, "{problems}")?;
                status = status.max(1);
            }
            Checked::Unreadable(e) => {
                eprintln!("cachegate: error: {e}");
                status = 2;
            }
        }
    }
    Ok(status)
}

fn validate(files: &[PathBuf], out: &mut dyn Write) -> anyhow::Result<u8> {
    check_files(files, out, |file| match Study::load(file) {
        Ok(study) => {
            let s = study.base();
            let mut line = format!(
                "\"{}\", {} resource(s), {} client(s), {} trace(s), {} principal(s), {} replication(s) of {} after {} warm-up, {} configuration(s):",
                s.name,
                s.resources.len(),
                s.clients.len(),
                s.traces.len(),
                s.principals.len(),
                s.replications,
                s.duration,
                s.warmup,
                study.configurations.len()
            );
            for (i, c) in study.configurations.iter().enumerate() {
                let marker = if i == study.baseline {
                    " (baseline)"
                } else {
                    ""
                };
                line.push_str(&format!("\n  {}{marker}", c.name));
                for change in &c.changes {
                    line.push_str(&format!("\n      {change}"));
                }
            }
            for check in &study.checks {
                line.push_str(&format!("\n  check: {check}"));
            }
            let order: Vec<String> = study.rank_by.iter().map(ToString::to_string).collect();
            line.push_str(&format!("\n  verdict order: {}", order.join(", then ")));
            for warning in study.warnings() {
                line.push_str(&format!("\n  warning: {warning}"));
            }
            Checked::Valid(line)
        }
        Err(e @ ScenarioError::Read { .. }) => Checked::Unreadable(e.to_string()),
        Err(ScenarioError::Invalid(problems)) => Checked::Invalid(problems),
    })
}
