//! From a raw configuration to a [`Scenario`]: interpret fields, cross-check
//! references (principals, mix entries, method-setting keys, cache key parameters),
//! load policies, and collect every problem with its field path rather than stopping
//! at the first.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::error::{FieldPath, Problems, at};
use super::raw::{RawClient, RawEvent, RawParameter, RawResource, RawScenario, RawStage};
use super::shapes::{latency_dist, popularity, size_dist};
use super::{
    Arrival, ClientModel, Popularity, ResourceModel, Scenario, StageAction, StageEvent, units,
};
use crate::cache::{CacheConfig, CapacityUnit, ClusterSize};
use crate::gateway::{
    ApiIdentity, Gateway, GatewayConfig, Location, Method, Param, Principal, ResourceConfig,
    STAGE_WIDE, StageSettings, method_setting_key,
};
use crate::policy::{Context, PolicySet};
use crate::time::{SimDuration, SimTime};

/// The fastest a single client may send: 10 million requests a second, ten arrivals a
/// microsecond, a rate the simulator's microsecond clock still places exactly.
pub const MAX_CLIENT_RATE: f64 = 1e7;

/// A 12-digit AWS account id.
fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

/// An AWS region name: lowercase words joined by `-`, ending in a number (`us-east-1`,
/// `us-gov-west-1`, `cn-north-1`, `eusc-de-east-1`).
fn is_region(text: &str) -> bool {
    let mut parts = text.split('-');
    let Some(number) = parts.next_back() else {
        return false;
    };
    let words: Vec<&str> = parts.collect();
    !number.is_empty()
        && number.len() <= 2
        && number.bytes().all(|b| b.is_ascii_digit())
        && words.len() >= 2
        && words
            .iter()
            .all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase()))
}

