//! The audit's rules. Each looks at the settings in force for every method (as
//! [`StageSettings::resolve`] gives them: the same resolution the simulator uses), the
//! parameters each method's integration reads, and what each caller's IAM policies
//! allow, decided by the same policy engine the simulator uses.

use super::{Evidence, Finding, Level, Subject};
use crate::gateway::{
    INVALIDATE_CACHE, Method, MethodSetting, ResourceConfig, StageSettings, UnauthorizedStrategy,
    method_setting_key,
};

/// API Gateway caches no response larger than this (1 MB).
const MAX_CACHED_RESPONSE_BYTES: u64 = 1_048_576;

/// Every rule's findings.
pub(super) fn all(s: &Subject<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    cluster(s, &mut out);
    for (i, r) in s.resources.iter().enumerate() {
        method(s, i, r, &mut out);
    }
    invalidation(s, &mut out);
    if let Some(live) = s.live {
        planned_change(s, live, &mut out);
    }
    out
}

fn finding(
    s: &Subject<'_>,
    rule: &'static str,
    level: Level,
    message: String,
    (file, field): (&str, String),
    why: &'static str,
    fix: String,
) -> Finding {
    Finding {
        rule,
        level,
        configuration: s.configuration.clone(),
        message,
        evidence: Evidence {
            file: file.to_owned(),
            field,
        },
        why,
        fix,
    }
}

fn label(r: &ResourceConfig) -> String {
    format!("{} {}", r.method, r.path)
}

/// The method-settings entry that decides `field` for `r`: its own, else `*/*`.
fn deciding_key(
    stage: &StageSettings,
    r: &ResourceConfig,
    field: fn(&MethodSetting) -> bool,
) -> String {
    let own = method_setting_key(&r.path, r.method);
    if stage.method_settings.get(&own).is_some_and(field) {
        own
    } else {
        "*/*".to_owned()
    }
}

/// The cluster on with nothing cached, or caching enabled with no cluster.
fn cluster(s: &Subject<'_>, out: &mut Vec<Finding>) {
    let stage = &s.stage;
    // Without the API's methods (a stage file alone), what the settings enable.
    let any_cached = if s.resources.is_empty() {
        stage
            .method_settings
            .values()
            .any(|m| m.caching_enabled == Some(true))
    } else {
        s.resources
            .iter()
            .any(|r| stage.resolve(&r.path, r.method).cached)
    };
    if stage.cache_cluster_enabled && !any_cached {
        let price = s
            .cluster_size
            .map_or(0.0, crate::cache::ClusterSize::price_per_hour_usd);
        out.push(finding(
            s,
            "cache-cluster-unused",
            Level::Warning,
            format!("the cache cluster is on but no method caches: paying ${price:.3}/hour for a cache that stores nothing"),
            (&s.stage_file, "stage.cache_cluster_enabled".into()),
            "a method caches only when `caching_enabled` is true in `*/*` or its own entry; enabling the cluster alone caches nothing (the API, CloudFormation and Terraform all default it to false)",
            "set `caching_enabled = true` in `*/*` (or on the methods to cache), or turn the cluster off".into(),
        ));
    }
    if !stage.cache_cluster_enabled {
        for (key, m) in &stage.method_settings {
            if m.caching_enabled == Some(true) {
                out.push(finding(
                    s,
                    "caching-without-cluster",
                    Level::Warning,
                    format!("caching is enabled for `{key}` but the stage has no cache cluster: nothing is cached"),
                    (&s.stage_file, format!("stage.method_settings.\"{key}\".caching_enabled")),
                    "responses are cached only in the stage's cache cluster",
                    "set `cache_cluster_enabled = true` with a `cache_cluster_size`, or drop the setting".into(),
                ));
            }
        }
    }
}

