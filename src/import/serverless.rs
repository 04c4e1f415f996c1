//! The Serverless Framework's `serverless.yml` with the serverless-api-gateway-caching
//! plugin, which patches the stage after deployment, so its settings are in no template:
//! `custom.apiGatewayCaching` (`enabled`, `clusterSize`, default 0.5; `ttlInSeconds`,
//! default 3600, for `*/*`; `perKeyInvalidation`: `requireAuthorization`, default true,
//! and `handleUnauthorizedRequests` `Ignore` | `IgnoreWithWarning` (default) | `Fail`;
//! `basePath`; `additionalEndpoints`), and each function's `http` events with `caching`
//! (`enabled`, `ttlInSeconds`, `perKeyInvalidation`): caching is on for an endpoint only
//! when it is on both globally and for the endpoint; an `ANY` endpoint's settings go to
//! its GET, its other methods uncached. As the plugin applies them.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::{ImportedStage, Source, check_size, check_ttl, normalise_key};
use crate::gateway::{MethodSetting, UnauthorizedStrategy};

type Problems = Vec<(String, String)>;

/// Whether a document is a `serverless.yml`.
pub(super) fn is_serverless(map: &Map<String, Value>) -> bool {
    map.contains_key("service") && (map.contains_key("provider") || map.contains_key("functions"))
}

/// Per-key invalidation settings: whether authorization is required, and the strategy.
#[derive(Debug, Clone, Copy)]
struct Invalidation {
    require: bool,
    strategy: Option<UnauthorizedStrategy>,
}

