//! API Gateway access logs in JSON, one object per line; a line may also start with
//! the timestamp CloudWatch Logs puts before each message when it exports to S3
//! (`2026-11-24T06:06:45.000Z {...}`). The scenario maps fields to what the model needs
//! (dotted paths reach into nested objects); a request is matched to a scenario resource
//! by method and resource path template, and its path parameters are read from the
//! concrete path, so distinct values are distinct keys.

use std::io::Read;
use std::ops::Range;
use std::sync::Arc;

use super::chunks::{CHUNK, Chunked};
use super::json_fields::{Fields, MAX_FIELDS, Val};
use super::spec::{AccessLogSpec, FieldRule, MaxAgeZero, TraceFormat, TraceModel};
use super::{
    Clock, IMPLAUSIBLE, IMPLAUSIBLE_WHY, MAX_PARAMS, Tally, TraceError, TraceRequest, TraceSource,
    fnv_extend, hash_text,
};
use crate::time::SimDuration;

impl FieldRule {
    pub(super) fn holds(&self, value: Option<&Val<'_>>) -> bool {
        let text: std::borrow::Cow<'_, str> = match value {
            Some(Val::Str(s)) => std::borrow::Cow::Borrowed(s.as_ref()),
            Some(Val::U64(n)) => n.to_string().into(),
            Some(Val::F64(x)) => x.to_string().into(),
            Some(Val::Bool(b)) => b.to_string().into(),
            Some(Val::Null | Val::Other) | None => return false,
        };
        self.equals.as_ref().is_some_and(|e| *text == **e)
            || self
                .contains
                .as_ref()
                .is_some_and(|c| text.contains(c.as_str()))
    }
}

// Where each field lands in the extracted array.
const TIME: usize = 0;
const METHOD: usize = 1;
const RESOURCE_PATH: usize = 2;
const PATH: usize = 3;
const PRINCIPAL: usize = 4;
const RESPONSE_LENGTH: usize = 5;
const RULE: usize = 6;

/// A resource's path template, split for matching.
struct Route {
    method: String,
    template: String,
    segments: Vec<String>,
    resource: u32,
}

/// How a line becomes a request: the scenario's mapping, compiled; shared by the threads
/// that parse chunks.
struct Parser {
    spec: AccessLogSpec,
    routes: Vec<Route>,
    default_principal: u32,
    rule: Option<FieldRule>,
    /// The field paths to extract, by the slots above (absent ones never match).
    wanted: Vec<Vec<String>>,
    /// `wanted`, compiled for the walk.
    fields: Fields,
}

/// A line parsed on its own, before the trace's clock (which depends on the lines
/// before) gives it a time.
enum Parsed {
    /// A request at `micros` on the trace's clock (`at` not yet set), whose concrete path
    /// is `path` in the chunk's text.
    Request {
        micros: u64,
        request: TraceRequest,
        path: Range<usize>,
    },
    /// A request for `METHOD template` (in the chunk's text), which the scenario does not
    /// model.
    Unmodelled {
        method: Range<usize>,
        template: Range<usize>,
    },
    /// A line that does not parse, and why.
    Bad(String),
}

/// A chunk's lines, parsed.
#[derive(Default)]
struct ParsedChunk {
    /// Each line that is not blank: its index in the chunk, and what it holds.
    lines: Vec<(u32, Parsed)>,
    /// The text `Parsed` ranges point into.
    text: String,
    /// How many lines the chunk holds (blank ones too).
    count: u64,
}

