//! Decisions on examples taken from the AWS documentation, each citing its source.

use serde_json::json;

use super::*;

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
