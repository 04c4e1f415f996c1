//! What AWS leaves undocumented, as explicit assumptions: a condition value that does not
//! parse for its operator is kept and matches nothing (IAM stores such a policy), and a
//! negated operator on a value that cannot be compared holds or fails as
//! `NegatedIncomparable` says, with `explain` naming every decision that rests on it.

use super::*;
use crate::policy::operator::NegatedIncomparable;

const R: &str = "arn:aws:execute-api:us-east-1:123456789012:a/prod/GET/pets/7";
const A: &str = "execute-api:InvalidateCache";

/// An Allow of `A` on everything under one condition `operator`: `{key: value}`.
fn allow_if(operator: &str, key: &str, value: &str) -> PolicyDocument {
    let text = format!(
        r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Action": "{A}", "Resource": "*", "Condition": {{"{operator}": {{"{key}": "{value}"}}}}}}]}}"#
    );
    PolicyDocument::parse("p.json", text.as_bytes()).unwrap_or_else(|e| panic!("{e}"))
}

fn set(doc: &PolicyDocument, assume: NegatedIncomparable) -> PolicySet {
    let mut set = PolicySet::new().assuming(assume);
    set.add("p.json", doc);
    set
}

#[test]
fn values_that_do_not_parse_load_and_match_nothing() {
    for (operator, value, context) in [
        ("NumericEquals", "abc", "5"),
        ("DateGreaterThan", "not-a-date", "2026-01-01T00:00:00Z"),
        ("IpAddress", "300.1.2.3/99", "203.0.113.9"),
        ("Bool", "${aws:username}", "true"),
    ] {
        let doc = allow_if(operator, "k", value);
        let warnings = doc.unparsable_values("p.json");
        assert_eq!(warnings.len(), 1, "{operator}");
        assert_eq!(
            warnings[0].path,
            format!("Statement[0].Condition.{operator}.k")
        );
        assert!(
            warnings[0].to_string().starts_with(&format!(
                "p.json: Statement[0].Condition.{operator}.k: `{value}` does not parse"
            )),
            "{}",
            warnings[0]
        );
        let ctx = Context::new().with("k", context);
        for assume in [NegatedIncomparable::Holds, NegatedIncomparable::Fails] {
            let e = set(&doc, assume).explain(A, R, &ctx);
            assert_eq!(e.decision, Decision::ImplicitDeny, "{operator}");
            assert!(
                e.assumptions.is_empty(),
                "a positive operator assumes nothing"
            );
        }
    }
}

/// Each negated operator on a value it cannot compare: allowed under `holds`, not under
/// `fails`, and the explanation says so either way; a comparable value decides alike
/// under both.
#[test]
fn negated_operators_on_incomparable_values_follow_the_assumption_and_say_so() {
    let cases = [
        (
            "StringNotEquals",
            "${aws:username}",
            "ops",
            "the policy variable `${aws:username}` has no value",
        ),
        (
            "StringNotLike",
            "team-${aws:username}-*",
            "ops",
            "the policy variable `${aws:username}` has no value",
        ),
        (
            "NumericNotEquals",
            "5",
            "abc",
            "the context value `abc` is not a number",
        ),
        (
            "NumericNotEquals",
            "abc",
            "5",
            "the policy value `abc` does not parse",
        ),
        (
            "DateNotEquals",
            "2026-01-01",
            "yesterday",
            "the context value `yesterday` is not a date",
        ),
        (
            "NotIpAddress",
            "203.0.113.0/24",
            "nope",
            "the context value `nope` is not an IP address",
        ),
        (
            "ArnNotLike",
            "arn:aws:iam::123456789012:user/*",
            "bob",
            "the context value `bob` is not an ARN",
        ),
    ];
    for (operator, value, context, why) in cases {
        let doc = allow_if(operator, "k", value);
        let ctx = Context::new().with("k", context);
        let holds = set(&doc, NegatedIncomparable::Holds).explain(A, R, &ctx);
        let fails = set(&doc, NegatedIncomparable::Fails).explain(A, R, &ctx);
        assert_eq!(
            holds.decision,
            Decision::Allow,
            "{operator} {value} on {context}"
        );
        assert_eq!(
            fails.decision,
            Decision::ImplicitDeny,
            "{operator} {value} on {context}"
        );
        for (e, word) in [(&holds, "hold"), (&fails, "fail")] {
            assert_eq!(e.assumptions.len(), 1, "{operator}: {:?}", e.assumptions);
            let note = &e.assumptions[0];
            assert!(
                note.contains(why) && note.contains(&format!("taken to {word}")),
                "{note}"
            );
        }
        // The compiled decision agrees with the explanation.
        let decide = set(&doc, NegatedIncomparable::Fails).decide(A, R, &ctx);
        assert_eq!(decide, fails.decision);
    }
    // Comparable values, and an absent key (documented: a negated operator holds), rest
    // on nothing.
    for (operator, value, context) in [
        ("NumericNotEquals", "5", "6"),
        ("NotIpAddress", "203.0.113.0/24", "198.51.100.1"),
        ("StringNotEquals", "${aws:username}", "ops"),
    ] {
        let doc = allow_if(operator, "k", value);
        let mut ctx = Context::new().with("k", context);
        if value.contains("username") {
            ctx = ctx.with("aws:username", "dev");
        }
        for assume in [NegatedIncomparable::Holds, NegatedIncomparable::Fails] {
            let e = set(&doc, assume).explain(A, R, &ctx);
            assert_eq!(e.decision, Decision::Allow, "{operator}");
            assert!(e.assumptions.is_empty(), "{:?}", e.assumptions);
            let absent = set(&doc, assume).explain(A, R, &Context::new().with("aws:username", "x"));
            assert_eq!(absent.decision, Decision::Allow, "absent key: {operator}");
            assert!(absent.assumptions.is_empty());
        }
    }
}

/// A Deny whose negated condition cannot be compared: under `fails` it does not apply,
/// so an Allow decides, and the explanation says that Allow rests on the assumption.
#[test]
fn an_allow_that_rests_on_a_deny_not_applying_is_flagged() {
    let text = format!(
        r#"{{"Version": "2012-10-17", "Statement": [
  {{"Effect": "Allow", "Action": "{A}", "Resource": "*"}},
  {{"Effect": "Deny", "Action": "{A}", "Resource": "*", "Condition": {{"StringNotEquals": {{"aws:PrincipalTag/team": "${{aws:username}}"}}}}}}
]}}"#
    );
    let doc = PolicyDocument::parse("p.json", text.as_bytes()).unwrap();
    let ctx = Context::new().with("aws:PrincipalTag/team", "ops");
    let e = set(&doc, NegatedIncomparable::Fails).explain(A, R, &ctx);
    assert_eq!(e.decision, Decision::Allow);
    assert_eq!(e.assumptions.len(), 1);
    assert!(e.assumptions[0].starts_with("p.json Statement[1]: StringNotEquals"));
    let e = set(&doc, NegatedIncomparable::Holds).explain(A, R, &ctx);
    assert_eq!(e.decision, Decision::ExplicitDeny);
}
