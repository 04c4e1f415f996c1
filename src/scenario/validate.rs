//! From the raw file to a [`Scenario`]: interpret multi-shape fields, cross-check
//! references (principals, mix entries, method-setting keys, cache key parameters),
//! load policies, and collect every problem with its field path rather than stopping
//! at the first.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use sha2::{Digest, Sha256};

use super::error::{FieldPath, Problem, ScenarioError, Seg, at};
use super::raw::{RawClient, RawEvent, RawParameter, RawResource, RawScenario};
use super::study::{Axis, Check, Configuration, Study, merge, set_path};
use super::{
    Arrival, ClientModel, LatencyDist, Popularity, ResourceModel, Scenario, SizeDist, StageAction,
    StageEvent, locate, units,
};
use crate::cache::{CacheConfig, ClusterSize};
use crate::gateway::{
    ApiIdentity, Gateway, GatewayConfig, Location, Method, Param, Principal, ResourceConfig,
    STAGE_WIDE, StageSettings, method_setting_key,
};
use crate::policy::{Context, PolicySet};
use crate::time::{SimDuration, SimTime};

/// Problems found so far, by field path.
#[derive(Default)]
struct Problems(Vec<(FieldPath, String)>);

impl Problems {
    fn add(&mut self, path: FieldPath, message: impl Into<String>) {
        self.0.push((path, message.into()));
    }

    /// The value, or records the problem and gives `None`.
    fn check<T>(&mut self, path: &FieldPath, r: Result<T, String>) -> Option<T> {
        r.map_err(|m| self.add(path.clone(), m)).ok()
    }
}

