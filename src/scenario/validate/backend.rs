//! What stands behind the resources: each resource's backend (its own, or a shared
//! `[backends.NAME]`) with its concurrency and what it does at its limit, each
//! resource's integration timeout, and the model's error, overload and provisioning
//! settings.

use super::super::error::{FieldPath, Problems, at};
use super::super::raw::{RawResource, RawScenario};
use super::super::{BackendModel, DEFAULT_INTEGRATION_TIMEOUT, Overload, units};
use crate::time::SimDuration;

/// API Gateway's shortest integration timeout.
const MIN_INTEGRATION_TIMEOUT: SimDuration = SimDuration::from_millis(50);

/// The longest integration timeout accepted: past 29 s needs a quota increase, which
/// AWS grants for Regional and private REST APIs; an hour bounds what a run tracks.
const MAX_INTEGRATION_TIMEOUT: SimDuration = SimDuration::from_secs(3_600);

/// A resource's `integration_timeout` (`None` when it does not parse or is out of
/// range).
pub(super) fn integration_timeout(
    r: &RawResource,
    path: &FieldPath,
    problems: &mut Problems,
) -> Option<SimDuration> {
    let Some(text) = &r.integration_timeout else {
        return Some(DEFAULT_INTEGRATION_TIMEOUT);
    };
    let field = path.key("integration_timeout");
    let t = problems.check(&field, units::duration(text))?;
    if !(MIN_INTEGRATION_TIMEOUT..=MAX_INTEGRATION_TIMEOUT).contains(&t) {
        problems.add(
            field,
            format!(
                "expected 50ms to 1h (API Gateway's range is 50ms to 29s, more with a quota increase), got \"{text}\""
            ),
        );
        return None;
    }
    Some(t)
}

/// `"queue"` or `"reject"` at `field` (`queue` when absent).
fn overload(text: Option<&str>, field: FieldPath, problems: &mut Problems) -> Overload {
    match text {
        None | Some("queue") => Overload::Queue,
        Some("reject") => Overload::Reject,
        Some(other) => {
            problems.add(
                field,
                format!("expected \"queue\" or \"reject\", got \"{other}\""),
            );
            Overload::Queue
        }
    }
}

/// A concurrency limit at `field`: at least one fetch.
fn concurrency(n: Option<u64>, field: FieldPath, problems: &mut Problems) -> Option<u64> {
    if n == Some(0) {
        problems.add(field, "must be >= 1 (fetches served at once), got 0");
    }
    n
}

/// The backends: every `[backends.NAME]`, in name order, then one of its own for each
/// resource that names none; and per resource (in file order), its backend's index.
pub(super) fn backends(
    raw: &RawScenario,
    problems: &mut Problems,
) -> (Vec<BackendModel>, Vec<usize>) {
    let mut backends: Vec<BackendModel> = raw
        .backends
        .iter()
        .map(|(name, b)| {
            let path = at("backends").key(name);
            BackendModel {
                name: name.clone(),
                concurrency: concurrency(b.concurrency, path.key("concurrency"), problems),
                overload: overload(b.overload.as_deref(), path.key("overload"), problems),
            }
        })
        .collect();
    let mut of_resource = Vec::with_capacity(raw.resources.len());
    for (i, r) in raw.resources.iter().enumerate() {
        let path = at("resources").index(i);
        let own = |field: &str| match field {
            "backend_concurrency" => r.backend_concurrency.is_some(),
            _ => r.backend_overload.is_some(),
        };
        match &r.backend {
            Some(name) => {
                for field in ["backend_concurrency", "backend_overload"] {
                    if own(field) {
                        problems.add(
                            path.key(field),
                            format!("the resource's backend is `{name}`: set `{}` in `[backends.{name}]`", field.trim_start_matches("backend_")),
                        );
                    }
                }
                match raw.backends.keys().position(|n| n == name) {
                    Some(index) => of_resource.push(index),
                    None => {
                        let known: Vec<String> =
                            raw.backends.keys().map(|n| format!("\"{n}\"")).collect();
                        problems.add(
                            path.key("backend"),
                            format!(
                                "no `[backends.{name}]`; declared: {}",
                                if known.is_empty() {
                                    "none".to_owned()
                                } else {
                                    known.join(", ")
                                }
                            ),
                        );
                        of_resource.push(0);
                    }
                }
            }
            None => {
                of_resource.push(backends.len());
                backends.push(BackendModel {
                    name: format!("{} {}", r.method, r.path),
                    concurrency: concurrency(
                        r.backend_concurrency,
                        path.key("backend_concurrency"),
                        problems,
                    ),
                    overload: overload(
                        r.backend_overload.as_deref(),
                        path.key("backend_overload"),
                        problems,
                    ),
                });
            }
        }
    }
    (backends, of_resource)
}

/// The model's error and provisioning settings: whether errors are cached, how long
/// the cache takes to create, the status of an overloaded backend's refusal.
pub(super) struct ErrorModel {
    pub(super) cache_error_responses: bool,
    pub(super) cache_provisioning: Option<SimDuration>,
    pub(super) overload_status: u16,
}

pub(super) fn error_model(raw: &RawScenario, problems: &mut Problems) -> ErrorModel {
    let model = at("model");
    let cache_provisioning = match &raw.model.cache_provisioning {
        None => Some(DEFAULT_CACHE_PROVISIONING),
        Some(text) => problems.check(&model.key("cache_provisioning"), units::duration(text)),
    };
    let overload_status = raw.model.backend_overload_status.unwrap_or(500);
    if !(500..=599).contains(&overload_status) {
        problems.add(
            model.key("backend_overload_status"),
            format!("expected a 5xx status such as 500, 502 or 504, got {overload_status}"),
        );
    }
    ErrorModel {
        cache_error_responses: raw.model.cache_error_responses.unwrap_or(true),
        cache_provisioning,
        overload_status,
    }
}

/// How long API Gateway takes to create or resize a cache: "up to 4 minutes" (the
/// developer guide's caching page).
pub const DEFAULT_CACHE_PROVISIONING: SimDuration = SimDuration::from_secs(240);
