//! An imported API as scenario text: a `[[resources]]` entry per method, its declared
//! parameters as `[[resources.parameters]]` with `affects_response` from what the
//! integration reads, and the workload fields as commented placeholders.

use std::fmt::Write as _;
use std::path::Path;

use super::{ImportedApi, ImportedMethod, ParamIn};

impl ImportedMethod {
    /// The method the scenario models: an `ANY` method's GET requests.
    pub fn scenario_method(&self) -> &str {
        if self.method == "ANY" {
            "GET"
        } else {
            &self.method
        }
    }

    /// The `[[resources]]` entry, without its workload (what `api_file` reads).
    pub fn to_table(&self) -> toml::Table {
        let mut t = toml::Table::new();
        t.insert("path".into(), self.path.clone().into());
        t.insert("method".into(), self.scenario_method().into());
        t.insert(
            "cache_key_parameters".into(),
            toml::Value::Array(
                self.cache_key_parameters
                    .iter()
                    .map(|k| k.clone().into())
                    .collect(),
            ),
        );
        if let Some(ns) = &self.cache_namespace {
            t.insert("cache_namespace".into(), ns.clone().into());
        }
        if let Some(ms) = self.timeout_ms {
            t.insert("integration_timeout".into(), timeout(ms).into());
        }
        let params: Vec<toml::Value> = self
            .parameters
            .iter()
            .map(|p| {
                let mut pt = toml::Table::new();
                pt.insert("name".into(), p.name.clone().into());
                pt.insert("in".into(), p.location.scenario_name().into());
                if p.location != ParamIn::Path {
                    pt.insert("affects_response".into(), p.affects_response.into());
                }
                toml::Value::Table(pt)
            })
            .collect();
        if !params.is_empty() {
            t.insert("parameters".into(), toml::Value::Array(params));
        }
        t
    }
}

impl ImportedApi {
    /// The method a scenario's `[[resources]]` entry names: `method` and `path` as
    /// written; `GET` also finds an `ANY` method when the path has no GET of its own.
    pub fn find(&self, method: &str, path: &str) -> Option<&ImportedMethod> {
        let exact = self
            .methods
            .iter()
            .find(|m| m.path == path && m.method == method);
        exact.or_else(|| {
            (method == "GET")
                .then(|| {
                    self.methods
                        .iter()
                        .find(|m| m.path == path && m.method == "ANY")
                })
                .flatten()
        })
    }
}

/// A timeout in the scenario's spelling: whole seconds where it is.
fn timeout(ms: u64) -> String {
    if ms % 1_000 == 0 {
        format!("{}s", ms / 1_000)
    } else {
        format!("{ms}ms")
    }
}

/// Text from the file as a comment may hold it: control characters (a newline would end
/// the comment; TOML refuses the others there) escaped.
fn shown(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            let escaped: Vec<char> = if c.is_control() && c != '\t' {
                c.escape_default().collect()
            } else {
                vec![c]
            };
            escaped
        })
        .collect()
}

/// A TOML string literal.
fn quoted(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

impl ImportedApi {
    /// The `[[resources]]` entries as TOML text, with comments saying where they came
    /// from and what is left to fill in.
    pub fn to_toml(&self, file: &Path) -> String {
        let mut out = String::new();
        let title = self
            .title
            .as_ref()
            .map(|t| format!(" of \"{}\"", shown(t)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "# Imported from {} ({}{title}).",
            shown(&file.display().to_string()),
            self.source.describe()
        );
        out.push_str(
            "# Each method's workload is not in the definition: fill in the commented fields\n\
             # (keys, popularity, response_bytes, backend_latency) before simulating.\n",
        );
        for note in &self.notes {
            let _ = writeln!(out, "# Note: {}.", shown(note));
        }
        for m in &self.methods {
            out.push('\n');
            method(&mut out, m);
        }
        out
    }
}

/// One method's entry.
fn method(out: &mut String, m: &ImportedMethod) {
    let _ = writeln!(
        out,
        "# {} {}: {}.",
        shown(&m.method),
        shown(&m.path),
        shown(m.reads.why.as_deref().unwrap_or("no integration"))
    );
    if m.method == "ANY" {
        out.push_str(
            "# An ANY method: modelled as its GET requests (the ones a stage cache serves).\n",
        );
    }
    let method = m.scenario_method();
    out.push_str("[[resources]]\n");
    let _ = writeln!(out, "path = {}", quoted(&m.path));
    let _ = writeln!(out, "method = {}", quoted(method));
    let keys: Vec<String> = m.cache_key_parameters.iter().map(|k| quoted(k)).collect();
    let _ = writeln!(out, "cache_key_parameters = [{}]", keys.join(", "));
    if let Some(ns) = &m.cache_namespace {
        let _ = writeln!(
            out,
            "cache_namespace = {}  # shared with other resources",
            quoted(ns)
        );
    }
    if let Some(ms) = m.timeout_ms.filter(|ms| *ms != 29_000) {
        let _ = writeln!(out, "integration_timeout = \"{}\"", timeout(ms));
    }
    // The methods a stage cache serves (when caching is enabled for them).
    let cacheable = matches!(m.method.as_str(), "GET" | "HEAD" | "ANY");
    out.push_str(
        "# keys = 1000                     # distinct responses clients ask for\n\
         # popularity = { zipf = 0.9 }     # or \"uniform\"\n\
         # response_bytes = 2000\n\
         # backend_latency = \"80ms\"\n",
    );
    for p in &m.parameters {
        out.push('\n');
        out.push_str("[[resources.parameters]]\n");
        let _ = writeln!(out, "name = {}", quoted(&p.name));
        let _ = writeln!(out, "in = \"{}\"", p.location.scenario_name());
        let keyed = m.cache_key_parameters.contains(&p.request_name());
        if p.location == ParamIn::Path {
            // The scenario takes every path parameter as affecting the response.
            if !p.affects_response {
                out.push_str(
                    "# The integration does not read it; a path parameter is modelled as read.\n",
                );
            }
        } else {
            let _ = writeln!(out, "affects_response = {}", p.affects_response);
        }
        if cacheable && p.affects_response && !keyed {
            out.push_str(
                "# The backend reads it and the cache key leaves it out: when the method is\n\
                 # cached, the response for one value is served for another.\n",
            );
        }
        out.push_str("# values = 10                     # distinct values clients send\n");
    }
}
