//! The trace pre-scan: every distinct trace file of a study is read once before anything
//! runs, so too many bad records stop the run there, and what each holds goes into the
//! manifest and the parts' fingerprints.

use rayon::prelude::*;

use crate::report::TraceSummary;
use crate::scenario::Study;

/// A trace file as read before the run.
pub(super) struct TraceRead {
    pub(super) file: std::path::PathBuf,
    pub(super) summary: TraceSummary,
    pub(super) notes: Vec<String>,
}

/// Reads every distinct trace file of the study once (in parallel), with its SHA-256.
pub(super) fn read_traces(
    study: &Study,
    pool: &rayon::ThreadPool,
) -> anyhow::Result<Vec<TraceRead>> {
    let mut distinct: Vec<(&crate::trace::TraceModel, crate::time::SimTime)> = Vec::new();
    for c in &study.configurations {
        for t in &c.scenario.traces {
            if !distinct.iter().any(|(d, _)| **d == *t) {
                distinct.push((t, c.scenario.end()));
            }
        }
    }
    pool.install(|| {
        distinct
            .par_iter()
            .map(|&(t, end)| -> anyhow::Result<TraceRead> {
                // Two reads of the file, side by side: on a large trace each takes about
                // a quarter of the run's wall time.
                let (tally, sha256) = rayon::join(
                    || crate::trace::scan(t, end),
                    || crate::trace::file_sha256(t),
                );
                let (tally, sha256) = (tally?, sha256?);
                Ok(TraceRead {
                    file: t.file.clone(),
                    notes: tally.notes(&t.name),
                    summary: TraceSummary {
                        name: t.name.clone(),
                        file: t.file.display().to_string(),
                        sha256,
                        requests: tally.requests,
                        bad_records: tally.bad,
                        bad_examples: tally.first_bad.clone(),
                        unmodelled: tally
                            .unmodelled
                            .iter()
                            .map(|(l, n)| format!("{l} x{n}"))
                            .collect(),
                        reordered: tally.reordered,
                        span_s: tally.span.as_secs_f64(),
                        after_end: tally.after_end,
                    },
                })
            })
            .collect()
    })
}
