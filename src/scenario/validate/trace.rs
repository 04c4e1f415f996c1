//! `[[traces]]` entries checked against the rest of the scenario and turned into
//! [`TraceModel`]s: the file (relative to the scenario), its format and compression,
//! and how records map to the model (resource, principal, `max-age=0`, fields and
//! columns). Every problem is reported with its field path.

use std::collections::BTreeMap;
use std::path::Path;

use super::super::error::{FieldPath, Problems, at};
use super::super::raw::{RawResource, RawTrace};
use super::super::units;
use crate::gateway::{GatewayConfig, Location};
use crate::time::SimTime;
use crate::trace::{AccessLogSpec, Column, FieldRule, MAX_PARAMS, MaxAgeZero, TraceFormat};
use crate::trace::{DEFAULT_MAX_BAD_LINES, Digest, TraceModel};

/// What a trace is checked against.
pub(super) struct Context<'a> {
    /// The scenario's folder.
    pub(super) dir: &'a Path,
    /// Principal names, in index order.
    pub(super) principals: &'a [&'a String],
    /// `METHOD /path` -> resource index.
    pub(super) labels: &'a BTreeMap<String, usize>,
    pub(super) resources: &'a [RawResource],
    pub(super) gateway: &'a GatewayConfig,
}

impl Context<'_> {
    /// The trace `t` (at `trace_path`), or `None` with its problems added.
    pub(super) fn trace(
        &self,
        t: &RawTrace,
        trace_path: &FieldPath,
        problems: &mut Problems,
    ) -> Option<TraceModel> {
        let before = problems.0.len();
        if t.name.is_empty() {
            problems.add(trace_path.key("name"), "must not be empty");
        }
        let (file, zstd) = self.file(t, trace_path, problems);
        let start = match &t.start {
            Some(s) => problems
                .check(&trace_path.key("start"), units::duration(s))
                .map(|d| SimTime::ZERO + d),
            None => Some(SimTime::ZERO),
        };
        let principal = match &t.principal {
            Some(name) => self.principal(name, &trace_path.key("principal"), problems),
            None if self.principals.len() == 1 => Some(0),
            None => {
                problems.add(
                    trace_path.key("principal"),
                    "required: name the `[principals.NAME]` the trace's requests come from (for access logs: callers not in `principals`)",
                );
                None
            }
        };
        let max_age_zero = match &t.max_age_zero {
            None => Some(MaxAgeZero::Share(0.0)),
            Some(v) => max_age_zero(v, &trace_path.key("max_age_zero"), problems),
        };
        let format = self.format(t, trace_path, problems);
        let digest = digest(t, &trace_path.key("digest"), problems);
        misplaced_options(t, trace_path, max_age_zero.as_ref(), problems);
        let resource = self.resource(t, trace_path, problems);
        if problems.0.len() > before {
            return None;
        }
        Some(TraceModel {
            name: t.name.clone(),
            file,
            zstd,
            format: format?,
            start: start?,
            max_bad_lines: t.max_bad_lines.unwrap_or(DEFAULT_MAX_BAD_LINES),
            digest: digest?,
            max_age_zero: max_age_zero?,
            resource: resource?,
            principal: principal?,
            enabled: t.enabled.unwrap_or(true),
            recording: Default::default(),
            read_ahead: false,
            check_in_run: Default::default(),
        })
    }

    /// The trace's file (relative to the scenario's folder) and whether it is
    /// zstd-compressed.
    fn file(
        &self,
        t: &RawTrace,
        trace_path: &FieldPath,
        problems: &mut Problems,
    ) -> (std::path::PathBuf, bool) {
        let file = self.dir.join(&t.file);
        if !file.is_file() {
            problems.add(
                trace_path.key("file"),
                format!(
                    "no such file: {} (paths are relative to the scenario file)",
                    file.display()
                ),
            );
        }
        let zstd = match t.compression.as_deref() {
            None => t.file.ends_with(".zst") || t.file.ends_with(".zstd"),
            Some("zstd") => true,
            Some("none") => false,
            Some(other) => {
                problems.add(
                    trace_path.key("compression"),
                    format!("expected \"zstd\" or \"none\", got \"{other}\""),
                );
                false
            }
        };
        (file, zstd)
    }

    /// The trace's format, with its own options.
    fn format(
        &self,
        t: &RawTrace,
        trace_path: &FieldPath,
        problems: &mut Problems,
    ) -> Option<TraceFormat> {
        match t.format.as_str() {
            "oracle_general" => Some(TraceFormat::OracleGeneral),
            "text" => {
                let rate = match &t.rate {
                    Some(v) => positive_rate(v),
                    None => Err(
                        "required: this format has no times, so give requests per second"
                            .to_owned(),
                    ),
                };
                problems
                    .check(&trace_path.key("rate"), rate)
                    .map(|rate| TraceFormat::Text { rate })
            }
            "csv" => self.csv(t, trace_path, problems),
            "access_log" => self.access_log(t, trace_path, problems),
            other => {
                problems.add(
                    trace_path.key("format"),
                    format!(
                        "expected \"access_log\", \"oracle_general\", \"text\" or \"csv\", got \"{other}\""
                    ),
                );
                None
            }
        }
    }

    /// The resource whose keys the trace's object ids are; an access log names its
    /// resources in each record (resource 0 stands in).
    fn resource(
        &self,
        t: &RawTrace,
        trace_path: &FieldPath,
        problems: &mut Problems,
    ) -> Option<u32> {
        if t.format == "access_log" {
            return Some(0);
        }
        match &t.resource {
            Some(label) => self.id_resource(label, &trace_path.key("resource"), problems),
            None => {
                let known: Vec<String> = self.labels.keys().map(|l| format!("\"{l}\"")).collect();
                problems.add(
                    trace_path.key("resource"),
                    format!(
                        "required: the resource whose keys the object ids are; one of {}",
                        known.join(", ")
                    ),
                );
                None
            }
        }
    }

    fn principal(&self, name: &str, path: &FieldPath, problems: &mut Problems) -> Option<u32> {
        let found = self.principals.iter().position(|n| *n == name);
        if found.is_none() {
            let known: Vec<String> = self.principals.iter().map(|n| format!("\"{n}\"")).collect();
            problems.add(
                path.clone(),
                format!(
                    "no principal \"{name}\"; declared: {}",
                    if known.is_empty() {
                        "none".to_owned()
                    } else {
                        known.join(", ")
                    }
                ),
            );
        }
        found.map(|i| i as u32)
    }

    /// The resource an id-based trace's object ids are keys of: it must vary its cache
    /// key by a parameter, or every object would share one entry.
    fn id_resource(&self, label: &str, path: &FieldPath, problems: &mut Problems) -> Option<u32> {
        let Some(&i) = self.labels.get(label) else {
            let known: Vec<String> = self.labels.keys().map(|l| format!("\"{l}\"")).collect();
            problems.add(
                path.clone(),
                format!("no resource \"{label}\"; declared: {}", known.join(", ")),
            );
            return None;
        };
        if self.resources[i].cache_key_parameters.is_empty() {
            problems.add(
                path.clone(),
                format!(
                    "`{label}` has no cache key parameters, so every object id would share one entry; declare the parameter the id is (e.g. `cache_key_parameters = [\"method.request.path.id\"]`)"
                ),
            );
        }
        Some(i as u32)
    }

    fn csv(
        &self,
        t: &RawTrace,
        trace_path: &FieldPath,
        problems: &mut Problems,
    ) -> Option<TraceFormat> {
        let header = t.header.unwrap_or(true);
        let column = |field: &str, v: &toml::Value, problems: &mut Problems| -> Option<Column> {
            let path = trace_path.key(field);
            match v {
                toml::Value::String(name) if !name.is_empty() => {
                    if !header {
                        problems.add(
                            path,
                            "a column by name needs `header = true`; give its 1-based position",
                        );
                        return None;
                    }
                    Some(Column::Name(name.clone()))
                }
                toml::Value::Integer(n) if *n >= 1 => Some(Column::Index(*n as usize - 1)),
                other => {
                    problems.add(
                        path,
                        format!(
                            "expected a header name or a 1-based column number, got {}",
                            match other {
                                toml::Value::Integer(n) => n.to_string(),
                                o => o.to_string(),
                            }
                        ),
                    );
                    None
                }
            }
        };
        let id = match &t.id_column {
            Some(v) => column("id_column", v, problems),
            None => {
                problems.add(
                    trace_path.key("id_column"),
                    "required: the column holding the object id",
                );
                None
            }
        };
        let time = match &t.time_column {
            Some(v) => Some(column("time_column", v, problems)?),
            None => None,
        };
        let size = match &t.size_column {
            Some(v) => Some(column("size_column", v, problems)?),
            None => None,
        };
        let time_unit_us = match t.time_unit.as_deref().unwrap_or("s") {
            "s" => 1e6,
            "ms" => 1e3,
            "us" => 1.0,
            other => {
                problems.add(
                    trace_path.key("time_unit"),
                    format!("expected \"s\", \"ms\" or \"us\", got \"{other}\""),
                );
                1e6
            }
        };
        let rate = match (&time, &t.rate) {
            (Some(_), Some(_)) => {
                problems.add(
                    trace_path.key("rate"),
                    "the time column times the requests; give one or the other",
                );
                None
            }
            (Some(_), None) => Some(1.0),
            (None, Some(v)) => problems.check(&trace_path.key("rate"), positive_rate(v)),
            (None, None) => {
                problems.add(
                    trace_path.key("rate"),
                    "required without `time_column`: requests per second",
                );
                None
            }
        };
        let delimiter = match t.delimiter.as_deref() {
            None => Some(b','),
            Some("\\t" | "\t" | "tab") => Some(b'\t'),
            Some(d) if d.len() == 1 && d.is_ascii() => Some(d.as_bytes()[0]),
            Some(d) => {
                problems.add(
                    trace_path.key("delimiter"),
                    format!("expected one ASCII character (or \"tab\"), got \"{d}\""),
                );
                None
            }
        };
        Some(TraceFormat::Csv {
            time,
            id: id?,
            size,
            time_unit_us,
            rate: rate?,
            header,
            delimiter: delimiter?,
        })
    }

    fn access_log(
        &self,
        t: &RawTrace,
        trace_path: &FieldPath,
        problems: &mut Problems,
    ) -> Option<TraceFormat> {
        let fp = trace_path.key("fields");
        let field = |name: &str, given: &Option<String>, default: &str, problems: &mut Problems| {
            let text = given.as_deref().unwrap_or(default);
            let parts: Vec<String> = text.split('.').map(str::to_owned).collect();
            if parts.iter().any(String::is_empty) {
                problems.add(
                    fp.key(name),
                    format!("expected a field name or dotted path such as `identity.userArn`, got \"{text}\""),
                );
            }
            parts
        };
        let f = &t.fields;
        let time = field("time", &f.time, "requestTimeEpoch", problems);
        let method = field("method", &f.method, "httpMethod", problems);
        let resource_path = field("resource_path", &f.resource_path, "resourcePath", problems);
        let path = field("path", &f.path, "path", problems);
        let principal = f
            .principal
            .as_ref()
            .map(|_| field("principal", &f.principal, "", problems));
        let response_length = f
            .response_length
            .as_ref()
            .map(|_| field("response_length", &f.response_length, "", problems));
        let mut routes = Vec::new();
        for (i, r) in self.gateway.resources.iter().enumerate() {
            let path_params = r.path.matches('{').count();
            let others = r
                .params
                .iter()
                .filter(|q| q.location != Location::Path)
                .count();
            if path_params + others > MAX_PARAMS {
                problems.add(
                    at("resources").index(i),
                    format!(
                        "`{} {}` has more than {MAX_PARAMS} parameters, more than trace replay supports",
                        r.method, r.path
                    ),
                );
            }
            routes.push((r.method.as_str().to_owned(), r.path.clone(), i as u32));
        }
        let mut principals = Vec::new();
        for (caller, name) in &t.principals {
            if let Some(i) =
                self.principal(name, &trace_path.key("principals").key(caller), problems)
            {
                principals.push((caller.clone(), i));
            }
        }
        Some(TraceFormat::AccessLog(AccessLogSpec {
            time,
            method,
            resource_path,
            path,
            principal,
            response_length,
            routes,
            principals,
        }))
    }
}

