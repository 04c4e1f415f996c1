//! Policy engine tests: examples from the AWS documentation (each with its source),
//! load-time errors with their locations, and property tests holding the compiled engine
//! to the reference evaluator.

use proptest::prelude::*;
use serde_json::json;

use super::*;

const INVALIDATE: &str = "execute-api:InvalidateCache";

fn doc(v: serde_json::Value) -> PolicyDocument {
    PolicyDocument::parse("test.json", v.to_string().as_bytes()).expect("valid policy")
}

fn set(docs: &[PolicyDocument]) -> PolicySet {
    let mut s = PolicySet::new();
    for (i, d) in docs.iter().enumerate() {
        s.add(&format!("p{i}"), d);
    }
    s
}

/// Decides with the compiled engine, the action-narrowed engine, `explain` and the
/// reference evaluator, and asserts that all four agree.
fn decide(docs: &[PolicyDocument], action: &str, resource: &str, ctx: &Context) -> Decision {
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

fn allow(action: serde_json::Value, resource: serde_json::Value) -> serde_json::Value {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}]})
}

const ARN: &str = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod";

#[test]
fn seed_policy_from_the_developer_guide_loads_verbatim() {
    // API Gateway developer guide, "Enable API caching", per-key invalidation sample.
    let text = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["execute-api:InvalidateCache"],"Resource":["arn:aws:execute-api:region:account-id:api-id/stage-name/GET/resource-path-specifier"]}]}"#;
    let d = PolicyDocument::parse("seed.json", text.as_bytes()).unwrap();
    assert_eq!(d.version, Version::V2012_10_17);
    let ctx = Context::new();
    let arn = "arn:aws:execute-api:region:account-id:api-id/stage-name/GET/resource-path-specifier";
    assert_eq!(
        decide(std::slice::from_ref(&d), INVALIDATE, arn, &ctx),
        Decision::Allow
    );
    assert_eq!(
        decide(
            std::slice::from_ref(&d),
            INVALIDATE,
            &format!("{arn}x"),
            &ctx
        ),
        Decision::ImplicitDeny
    );
    assert_eq!(
        decide(&[d], "execute-api:Invoke", arn, &ctx),
        Decision::ImplicitDeny
    );
}

#[test]
fn execute_api_resource_examples() {
    // API Gateway developer guide, "Control access for invoking an API" (resource format
    // and examples): `arn:aws:execute-api:*:*:*` is equivalent to `*`; `.../test/*/mydemoresource/*`
    // covers any verb under the path; concrete path values appear in the ARN.
    let ctx = Context::new();
    let any = doc(allow(json!(INVALIDATE), json!("arn:aws:execute-api:*:*:*")));
    assert_eq!(
        decide(
            std::slice::from_ref(&any),
            INVALIDATE,
            &format!("{ARN}/GET/pets/7"),
            &ctx
        ),
        Decision::Allow
    );
    assert_eq!(
        decide(
            &[any],
            INVALIDATE,
            "arn:aws:execute-api:eu-west-1:1:x/s/GET/",
            &ctx
        ),
        Decision::Allow
    );
    let verbs = doc(allow(
        json!("execute-api:*"),
        json!("arn:aws:execute-api:us-east-1:*:a123456789/test/*/mydemoresource/*"),
    ));
    let base = "arn:aws:execute-api:us-east-1:111122223333:a123456789/test";
    assert_eq!(
        decide(
            std::slice::from_ref(&verbs),
            INVALIDATE,
            &format!("{base}/POST/mydemoresource/x/y"),
            &ctx
        ),
        Decision::Allow
    );
    assert_eq!(
        decide(
            std::slice::from_ref(&verbs),
            INVALIDATE,
            &format!("{base}/GET/other/x"),
            &ctx
        ),
        Decision::ImplicitDeny
    );
    assert_eq!(
        decide(
            &[verbs],
            INVALIDATE,
            &format!("{base}/GET/mydemoresource"),
            &ctx
        ),
        Decision::ImplicitDeny
    );
    let concrete = doc(allow(
        json!(INVALIDATE),
        json!("arn:aws:execute-api:us-east-1:*:a1b2c3d4e5/*/GET/pets/a1b2"),
    ));
    assert_eq!(
        decide(
            std::slice::from_ref(&concrete),
            INVALIDATE,
            &format!("{ARN}/GET/pets/a1b2"),
            &ctx
        ),
        Decision::Allow
    );
    assert_eq!(
        decide(
            &[concrete],
            INVALIDATE,
            &format!("{ARN}/GET/pets/{{petId}}"),
            &ctx
        ),
        Decision::ImplicitDeny
    );
}

