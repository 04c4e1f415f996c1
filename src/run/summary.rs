//! The short summary `cachegate run` and `merge` print per scenario: each
//! configuration's key means, every check's verdict, and the simulation speed.

use std::io::Write;
use std::path::Path;

use crate::metrics::Metric;
use crate::report::{self, AggregateRow, Manifest, Verdict};

/// Prints the summary of a finished report in `dir`.
pub(super) fn print_summary(
    out: &mut dyn Write,
    manifest: &Manifest,
    dir: &Path,
    aggregate: &[AggregateRow],
    verdicts: &[Verdict],
    calibration: Option<(&report::Calibration, &[report::CalibrationRow])>,
    (simulated, wall): (u64, f64),
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
    if let Some((c, rows)) = calibration {
        writeln!(
            out,
            "  how well the model fits: `{}` against `{}`",
            c.fitted, c.replay
        )?;
        for r in rows {
            writeln!(
                out,
                "    {:<28} {} vs {} ({:+}){}{}",
                r.metric.title(),
                report::num(r.fitted),
                report::num(r.replay),
                r.diff_mean,
                if r.verdict == "agrees" {
                    ": agrees"
                } else {
                    ": disagrees"
                },
                if r.likely_cause.is_empty() {
                    String::new()
                } else {
                    format!("; likely: {}", r.likely_cause)
                }
            )?;
        }
        if let Some(note) = report::observed_note(c, rows) {
            writeln!(out, "    {note}")?;
        }
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
