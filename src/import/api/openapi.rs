//! OpenAPI 3 and Swagger 2.0 exports (`aws apigateway get-export --export-type oas30 |
//! swagger --parameters extensions='apigateway'`): `paths`, each path item's and
//! operation's `parameters` (local `$ref`s followed: `#/components/parameters/...` or
//! `#/parameters/...`), and the operation's `x-amazon-apigateway-integration`
//! (`type`, `cacheKeyParameters`, `cacheNamespace`, `requestParameters`,
//! `requestTemplates`, `timeoutInMillis`). `x-amazon-apigateway-any-method` is `ANY`.

use serde_json::{Map, Value};

use super::{ApiSource, ImportedApi, ImportedMethod, ImportedParam, ParamIn, Reads, key_path};

type Problems = Vec<(String, String)>;

/// The operations of a path item, with the method each stands for.
const OPERATIONS: [(&str, &str); 8] = [
    ("get", "GET"),
    ("head", "HEAD"),
    ("post", "POST"),
    ("put", "PUT"),
    ("patch", "PATCH"),
    ("delete", "DELETE"),
    ("options", "OPTIONS"),
    ("x-amazon-apigateway-any-method", "ANY"),
];

/// Reads an export whose `openapi` (or `swagger`) field is `version`.
pub(super) fn read(
    doc: &Value,
    version: &Value,
    source: ApiSource,
) -> Result<ImportedApi, Problems> {
    let mut problems = Problems::new();
    let (field, supported) = match source {
        ApiSource::Swagger2 => ("swagger", "2.0"),
        _ => ("openapi", "3."),
    };
    match version.as_str() {
        Some(v) if v.starts_with(supported) => {}
        _ => {
            return Err(vec![(
                field.into(),
                format!(
                    "expected {} version {supported}{}, got {version}",
                    source.describe(),
                    if supported.ends_with('.') { "x" } else { "" }
                ),
            )]);
        }
    }
    let title = doc
        .pointer("/info/title")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return Err(vec![("paths".into(), "expected an object of paths".into())]);
    };
    let mut api = ImportedApi {
        source,
        title,
        methods: Vec::new(),
        notes: Vec::new(),
    };
    let mut without_integration = 0;
    for (path, item) in paths {
        let at = key_path("paths", path);
        if !path.starts_with('/') {
            problems.push((at.clone(), "expected a path starting with `/`".into()));
            continue;
        }
        let Some(item) = item.as_object() else {
            problems.push((at, "expected a path item (an object)".into()));
            continue;
        };
        let common = parameters(doc, item, &at, &mut problems, &mut api.notes);
        for (key, method) in OPERATIONS {
            let Some(op) = item.get(key) else { continue };
            let op_at = key_path(&at, key);
            let Some(op) = op.as_object() else {
                problems.push((op_at, "expected an operation (an object)".into()));
                continue;
            };
            let own = parameters(doc, op, &op_at, &mut problems, &mut api.notes);
            // An operation's parameter overrides the path item's of the same name and
            // location (OpenAPI's rule).
            let mut params: Vec<(ParamIn, String)> = common
                .iter()
                .filter(|c| !own.contains(c))
                .cloned()
                .collect();
            params.extend(own);
            let integration = op.get("x-amazon-apigateway-integration");
            if integration.is_none() {
                without_integration += 1;
            }
            if let Some(m) = method_of(path, method, &params, integration, &op_at, &mut problems) {
                api.methods.push(m);
            }
        }
    }
    if without_integration > 0 {
        api.notes.push(format!(
            "{without_integration} method(s) have no x-amazon-apigateway-integration: export with --parameters extensions='apigateway' to read cache keys and what the backend reads (every parameter is taken as read)"
        ));
    }
    if problems.is_empty() {
        Ok(api)
    } else {
        Err(problems)
    }
}

/// The `parameters` of a path item or operation: (location, name) pairs. Body, form and
/// cookie parameters are left out, with a note (API Gateway neither keys nor maps them).
fn parameters(
    doc: &Value,
    owner: &Map<String, Value>,
    at: &str,
    problems: &mut Problems,
    notes: &mut Vec<String>,
) -> Vec<(ParamIn, String)> {
    let mut out = Vec::new();
    let Some(list) = owner.get("parameters") else {
        return out;
    };
    let at = format!("{at}.parameters");
    let Some(list) = list.as_array() else {
        problems.push((at, "expected a list of parameters".into()));
        return out;
    };
    for (i, p) in list.iter().enumerate() {
        let p_at = format!("{at}[{i}]");
        let Some(p) = resolve(doc, p, &p_at, problems) else {
            continue;
        };
        let name = p.get("name").and_then(Value::as_str);
        let location = p.get("in").and_then(Value::as_str);
        let (Some(name), Some(location)) = (name, location) else {
            problems.push((
                p_at,
                "expected a parameter with a string `name` and `in`".into(),
            ));
            continue;
        };
        let location = match location {
            "path" => ParamIn::Path,
            "query" => ParamIn::Query,
            "header" => ParamIn::Header,
            "cookie" | "body" | "formData" => {
                let note = format!(
                    "`{name}` (in {location}) is not modelled: API Gateway neither keys the cache on it nor maps it"
                );
                if !notes.contains(&note) {
                    notes.push(note);
                }
                continue;
            }
            other => {
                problems.push((
                    format!("{p_at}.in"),
                    format!(
                        "expected path, query, header, cookie, body or formData, got \"{other}\""
                    ),
                ));
                continue;
            }
        };
        out.push((location, name.to_owned()));
    }
    out
}

