//! An access log read record by record for `cachegate fit`: every field fit looks at,
//! as the line says it (no scenario resources to match it against), parsed in chunks on
//! the pool and served in file order, bad lines counted and bounded as a replayed
//! trace's are. Plain or zstd-compressed (told by its first bytes).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::chunks::{CHUNK, Chunked};
use super::json_fields::{Fields, MAX_FIELDS, Val};
use super::spec::FieldRule;
use super::{Tally, TraceError};

/// Where a line keeps each field fit reads (dotted paths; absent ones are not read).
#[derive(Debug, Clone)]
pub struct LogFields {
    /// Epoch milliseconds, CLF or RFC 3339 time.
    pub time: Vec<String>,
    /// HTTP method.
    pub method: Vec<String>,
    /// Resource path template (`/pets/{petId}`).
    pub resource_path: Vec<String>,
    /// Concrete request path.
    pub path: Vec<String>,
    /// The caller.
    pub principal: Option<Vec<String>>,
    /// Response bytes (`$context.responseLength`).
    pub response_length: Option<Vec<String>>,
    /// Milliseconds the integration took (`$context.integrationLatency`): `-` when no
    /// integration was called.
    pub integration_latency: Option<Vec<String>>,
    /// The response status (`$context.status`).
    pub status: Option<Vec<String>>,
    /// Whether the request sent `Cache-Control: max-age=0`.
    pub max_age_zero: Option<FieldRule>,
}

impl LogFields {
    /// The fields API Gateway's documented JSON access-log format names, plus
    /// `integrationLatency`, `responseLength` and `status`; the caller from
    /// `identity.userArn`.
    pub fn standard() -> LogFields {
        let p = |s: &str| s.split('.').map(str::to_owned).collect::<Vec<_>>();
        LogFields {
            time: p("requestTimeEpoch"),
            method: p("httpMethod"),
            resource_path: p("resourcePath"),
            path: p("path"),
            principal: Some(p("identity.userArn")),
            response_length: Some(p("responseLength")),
            integration_latency: Some(p("integrationLatency")),
            status: Some(p("status")),
            max_age_zero: None,
        }
    }
}

/// One record, as fit reads it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LogRecord<'a> {
    /// Epoch microseconds.
    pub micros: u64,
    /// 1-based line.
    pub line: u64,
    /// HTTP method, as written.
    pub method: &'a str,
    /// Resource path template.
    pub template: &'a str,
    /// Concrete path, as written.
    pub path: &'a str,
    /// The key: the part of the path the template matched from its first segment on
    /// (`pets/42` of `/prod/pets/42`), or the whole path when it does not fit.
    pub key: &'a str,
    /// The caller, when mapped and not `-`.
    pub principal: Option<&'a str>,
    /// Response bytes.
    pub response_length: Option<u64>,
    /// Integration milliseconds; `None` when the field is absent, empty or `-`.
    pub integration_latency: Option<f64>,
    /// Whether the line has the integration-latency field at all (mapped and present).
    pub latency_logged: bool,
    /// The response status.
    pub status: Option<u16>,
    /// Whether the request sent `max-age=0`, when the rule is given.
    pub max_age_zero: Option<bool>,
}

/// What reading a log found besides its records.
#[derive(Debug, Clone, Default)]
pub struct LogRead {
    /// Records served.
    pub records: u64,
    /// Lines that did not parse.
    pub bad: u64,
    /// The first of them, `line N: why`.
    pub first_bad: Vec<String>,
    /// Bytes of the file as stored.
    pub bytes: u64,
    /// The first record's time (epoch µs), when there is one.
    pub first_us: Option<u64>,
}

/// The farthest a record's time may be from the log's first record's: counts per minute
/// of the span are kept, so a corrupt time cannot make them huge.
pub const MAX_SPAN_DAYS: u64 = 400;
const MAX_SPAN_US: u64 = MAX_SPAN_DAYS * 86_400_000_000;

const TIME: usize = 0;
const METHOD: usize = 1;
const RESOURCE_PATH: usize = 2;
const PATH: usize = 3;
const PRINCIPAL: usize = 4;
const RESPONSE_LENGTH: usize = 5;
const LATENCY: usize = 6;
const STATUS: usize = 7;
const RULE: usize = 8;