pub(super) fn study(path: &Path, bytes: &[u8]) -> Result<Study, ScenarioError> {
    let file = path.display().to_string();
    let invalid = |problems| ScenarioError::Invalid {
        file: file.clone(),
        problems,
    };
    let src = std::str::from_utf8(bytes).map_err(|e| {
        let (line, column) = locate::line_col(
            &String::from_utf8_lossy(&bytes[..e.valid_up_to()]),
            e.valid_up_to(),
        );
        invalid(vec![Problem {
            line,
            column,
            path: FieldPath::default(),
            message: "the file is not UTF-8 text".into(),
        }])
    })?;
    let raw = parse(src).map_err(|p| invalid(vec![p]))?;
    let mut problems = Problems::default();
    let dir = path.parent().unwrap_or(Path::new("."));
    let checks: Vec<Check> = raw
        .checks
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            problems.check(
                &at("checks").index(i),
                Check::parse(c, crate::report::METRICS),
            )
        })
        .collect();
    let mut configurations = Vec::new();
    let mut baseline = None;
    let mut axes = Vec::new();
    for (key, values) in &raw.sweep {
        if let Some(axis) = problems.check(&at("sweep").key(key), Axis::parse(key, values)) {
            axes.push((key.clone(), axis));
        }
    }
    // The parse above succeeded, so the text is a TOML table.
    let mut base: toml::Table = toml::from_str(src).unwrap_or_default();
    for k in ["variants", "checks", "sweep"] {
        base.remove(k);
    }
    // No variants: the file itself is the one variant, `base`.
    let implicit = [toml::Table::from_iter([(
        "name".to_owned(),
        toml::Value::String("base".into()),
    )])];
    let variants: &[toml::Table] = if raw.variants.is_empty() {
        &implicit
    } else {
        &raw.variants
    };
    let mut names: Vec<String> = Vec::new();
    for (i, variant) in variants.iter().enumerate() {
        let vp = at("variants").index(i);
        let name = match variant.get("name").and_then(toml::Value::as_str) {
            Some(n)
                if !n.is_empty()
                    && n.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) =>
            {
                n.to_owned()
            }
            _ => {
                problems.add(
                    vp.key("name"),
                    "every variant needs a `name` of letters, digits, `-`, `_` or `.`",
                );
                continue;
            }
        };
        if names.contains(&name) {
            problems.add(
                vp.key("name"),
                format!("variant `{name}` is declared twice"),
            );
        }
        names.push(name.clone());
        match variant.get("baseline") {
            None | Some(toml::Value::Boolean(false)) => {}
            Some(toml::Value::Boolean(true)) if baseline.is_some() => {
                problems.add(vp.key("baseline"), "only one variant can be the baseline")
            }
            Some(toml::Value::Boolean(true)) => baseline = Some(configurations.len()),
            Some(_) => problems.add(vp.key("baseline"), "expected true or false"),
        }
        let mut overlay = variant.clone();
        overlay.remove("name");
        overlay.remove("baseline");
        let mut merged = base.clone();
        merge(&mut merged, &overlay);
        // Every combination of the sweep's values, first axis slowest.
        let combinations: usize = axes.iter().map(|(_, a)| a.values.len()).product();
        for combo in 0..combinations {
            let mut config = merged.clone();
            let mut labels = Vec::new();
            let mut rest = combo;
            let mut picks = vec![0; axes.len()];
            for (j, (_, axis)) in axes.iter().enumerate().rev() {
                picks[j] = rest % axis.values.len();
                rest /= axis.values.len();
            }
            for ((key, axis), &pick) in axes.iter().zip(&picks) {
                let value = axis.values[pick].clone();
                let shown = value
                    .as_str()
                    .map_or_else(|| value.to_string(), str::to_owned);
                labels.push(format!("{}={shown}", axis.label));
                if let Err(e) = set_path(&mut config, &axis.path, value) {
                    problems.add(at("sweep").key(key), e);
                }
            }
            let config_name = match (labels.is_empty(), raw.variants.is_empty()) {
                (true, _) => name.clone(),
                (false, true) => labels.join(","),
                (false, false) => format!("{name}/{}", labels.join(",")),
            };
            let mut config_problems = Problems::default();
            let scenario = match serde_path_to_error::deserialize::<_, RawScenario>(
                toml::Value::Table(config),
            ) {
                Ok(raw_c) => build(&raw_c, path, bytes, dir, &mut config_problems),
                Err(e) => {
                    config_problems
                        .add(serde_path(e.path()), e.inner().message().trim().to_owned());
                    None
                }
            };
            for (p, message) in config_problems.0 {
                // Point at the sweep axis, the variant's own field, or the file's field.
                let swept = axes.iter().find(|(_, a)| {
                    p.0.len() >= a.path.len()
                        && p.0
                            .iter()
                            .zip(&a.path)
                            .all(|(s, k)| matches!(s, Seg::Key(x) if x == k))
                });
                let mut in_variant = vp.clone();
                in_variant.0.extend(p.0.iter().cloned());
                let (at_path, message) = if let Some((key, _)) = swept {
                    (
                        at("sweep").key(key),
                        format!("configuration `{config_name}`: {p}: {message}"),
                    )
                } else if !raw.variants.is_empty() && locate::locate_exact(src, &in_variant) {
                    (in_variant, format!("variant `{name}`: {message}"))
                } else {
                    (p, message)
                };
                if !problems
                    .0
                    .iter()
                    .any(|(q, m)| *q == at_path && *m == message)
                {
                    problems.add(at_path, message);
                }
            }
            if let Some(s) = scenario {
                configurations.push(Configuration {
                    name: config_name,
                    scenario: s,
                });
            }
        }
    }
    if problems.0.is_empty() && !configurations.is_empty() {
        return Ok(Study {
            configurations,
            baseline: baseline.unwrap_or(0),
            checks,
        });
    }
    let mut located: Vec<Problem> = problems
        .0
        .into_iter()
        .map(|(path, message)| {
            let (line, column) = locate::locate(src, &path).unwrap_or((0, 0));
            Problem {
                line,
                column,
                path,
                message,
            }
        })
        .collect();
    located.sort_by_key(|p| (p.line, p.column));
    Err(invalid(located))
}