/// A parameter object, following a local `$ref` (a chain of at most 8).
fn resolve<'a>(
    doc: &'a Value,
    p: &'a Value,
    at: &str,
    problems: &mut Problems,
) -> Option<&'a Value> {
    let mut p = p;
    for _ in 0..8 {
        let Some(target) = p.get("$ref") else {
            return Some(p);
        };
        let Some(pointer) = target.as_str().and_then(|r| r.strip_prefix('#')) else {
            problems.push((
                format!("{at}.$ref"),
                format!("only references within the file (`#/...`) are read, got {target}"),
            ));
            return None;
        };
        match doc.pointer(pointer) {
            Some(found) => p = found,
            None => {
                problems.push((
                    format!("{at}.$ref"),
                    format!(
                        "`{}` names nothing in the file",
                        target.as_str().unwrap_or_default()
                    ),
                ));
                return None;
            }
        }
    }
    problems.push((
        format!("{at}.$ref"),
        "references nested more than 8 deep".into(),
    ));
    None
}

/// One operation as an imported method.
fn method_of(
    path: &str,
    method: &str,
    params: &[(ParamIn, String)],
    integration: Option<&Value>,
    at: &str,
    problems: &mut Problems,
) -> Option<ImportedMethod> {
    let integration_at = format!("{at}.x-amazon-apigateway-integration");
    let integration = match integration {
        None | Some(Value::Null) => None,
        Some(Value::Object(map)) => Some(map),
        Some(_) => {
            problems.push((integration_at, "expected an object".into()));
            return None;
        }
    };
    let field = |name: &str| integration.and_then(|i| i.get(name));
    let kind = match field("type") {
        None => None,
        Some(Value::String(s)) => Some(s.to_ascii_uppercase()),
        Some(_) => {
            problems.push((format!("{integration_at}.type"), "expected a string".into()));
            None
        }
    };
    let before = problems.len();
    let cache_key_parameters = strings(
        field("cacheKeyParameters"),
        &format!("{integration_at}.cacheKeyParameters"),
        problems,
    );
    let cache_namespace = optional_string(
        field("cacheNamespace"),
        &format!("{integration_at}.cacheNamespace"),
        problems,
    );
    let timeout_ms = timeout(
        field("timeoutInMillis"),
        &format!("{integration_at}.timeoutInMillis"),
        problems,
    );
    let reads = match integration {
        Some(_) => Reads::of(
            Some(kind.as_deref().unwrap_or("")),
            field("requestParameters"),
            field("requestTemplates"),
            &integration_at,
            problems,
        ),
        None => Reads::of(None, None, None, &integration_at, problems),
    };
    if problems.len() > before {
        return None;
    }
    Some(ImportedMethod {
        path: path.to_owned(),
        method: method.to_owned(),
        cache_key_parameters,
        cache_namespace,
        parameters: params
            .iter()
            .map(|(location, name)| ImportedParam {
                name: name.clone(),
                location: *location,
                affects_response: reads.reads(*location, name),
            })
            .collect(),
        integration: kind,
        reads,
        timeout_ms,
        key_location: format!("{integration_at}.cacheKeyParameters"),
        location: at.to_owned(),
    })
}

/// A list of strings (absent or null: empty).
pub(crate) fn strings(v: Option<&Value>, at: &str, problems: &mut Problems) -> Vec<String> {
    match v {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => {
            let mut out = Vec::new();
            for (i, item) in items.iter().enumerate() {
                match item.as_str() {
                    Some(s) => out.push(s.to_owned()),
                    None => problems.push((format!("{at}[{i}]"), "expected a string".into())),
                }
            }
            out
        }
        Some(_) => {
            problems.push((at.to_owned(), "expected a list of strings".into()));
            Vec::new()
        }
    }
}

/// An optional string.
pub(super) fn optional_string(
    v: Option<&Value>,
    at: &str,
    problems: &mut Problems,
) -> Option<String> {
    match v {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            problems.push((at.to_owned(), "expected a string".into()));
            None
        }
    }
}

/// `timeoutInMillis`: 50 ms to 29 s by default, longer on request (AWS's limits); read
/// as given within 1..=300,000 ms.
pub(super) fn timeout(v: Option<&Value>, at: &str, problems: &mut Problems) -> Option<u64> {
    match v {
        None | Some(Value::Null) => None,
        Some(n) => match n.as_u64().filter(|ms| (1..=300_000).contains(ms)) {
            Some(ms) => Some(ms),
            None => {
                problems.push((
                    at.to_owned(),
                    format!("expected whole milliseconds within 1..=300000, got {n}"),
                ));
                None
            }
        },
    }
}
