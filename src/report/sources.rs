//! `clients.csv`: what each source of requests (a client population, or a replayed
//! trace) got, so a report says who bears the 403s, the 429s and the 5xx: whether
//! throttling stops the scraper or everyone, and whose availability an outage takes.

use serde::Serialize;

use super::rows::round6;
use crate::scenario::Scenario;
use crate::sim::RunOutput;

/// One row of `clients.csv`: one source's responses in one run.
// NOTE: each column is defined in the README's "Report files" section.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct ClientRow {
    pub variant: String,
    pub replication: u32,
    pub seed: u64,
    /// The client's or the trace's name.
    pub client: String,
    /// `client` or `trace`.
    pub kind: String,
    /// The client's principal (empty for a trace: its records may name several).
    pub principal: String,
    pub requests: u64,
    pub successful_2xx: u64,
    pub forbidden_403: u64,
    pub throttled_429: u64,
    pub errors_5xx: u64,
    pub availability: f64,
}

/// The rows of one run: its clients, then its traces, in the scenario's order.
pub fn client_rows(scenario: &Scenario, variant: &str, run: &RunOutput) -> Vec<ClientRow> {
    let clients = scenario.clients.iter().map(|c| {
        let principal = scenario
            .principals
            .get(c.principal)
            .map_or_else(String::new, |p| p.name.clone());
        (c.name.as_str(), "client", principal)
    });
    let traces = scenario
        .traces
        .iter()
        .map(|t| (t.name.as_str(), "trace", String::new()));
    clients
        .chain(traces)
        .zip(&run.recorder.sources)
        .map(|((name, kind, principal), s)| ClientRow {
            variant: variant.to_owned(),
            replication: run.replication,
            seed: run.seed,
            client: name.to_owned(),
            kind: kind.to_owned(),
            principal,
            requests: s.requests,
            successful_2xx: s.successful(),
            forbidden_403: s.forbidden_403,
            throttled_429: s.throttled_429,
            errors_5xx: s.errors_5xx,
            availability: round6(s.availability()),
        })
        .collect()
}