pub(super) fn build(
    raw: &RawScenario,
    path: &Path,
    bytes: &[u8],
    dir: &Path,
    p: &mut Problems,
) -> Option<Scenario> {
    if raw.name.is_empty()
        || !raw
            .name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        || raw.name.starts_with('.')
    {
        p.add(
            at("name"),
            format!(
                "expected letters, digits, `-`, `_` or `.` (it names the report folder), got \"{}\"",
                raw.name
            ),
        );
    }
    let duration = p.check(&at("duration"), units::duration(&raw.duration));
    if duration.is_some_and(SimDuration::is_zero) {
        p.add(at("duration"), "must be > 0");
    }
    let warmup = match &raw.warmup {
        Some(w) => p.check(&at("warmup"), units::duration(w)),
        None => Some(SimDuration::ZERO),
    };
    let window = p.check(
        &at("window"),
        units::duration(raw.window.as_deref().unwrap_or("10s")),
    );
    if window.is_some_and(SimDuration::is_zero) {
        p.add(at("window"), "must be > 0");
    }
    if let (Some(d), Some(w)) = (duration, window) {
        if let Some(problem) = super::limits::window_problem(d, w) {
            p.add(at("window"), problem);
        }
    }
    let replications = raw.replications.unwrap_or(1);
    if replications == 0 {
        p.add(at("replications"), "must be >= 1, got 0");
    }
    if let Some(problem) = super::limits::replications_problem(replications) {
        p.add(at("replications"), problem);
    }
    let end = SimTime::ZERO + warmup.unwrap_or_default() + duration.unwrap_or_default();

    for (field, value) in [("api_id", &raw.api.api_id), ("stage", &raw.api.stage)] {
        if value.is_empty() || value.contains(['/', ':']) {
            p.add(
                at("api").key(field),
                format!("expected a non-empty name without `/` or `:`, got \"{value}\""),
            );
        }
    }
    for (field, value, valid, expected) in [
        (
            "account",
            &raw.api.account,
            is_account_id(&raw.api.account),
            "a 12-digit AWS account id such as \"123456789012\"",
        ),
        (
            "region",
            &raw.api.region,
            is_region(&raw.api.region),
            "an AWS region name such as \"us-east-1\" or \"eu-central-2\"",
        ),
    ] {
        if !valid {
            p.add(
                at("api").key(field),
                format!("expected {expected}, got \"{value}\""),
            );
        }
    }
    if let Some(usd) = raw.cost.backend_usd_per_million_requests {
        if !(usd >= 0.0 && usd.is_finite()) {
            p.add(
                at("cost").key("backend_usd_per_million_requests"),
                format!("expected a price in USD >= 0, got {}", units::show(usd)),
            );
        }
    }

    // The cache.
    let stage_path = at("stage");
    let missing_stage = RawStage {
        cache_cluster_enabled: false,
        cache_cluster_size: None,
        method_settings: Default::default(),
    };
    let stage = match &raw.stage {
        Some(s) => s,
        None => {
            p.add(
                stage_path.clone(),
                "missing: give a `[stage]` table, or `stage_file = \"...\"` naming the stage as deployed",
            );
            &missing_stage
        }
    };
    let cluster_size = match &stage.cache_cluster_size {
        Some(s) => p.check(
            &stage_path.key("cache_cluster_size"),
            ClusterSize::parse(s).ok_or_else(|| {
                format!(
                    "unknown size \"{s}\"; expected one of {}",
                    ClusterSize::expected()
                )
            }),
        ),
        None if stage.cache_cluster_enabled => {
            p.add(
                stage_path.key("cache_cluster_size"),
                format!(
                    "required when `cache_cluster_enabled = true`; one of {}",
                    ClusterSize::expected()
                ),
            );
            None
        }
        None => None,
    };
    if raw.model.capacity_entries.is_some() && raw.model.capacity_bytes.is_some() {
        p.add(
            at("model").key("capacity_entries"),
            "give `capacity_bytes` or `capacity_entries`, not both",
        );
    }
    let capacity_bytes = raw
        .model
        .capacity_entries
        .or(raw.model.capacity_bytes)
        .or(cluster_size.map(ClusterSize::bytes))
        .unwrap_or(0);
    let gateway_latency = match &raw.model.gateway_latency {
        Some(l) => p.check(&at("model").key("gateway_latency"), units::duration(l)),
        None => Some(SimDuration::ZERO),
    };

    // Resources.
    let mut labels: BTreeMap<String, usize> = BTreeMap::new();
    let mut resource_configs = Vec::new();
    let mut resource_models = Vec::new();
    for (i, r) in raw.resources.iter().enumerate() {
        let rp = at("resources").index(i);
        let label = format!("{} {}", r.method, r.path);
        if labels.insert(label.clone(), i).is_some() {
            p.add(rp.clone(), format!("`{label}` is declared twice"));
        }
        if let Some((config, model)) = resource(r, &rp, label, p) {
            resource_configs.push(config);
            resource_models.push(model);
        }
    }
    if raw.resources.is_empty() {
        p.add(
            at("resources"),
            "a scenario needs at least one `[[resources]]`",
        );
    }

    // Method settings.
    let ms_path = stage_path.key("method_settings");
    for (key, setting) in &stage.method_settings {
        let kp = ms_path.key(key);
        if let Some(ttl) = setting.cache_ttl_in_seconds {
            if ttl > 3600 {
                p.add(
                    kp.key("cache_ttl_in_seconds"),
                    format!("must be within 0..=3600 (API Gateway's maximum TTL), got {ttl}"),
                );
            }
        }
        if key == STAGE_WIDE {
            continue;
        }
        if key.starts_with('/') && key != "/" && !key.starts_with("//") {
            p.add(kp, format!("method-setting keys have no leading slash (AWS stores such a key but ignores it); write \"{}\"", &key[1..]));
            continue;
        }
        let known = raw.resources.iter().any(|r| {
            Method::parse(&r.method).is_some_and(|m| method_setting_key(&r.path, m) == *key)
        });
        if !known {
            let expected: Vec<String> = raw
                .resources
                .iter()
                .filter_map(|r| {
                    Method::parse(&r.method)
                        .map(|m| format!("\"{}\"", method_setting_key(&r.path, m)))
                })
                .collect();
            p.add(
                kp,
                format!(
                    "names no declared resource method; expected \"*/*\" or one of {}",
                    expected.join(", ")
                ),
            );
        }
    }

    let gateway = GatewayConfig {
        api: ApiIdentity {
            region: raw.api.region.clone(),
            account: raw.api.account.clone(),
            api_id: raw.api.api_id.clone(),
            stage: raw.api.stage.clone(),
        },
        stage: StageSettings {
            cache_cluster_enabled: stage.cache_cluster_enabled,
            method_settings: stage.method_settings.clone(),
        },
        cache: CacheConfig {
            capacity_bytes,
            entry_overhead_bytes: raw.model.entry_overhead_bytes,
            ttl_mode: raw.model.ttl_mode,
            eviction: raw.model.eviction,
            capacity_unit: if raw.model.capacity_entries.is_some() {
                CapacityUnit::Entries
            } else {
                CapacityUnit::Bytes
            },
        },
        resources: resource_configs,
    };
    // Cache key parameters and path templates, checked by the gateway itself.
    if resource_models.len() == raw.resources.len() {
        if let Err(e) = Gateway::<()>::new(&gateway, &[]) {
            let i = raw
                .resources
                .iter()
                .position(|r| r.path == e.path && Method::parse(&r.method) == Some(e.method))
                .unwrap_or(0);
            p.add(
                at("resources").index(i).key(e.field.name()),
                e.message.clone(),
            );
        }
    }

    // Principals.
    let names: Vec<&String> = raw.principals.keys().collect();
    let mut principals = Vec::new();
    let mut policy_warnings = Vec::new();
    for (name, rp_raw) in &raw.principals {
        let pp = at("principals").key(name);
        let mut policies = PolicySet::new().assuming(raw.model.negated_incomparable);
        for (j, file) in rp_raw.policies.iter().enumerate() {
            let full = dir.join(file);
            match crate::policy::PolicyDocument::load(&full) {
                Ok(doc) => {
                    policy_warnings.extend(
                        doc.unparsable_values(file)
                            .into_iter()
                            .map(|w| format!("principal `{name}`, {w}")),
                    );
                    policies.add(file, &doc);
                }
                Err(e) => p.add(
                    pp.key("policies").index(j),
                    format!("policy does not load: {e}"),
                ),
            }
        }
        let mut context = Context::new();
        for (key, value) in &rp_raw.context {
            let values: Vec<&toml::Value> = match value {
                toml::Value::Array(a) => a.iter().collect(),
                v => vec![v],
            };
            for v in values {
                match v {
                    toml::Value::String(s) => context.insert(key, s.as_str()),
                    toml::Value::Integer(n) => context.insert(key, n.to_string()),
                    toml::Value::Float(x) => context.insert(key, x.to_string()),
                    toml::Value::Boolean(b) => context.insert(key, b.to_string()),
                    other => p.add(
                        pp.key("context").key(key),
                        format!(
                            "expected a string, number or boolean (or an array of them), got {}",
                            other.type_str()
                        ),
                    ),
                }
            }
        }
        principals.push(Principal {
            name: name.clone(),
            policies,
            context,
        });
    }

    // Clients.
    let mut clients = Vec::new();
    for (i, c) in raw.clients.iter().enumerate() {
        if let Some(client) = client(c, &at("clients").index(i), &names, &labels, p) {
            for &(r, _) in &client.mix {
                if raw.resources[r].keys.is_none() {
                    p.add(
                        at("resources").index(r).key("keys"),
                        format!(
                            "required: `clients[{i}]` requests this resource (how many distinct keys it asks for)"
                        ),
                    );
                }
            }
            clients.push(client);
        }
    }

    // Traces.
    let mut traces = Vec::new();
    let trace_context = super::trace::Context {
        dir,
        principals: &names,
        labels: &labels,
        resources: &raw.resources,
        gateway: &gateway,
    };
    for (i, t) in raw.traces.iter().enumerate() {
        if let Some(trace) = trace_context.trace(t, &at("traces").index(i), p) {
            traces.push(trace);
        }
    }
    if raw.clients.is_empty() && raw.traces.is_empty() {
        p.add(
            at("clients"),
            "a scenario needs at least one `[[clients]]` or `[[traces]]`",
        );
    }

    // Events.
    let mut events = Vec::new();
    for (i, e) in raw.events.iter().enumerate() {
        if let Some(ev) = event(e, &at("events").index(i), end, p) {
            events.push(ev);
        }
    }
    events.sort_by_key(|e| e.at);

    if !p.0.is_empty() {
        return None;
    }
    Some(Scenario {
        name: raw.name.clone(),
        description: raw.description.clone(),
        source: path.to_owned(),
        source_sha256: crate::hex::sha256(bytes),
        seed: raw.seed,
        duration: duration?,
        warmup: warmup?,
        window: window?,
        replications,
        gateway,
        cluster_size,
        coalesce_misses: raw.model.coalesce_misses,
        negated_incomparable: raw.model.negated_incomparable,
        gateway_latency: gateway_latency?,
        backend_usd_per_million: raw.cost.backend_usd_per_million_requests,
        resources: resource_models,
        principals,
        clients,
        traces,
        events,
        policy_warnings,
    })
}