impl Parser {
    fn new(model: &TraceModel, spec: &AccessLogSpec) -> Parser {
        let wanted = {
            let none = || vec![String::new(), String::new()];
            let rule = match &model.max_age_zero {
                MaxAgeZero::Field(rule) => rule.field.clone(),
                MaxAgeZero::Share(_) => none(),
            };
            vec![
                spec.time.clone(),
                spec.method.clone(),
                spec.resource_path.clone(),
                spec.path.clone(),
                spec.principal.clone().unwrap_or_else(none),
                spec.response_length.clone().unwrap_or_else(none),
                rule,
            ]
        };
        Parser {
            routes: spec
                .routes
                .iter()
                .map(|(method, template, resource)| Route {
                    method: method.clone(),
                    template: template.clone(),
                    segments: template
                        .split('/')
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect(),
                    resource: *resource,
                })
                .collect(),
            spec: spec.clone(),
            default_principal: model.principal,
            rule: match &model.max_age_zero {
                MaxAgeZero::Field(rule) => Some(rule.clone()),
                MaxAgeZero::Share(_) => None,
            },
            fields: Fields::new(&wanted),
            wanted,
        }
    }

    /// Parses a chunk of whole lines (each without its `\n` and trailing `\r`s) into
    /// `out` (what it held is dropped, its buffers reused).
    fn chunk(&self, chunk: &[u8], out: &mut ParsedChunk) {
        out.lines.clear();
        out.text.clear();
        out.count = each_line(chunk, |index, line| {
            let parsed = self.line(line, &mut out.text).unwrap_or_else(Parsed::Bad);
            out.lines.push((index, parsed));
        });
    }

    /// Parses one line; its texts go to the end of `text`. Err(why) for a line to count
    /// as bad.
    fn line(&self, line: &[u8], text: &mut String) -> Result<Parsed, String> {
        let mut f: [Option<Val<'_>>; MAX_FIELDS] = Default::default();
        object_fields(&self.fields, line, &mut f)?;
        let wanted = &self.wanted;
        let field = |slot: usize, what: &str| -> Result<&str, String> {
            match &f[slot] {
                Some(Val::Str(s)) if !s.is_empty() && s != "-" => Ok(s.as_ref()),
                _ => Err(format!("no {what} in `{}`", wanted[slot].join("."))),
            }
        };
        let micros = record_micros(&f[TIME], || field(TIME, "time"))?;
        let method = field(METHOD, "method")?;
        let template = field(RESOURCE_PATH, "resource path")?;
        let Some(route) = self
            .routes
            .iter()
            .find(|r| r.method.eq_ignore_ascii_case(method) && r.template == template)
        else {
            return Ok(Parsed::Unmodelled {
                method: push(text, &[method]),
                template: push(text, &[template]),
            });
        };
        let concrete = field(PATH, "request path")?;
        let mut params = [0u64; MAX_PARAMS];
        let path = capture(&route.segments, concrete, &mut params)
            .ok_or_else(|| format!("path `{concrete}` does not fit `{}`", route.template))?;
        let principal = match (&self.spec.principal, &f[PRINCIPAL]) {
            (Some(_), Some(Val::Str(who))) => self
                .spec
                .principals
                .iter()
                .find(|(k, _)| k == who)
                .map_or(self.default_principal, |(_, i)| *i),
            _ => self.default_principal,
        };
        let size = match &f[RESPONSE_LENGTH] {
            Some(Val::U64(n)) => Some(*n),
            Some(Val::Str(s)) => s.trim().parse().ok(),
            _ => None,
        };
        let request = TraceRequest {
            at: SimDuration::ZERO,
            resource: route.resource,
            principal,
            max_age_zero: self.rule.as_ref().map(|r| r.holds(f[RULE].as_ref())),
            key: params.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, v| {
                (h ^ v).wrapping_mul(0x0000_0100_0000_01b3)
            }),
            params: Some(params),
            size,
        };
        Ok(Parsed::Request {
            micros,
            request,
            path: push(text, &["/", path]),
        })
    }
}

/// Each line of `chunk` that is not blank, with its index in the chunk (without its
/// `\n` and trailing `\r`s); the number of lines, blank ones included.
pub(super) fn each_line(chunk: &[u8], mut f: impl FnMut(u32, &[u8])) -> u64 {
    let mut count = 0u64;
    let mut rest = chunk;
    while !rest.is_empty() {
        let end = memchr::memchr(b'\n', rest).unwrap_or(rest.len());
        let line = super::trim_line_end(&rest[..end]);
        rest = rest.get(end + 1..).unwrap_or_default();
        let index = count as u32;
        count += 1;
        if !line.iter().all(u8::is_ascii_whitespace) {
            f(index, line);
        }
    }
    count
}

