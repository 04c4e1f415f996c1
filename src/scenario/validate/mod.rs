//! From a raw configuration to a [`Scenario`]: interpret fields, cross-check
//! references (principals, mix entries, method-setting keys, cache key parameters),
//! load policies, and collect every problem with its field path rather than stopping
//! at the first. One function a section of the file: its identity and timing here, the
//! stage ([`stage`]), resources ([`resource`]), principals ([`principal`]), clients and
//! events ([`client`]), traces ([`trace`]).

mod backend;
mod client;
mod principal;
mod resource;
mod stage;
mod trace;

use std::path::Path;

use super::data_file::{DataFiles, InputFile};
use super::error::{Problems, at};
use super::raw::RawScenario;
use super::{Popularity, Rate, Scenario, units};
use crate::time::{SimDuration, SimTime};

/// The scenario for `raw` (read from `path`, whose bytes are `bytes`; relative files
/// are under `dir`, data files read through `files`), or `None` with every problem
/// found added to `problems`.
pub(super) fn build(
    raw: &RawScenario,
    (path, bytes, dir): (&Path, &[u8], &Path),
    files: &DataFiles,
    problems: &mut Problems,
) -> Option<Scenario> {
    name(raw, problems);
    let timing = timing(raw, problems);
    identity(raw, problems);
    let cache = stage::cache(raw, problems);
    let resource::Resources {
        labels,
        configs,
        mut models,
    } = resource::resources(raw, dir, files, problems);
    let (backends, backend_of) = backend::backends(raw, problems);
    if models.len() == backend_of.len() {
        for (m, b) in models.iter_mut().zip(backend_of) {
            m.backend = b;
        }
    }
    let error_model = backend::error_model(raw, problems);
    stage::method_settings(raw, &cache.stage, problems);
    let gateway = stage::gateway(raw, &cache, configs, problems);
    let names: Vec<&String> = raw.principals.keys().collect();
    let (principals, policy_warnings) = principal::principals(raw, dir, problems);
    let clients = client::clients(
        raw,
        &client::Context {
            principals: &names,
            labels: &labels,
            dir,
            files,
        },
        problems,
    );
    let trace_context = trace::Context {
        dir,
        principals: &names,
        labels: &labels,
        resources: &raw.resources,
        gateway: &gateway,
    };
    let traces: Vec<_> = raw
        .traces
        .iter()
        .enumerate()
        .filter_map(|(i, t)| trace_context.trace(t, &at("traces").index(i), problems))
        .collect();
    if raw.clients.is_empty() && raw.traces.is_empty() {
        problems.add(
            at("clients"),
            "a scenario needs at least one `[[clients]]` or `[[traces]]`",
        );
    }
    let events = client::events(raw, timing.end, &labels, problems);
    if !problems.0.is_empty() {
        return None;
    }
    let mut inputs: Vec<InputFile> = clients
        .iter()
        .filter_map(|c| match &c.rate {
            Rate::Profile(p) => p.file.clone(),
            Rate::Constant(_) => None,
        })
        .chain(models.iter().filter_map(|m| match &m.popularity {
            Popularity::Empirical { file, .. } => Some(file.clone()),
            _ => None,
        }))
        .chain(
            raw.principals
                .values()
                .flat_map(|p| &p.policies)
                .filter_map(|f| files.hash(&dir.join(f))),
        )
        .collect();
    inputs.sort();
    inputs.dedup();
    Some(Scenario {
        name: raw.name.clone(),
        description: raw.description.clone(),
        source: path.to_owned(),
        source_sha256: crate::checksum::sha256(bytes),
        seed: raw.seed,
        duration: timing.duration?,
        warmup: timing.warmup?,
        window: timing.window?,
        replications: timing.replications,
        gateway,
        cluster_size: cache.cluster_size,
        coalesce_misses: raw.model.coalesce_misses,
        negated_incomparable: raw.model.negated_incomparable,
        gateway_latency: cache.gateway_latency?,
        cache_error_responses: error_model.cache_error_responses,
        cache_provisioning: error_model.cache_provisioning?,
        overload_status: error_model.overload_status,
        backends,
        backend_usd_per_million: raw.cost.backend_usd_per_million_requests,
        resources: models,
        public_principals: raw
            .principals
            .values()
            .map(|p| p.public.unwrap_or(false))
            .collect(),
        principals,
        clients,
        traces,
        events,
        policy_warnings,
        inputs,
    })
}

/// The scenario's name names its report folder.
fn name(raw: &RawScenario, problems: &mut Problems) {
    if raw.name.is_empty()
        || !raw
            .name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        || raw.name.starts_with('.')
    {
        problems.add(
            at("name"),
            format!(
                "expected letters, digits, `-`, `_` or `.` (it names the report folder), got \"{}\"",
                raw.name
            ),
        );
    }
}

/// How long a run is measured, after how long a warm-up, in windows of what length, how
/// many times (each `None` when it does not parse).
struct Timing {
    duration: Option<SimDuration>,
    warmup: Option<SimDuration>,
    window: Option<SimDuration>,
    replications: u32,
    /// When the run ends (warm-up and measured time, as far as they parse).
    end: SimTime,
}

fn timing(raw: &RawScenario, problems: &mut Problems) -> Timing {
    let duration = problems.check(&at("duration"), units::duration(&raw.duration));
    if duration.is_some_and(SimDuration::is_zero) {
        problems.add(at("duration"), "must be > 0");
    }
    let warmup = match &raw.warmup {
        Some(w) => problems.check(&at("warmup"), units::duration(w)),
        None => Some(SimDuration::ZERO),
    };
    let window = problems.check(
        &at("window"),
        units::duration(raw.window.as_deref().unwrap_or("10s")),
    );
    if window.is_some_and(SimDuration::is_zero) {
        problems.add(at("window"), "must be > 0");
    }
    if let (Some(d), Some(w)) = (duration, window) {
        if let Some(problem) = super::limits::window_problem(d, w) {
            problems.add(at("window"), problem);
        }
    }
    let replications = raw.replications.unwrap_or(1);
    if replications == 0 {
        problems.add(at("replications"), "must be >= 1, got 0");
    }
    if let Some(problem) = super::limits::replications_problem(replications) {
        problems.add(at("replications"), problem);
    }
    Timing {
        duration,
        warmup,
        window,
        replications,
        end: SimTime::ZERO + warmup.unwrap_or_default() + duration.unwrap_or_default(),
    }
}

/// The API's identity (it makes the ARNs IAM sees) and the backend's price.
fn identity(raw: &RawScenario, problems: &mut Problems) {
    for (field, value) in [("api_id", &raw.api.api_id), ("stage", &raw.api.stage)] {
        if value.is_empty() || value.contains(['/', ':']) {
            problems.add(
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
            problems.add(
                at("api").key(field),
                format!("expected {expected}, got \"{value}\""),
            );
        }
    }
    if let Some(usd) = raw.cost.backend_usd_per_million_requests {
        if !(usd >= 0.0 && usd.is_finite()) {
            problems.add(
                at("cost").key("backend_usd_per_million_requests"),
                format!("expected a price in USD >= 0, got {}", units::show(usd)),
            );
        }
    }
}

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
