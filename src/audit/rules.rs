//! The audit's rules. Each looks at the settings in force for every method (as
//! [`StageSettings::resolve`] gives them: the same resolution the simulator uses), the
//! parameters each method's integration reads, and what each caller's IAM policies
//! allow, decided by the same policy engine the simulator uses.

use super::evidence::Site;
use super::{Finding, Level, Subject};
use crate::gateway::{
    INVALIDATE_CACHE, Method, MethodSetting, ResourceConfig, StageSettings, UnauthorizedStrategy,
    method_setting_key,
};
use crate::scenario::Seg;

/// API Gateway caches no response larger than this (1 MB).
const MAX_CACHED_RESPONSE_BYTES: u64 = 1_048_576;

/// Every rule's findings.
pub(super) fn all(s: &Subject<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    cluster(s, &mut out);
    for (i, r) in s.resources.iter().enumerate() {
        let first = out.len();
        method(s, i, r, &mut out);
        for f in &mut out[first..] {
            f.resource = Some(i);
        }
    }
    invalidation(s, &mut out);
    if let Some(live) = s.live {
        planned_change(s, live, &mut out);
    }
    out
}

/// What one rule checks: its id, severity, a title, and why it matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// The id findings carry, e.g. `read-parameter-not-in-cache-key`.
    pub id: &'static str,
    /// The severity of its findings.
    pub level: Level,
    /// A one-line title.
    pub title: &'static str,
    /// Why it matters.
    pub why: &'static str,
}

/// Every rule, in the order the README lists them.
pub const RULES: &[Rule] = &[
    Rule {
        id: "cache-cluster-unused",
        level: Level::Warning,
        title: "Cache cluster on, but no method caches",
        why: "a method caches only when `caching_enabled` is true in `*/*` or its own entry; enabling the cluster alone caches nothing (the API, CloudFormation and Terraform all default it to false)",
    },
    Rule {
        id: "caching-without-cluster",
        level: Level::Warning,
        title: "Caching enabled without a cache cluster",
        why: "responses are cached only in the stage's cache cluster",
    },
    Rule {
        id: "ttl-zero",
        level: Level::Warning,
        title: "Caching enabled with a TTL of 0",
        why: "a TTL of 0 disables caching for the method while the cluster is paid for",
    },
    Rule {
        id: "caching-non-get",
        level: Level::Warning,
        title: "Caching enabled on a method other than GET",
        why: "a cached write or action returns the first caller's response to later callers without reaching the backend",
    },
    Rule {
        id: "read-parameter-not-in-cache-key",
        level: Level::Error,
        title: "A parameter the integration reads is not in the cache key",
        why: "API Gateway keys a cached response on the method's cache key parameters alone; a parameter the integration reads but the key leaves out serves one caller's response (another user's, another page) to the next",
    },
    Rule {
        id: "require-authorization-off",
        level: Level::Warning,
        title: "Any client can invalidate the cache",
        why: "without required authorization every `max-age=0` request bypasses and refreshes the cache: a scraper or a misconfigured client turns the cache off for everyone and loads the backend",
    },
    Rule {
        id: "silent-unauthorized-strategy",
        level: Level::Warning,
        title: "Ignored refreshes are not signalled",
        why: "with SUCCEED_WITHOUT_RESPONSE_HEADER a client that believes it refreshed the cache gets the cached (possibly stale) response and cannot tell",
    },
    Rule {
        id: "response-too-large",
        level: Level::Warning,
        title: "Responses too large to cache",
        why: "API Gateway does not cache a response larger than 1 MB; every request for it reaches the backend",
    },
    Rule {
        id: "invalidate-cache-too-broad",
        level: Level::Warning,
        title: "InvalidateCache granted too broadly",
        why: "every execute-api:InvalidateCache grant lets its holder send the backend a fetch per request with `max-age=0`; one granted this widely reaches methods (and APIs) that never needed it",
    },
    Rule {
        id: "invalidate-cache-public",
        level: Level::Error,
        title: "A public caller may invalidate the cache",
        why: "anyone who can call as a public principal can bypass the cache at will: the backend takes every such request",
    },
    Rule {
        id: "planned-drops-caching",
        level: Level::Warning,
        title: "The change stops caching a method",
        why: "every request the cache answers today will reach the backend",
    },
    Rule {
        id: "planned-changes-strategy",
        level: Level::Note,
        title: "The change alters the answer to unauthorized refreshes",
        why: "clients that send `max-age=0` without permission will see a different answer (a 403, a warning header, or nothing)",
    },
    Rule {
        id: "planned-shrinks-cluster",
        level: Level::Warning,
        title: "The change shrinks the cache cluster",
        why: "a smaller cache holds fewer responses (more misses reach the backend), and resizing drops every cached entry for the minutes the new cluster takes",
    },
];