/// A record parsed in its chunk: texts are ranges of the chunk's text.
struct Parsed {
    index: u32,
    micros: u64,
    method: std::ops::Range<u32>,
    template: std::ops::Range<u32>,
    path: std::ops::Range<u32>,
    key: std::ops::Range<u32>,
    principal: Option<std::ops::Range<u32>>,
    response_length: Option<u64>,
    integration_latency: Option<f64>,
    latency_logged: bool,
    status: Option<u16>,
    max_age_zero: Option<bool>,
}

#[derive(Default)]
struct Chunk {
    records: Vec<Result<Parsed, (u32, String)>>,
    text: String,
    count: u64,
}

struct Parser {
    fields: Fields,
    wanted: Vec<Vec<String>>,
    rule: Option<FieldRule>,
}

impl Parser {
    fn new(f: &LogFields) -> Parser {
        let none = Vec::new;
        let wanted = vec![
            f.time.clone(),
            f.method.clone(),
            f.resource_path.clone(),
            f.path.clone(),
            f.principal.clone().unwrap_or_else(none),
            f.response_length.clone().unwrap_or_else(none),
            f.integration_latency.clone().unwrap_or_else(none),
            f.status.clone().unwrap_or_else(none),
            f.max_age_zero
                .as_ref()
                .map_or_else(none, |r| r.field.clone()),
        ];
        // An empty path names no field: give it one no line has.
        let wanted: Vec<Vec<String>> = wanted
            .into_iter()
            .map(|w| {
                if w.is_empty() {
                    vec![String::new(), String::new()]
                } else {
                    w
                }
            })
            .collect();
        Parser {
            fields: Fields::new(&wanted),
            wanted,
            rule: f.max_age_zero.clone(),
        }
    }

    /// Parses a chunk of whole lines into `out` (what it held is dropped, its buffers
    /// reused).
    fn chunk(&self, chunk: &[u8], out: &mut Chunk) {
        out.records.clear();
        out.text.clear();
        out.count = super::access_log::each_line(chunk, |index, line| {
            let parsed = self
                .line(index, line, &mut out.text)
                .map_err(|e| (index, e));
            out.records.push(parsed);
        });
    }

    fn line(&self, index: u32, line: &[u8], text: &mut String) -> Result<Parsed, String> {
        let mut f: [Option<Val<'_>>; MAX_FIELDS] = Default::default();
        super::access_log::object_fields(&self.fields, line, &mut f)?;
        let wanted = &self.wanted;
        let field = |slot: usize, what: &str| -> Result<&str, String> {
            match &f[slot] {
                Some(Val::Str(s)) if !s.is_empty() && s != "-" => Ok(s.as_ref()),
                _ => Err(format!("no {what} in `{}`", wanted[slot].join("."))),
            }
        };
        let micros = super::access_log::record_micros(&f[TIME], || field(TIME, "time"))?;
        let mut push = |s: &str| {
            let start = text.len() as u32;
            text.push_str(s);
            start..text.len() as u32
        };
        let method = push(field(METHOD, "method")?);
        let template_text = field(RESOURCE_PATH, "resource path")?;
        let template = push(template_text);
        let path_text = field(PATH, "request path")?;
        let path = push(path_text);
        let key = match key_of(template_text, path_text) {
            // An empty match is the empty key (its pointer may be anywhere).
            Some("") => path.end..path.end,
            Some(k) => {
                // A slice of the path, so within the text just pushed.
                let offset = (k.as_ptr() as usize).saturating_sub(path_text.as_ptr() as usize);
                let offset = offset.min(path_text.len() - k.len()) as u32;
                path.start + offset..path.start + offset + k.len() as u32
            }
            None => path.clone(),
        };
        let principal = match &f[PRINCIPAL] {
            Some(Val::Str(s)) if !s.is_empty() && s != "-" => Some(push(s)),
            _ => None,
        };
        let number = |v: &Option<Val<'_>>| -> Option<f64> {
            match v {
                Some(Val::U64(n)) => Some(*n as f64),
                Some(Val::F64(x)) if x.is_finite() && *x >= 0.0 => Some(*x),
                Some(Val::Str(s)) => s
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite() && *x >= 0.0),
                _ => None,
            }
        };
        Ok(Parsed {
            index,
            micros,
            method,
            template,
            path,
            key,
            principal,
            response_length: number(&f[RESPONSE_LENGTH]).map(|x| x as u64),
            integration_latency: number(&f[LATENCY]),
            latency_logged: f[LATENCY].is_some(),
            status: number(&f[STATUS]).map(|x| x as u16),
            max_age_zero: self.rule.as_ref().map(|r| r.holds(f[RULE].as_ref())),
        })
    }
}