/// The stage the plugin configures.
pub(super) fn stage(doc: &Value) -> Result<ImportedStage, Problems> {
    let mut problems = Problems::new();
    let Some(global) = doc.pointer("/custom/apiGatewayCaching") else {
        return Err(vec![(
            "custom.apiGatewayCaching".into(),
            "missing: the serverless-api-gateway-caching plugin is not configured (without it the file sets no cache)".into(),
        )]);
    };
    let g_at = "custom.apiGatewayCaching";
    let enabled = flag(
        global.get("enabled"),
        &format!("{g_at}.enabled"),
        &mut problems,
    )
    .unwrap_or(false);
    let size = match global.get("clusterSize") {
        None | Some(Value::Null) => "0.5".to_owned(),
        Some(v) => match text(v) {
            Some(s) => {
                if let Err(m) = check_size(&s) {
                    problems.push((format!("{g_at}.clusterSize"), m));
                }
                s
            }
            None => {
                problems.push((
                    format!("{g_at}.clusterSize"),
                    unreadable(v, "a size such as \"0.5\""),
                ));
                "0.5".to_owned()
            }
        },
    };
    let ttl = ttl(
        global.get("ttlInSeconds"),
        &format!("{g_at}.ttlInSeconds"),
        &mut problems,
    )
    .unwrap_or(3_600);
    let global_invalidation = invalidation(
        global.get("perKeyInvalidation"),
        &format!("{g_at}.perKeyInvalidation"),
        &mut problems,
    );
    let base_path = global
        .get("basePath")
        .and_then(Value::as_str)
        .map(|b| format!("/{}", b.trim_matches('/')))
        .filter(|b| b != "/")
        .unwrap_or_default();
    let mut settings = BTreeMap::new();
    let mut origins = super::Origins::default();
    origins.stage(g_at);
    origins.field("cache_cluster_enabled", format!("{g_at}.enabled"));
    origins.field("cache_cluster_size", format!("{g_at}.clusterSize"));
    let names = &super::origins::SERVERLESS;
    if enabled {
        let wide = MethodSetting {
            cache_ttl_in_seconds: Some(ttl),
            ..MethodSetting::default()
        };
        origins.setting("*/*", g_at, &wide, names);
        settings.insert("*/*".to_owned(), wide);
    }
    for HttpEvent {
        at,
        method,
        path,
        body,
    } in http_events(doc, &mut problems)
    {
        let Some(caching) = body.and_then(|o| o.get("caching")) else {
            continue;
        };
        let c_at = format!("{at}.caching");
        let mut setting = endpoint(Some(caching), &c_at, (enabled, ttl), &mut problems);
        let inv = match caching.get("perKeyInvalidation") {
            None | Some(Value::Null) => global_invalidation,
            some => invalidation(some, &format!("{c_at}.perKeyInvalidation"), &mut problems),
        };
        setting.require_authorization_for_cache_control = Some(inv.require);
        setting.unauthorized_cache_control_header_strategy = inv.strategy;
        let path = full_path(&base_path, &path);
        let method = method.to_ascii_uppercase();
        if method == "ANY" {
            for other in ["DELETE", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"] {
                let off = MethodSetting {
                    caching_enabled: Some(false),
                    ..MethodSetting::default()
                };
                let key = normalise_key(&format!("{path}/{other}"));
                origins.setting(&key, &c_at, &off, names);
                settings.insert(key, off);
            }
            let key = normalise_key(&format!("{path}/GET"));
            origins.setting(&key, &c_at, &setting, names);
            settings.insert(key, setting);
        } else {
            let key = normalise_key(&format!("{path}/{method}"));
            origins.setting(&key, &c_at, &setting, names);
            settings.insert(key, setting);
        }
    }
    if let Some(extra) = global.get("additionalEndpoints").and_then(Value::as_array) {
        for (i, e) in extra.iter().enumerate() {
            let at = format!("{g_at}.additionalEndpoints[{i}]");
            let (Some(method), Some(path)) = (
                e.get("method").and_then(Value::as_str),
                e.get("path").and_then(Value::as_str),
            ) else {
                problems.push((at, "expected `method` and `path` strings".into()));
                continue;
            };
            let c_at = format!("{at}.caching");
            let setting = endpoint(e.get("caching"), &c_at, (enabled, ttl), &mut problems);
            let key = normalise_key(&format!("{path}/{}", method.to_ascii_uppercase()));
            origins.setting(&key, &c_at, &setting, names);
            settings.insert(key, setting);
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(ImportedStage {
        source: Source::Serverless,
        cache_cluster_enabled: enabled,
        cache_cluster_size: enabled.then_some(size),
        method_settings: settings,
        origins,
    })
}

/// An endpoint's `caching` block (at `at`): cached when the plugin is on (`global.0`)
/// and the block says `enabled`, for its `ttlInSeconds` or the global TTL (`global.1`).
fn endpoint(
    caching: Option<&Value>,
    at: &str,
    (enabled, ttl): (bool, u32),
    problems: &mut Problems,
) -> MethodSetting {
    let field = |name: &str| caching.and_then(|c| c.get(name));
    let on = enabled && flag(field("enabled"), &format!("{at}.enabled"), problems).unwrap_or(false);
    MethodSetting {
        caching_enabled: Some(on),
        cache_ttl_in_seconds: on.then(|| {
            self::ttl(
                field("ttlInSeconds"),
                &format!("{at}.ttlInSeconds"),
                problems,
            )
            .unwrap_or(ttl)
        }),
        ..MethodSetting::default()
    }
}

/// `base` and `path` joined, without a trailing `/` (as the plugin matches them).
fn full_path(base: &str, path: &str) -> String {
    let path = format!("/{}", path.trim_start_matches('/'));
    let joined = format!("{base}{path}");
    if joined.len() > 1 {
        joined.trim_end_matches('/').to_owned()
    } else {
        joined
    }
}

/// `perKeyInvalidation`: absent, authorization required with a warning header; given,
/// the strategy only when authorization is required.
fn invalidation(v: Option<&Value>, at: &str, problems: &mut Problems) -> Invalidation {
    let default = Invalidation {
        require: true,
        strategy: Some(UnauthorizedStrategy::SucceedWithResponseHeader),
    };
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return default;
    };
    let require = flag(
        v.get("requireAuthorization"),
        &format!("{at}.requireAuthorization"),
        problems,
    )
    .unwrap_or(false);
    let strategy =
        require.then(
            || match v.get("handleUnauthorizedRequests").and_then(Value::as_str) {
                Some(s) if s.eq_ignore_ascii_case("ignore") => {
                    UnauthorizedStrategy::SucceedWithoutResponseHeader
                }
                Some(s) if s.eq_ignore_ascii_case("fail") => UnauthorizedStrategy::FailWith403,
                // `IgnoreWithWarning`, and (as the plugin does) anything it does not know.
                _ => UnauthorizedStrategy::SucceedWithResponseHeader,
            },
        );
    Invalidation { require, strategy }
}

/// A boolean (YAML's or a string's); `${...}` variables cannot be resolved offline.
fn flag(v: Option<&Value>, at: &str, problems: &mut Problems) -> Option<bool> {
    match v {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Some(true),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Some(false),
        Some(v) => {
            problems.push((at.to_owned(), unreadable(v, "true or false")));
            None
        }
    }
}

/// A TTL in seconds (negative: not given, as the plugin reads it).
fn ttl(v: Option<&Value>, at: &str, problems: &mut Problems) -> Option<u32> {
    let n = match v {
        None | Some(Value::Null) => return None,
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.trim().parse::<i64>().ok(),
        _ => None,
    };
    match n {
        Some(n) if n < 0 => None,
        Some(n) => match check_ttl(n) {
            Ok(t) => Some(t),
            Err(m) => {
                problems.push((at.to_owned(), m));
                None
            }
        },
        None => {
            problems.push((
                at.to_owned(),
                unreadable(v.unwrap_or(&Value::Null), "whole seconds"),
            ));
            None
        }
    }
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.starts_with("${") => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Why `v` cannot be read as `expected`.
fn unreadable(v: &Value, expected: &str) -> String {
    match v.as_str() {
        Some(s) if s.contains("${") => format!(
            "`{s}` is a Serverless variable, which cannot be resolved without the framework; write the value (expected {expected})"
        ),
        _ => format!("expected {expected}, got {v}"),
    }
}

/// The API a `serverless.yml` defines: each function's `http` events (`path`, `method`,
/// `integration`: `lambda-proxy` by default, reading every parameter;
/// `request.parameters` `querystrings` / `headers` / `paths` declared; the caching
/// plugin's `caching.cacheKeyParameters` `request.querystring.page` as
/// `method.request.querystring.page`; `request.template` for non-proxy integrations).
pub(super) fn api(doc: &Value) -> Result<super::api::ImportedApi, Problems> {
    use super::api::{ApiSource, ImportedApi, ImportedMethod, ImportedParam, ParamIn, Reads};
    let mut problems = Problems::new();
    let mut api = ImportedApi {
        source: ApiSource::Serverless,
        title: doc
            .get("service")
            .and_then(Value::as_str)
            .map(str::to_owned),
        methods: Vec::new(),
        notes: Vec::new(),
    };
    for HttpEvent {
        at,
        method,
        path,
        body,
    } in http_events(doc, &mut problems)
    {
        // A field of the event by JSON pointer (`/request/template`).
        let field = |p: &str| body.and_then(|o| pointer(o, p));
        let kind = match field("/integration").and_then(Value::as_str) {
            None | Some("lambda-proxy" | "aws_proxy" | "AWS_PROXY") => "AWS_PROXY",
            Some("lambda" | "aws" | "AWS") => "AWS",
            Some("http-proxy" | "http_proxy" | "HTTP_PROXY") => "HTTP_PROXY",
            Some("http" | "HTTP") => "HTTP",
            Some("mock" | "MOCK") => "MOCK",
            Some(other) => {
                problems.push((
                    format!("{at}.integration"),
                    format!(
                        "expected lambda-proxy, lambda, http-proxy, http or mock, got \"{other}\""
                    ),
                ));
                continue;
            }
        };
        let before = problems.len();
        let templates = field("/request/template");
        let reads = Reads::of(
            Some(kind),
            None,
            templates,
            &format!("{at}.request"),
            &mut problems,
        );
        let path = format!("/{}", path.trim_start_matches('/'));
        let mut parameters: Vec<ImportedParam> = Vec::new();
        for (part, location) in [
            ("paths", ParamIn::Path),
            ("querystrings", ParamIn::Query),
            ("headers", ParamIn::Header),
        ] {
            if let Some(map) =
                field(&format!("/request/parameters/{part}")).and_then(Value::as_object)
            {
                for name in map.keys() {
                    parameters.push(ImportedParam {
                        affects_response: reads.reads(location, name),
                        name: name.clone(),
                        location,
                    });
                }
            }
        }
        // Path parameters the template names, declared or not.
        for seg in path.split('/') {
            if let Some(p) = seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                let p = p.trim_end_matches('+');
                if !parameters
                    .iter()
                    .any(|x| x.location == ParamIn::Path && x.name == p)
                {
                    parameters.insert(
                        0,
                        ImportedParam {
                            name: p.to_owned(),
                            location: ParamIn::Path,
                            affects_response: reads.reads(ParamIn::Path, p),
                        },
                    );
                }
            }
        }
        let mut cache_key_parameters = Vec::new();
        if let Some(keys) = field("/caching/cacheKeyParameters") {
            match keys.as_array() {
                Some(list) => {
                    for (j, k) in list.iter().enumerate() {
                        match k.get("name").and_then(Value::as_str) {
                            Some(n) if n.starts_with("request.") => cache_key_parameters.push(format!("method.{n}")),
                            Some(n) => problems.push((
                                format!("{at}.caching.cacheKeyParameters[{j}].name"),
                                format!("expected `request.{{path|querystring|header}}.NAME`, got \"{n}\""),
                            )),
                            None => problems.push((
                                format!("{at}.caching.cacheKeyParameters[{j}]"),
                                "expected an entry with a `name`".into(),
                            )),
                        }
                    }
                }
                None => problems.push((
                    format!("{at}.caching.cacheKeyParameters"),
                    "expected a list".into(),
                )),
            }
        }
        if problems.len() > before {
            continue;
        }
        api.methods.push(ImportedMethod {
            path,
            method: method.to_ascii_uppercase(),
            cache_key_parameters,
            cache_namespace: None,
            parameters,
            integration: Some(kind.to_owned()),
            reads,
            timeout_ms: None,
            key_location: format!("{at}.caching.cacheKeyParameters"),
            location: at,
        });
    }
    if problems.is_empty() {
        Ok(api)
    } else {
        Err(problems)
    }
}

/// One `http` event of a function: where it is, its method and path, and (in its long
/// form) its fields.
struct HttpEvent<'a> {
    at: String,
    method: String,
    path: String,
    body: Option<&'a Map<String, Value>>,
}