#[test]
fn actions_match_case_insensitively_with_wildcards() {
    // IAM user guide, "IAM JSON policy elements: Action": `iam:ListAccessKeys` and
    // `IAM:listaccesskeys` are the same; `*` and `?` may appear anywhere in the name.
    let ctx = Context::new();
    let r = format!("{ARN}/GET/pets");
    for pattern in [
        "execute-api:*",
        "execute-api:Invalidate*",
        "*",
        "EXECUTE-API:invalidatecache",
        "execute-api:In?alidateCache",
    ] {
        let d = doc(allow(json!(pattern), json!("*")));
        assert_eq!(
            decide(&[d], INVALIDATE, &r, &ctx),
            Decision::Allow,
            "{pattern}"
        );
    }
    let d = doc(allow(
        json!(["execute-api:Invoke", "execute-api:ManageConnections"]),
        json!("*"),
    ));
    assert_eq!(decide(&[d], INVALIDATE, &r, &ctx), Decision::ImplicitDeny);
}

#[test]
fn resources_match_case_sensitively() {
    let ctx = Context::new();
    let d = doc(allow(json!(INVALIDATE), json!(format!("{ARN}/GET/Pets/*"))));
    assert_eq!(
        decide(
            std::slice::from_ref(&d),
            INVALIDATE,
            &format!("{ARN}/GET/Pets/1"),
            &ctx
        ),
        Decision::Allow
    );
    assert_eq!(
        decide(&[d], INVALIDATE, &format!("{ARN}/GET/pets/1"), &ctx),
        Decision::ImplicitDeny
    );
}

#[test]
fn explicit_deny_beats_allow_whatever_the_order() {
    // IAM user guide, "Policy evaluation logic": an explicit deny in any policy overrides
    // any allow; statement and policy order do not matter.
    let ctx = Context::new();
    let allow_all = json!({"Effect": "Allow", "Action": "execute-api:*", "Resource": "*"});
    let deny_listing = json!({"Sid": "NoListing", "Effect": "Deny", "Action": INVALIDATE, "Resource": format!("{ARN}/GET/pets")});
    let r = format!("{ARN}/GET/pets");
    for statements in [
        json!([allow_all, deny_listing]),
        json!([deny_listing, allow_all]),
    ] {
        let d = doc(json!({"Version": "2012-10-17", "Statement": statements}));
        assert_eq!(
            decide(std::slice::from_ref(&d), INVALIDATE, &r, &ctx),
            Decision::ExplicitDeny
        );
        assert_eq!(
            decide(&[d], INVALIDATE, &format!("{r}/7"), &ctx),
            Decision::Allow
        );
    }
    // Across policies, in both orders.
    let a = doc(json!({"Statement": allow_all}));
    let d = doc(json!({"Statement": deny_listing}));
    assert_eq!(
        decide(&[a.clone(), d.clone()], INVALIDATE, &r, &ctx),
        Decision::ExplicitDeny
    );
    assert_eq!(
        decide(&[d, a], INVALIDATE, &r, &ctx),
        Decision::ExplicitDeny
    );
}

