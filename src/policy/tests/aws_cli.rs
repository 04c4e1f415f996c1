//! Policies as `aws iam get-policy-version` and `aws iam get-role-policy` print them
//! (shapes from the AWS CLI command reference's examples), and as the IAM API returns
//! them: the document URL-encoded per RFC 3986 (GetPolicyVersion, GetRolePolicy).

use super::*;

const ARN: &str = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/GET/pets/1";

fn allows(text: &str) -> bool {
    let doc = PolicyDocument::parse("cli.json", text.as_bytes()).expect("loads");
    set(&[doc])
        .decide(INVALIDATE, ARN, &Context::new())
        .is_allowed()
}

#[test]
fn get_policy_version_output_loads() {
    let text = r#"{
    "PolicyVersion": {
        "Document": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "execute-api:InvalidateCache",
                    "Resource": "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/GET/pets/*"
                }
            ]
        },
        "VersionId": "v2",
        "IsDefaultVersion": true,
        "CreateDate": "2023-04-11T00:22:54+00:00"
    }
}"#;
    assert!(allows(text));
}

#[test]
fn get_role_policy_output_loads() {
    let text = r#"{
  "RoleName": "Test-Role",
  "PolicyDocument": {
      "Statement": [
          {
              "Action": ["execute-api:Invalidate*", "execute-api:Invoke"],
              "Resource": "*",
              "Effect": "Allow",
              "Sid": "1"
          }
      ]
  },
  "PolicyName": "ExamplePolicy"
}"#;
    assert!(allows(text));
}

#[test]
fn url_encoded_documents_load() {
    // What the IAM API returns in GetPolicyVersionResult/PolicyVersion/Document.
    let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Deny%22%2C%22Action%22%3A%22execute-api%3AInvalidateCache%22%2C%22Resource%22%3A%22%2A%22%7D%2C%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22%2A%22%2C%22Resource%22%3A%22%2A%22%7D%5D%7D";
    let wrapped = format!(r#"{{"PolicyVersion": {{"Document": "{encoded}", "VersionId": "v1"}}}}"#);
    // An explicit Deny in the decoded document wins.
    assert!(!allows(&wrapped));
    let role = format!(r#"{{"RoleName": "r", "PolicyName": "p", "PolicyDocument": "{encoded}"}}"#);
    assert!(!allows(&role));
}

#[test]
fn errors_point_into_the_file_as_written() {
    let inner = r#"{"Statement": [{"Effect": "Alow", "Action": "*", "Resource": "*"}]}"#;
    let plain = PolicyDocument::parse("p.json", inner.as_bytes()).unwrap_err();
    let plain = plain.first();
    let text = format!(
        "{{\n  \"PolicyVersion\": {{\n    \"Document\": {inner},\n    \"VersionId\": \"v1\"\n  }}\n}}"
    );
    let err = PolicyDocument::parse("v.json", text.as_bytes()).unwrap_err();
    let err = err.first();
    // The same place, on line 3 after `    "Document": `.
    assert_eq!((err.line, err.column), (3, plain.column + 16));
    assert_eq!(err.path, "PolicyVersion.Document.Statement[0].Effect");
    let encoded = r#"{"PolicyDocument": "%7B%22Statement%22%3A%5B%5D%7D"}"#;
    let err = PolicyDocument::parse("r.json", encoded.as_bytes()).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("r.json (PolicyDocument, decoded):1:"),
        "{err}"
    );
    let missing =
        PolicyDocument::parse("m.json", br#"{"PolicyVersion": {"VersionId": "v1"}}"#).unwrap_err();
    assert_eq!(
        missing.to_string(),
        "m.json: PolicyVersion.Document: expected the policy document: a JSON object, or a string holding one (URL-encoded, as the IAM API returns it)"
    );
}
