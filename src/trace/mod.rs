//! Recorded traffic replayed through the simulator with its own timestamps: API Gateway
//! access logs (JSON lines, as CloudWatch Logs exports them) mapped field by field, and
//! the formats of the cache-simulation field so public trace corpora work: plain text
//! (one object id per line), CSV with chosen columns, and libCacheSim's `oracleGeneral`
//! binary records, each optionally zstd-compressed. Every reader streams: one pass,
//! memory bounded by a read buffer, one reused [`TraceRequest`], no allocation per
//! record. Lines that do not parse are counted with their line numbers, never dropped
//! silently; past the scenario's `max_bad_lines` the replay stops with an error.

mod access_log;
mod binary;
mod check;
mod chunks;
mod delimited;
mod digest;
mod ids_ahead;
mod json_fields;
mod json_scan;
mod log_records;
mod recorded;

/// Whether the access-log fast path takes `line`, panicking where it disagrees with the
/// serde walk (for the fuzz target).
#[cfg(test)]
pub(crate) fn json_scan_agrees(line: &[u8]) -> bool {
    json_scan::check::agree(line)
}
mod spec;
mod special_bytes;
mod text;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

pub(crate) use check::{CheckHash, Scanned, record};
pub use check::{CheckInRun, Checked, InRun};
pub use digest::Digest;
pub use log_records::{LogFields, LogRead, LogRecord, read_log};
pub use recorded::{Recorded, Recording};
pub use spec::{AccessLogSpec, Column, FieldRule, MaxAgeZero, TraceFormat, TraceModel};

use crate::time::SimDuration;

/// Bad records tolerated when the scenario does not say (`max_bad_lines`).
pub const DEFAULT_MAX_BAD_LINES: u64 = 100;

/// Most parameter slots a resource replayed from access logs may have.
pub const MAX_PARAMS: usize = 8;

/// One replayed request, filled in place by [`TraceSource::next`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TraceRequest {
    /// When it arrives, after the trace's first request.
    pub at: SimDuration,
    /// The scenario resource it is for.
    pub resource: u32,
    /// Its principal.
    pub principal: u32,
    /// Whether it carries `Cache-Control: max-age=0`, when the trace says (else the
    /// trace's `max_age_zero` share decides).
    pub max_age_zero: Option<bool>,
    /// The object id (id formats: the key index) or a hash of the parameter values.
    pub key: u64,
    /// Parameter values per slot, when the trace gives them (access logs).
    pub params: Option<[u64; MAX_PARAMS]>,
    /// The response size, when the trace gives it.
    pub size: Option<u64>,
}

/// Why a trace could not be replayed.
#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    /// The file could not be opened or read.
    #[error("{}: cannot read the trace: {error}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// The trace cannot be read as configured (e.g. a named CSV column is missing).
    #[error("{}: {message}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// Too many lines did not parse.
    #[error("{}: {count} records did not parse, more than max_bad_lines = {limit} ({})", path.display(), .first.join("; "))]
    TooManyBad {
        /// The file.
        path: PathBuf,
        /// How many so far.
        count: u64,
        /// The limit.
        limit: u64,
        /// The first few, `line N: why`.
        first: Vec<String>,
    },
}

/// What reading a trace found besides requests (stored as is by a run's kept check).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Tally {
    /// Records read and replayed.
    pub requests: u64,
    /// Records that did not parse.
    pub bad: u64,
    /// The first few bad ones, `line N: why` (record N for binary traces).
    pub first_bad: Vec<String>,
    /// Requests for resources the scenario does not model, skipped, by `METHOD /path`.
    pub unmodelled: Vec<(String, u64)>,
    /// Records whose time went backwards, replayed at the previous record's time.
    pub reordered: u64,
    /// The time from the first record to the last.
    pub span: SimDuration,
    /// Records at or after the run's end, which are not replayed (counted by the pre-run scan).
    pub after_end: u64,
}

/// How many bad records a tally lists.
const LISTED: usize = 5;

