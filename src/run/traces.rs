//! The trace pre-scan: every distinct trace file of a study is read once before anything
//! runs, so too many bad records stop the run there, and what each holds goes into the
//! manifest and the parts' fingerprints with its digest. The scan also records each access log's requests
//! in memory, within the run's budget (`--trace-memory`, shared equally by the study's
//! distinct access logs), and the study's runs replay the recording: a log is then parsed
//! once per study, whatever the number of configurations and replications. What the check
//! found is kept for the next run of the study (`trace_checks.rs`), which then does not
//! read an unchanged trace before it runs; a study of one run leaves the check to that
//! run, which reads its trace once for both ([`Traces::take_from_run`]). Object-id
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

/// A trace file as read before the run (or, for a study of one run, by that run).
pub(super) struct TraceRead {
    /// The trace as the scenario gives it.
    pub(super) model: crate::trace::TraceModel,
    pub(super) summary: TraceSummary,
    pub(super) notes: Vec<String>,
    /// What reading it found (or what was kept of an earlier check).
    pub(super) tally: crate::trace::Tally,
    /// Its requests, when they fitted the budget.
    pub(super) recording: crate::trace::Recording,
    /// The end of the first configuration replaying it: what its tally counts for.
    end: SimTime,
    /// The file's identity before it was read (`None`: it could not be found).
    before: Option<Identity>,
    /// Set when the study's one run takes the check (the read before the run left
    /// `summary`, `notes` and `tally` to it).
    in_run: crate::trace::CheckInRun,
}

/// The study's traces, as read before the run, and what is kept of their checks.
pub(super) struct Traces {
    pub(super) reads: Vec<TraceRead>,
    kept: TraceChecks,
    started: SystemTime,
}

/// Reads every distinct trace file of the study once (in parallel), with its digest,
/// recording the requests of each access log in at most `budget / distinct access logs`
/// bytes. A trace whose check is kept in `parts` (see [`TraceChecks`]) for the file as
/// it is now is not read at all, unless it is an access log to record for several runs
/// (then without the hash). With `one_run` (the study is one run), a trace that run
/// replays is not read here either: the run takes its check as it replays it (see
/// [`crate::trace::CheckInRun`]), and [`Traces::take_from_run`] completes it. The bytes
/// read show on a progress bar when `progress` (and stderr is a terminal).
pub(super) fn read_traces(
    study: &Study,
    pool: &rayon::ThreadPool,
    budget: usize,
    parts: &Path,
    progress: bool,
    one_run: bool,
) -> anyhow::Result<Traces> {
    let distinct = distinct(study);
    let logs = distinct.iter().filter(|(t, _, _)| recorded(t)).count();
    let budget = budget / logs.max(1);
    let kept = TraceChecks::load(parts);
    let started = SystemTime::now();
    let budget_of = |t: &crate::trace::TraceModel| if recorded(t) { budget } else { 0 };
    let read_again = |t: &crate::trace::TraceModel| budget_of(t) > 0 && runs(study, t) > 1;
    // What is known of each file as it is now, and how it is read.
    let plans: Vec<Plan> = distinct
        .iter()
        .map(|&(t, end, _)| {
            let before = trace_checks::identity(&t.file);
            let known = before.map_or(Known::Nothing, |i| kept.known(t, end, i));
            let how = match known {
                Known::All(..) if !read_again(t) => How::Kept,
                _ if one_run && runs(study, t) == 1 => How::InRun,
                _ => How::Read,
            };
            Plan { before, known, how }
        })
        .collect();
    let total: u64 = distinct
        .iter()
        .zip(&plans)
        .filter(|(_, plan)| plan.how == How::Read)
        .map(|(&(t, _, _), _)| std::fs::metadata(&t.file).map_or(0, |m| m.len()))
        .sum();
    let bar = super::progress_bar(
        total,
        progress && total > 0,
        study.name(),
        "{prefix} checking traces [{bar:30}] {bytes}/{total_bytes} ({eta})",
    );
    let reads = pool.install(|| {
        distinct
            .par_iter()
            .zip(plans)
            .map(|(&(t, end, last), plan)| -> anyhow::Result<TraceRead> {
                let budget = budget_of(t);
                let runs = runs(study, t);
                let (digest, read) = match (plan.how, plan.known) {
                    (How::Kept, Known::All(digest, tally)) => (digest, Scanned::kept(tally)),
                    (How::InRun, known) => {
                        let digest = match known {
                            Known::All(digest, _) | Known::Digest(digest) => Some(digest),
                            Known::Nothing => None,
                        };
                        let in_run = crate::trace::CheckInRun::new(digest.is_none());
                        let mut read = checked(t, end, plan.before, digest.unwrap_or_default(), Default::default());
                        read.in_run = in_run;
                        return Ok(read);
                    }
                    (_, Known::All(digest, _) | Known::Digest(digest)) => {
                        (digest, crate::trace::record(t, end, last, budget, false, Some(&bar))?)
                    }
                    (_, Known::Nothing) => {
                        let mut read = crate::trace::record(t, end, last, budget, true, Some(&bar))?;
                        (read.digest.take().unwrap_or_default(), read)
                    }
                };
                let mut trace = checked(t, end, plan.before, digest, read.tally);
                if read.recorded.is_none() && budget > 0 && runs > 1 {
                    trace.notes.push(format!(
                        "trace `{}`: its requests take {} MiB in memory, more than the {} MiB of --trace-memory it may use: each of its {runs} runs reads the file again (a larger --trace-memory reads it once)",
                        t.name,
                        read.needed.div_ceil(1 << 20),
                        budget >> 20,
                    ));
                }
                trace.recording = crate::trace::Recording(read.recorded.map(Arc::new));
                Ok(trace)
            })
            .collect::<anyhow::Result<Vec<_>>>()
    });
    bar.finish_and_clear();
    Ok(Traces {
        reads: reads?,
        kept,
        started,
    })
}

