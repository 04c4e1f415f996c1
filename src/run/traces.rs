//! The trace pre-scan: every distinct trace file of a study is read once before anything
//! runs, so too many bad records stop the run there, and what each holds goes into the
//! manifest and the parts' fingerprints. The scan also records each access log's requests
//! in memory, within the run's budget (`--trace-memory`, shared equally by the study's
//! distinct access logs), and the study's runs replay the recording: a log is then parsed
//! once per study, whatever the number of configurations and replications. What the check
//! found is kept for the next run of the study (`trace_checks.rs`), which then does not
//! read an unchanged trace before it runs. Object-id
//! traces (oracleGeneral, text, CSV) are not recorded: a recording of their requests is
//! larger than their records, and replaying it is no faster than reading the file again
//! (measured in docs/performance.md).

use std::path::Path;
use std::sync::Arc;
use std::time::SystemTime;

use rayon::prelude::*;

use super::trace_checks::{self, Identity, Known, TraceChecks};
use crate::trace::Scanned;

use crate::report::TraceSummary;
use crate::scenario::Study;
use crate::time::SimTime;

/// A trace file as read before the run.
pub(super) struct TraceRead {
    /// The trace as the scenario gives it.
    pub(super) model: crate::trace::TraceModel,
    pub(super) summary: TraceSummary,
    pub(super) notes: Vec<String>,
    /// What reading it found (or what was kept of an earlier check).
    pub(super) tally: crate::trace::Tally,
    /// Its requests, when they fitted the budget.
    pub(super) recording: crate::trace::Recording,
}

/// Reads every distinct trace file of the study once (in parallel), with its SHA-256,
/// recording the requests of each access log in at most `budget / distinct access logs`
/// bytes. A trace whose check is kept in `parts` (see [`TraceChecks`]) for the file as
/// it is now is not read at all, unless it is an access log to record for several runs
/// (then without the hash); what was checked is kept there for the next run. The bytes
/// read show on a progress bar when `progress` (and stderr is a terminal).
pub(super) fn read_traces(
    study: &Study,
    pool: &rayon::ThreadPool,
    budget: usize,
    parts: &Path,
    progress: bool,
) -> anyhow::Result<Vec<TraceRead>> {
    // Each distinct trace, the first configuration's end (for the note on requests
    // after it) and the latest end of any configuration replaying it (for the recording).
    type Distinct<'s> = (&'s crate::trace::TraceModel, SimTime, SimTime);
    let mut distinct: Vec<Distinct<'_>> = Vec::new();
    for c in &study.configurations {
        for t in &c.scenario.traces {
            match distinct.iter_mut().find(|(d, _, _)| d.reads_like(t)) {
                Some((_, _, last)) => *last = (*last).max(c.scenario.end()),
                None => distinct.push((t, c.scenario.end(), c.scenario.end())),
            }
        }
    }
    let logs = distinct.iter().filter(|(t, _, _)| recorded(t)).count();
    let budget = budget / logs.max(1);
    let kept = TraceChecks::load(parts);
    let started = SystemTime::now();
    // What is known of each file as it is now, and whether it is read: the bar's total.
    let plans: Vec<(Option<Identity>, Known)> = distinct
        .iter()
        .map(|&(t, end, _)| {
            let before = trace_checks::identity(&t.file);
            (
                before,
                before.map_or(Known::Nothing, |i| kept.known(t, end, i)),
            )
        })
        .collect();
    let budget_of = |t: &crate::trace::TraceModel| if recorded(t) { budget } else { 0 };
    let read_again = |t: &crate::trace::TraceModel| budget_of(t) > 0 && runs(study, t) > 1;
    let total: u64 = distinct
        .iter()
        .zip(&plans)
        .filter(|&(&(t, _, _), (_, known))| !matches!(known, Known::All(..)) || read_again(t))
        .map(|(&(t, _, _), _)| std::fs::metadata(&t.file).map_or(0, |m| m.len()))
        .sum();
    let bar = super::progress_bar(
        total,
        progress,
        study.name(),
        "{prefix} checking traces [{bar:30}] {bytes}/{total_bytes} ({eta})",
    );
    let reads = pool.install(|| {
        distinct
            .par_iter()
            .zip(plans)
            .map(|(&(t, end, last), (before, known))| -> anyhow::Result<(TraceRead, Option<Identity>)> {
                let budget = budget_of(t);
                let runs = runs(study, t);
                let (sha256, read) = match known {
                    Known::All(sha256, tally) if !read_again(t) => {
                        let read = Scanned {
                            tally,
                            recorded: None,
                            needed: 0,
                            sha256: None,
                        };
                        (sha256, read)
                    }
                    Known::All(sha256, _) | Known::Sha256(sha256) => {
                        (sha256, crate::trace::record(t, end, last, budget, false, Some(&bar))?)
                    }
                    Known::Nothing => {
                        let mut read = crate::trace::record(t, end, last, budget, true, Some(&bar))?;
                        (read.sha256.take().unwrap_or_default(), read)
                    }
                };
                let tally = read.tally;
                let mut notes = tally.notes(&t.name);
                if read.recorded.is_none() && budget > 0 && runs > 1 {
                    notes.push(format!(
                        "trace `{}`: its requests take {} MiB in memory, more than the {} MiB of --trace-memory it may use: each of its {runs} runs reads the file again (a larger --trace-memory reads it once)",
                        t.name,
                        read.needed.div_ceil(1 << 20),
                        budget >> 20,
                    ));
                }
                let trace = TraceRead {
                    recording: crate::trace::Recording(read.recorded.map(Arc::new)),
                    model: t.clone(),
                    notes,
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
                    tally,
                };
                Ok((trace, before))
            })
            .collect::<anyhow::Result<Vec<_>>>()
    });
    bar.finish_and_clear();
    let reads = reads?;
    let mut checks = kept.clone();
    for ((trace, before), &(t, end, _)) in reads.iter().zip(&distinct) {
        if let Some(before) = before {
            checks.keep(
                t,
                end,
                *before,
                started,
                &trace.summary.sha256,
                &trace.tally,
            );
        }
    }
    checks.only(&distinct.iter().map(|&(t, _, _)| t).collect::<Vec<_>>());
    if checks != kept {
        checks.save(parts)?;
    }
    Ok(reads.into_iter().map(|(trace, _)| trace).collect())
}

