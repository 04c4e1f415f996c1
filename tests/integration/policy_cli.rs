//! `cachegate policy eval` and `cachegate policy check` as a user runs them.

use assert_cmd::Command;
use predicates::prelude::*;
use predicates::str::contains;

const POLICY: &str = "scenarios/policies/ops-invalidate.json";
const BASE: &str = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/GET";
const INVALIDATE: &str = "execute-api:InvalidateCache";

fn cachegate() -> Command {
    Command::cargo_bin("cachegate").expect("binary builds")
}

fn eval(policy: &str, action: &str, resource: &str) -> Command {
    let mut cmd = cachegate();
    cmd.args([
        "policy",
        "eval",
        "--policy",
        policy,
        "--action",
        action,
        "--resource",
        resource,
    ]);
    cmd
}

#[test]
fn allowed_exits_0_and_names_the_statement() {
    eval(POLICY, INVALIDATE, &format!("{BASE}/pets/7"))
        .assert()
        .code(0)
        .stdout(contains("allow: execute-api:InvalidateCache"))
        .stdout(contains(
            "decided by scenarios/policies/ops-invalidate.json Statement[0] (Sid InvalidatePets)",
        ));
}

#[test]
fn explicit_deny_exits_1_and_names_the_deny() {
    eval(POLICY, INVALIDATE, &format!("{BASE}/pets"))
        .assert()
        .code(1)
        .stdout(contains("explicit deny"))
        .stdout(contains("Statement[1] (Sid NeverTheListing)"));
}

#[test]
fn implicit_deny_exits_1() {
    eval(POLICY, INVALIDATE, &format!("{BASE}/owners/7"))
        .assert()
        .code(1)
        .stdout(contains("implicit deny"))
        .stdout(contains("no statement applies"));
}

#[test]
fn json_output_is_machine_readable() {
    let out = eval(
        POLICY,
        "EXECUTE-API:invalidatecache",
        &format!("{BASE}/pets"),
    )
    .arg("--json")
    .assert()
    .code(1)
    .get_output()
    .stdout
    .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).expect("valid JSON");
    assert_eq!(v["decision"], "explicit_deny");
    assert_eq!(v["deciding"]["sid"], "NeverTheListing");
    assert_eq!(v["deciding"]["index"], 1);
    assert_eq!(v["matched"].as_array().map(Vec::len), Some(1));
}

#[test]
fn context_values_feed_conditions() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("office.json");
    std::fs::write(
        &path,
        r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "execute-api:InvalidateCache",
            "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}}}"#,
    )
    .unwrap();
    let p = path.to_str().unwrap();
    let resource = format!("{BASE}/pets/7");
    eval(p, INVALIDATE, &resource)
        .arg("--context")
        .arg("aws:SourceIp=203.0.113.40")
        .assert()
        .code(0);
    eval(p, INVALIDATE, &resource)
        .arg("--context")
        .arg("AWS:SOURCEIP=198.51.100.1")
        .assert()
        .code(1);
    eval(p, INVALIDATE, &resource).assert().code(1);
    eval(p, INVALIDATE, &resource)
        .arg("--context")
        .arg("no-equals-sign")
        .assert()
        .code(2)
        .stderr(contains("expected KEY=VALUE"));
}

#[test]
fn bad_policy_exits_2_naming_file_position_and_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.json");
    std::fs::write(&path, "{\"Statement\": [\n  {\"Effect\": \"Allow\", \"Action\": \"s3:x\", \"Resource\": \"*\"},\n  {\"Effect\": \"Permit\", \"Action\": \"s3:x\", \"Resource\": \"*\"}\n]}").unwrap();
    eval(path.to_str().unwrap(), INVALIDATE, BASE)
        .assert()
        .code(2)
        .stdout("")
        .stderr(contains("bad.json:3:").and(contains(
            "Statement[1].Effect: unknown effect `Permit`, expected `Allow` or `Deny`",
        )));
}

#[test]
fn a_file_with_two_documents_exits_2_naming_both() {
    // An envelope's Allow beside a top-level Deny: neither may be dropped silently.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("two.json");
    let allow = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#;
    std::fs::write(
        &path,
        format!(
            r#"{{"PolicyDocument": {allow}, "Statement": [{{"Effect": "Deny", "Action": "*", "Resource": "*"}}]}}"#
        ),
    )
    .unwrap();
    eval(path.to_str().unwrap(), INVALIDATE, BASE)
        .assert()
        .code(2)
        .stdout("")
        .stderr(contains(
            "two.json: the file holds both `PolicyDocument` and `Statement`",
        ));
}

#[test]
fn an_action_or_resource_that_is_not_one_exits_2() {
    eval(POLICY, "InvalidateCache", &format!("{BASE}/pets/7"))
        .assert()
        .code(2)
        .stdout("")
        .stderr(contains("expected an action as `service:Action`"));
    eval(POLICY, INVALIDATE, "a1b2c3d4e5/prod/GET/pets/7")
        .assert()
        .code(2)
        .stdout("")
        .stderr(contains("expected an ARN"));
    // S3's ARNs leave region and account empty: still ARNs.
    eval(POLICY, "s3:GetObject", "arn:aws:s3:::bucket/key")
        .assert()
        .code(1);
}

#[test]
fn a_value_that_does_not_parse_warns_or_with_strict_fails() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("n.json");
    std::fs::write(
        &path,
        r#"{"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"NumericEquals": {"n": "abc"}}}}"#,
    )
    .unwrap();
    let expected = "Statement[0].Condition.NumericEquals.n: `abc` does not parse";
    cachegate()
        .args(["policy", "check"])
        .arg(&path)
        .assert()
        .code(0)
        .stdout(contains("n.json: ok: 1 statement").and(contains(format!("warning: {expected}"))));
    cachegate()
        .args(["policy", "check", "--strict"])
        .arg(&path)
        .assert()
        .code(1)
        .stdout(contains(format!("n.json: {expected}")));
    // Evaluated, the value matches nothing: the Allow does not apply.
    eval(path.to_str().unwrap(), INVALIDATE, BASE)
        .args(["--context", "n=5"])
        .assert()
        .code(1)
        .stdout(contains("implicit deny"));
}

#[test]
fn missing_policy_file_exits_2() {
    eval("does/not/exist.json", INVALIDATE, BASE)
        .assert()
        .code(2)
        .stderr(contains("does/not/exist.json: cannot read policy file"));
}

#[test]
fn check_reports_every_file() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.json");
    let b = dir.path().join("b.json");
    std::fs::write(
        &a,
        "{\"Statement\": {\"Effect\": \"Allow\", \"Action\": \"s3\", \"Resource\": \"*\"}}",
    )
    .unwrap();
    std::fs::write(&b, "{\"Statement\": {\"Effect\": \"Allow\", \"Action\": \"s3:x\", \"Resource\": \"*\", \"Condition\": {\"StringLikes\": {\"k\": \"v\"}}}}").unwrap();
    cachegate()
        .args(["policy", "check", POLICY])
        .arg(&a)
        .arg(&b)
        .assert()
        .code(1)
        .stdout(contains("ops-invalidate.json: ok: 2 statements"))
        .stdout(contains("a.json:1:").and(contains("Statement.Action: invalid action `s3`")))
        .stdout(
            contains("b.json:1:").and(contains("unsupported condition operator `StringLikes`")),
        );
    cachegate()
        .args(["policy", "check", POLICY, "nope.json"])
        .assert()
        .code(2)
        .stderr(contains("nope.json"));
    cachegate()
        .args(["policy", "check", POLICY])
        .assert()
        .code(0);
}