/// Each distinct trace of the study, the first configuration's end (for the note on
/// requests after it) and the latest end of any configuration replaying it (for the
/// recording).
fn distinct(study: &Study) -> Vec<(&crate::trace::TraceModel, SimTime, SimTime)> {
    let mut distinct: Vec<(&crate::trace::TraceModel, SimTime, SimTime)> = Vec::new();
    for c in &study.configurations {
        for t in &c.scenario.traces {
            match distinct.iter_mut().find(|(d, _, _)| d.reads_like(t)) {
                Some((_, _, last)) => *last = (*last).max(c.scenario.end()),
                None => distinct.push((t, c.scenario.end(), c.scenario.end())),
            }
        }
    }
    distinct
}

/// What is known of a trace file before the run, and how it is read.
struct Plan {
    before: Option<Identity>,
    known: Known,
    how: How,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum How {
    /// Not read: its kept check stands.
    Kept,
    /// Read before the run.
    Read,
    /// Read by the study's one run, which takes its check.
    InRun,
}

/// A trace whose file of digest `digest` was found to hold `tally`, with its summary
/// and notes.
fn checked(
    t: &crate::trace::TraceModel,
    end: SimTime,
    before: Option<Identity>,
    digest: String,
    tally: crate::trace::Tally,
) -> TraceRead {
    TraceRead {
        model: t.clone(),
        notes: tally.notes(&t.name),
        summary: TraceSummary {
            name: t.name.clone(),
            file: t.file.display().to_string(),
            digest,
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
        recording: Default::default(),
        end,
        before,
        in_run: Default::default(),
    }
}

impl Traces {
    /// Whether the study's run takes a trace's check.
    pub(super) fn in_run(&self) -> bool {
        self.reads.iter().any(|r| r.in_run.0.is_some())
    }

    /// Completes each trace whose check the study's run took with what the run found
    /// (its notes, then, come after the run); an error if the run did not read it to
    /// its end.
    pub(super) fn take_from_run(&mut self) -> anyhow::Result<()> {
        for read in &mut self.reads {
            if read.in_run.0.is_none() {
                continue;
            }
            let Some(found) = read.in_run.take() else {
                anyhow::bail!(
                    "trace `{}` ({}): the run ended without reading it through",
                    read.model.name,
                    read.model.file.display()
                );
            };
            let digest = found
                .digest
                .unwrap_or_else(|| std::mem::take(&mut read.summary.digest));
            let recording = std::mem::take(&mut read.recording);
            *read = checked(&read.model, read.end, read.before, digest, found.tally);
            read.recording = recording;
        }
        Ok(())
    }

    /// Keeps what was found of each file for the next run (`parts/traces.json`), for the
    /// files the study reads alone.
    pub(super) fn keep(&self, parts: &Path) -> anyhow::Result<()> {
        let mut checks = self.kept.clone();
        for r in &self.reads {
            if let Some(before) = r.before {
                checks.keep(
                    &r.model,
                    r.end,
                    before,
                    self.started,
                    &r.summary.digest,
                    &r.tally,
                );
            }
        }
        checks.only(&self.reads.iter().map(|r| &r.model).collect::<Vec<_>>());
        if checks != self.kept {
            checks.save(parts)?;
        }
        Ok(())
    }
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
                if t.enabled {
                    t.check_in_run = read.in_run.clone();
                }
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
            t.check_in_run = Default::default();
        }
    }
}
