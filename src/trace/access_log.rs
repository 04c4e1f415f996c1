//! API Gateway access logs in JSON, one object per line; a line may also start with
//! the timestamp CloudWatch Logs puts before each message when it exports to S3
//! (`2026-11-24T06:06:45.000Z {...}`). The scenario maps fields to what the model needs
//! (dotted paths reach into nested objects); a request is matched to a scenario resource
//! by method and resource path template, and its path parameters are read from the
//! concrete path, so distinct values are distinct keys.

use std::io::BufRead;

use super::json_fields::{Fields, MAX_FIELDS, Val};
use super::spec::{AccessLogSpec, FieldRule, MaxAgeZero, TraceFormat, TraceModel};
use super::{
    Clock, IMPLAUSIBLE, IMPLAUSIBLE_WHY, MAX_PARAMS, Tally, TraceError, TraceRequest, TraceSource,
    fnv_extend, hash_text, read_line,
};

impl FieldRule {
    fn holds(&self, value: Option<&Val<'_>>) -> bool {
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

pub(super) struct AccessLog<R> {
    reader: R,
    path: std::path::PathBuf,
    limit: u64,
    spec: AccessLogSpec,
    routes: Vec<Route>,
    default_principal: u32,
    rule: Option<FieldRule>,
    /// The field paths to extract, by the slots above (absent ones never match).
    wanted: Vec<Vec<String>>,
    /// `wanted`, compiled for the walk.
    fields: Fields,
    clock: Clock,
    tally: Tally,
    line: u64,
    buf: Vec<u8>,
    /// The last request's concrete path without the stage prefix (`/pets/42`): the
    /// resource part of the ARN IAM evaluates. Reused, so no allocation per line.
    concrete: String,
}

impl<R: BufRead> AccessLog<R> {
    pub(super) fn new(model: &TraceModel, reader: R) -> Self {
        let TraceFormat::AccessLog(spec) = &model.format else {
            unreachable!("AccessLog reads access logs only")
        };
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
        AccessLog {
            reader,
            path: model.file.clone(),
            limit: model.max_bad_lines,
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
            clock: Clock::default(),
            tally: Tally::default(),
            line: 0,
            buf: Vec::with_capacity(1024),
            concrete: String::with_capacity(256),
        }
    }

    /// Reads one parsed line into `out`; Err(why) for a line to count as bad, Ok(false)
    /// for a request of a resource the scenario does not model.
    fn parse(&mut self, out: &mut TraceRequest) -> Result<bool, String> {
        let start = self
            .buf
            .iter()
            .position(|&b| b == b'{')
            .ok_or("no JSON object on the line")?;
        let mut f: [Option<Val<'_>>; MAX_FIELDS] = Default::default();
        let line = &self.buf[start..];
        // The fast path, else the serde walk, whose answer stands for what the fast
        // path does not take.
        if self.fields.scan(line, &mut f).is_none() {
            self.fields.extract(line, &mut f)?;
        }
        let wanted = &self.wanted;
        let text = |slot: usize, what: &str| -> Result<&str, String> {
            match &f[slot] {
                Some(Val::Str(s)) if !s.is_empty() && s != "-" => Ok(s.as_ref()),
                _ => Err(format!("no {what} in `{}`", wanted[slot].join("."))),
            }
        };
        let micros = match &f[TIME] {
            Some(Val::U64(ms)) => ms.saturating_mul(1_000),
            Some(Val::F64(ms)) if *ms >= 0.0 => (ms * 1_000.0) as u64,
            _ => time_micros(text(TIME, "time")?)?,
        };
        let method = text(METHOD, "method")?;
        let template = text(RESOURCE_PATH, "resource path")?;
        let Some(route) = self
            .routes
            .iter()
            .find(|r| r.method.eq_ignore_ascii_case(method) && r.template == template)
        else {
            self.tally.unmodelled(method, template);
            return Ok(false);
        };
        let concrete = text(PATH, "request path")?;
        let mut params = [0u64; MAX_PARAMS];
        let path = capture(&route.segments, concrete, &mut params)
            .ok_or_else(|| format!("path `{concrete}` does not fit `{}`", route.template))?;
        self.concrete.clear();
        self.concrete.push('/');
        self.concrete.push_str(path);
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
        out.at = self.clock.at(micros, &mut self.tally);
        if out.at == IMPLAUSIBLE {
            return Err(IMPLAUSIBLE_WHY.to_owned());
        }
        out.resource = route.resource;
        out.principal = principal;
        out.max_age_zero = self.rule.as_ref().map(|r| r.holds(f[RULE].as_ref()));
        out.key = params.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, v| {
            (h ^ v).wrapping_mul(0x0000_0100_0000_01b3)
        });
        out.params = Some(params);
        out.size = size;
        Ok(true)
    }
}

impl<R: BufRead> TraceSource for AccessLog<R> {
    fn next(&mut self, out: &mut TraceRequest) -> Result<bool, TraceError> {
        loop {
            let more =
                read_line(&mut self.reader, &mut self.buf).map_err(|error| TraceError::Read {
                    path: self.path.clone(),
                    error,
                })?;
            if !more {
                return Ok(false);
            }
            self.line += 1;
            if self.buf.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            match self.parse(out) {
                Ok(true) => {
                    self.tally.requests += 1;
                    return Ok(true);
                }
                Ok(false) => {}
                Err(why) => {
                    let (path, line, limit) = (self.path.clone(), self.line, self.limit);
                    self.tally.bad(&path, line, &why, limit)?;
                }
            }
        }
    }

    fn tally(&self) -> &Tally {
        &self.tally
    }

    fn path(&self) -> Option<&str> {
        Some(&self.concrete)
    }
}

/// Epoch milliseconds (`requestTimeEpoch`), CLF (`requestTime`,
/// `24/Nov/2026:06:06:45 +0000`) or RFC 3339, as epoch microseconds.
fn time_micros(text: &str) -> Result<u64, String> {
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
fn capture<'p>(
    template: &[String],
    concrete: &'p str,
    out: &mut [u64; MAX_PARAMS],
) -> Option<&'p str> {
    let path = concrete.split('?').next().unwrap_or(concrete);
    // The path's segments, on the stack: no allocation per line.
    let mut parts = [""; MAX_SEGMENTS];
    let mut n = 0;
    for seg in path.split('/').filter(|s| !s.is_empty()) {
        *parts.get_mut(n)? = seg;
        n += 1;
    }
    let parts = &parts[..n];
    let greedy = template.iter().position(|s| s.ends_with("+}"));
    let start = match greedy {
        // Find where the literal prefix before the greedy parameter starts.
        Some(g) => (0..=parts.len().saturating_sub(g)).rev().find(|&at| {
            template[..g]
                .iter()
                .zip(&parts[at..])
                .all(|(t, p)| t.starts_with('{') || t == p)
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
        } else if t != p {
            return None;
        }
    }
    Some(matched)
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
        assert_eq!(capture(&[], "/prod", &mut out), Some(""));
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