/// The rule with id `id` (every id the rules use is in [`RULES`]).
fn rule(id: &str) -> &'static Rule {
    RULES.iter().find(|r| r.id == id).unwrap_or(&RULES[0])
}

fn finding(s: &Subject<'_>, id: &'static str, message: String, site: Site, fix: String) -> Finding {
    let rule = rule(id);
    Finding {
        rule: rule.id,
        level: rule.level,
        configuration: s.configuration.clone(),
        message,
        evidence: s.sources.evidence(&site, s.resources, s.principals),
        why: rule.why,
        fix,
        measured: None,
        site,
        resource: None,
    }
}

/// A field under `[stage]`.
fn stage_field(field: &str) -> Site {
    Site::Stage(vec![Seg::Key(field.to_owned())])
}

/// A field of the method-settings entry `key`.
fn setting(key: &str, field: &str) -> Site {
    Site::Stage(vec![
        Seg::Key("method_settings".into()),
        Seg::Key(key.to_owned()),
        Seg::Key(field.to_owned()),
    ])
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
            format!("the cache cluster is on but no method caches: paying ${price:.3}/hour for a cache that stores nothing"),
            stage_field("cache_cluster_enabled"),
            "set `caching_enabled = true` in `*/*` (or on the methods to cache), or turn the cluster off".into(),
        ));
    }
    if !stage.cache_cluster_enabled {
        for (key, m) in &stage.method_settings {
            if m.caching_enabled == Some(true) {
                out.push(finding(
                    s,
                    "caching-without-cluster",
                    format!("caching is enabled for `{key}` but the stage has no cache cluster: nothing is cached"),
                    setting(key, "caching_enabled"),
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
            format!("{label}: caching is enabled with a TTL of 0 s: nothing is cached"),
            setting(&key, "cache_ttl_in_seconds"),
            "set a TTL (API Gateway's default is 300 s), or disable caching for it".into(),
        ));
    }
    if stage.cache_cluster_enabled && r.method != Method::Get && own.caching_enabled == Some(true) {
        out.push(finding(
            s,
            "caching-non-get",
            format!("{label}: caching is enabled on a {} method", r.method),
            setting(&own_key, "caching_enabled"),
            format!("set `caching_enabled = false` for `{own_key}`"),
        ));
    }
    if !resolved.cached {
        return;
    }
    // Parameters the backend reads that the key leaves out.
    let missing = unkeyed(r);
    for key in missing {
        out.push(finding(
            s,
            "read-parameter-not-in-cache-key",
            format!("{label}: the response depends on `{key}`, which the cache key leaves out: the response for one value is served for another"),
            Site::Resource(i, "cache_key_parameters"),
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
            format!("{label}: any client can force a backend fetch with `Cache-Control: max-age=0`"),
            setting(&key, "require_authorization_for_cache_control"),
            "set `require_authorization_for_cache_control = true` and grant execute-api:InvalidateCache to the callers that need it".into(),
        ));
    } else if resolved.strategy == UnauthorizedStrategy::SucceedWithoutResponseHeader {
        let key = deciding_key(stage, r, |m| {
            m.unauthorized_cache_control_header_strategy.is_some()
        });
        out.push(finding(
            s,
            "silent-unauthorized-strategy",
            format!("{label}: unauthorized `max-age=0` requests are served from the cache with no sign they were ignored"),
            setting(&key, "unauthorized_cache_control_header_strategy"),
            "use SUCCEED_WITH_RESPONSE_HEADER (a warning header) or FAIL_WITH_403".into(),
        ));
    }
    if let Some(bytes) = s.response_bytes.get(i).copied().flatten() {
        if bytes > MAX_CACHED_RESPONSE_BYTES {
            out.push(finding(
                s,
                "response-too-large",
                format!("{label}: responses of {bytes} bytes are over API Gateway's 1,048,576-byte limit for a cached response: none is cached"),
                Site::Resource(i, "response_bytes"),
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
        // The statement that allows `arn`, for the evidence.
        let grant = |arn: &str| {
            principal
                .policies
                .explain(INVALIDATE_CACHE, arn, ctx)
                .deciding
        };
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
                other_api.clone(),
                "on every API of the account (`*`)",
                "Resource: \"*\" or an API-wide wildcard",
            ))
        } else if allows(&other_stage) {
            Some((
                other_stage.clone(),
                "on every stage of the API",
                "a `*` in the stage part of the ARN",
            ))
        } else if allows(&other_method) && cached.iter().all(|r| allows(&method_arn(&base, r))) {
            Some((
                other_method.clone(),
                "on every method of the stage",
                "a `*` for the method and path",
            ))
        } else {
            None
        };
        if let Some((granted, scope, pattern)) = scope {
            out.push(finding(
                s,
                "invalidate-cache-too-broad",
                format!("principal `{}` may invalidate cached responses {scope}", principal.name),
                Site::Grant(p, grant(&granted)),
                format!("narrow the Resource from {pattern} to the methods that need refreshing, e.g. `{base}/GET/products/*`"),
            ));
        }
        if s.public.get(p).copied().unwrap_or(false) {
            if let Some(r) = cached.iter().find(|r| allows(&method_arn(&base, r))) {
                out.push(finding(
                    s,
                    "invalidate-cache-public",
                    format!(
                        "principal `{}` is public and may invalidate cached responses (e.g. {})",
                        principal.name,
                        label(r)
                    ),
                    Site::Grant(p, grant(&method_arn(&base, r))),
                    "remove execute-api:InvalidateCache from the policies of public callers".into(),
                ));
            }
        }
    }
}

/// The cache key names (`method.request.path.id`, `method.request.querystring.page`) of
/// what `r`'s response depends on (its path parameters, the parameters its integration
/// reads) that its cache key leaves out.
pub(super) fn unkeyed(r: &ResourceConfig) -> Vec<String> {
    let path_params = r
        .path
        .split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|p| p.strip_suffix('}')))
        .map(|p| format!("method.request.path.{}", p.trim_end_matches('+')));
    let read = r
        .params
        .iter()
        .filter(|p| p.affects_response)
        .map(|p| format!("method.request.{}.{}", p.location.key_part(), p.name));
    let mut out: Vec<String> = Vec::new();
    for key in path_params.chain(read) {
        // A path parameter may also be declared among the parameters: once.
        if !r.cache_key_parameters.contains(&key) && !out.contains(&key) {
            out.push(key);
        }
    }
    out
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
                format!("{label}: cached today, not cached once the change is applied"),
                setting(&method_setting_key(&r.path, r.method), "caching_enabled"),
                "check the backend can take the method's full request rate (`cachegate run` with both stages as variants), or keep caching it".into(),
            ));
        }
        if before.cached && after.cached && before.strategy != after.strategy {
            out.push(finding(
                s,
                "planned-changes-strategy",
                format!(
                    "{label}: unauthorized `max-age=0` requests change from {} to {}",
                    before.strategy.as_str(),
                    after.strategy.as_str()
                ),
                setting(
                    &method_setting_key(&r.path, r.method),
                    "unauthorized_cache_control_header_strategy",
                ),
                "make sure clients that send `max-age=0` handle the new answer".into(),
            ));
        }
    }
    if let (Some(before), Some(after)) = (s.live_cluster_size, s.cluster_size) {
        if after.bytes() < before.bytes() {
            out.push(finding(
                s,
                "planned-shrinks-cluster",
                format!("the cache cluster shrinks from {} GB to {} GB", before.as_str(), after.as_str()),
                stage_field("cache_cluster_size"),
                "simulate both sizes (`cachegate run` with both stages as variants) before applying".into(),
            ));
        }
    }
}