fn serde_path(path: &serde_path_to_error::Path) -> FieldPath {
    let mut out = FieldPath::default();
    for seg in path.iter() {
        match seg {
            serde_path_to_error::Segment::Seq { index } => out.0.push(Seg::Index(*index)),
            serde_path_to_error::Segment::Map { key } => out.0.push(Seg::Key(key.clone())),
            serde_path_to_error::Segment::Enum { variant } => out.0.push(Seg::Key(variant.clone())),
            serde_path_to_error::Segment::Unknown => {}
        }
    }
    out
}

/// TOML syntax and shape errors: one problem, located by the parser's span.
fn parse(src: &str) -> Result<RawScenario, Problem> {
    let de = toml::de::Deserializer::parse(src)
        .map_err(|e| toml_problem(src, &e, FieldPath::default()))?;
    serde_path_to_error::deserialize(de)
        .map_err(|err| toml_problem(src, err.inner(), serde_path(err.path())))
}

fn toml_problem(src: &str, e: &toml::de::Error, path: FieldPath) -> Problem {
    let (line, column) = match e.span() {
        Some(span) => locate::line_col(src, span.start),
        None => locate::locate(src, &path).unwrap_or((0, 0)),
    };
    Problem {
        line,
        column,
        path,
        message: e.message().trim().to_owned(),
    }
}