fn resource(
    r: &RawResource,
    rp: &FieldPath,
    label: String,
    p: &mut Problems,
) -> Option<(ResourceConfig, ResourceModel)> {
    let before = p.0.len();
    let method = Method::parse(&r.method);
    if method.is_none() {
        p.add(
            rp.key("method"),
            format!(
                "expected GET, HEAD, POST, PUT, PATCH, DELETE or OPTIONS, got \"{}\"",
                r.method
            ),
        );
    }
    if r.keys == Some(0) {
        p.add(rp.key("keys"), "must be >= 1, got 0");
    }
    let popularity = match &r.popularity {
        None => Some(Popularity::Uniform),
        Some(v) => p.check(&rp.key("popularity"), popularity(v)),
    };
    let response_bytes = p.check(&rp.key("response_bytes"), size_dist(&r.response_bytes));
    let backend_latency = p.check(&rp.key("backend_latency"), latency_dist(&r.backend_latency));
    let change_rate = match &r.data_change_rate {
        None => Some(0.0),
        Some(v) => p.check(&rp.key("data_change_rate"), units::rate_per_second(v)),
    };
    // Parameters: path ones from the template, others declared.
    let path_names: Vec<&str> = r
        .path
        .split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|s| s.strip_suffix('+').unwrap_or(s))
        .collect();
    let mut params = Vec::new();
    let mut path_values: BTreeMap<&str, Option<u64>> =
        path_names.iter().map(|n| (*n, None)).collect();
    let mut other_values = Vec::new();
    let mut seen = BTreeSet::new();
    for (j, raw_param) in r.parameters.iter().enumerate() {
        let pp = rp.key("parameters").index(j);
        if let Some((param, values)) = parameter(raw_param, &pp, &path_names, p) {
            if !seen.insert((param.location.key_part(), param.name.clone())) {
                p.add(
                    pp.key("name"),
                    format!("parameter `{}` is declared twice", param.name),
                );
                continue;
            }
            if param.location == Location::Path {
                path_values.insert(
                    path_names
                        .iter()
                        .copied()
                        .find(|n| *n == param.name)
                        .unwrap_or(""),
                    values,
                );
            } else {
                params.push(param);
                other_values.push(values);
            }
        }
    }
    // A query-string or header cache key parameter declares its parameter (AWS requires
    // it in the method's requestParameters; the scenario need not repeat it).
    for key in &r.cache_key_parameters {
        let implicit = [
            ("method.request.querystring.", Location::Query),
            ("method.request.header.", Location::Header),
        ]
        .into_iter()
        .find_map(|(prefix, loc)| key.strip_prefix(prefix).map(|name| (name, loc)));
        if let Some((name, location)) = implicit {
            if !name.is_empty() && seen.insert((location.key_part(), name.to_owned())) {
                params.push(Param {
                    name: name.to_owned(),
                    location,
                    affects_response: true,
                });
                other_values.push(None);
            }
        }
    }
    if p.0.len() > before {
        return None;
    }
    let param_values: Vec<Option<u64>> = path_names
        .iter()
        .map(|n| path_values.get(n).copied().flatten())
        .chain(other_values)
        .collect();
    Some((
        ResourceConfig {
            path: r.path.clone(),
            method: method?,
            params,
            cache_key_parameters: r.cache_key_parameters.clone(),
            cache_namespace: r.cache_namespace.clone(),
        },
        ResourceModel {
            label,
            keys: r.keys.unwrap_or(0),
            popularity: popularity?,
            response_bytes: response_bytes?,
            backend_latency: backend_latency?,
            change_rate: change_rate?,
            param_values,
        },
    ))
}