/// Options that belong to other formats than the trace's are mistakes, not silently
/// ignored.
fn misplaced_options(
    t: &RawTrace,
    trace_path: &FieldPath,
    max_age_zero: Option<&MaxAgeZero>,
    problems: &mut Problems,
) {
    let mut only = |field: &str, set: bool, formats: &[&str]| {
        if set && !formats.contains(&t.format.as_str()) {
            problems.add(
                trace_path.key(field),
                format!("only for format {}", formats.join(" or ")),
            );
        }
    };
    only("rate", t.rate.is_some(), &["text", "csv"]);
    for (field, set) in [
        ("time_column", t.time_column.is_some()),
        ("id_column", t.id_column.is_some()),
        ("size_column", t.size_column.is_some()),
        ("time_unit", t.time_unit.is_some()),
        ("header", t.header.is_some()),
        ("delimiter", t.delimiter.is_some()),
    ] {
        only(field, set, &["csv"]);
    }
    let fields_set = [
        &t.fields.time,
        &t.fields.method,
        &t.fields.resource_path,
        &t.fields.path,
        &t.fields.principal,
        &t.fields.response_length,
    ]
    .iter()
    .any(|f| f.is_some());
    only("fields", fields_set, &["access_log"]);
    only("principals", !t.principals.is_empty(), &["access_log"]);
    if matches!(max_age_zero, Some(MaxAgeZero::Field(_))) {
        only("max_age_zero", true, &["access_log"]);
    }
    only(
        "resource",
        t.resource.is_some() && t.format == "access_log",
        &["oracle_general", "text", "csv"],
    );
}