fn build(
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
    let replications = raw.replications.unwrap_or(1);
    if replications == 0 {
        p.add(at("replications"), "must be >= 1, got 0");
    }
    let end = SimTime::ZERO + warmup.unwrap_or_default() + duration.unwrap_or_default();

    for (field, value) in [
        ("region", &raw.api.region),
        ("account", &raw.api.account),
        ("api_id", &raw.api.api_id),
        ("stage", &raw.api.stage),
    ] {
        if value.is_empty() || value.contains(['/', ':']) {
            p.add(
                at("api").key(field),
                format!("expected a non-empty name without `/` or `:`, got \"{value}\""),
            );
        }
    }

    // The cache.
    let stage_path = at("stage");
    let cluster_size = match &raw.stage.cache_cluster_size {
        Some(s) => p.check(
            &stage_path.key("cache_cluster_size"),
            ClusterSize::parse(s).ok_or_else(|| {
                format!(
                    "unknown size \"{s}\"; expected one of {}",
                    ClusterSize::expected()
                )
            }),
        ),
        None if raw.stage.cache_cluster_enabled => {
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
    let capacity_bytes = raw
        .model
        .capacity_bytes
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
    for (key, setting) in &raw.stage.method_settings {
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
            cache_cluster_enabled: raw.stage.cache_cluster_enabled,
            method_settings: raw.stage.method_settings.clone(),
        },
        cache: CacheConfig {
            capacity_bytes,
            entry_overhead_bytes: raw.model.entry_overhead_bytes,
            ttl_mode: raw.model.ttl_mode,
            eviction: raw.model.eviction,
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
            let field = if e.message.contains("cache key parameter") {
                "cache_key_parameters"
            } else {
                "path"
            };
            p.add(at("resources").index(i).key(field), e.message.clone());
        }
    }

    // Principals.
    let names: Vec<&String> = raw.principals.keys().collect();
    let mut principals = Vec::new();
    for (name, rp_raw) in &raw.principals {
        let pp = at("principals").key(name);
        let mut policies = PolicySet::new();
        for (j, file) in rp_raw.policies.iter().enumerate() {
            let full = dir.join(file);
            match crate::policy::PolicyDocument::load(&full) {
                Ok(doc) => policies.add(file, &doc),
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
            clients.push(client);
        }
    }
    if raw.clients.is_empty() {
        p.add(at("clients"), "a scenario needs at least one `[[clients]]`");
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
        source_sha256: Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
        seed: raw.seed,
        duration: duration?,
        warmup: warmup?,
        window: window?,
        replications,
        gateway,
        cluster_size,
        coalesce_misses: raw.model.coalesce_misses,
        gateway_latency: gateway_latency?,
        backend_usd_per_million: raw.cost.backend_usd_per_million_requests,
        resources: resource_models,
        principals,
        clients,
        events,
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
    if r.keys == 0 {
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
            keys: r.keys,
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

fn number(v: &toml::Value) -> Option<f64> {
    match v {
        toml::Value::Integer(n) => Some(*n as f64),
        toml::Value::Float(x) => Some(*x),
        _ => None,
    }
}

/// The single `{ name = value }` entry of an inline table.
fn single<'a>(v: &'a toml::Value, names: &[&str]) -> Option<(&'a str, &'a toml::Value)> {
    let t = v.as_table()?;
    if t.len() != 1 {
        return None;
    }
    let (k, v) = t.iter().next()?;
    names.contains(&k.as_str()).then_some((k.as_str(), v))
}

fn popularity(v: &toml::Value) -> Result<Popularity, String> {
    const EXPECTED: &str = "expected \"uniform\" or { zipf = S } with S >= 0";
    if v.as_str() == Some("uniform") {
        return Ok(Popularity::Uniform);
    }
    match single(v, &["zipf"]).and_then(|(_, s)| number(s)) {
        Some(s) if s >= 0.0 && s.is_finite() => Ok(Popularity::Zipf(s)),
        Some(s) => Err(format!("{EXPECTED}, got zipf = {s}")),
        None => Err(format!("{EXPECTED}, got {v}")),
    }
}

fn lognormal_fields(v: &toml::Value) -> Result<(&toml::Value, f64), String> {
    let t = v
        .as_table()
        .ok_or("expected { median = ..., sigma = ... }")?;
    for k in t.keys() {
        if k != "median" && k != "sigma" {
            return Err(format!(
                "unknown field `{k}` in lognormal; expected `median` and `sigma`"
            ));
        }
    }
    let median = t.get("median").ok_or("lognormal needs `median`")?;
    let sigma = t
        .get("sigma")
        .and_then(number)
        .ok_or("lognormal needs a numeric `sigma`")?;
    if !(sigma >= 0.0 && sigma.is_finite()) {
        return Err(format!("lognormal sigma must be >= 0, got {sigma}"));
    }
    Ok((median, sigma))
}

fn size_dist(v: &toml::Value) -> Result<SizeDist, String> {
    const EXPECTED: &str = "expected a byte count or { lognormal = { median = BYTES, sigma = S } }";
    if let toml::Value::Integer(n) = v {
        return u64::try_from(*n)
            .map(SizeDist::Fixed)
            .map_err(|_| format!("must be >= 0, got {n}"));
    }
    let (_, ln) = single(v, &["lognormal"]).ok_or_else(|| format!("{EXPECTED}, got {v}"))?;
    let (median, sigma) = lognormal_fields(ln)?;
    match number(median) {
        Some(m) if m > 0.0 && m.is_finite() => Ok(SizeDist::LogNormal { median: m, sigma }),
        _ => Err(format!(
            "lognormal median must be a byte count > 0, got {median}"
        )),
    }
}

fn latency_dist(v: &toml::Value) -> Result<LatencyDist, String> {
    const EXPECTED: &str =
        "expected a duration such as \"80ms\" or { lognormal = { median = \"80ms\", sigma = S } }";
    if let Some(s) = v.as_str() {
        return units::duration(s).map(LatencyDist::Fixed);
    }
    let (_, ln) = single(v, &["lognormal"]).ok_or_else(|| format!("{EXPECTED}, got {v}"))?;
    let (median, sigma) = lognormal_fields(ln)?;
    let median = units::duration(
        median
            .as_str()
            .ok_or("lognormal median must be a duration string such as \"80ms\"")?,
    )?;
    if median.is_zero() {
        return Err("lognormal median must be > 0".into());
    }
    Ok(LatencyDist::LogNormal { median, sigma })
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
