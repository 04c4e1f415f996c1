//! A scenario's `[[resources]]`: each method's configuration for the gateway (path
//! template, parameters, cache key parameters) and its model (keys, popularity, sizes,
//! latency, how often its data changes).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::super::data_file::DataFiles;
use super::super::error::{FieldPath, Problems, at};
use super::super::raw::{RawParameter, RawResource, RawScenario};
use super::super::shapes::{latency_dist, popularity, size_dist};
use super::super::{Popularity, ResourceModel, units};
use crate::gateway::{Location, Method, Param, ResourceConfig};

/// The resources, by `METHOD /path` label (their index), as configured and as modelled.
pub(super) struct Resources {
    /// Each label's index.
    pub(super) labels: BTreeMap<String, usize>,
    /// For the gateway.
    pub(super) configs: Vec<ResourceConfig>,
    /// For the workload.
    pub(super) models: Vec<ResourceModel>,
}

/// Every `[[resources]]` entry (popularity files relative to `dir`); one that has
/// problems is left out.
pub(super) fn resources(
    raw: &RawScenario,
    dir: &Path,
    files: &DataFiles,
    problems: &mut Problems,
) -> Resources {
    let mut out = Resources {
        labels: BTreeMap::new(),
        configs: Vec::new(),
        models: Vec::new(),
    };
    for (i, r) in raw.resources.iter().enumerate() {
        let path = at("resources").index(i);
        let label = format!("{} {}", r.method, r.path);
        if out.labels.insert(label.clone(), i).is_some() {
            problems.add(path.clone(), format!("`{label}` is declared twice"));
        }
        if let Some((config, model)) = resource(r, &path, label, (dir, files), problems) {
            out.configs.push(config);
            out.models.push(model);
        }
    }
    if raw.resources.is_empty() {
        problems.add(
            at("resources"),
            "a scenario needs at least one `[[resources]]`",
        );
    }
    out
}

/// The `popularity = { empirical = "..." }` file named, if that is the shape.
pub(super) fn empirical_file(r: &RawResource) -> Option<&str> {
    let t = r.popularity.as_ref()?.as_table()?;
    (t.len() == 1)
        .then(|| t.get("empirical")?.as_str())
        .flatten()
}

fn resource(
    r: &RawResource,
    path: &FieldPath,
    label: String,
    (dir, files): (&Path, &DataFiles),
    problems: &mut Problems,
) -> Option<(ResourceConfig, ResourceModel)> {
    let before = problems.0.len();
    let method = Method::parse(&r.method);
    if method.is_none() {
        problems.add(
            path.key("method"),
            format!(
                "expected GET, HEAD, POST, PUT, PATCH, DELETE or OPTIONS, got \"{}\"",
                r.method
            ),
        );
    }
    if r.keys == Some(0) {
        problems.add(path.key("keys"), "must be >= 1, got 0");
    }
    let popularity = match (&r.popularity, empirical_file(r)) {
        (None, _) => Some(Popularity::Uniform),
        (Some(_), Some(file)) => match files.popularity(&dir.join(file)) {
            Ok(loaded) => Some(Popularity::Empirical {
                weights: loaded.value,
                file: loaded.file,
            }),
            Err(all) => {
                for e in all {
                    problems.add(path.key("popularity"), e);
                }
                None
            }
        },
        (Some(v), None) => problems.check(&path.key("popularity"), popularity(v)),
    };
    let keys = match (&popularity, r.keys) {
        (Some(Popularity::Empirical { weights, file }), Some(k)) if k != weights.len() as u64 => {
            problems.add(
                path.key("keys"),
                format!(
                    "{k} keys, but the popularity file {} has {}: leave `keys` out to take its count",
                    file.path,
                    weights.len()
                ),
            );
            None
        }
        (Some(Popularity::Empirical { weights, .. }), _) => Some(weights.len() as u64),
        (_, k) => Some(k.unwrap_or(0)),
    };
    let response_bytes = problems.check(&path.key("response_bytes"), size_dist(&r.response_bytes));
    let backend_latency = problems.check(
        &path.key("backend_latency"),
        latency_dist(&r.backend_latency),
    );
    let change_rate = match &r.data_change_rate {
        None => Some(0.0),
        Some(v) => problems.check(&path.key("data_change_rate"), units::rate_per_second(v)),
    };
    let integration_timeout = super::backend::integration_timeout(r, path, problems);
    let error_rate = r.backend_error_rate.unwrap_or(0.0);
    if !(0.0..=1.0).contains(&error_rate) {
        problems.add(
            path.key("backend_error_rate"),
            format!(
                "expected a share of fetches within 0..=1, got {}",
                units::show(error_rate)
            ),
        );
    }
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
        let parameter_path = path.key("parameters").index(j);
        if let Some((param, values)) = parameter(raw_param, &parameter_path, &path_names, problems)
        {
            if !seen.insert((param.location.key_part(), param.name.clone())) {
                problems.add(
                    parameter_path.key("name"),
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
    if problems.0.len() > before {
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
            keys: keys?,
            popularity: popularity?,
            response_bytes: response_bytes?,
            backend_latency: backend_latency?,
            change_rate: change_rate?,
            param_values,
            integration_timeout: integration_timeout?,
            error_rate,
            // Set by `backend::backends`.
            backend: 0,
        },
    ))
}

fn parameter(
    raw: &RawParameter,
    path: &FieldPath,
    path_names: &[&str],
    problems: &mut Problems,
) -> Option<(Param, Option<u64>)> {
    let Some(location) = raw.location.as_deref() else {
        problems.add(
            path.key("in"),
            "missing field `in`: expected \"path\", \"query\" or \"header\"",
        );
        return None;
    };
    let location = match location {
        "path" => Location::Path,
        "query" | "querystring" => Location::Query,
        "header" => Location::Header,
        other => {
            problems.add(
                path.key("in"),
                format!("expected \"path\", \"query\" or \"header\", got \"{other}\""),
            );
            return None;
        }
    };
    if location == Location::Path && !path_names.contains(&raw.name.as_str()) {
        problems.add(
            path.key("name"),
            format!("`{}` is not a `{{parameter}}` of the path", raw.name),
        );
        return None;
    }
    if raw.values == Some(0) {
        problems.add(path.key("values"), "must be >= 1, got 0");
        return None;
    }
    if location == Location::Path && raw.affects_response == Some(false) {
        problems.add(
            path.key("affects_response"),
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
