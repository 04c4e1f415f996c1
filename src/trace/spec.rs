//! A scenario's `[[traces]]` entry, validated: which file, which format and how its
//! records map to the model (resource, principal, `max-age=0`).

use std::path::PathBuf;

use crate::time::SimTime;

/// A validated trace.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceModel {
    /// Its name in the scenario.
    pub name: String,
    /// The file.
    pub file: PathBuf,
    /// zstd-compressed (`compression = "zstd"`, or a `.zst` file).
    pub zstd: bool,
    /// How records are read.
    pub format: TraceFormat,
    /// When the trace's first record arrives.
    pub start: SimTime,
    /// Bad records tolerated before the replay stops with an error.
    pub max_bad_lines: u64,
    /// The algorithm of the file's digest in the report (`digest`).
    pub digest: super::Digest,
    /// Whether a request carries `max-age=0`.
    pub max_age_zero: MaxAgeZero,
    /// The resource of id-based formats.
    pub resource: u32,
    /// The principal of id-based formats, and of access-log requests whose principal
    /// is absent or not mapped.
    pub principal: u32,
    /// Whether it is replayed (`enabled`, default true).
    pub enabled: bool,
    /// The requests, when the study's scan kept them in memory (replayed from there
    /// rather than read again); not part of what the trace is (always equal).
    pub recording: super::Recording,
    /// Whether a run may read it ahead on a thread of its own (the study leaves a core
    /// free); set for the study's runs, like `recording`, not part of what the trace is.
    pub read_ahead: bool,
    /// The check of the file taken by the run that replays it, in a study of one run
    /// (see [`super::CheckInRun`]); set for the run, not part of what the trace is.
    pub check_in_run: super::CheckInRun,
}

impl FieldRule {
    /// The rule that a field's value containing `max-age=0` means a request sent it
    /// (a logged `Cache-Control` header).
    pub fn max_age_zero_in(field: Vec<String>) -> FieldRule {
        FieldRule {
            field,
            equals: None,
            contains: Some("max-age=0".into()),
        }
    }
}

impl TraceModel {
    /// Whether `other` reads the same requests from the same file: equal but for
    /// whether each is replayed (one read serves both) and how a run reads it.
    pub fn reads_like(&self, other: &TraceModel) -> bool {
        let mut a = self.clone();
        a.enabled = other.enabled;
        a.read_ahead = other.read_ahead;
        a == *other
    }
}

/// A CSV column, by header name or 0-based position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Column {
    /// By its header.
    Name(String),
    /// By position (0-based).
    Index(usize),
}

/// How a trace's records are read.
#[derive(Debug, Clone, PartialEq)]
pub enum TraceFormat {
    /// libCacheSim `oracleGeneral`: 24-byte little-endian records (u32 time in seconds,
    /// u64 object id, u32 size, i64 next access).
    OracleGeneral,
    /// One object id per line (numeric ids are the key; other text is hashed), at a
    /// constant `rate` per second (the format has no times).
    Text {
        /// Requests per second.
        rate: f64,
    },
    /// CSV with chosen columns.
    Csv {
        /// The time column, or none (then `rate` spaces the records).
        time: Option<Column>,
        /// The object id column.
        id: Column,
        /// The size column, if any.
        size: Option<Column>,
        /// Microseconds per unit of the time column.
        time_unit_us: f64,
        /// Requests per second when there is no time column.
        rate: f64,
        /// The first record is a header.
        header: bool,
        /// The field delimiter.
        delimiter: u8,
    },
    /// API Gateway access logs, one JSON object per line.
    AccessLog(AccessLogSpec),
}

/// How an access-log line maps to a request.
#[derive(Debug, Clone, PartialEq)]
pub struct AccessLogSpec {
    /// Field path of the time: epoch milliseconds (`requestTimeEpoch`), or a CLF
    /// (`requestTime`) or RFC 3339 time.
    pub time: Vec<String>,
    /// Field path of the HTTP method.
    pub method: Vec<String>,
    /// Field path of the resource path template (`/pets/{petId}`).
    pub resource_path: Vec<String>,
    /// Field path of the concrete request path (`/prod/pets/42` or `/pets/42`).
    pub path: Vec<String>,
    /// Field path of the caller (`identity.userArn`, `caller`...), if mapped.
    pub principal: Option<Vec<String>>,
    /// Field path of the response size, if mapped.
    pub response_length: Option<Vec<String>>,
    /// The scenario's resources: method, path template, resource index.
    pub routes: Vec<(String, String, u32)>,
    /// Caller values mapped to principals.
    pub principals: Vec<(String, u32)>,
}

/// Whether a replayed request carries `max-age=0`.
#[derive(Debug, Clone, PartialEq)]
pub enum MaxAgeZero {
    /// This share of requests, drawn per request from the trace's own stream.
    Share(f64),
    /// A rule on a log field.
    Field(FieldRule),
}

/// A rule on a log field deciding whether `max-age=0` was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldRule {
    /// The field's path.
    pub field: Vec<String>,
    /// True when the field's text equals this...
    pub equals: Option<String>,
    /// ...or contains this.
    pub contains: Option<String>,
}