#[test]
fn not_action_and_not_resource() {
    // IAM user guide, "NotAction": Allow + NotAction grants everything but the listed
    // actions; "NotResource": Deny + NotResource denies everything but the listed resources.
    let ctx = Context::new();
    let all_but_iam =
        doc(json!({"Statement": {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}}));
    assert_eq!(
        decide(std::slice::from_ref(&all_but_iam), INVALIDATE, ARN, &ctx),
        Decision::Allow
    );
    assert_eq!(
        decide(&[all_but_iam], "iam:CreateUser", ARN, &ctx),
        Decision::ImplicitDeny
    );
    let only_pets = doc(json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": INVALIDATE, "Resource": "*"},
        {"Effect": "Deny", "Action": INVALIDATE, "NotResource": [format!("{ARN}/GET/pets/*")]}
    ]}));
    assert_eq!(
        decide(
            std::slice::from_ref(&only_pets),
            INVALIDATE,
            &format!("{ARN}/GET/pets/9"),
            &ctx
        ),
        Decision::Allow
    );
    assert_eq!(
        decide(
            &[only_pets],
            INVALIDATE,
            &format!("{ARN}/GET/owners/9"),
            &ctx
        ),
        Decision::ExplicitDeny
    );
}

fn with_condition(condition: serde_json::Value) -> PolicyDocument {
    doc(json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": INVALIDATE, "Resource": "*", "Condition": condition}
    ]}))
}

