//! The IAM policy document as written: `Version`, `Id`, `Statement` (one object or an
//! array), and per statement `Sid`, `Effect`, `Action`/`NotAction`, `Resource`/`NotResource`
//! and `Condition`. This mirrors the JSON and nothing more; `compile` turns it into matchers.
//! Deserialization (`deserialize.rs`) is hand-written so every rule AWS enforces fails at
//! load time with the file, line, column and element path.

use std::path::Path;

use serde::de;

use super::error::PolicyError;
use super::operator::{Operator, Value};
use crate::diagnostic::{Diagnostic, Diagnostics};

/// The policy language version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// `2008-10-17`, also what an absent `Version` means: policy variables are literal text.
    V2008_10_17,
    /// `2012-10-17`: `${...}` policy variables are substituted from the request context.
    V2012_10_17,
}

impl Version {
    /// Whether `${...}` policy variables are substituted (only in `2012-10-17`).
    pub fn has_variables(self) -> bool {
        self == Version::V2012_10_17
    }
}

/// A parsed identity-based policy document.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyDocument {
    /// `Version`, or `2008-10-17` when absent.
    pub version: Version,
    /// `Id`, if any.
    pub id: Option<String>,
    /// The statements, in document order (never empty).
    pub statements: Vec<Statement>,
}

/// Whether a statement grants or denies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Effect {
    /// `"Allow"`.
    Allow,
    /// `"Deny"`.
    Deny,
}

/// An `Action`/`NotAction` or `Resource`/`NotResource` element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Targets {
    /// True for the `Not...` form: the statement applies to everything *not* listed.
    pub negated: bool,
    /// The patterns as written (never empty).
    pub patterns: Vec<String>,
}

/// One condition: an operator applied to one context key with one or more policy values.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// The operator name as written, e.g. `StringLikeIfExists`.
    pub operator_name: String,
    /// The parsed operator.
    pub operator: Operator,
    /// The condition key as written (compared case-insensitively).
    pub key: String,
    /// The policy values (ORed), typed by the operator's family.
    pub values: Vec<Value>,
}

/// One statement of a policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// `Sid`, if any.
    pub sid: Option<String>,
    /// `Effect`.
    pub effect: Effect,
    /// `Action` or `NotAction`.
    pub action: Targets,
    /// `Resource` or `NotResource`.
    pub resource: Targets,
    /// Every condition (ANDed); empty when there is no `Condition`.
    pub conditions: Vec<Condition>,
}

impl PolicyDocument {
    /// Each condition value that does not parse for its operator, with its element path,
    /// as a problem of `source_name`: IAM stores such a policy, but that value matches
    /// nothing.
    pub fn unparsable_values(&self, source_name: &str) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        for (i, s) in self.statements.iter().enumerate() {
            for c in &s.conditions {
                for v in &c.values {
                    if let Value::Unparsable { text, why } = v {
                        out.push(Diagnostic::new(
                            source_name,
                            0,
                            0,
                            format!("Statement[{i}].Condition.{}.{}", c.operator_name, c.key),
                            format!(
                                "`{text}` does not parse ({why}); IAM stores such a policy \
                                 (IAM Access Analyzer reports a type mismatch as an error \
                                 finding: that part is not functional), so the value matches \
                                 nothing"
                            ),
                        ));
                    }
                }
            }
        }
        out
    }

    /// Reads and parses the policy document at `path`.
    pub fn load(path: &Path) -> Result<PolicyDocument, PolicyError> {
        let bytes = std::fs::read(path).map_err(|error| PolicyError::Read {
            path: path.to_owned(),
            error,
        })?;
        PolicyDocument::parse(&path.display().to_string(), &bytes).map_err(PolicyError::Invalid)
    }

    /// Parses a policy document from `text`, plain or as the AWS CLI prints it
    /// (`PolicyVersion.Document`, `PolicyDocument`, either possibly URL-encoded);
    /// `source_name` names it in errors.
    pub fn parse(source_name: &str, text: &[u8]) -> Result<PolicyDocument, Diagnostics> {
        use super::envelope::{Found, find, line_col};
        match find(text) {
            Found::Plain => PolicyDocument::parse_plain(source_name, text),
            Found::Inline { offset, len, path } => {
                PolicyDocument::parse_plain(source_name, &text[offset..offset + len]).map_err(
                    |mut e| {
                        // Back to the file's own lines and columns.
                        let (line, column) = line_col(text, offset);
                        for d in e.iter_mut() {
                            shift(d, line, column);
                            d.path = join(path, &d.path);
                        }
                        e
                    },
                )
            }
            Found::Text { text: inner, path } => {
                let name = format!("{source_name} ({path}, decoded)");
                PolicyDocument::parse_plain(&name, inner.as_bytes()).map_err(|mut e| {
                    for d in e.iter_mut() {
                        d.path = join(path, &d.path);
                    }
                    e
                })
            }
            Found::Ambiguous { first, second } => Err(Diagnostic::new(
                source_name,
                0,
                0,
                "",
                format!(
                    "the file holds {}, so it is not clear which is the policy; expected \
                     one: the plain document, or the AWS CLI's output as printed",
                    if first == second {
                        format!("`{first}` twice")
                    } else {
                        format!("both `{first}` and `{second}`")
                    }
                ),
            )
            .into()),
            Found::Malformed { path } => Err(Diagnostic::new(
                source_name,
                0,
                0,
                path,
                "expected the policy document: a JSON object, or a string holding one \
                 (URL-encoded, as the IAM API returns it)",
            )
            .into()),
        }
    }

    fn parse_plain(source_name: &str, text: &[u8]) -> Result<PolicyDocument, Diagnostics> {
        if text.iter().all(u8::is_ascii_whitespace) {
            return Err(Diagnostic::new(
                source_name,
                0,
                0,
                "",
                "the document is empty; expected a policy object such as \
                 {\"Version\": \"2012-10-17\", \"Statement\": [...]}",
            )
            .into());
        }
        let doc: PolicyDocument = deserialize_located(source_name, text).map_err(|first| {
            // The first problem stops the parse; every statement is read on its own too,
            // so a file's other problems are listed with it.
            let mut all = Diagnostics::from(first);
            for more in statement_problems(source_name, text) {
                all.push(more);
            }
            all
        })?;
        Ok(doc)
    }
}