fn parameter(
    raw: &RawParameter,
    pp: &FieldPath,
    path_names: &[&str],
    p: &mut Problems,
) -> Option<(Param, Option<u64>)> {
    let location = match raw.location.as_str() {
        "path" => Location::Path,
        "query" | "querystring" => Location::Query,
        "header" => Location::Header,
        other => {
            p.add(
                pp.key("in"),
                format!("expected \"path\", \"query\" or \"header\", got \"{other}\""),
            );
            return None;
        }
    };
    if location == Location::Path && !path_names.contains(&raw.name.as_str()) {
        p.add(
            pp.key("name"),
            format!("`{}` is not a `{{parameter}}` of the path", raw.name),
        );
        return None;
    }
    if raw.values == Some(0) {
        p.add(pp.key("values"), "must be >= 1, got 0");
        return None;
    }
    if location == Location::Path && raw.affects_response == Some(false) {
        p.add(
            pp.key("affects_response"),
            "a path parameter always affects the response",
        );
        return None;
    }
    Some((
        Param {
            name: raw.name.clone(),
            location,
            affects_response: raw.affects_response.unwrap_or(true),
        },
        raw.values,
    ))
}

fn client(
    c: &RawClient,
    cp: &FieldPath,
    principals: &[&String],
    labels: &BTreeMap<String, usize>,
    p: &mut Problems,
) -> Option<ClientModel> {
    let before = p.0.len();
    let principal = principals.iter().position(|n| **n == c.principal);
    if principal.is_none() {
        let known: Vec<String> = principals.iter().map(|n| format!("\"{n}\"")).collect();
        p.add(
            cp.key("principal"),
            format!(
                "no principal \"{}\"; declared: {}",
                c.principal,
                if known.is_empty() {
                    "none".into()
                } else {
                    known.join(", ")
                }
            ),
        );
    }
    let rate = p.check(&cp.key("rate"), units::rate_per_second(&c.rate));
    if rate == Some(0.0) {
        p.add(cp.key("rate"), "must be > 0, got 0");
    }
    if let Some(r) = rate.filter(|&r| r > MAX_CLIENT_RATE) {
        p.add(
            cp.key("rate"),
            format!(
                "must be at most {MAX_CLIENT_RATE:e} requests a second (split a larger load \
                 over several clients), got {}",
                units::show(r)
            ),
        );
    }
    if let toml::Value::Integer(n) = c.rate {
        if n < 0 {
            p.0.pop();
            p.add(cp.key("rate"), format!("must be > 0, got {n}"));
        }
    }
    let arrival = match c.arrival.as_deref() {
        None | Some("poisson") => Some(Arrival::Poisson),
        Some("constant") => Some(Arrival::Constant),
        Some(other) => {
            p.add(
                cp.key("arrival"),
                format!("expected \"poisson\" or \"constant\", got \"{other}\""),
            );
            None
        }
    };
    if !(0.0..=1.0).contains(&c.max_age_zero) {
        p.add(
            cp.key("max_age_zero"),
            format!("must be a share within 0..=1, got {}", c.max_age_zero),
        );
    }
    let mut mix = Vec::new();
    let mut total = 0.0;
    for (label, &share) in &c.mix {
        match labels.get(label) {
            Some(&r) => mix.push((r, share)),
            None => {
                let known: Vec<String> = labels.keys().map(|l| format!("\"{l}\"")).collect();
                p.add(
                    cp.key("mix").key(label),
                    format!("no resource \"{label}\"; declared: {}", known.join(", ")),
                );
            }
        }
        if !(share >= 0.0 && share.is_finite()) {
            p.add(
                cp.key("mix").key(label),
                format!("a share must be >= 0, got {share}"),
            );
        }
        total += share;
    }
    if c.mix.is_empty() {
        p.add(
            cp.key("mix"),
            "expected at least one \"METHOD /path\" = share entry",
        );
    } else if (total - 1.0).abs() > 1e-9 {
        p.add(cp.key("mix"), format!("shares must sum to 1, got {total}"));
    }
    let start = match &c.start {
        Some(s) => p
            .check(&cp.key("start"), units::duration(s))
            .map(|d| SimTime::ZERO + d),
        None => Some(SimTime::ZERO),
    };
    let stop = match &c.stop {
        Some(s) => p
            .check(&cp.key("stop"), units::duration(s))
            .map(|d| SimTime::ZERO + d),
        None => Some(SimTime::MAX),
    };
    if let (Some(a), Some(b)) = (start, stop) {
        if a >= b {
            p.add(
                cp.key("stop"),
                format!(
                    "must be after start ({}), got {}",
                    a - SimTime::ZERO,
                    b - SimTime::ZERO
                ),
            );
        }
    }
    if p.0.len() > before {
        return None;
    }
    Some(ClientModel {
        name: c.name.clone(),
        principal: principal?,
        rate: rate?,
        arrival: arrival?,
        max_age_zero: c.max_age_zero,
        mix,
        start: start?,
        stop: stop?,
    })
}

