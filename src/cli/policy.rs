//! `cachegate policy eval` and `policy check`: their arguments, how a request's action,
//! ARN and context are read from the command line, and what each prints.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, Subcommand};

use super::{Checked, check_files};
use crate::diagnostic::Diagnostics;
use crate::policy::operator::NegatedIncomparable;
use crate::policy::{Context, Decision, Explanation, PolicyDocument, PolicyError, PolicySet};

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

fn parse_context_pair(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_owned(), v.to_owned())),
        _ => Err(format!(
            "expected KEY=VALUE, e.g. aws:SourceIp=203.0.113.5, got `{text}`"
        )),
    }
}

pub(super) fn policy_eval(args: &EvalArgs, out: &mut dyn Write) -> anyhow::Result<u8> {
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

pub(super) fn policy_check(
    files: &[PathBuf],
    strict: bool,
    out: &mut dyn Write,
) -> anyhow::Result<u8> {
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
