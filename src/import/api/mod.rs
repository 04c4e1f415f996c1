//! Importing an API's definition: its methods, the request parameters each declares,
//! its cache key parameters and namespace, and which parameters its integration reads
//! (so a parameter that changes the response but not the cache key shows), turned into
//! the scenario's `[[resources]]` (`cachegate import api`). Read, recognised by content:
//! an OpenAPI 3 or Swagger 2.0 export with API Gateway's extensions
//! (`aws apigateway get-export --parameters extensions='apigateway'`, JSON or YAML;
//! `openapi.rs`) and `aws apigateway get-resources --embed methods` (`get_resources.rs`).
//! Workload fields (`keys`, `popularity`, `response_bytes`, `backend_latency`) are not in
//! any of these: they are printed as commented placeholders.

mod get_resources;
mod openapi;
mod reads;
mod toml_out;

use std::collections::BTreeMap;
use std::path::Path;

use super::{ImportError, parse_document};

pub(crate) use get_resources::declared as declared_parameters;
pub(crate) use openapi::strings as strings_at;
pub use reads::Reads;

/// The largest API definition read: exports of large APIs run to megabytes.
pub const MAX_API_FILE_BYTES: usize = 32 << 20;

/// What an API definition file was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiSource {
    /// An OpenAPI 3 export.
    OpenApi3,
    /// A Swagger 2.0 export.
    Swagger2,
    /// `aws apigateway get-resources --embed methods` output.
    GetResources,
    /// `terraform show -json` of a plan or state.
    Terraform,
    /// A Serverless Framework `serverless.yml`.
    Serverless,
}

impl ApiSource {
    /// How the file is described to the user.
    pub fn describe(self) -> &'static str {
        match self {
            ApiSource::OpenApi3 => "an OpenAPI 3 export",
            ApiSource::Swagger2 => "a Swagger 2.0 export",
            ApiSource::GetResources => "`aws apigateway get-resources --embed methods` output",
            ApiSource::Terraform => "`terraform show -json` output",
            ApiSource::Serverless => "a serverless.yml",
        }
    }
}

/// Where a request parameter is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ParamIn {
    /// A `{name}` segment of the path.
    Path,
    /// The query string.
    Query,
    /// A header.
    Header,
}

impl ParamIn {
    /// The scenario's spelling (`in = "..."`).
    pub fn scenario_name(self) -> &'static str {
        match self {
            ParamIn::Path => "path",
            ParamIn::Query => "query",
            ParamIn::Header => "header",
        }
    }

    /// The middle of `method.request.{part}.{name}`.
    pub fn request_part(self) -> &'static str {
        match self {
            ParamIn::Path => "path",
            ParamIn::Query => "querystring",
            ParamIn::Header => "header",
        }
    }

    /// Parses the middle of `method.request.{part}.{name}` (multi-value forms included).
    pub fn from_request_part(part: &str) -> Option<ParamIn> {
        match part {
            "path" => Some(ParamIn::Path),
            "querystring" | "multivaluequerystring" => Some(ParamIn::Query),
            "header" | "multivalueheader" => Some(ParamIn::Header),
            _ => None,
        }
    }
}

/// A request parameter a method declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedParam {
    /// Its name.
    pub name: String,
    /// Where it is sent.
    pub location: ParamIn,
    /// Whether the integration reads it (so responses differ by it).
    pub affects_response: bool,
}

impl ImportedParam {
    /// `method.request.{part}.{name}`.
    pub fn request_name(&self) -> String {
        format!(
            "method.request.{}.{}",
            self.location.request_part(),
            self.name
        )
    }
}

/// One method of the API, as the scenario needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedMethod {
    /// The resource path, e.g. `/pets/{petId}`.
    pub path: String,
    /// The upper-case HTTP method; `ANY` is kept as the definition says it.
    pub method: String,
    /// `cacheKeyParameters`.
    pub cache_key_parameters: Vec<String>,
    /// `cacheNamespace` when other resources share it (one a resource alone uses is
    /// API Gateway's default, the resource's own id).
    pub cache_namespace: Option<String>,
    /// Declared parameters (path parameters included), in the order declared.
    pub parameters: Vec<ImportedParam>,
    /// The integration's `type`, upper-case (`AWS_PROXY`, `HTTP`, `MOCK`...), if any.
    pub integration: Option<String>,
    /// What the integration reads.
    pub reads: Reads,
    /// `timeoutInMillis`, when given.
    pub timeout_ms: Option<u64>,
    /// Where the method is in the file (a field path), for findings that point at it.
    pub location: String,
    /// Where its cache key parameters are, or would be written, in the file.
    pub key_location: String,
}