fn event(e: &RawEvent, ep: &FieldPath, end: SimTime, p: &mut Problems) -> Option<StageEvent> {
    let at_time = p
        .check(&ep.key("at"), units::duration(&e.at))
        .map(|d| SimTime::ZERO + d)?;
    if at_time >= end {
        p.add(
            ep.key("at"),
            format!(
                "must be inside the run (before {}), got {}",
                end - SimTime::ZERO,
                e.at
            ),
        );
        return None;
    }
    let action = match e.action.as_str() {
        "flush_stage_cache" => {
            if e.cache_cluster_size.is_some() || e.capacity_bytes.is_some() {
                p.add(ep.key("action"), "`flush_stage_cache` takes no size");
                return None;
            }
            StageAction::Flush
        }
        "set_capacity" => {
            match (&e.cache_cluster_size, e.capacity_bytes) {
                (Some(s), None) => {
                    let size = p.check(
                        &ep.key("cache_cluster_size"),
                        ClusterSize::parse(s).ok_or_else(|| {
                            format!(
                                "unknown size \"{s}\"; expected one of {}",
                                ClusterSize::expected()
                            )
                        }),
                    )?;
                    StageAction::SetCapacity {
                        bytes: size.bytes(),
                        size: Some(size),
                    }
                }
                (None, Some(bytes)) => StageAction::SetCapacity { bytes, size: None },
                _ => {
                    p.add(ep.key("action"), "`set_capacity` takes exactly one of `cache_cluster_size` or `capacity_bytes`");
                    return None;
                }
            }
        }
        other => {
            p.add(
                ep.key("action"),
                format!("expected \"flush_stage_cache\" or \"set_capacity\", got \"{other}\""),
            );
            return None;
        }
    };
    Some(StageEvent {
        at: at_time,
        action,
    })
}