/// The rules about one method.
fn method(s: &Subject<'_>, i: usize, r: &ResourceConfig, out: &mut Vec<Finding>) {
    let stage = &s.stage;
    let resolved = stage.resolve(&r.path, r.method);
    let own_key = method_setting_key(&r.path, r.method);
    let own = stage
        .method_settings
        .get(&own_key)
        .copied()
        .unwrap_or_default();
    let wide = stage
        .method_settings
        .get("*/*")
        .copied()
        .unwrap_or_default();
    let label = label(r);
    // Caching enabled, TTL 0.
    let enabled = own
        .caching_enabled
        .unwrap_or(r.method == Method::Get && wide.caching_enabled == Some(true));
    let ttl = own.cache_ttl_in_seconds.or(wide.cache_ttl_in_seconds);
    if stage.cache_cluster_enabled && enabled && ttl == Some(0) {
        let key = if own.cache_ttl_in_seconds.is_some() {
            own_key.clone()
        } else {
            "*/*".into()
        };
        out.push(finding(
            s,
            "ttl-zero",
            Level::Warning,
            format!("{label}: caching is enabled with a TTL of 0 s: nothing is cached"),
            (
                &s.stage_file,
                format!("stage.method_settings.\"{key}\".cache_ttl_in_seconds"),
            ),
            "a TTL of 0 disables caching for the method while the cluster is paid for",
            "set a TTL (API Gateway's default is 300 s), or disable caching for it".into(),
        ));
    }
    if stage.cache_cluster_enabled && r.method != Method::Get && own.caching_enabled == Some(true) {
        out.push(finding(
            s,
            "caching-non-get",
            Level::Warning,
            format!("{label}: caching is enabled on a {} method", r.method),
            (&s.stage_file, format!("stage.method_settings.\"{own_key}\".caching_enabled")),
            "a cached write or action returns the first caller's response to later callers without reaching the backend",
            format!("set `caching_enabled = false` for `{own_key}`"),
        ));
    }
    if !resolved.cached {
        return;
    }
    // Parameters the backend reads that the key leaves out.
    let keyed = |name: &str| r.cache_key_parameters.iter().any(|k| k == name);
    let path_params = r
        .path
        .split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|p| p.strip_suffix('}')))
        .map(|p| p.trim_end_matches('+'));
    let mut missing: Vec<String> = path_params
        .map(|p| format!("method.request.path.{p}"))
        .filter(|k| !keyed(k))
        .collect();
    missing.extend(
        r.params
            .iter()
            .filter(|p| p.affects_response)
            .map(|p| format!("method.request.{}.{}", p.location.key_part(), p.name))
            .filter(|k| !keyed(k)),
    );
    for key in missing {
        out.push(finding(
            s,
            "read-parameter-not-in-cache-key",
            Level::Error,
            format!("{label}: the response depends on `{key}`, which the cache key leaves out: the response for one value is served for another"),
            (&s.api_file, format!("resources[\"{label}\"].cache_key_parameters")),
            "API Gateway keys a cached response on the method's cache key parameters alone; a parameter the integration reads but the key leaves out serves one caller's response (another user's, another page) to the next",
            format!("add \"{key}\" to the integration's cacheKeyParameters (or stop the integration reading it)"),
        ));
    }
    if !resolved.require_authorization {
        let key = deciding_key(stage, r, |m| {
            m.require_authorization_for_cache_control.is_some()
        });
        out.push(finding(
            s,
            "require-authorization-off",
            Level::Warning,
            format!("{label}: any client can force a backend fetch with `Cache-Control: max-age=0`"),
            (&s.stage_file, format!("stage.method_settings.\"{key}\".require_authorization_for_cache_control")),
            "without required authorization every `max-age=0` request bypasses and refreshes the cache: a scraper or a misconfigured client turns the cache off for everyone and loads the backend",
            "set `require_authorization_for_cache_control = true` and grant execute-api:InvalidateCache to the callers that need it".into(),
        ));
    } else if resolved.strategy == UnauthorizedStrategy::SucceedWithoutResponseHeader {
        let key = deciding_key(stage, r, |m| {
            m.unauthorized_cache_control_header_strategy.is_some()
        });
        out.push(finding(
            s,
            "silent-unauthorized-strategy",
            Level::Warning,
            format!("{label}: unauthorized `max-age=0` requests are served from the cache with no sign they were ignored"),
            (&s.stage_file, format!("stage.method_settings.\"{key}\".unauthorized_cache_control_header_strategy")),
            "with SUCCEED_WITHOUT_RESPONSE_HEADER a client that believes it refreshed the cache gets the cached (possibly stale) response and cannot tell",
            "use SUCCEED_WITH_RESPONSE_HEADER (a warning header) or FAIL_WITH_403".into(),
        ));
    }
    if let Some(bytes) = s.response_bytes.get(i).copied().flatten() {
        if bytes > MAX_CACHED_RESPONSE_BYTES {
            out.push(finding(
                s,
                "response-too-large",
                Level::Warning,
                format!("{label}: responses of {bytes} bytes are over API Gateway's 1,048,576-byte limit for a cached response: none is cached"),
                (&s.api_file, format!("resources[\"{label}\"].response_bytes")),
                "API Gateway does not cache a response larger than 1 MB; every request for it reaches the backend",
                "compress or paginate the response, or stop caching the method".into(),
            ));
        }
    }
}