#[test]
fn conditions_from_the_iam_examples() {
    let r = format!("{ARN}/GET/pets");
    let yes = |d: &PolicyDocument, ctx: &Context| {
        decide(std::slice::from_ref(d), INVALIDATE, &r, ctx).is_allowed()
    };

    // IAM user guide, example "Allows access within specific dates" (aws:CurrentTime).
    let window = with_condition(json!({
        "DateGreaterThan": {"aws:CurrentTime": "2020-04-01T00:00:00Z"},
        "DateLessThan": {"aws:CurrentTime": "2020-06-30T23:59:59Z"}
    }));
    assert!(yes(
        &window,
        &Context::new().with("aws:CurrentTime", "2020-05-01T12:00:00Z")
    ));
    assert!(!yes(
        &window,
        &Context::new().with("aws:CurrentTime", "2020-07-01T00:00:00Z")
    ));
    assert!(
        !yes(&window, &Context::new()),
        "absent key: positive operator is false"
    );
    assert!(
        yes(
            &window,
            &Context::new().with("aws:CurrentTime", "1588334400")
        ),
        "epoch seconds"
    );

    // IAM user guide, "Denies access to AWS based on the source IP" (NotIpAddress).
    let ips =
        with_condition(json!({"IpAddress": {"aws:SourceIp": ["192.0.2.0/24", "203.0.113.0/24"]}}));
    assert!(yes(
        &ips,
        &Context::new().with("aws:SourceIp", "203.0.113.9")
    ));
    assert!(!yes(
        &ips,
        &Context::new().with("aws:SourceIp", "198.51.100.1")
    ));
    let not_ips = with_condition(json!({"NotIpAddress": {"aws:SourceIp": ["192.0.2.0/24"]}}));
    assert!(yes(
        &not_ips,
        &Context::new().with("aws:SourceIp", "198.51.100.1")
    ));
    assert!(!yes(
        &not_ips,
        &Context::new().with("aws:SourceIp", "192.0.2.1")
    ));
    assert!(
        yes(&not_ips, &Context::new()),
        "absent key: negated operator is true"
    );

    // IAM user guide, MFA examples: Bool and BoolIfExists on aws:MultiFactorAuthPresent.
    let mfa = with_condition(json!({"Bool": {"aws:MultiFactorAuthPresent": "true"}}));
    assert!(
        yes(
            &mfa,
            &Context::new().with("aws:multifactorauthpresent", "true")
        ),
        "keys are case-insensitive"
    );
    assert!(!yes(
        &mfa,
        &Context::new().with("aws:MultiFactorAuthPresent", "false")
    ));
    assert!(!yes(&mfa, &Context::new()));
    let mfa_if = with_condition(json!({"BoolIfExists": {"aws:MultiFactorAuthPresent": false}}));
    assert!(
        yes(&mfa_if, &Context::new()),
        "IfExists: absent key is true"
    );
    assert!(!yes(
        &mfa_if,
        &Context::new().with("aws:MultiFactorAuthPresent", "true")
    ));

    // IAM user guide, "Condition operator to check existence of condition keys" (Null).
    let temp = with_condition(json!({"Null": {"aws:TokenIssueTime": "true"}}));
    assert!(yes(&temp, &Context::new()));
    assert!(!yes(
        &temp,
        &Context::new().with("aws:TokenIssueTime", "2020-01-01T00:00:00Z")
    ));

    // IAM user guide, "Multivalued context keys": ForAllValues is true for an absent key;
    // ForAnyValue is false.
    let all = with_condition(
        json!({"ForAllValues:StringEquals": {"aws:TagKeys": ["environment", "cost-center"]}}),
    );
    assert!(yes(&all, &Context::new()));
    assert!(yes(
        &all,
        &Context::new()
            .with("aws:TagKeys", "environment")
            .with("aws:TagKeys", "cost-center")
    ));
    assert!(!yes(
        &all,
        &Context::new()
            .with("aws:TagKeys", "environment")
            .with("aws:TagKeys", "owner")
    ));
    let any = with_condition(json!({"ForAnyValue:StringEquals": {"aws:TagKeys": ["environment"]}}));
    assert!(!yes(&any, &Context::new()));
    assert!(yes(
        &any,
        &Context::new()
            .with("aws:TagKeys", "owner")
            .with("aws:TagKeys", "environment")
    ));

    // IAM user guide, policy variables: `${aws:username}` in a StringLike value.
    let home = with_condition(json!({"StringLike": {"s3:prefix": ["home/${aws:username}/*"]}}));
    let alice = Context::new().with("aws:username", "alice");
    assert!(yes(
        &home,
        &alice.clone().with("s3:prefix", "home/alice/docs")
    ));
    assert!(!yes(&home, &alice.with("s3:prefix", "home/bob/docs")));

    // Amazon S3 user guide, `s3:max-keys` with NumericLessThanEquals.
    let keys = with_condition(json!({"NumericLessThanEquals": {"s3:max-keys": "10"}}));
    assert!(yes(&keys, &Context::new().with("s3:max-keys", "10")));
    assert!(!yes(&keys, &Context::new().with("s3:max-keys", "11")));
    assert!(
        !yes(&keys, &Context::new().with("s3:max-keys", "ten")),
        "unparsable context value does not match"
    );

    // IAM user guide, ArnLike on aws:SourceArn: per-component wildcards.
    let arn = with_condition(
        json!({"ArnLike": {"aws:SourceArn": "arn:aws:cloudtrail:*:111122223333:trail/*"}}),
    );
    assert!(yes(
        &arn,
        &Context::new().with(
            "aws:SourceArn",
            "arn:aws:cloudtrail:us-east-1:111122223333:trail/main"
        )
    ));
    assert!(!yes(
        &arn,
        &Context::new().with(
            "aws:SourceArn",
            "arn:aws:cloudtrail:us-east-1:444455556666:trail/main"
        )
    ));

    // StringEqualsIgnoreCase and StringNotEquals with several values (values are ORed,
    // so the negation holds only when the context value equals none of them).
    let team = with_condition(json!({"StringEqualsIgnoreCase": {"aws:PrincipalTag/team": "Ops"}}));
    assert!(yes(
        &team,
        &Context::new().with("aws:PrincipalTag/team", "OPS")
    ));
    let not_team =
        with_condition(json!({"StringNotEquals": {"aws:PrincipalTag/team": ["ops", "dev"]}}));
    assert!(!yes(
        &not_team,
        &Context::new().with("aws:PrincipalTag/team", "dev")
    ));
    assert!(yes(
        &not_team,
        &Context::new().with("aws:PrincipalTag/team", "qa")
    ));

    // Operators and keys are ANDed.
    let both = with_condition(json!({
        "StringEquals": {"aws:PrincipalTag/team": "ops", "aws:RequestedRegion": "us-east-1"},
        "Bool": {"aws:SecureTransport": "true"}
    }));
    let full = Context::new()
        .with("aws:PrincipalTag/team", "ops")
        .with("aws:RequestedRegion", "us-east-1")
        .with("aws:SecureTransport", "true");
    assert!(yes(&both, &full));
    let partial = Context::new()
        .with("aws:PrincipalTag/team", "ops")
        .with("aws:SecureTransport", "true");
    assert!(!yes(&both, &partial), "a missing key fails its operator");
    let wrong = full.clone().with("aws:SecureTransport", "true");
    assert!(
        yes(&both, &wrong),
        "one matching value of a multivalued key is enough"
    );
}