/// Every function's `http` events, in file order (`"GET /path"` or an object with
/// `method` and `path`); a malformed one is reported and skipped.
fn http_events<'a>(doc: &'a Value, problems: &mut Problems) -> Vec<HttpEvent<'a>> {
    let mut out = Vec::new();
    let functions = doc.get("functions").and_then(Value::as_object);
    for (name, f) in functions.into_iter().flatten() {
        let Some(events) = f.get("events").and_then(Value::as_array) else {
            continue;
        };
        for (i, e) in events.iter().enumerate() {
            let at = format!(
                "{}.events[{i}].http",
                super::api::key_path("functions", name)
            );
            let Some(http) = e.get("http") else { continue };
            let (method, path, body) = match http {
                Value::String(s) => match s.split_once(' ') {
                    Some((m, p)) => (m.to_owned(), p.trim().to_owned(), None),
                    None => {
                        problems.push((at, format!("expected \"METHOD /path\", got \"{s}\"")));
                        continue;
                    }
                },
                Value::Object(o) => match (
                    o.get("method").and_then(Value::as_str),
                    o.get("path").and_then(Value::as_str),
                ) {
                    (Some(m), Some(p)) => (m.to_owned(), p.to_owned(), Some(o)),
                    _ => {
                        problems.push((at, "expected `method` and `path` strings".into()));
                        continue;
                    }
                },
                _ => {
                    problems.push((at, "expected an object or \"METHOD /path\"".into()));
                    continue;
                }
            };
            out.push(HttpEvent {
                at,
                method,
                path,
                body,
            });
        }
    }
    out
}

/// The value at JSON pointer `p` (`/a/b`) within the object `o`.
fn pointer<'a>(o: &'a Map<String, Value>, p: &str) -> Option<&'a Value> {
    let p = p.strip_prefix('/')?;
    let (first, rest) = p.split_once('/').map_or((p, None), |(f, r)| (f, Some(r)));
    let v = o.get(first)?;
    match rest {
        None => Some(v),
        Some(rest) => v.pointer(&format!("/{rest}")),
    }
}
