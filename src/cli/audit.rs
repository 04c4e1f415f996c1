//! `cachegate audit`: its arguments, and the findings it prints (with `--simulate`'s
//! measurements) in the format asked for.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::Args;

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

/// `cachegate audit`.
pub(super) fn audit(args: &AuditArgs, out: &mut dyn Write) -> anyhow::Result<u8> {
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