#[test]
fn variables_are_literal_in_version_2008() {
    // IAM user guide, "Version": without `2012-10-17`, `${aws:username}` is literal text.
    let ctx = Context::new().with("aws:username", "alice");
    let old = doc(
        json!({"Statement": {"Effect": "Allow", "Action": INVALIDATE, "Resource": format!("{ARN}/GET/${{aws:username}}")}}),
    );
    assert_eq!(old.version, Version::V2008_10_17);
    assert_eq!(
        decide(
            std::slice::from_ref(&old),
            INVALIDATE,
            &format!("{ARN}/GET/alice"),
            &ctx
        ),
        Decision::ImplicitDeny
    );
    assert_eq!(
        decide(
            &[old],
            INVALIDATE,
            &format!("{ARN}/GET/${{aws:username}}"),
            &ctx
        ),
        Decision::Allow
    );
    let new = doc(
        json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": INVALIDATE, "Resource": format!("{ARN}/GET/${{aws:username}}")}}),
    );
    assert_eq!(
        decide(&[new], INVALIDATE, &format!("{ARN}/GET/alice"), &ctx),
        Decision::Allow
    );
}

#[test]
fn explanation_names_the_deciding_statement() {
    let d = doc(json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "Everything", "Effect": "Allow", "Action": "execute-api:*", "Resource": "*"},
        {"Effect": "Deny", "Action": INVALIDATE, "Resource": format!("{ARN}/GET/pets")},
        {"Sid": "AlsoDeny", "Effect": "Deny", "Action": "*", "Resource": format!("{ARN}/*")}
    ]}));
    let s = set(&[d]);
    let e = s.explain(INVALIDATE, &format!("{ARN}/GET/pets"), &Context::new());
    assert_eq!(e.decision, Decision::ExplicitDeny);
    let deciding = e.deciding.unwrap();
    assert_eq!(
        (deciding.policy.as_str(), deciding.index, deciding.sid),
        ("p0", 1, None)
    );
    assert_eq!(
        e.matched.iter().map(|m| m.index).collect::<Vec<_>>(),
        vec![0, 1, 2]
    );
    let e = s.explain(
        "execute-api:Invoke",
        "arn:aws:execute-api:x:1:other/GET/x",
        &Context::new(),
    );
    assert_eq!(e.decision, Decision::Allow);
    assert_eq!(e.deciding.unwrap().sid.as_deref(), Some("Everything"));
    let e = s.explain("s3:GetObject", "arn:aws:s3:::b/k", &Context::new());
    assert_eq!(
        (e.decision, e.deciding, e.matched.len()),
        (Decision::ImplicitDeny, None, 0)
    );
}

fn error_of(text: &str) -> InvalidPolicy {
    PolicyDocument::parse("bad.json", text.as_bytes()).expect_err("must be rejected")
}