fn positive_rate(v: &toml::Value) -> Result<f64, String> {
    let r = units::rate_per_second(v)?;
    if r > 0.0 {
        Ok(r)
    } else {
        Err(format!("must be > 0, got {r}"))
    }
}

/// `max_age_zero`: a share, or a rule on an access-log field.
fn max_age_zero(v: &toml::Value, path: &FieldPath, problems: &mut Problems) -> Option<MaxAgeZero> {
    let expected =
        "expected a share within 0..=1, or { field = \"...\", equals = \"...\" } (or `contains`)";
    match v {
        toml::Value::Integer(_) | toml::Value::Float(_) => {
            let x = v
                .as_float()
                .or(v.as_integer().map(|n| n as f64))
                .unwrap_or(-1.0);
            if (0.0..=1.0).contains(&x) {
                Some(MaxAgeZero::Share(x))
            } else {
                problems.add(
                    path.clone(),
                    format!("must be a share within 0..=1, got {x}"),
                );
                None
            }
        }
        toml::Value::Table(t) => {
            let text = |k: &str| t.get(k).and_then(toml::Value::as_str).map(str::to_owned);
            let unknown: Vec<&String> = t
                .keys()
                .filter(|k| !["field", "equals", "contains"].contains(&k.as_str()))
                .collect();
            if let Some(k) = unknown.first() {
                problems.add(path.key(k), format!("unknown key; {expected}"));
                return None;
            }
            let Some(field) = text("field").filter(|f| !f.is_empty()) else {
                problems.add(
                    path.key("field"),
                    "required: the log field that shows the header",
                );
                return None;
            };
            let (equals, contains) = (text("equals"), text("contains"));
            if equals.is_some() == contains.is_some() {
                problems.add(path.clone(), "give exactly one of `equals` and `contains`");
                return None;
            }
            Some(MaxAgeZero::Field(FieldRule {
                field: field.split('.').map(str::to_owned).collect(),
                equals,
                contains,
            }))
        }
        other => {
            problems.add(
                path.clone(),
                format!("{expected}, got {}", other.type_str()),
            );
            None
        }
    }
}

/// The algorithm of the trace's digest (`digest`), XXH3-128 when not given.
fn digest(t: &RawTrace, path: &FieldPath, problems: &mut Problems) -> Option<Digest> {
    let Some(name) = &t.digest else {
        return Some(Digest::default());
    };
    let digest = Digest::named(name);
    if digest.is_none() {
        let names: Vec<String> = Digest::ALL
            .iter()
            .map(|d| format!("\"{}\"", d.name()))
            .collect();
        problems.add(
            path.clone(),
            format!("expected {}, got \"{name}\"", names.join(" or ")),
        );
    }
    digest
}
