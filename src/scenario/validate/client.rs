//! A scenario's `[[clients]]` (who sends what, how fast, when) and `[[events]]` (stage
//! operations at given times).

use std::collections::BTreeMap;
use std::path::Path;

use super::super::data_file::DataFiles;
use super::super::error::{FieldPath, Problems, at};
use super::super::raw::{RawClient, RawEvent, RawScenario};
use super::super::{Arrival, ClientModel, Rate, StageAction, StageEvent, profile, units};
use crate::cache::ClusterSize;
use crate::time::SimTime;

/// The fastest a single client may send: 10 million requests a second, ten arrivals a
/// microsecond, a rate the simulator's microsecond clock still places exactly.
const MAX_CLIENT_RATE: f64 = 1e7;

/// Where a client's names and files are resolved.
pub(super) struct Context<'a> {
    pub principals: &'a [&'a String],
    pub labels: &'a BTreeMap<String, usize>,
    /// Where relative file names start.
    pub dir: &'a Path,
    pub files: &'a DataFiles,
}

/// Every `[[clients]]` entry; one that has problems is left out. A client's resources
/// need their `keys`.
pub(super) fn clients(
    raw: &RawScenario,
    cx: &Context<'_>,
    problems: &mut Problems,
) -> Vec<ClientModel> {
    let mut clients = Vec::new();
    for (i, c) in raw.clients.iter().enumerate() {
        if let Some(client) = client(c, &at("clients").index(i), cx, problems) {
            for &(r, _) in &client.mix {
                let r_raw = &raw.resources[r];
                if r_raw.keys.is_none() && super::resource::empirical_file(r_raw).is_none() {
                    problems.add(
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
    clients
}

/// Every `[[events]]` entry before `end`, in time order; one that has problems is left
/// out.
pub(super) fn events(
    raw: &RawScenario,
    end: SimTime,
    labels: &BTreeMap<String, usize>,
    problems: &mut Problems,
) -> Vec<StageEvent> {
    let mut events = Vec::new();
    for (i, e) in raw.events.iter().enumerate() {
        if let Some(ev) = event(e, &at("events").index(i), end, labels, problems) {
            events.push(ev);
        }
    }
    events.sort_by_key(|e| e.at);
    events
}

fn client(
    c: &RawClient,
    path: &FieldPath,
    cx: &Context<'_>,
    problems: &mut Problems,
) -> Option<ClientModel> {
    let (principals, labels) = (cx.principals, cx.labels);
    let before = problems.0.len();
    let principal = principals.iter().position(|n| **n == c.principal);
    if principal.is_none() {
        let known: Vec<String> = principals.iter().map(|n| format!("\"{n}\"")).collect();
        problems.add(
            path.key("principal"),
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
    let rate = rate(c, path, cx, problems);
    let arrival = match c.arrival.as_deref() {
        None | Some("poisson") => Some(Arrival::Poisson),
        Some("constant") => Some(Arrival::Constant),
        Some(other) => {
            problems.add(
                path.key("arrival"),
                format!("expected \"poisson\" or \"constant\", got \"{other}\""),
            );
            None
        }
    };
    if !(0.0..=1.0).contains(&c.max_age_zero) {
        problems.add(
            path.key("max_age_zero"),
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
                problems.add(
                    path.key("mix").key(label),
                    format!("no resource \"{label}\"; declared: {}", known.join(", ")),
                );
            }
        }
        if !(share >= 0.0 && share.is_finite()) {
            problems.add(
                path.key("mix").key(label),
                format!("a share must be >= 0, got {share}"),
            );
        }
        total += share;
    }
    if c.mix.is_empty() {
        problems.add(
            path.key("mix"),
            "expected at least one \"METHOD /path\" = share entry",
        );
    } else if (total - 1.0).abs() > 1e-9 {
        problems.add(
            path.key("mix"),
            format!("shares must sum to 1, got {total}"),
        );
    }
    let start = match &c.start {
        Some(s) => problems
            .check(&path.key("start"), units::duration(s))
            .map(|d| SimTime::ZERO + d),
        None => Some(SimTime::ZERO),
    };
    let stop = match &c.stop {
        Some(s) => problems
            .check(&path.key("stop"), units::duration(s))
            .map(|d| SimTime::ZERO + d),
        None => Some(SimTime::MAX),
    };
    if let (Some(a), Some(b)) = (start, stop) {
        if a >= b {
            problems.add(
                path.key("stop"),
                format!(
                    "must be after start ({}), got {}",
                    a - SimTime::ZERO,
                    b - SimTime::ZERO
                ),
            );
        }
    }
    if problems.0.len() > before {
        return None;
    }
    Some(ClientModel {
        name: c.name.clone(),
        principal: principal?,
        rate: rate?,
        rate_scale: c.rate_scale.unwrap_or(1.0),
        enabled: c.enabled.unwrap_or(true),
        arrival: arrival?,
        max_age_zero: c.max_age_zero,
        mix,
        start: start?,
        stop: stop?,
    })
}

/// A client's `rate` (a number, `"N/DURATION"` or a profile) and `rate_scale`, whose
/// product must stay within [`MAX_CLIENT_RATE`] at its peak.
fn rate(
    c: &RawClient,
    path: &FieldPath,
    cx: &Context<'_>,
    problems: &mut Problems,
) -> Option<Rate> {
    let rate = match &c.rate {
        toml::Value::Table(t) => match profile::profile(t, cx.dir, cx.files) {
            Ok(p) => Some(Rate::Profile(p)),
            Err(all) => {
                for e in all {
                    problems.add(path.key("rate"), e);
                }
                None
            }
        },
        toml::Value::Integer(n) if *n <= 0 => {
            problems.add(path.key("rate"), format!("must be > 0, got {n}"));
            None
        }
        v => match problems.check(&path.key("rate"), units::rate_per_second(v)) {
            Some(0.0) => {
                problems.add(path.key("rate"), "must be > 0, got 0");
                None
            }
            r => r.map(Rate::Constant),
        },
    };
    let scale = c.rate_scale.unwrap_or(1.0);
    if !(scale.is_finite() && scale >= 0.0) {
        problems.add(
            path.key("rate_scale"),
            format!("must be a number >= 0, got {}", units::show(scale)),
        );
        return None;
    }
    let rate = rate?;
    let peak = rate.peak() * scale;
    if peak > MAX_CLIENT_RATE {
        let at_peak = match rate {
            Rate::Constant(_) => String::new(),
            Rate::Profile(_) => " at its peak".to_owned(),
        };
        let scaled = if scale == 1.0 {
            String::new()
        } else {
            format!(" (rate_scale {})", units::show(scale))
        };
        problems.add(
            path.key("rate"),
            format!(
                "must be at most {MAX_CLIENT_RATE:e} requests a second (split a larger load \
                 over several clients), got {}{at_peak}{scaled}",
                units::show(peak)
            ),
        );
        return None;
    }
    Some(rate)
}

fn event(
    e: &RawEvent,
    path: &FieldPath,
    end: SimTime,
    labels: &BTreeMap<String, usize>,
    problems: &mut Problems,
) -> Option<StageEvent> {
    let at_time = problems
        .check(&path.key("at"), units::duration(&e.at))
        .map(|d| SimTime::ZERO + d)?;
    if at_time >= end {
        problems.add(
            path.key("at"),
            format!(
                "must be inside the run (before {}), got {}",
                end - SimTime::ZERO,
                e.at
            ),
        );
        return None;
    }
    let outage_fields = [
        ("duration", e.duration.is_some()),
        ("resource", e.resource.is_some()),
    ];
    if e.action != "backend_outage" {
        if let Some((field, _)) = outage_fields.iter().find(|(_, given)| *given) {
            problems.add(
                path.key(field),
                format!("only a `backend_outage` event takes `{field}`"),
            );
            return None;
        }
    }
    let action = match e.action.as_str() {
        "backend_outage" => {
            if e.cache_cluster_size.is_some() || e.capacity_bytes.is_some() {
                problems.add(path.key("action"), "`backend_outage` takes no size");
                return None;
            }
            let Some(duration) = &e.duration else {
                problems.add(
                    path.key("duration"),
                    "required: how long fetches fail, such as \"30s\"",
                );
                return None;
            };
            let duration = problems.check(&path.key("duration"), units::duration(duration))?;
            if duration.is_zero() {
                problems.add(path.key("duration"), "must be > 0");
                return None;
            }
            let resource = match &e.resource {
                None => None,
                Some(label) => match labels.get(label) {
                    Some(&i) => Some(i),
                    None => {
                        let known: Vec<String> =
                            labels.keys().map(|l| format!("\"{l}\"")).collect();
                        problems.add(
                            path.key("resource"),
                            format!("no resource \"{label}\"; declared: {}", known.join(", ")),
                        );
                        return None;
                    }
                },
            };
            StageAction::BackendOutage { duration, resource }
        }
        "flush_stage_cache" => {
            if e.cache_cluster_size.is_some() || e.capacity_bytes.is_some() {
                problems.add(path.key("action"), "`flush_stage_cache` takes no size");
                return None;
            }
            StageAction::Flush
        }
        "set_capacity" => {
            match (&e.cache_cluster_size, e.capacity_bytes) {
                (Some(s), None) => {
                    let size = problems.check(
                        &path.key("cache_cluster_size"),
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
                    problems.add(path.key("action"), "`set_capacity` takes exactly one of `cache_cluster_size` or `capacity_bytes`");
                    return None;
                }
            }
        }
        other => {
            problems.add(
                path.key("action"),
                format!("expected \"flush_stage_cache\", \"set_capacity\" or \"backend_outage\", got \"{other}\""),
            );
            return None;
        }
    };
    Some(StageEvent {
        at: at_time,
        action,
    })
}