/// The part of `path` `template` matches (see [`LogRecord::key`]).
fn key_of<'p>(template: &str, path: &'p str) -> Option<&'p str> {
    let mut segments = [""; 64];
    let mut n = 0;
    for s in template.split('/').filter(|s| !s.is_empty()) {
        *segments.get_mut(n)? = s;
        n += 1;
    }
    let mut params = [0u64; super::MAX_PARAMS];
    super::access_log::capture(&segments[..n], path, &mut params)
}

/// Counts the bytes read through it.
struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Reads the access log at `file`: `each` gets every record in file order, `progress`
/// the bytes of the file read so far (as stored), once a chunk. Fails on an unreadable
/// file or more than `max_bad` lines that do not parse.
pub fn read_log(
    file: &Path,
    fields: &LogFields,
    max_bad: u64,
    progress: &mut dyn FnMut(u64),
    each: &mut dyn FnMut(&LogRecord<'_>),
) -> Result<LogRead, TraceError> {
    let read_err = |error| TraceError::Read {
        path: PathBuf::from(file),
        error,
    };
    let mut handle = std::fs::File::open(file).map_err(read_err)?;
    let mut magic = [0u8; 4];
    let n = handle.read(&mut magic).map_err(read_err)?;
    let zstd = n == 4 && magic == [0x28, 0xb5, 0x2f, 0xfd];
    let count = Arc::new(AtomicU64::new(0));
    let raw = Counting {
        inner: std::io::Cursor::new(magic[..n].to_vec()).chain(handle),
        count: Arc::clone(&count),
    };
    let reader: Box<dyn Read> = if zstd {
        Box::new(zstd::Decoder::new(raw).map_err(read_err)?)
    } else {
        Box::new(raw)
    };
    let parser = Arc::new(Parser::new(fields));
    let mut chunks: Chunked<_, Chunk> = Chunked::new(
        reader,
        CHUNK,
        Arc::new(move |c: &[u8], out: &mut Chunk| parser.chunk(c, out)),
    );
    let mut chunk = Chunk::default();
    let mut tally = Tally::default();
    let mut lines_before = 0u64;
    let mut records = 0u64;
    let mut first_us: Option<u64> = None;
    while let Some(next) = chunks.next(chunk).map_err(read_err)? {
        chunk = next;
        for r in &chunk.records {
            match r {
                Ok(p) => {
                    let line = lines_before + u64::from(p.index) + 1;
                    let first = *first_us.get_or_insert(p.micros);
                    if p.micros.abs_diff(first) > MAX_SPAN_US {
                        let why = format!(
                            "time {} is more than {MAX_SPAN_DAYS} days from the first record's ({})",
                            crate::fit::rfc3339(p.micros),
                            crate::fit::rfc3339(first)
                        );
                        tally.bad(file, line, &why, max_bad)?;
                        continue;
                    }
                    let t =
                        |r: &std::ops::Range<u32>| &chunk.text[r.start as usize..r.end as usize];
                    each(&LogRecord {
                        micros: p.micros,
                        line,
                        method: t(&p.method),
                        template: t(&p.template),
                        path: t(&p.path),
                        key: t(&p.key),
                        principal: p.principal.as_ref().map(t),
                        response_length: p.response_length,
                        integration_latency: p.integration_latency,
                        latency_logged: p.latency_logged,
                        status: p.status,
                        max_age_zero: p.max_age_zero,
                    });
                    records += 1;
                }
                Err((index, why)) => {
                    tally.bad(file, lines_before + u64::from(*index) + 1, why, max_bad)?;
                }
            }
        }
        lines_before += chunk.count;
        progress(count.load(Ordering::Relaxed));
    }
    Ok(LogRead {
        records,
        bad: tally.bad,
        first_bad: tally.first_bad,
        bytes: count.load(Ordering::Relaxed),
        first_us,
    })
}
