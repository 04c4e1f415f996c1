//! Policies as the AWS CLI prints them: `aws iam get-policy-version` wraps the document
//! in `PolicyVersion.Document`, `aws iam get-role-policy` (and the user and group
//! variants) in `PolicyDocument`, and either may hold the document as a URL-encoded
//! string (as the IAM API returns it) rather than as an object. This finds the document
//! in such an envelope so it parses like a plain one, with errors still pointing into the
//! file the user has.

use serde::Deserialize;
use serde_json::value::RawValue;

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(rename = "PolicyVersion", borrow, default)]
    policy_version: Option<VersionEnvelope<'a>>,
    #[serde(rename = "PolicyDocument", borrow, default)]
    policy_document: Option<&'a RawValue>,
    // A plain document's own members: beside an envelope, the file holds two policies.
    #[serde(rename = "Statement", borrow, default)]
    statement: Option<&'a RawValue>,
    #[serde(rename = "Version", borrow, default)]
    version: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct VersionEnvelope<'a> {
    #[serde(rename = "Document", borrow, default)]
    document: Option<&'a RawValue>,
}

/// Where the policy document is.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Found {
    /// The text is the document itself (or not an envelope).
    Plain,
    /// The document is an object inside the envelope: at byte `offset`, `len` long, under
    /// the element path `path`.
    Inline {
        offset: usize,
        len: usize,
        path: &'static str,
    },
    /// The document is a string inside the envelope, here decoded (URL-decoded when it
    /// was encoded).
    Text { text: String, path: &'static str },
    /// An envelope whose document is missing or neither an object nor a string.
    Malformed { path: &'static str },
    /// Two places that could each hold the document (both envelopes, or an envelope
    /// beside a top-level `Statement` or `Version`): which one is meant is not for us
    /// to guess.
    Ambiguous {
        first: &'static str,
        second: &'static str,
    },
}

/// Looks for an envelope around the document in `text`.
pub(super) fn find(text: &[u8]) -> Found {
    let envelope = match serde_json::from_slice::<Envelope<'_>>(text) {
        Ok(envelope) => envelope,
        Err(e) => {
            // The same envelope twice: the plain reader would call it unknown.
            let message = e.to_string();
            for name in ["PolicyVersion", "PolicyDocument"] {
                if message.starts_with(&format!("duplicate field `{name}`")) {
                    return Found::Ambiguous {
                        first: name,
                        second: name,
                    };
                }
            }
            return Found::Plain;
        }
    };
    let plain = match (envelope.statement, envelope.version) {
        (Some(_), _) => Some("Statement"),
        (None, Some(_)) => Some("Version"),
        (None, None) => None,
    };
    let outer = match (&envelope.policy_version, &envelope.policy_document) {
        (Some(_), Some(_)) => {
            return Found::Ambiguous {
                first: "PolicyVersion",
                second: "PolicyDocument",
            };
        }
        (Some(_), None) => "PolicyVersion",
        (None, Some(_)) => "PolicyDocument",
        (None, None) => return Found::Plain,
    };
    if let Some(second) = plain {
        return Found::Ambiguous {
            first: outer,
            second,
        };
    }
    let (raw, path) = match (envelope.policy_version, envelope.policy_document) {
        (Some(v), _) => (v.document, "PolicyVersion.Document"),
        (None, d) => (d, "PolicyDocument"),
    };
    let Some(raw) = raw else {
        return Found::Malformed { path };
    };
    let inner = raw.get();
    if inner.starts_with('{') {
        // `inner` borrows from `text`, so its address tells where it starts.
        let offset = inner.as_ptr() as usize - text.as_ptr() as usize;
        return Found::Inline {
            offset,
            len: inner.len(),
            path,
        };
    }
    match serde_json::from_str::<String>(inner) {
        Ok(s) if s.trim_start().starts_with('{') => Found::Text { text: s, path },
        Ok(s) => match percent_encoding::percent_decode_str(&s).decode_utf8() {
            Ok(decoded) => Found::Text {
                text: decoded.into_owned(),
                path,
            },
            Err(_) => Found::Malformed { path },
        },
        Err(_) => Found::Malformed { path },
    }
}

/// The 1-based line and column of byte `offset` in `text`.
pub(super) fn line_col(text: &[u8], offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
    let start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let column = 1 + String::from_utf8_lossy(&before[start..]).chars().count();
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_documents_are_not_envelopes() {
        assert_eq!(
            find(br#"{"Version":"2012-10-17","Statement":[]}"#),
            Found::Plain
        );
        assert_eq!(find(b"not json"), Found::Plain);
    }

    #[test]
    fn inline_documents_are_located() {
        let text = br#"{"PolicyVersion": {"Document": {"Statement": []}, "VersionId": "v1"}}"#;
        let Found::Inline { offset, len, path } = find(text) else {
            panic!("not found")
        };
        assert_eq!(&text[offset..offset + len], br#"{"Statement": []}"#);
        assert_eq!(path, "PolicyVersion.Document");
        assert_eq!(line_col(b"ab\ncd", 4), (2, 2));
    }

    #[test]
    fn encoded_documents_are_decoded() {
        let text = br#"{"PolicyName": "p", "PolicyDocument": "%7B%22Statement%22%3A%5B%5D%7D"}"#;
        assert_eq!(
            find(text),
            Found::Text {
                text: r#"{"Statement":[]}"#.into(),
                path: "PolicyDocument"
            }
        );
        assert_eq!(
            find(br#"{"PolicyVersion": {"VersionId": "v1"}}"#),
            Found::Malformed {
                path: "PolicyVersion.Document"
            }
        );
    }

    #[test]
    fn two_documents_in_one_file_are_ambiguous() {
        let doc = r#"{"Statement": []}"#;
        for (text, first, second) in [
            (
                format!(r#"{{"PolicyDocument": {doc}, "Statement": []}}"#),
                "PolicyDocument",
                "Statement",
            ),
            (
                format!(r#"{{"Version": "2012-10-17", "PolicyVersion": {{"Document": {doc}}}}}"#),
                "PolicyVersion",
                "Version",
            ),
            (
                format!(r#"{{"PolicyVersion": {{"Document": {doc}}}, "PolicyDocument": {doc}}}"#),
                "PolicyVersion",
                "PolicyDocument",
            ),
            (
                format!(r#"{{"PolicyDocument": {doc}, "PolicyDocument": {doc}}}"#),
                "PolicyDocument",
                "PolicyDocument",
            ),
            // Even an envelope without a document beside another.
            (
                format!(r#"{{"PolicyVersion": {{}}, "PolicyDocument": {doc}}}"#),
                "PolicyVersion",
                "PolicyDocument",
            ),
        ] {
            assert_eq!(
                find(text.as_bytes()),
                Found::Ambiguous { first, second },
                "{text}"
            );
        }
    }
}