/// The wanted fields of `line`'s JSON object (after a CloudWatch export prefix, if
/// any): the fast path, else the serde walk, whose answer stands for what the fast path
/// does not take.
pub(super) fn object_fields<'l>(
    fields: &Fields,
    line: &'l [u8],
    out: &mut [Option<Val<'l>>; MAX_FIELDS],
) -> Result<(), String> {
    let start = line
        .iter()
        .position(|&b| b == b'{')
        .ok_or("no JSON object on the line")?;
    let line = &line[start..];
    if fields.scan(line, out).is_none() {
        fields.extract(line, out)?;
    }
    Ok(())
}

/// A record's time in epoch microseconds: epoch milliseconds as a number, else
/// `text()` as [`time_micros`] reads it.
pub(super) fn record_micros<'t>(
    value: &Option<Val<'_>>,
    text: impl FnOnce() -> Result<&'t str, String>,
) -> Result<u64, String> {
    match value {
        Some(Val::U64(ms)) => Ok(ms.saturating_mul(1_000)),
        Some(Val::F64(ms)) if *ms >= 0.0 => Ok((ms * 1_000.0) as u64),
        _ => time_micros(text()?),
    }
}

/// Appends `parts` to `text`; where they landed.
fn push(text: &mut String, parts: &[&str]) -> Range<usize> {
    let start = text.len();
    parts.iter().for_each(|p| text.push_str(p));
    start..text.len()
}

/// An access log's requests in file order: chunks of lines parsed ahead (in parallel on
/// the run's pool, see [`super::chunks`]), then timed by the trace's clock and counted
/// here, in order, so what it yields and tallies does not depend on the thread count.
pub(super) struct AccessLog<R> {
    chunks: Chunked<R, ParsedChunk>,
    /// The chunk being served, the next of its lines, and the number of lines before it.
    current: ParsedChunk,
    next: usize,
    lines_before: u64,
    /// The last request's concrete path, in `current.text`.
    last_path: Range<usize>,
    path: std::path::PathBuf,
    limit: u64,
    clock: Clock,
    tally: Tally,
}

impl<R: Read> AccessLog<R> {
    pub(super) fn new(model: &TraceModel, reader: R) -> Self {
        Self::in_chunks(model, reader, CHUNK)
    }

    /// Reads in chunks of at most `chunk` bytes (but for longer lines).
    pub(super) fn in_chunks(model: &TraceModel, reader: R, chunk: usize) -> Self {
        let TraceFormat::AccessLog(spec) = &model.format else {
            unreachable!("AccessLog reads access logs only")
        };
        let parser = Arc::new(Parser::new(model, spec));
        AccessLog {
            chunks: Chunked::new(
                reader,
                chunk,
                Arc::new(move |chunk: &[u8], out: &mut ParsedChunk| parser.chunk(chunk, out)),
            ),
            current: ParsedChunk::default(),
            next: 0,
            lines_before: 0,
            last_path: 0..0,
            path: model.file.clone(),
            limit: model.max_bad_lines,
            clock: Clock::default(),
            tally: Tally::default(),
        }
    }

    /// Moves on to the next chunk (the one served is recycled); false at the end.
    fn advance(&mut self) -> Result<bool, TraceError> {
        let done = std::mem::take(&mut self.current);
        let count = done.count;
        let next = self.chunks.next(done).map_err(|error| TraceError::Read {
            path: self.path.clone(),
            error,
        })?;
        let Some(chunk) = next else {
            // Asked again, it ends again.
            self.next = 0;
            return Ok(false);
        };
        self.lines_before += count;
        self.current = chunk;
        self.next = 0;
        Ok(true)
    }
}