impl Tally {
    fn bad(&mut self, path: &Path, line: u64, why: &str, limit: u64) -> Result<(), TraceError> {
        self.bad += 1;
        if self.first_bad.len() < LISTED {
            self.first_bad.push(format!("line {line}: {why}"));
        }
        if self.bad > limit {
            return Err(TraceError::TooManyBad {
                path: path.to_owned(),
                count: self.bad,
                limit,
                first: self.first_bad.clone(),
            });
        }
        Ok(())
    }

    /// Counts a request for `METHOD template`, which the scenario does not model
    /// (allocating only for the first of each kind).
    fn unmodelled(&mut self, method: &str, template: &str) {
        let same = |l: &str| {
            let m = method.len();
            l.len() == m + 1 + template.len()
                && l[..m].eq_ignore_ascii_case(method)
                && l.as_bytes()[m] == b' '
                && l[m + 1..] == *template
        };
        if let Some((_, n)) = self.unmodelled.iter_mut().find(|(l, _)| same(l)) {
            *n += 1;
        } else if self.unmodelled.len() < 20 {
            let label = format!("{} {template}", method.to_ascii_uppercase());
            self.unmodelled.push((label, 1));
        }
    }

    /// One line per thing worth telling the user, empty when the trace was clean.
    pub fn notes(&self, name: &str) -> Vec<String> {
        let mut out = Vec::new();
        if self.bad > 0 {
            out.push(format!(
                "trace `{name}`: {} record(s) did not parse and were skipped ({}{})",
                self.bad,
                self.first_bad.join("; "),
                if self.bad as usize > self.first_bad.len() {
                    "; ..."
                } else {
                    ""
                }
            ));
        }
        if !self.unmodelled.is_empty() {
            let total: u64 = self.unmodelled.iter().map(|(_, n)| n).sum();
            let list: Vec<String> = self
                .unmodelled
                .iter()
                .map(|(l, n)| format!("{l} x{n}"))
                .collect();
            out.push(format!(
                "trace `{name}`: {total} request(s) for resources the scenario does not model were skipped ({})",
                list.join(", ")
            ));
        }
        if self.after_end > 0 {
            out.push(format!(
                "trace `{name}`: {} of {} request(s) fall at or after the run's end and are not replayed (the trace spans {}; lengthen `duration`)",
                self.after_end, self.requests, self.span
            ));
        }
        if self.reordered > 0 {
            out.push(format!(
                "trace `{name}`: {} record(s) were earlier than the one before and were replayed at its time",
                self.reordered
            ));
        }
        out
    }
}

/// A stream of replayed requests.
pub trait TraceSource {
    /// Reads the next request into `out`; false at the end of the trace.
    fn next(&mut self, out: &mut TraceRequest) -> Result<bool, TraceError>;
    /// Reads the records of an object-id trace (oracleGeneral, text, CSV) into `out` in
    /// order, stopping at the end of the trace or after the first record at or after
    /// `until`; how many were read. One call for many records (each reader's `next` is
    /// inlined here), where `next` costs a virtual call each. Only for
    /// those formats, whose requests share one resource and principal and carry no
    /// `max-age=0` of their own, so a record is its time, id and size alone.
    fn next_ids(&mut self, out: &mut [IdRecord], until: SimDuration) -> Result<usize, TraceError> {
        let mut n = 0;
        while n < out.len() {
            if next_into_ids(self, out, &mut n, until)? {
                break;
            }
        }
        Ok(n)
    }
    /// What was found so far.
    fn tally(&self) -> &Tally;
    /// The concrete path, without the stage prefix (`/pets/42`), of the request the last
    /// [`TraceSource::next`] read, when the trace records one (access logs): the
    /// execute-api ARN IAM evaluates names it.
    fn path(&self) -> Option<&str> {
        None
    }
    /// The object id of the record the last [`TraceSource::next`] read, as written, when
    /// it is not a number (text and CSV traces): its key is a hash, and the ARN IAM
    /// evaluates names the text.
    fn id_text(&self) -> Option<&str> {
        None
    }
}

