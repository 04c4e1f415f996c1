//! cachegate: decide how an Amazon API Gateway (REST) stage cache should be configured
//! before it goes live.
//!
//! The pipeline: scenario files ([`scenario`]) and IAM policy documents ([`policy`]) are
//! parsed once into validated, compiled types; the discrete-event simulator ([`sim`])
//! drives synthetic clients through the per-request [`gateway`] decision (method
//! settings, cache key, `max-age=0`, IAM `execute-api:InvalidateCache`, the
//! unauthorized-handling strategy) against the stage [`cache`]; [`metrics`] stream into
//! the [`report`] files; [`run`] ties them together for `cachegate run`, and [`cli`] is
//! the command line. [`import`] reads the deployed stage (get-stage JSON, CloudFormation)
//! into scenario form. Simulated [`time`] is integer microseconds.

pub mod audit;
pub mod cache;
mod checksum;
pub mod cli;
pub mod diagnostic;
pub mod fit;
#[cfg(test)]
mod fuzz;
pub mod gateway;
mod huge_pages;
pub mod import;
pub mod init;
pub mod metrics;
pub mod policy;
mod prefetch;
pub mod report;
pub mod run;
pub mod scenario;
pub mod sim;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod time;
pub mod trace;