impl<R: Read> TraceSource for AccessLog<R> {
    fn next(&mut self, out: &mut TraceRequest) -> Result<bool, TraceError> {
        loop {
            while self.next == self.current.lines.len() {
                if !self.advance()? {
                    return Ok(false);
                }
            }
            let (index, parsed) = &self.current.lines[self.next];
            self.next += 1;
            let line = self.lines_before + u64::from(*index) + 1;
            match parsed {
                Parsed::Request {
                    micros,
                    request,
                    path,
                } => {
                    let at = self.clock.at(*micros, &mut self.tally);
                    if at == IMPLAUSIBLE {
                        self.tally
                            .bad(&self.path, line, IMPLAUSIBLE_WHY, self.limit)?;
                        continue;
                    }
                    *out = *request;
                    out.at = at;
                    self.last_path = path.clone();
                    self.tally.requests += 1;
                    return Ok(true);
                }
                Parsed::Unmodelled { method, template } => {
                    let text = &self.current.text;
                    self.tally
                        .unmodelled(&text[method.clone()], &text[template.clone()]);
                }
                Parsed::Bad(why) => self.tally.bad(&self.path, line, why, self.limit)?,
            }
        }
    }

    fn tally(&self) -> &Tally {
        &self.tally
    }

    fn path(&self) -> Option<&str> {
        Some(&self.current.text[self.last_path.clone()])
    }
}

/// Epoch milliseconds (`requestTimeEpoch`), CLF (`requestTime`,
/// `24/Nov/2026:06:06:45 +0000`) or RFC 3339, as epoch microseconds.
pub(super) fn time_micros(text: &str) -> Result<u64, String> {
    if let Ok(ms) = text.parse::<f64>() {
        if ms.is_finite() && ms >= 0.0 {
            return Ok((ms * 1_000.0) as u64);
        }
    }
    let ts = jiff::fmt::strtime::parse("%d/%b/%Y:%H:%M:%S %z", text)
        .and_then(|t| t.to_timestamp())
        .or_else(|_| text.parse::<jiff::Timestamp>())
        .map_err(|_| {
            format!("time `{text}` is not epoch milliseconds, a CLF time or an RFC 3339 time")
        })?;
    u64::try_from(ts.as_microsecond()).map_err(|_| format!("time `{text}` is before 1970"))
}

/// Reads path parameters from `concrete` by `template`'s segments into `out` (hashes of
/// their text, in template order). The template is matched against the end of the
/// path, so a stage prefix (`/prod/pets/42`) does not matter; a greedy `{name+}` takes
/// the rest of the path. The part of `concrete` the template matched, from its first
/// segment (`pets/42`: what an execute-api ARN names after the method and a `/`), or None
/// when the path does not fit.
pub(super) fn capture<'p, S: AsRef<str>>(
    template: &[S],
    concrete: &'p str,
    out: &mut [u64; MAX_PARAMS],
) -> Option<&'p str> {
    // The path's segments, on the stack: no allocation per line.
    let mut parts = [""; MAX_SEGMENTS];
    let (path, n) = segments(concrete, &mut parts)?;
    let parts = &parts[..n];
    let greedy = template.iter().position(|s| s.as_ref().ends_with("+}"));
    let start = match greedy {
        // Find where the literal prefix before the greedy parameter starts.
        Some(g) => (0..=parts.len().saturating_sub(g)).rev().find(|&at| {
            template[..g]
                .iter()
                .zip(&parts[at..])
                .all(|(t, p)| t.as_ref().starts_with('{') || t.as_ref() == *p)
                && parts.len() > at + g
        })?,
        None => parts.len().checked_sub(template.len())?,
    };
    // From the first matched segment on (each part lies inside `path`).
    let matched = match parts.get(start) {
        Some(first) => &path[first.as_ptr() as usize - path.as_ptr() as usize..],
        None => "",
    };
    let mut slot = 0;
    for (i, t) in template.iter().enumerate() {
        let t = t.as_ref();
        if Some(i) == greedy {
            // The rest of the path, hashed as its `/`-joined text.
            let mut h = hash_text(b"");
            for (j, p) in parts[start + i..].iter().enumerate() {
                if j > 0 {
                    h = fnv_extend(h, b"/");
                }
                h = fnv_extend(h, p.as_bytes());
            }
            *out.get_mut(slot)? = h;
            return Some(matched);
        }
        let p = parts.get(start + i)?;
        if t.starts_with('{') {
            *out.get_mut(slot)? = hash_text(p.as_bytes());
            slot += 1;
        } else if t != *p {
            return None;
        }
    }
    Some(matched)
}