/// Keeps `id` as written in `out` (reused, so no allocation once grown) when it is not a
/// number, so its key is a hash of it; whether it did.
fn keep_id_text(id: &[u8], out: &mut String) -> bool {
    if text::is_number(id) {
        return false;
    }
    out.clear();
    out.push_str(&String::from_utf8_lossy(id));
    true
}

/// A record of an object-id trace ([`TraceSource::next_ids`]): what differs from one
/// request to the next.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IdRecord {
    /// When it arrives, after the trace's first request.
    pub at: SimDuration,
    /// The object id (the key index).
    pub id: u64,
    /// The response size, when the trace gives it.
    pub size: Option<u64>,
}

impl From<&TraceRequest> for IdRecord {
    /// The part of an object-id trace's request that differs from one to the next.
    fn from(r: &TraceRequest) -> IdRecord {
        IdRecord {
            at: r.at,
            id: r.key,
            size: r.size,
        }
    }
}

/// Reads one request with `source.next` into `out[*n]` for [`TraceSource::next_ids`]
/// (counting it in `n`); whether the batch ends there: the trace ended, or the request is
/// at or after `until`.
#[inline(always)]
fn next_into_ids<S: TraceSource + ?Sized>(
    source: &mut S,
    out: &mut [IdRecord],
    n: &mut usize,
    until: SimDuration,
) -> Result<bool, TraceError> {
    let mut r = TraceRequest::default();
    if !source.next(&mut r)? {
        return Ok(true);
    }
    debug_assert!(r.params.is_none() && r.max_age_zero.is_none());
    out[*n] = IdRecord::from(&r);
    *n += 1;
    Ok(r.at >= until)
}

/// Opens `model`'s trace for reading from the start; `resources` are the scenario's
/// resources as `(METHOD /path)` labels with their path templates, for access logs.
pub fn open(model: &TraceModel) -> Result<Box<dyn TraceSource>, TraceError> {
    // A trace the study's scan recorded is replayed from memory.
    if let Some(recorded) = &model.recording.0 {
        return Ok(Box::new(recorded::Replay::new(recorded.clone())));
    }
    Ok(open_file(model)?)
}

/// Opens an object-id trace (oracleGeneral, text, CSV) whose records are read by
/// [`TraceSource::next_ids`] alone, for a run reading it through its first record at or
/// after `until`. When the study leaves a core free (`model.read_ahead`) and the
/// records cost more to decode than to hand from one core to another (zstd, text, CSV),
/// the file is read and decoded ahead on a thread of its own; a plain oracleGeneral file's 24-byte
/// records are decoded as fast as another core could hand them over (measured: the
/// same wall time for a quarter more CPU), so it is read on the run's thread.
pub fn open_ids(
    model: &TraceModel,
    until: SimDuration,
) -> Result<Box<dyn TraceSource>, TraceError> {
    let costly = model.zstd || !matches!(model.format, TraceFormat::OracleGeneral);
    if !costly || !model.read_ahead || model.recording.0.is_some() {
        return open(model);
    }
    let source = open_file(model)?;
    let ahead =
        ids_ahead::IdsAhead::new(source, model, until).map_err(|error| TraceError::Read {
            path: model.file.clone(),
            error,
        })?;
    Ok(Box::new(ahead))
}

/// Opens `model`'s file.
fn open_file(model: &TraceModel) -> Result<Box<dyn TraceSource + Send>, TraceError> {
    let file = std::fs::File::open(&model.file).map_err(|error| TraceError::Read {
        path: model.file.clone(),
        error,
    })?;
    read_from(model, Box::new(file))
}

