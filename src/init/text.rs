//! The scenario text `cachegate init` writes, section by section, with a comment on every
//! fitted number saying where it came from, and the data files it names.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use super::{InitOptions, observed, relative};
use crate::fit::{ANONYMOUS, DistSummary, Fit, OTHER_CALLERS, ResourceFit, slug};
use crate::import::api::ImportedApi;

/// A TOML string.
pub(super) fn q(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

/// Microseconds as a duration string.
pub(super) fn us(n: u64) -> String {
    if n % 1_000_000 == 0 {
        format!("{}s", n / 1_000_000)
    } else if n % 1_000 == 0 {
        format!("{}ms", n / 1_000)
    } else {
        format!("{n}us")
    }
}

/// The scenario and its data files, before anything is written.
pub(super) struct Plan {
    pub(super) scenario: String,
    pub(super) files: Vec<(std::path::PathBuf, String)>,
    pub(super) notes: Vec<String>,
}

/// A principal's scenario name: the resource part of a caller's ARN
/// (`arn:aws:iam::123456789012:user/ops` -> `user-ops`), as a slug.
fn principal_name(caller: &str) -> String {
    if caller == ANONYMOUS || caller == OTHER_CALLERS {
        return caller.to_owned();
    }
    slug(caller.rsplit(':').next().unwrap_or(caller))
}

impl Plan {
    pub(super) fn new(
        fit: &Fit,
        options: &InitOptions,
        api: Option<&ImportedApi>,
        dir: &Path,
    ) -> anyhow::Result<Plan> {
        let mut notes = Vec::new();
        let mut files = Vec::new();
        let mut o = String::new();
        let name: String = options
            .out
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "fitted".into())
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "-_".contains(c) {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        let logs: Vec<String> = options.fit.logs.iter().map(|l| relative(dir, l)).collect();
        let t = &fit.overall;
        // The logs' span, a tenth of it (at most 5 minutes) to warm the cache up.
        let span_us = (t.span_s * 1e6).ceil().max(1e6) as u64;
        let span_us = span_us.div_ceil(1_000_000) * 1_000_000;
        let warmup_us = (span_us / 10).min(300_000_000) / 1_000_000 * 1_000_000;
        let window_s = fit.window_s.min(span_us / 1_000_000).max(1);
        let _ = writeln!(
            o,
            "# Written by `cachegate init` from {} ({} requests, {} to {}).\n\
             # Two configurations of the same stage: `replay` replays the logs, `fitted` runs\n\
             # synthetic clients fitted from them. Where they agree, the fitted model can be\n\
             # trusted for what the logs cannot show: more traffic (`rate_scale`), another TTL,\n\
             # a larger cache, an attacker. Every fitted number says where it came from.",
            logs.join(", "),
            t.requests,
            t.first,
            t.last
        );
        if let Some(c) = &options.command {
            let _ = writeln!(o, "# Regenerate it with: {c}");
        }
        let _ = writeln!(o, "\nname = {}", q(&name));
        let _ = writeln!(o, "description = {}", q("access logs replayed and fitted"));
        let _ = writeln!(o, "seed = 1");
        let _ = writeln!(
            o,
            "duration = {}          # the logs' span ({:.0} s) after the warm-up",
            q(&us(span_us - warmup_us)),
            t.span_s
        );
        let _ = writeln!(
            o,
            "warmup = {}            # a tenth of the span, at most 5 minutes",
            q(&us(warmup_us))
        );
        let _ = writeln!(o, "window = {}", q(&us(window_s * 1_000_000)));
        let _ = writeln!(o, "replications = 5");
        match observed(fit) {
            Some((h, how)) => {
                let _ = writeln!(o, "# Production's hit rate over the logs: {h:.4} ({how}).");
            }
            None => notes.push(
                "production's hit rate is not known: the logs have no integrationLatency field and no --cloudwatch file was given".into(),
            ),
        }
        // The stage.
        match &options.stage {
            Some(f) => {
                let _ = writeln!(
                    o,
                    "\nstage_file = {}   # the stage as deployed",
                    q(&relative(dir, f))
                );
            }
            None => {
                notes.push("no --stage: the scenario assumes a 0.5 GB cache and API Gateway's default TTL of 300 s on every method; give --stage for yours".into());
            }
        }
        if let Some(f) = &options.api {
            let _ = writeln!(
                o,
                "api_file = {}     # the API's methods as exported",
                q(&relative(dir, f))
            );
        }
        let _ = writeln!(
            o,
            "\n[api]                       # not in the logs: the ARNs policies are evaluated on\nregion = \"us-east-1\"\naccount = \"123456789012\"\napi_id = \"a1b2c3d4e5\"\nstage = \"prod\""
        );
        if options.stage.is_none() {
            let _ = writeln!(
                o,
                "\n[stage]                     # assumed (no --stage): edit to your stage\ncache_cluster_enabled = true\ncache_cluster_size = \"0.5\"\n\n[stage.method_settings.\"*/*\"]\ncaching_enabled = true\ncache_ttl_in_seconds = 300   # API Gateway's default"
            );
        }
        // Resources.
        let mut kept: Vec<&ResourceFit> = Vec::new();
        for r in &fit.resources {
            let (method, template) = r.label.split_once(' ').unwrap_or(("GET", &r.label));
            if let Some(api) = api {
                if api.find(method, template).is_none() {
                    notes.push(format!(
                        "`{}` ({:.1}% of requests) is not in the API definition: left out",
                        r.label,
                        100.0 * r.share
                    ));
                    continue;
                }
            }
            kept.push(r);
            o.push_str(&resource(
                r,
                (method, template),
                api.is_some(),
                (dir, &name),
                &mut files,
            ));
        }
        if kept.is_empty() {
            anyhow::bail!("no resource of the logs is in the API definition: nothing to model");
        }
        // Principals and clients.
        let mut names: BTreeMap<String, String> = BTreeMap::new();
        for p in &fit.principals {
            let mut n = principal_name(&p.name);
            let base = n.clone();
            let mut k = 2;
            while names.values().any(|v| *v == n) {
                n = format!("{base}-{k}");
                k += 1;
            }
            names.insert(p.name.clone(), n);
        }
        for p in &fit.principals {
            let n = &names[&p.name];
            let _ = writeln!(o, "\n[principals.{}]", q(n));
            if p.name == ANONYMOUS {
                let _ = writeln!(o, "public = true               # requests with no caller");
            }
            let policies: Vec<String> = options
                .policies
                .iter()
                .filter(|f| policy_of(f, &p.name, n))
                .map(|f| q(&relative(dir, f)))
                .collect();
            if !policies.is_empty() {
                let _ = writeln!(o, "policies = [{}]", policies.join(", "));
            }
            if p.name != ANONYMOUS && p.name != OTHER_CALLERS {
                let _ = writeln!(o, "# caller {}", p.name);
            }
        }
        for f in &options.policies {
            if !fit
                .principals
                .iter()
                .any(|p| policy_of(f, &p.name, &names[&p.name]))
            {
                notes.push(format!(
                    "{}: no caller in the logs matches its name: not used",
                    f.display()
                ));
            }
        }
        for p in &fit.principals {
            o.push_str(&super::callers::client(
                fit,
                p,
                &names[&p.name],
                &kept,
                (dir, &name),
                &mut files,
            ));
        }
        // The logs, replayed.
        o.push_str(&super::callers::traces(fit, options, &names, &logs));
        // The two configurations.
        let _ = writeln!(
            o,
            "\n# `replay`: the logs alone. `fitted`: the synthetic clients alone.\n[[variants]]\nname = \"replay\"\nbaseline = true\nclients.\"*\".enabled = false\n\n[[variants]]\nname = \"fitted\""
        );
        for (i, _) in logs.iter().enumerate() {
            let _ = writeln!(o, "traces.{}.enabled = false", trace_name(i));
        }
        let _ = writeln!(
            o,
            "\n# The report's \"How well does the model fit?\": `fitted` against `replay`.\n[calibration]\nreplay = \"replay\"\nfitted = \"fitted\""
        );
        if let Some((h, how)) = observed(fit) {
            let _ = writeln!(
                o,
                "observed_hit_rate = {h:.6}   # production's, over the logs\nobserved = {}",
                q(&how)
            );
        }
        Ok(Plan {
            scenario: o,
            files,
            notes,
        })
    }
}

/// Whether the policy `file` is the principal `name`'s (whose caller is `caller`): its
/// name, without extension and case, is the principal's name or the last part of the
/// caller's ARN, alone or followed by `-` or `_` and more (`ops-invalidate` for
/// `.../user/ops`).
fn policy_of(file: &Path, caller: &str, name: &str) -> bool {
    let Some(stem) = file
        .file_stem()
        .map(|s| s.to_string_lossy().to_ascii_lowercase())
    else {
        return false;
    };
    let tail = caller
        .rsplit(['/', ':'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    [name, tail.as_str()]
        .iter()
        .filter(|t| !t.is_empty())
        .any(|t| {
            stem == *t
                || stem
                    .strip_prefix(*t)
                    .is_some_and(|rest| rest.starts_with(['-', '_']))
        })
}

/// A table's header line with the traffic it stands for.
pub(super) fn header(table: &str, share: f64, t: &crate::fit::Traffic) -> String {
    format!(
        "\n{table:<30}# {:.1}% of requests, {:.3}/s mean, busiest second {}\n",
        100.0 * share,
        t.mean_rate,
        t.busiest_second
    )
}

/// When the logs start (their first request, epoch µs): the simulation's time 0.
pub(super) fn logs_start(fit: &Fit) -> Option<u64> {
    fit.logs.iter().filter_map(|l| l.first_us).min()
}

pub(super) fn trace_name(i: usize) -> String {
    if i == 0 {
        "logs".into()
    } else {
        format!("logs-{}", i + 1)
    }
}

/// A `[[resources]]` entry for `r`.
fn resource(
    r: &ResourceFit,
    (method, template): (&str, &str),
    from_api: bool,
    (dir, scenario): (&Path, &str),
    files: &mut Vec<(std::path::PathBuf, String)>,
) -> String {
    let mut o = header("[[resources]]", r.share, &r.traffic);
    let _ = writeln!(o, "method = {}\npath = {}", q(method), q(template));
    if !from_api {
        let params: Vec<String> = template
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|s| q(&format!("method.request.path.{}", s.trim_end_matches('+'))))
            .collect();
        let _ = writeln!(
            o,
            "cache_key_parameters = [{}]   # the path's parameters (query strings are not in access logs)",
            params.join(", ")
        );
    }
    let k = &r.keys;
    let counted = if k.exact {
        "counted exactly"
    } else {
        "estimated (HyperLogLog)"
    };
    match &k.zipf {
        Some(z) if z.fits => {
            match k.universe {
                Some(u) => {
                    let _ = writeln!(
                        o,
                        "keys = {}                  # {} distinct keys in the logs ({counted}): a Zipf law over this many shows that many in {} requests",
                        u.max(1),
                        k.distinct,
                        r.traffic.requests
                    );
                }
                None => {
                    let _ = writeln!(
                        o,
                        "keys = {}                  # distinct keys in the logs, {counted}",
                        k.distinct.max(1)
                    );
                }
            }
            let _ = writeln!(
                o,
                "popularity = {{ zipf = {:.4} }}   # maximum likelihood over ranks 1-{} ({:.1}% of requests), KS distance {:.4}",
                z.exponent.clamp(0.0, 10.0),
                z.ranks,
                100.0 * z.share,
                z.ks
            );
        }
        _ => {
            let file = format!("popularity/{scenario}-{}.csv", slug(&r.label));
            files.push((
                dir.join(&file),
                crate::fit::popularity_csv(&k.all, &format!("`{}`", r.label)),
            ));
            let why = match &k.zipf {
                Some(z) => format!("no Zipf law fits (KS distance {:.3})", z.ks),
                None => "too few repeated keys to fit a Zipf law".into(),
            };
            let _ = writeln!(
                o,
                "popularity = {{ empirical = {} }}   # {why}: each key's requests in the logs ({counted})",
                q(&file)
            );
        }
    }
    let _ = writeln!(
        o,
        "{}",
        dist_field("response_bytes", r.response_bytes.as_ref(), false)
    );
    let _ = writeln!(
        o,
        "{}",
        dist_field("backend_latency", r.backend_latency_ms.as_ref(), true)
    );
    let _ = writeln!(
        o,
        "# data_change_rate: not in the logs; set how often this data changes to measure staleness"
    );
    o
}

/// `response_bytes = ...` or `backend_latency = ...` from a fit.
fn dist_field(field: &str, d: Option<&DistSummary>, latency: bool) -> String {
    let Some(d) = d else {
        return if latency {
            format!("{field} = \"50ms\"   # assumed: the logs have no integrationLatency")
        } else {
            format!("{field} = 1000   # assumed: the logs have no responseLength")
        };
    };
    let sigma = d.sigma.min(5.0);
    let source = format!(
        "lognormal fit of {} {}: observed p50 {:.1}, p99 {:.1} (fitted p99 {:.1})",
        d.count,
        if latency {
            "backend responses' integrationLatency (ms)"
        } else {
            "responseLength values (bytes)"
        },
        d.p50,
        d.p99,
        d.fitted_p99
    );
    if latency {
        let median_us = (d.median * 1_000.0).round().max(1.0) as u64;
        format!(
            "{field} = {{ lognormal = {{ median = {}, sigma = {sigma:.4} }} }}   # {source}",
            q(&us(median_us))
        )
    } else if sigma < 1e-6 {
        format!(
            "{field} = {}   # every response the same size: {source}",
            d.median.round().max(1.0) as u64
        )
    } else {
        format!(
            "{field} = {{ lognormal = {{ median = {}, sigma = {sigma:.4} }} }}   # {source}",
            d.median.round().max(1.0) as u64
        )
    }
}
