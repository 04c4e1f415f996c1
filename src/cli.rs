//! The `cachegate` command line (clap derive): subcommands, their arguments, and what each
//! prints. Data goes to stdout; errors are returned to `main`, which prints them and picks
//! the exit status (0 success or allowed, 1 a negative answer, 2 an error).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};

use crate::diagnostic::Diagnostics;
use crate::policy::operator::NegatedIncomparable;
use crate::policy::{Context, Decision, Explanation, PolicyDocument, PolicyError, PolicySet};
use crate::run::{Existing, Overrides, RunOptions, Shard};
use crate::scenario::{ScenarioError, Study};
use crate::time::SimDuration;

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
    /// Work with IAM policy documents.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Turn deployed configuration into scenario text.
    #[command(subcommand)]
    Import(ImportCommand),
}

/// `cachegate audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// A scenario file (instead of --stage).
    #[arg(
        value_name = "SCENARIO",
        conflicts_with = "stage",
        required_unless_present = "stage"
    )]
    pub scenario: Option<PathBuf>,
    /// The stage: get-stage JSON, a CloudFormation or SAM template, serverless.yml, or
    /// `terraform show -json`.
    #[arg(long, value_name = "FILE")]
    pub stage: Option<PathBuf>,
    /// The API definition: an OpenAPI or Swagger export, get-resources output, or
    /// `terraform show -json`.
    #[arg(long, value_name = "FILE", requires = "stage")]
    pub api: Option<PathBuf>,
    /// The stage as it is now, when --stage is the planned one.
    #[arg(long, value_name = "FILE", requires = "stage")]
    pub live: Option<PathBuf>,
    /// Identity policies of the API's callers, one principal each (named after the
    /// file); needs --region, --account, --api-id and --stage-name.
    #[arg(long, value_name = "FILE", num_args = 1.., requires = "stage")]
    pub policies: Vec<PathBuf>,
    /// A principal (policy file stem) anyone can call as.
    #[arg(long, value_name = "NAME")]
    pub public: Vec<String>,
    /// The API's Region, for the policies' ARNs.
    #[arg(long)]
    pub region: Option<String>,
    /// The API's account, for the policies' ARNs.
    #[arg(long)]
    pub account: Option<String>,
    /// The API's id, for the policies' ARNs.
    #[arg(long)]
    pub api_id: Option<String>,
    /// The stage's name, for the policies' ARNs.
    #[arg(long)]
    pub stage_name: Option<String>,
    /// `text`, `json`, or `sarif` (SARIF 2.1.0, for GitHub code scanning and other CI
    /// tools).
    #[arg(long, default_value = "text", value_parser = ["text", "json", "sarif"])]
    pub format: String,
    /// Measure what each finding whose cost the simulator can show costs: the
    /// scenario's configuration as it is and with the fix, paired (scenario only).
    #[arg(long, conflicts_with = "stage")]
    pub simulate: bool,
    /// No progress on stderr (it is hidden off a terminal anyway).
    #[arg(long)]
    pub quiet: bool,
    /// The least severe finding that fails the audit: `note`, `warning` or `error`.
    #[arg(long, default_value = "warning", value_parser = ["note", "warning", "error"])]
    pub fail_on: String,
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

/// `cachegate policy ...`
#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Decide whether an action on a resource is allowed, and say which statement decided.
    ///
    /// Exit status: 0 allowed, 1 denied (explicitly or implicitly), 2 error.
    Eval(EvalArgs),
    /// Check policy files and report every problem found.
    ///
    /// Exit status: 0 all valid, 1 some invalid, 2 some unreadable.
    Check {
        /// Policy files (IAM JSON).
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Count a condition value that does not parse for its operator as a problem
        /// (exit 1), as if IAM refused such a policy; by default it is a warning and the
        /// value matches nothing.
        #[arg(long)]
        strict: bool,
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
    /// Replace an existing report folder.
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
    /// Worker threads for replications (default: all cores). Results are identical
    /// whatever the number.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,
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
        }
    }
}

/// Arguments of `cachegate policy eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// An identity policy the principal holds (IAM JSON); repeat for several.
    #[arg(long = "policy", required = true, value_name = "FILE")]
    pub policies: Vec<PathBuf>,
    /// The action, e.g. `execute-api:InvalidateCache`.
    #[arg(long, value_name = "ACTION", value_parser = parse_action)]
    pub action: String,
    /// The resource ARN, e.g. `arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/GET/pets/7`.
    #[arg(long, value_name = "ARN", value_parser = parse_arn)]
    pub resource: String,
    /// A request context value, e.g. `aws:SourceIp=203.0.113.5`; repeat a key for several values.
    #[arg(long = "context", value_name = "KEY=VALUE", value_parser = parse_context_pair)]
    pub context: Vec<(String, String)>,
    /// Print the decision as JSON.
    #[arg(long)]
    pub json: bool,
    /// What a negated condition operator comes to on a value that cannot be compared
    /// (AWS documents neither): `holds` (the negation of its positive form) or `fails`.
    #[arg(long, value_name = "holds|fails", default_value = "holds", value_parser = NegatedIncomparable::parse)]
    pub negated_incomparable: NegatedIncomparable,
}

/// A request's action: `service:Action`, as IAM names it (in any case, as IAM compares
/// actions; no wildcards: a request names one action).
fn parse_action(text: &str) -> Result<String, String> {
    let ok = text.split_once(':').is_some_and(|(service, action)| {
        !service.is_empty()
            && service
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !action.is_empty()
            && action
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    });
    if ok {
        Ok(text.to_owned())
    } else {
        Err(format!(
            "expected an action as `service:Action`, e.g. `execute-api:InvalidateCache`, got `{text}`"
        ))
    }
}