#[test]
fn bad_input_names_line_column_path_and_expectation() {
    let cases: &[(&str, usize, &str, &str)] = &[
        (
            "{\"Statement\": [\n{\"Effect\": \"Alow\", \"Action\": \"s3:x\", \"Resource\": \"*\"}]}",
            2,
            "Statement[0].Effect",
            "unknown effect `Alow`, expected `Allow` or `Deny`",
        ),
        (
            "{\"Statement\": {\"Effect\": \"Allow\", \"Action\": 3, \"Resource\": \"*\"}}",
            1,
            "Statement.Action",
            "invalid type: integer `3`, expected a string or an array of strings",
        ),
        (
            "{\"Statement\": [{\"Effect\": \"Allow\", \"Resource\": \"*\"}]}",
            1,
            "Statement[0]",
            "missing element `Action`",
        ),
        (
            "{\"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"s3:x\"}]}",
            1,
            "Statement[0]",
            "missing element `Resource`",
        ),
        (
            "{\"Statement\": [{\"Action\": \"s3:x\", \"Resource\": \"*\"}]}",
            1,
            "Statement[0]",
            "missing element `Effect`",
        ),
        (
            "{\"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"s3:x\", \"NotAction\": \"s3:y\", \"Resource\": \"*\"}]}",
            1,
            "Statement[0]",
            "either `Action` or `NotAction`",
        ),
        (
            "{\"Statement\": [{\"Effect\": \"Allow\", \"Effect\": \"Deny\", \"Action\": \"s3:x\", \"Resource\": \"*\"}]}",
            1,
            "Statement[0]",
            "duplicate element `Effect`",
        ),
        ("{\"Statement\": []}", 1, "", "`Statement` is empty"),
        ("{}", 1, "", "missing element `Statement`"),
        (
            "{\"Version\": \"2012-10-17\"}",
            1,
            "",
            "missing element `Statement`",
        ),
        (
            "{\"Version\": \"2013-01-01\", \"Statement\": []}",
            1,
            "Version",
            "unknown version `2013-01-01`",
        ),
        (
            "{\"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"s3:x\", \"Resource\": \"*\",\n \"Condition\": {\"StringLikeX\": {\"a\": \"b\"}}}]}",
            2,
            "Statement[0].Condition",
            "unsupported condition operator `StringLikeX`",
        ),
        (
            "{\"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"s3:x\", \"Resource\": \"*\", \"Condition\": {\"NumericLessThan\": {\"n\": [\"1\", \"x\"]}}}]}",
            1,
            "Statement[0].Condition.NumericLessThan.n[1]",
            "expected a number, got `x`",
        ),
        (
            "{\"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"InvalidateCache\", \"Resource\": \"*\"}]}",
            1,
            "Statement[0].Action",
            "expected `*` or `service:action`",
        ),
        (
            "{\"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"s3:x\", \"Resource\": \"pets/*\"}]}",
            1,
            "Statement[0].Resource",
            "expected `*` or an ARN",
        ),
        (
            "{\"Statement\": [{\"Effect\": \"Allow\", \"Action\": [], \"Resource\": \"*\"}]}",
            1,
            "Statement[0].Action",
            "the array is empty",
        ),
        (
            "{\"Statement\": [{\"Effect\": \"Allow\", \"Principal\": \"*\", \"Action\": \"s3:x\", \"Resource\": \"*\"}]}",
            1,
            "Statement[0]",
            "not allowed in an identity-based policy",
        ),
        (
            "{\"Statement\": [{\"Effect\": \"Allow\", \"Actions\": \"s3:x\", \"Resource\": \"*\"}]}",
            1,
            "Statement[0]",
            "unknown element `Actions`",
        ),
        (
            "{\"Statement\": [{\"Sid\": \"A\", \"Effect\": \"Allow\", \"Action\": \"s3:x\", \"Resource\": \"*\"}, {\"Sid\": \"A\", \"Effect\": \"Allow\", \"Action\": \"s3:x\", \"Resource\": \"*\"}]}",
            1,
            "",
            "duplicate `Sid` `A`",
        ),
        (
            "{\"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"s3:x\", \"Resource\": \"*\"}]} trailing",
            1,
            "",
            "trailing characters",
        ),
        (
            "{\"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"s3:x\",",
            1,
            "Statement[0]",
            "EOF while parsing",
        ),
    ];
    for &(text, line, path, message) in cases {
        let e = error_of(text);
        assert_eq!((e.line, e.path.as_str()), (line, path), "{text}: {e}");
        assert!(e.column > 0, "{text}: {e}");
        assert!(e.message.contains(message), "{text}: {e}");
        assert_eq!(e.source_name, "bad.json");
        assert!(
            e.to_string().starts_with(&format!("bad.json:{line}:")),
            "{e}"
        );
    }
    let empty = error_of("  \n");
    assert!(empty.message.contains("the document is empty"), "{empty}");
}

// ---- property tests: compiled engine == reference evaluator ----

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