/// `model`'s records read from `file`, its bytes as stored (decompressed here when the
/// trace is zstd).
fn read_from(
    model: &TraceModel,
    file: Box<dyn Read + Send>,
) -> Result<Box<dyn TraceSource + Send>, TraceError> {
    let read_err = |error| TraceError::Read {
        path: model.file.clone(),
        error,
    };
    let reader: Box<dyn Read + Send> = if model.zstd {
        Box::new(zstd::Decoder::new(file).map_err(read_err)?)
    } else {
        Box::new(file)
    };
    // Access logs are read in large chunks of their own (no buffer between).
    if let TraceFormat::AccessLog(_) = &model.format {
        return Ok(Box::new(access_log::AccessLog::new(model, reader)));
    }
    let reader = BufReader::with_capacity(1 << 18, reader);
    Ok(match &model.format {
        TraceFormat::OracleGeneral => Box::new(binary::OracleGeneral::new(model, reader)),
        TraceFormat::Text { .. } => Box::new(text::Text::new(model, reader)),
        TraceFormat::Csv { .. } => Box::new(delimited::Delimited::new(model, reader)),
        TraceFormat::AccessLog(_) => unreachable!("read above"),
    })
}

/// What the readers of object-id traces (oracleGeneral, text, CSV) share: the clock, the
/// tally, and the resource and principal every request goes to; kept apart from the read
/// buffer, so a reader can fill requests while it borrows the buffer.
#[derive(Debug, Clone)]
struct IdRequests {
    clock: Clock,
    tally: Tally,
    resource: u32,
    principal: u32,
}

impl IdRequests {
    fn new(model: &TraceModel) -> IdRequests {
        let timed = match &model.format {
            TraceFormat::Text { .. } => false,
            TraceFormat::Csv { time, .. } => time.is_some(),
            TraceFormat::OracleGeneral | TraceFormat::AccessLog(_) => true,
        };
        IdRequests {
            clock: if timed {
                Clock::default()
            } else {
                Clock::spaced()
            },
            tally: Tally::default(),
            resource: model.resource,
            principal: model.principal,
        }
    }

    /// The next request's time, for a trace without times whose requests are spaced
    /// `gap_us` apart.
    #[inline(always)]
    fn spaced(&self, gap_us: f64) -> u64 {
        (self.tally.requests as f64 * gap_us) as u64
    }

    /// Fills `out` with the next request: object `key` at `micros` on the trace's clock,
    /// of `size` bytes if the trace says; counts it. False, with the record counted as
    /// bad (record or line `at` of `path`), when its time is implausible.
    #[inline(always)]
    fn fill(
        &mut self,
        out: &mut TraceRequest,
        (micros, key, size): (u64, u64, Option<u64>),
        (path, at, limit): (&Path, u64, u64),
    ) -> Result<bool, TraceError> {
        let r = self.record(micros, key, size);
        if r.at == IMPLAUSIBLE {
            self.implausible(path, at, limit)?;
            return Ok(false);
        }
        out.at = r.at;
        out.resource = self.resource;
        out.principal = self.principal;
        out.max_age_zero = None;
        out.key = r.id;
        out.params = None;
        out.size = r.size;
        Ok(true)
    }

    /// The next record: object `id` at `micros` on the trace's clock, of `size` bytes if
    /// the trace says; counts it. At [`IMPLAUSIBLE`] when its time is (the caller then
    /// counts it as bad, not as a request, with [`IdRequests::implausible`]).
    #[inline(always)]
    fn record(&mut self, micros: u64, id: u64, size: Option<u64>) -> IdRecord {
        let at = self.clock.at(micros, &mut self.tally);
        // Counted here, uncounted by `implausible` when it is not a request.
        self.tally.requests += 1;
        IdRecord { at, id, size }
    }

    /// Counts record (or line) `at` of `path` as bad for its implausible time, not as a
    /// request.
    #[cold]
    fn implausible(&mut self, path: &Path, at: u64, limit: u64) -> Result<(), TraceError> {
        self.tally.requests -= 1;
        self.tally.bad(path, at, IMPLAUSIBLE_WHY, limit)
    }
}

/// The arrival time a reader's clock gives a record whose time is implausible: more than
/// ten years after the trace's first record. Such a record is a bad record: taken
/// as a time, one corrupt timestamp would push every later record past the run's end.
pub(crate) const IMPLAUSIBLE: SimDuration = SimDuration::MAX;

