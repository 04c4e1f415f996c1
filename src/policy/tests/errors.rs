//! Bad documents: each error names the line, column and element path and what was expected.

use super::*;

fn errors_of(text: &str) -> crate::diagnostic::Diagnostics {
    PolicyDocument::parse("bad.json", text.as_bytes()).expect_err("must be rejected")
}

fn error_of(text: &str) -> crate::diagnostic::Diagnostic {
    errors_of(text).first().clone()
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
        assert_eq!(e.source, "bad.json");
        assert!(
            e.to_string().starts_with(&format!("bad.json:{line}:")),
            "{e}"
        );
    }
    let empty = error_of("  \n");
    assert!(empty.message.contains("the document is empty"), "{empty}");
}

/// Every statement's problem is listed, each at its own line and column, in the file as
/// written (inside an envelope too).
#[test]
fn every_statements_problem_is_listed_with_its_place() {
    let statements = "\n  {\"Effect\": \"Permit\", \"Action\": \"s3:x\", \"Resource\": \"*\"},\n  {\"Effect\": \"Allow\", \"Action\": \"s3:x\", \"Resource\": \"*\"},\n  {\"Effect\": \"Allow\", \"Action\": 3, \"Resource\": \"*\"},\n  {\"Effect\": \"Allow\", \"Action\": \"s3:x\"}\n";
    for (text, prefix, line) in [
        (format!("{{\"Statement\": [{statements}]}}"), "", 2),
        (
            format!("{{\"PolicyVersion\": {{\"Document\":\n{{\"Statement\": [{statements}]}}}}}}"),
            "PolicyVersion.Document.",
            3,
        ),
    ] {
        let e = errors_of(&text);
        let all: Vec<(usize, String)> = e.iter().map(|p| (p.line, p.path.clone())).collect();
        assert_eq!(
            all,
            [
                (line, format!("{prefix}Statement[0].Effect")),
                (line + 2, format!("{prefix}Statement[2].Action")),
                (line + 3, format!("{prefix}Statement[3]")),
            ],
            "{e}"
        );
        assert_eq!(e.to_string().lines().count(), 3);
    }
}