/// `concrete` up to its query (`?`), and how many of its `/`-separated segments that are
/// not empty went to `parts` (None when more than `parts` holds). Paths are short: a
/// byte loop beats `str::split`'s searcher, set up per call.
fn segments<'p>(concrete: &'p str, parts: &mut [&'p str]) -> Option<(&'p str, usize)> {
    let bytes = concrete.as_bytes();
    let path = &concrete[..bytes.iter().position(|&b| b == b'?').unwrap_or(bytes.len())];
    let mut n = 0;
    let mut from = 0;
    for (at, &b) in path.as_bytes().iter().enumerate() {
        if b == b'/' {
            if at > from {
                *parts.get_mut(n)? = &path[from..at];
                n += 1;
            }
            from = at + 1;
        }
    }
    if path.len() > from {
        *parts.get_mut(n)? = &path[from..];
        n += 1;
    }
    Some((path, n))
}

/// Most path segments a replayed request path may have.
const MAX_SEGMENTS: usize = 64;

#[cfg(test)]
mod tests {
    use super::*;

    fn segs(t: &str) -> Vec<String> {
        t.split('/')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    }

    proptest::proptest! {
        #[test]
        fn segments_are_what_splitting_the_path_gives(
            concrete in "[a/?é]{0,40}",
        ) {
            let path = concrete.split('?').next().unwrap_or_default();
            let want = segs(path);
            let mut parts = [""; 8];
            match segments(&concrete, &mut parts) {
                Some((got_path, n)) => {
                    proptest::prop_assert_eq!(got_path, path);
                    proptest::prop_assert_eq!(&parts[..n], &want[..]);
                }
                None => proptest::prop_assert!(want.len() > 8),
            }
        }
    }

    #[test]
    fn paths_are_matched_from_the_end_and_parameters_hashed() {
        let mut out = [0; MAX_PARAMS];
        let matched = capture(&segs("/pets/{petId}"), "/prod/pets/42", &mut out);
        assert_eq!(
            matched,
            Some("pets/42"),
            "the stage prefix is not the ARN's"
        );
        assert_eq!(out[0], hash_text(b"42"));
        let matched = capture(&segs("/pets/{petId}"), "/pets/7?x=1", &mut out);
        assert_eq!(matched, Some("pets/7"));
        assert_eq!(out[0], hash_text(b"7"));
        assert_eq!(capture::<&str>(&[], "/prod", &mut out), Some(""));
        assert!(capture(&segs("/pets/{petId}"), "/owners/42", &mut out).is_none());
        assert!(capture(&segs("/pets/{petId}"), "/", &mut out).is_none());
        let mut out = [0; MAX_PARAMS];
        let matched = capture(&segs("/files/{proxy+}"), "/prod/files/a/b/c.txt", &mut out);
        assert_eq!(matched, Some("files/a/b/c.txt"));
        assert_eq!(out[0], hash_text(b"a/b/c.txt"));
    }

    #[test]
    fn times_in_every_shape_access_logs_use() {
        assert_eq!(time_micros("1732428405000").unwrap(), 1_732_428_405_000_000);
        assert_eq!(
            time_micros("24/Nov/2024:06:06:45 +0000").unwrap(),
            1_732_428_405_000_000
        );
        assert_eq!(
            time_micros("2024-11-24T06:06:45Z").unwrap(),
            1_732_428_405_000_000
        );
        assert!(
            time_micros("yesterday")
                .unwrap_err()
                .contains("`yesterday`")
        );
    }
}
