//! `cachegate init`: its arguments, and what it says it wrote.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use super::fit::ReadArgs;

/// `cachegate init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// API Gateway access logs (JSON lines, plain or zstd), read in order as one.
    #[arg(long, required = true, num_args = 1.., value_name = "LOG")]
    pub logs: Vec<PathBuf>,
    /// The stage: get-stage JSON, a CloudFormation or SAM template, or
    /// `terraform show -json` (the scenario's `stage_file`).
    #[arg(long, value_name = "FILE")]
    pub stage: Option<PathBuf>,
    /// The API definition: an OpenAPI or Swagger export, get-resources output, or
    /// `terraform show -json` (the scenario's `api_file`); without it, resources come
    /// from the paths in the logs.
    #[arg(long, value_name = "FILE")]
    pub api: Option<PathBuf>,
    /// Identity policies, each given to the principal whose caller (or name) matches
    /// the file's name (`ops.json` for `.../user/ops`).
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub policies: Vec<PathBuf>,
    /// The scenario file to write; its rate profiles and popularity files go beside it
    /// (`profiles/`, `popularity/`). Default: the first log's name up to its first dot,
    /// `.toml`, in the current folder (`access.toml` for `logs/access.jsonl.zst`).
    #[arg(short = 'o', long = "out", value_name = "SCENARIO")]
    pub out: Option<PathBuf>,
    /// Replace files that exist.
    #[arg(long)]
    pub force: bool,
    /// How the logs are read.
    #[command(flatten)]
    pub read: ReadArgs,
    /// No progress on stderr (it is hidden off a terminal anyway).
    #[arg(long)]
    pub quiet: bool,
}

/// `<first log's name up to its first dot>.toml`.
fn default_out(log: &std::path::Path) -> PathBuf {
    let name = log
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = name
        .split('.')
        .next()
        .filter(|s| !s.is_empty())
        .unwrap_or("scenario");
    PathBuf::from(format!("{stem}.toml"))
}

/// Runs `cachegate init`.
pub fn init(args: &InitArgs, out: &mut dyn Write) -> anyhow::Result<u8> {
    let options = crate::init::InitOptions {
        fit: super::fit::options(&args.logs, None, &args.read)?,
        stage: args.stage.clone(),
        api: args.api.clone(),
        policies: args.policies.clone(),
        out: args
            .out
            .clone()
            .unwrap_or_else(|| default_out(&args.logs[0])),
        force: args.force,
        command: Some(
            std::iter::once("cachegate".to_owned())
                .chain(
                    std::env::args()
                        .skip(1)
                        .filter(|a| a != "--force" && a != "--quiet"),
                )
                .map(|a| {
                    if a.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-_./=:".contains(c))
                    {
                        a
                    } else {
                        format!("'{}'", a.replace('\'', "'\\''"))
                    }
                })
                .collect::<Vec<_>>()
                .join(" "),
        ),
    };
    let bar = super::fit::progress(args.quiet);
    let written = crate::init::init(&options, &mut |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    });
    bar.finish_and_clear();
    let written = written?;
    writeln!(out, "wrote {}", written.scenario.display())?;
    for f in &written.files {
        writeln!(out, "wrote {}", f.display())?;
    }
    for n in &written.notes {
        writeln!(out, "note: {n}")?;
    }
    writeln!(
        out,
        "run it: cachegate run {}   (compare `fitted` with `replay` in its report)",
        written.scenario.display()
    )?;
    Ok(0)
}
