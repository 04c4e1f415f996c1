//! cachegate: decide how an Amazon API Gateway (REST) stage cache should be configured
//! before it goes live.
//!
//! The pipeline: scenario files and IAM policy documents are parsed once into validated,
//! compiled types; a deterministic discrete-event simulator drives synthetic clients
//! through the per-request gateway decision (method settings, cache key, `max-age=0`,
//! IAM `execute-api:InvalidateCache`, the unauthorized-handling strategy) against the stage
//! cache; metrics stream into summaries written as CSV, plots and a report.
//!
//! Modules: [`policy`] (IAM evaluation), [`cli`] (the `cachegate` command line).

pub mod cache;
pub mod cli;
pub mod gateway;
pub mod metrics;
pub mod policy;
pub mod report;
pub mod run;
pub mod scenario;
pub mod sim;
pub mod time;
