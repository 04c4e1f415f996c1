//! IAM policy evaluation for `execute-api:InvalidateCache` (and any other action).
//!
//! [`PolicyDocument`] mirrors the JSON and reports bad input with file, line, column and
//! element path; [`PolicySet`] compiles documents into matchers that pick the cheapest
//! strategy per pattern and decides requests without allocating; [`PolicySet::explain`]
//! names the deciding statement; `reference` (built for tests and benches only) is a
//! plain evaluator they hold the compiled one against.

mod condition;
mod context;
mod deserialize;
mod document;
mod envelope;
mod error;
mod eval;
pub mod operator;
mod pattern;
#[cfg(any(test, feature = "testing"))]
pub mod reference;

pub use context::{Context, normalize_key};
pub use document::{Condition, Effect, PolicyDocument, Statement, Targets, Version};
pub use error::PolicyError;
pub use eval::{ActionPolicy, Decision, Explanation, PolicySet, StatementRef};

#[cfg(test)]
mod tests;