/// Whether the study keeps `trace`'s requests in memory: access logs, whose parsing
/// costs several times the replay of a recording.
fn recorded(trace: &crate::trace::TraceModel) -> bool {
    matches!(trace.format, crate::trace::TraceFormat::AccessLog(_))
}

/// How many configuration x replication runs replay `trace`.
fn runs(study: &Study, trace: &crate::trace::TraceModel) -> u64 {
    let configurations = study
        .configurations
        .iter()
        .filter(|c| {
            c.scenario
                .traces
                .iter()
                .any(|t| t.enabled && t.reads_like(trace))
        })
        .count() as u64;
    configurations * u64::from(study.base().replications)
}

/// Gives each configuration's traces the recording read for them, taking it out of
/// `traces`: the configurations alone hold it, so [`detach_recordings`] frees it. With
/// `read_ahead` (the study's runs leave a core free), a run may read its trace on a
/// thread of its own.
pub(super) fn attach_recordings(study: &mut Study, traces: &mut [TraceRead], read_ahead: bool) {
    for c in &mut study.configurations {
        for t in &mut c.scenario.traces {
            if let Some(read) = traces.iter().find(|r| r.model.reads_like(t)) {
                t.recording = read.recording.clone();
            }
            t.read_ahead = read_ahead;
        }
    }
    traces
        .iter_mut()
        .for_each(|r| r.recording = Default::default());
}

/// Takes the recordings away once the study has run, so the next has the whole budget.
pub(super) fn detach_recordings(study: &mut Study) {
    for c in &mut study.configurations {
        for t in &mut c.scenario.traces {
            t.recording = Default::default();
            t.read_ahead = false;
        }
    }
}