/// The longest a timed trace may span: ten years of 365 days.
const MAX_SPAN_US: u64 = 10 * 365 * 86_400 * 1_000_000;

/// Why a record at [`IMPLAUSIBLE`] is bad.
const IMPLAUSIBLE_WHY: &str =
    "the time is more than 10 years after the trace's first record (a corrupt time?)";

/// Keeps replay time monotone: a record earlier than the previous one is replayed at the
/// previous one's time. Times are microseconds since an arbitrary epoch; the first
/// record's time is the trace's zero. A time more than `max_span` after it is
/// [`IMPLAUSIBLE`] and leaves the clock as it was.
#[derive(Debug, Clone, Copy)]
struct Clock {
    first: Option<u64>,
    last: u64,
    max_span: u64,
}

impl Default for Clock {
    /// The clock of a trace with recorded times.
    fn default() -> Clock {
        Clock {
            first: None,
            last: 0,
            max_span: MAX_SPAN_US,
        }
    }
}

impl Clock {
    /// The clock of a trace whose records are spaced at a rate (any span is its own).
    fn spaced() -> Clock {
        Clock {
            max_span: u64::MAX - 1,
            ..Clock::default()
        }
    }

    #[inline]
    fn at(&mut self, micros: u64, tally: &mut Tally) -> SimDuration {
        let first = *self.first.get_or_insert(micros);
        let rel = micros.saturating_sub(first);
        // One comparison for the usual case, `last <= rel <= max_span` (`last` never
        // exceeds `max_span`); the others are rare.
        if rel.wrapping_sub(self.last) > self.max_span - self.last {
            return self.unusual(rel, tally);
        }
        self.last = rel;
        tally.span = SimDuration::from_micros(rel);
        SimDuration::from_micros(rel)
    }

    /// A time before the last one (replayed at the last one's) or implausible.
    #[cold]
    fn unusual(&mut self, rel: u64, tally: &mut Tally) -> SimDuration {
        if rel > self.max_span {
            return IMPLAUSIBLE;
        }
        tally.reordered += 1;
        SimDuration::from_micros(self.last)
    }
}

/// Reads one line (without its end) into `buf`; false at the end.
fn read_line(reader: &mut impl BufRead, buf: &mut Vec<u8>) -> std::io::Result<bool> {
    buf.clear();
    if reader.read_until(b'\n', buf)? == 0 {
        return Ok(false);
    }
    while matches!(buf.last(), Some(b'\n' | b'\r')) {
        buf.pop();
    }
    Ok(true)
}

/// Reads one line and hands it (without its line ending) to `f`: straight from the
/// reader's buffer when the line lies whole in it, else copied into `buf` first. `None`
/// at the end of the input.
#[inline]
fn with_line<T>(
    reader: &mut impl BufRead,
    buf: &mut Vec<u8>,
    f: impl FnOnce(&[u8]) -> T,
) -> std::io::Result<Option<T>> {
    let available = reader.fill_buf()?;
    if let Some(n) = available.iter().position(|&b| b == b'\n') {
        let out = f(trim_line_end(&available[..n]));
        reader.consume(n + 1);
        return Ok(Some(out));
    }
    if !read_line(reader, buf)? {
        return Ok(None);
    }
    Ok(Some(f(buf)))
}

/// `line` without trailing `\r` characters.
#[inline]
fn trim_line_end(mut line: &[u8]) -> &[u8] {
    while let [rest @ .., b'\r'] = line {
        line = rest;
    }
    line
}

/// A stable 64-bit hash of a parameter value or an object name (FNV-1a): the same
/// text always maps to the same key, on every machine and version.
pub(crate) fn hash_text(bytes: &[u8]) -> u64 {
    fnv_extend(0xcbf2_9ce4_8422_2325, bytes)
}

/// Continues an FNV-1a hash with more bytes (`hash_text` of a concatenation, in parts).
fn fnv_extend(mut h: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests;
