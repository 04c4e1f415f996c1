//! The callers' part of the scenario `cachegate init` writes: a `[[clients]]` entry per
//! principal (its rate profile written beside the scenario) and the `[[traces]]`
//! replaying the logs with the callers mapped to those principals.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use super::InitOptions;
use super::text::{header, logs_start, q, trace_name, us};
use crate::fit::{ANONYMOUS, Fit, OTHER_CALLERS, PrincipalFit, ResourceFit};

/// A `[[clients]]` entry for principal `p`, its profile written to `profiles/`.
pub(super) fn client(
    fit: &Fit,
    p: &PrincipalFit,
    name: &str,
    kept: &[&ResourceFit],
    (dir, scenario): (&Path, &str),
    files: &mut Vec<(std::path::PathBuf, String)>,
) -> String {
    let mut o = String::new();
    let mix: Vec<(&str, u64)> = p
        .mix
        .iter()
        .filter(|(l, _)| kept.iter().any(|r| r.label == *l))
        .map(|(l, share)| {
            (
                l.as_str(),
                (share * p.traffic.requests as f64).round() as u64,
            )
        })
        .collect();
    let total: u64 = mix.iter().map(|(_, n)| n).sum();
    if total == 0 {
        return o;
    }
    let file = format!("profiles/{scenario}-{name}.csv");
    let (profile, repeat) = match &p.traffic.daily {
        Some(d) => (d, true),
        None => (&p.traffic.profile, false),
    };
    files.push((
        dir.join(&file),
        crate::fit::profile_csv(profile, &format!("principal `{name}`")),
    ));
    let first_us = logs_start(fit).unwrap_or(profile.origin_us);
    let offset = first_us.saturating_sub(profile.origin_us);
    o.push_str(&header("[[clients]]", p.share, &p.traffic));
    let _ = writeln!(o, "name = {}\nprincipal = {}", q(name), q(name));
    let _ = writeln!(
        o,
        "rate = {{ profile = {}{}, offset = {} }}   # {} per {} s; the run starts at the logs' first request",
        q(&file),
        if repeat { ", repeat = \"24h\"" } else { "" },
        q(&us(offset)),
        if repeat {
            "its average day over the logs"
        } else {
            "its rate over the logs"
        },
        profile.window_s
    );
    let _ = writeln!(
        o,
        "max_age_zero = {}   # {}",
        p.max_age_zero.unwrap_or(0.0),
        if p.max_age_zero.is_some() {
            "share of its requests sending max-age=0 in the logs"
        } else {
            "not in the logs (map cache_control with --field): assumed 0"
        }
    );
    // Shares from counts, the last one what the others leave, so they sum to 1.
    let mut shares: Vec<String> = Vec::new();
    let mut left = 1.0;
    for (i, (label, n)) in mix.iter().enumerate() {
        let share = if i + 1 == mix.len() {
            left
        } else {
            *n as f64 / total as f64
        };
        left -= share;
        shares.push(format!("{} = {}", q(label), share.max(0.0)));
    }
    let _ = writeln!(
        o,
        "mix = {{ {} }}   # its requests per resource in the logs",
        shares.join(", ")
    );
    o
}

/// The `[[traces]]` replaying the logs, each from its first request's time.
pub(super) fn traces(
    fit: &Fit,
    options: &InitOptions,
    names: &BTreeMap<String, String>,
    logs: &[String],
) -> String {
    let mut o = String::new();
    let f = &options.fit.fields;
    let first = logs_start(fit).unwrap_or(0);
    let default = if names.contains_key(OTHER_CALLERS) {
        OTHER_CALLERS
    } else {
        ANONYMOUS
    };
    let default_name = names.get(default).cloned().unwrap_or_else(|| {
        names
            .values()
            .next()
            .cloned()
            .unwrap_or_else(|| ANONYMOUS.to_owned())
    });
    for (i, (log, summary)) in logs.iter().zip(&fit.logs).enumerate() {
        let start = summary.first_us.map_or(0, |s| s.saturating_sub(first));
        let _ = writeln!(
            o,
            "\n[[traces]]                    # {} records, {} bad",
            summary.records, summary.bad
        );
        let _ = writeln!(
            o,
            "name = {}\nfile = {}\nformat = \"access_log\"",
            q(&trace_name(i)),
            q(log)
        );
        if start > 0 {
            let _ = writeln!(
                o,
                "start = {}   # its first request, after the first log's",
                q(&us(start))
            );
        }
        let _ = writeln!(
            o,
            "principal = {}   # callers not listed below",
            q(&default_name)
        );
        let _ = writeln!(o, "max_bad_lines = {}", options.fit.max_bad_lines);
        if let Some(rule) = &f.max_age_zero {
            let _ = writeln!(
                o,
                "max_age_zero = {{ field = {}, contains = {} }}",
                q(&rule.field.join(".")),
                q(rule
                    .contains
                    .as_deref()
                    .or(rule.equals.as_deref())
                    .unwrap_or("max-age=0"))
            );
        }
        let _ = writeln!(o, "[traces.fields]");
        let j = |p: &Vec<String>| q(&p.join("."));
        let _ = writeln!(
            o,
            "time = {}\nmethod = {}\nresource_path = {}\npath = {}",
            j(&f.time),
            j(&f.method),
            j(&f.resource_path),
            j(&f.path)
        );
        if let Some(p) = &f.principal {
            let _ = writeln!(o, "principal = {}", j(p));
        }
        if let Some(p) = &f.response_length {
            let _ = writeln!(o, "response_length = {}", j(p));
        }
        let mapped: Vec<(&String, &String)> = names
            .iter()
            .filter(|(caller, _)| *caller != ANONYMOUS && *caller != OTHER_CALLERS)
            .collect();
        if !mapped.is_empty() {
            let _ = writeln!(o, "[traces.principals]");
            for (caller, n) in mapped {
                let _ = writeln!(o, "{} = {}", q(caller), q(n));
            }
        }
    }
    o
}
