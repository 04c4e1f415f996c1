//! `cachegate audit SCENARIO --simulate`: what a finding costs, measured. For each
//! configuration and each rule whose cost the simulator can show, two runs of that
//! configuration with the same seed (paired, so the difference is the change's and not
//! the random draws'): as configured, and with the finding's fix applied. A rule about
//! clients that force fetches adds to both a scraper: an unauthorized caller at a tenth
//! of the configuration's measured request rate, sending `max-age=0` on every request to
//! the methods the findings name.
//!
//! | rule | the fix simulated | measured |
//! |---|---|---|
//! | `require-authorization-off` | require authorization (the evidence's entry) | backend requests/s, hit rate |
//! | `silent-unauthorized-strategy` | `SUCCEED_WITH_RESPONSE_HEADER` | silently ignored refreshes/s |
//! | `ttl-zero` | a TTL of 300 s (API Gateway's default) | backend requests/s, hit rate |
//! | `read-parameter-not-in-cache-key` | every parameter read added to the key | wrong responses, backend requests/s |

use serde::Serialize;

use super::Finding;
use super::evidence::Site;
use crate::gateway::{MethodSetting, Principal, UnauthorizedStrategy};
use crate::metrics::Counts;
use crate::scenario::{Arrival, ClientModel, Rate, Scenario, ScenarioError, Seg, Study};
use crate::time::SimTime;

/// A scraper's rate, as a share of the configuration's measured request rate.
const SCRAPER_SHARE: f64 = 0.1;

/// The TTL the `ttl-zero` fix sets: API Gateway's default.
const DEFAULT_TTL_SECONDS: u32 = 300;

/// What simulating a finding showed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Measurement {
    /// What was run.
    pub experiment: String,
    /// Each figure as configured (`before`) and with the fix (`after`).
    pub metrics: Vec<Metric>,
}