/// An imported API definition.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedApi {
    /// What the file was.
    pub source: ApiSource,
    /// The API's title, when the file has one.
    pub title: Option<String>,
    /// Every method, ordered by path then method.
    pub methods: Vec<ImportedMethod>,
    /// What was read but cannot be modelled (printed as comments).
    pub notes: Vec<String>,
}

/// Reads an API definition file (see the module documentation for the formats).
pub fn load_api(path: &Path) -> Result<ImportedApi, ImportError> {
    let bytes = std::fs::read(path).map_err(|error| ImportError::Read {
        path: path.to_owned(),
        error,
    })?;
    parse_api(path, &bytes)
}

/// What an API file should have been, in errors.
const EXPECTED: &str = "an OpenAPI 3 or Swagger 2.0 export (`aws apigateway get-export`), `aws apigateway get-resources --embed methods` output, `terraform show -json` of a plan or state, or a serverless.yml";

/// [`load_api`] on bytes already read; `path` names the file in errors. Every problem
/// found is reported, each with its field path.
///
/// ```
/// use cachegate::import::api::parse_api;
///
/// let json = br#"{"openapi": "3.0.1", "paths": {"/pets": {"get": {
///   "parameters": [{"name": "page", "in": "query"}],
///   "x-amazon-apigateway-integration": {"type": "http", "cacheKeyParameters": [],
///     "requestParameters": {"integration.request.querystring.page": "method.request.querystring.page"}}}}}}"#;
/// let api = parse_api("api.json".as_ref(), json).unwrap();
/// assert!(api.methods[0].parameters[0].affects_response);
/// assert!(api.to_toml("api.json".as_ref()).contains("name = \"page\""));
/// ```
pub fn parse_api(path: &Path, bytes: &[u8]) -> Result<ImportedApi, ImportError> {
    let value = parse_document(path, bytes, EXPECTED, MAX_API_FILE_BYTES)?;
    let located = |problems: Vec<(String, String)>| super::located(path, problems);
    let Some(map) = value.as_object() else {
        return Err(located(vec![(
            String::new(),
            format!("expected an object: {EXPECTED}"),
        )]));
    };
    let result = if super::terraform::is_terraform(&value) {
        super::terraform::api(&value, path)
    } else if super::serverless::is_serverless(map) {
        super::serverless::api(&value)
    } else if let Some(version) = map.get("openapi") {
        openapi::read(&value, version, ApiSource::OpenApi3)
    } else if let Some(version) = map.get("swagger") {
        openapi::read(&value, version, ApiSource::Swagger2)
    } else if map.contains_key("items") {
        get_resources::read(&value)
    } else {
        Err(vec![(
            String::new(),
            format!(
                "no `openapi`, `swagger`, `items` or `format_version` field: expected {EXPECTED}"
            ),
        )])
    };
    match result {
        Ok(mut api) => {
            finish(&mut api);
            if api.methods.is_empty() {
                return Err(located(vec![(
                    String::new(),
                    format!(
                        "{} with no methods: nothing to import",
                        api.source.describe()
                    ),
                )]));
            }
            Ok(api)
        }
        Err(problems) => Err(located(problems)),
    }
}

/// Orders the methods and keeps only the namespaces several resources share.
pub(crate) fn finish(api: &mut ImportedApi) {
    let order = |m: &str| {
        [
            "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "ANY",
        ]
        .iter()
        .position(|x| *x == m)
        .unwrap_or(usize::MAX)
    };
    api.methods
        .sort_by(|a, b| (&a.path, order(&a.method)).cmp(&(&b.path, order(&b.method))));
    let mut paths_of: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for m in &api.methods {
        if let Some(ns) = &m.cache_namespace {
            let paths = paths_of.entry(ns).or_default();
            if !paths.contains(&m.path.as_str()) {
                paths.push(&m.path);
            }
        }
    }
    let shared: Vec<String> = paths_of
        .into_iter()
        .filter(|(_, paths)| paths.len() > 1)
        .map(|(ns, _)| ns.to_owned())
        .collect();
    for m in &mut api.methods {
        if m.cache_namespace
            .as_ref()
            .is_some_and(|ns| !shared.contains(ns))
        {
            m.cache_namespace = None;
        }
    }
}

/// A field path with a map key appended, quoted when it is not a plain word.
pub(crate) fn key_path(base: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    let key = if plain {
        key.to_owned()
    } else {
        format!("\"{}\"", key.replace('\\', "\\\\").replace('"', "\\\""))
    };
    if base.is_empty() {
        key
    } else {
        format!("{base}.{key}")
    }
}

#[cfg(test)]
mod tests;
