//! Policy engine tests: examples from the AWS documentation (each with its source,
//! `aws_examples`), load-time errors with their locations (`errors`), and property tests
//! holding the compiled engine to the reference evaluator (`differential`), policies as
//! the AWS CLI prints them (`aws_cli`). Shared
//! helpers live here.

mod assumptions;
mod aws_cli;
mod aws_examples;
mod differential;
mod errors;

use serde_json::json;

use super::*;

pub(super) const INVALIDATE: &str = "execute-api:InvalidateCache";

pub(super) fn doc(v: serde_json::Value) -> PolicyDocument {
    PolicyDocument::parse("test.json", v.to_string().as_bytes()).expect("valid policy")
}

pub(super) fn set(docs: &[PolicyDocument]) -> PolicySet {
    let mut s = PolicySet::new();
    for (i, d) in docs.iter().enumerate() {
        s.add(&format!("p{i}"), d);
    }
    s
}

/// Decides with the compiled engine, the action-narrowed engine, `explain` and the
/// reference evaluator, and asserts that all four agree.
pub(super) fn decide(
    docs: &[PolicyDocument],
    action: &str,
    resource: &str,
    ctx: &Context,
) -> Decision {
    let s = set(docs);
    let compiled = s.decide(action, resource, ctx);
    assert_eq!(
        s.for_action(action).decide(resource, ctx),
        compiled,
        "for_action disagrees"
    );
    assert_eq!(
        s.explain(action, resource, ctx).decision,
        compiled,
        "explain disagrees"
    );
    assert_eq!(
        reference::evaluate(docs, action, resource, ctx),
        compiled,
        "reference disagrees"
    );
    compiled
}

pub(super) fn allow(action: serde_json::Value, resource: serde_json::Value) -> serde_json::Value {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}]})
}

pub(super) const ARN: &str = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod";
