//! Property tests: the compiled engine, its action-narrowed form and `explain` agree with
//! the reference evaluator on random policies, actions, resources and contexts; and no
//! input, however malformed, makes parsing panic.

use proptest::prelude::*;
use serde_json::json;

use super::*;

const ACTIONS: &[&str] = &[
    "execute-api:InvalidateCache",
    "execute-api:Invoke",
    "execute-api:*",
    "*",
    "EXECUTE-API:invalidate*",
    "execute-api:Inv?lidateCache",
    "s3:*",
    "execute-api:*Cache",
];
const KEYS: &[&str] = &["k1", "K2", "aws:username"];
const VALUES: &[&str] = &[
    "a",
    "b",
    "ab",
    "A",
    "1",
    "5",
    "2.5",
    "true",
    "FALSE",
    "203.0.113.9",
    "arn:aws:x:r:1:a/b",
    "2020-01-01",
    "*",
];

fn piece() -> impl Strategy<Value = &'static str> {
    prop::sample::select(
        &[
            "a",
            "b",
            "/",
            ":",
            "*",
            "?",
            "é",
            "${aws:username}",
            "${*}",
            "${k1, 'a'}",
            "${",
        ][..],
    )
}

fn pattern() -> impl Strategy<Value = String> {
    prop::collection::vec(piece(), 0..6).prop_map(|p| p.concat())
}

fn resource_pattern() -> impl Strategy<Value = String> {
    prop_oneof![1 => Just("*".to_owned()), 6 => pattern().prop_map(|p| format!("arn:aws:execute-api:r:1:{p}"))]
}

fn condition() -> impl Strategy<Value = serde_json::Value> {
    let op = prop::sample::select(
        &[
            "StringEquals",
            "StringNotEquals",
            "StringLike",
            "StringNotLikeIfExists",
            "StringEqualsIgnoreCase",
            "ForAnyValue:StringLike",
            "ForAllValues:StringEquals",
            "ForAllValues:StringNotEquals",
            "ArnLike",
            "NumericLessThan",
            "NumericGreaterThanEquals",
            "NumericNotEquals",
            "Bool",
            "BoolIfExists",
            "IpAddress",
            "NotIpAddress",
            "DateLessThan",
            "Null",
            "BinaryEquals",
        ][..],
    );
    (
        op,
        prop::sample::select(KEYS),
        prop::collection::vec(pattern(), 1..3),
    )
        .prop_map(|(op, key, pats)| {
            let values: Vec<String> = match op {
                o if o.starts_with("Numeric") => {
                    pats.iter().map(|p| (p.len() % 7).to_string()).collect()
                }
                o if o.starts_with("Bool") || o == "Null" => pats
                    .iter()
                    .map(|p| (p.len() % 2 == 0).to_string())
                    .collect(),
                "IpAddress" | "NotIpAddress" => pats
                    .iter()
                    .map(|p| format!("203.0.113.{}/{}", p.len(), 24 + p.len() % 9))
                    .collect(),
                "DateLessThan" => pats
                    .iter()
                    .map(|p| format!("20{:02}-01-01", 10 + p.len()))
                    .collect(),
                "ArnLike" => pats.iter().map(|p| format!("arn:aws:x:r:{p}")).collect(),
                _ => pats,
            };
            json!({ op: { key: values } })
        })
}

fn statement() -> impl Strategy<Value = serde_json::Value> {
    (
        any::<bool>(),
        any::<bool>(),
        prop::collection::vec(prop::sample::select(ACTIONS), 1..3),
        any::<bool>(),
        prop::collection::vec(resource_pattern(), 1..3),
        prop::option::of(prop::collection::vec(condition(), 1..3)),
    )
        .prop_map(
            |(deny, not_action, actions, not_resource, resources, conditions)| {
                let mut s = serde_json::Map::new();
                s.insert("Effect".into(), json!(if deny { "Deny" } else { "Allow" }));
                s.insert(
                    if not_action { "NotAction" } else { "Action" }.into(),
                    json!(actions),
                );
                s.insert(
                    if not_resource {
                        "NotResource"
                    } else {
                        "Resource"
                    }
                    .into(),
                    json!(resources),
                );
                if let Some(cs) = conditions {
                    let mut block = serde_json::Map::new();
                    for c in cs {
                        if let serde_json::Value::Object(o) = c {
                            block.extend(o);
                        }
                    }
                    s.insert("Condition".into(), serde_json::Value::Object(block));
                }
                serde_json::Value::Object(s)
            },
        )
}

fn policy() -> impl Strategy<Value = PolicyDocument> {
    (any::<bool>(), prop::collection::vec(statement(), 1..4)).prop_map(|(v2012, statements)| {
        let mut d = json!({ "Statement": statements });
        if v2012 {
            d["Version"] = json!("2012-10-17");
        }
        doc(d)
    })
}

fn context() -> impl Strategy<Value = Context> {
    prop::collection::vec(
        (prop::sample::select(KEYS), prop::sample::select(VALUES)),
        0..4,
    )
    .prop_map(|pairs| {
        let mut ctx = Context::new();
        for (k, v) in pairs {
            ctx.insert(k, v);
        }
        ctx
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn compiled_engine_agrees_with_reference(
        policies in prop::collection::vec(policy(), 1..3),
        action in prop::sample::select(&["execute-api:InvalidateCache", "execute-api:invalidatecache", "execute-api:Invoke", "s3:GetObject"][..]),
        resource in pattern().prop_map(|p| format!("arn:aws:execute-api:r:1:{p}")),
        ctx in context(),
    ) {
        // `decide` asserts that compiled, narrowed, explained and reference agree.
        decide(&policies, action, &resource, &ctx);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = PolicyDocument::parse("fuzz.json", &bytes);
    }

    #[test]
    fn json_like_text_never_panics(text in r#"[\[\]{}":, 0-9a-zA-Z*?$\-]{0,200}"#) {
        let _ = PolicyDocument::parse("fuzz.json", text.as_bytes());
    }

    #[test]
    fn mutated_valid_policies_never_panic(p in policy(), at in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let _ = p;
        let mut text = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "execute-api:*",
            "Resource": "*", "Condition": {"StringLike": {"k": ["a*"]}, "NumericLessThan": {"n": 3}}}]}).to_string().into_bytes();
        let i = at.index(text.len());
        text[i] = byte;
        let _ = PolicyDocument::parse("fuzz.json", &text);
    }
}

/// The differential test is only as good as its inputs: check that the generated cases
/// reach every decision often, so agreement is not agreement on "implicit deny".
#[test]
fn generated_cases_cover_every_decision() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let case = (
        prop::collection::vec(policy(), 1..3),
        pattern().prop_map(|p| format!("arn:aws:execute-api:r:1:{p}")),
        context(),
    );
    let mut counts = [0usize; 3];
    let n = 3000;
    for _ in 0..n {
        let (policies, resource, ctx) = case.new_tree(&mut runner).unwrap().current();
        let d = set(&policies).decide(INVALIDATE, &resource, &ctx);
        counts[d as usize] += 1;
    }
    for (i, c) in counts.iter().enumerate() {
        assert!(
            *c > n / 20,
            "decision {i} reached only {c} of {n} times: {counts:?}"
        );
    }
}