/// What callers may invalidate.
fn invalidation(s: &Subject<'_>, out: &mut Vec<Finding>) {
    let api = &s.api;
    let base = api.arn_base();
    let cached: Vec<&ResourceConfig> = s
        .resources
        .iter()
        .filter(|r| s.stage.resolve(&r.path, r.method).cached)
        .collect();
    for (p, principal) in s.principals.iter().enumerate() {
        let ctx = &principal.context;
        let allows = |arn: &str| {
            principal
                .policies
                .decide(INVALIDATE_CACHE, arn, ctx)
                .is_allowed()
        };
        let field = format!("principals.{}.policies", principal.name);
        let file = s.principal_files.get(p).map_or("", String::as_str);
        // Probes no real grant names: another API, another stage, a method this API
        // does not have.
        let other_api = format!(
            "arn:aws:execute-api:{}:{}:cachegateprobe/{}/GET/probe",
            api.region, api.account, api.stage
        );
        let other_stage = format!(
            "arn:aws:execute-api:{}:{}:{}/cachegate-probe-stage/GET/probe",
            api.region, api.account, api.api_id
        );
        let other_method = format!("{base}/GET/cachegate-probe/resource");
        let scope = if allows(&other_api) {
            Some((
                "on every API of the account (`*`)",
                "Resource: \"*\" or an API-wide wildcard",
            ))
        } else if allows(&other_stage) {
            Some((
                "on every stage of the API",
                "a `*` in the stage part of the ARN",
            ))
        } else if allows(&other_method) && cached.iter().all(|r| allows(&method_arn(&base, r))) {
            Some((
                "on every method of the stage",
                "a `*` for the method and path",
            ))
        } else {
            None
        };
        if let Some((scope, pattern)) = scope {
            out.push(finding(
                s,
                "invalidate-cache-too-broad",
                Level::Warning,
                format!("principal `{}` may invalidate cached responses {scope}", principal.name),
                (file, field.clone()),
                "every execute-api:InvalidateCache grant lets its holder send the backend a fetch per request with `max-age=0`; one granted this widely reaches methods (and APIs) that never needed it",
                format!("narrow the Resource from {pattern} to the methods that need refreshing, e.g. `{base}/GET/products/*`"),
            ));
        }
        if s.public.get(p).copied().unwrap_or(false) {
            if let Some(r) = cached.iter().find(|r| allows(&method_arn(&base, r))) {
                out.push(finding(
                    s,
                    "invalidate-cache-public",
                    Level::Error,
                    format!("principal `{}` is public and may invalidate cached responses (e.g. {})", principal.name, label(r)),
                    (file, field),
                    "anyone who can call as a public principal can bypass the cache at will: the backend takes every such request",
                    "remove execute-api:InvalidateCache from the policies of public callers".into(),
                ));
            }
        }
    }
}

/// An execute-api ARN of method `r` with its path parameters as `x`.
fn method_arn(base: &str, r: &ResourceConfig) -> String {
    let path: Vec<&str> = r
        .path
        .split('/')
        .map(|seg| if seg.starts_with('{') { "x" } else { seg })
        .collect();
    format!("{base}/{}{}", r.method, path.join("/"))
}

/// A planned stage against the live one: cached methods dropped, the cluster shrunk,
/// the unauthorized-request strategy changed.
fn planned_change(s: &Subject<'_>, live: &StageSettings, out: &mut Vec<Finding>) {
    let planned = &s.stage;
    for r in s.resources {
        let (before, after) = (
            live.resolve(&r.path, r.method),
            planned.resolve(&r.path, r.method),
        );
        let label = label(r);
        if before.cached && !after.cached {
            out.push(finding(
                s,
                "planned-drops-caching",
                Level::Warning,
                format!("{label}: cached today, not cached once the change is applied"),
                (&s.stage_file, format!("stage.method_settings.\"{}\".caching_enabled", method_setting_key(&r.path, r.method))),
                "every request the cache answers today will reach the backend",
                "check the backend can take the method's full request rate (`cachegate run` with both stages as variants), or keep caching it".into(),
            ));
        }
        if before.cached && after.cached && before.strategy != after.strategy {
            out.push(finding(
                s,
                "planned-changes-strategy",
                Level::Note,
                format!("{label}: unauthorized `max-age=0` requests change from {} to {}", before.strategy.as_str(), after.strategy.as_str()),
                (&s.stage_file, format!("stage.method_settings.\"{}\".unauthorized_cache_control_header_strategy", method_setting_key(&r.path, r.method))),
                "clients that send `max-age=0` without permission will see a different answer (a 403, a warning header, or nothing)",
                "make sure clients that send `max-age=0` handle the new answer".into(),
            ));
        }
    }
    if let (Some(before), Some(after)) = (s.live_cluster_size, s.cluster_size) {
        if after.bytes() < before.bytes() {
            out.push(finding(
                s,
                "planned-shrinks-cluster",
                Level::Warning,
                format!("the cache cluster shrinks from {} GB to {} GB", before.as_str(), after.as_str()),
                (&s.stage_file, "stage.cache_cluster_size".into()),
                "a smaller cache holds fewer responses (more misses reach the backend), and resizing drops every cached entry for the minutes the new cluster takes",
                "simulate both sizes (`cachegate run` with both stages as variants) before applying".into(),
            ));
        }
    }
}