/// Deserializes a `T` from the whole of `text`, or the first problem with its place.
fn deserialize_located<'a, T: de::Deserialize<'a>>(
    source_name: &str,
    text: &'a [u8],
) -> Result<T, Diagnostic> {
    let invalid = |line, column, path: String, message: String| {
        Diagnostic::new(source_name, line, column, path, message)
    };
    let mut de = serde_json::Deserializer::from_slice(text);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|err| {
        // serde_path_to_error writes `.` for the root and `?` for a key it has not
        // read yet (e.g. at end of input); neither helps a reader.
        let path = err.path().to_string();
        let path = path
            .trim_end_matches(".?")
            .trim_start_matches('.')
            .to_owned();
        let inner = err.into_inner();
        invalid(inner.line(), inner.column(), path, message_of(&inner))
    })?;
    de.end()
        .map_err(|e| invalid(e.line(), e.column(), String::new(), message_of(&e)))?;
    Ok(value)
}

/// The first problem of each statement of an array `Statement`, each read on its own,
/// with its place in `text`; nothing when the document is not that far readable.
fn statement_problems(source_name: &str, text: &[u8]) -> Vec<Diagnostic> {
    #[derive(serde::Deserialize)]
    struct Shell<'a> {
        #[serde(rename = "Statement", borrow)]
        statement: Option<Vec<&'a serde_json::value::RawValue>>,
    }
    let Ok(Shell {
        statement: Some(statements),
    }) = serde_json::from_slice::<Shell<'_>>(text)
    else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, raw) in statements.iter().enumerate() {
        let inner = raw.get();
        if let Err(mut e) = deserialize_located::<Statement>(source_name, inner.as_bytes()) {
            // `inner` borrows from `text`, so its address tells where it starts.
            let offset = inner.as_ptr() as usize - text.as_ptr() as usize;
            let (line, column) = super::envelope::line_col(text, offset);
            shift(&mut e, line, column);
            e.path = join(&format!("Statement[{i}]"), &e.path);
            out.push(e);
        }
    }
    out
}

/// Moves `e`'s place from within a part of a file that starts at `line`:`column` to the
/// file's own lines and columns.
fn shift(e: &mut Diagnostic, line: usize, column: usize) {
    if e.line == 1 {
        e.column += column - 1;
    }
    if e.line > 0 {
        e.line += line - 1;
    }
}

/// `outer.inner`, or `outer` alone.
fn join(outer: &str, inner: &str) -> String {
    if inner.is_empty() {
        outer.to_owned()
    } else {
        format!("{outer}.{inner}")
    }
}

/// serde_json appends " at line L column C" to every message; we print the position
/// ourselves, in front.
fn message_of(err: &serde_json::Error) -> String {
    let full = err.to_string();
    let suffix = format!(" at line {} column {}", err.line(), err.column());
    full.strip_suffix(&suffix).unwrap_or(&full).to_owned()
}