impl Measurement {
    /// The figures, `name before -> after` each.
    pub fn summary(&self) -> String {
        let shown = |v: f64, share: bool| {
            if share {
                format!("{:.2}%", 100.0 * v)
            } else if v.fract() == 0.0 {
                format!("{v:.0}")
            } else {
                format!("{v:.1}")
            }
        };
        self.metrics
            .iter()
            .map(|m| {
                format!(
                    "{} {} as configured -> {} with the fix",
                    m.name,
                    shown(m.before, m.share),
                    shown(m.after, m.share)
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// One figure, before and after the fix.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metric {
    /// Its name, e.g. `backend requests/s`.
    pub name: &'static str,
    /// As configured.
    pub before: f64,
    /// With the fix.
    pub after: f64,
    /// Whether it is a share (printed as a percentage).
    #[serde(skip)]
    pub share: bool,
}

/// Why findings could not be simulated.
#[derive(Debug, thiserror::Error)]
pub enum SimulateError {
    /// The scenario.
    #[error("{0}")]
    Scenario(#[from] ScenarioError),
    /// A run.
    #[error("{0}")]
    Run(#[from] crate::sim::SimError),
}

/// Measures what the findings of the scenario at `path` (from
/// [`super::audit_scenario`]) cost, where a rule's cost can be measured; `progress` is
/// told each experiment as it starts.
pub fn simulate(
    path: &std::path::Path,
    findings: &mut [Finding],
    progress: &mut dyn FnMut(&str),
) -> Result<(), SimulateError> {
    let study = Study::load(path)?;
    let mut groups: Vec<(Option<String>, &'static str)> = Vec::new();
    for f in findings.iter() {
        let key = (f.configuration.clone(), f.rule);
        if measurable(f.rule) && !groups.contains(&key) {
            groups.push(key);
        }
    }
    for (configuration, rule) in groups {
        let Some(c) = study
            .configurations
            .iter()
            .find(|c| configuration.as_ref().is_none_or(|n| *n == c.name))
        else {
            continue;
        };
        let group: Vec<&Finding> = findings
            .iter()
            .filter(|f| f.rule == rule && f.configuration == configuration)
            .collect();
        progress(&format!(
            "{rule}{}",
            configuration
                .as_ref()
                .map(|n| format!(" [{n}]"))
                .unwrap_or_default()
        ));
        let measured = experiment(&c.scenario, rule, &group)?;
        for f in findings
            .iter_mut()
            .filter(|f| f.rule == rule && f.configuration == configuration)
        {
            f.measured = measured.clone();
        }
    }
    Ok(())
}

fn measurable(rule: &str) -> bool {
    matches!(
        rule,
        "require-authorization-off"
            | "silent-unauthorized-strategy"
            | "ttl-zero"
            | "read-parameter-not-in-cache-key"
    )
}

/// The counts of one replication (the scenario's first) and the measured seconds.
fn counts(s: &Scenario) -> Result<(Counts, f64), crate::sim::SimError> {
    let out = crate::sim::run(s, 0, &mut |_| {})?;
    Ok((out.recorder.counts, s.duration.as_secs_f64()))
}

fn experiment(
    base: &Scenario,
    rule: &str,
    group: &[&Finding],
) -> Result<Option<Measurement>, crate::sim::SimError> {
    let mut resources: Vec<usize> = group.iter().filter_map(|f| f.resource).collect();
    resources.sort_unstable();
    resources.dedup();
    let sites: Vec<&Site> = group.iter().map(|f| &f.site).collect();
    let labels: Vec<String> = resources
        .iter()
        .filter_map(|&i| base.gateway.resources.get(i))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    let seconds = base.duration.as_secs_f64();
    let plain = format!(
        "one replication of {} s measured (seed {}), as configured and with the fix",
        seconds, base.seed
    );
    let (before, after, experiment) = match rule {
        "require-authorization-off" | "silent-unauthorized-strategy" => {
            let (counts, secs) = counts(base)?;
            if counts.requests == 0 {
                return Ok(None);
            }
            let rate = SCRAPER_SHARE * counts.requests as f64 / secs;
            let scraped = with_scraper(base, &resources, rate);
            let mut fixed = scraped.clone();
            for site in &sites {
                set(&mut fixed, site, |m, field| match field {
                    "require_authorization_for_cache_control" => {
                        m.require_authorization_for_cache_control = Some(true);
                    }
                    _ => {
                        m.unauthorized_cache_control_header_strategy =
                            Some(UnauthorizedStrategy::SucceedWithResponseHeader);
                    }
                });
            }
            let experiment = format!(
                "a scraper (no permission to invalidate) at a tenth of the traffic ({rate:.1} requests/s) sending `max-age=0` to {}; {plain}; without the scraper the backend takes {:.1} requests/s",
                labels.join(", "),
                counts.backend_requests as f64 / secs
            );
            (counts_of(&scraped)?, counts_of(&fixed)?, experiment)
        }
        "ttl-zero" => {
            let mut fixed = base.clone();
            for site in &sites {
                set(&mut fixed, site, |m, _| {
                    m.cache_ttl_in_seconds = Some(DEFAULT_TTL_SECONDS);
                });
            }
            let experiment = format!("the TTL set to {DEFAULT_TTL_SECONDS} s; {plain}");
            (counts_of(base)?, counts_of(&fixed)?, experiment)
        }
        "read-parameter-not-in-cache-key" => {
            let mut fixed = base.clone();
            for &i in &resources {
                if let Some(r) = fixed.gateway.resources.get_mut(i) {
                    let missing = super::rules::unkeyed(r);
                    r.cache_key_parameters.extend(missing);
                }
            }
            let experiment = format!(
                "every parameter the integration reads added to the cache key of {}; {plain}",
                labels.join(", ")
            );
            (counts_of(base)?, counts_of(&fixed)?, experiment)
        }
        _ => return Ok(None),
    };
    let per_second = |n: u64| n as f64 / seconds;
    let share = |n: u64, of: u64| if of == 0 { 0.0 } else { n as f64 / of as f64 };
    let both = |name: &'static str, f: &dyn Fn(&Counts) -> f64, share: bool| Metric {
        name,
        before: f(&before),
        after: f(&after),
        share,
    };
    let hit_rate = |c: &Counts| share(c.cache_hits, c.requests);
    let backend = |c: &Counts| per_second(c.backend_requests);
    let metrics = match rule {
        "require-authorization-off" | "ttl-zero" => vec![
            both("backend requests/s", &backend, false),
            both("hit rate", &hit_rate, true),
        ],
        "silent-unauthorized-strategy" => vec![
            both(
                "refreshes ignored without a sign/s",
                &|c: &Counts| per_second(c.invalidations_ignored.saturating_sub(c.warning_headers)),
                false,
            ),
            both(
                "responses with a warning header/s",
                &|c: &Counts| per_second(c.warning_headers),
                false,
            ),
        ],
        _ => vec![
            both(
                "wrong responses",
                &|c: &Counts| c.wrong_key_responses as f64,
                false,
            ),
            both(
                "share of responses wrong",
                &|c: &Counts| share(c.wrong_key_responses, c.requests),
                true,
            ),
            both("backend requests/s", &backend, false),
        ],
    };
    Ok(Some(Measurement {
        experiment,
        metrics,
    }))
}

fn counts_of(s: &Scenario) -> Result<Counts, crate::sim::SimError> {
    counts(s).map(|(c, _)| c)
}

/// `base` with a scraper: a principal that may invalidate nothing, sending `max-age=0`
/// on every request at `rate`, spread evenly over `resources`.
fn with_scraper(base: &Scenario, resources: &[usize], rate: f64) -> Scenario {
    let mut s = base.clone();
    let mut name = "audit-scraper".to_owned();
    while s.principals.iter().any(|p| p.name == name) || s.clients.iter().any(|c| c.name == name) {
        name.push('_');
    }
    s.principals.push(Principal {
        name: name.clone(),
        policies: crate::policy::PolicySet::new(),
        context: crate::policy::Context::new(),
    });
    s.public_principals.push(true);
    let share = 1.0 / resources.len().max(1) as f64;
    s.clients.push(ClientModel {
        name,
        principal: s.principals.len() - 1,
        rate: Rate::Constant(rate),
        rate_scale: 1.0,
        enabled: true,
        arrival: Arrival::Poisson,
        max_age_zero: 1.0,
        mix: resources.iter().map(|&i| (i, share)).collect(),
        start: SimTime::ZERO,
        stop: SimTime::MAX,
    });
    s
}

/// Applies `change` to the method-settings entry a stage site names (created when the
/// stage has none), with the field's name.
fn set(s: &mut Scenario, site: &Site, change: impl Fn(&mut MethodSetting, &str)) {
    if let Site::Stage(path) = site {
        if let [Seg::Key(m), Seg::Key(key), Seg::Key(field)] = path.as_slice() {
            if m == "method_settings" {
                let entry = s
                    .gateway
                    .stage
                    .method_settings
                    .entry(key.clone())
                    .or_default();
                change(entry, field);
            }
        }
    }
}