/// A request's resource: an ARN, `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE` (region
/// and account may be empty, as for S3; the resource may hold more `:`).
fn parse_arn(text: &str) -> Result<String, String> {
    let parts: Vec<&str> = text.splitn(6, ':').collect();
    let ok = parts.len() == 6
        && parts[0] == "arn"
        && !parts[1].is_empty()
        && !parts[2].is_empty()
        && !parts[5].is_empty();
    if ok {
        Ok(text.to_owned())
    } else {
        Err(format!(
            "expected an ARN, `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`, e.g. \
             `arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/GET/pets/7`, got `{text}`"
        ))
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

fn parse_context_pair(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_owned(), v.to_owned())),
        _ => Err(format!(
            "expected KEY=VALUE, e.g. aws:SourceIp=203.0.113.5, got `{text}`"
        )),
    }
}

/// Runs a parsed command line, writing results to `out`; returns the exit status.
pub fn run(cli: Cli, out: &mut dyn Write) -> anyhow::Result<u8> {
    match cli.command {
        Command::Policy(PolicyCommand::Eval(args)) => policy_eval(&args, out),
        Command::Policy(PolicyCommand::Check { files, strict }) => {
            policy_check(&files, strict, out)
        }
        Command::Validate { files } => validate(&files, out),
        Command::Audit(args) => audit(&args, out),
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

fn policy_eval(args: &EvalArgs, out: &mut dyn Write) -> anyhow::Result<u8> {
    let mut set = PolicySet::new().assuming(args.negated_incomparable);
    for path in &args.policies {
        set.add(&path.display().to_string(), &PolicyDocument::load(path)?);
    }
    let mut ctx = Context::new();
    for (k, v) in &args.context {
        ctx.insert(k, v.as_str());
    }
    let explanation = set.explain(&args.action, &args.resource, &ctx);
    if args.json {
        serde_json::to_writer_pretty(&mut *out, &explanation).context("writing JSON")?;
        writeln!(out)?;
    } else {
        write_explanation(out, args, &explanation)?;
    }
    Ok(if explanation.decision == Decision::Allow {
        0
    } else {
        1
    })
}

fn write_explanation(out: &mut dyn Write, args: &EvalArgs, e: &Explanation) -> std::io::Result<()> {
    writeln!(out, "{}: {} on {}", e.decision, args.action, args.resource)?;
    match &e.deciding {
        Some(s) => writeln!(out, "  decided by {s}")?,
        None => writeln!(out, "  no statement applies; IAM denies by default")?,
    }
    for s in e.matched.iter().filter(|s| Some(*s) != e.deciding.as_ref()) {
        writeln!(out, "  also applies: {s}")?;
    }
    for a in &e.assumptions {
        writeln!(out, "  rests on an assumption: {a}")?;
    }
    Ok(())
}

fn policy_check(files: &[PathBuf], strict: bool, out: &mut dyn Write) -> anyhow::Result<u8> {
    check_files(files, out, |file| match PolicyDocument::load(file) {
        Ok(doc) => {
            let unparsable = doc.unparsable_values(&file.display().to_string());
            if strict {
                if let Some(problems) = Diagnostics::from_vec(unparsable.clone()) {
                    return Checked::Invalid(problems);
                }
            }
            let n = doc.statements.len();
            let mut line = format!("{n} statement{}", if n == 1 { "" } else { "s" });
            for w in unparsable {
                line.push_str(&format!("\n  warning: {}: {}", w.path, w.message));
            }
            Checked::Valid(line)
        }
        Err(e @ PolicyError::Read { .. }) => Checked::Unreadable(e.to_string()),
        Err(PolicyError::Invalid(problems)) => Checked::Invalid(problems),
    })
}

/// `cachegate audit`.
fn audit(args: &AuditArgs, out: &mut dyn Write) -> anyhow::Result<u8> {
    use crate::audit::{Files, Format, Level};
    let findings = match (&args.scenario, &args.stage) {
        (Some(scenario), _) => {
            let mut findings = crate::audit::audit_scenario(scenario)?;
            if args.simulate {
                let bar = if args.quiet || !std::io::stderr().is_terminal() {
                    indicatif::ProgressBar::hidden()
                } else {
                    indicatif::ProgressBar::new_spinner()
                };
                crate::audit::simulate(scenario, &mut findings, &mut |what| {
                    bar.set_message(format!("simulating {what}"));
                    bar.tick();
                })?;
                bar.finish_and_clear();
            }
            findings
        }
        (None, Some(stage)) => {
            let identity = match (&args.region, &args.account, &args.api_id, &args.stage_name) {
                (Some(region), Some(account), Some(api_id), Some(stage)) => {
                    Some(crate::gateway::ApiIdentity {
                        region: region.clone(),
                        account: account.clone(),
                        api_id: api_id.clone(),
                        stage: stage.clone(),
                    })
                }
                _ => None,
            };
            crate::audit::audit_files(&Files {
                stage: stage.clone(),
                api: args.api.clone(),
                live: args.live.clone(),
                policies: args.policies.clone(),
                public: args.public.clone(),
                identity,
            })?
        }
        (None, None) => anyhow::bail!("give a scenario, or --stage FILE"),
    };
    let format = Format::parse(&args.format).unwrap_or(Format::Text);
    out.write_all(crate::audit::render(&findings, format).as_bytes())?;
    let fail_on = Level::parse(&args.fail_on).unwrap_or(Level::Warning);
    Ok(crate::audit::status(&findings, fail_on))
}
