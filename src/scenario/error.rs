//! Scenario errors: every problem found, each with the file, line and column, the field
//! path (`clients[2].rate`) and what was expected (`must be > 0, got -1`).

use std::fmt;
use std::path::PathBuf;

use crate::diagnostic::{Diagnostic, Diagnostics};

/// One segment of a field path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    /// A table key.
    Key(String),
    /// An array index.
    Index(usize),
}

/// A field path such as `clients[2].rate` or `stage.method_settings."pets/GET"`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldPath(pub Vec<Seg>);

impl FieldPath {
    /// The path with one more key.
    #[must_use]
    pub fn key(&self, k: &str) -> FieldPath {
        let mut p = self.clone();
        p.0.push(Seg::Key(k.to_owned()));
        p
    }

    /// The path with one more index.
    #[must_use]
    pub fn index(&self, i: usize) -> FieldPath {
        let mut p = self.clone();
        p.0.push(Seg::Index(i));
        p
    }
}

/// Starts a path at a top-level key.
pub fn at(k: &str) -> FieldPath {
    FieldPath::default().key(k)
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Index(n) => write!(f, "[{n}]")?,
                Seg::Key(k) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    let bare = !k.is_empty()
                        && k.chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
                    if bare {
                        f.write_str(k)?;
                    } else {
                        write!(f, "\"{}\"", k.replace('"', "\\\""))?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// Problems found so far, by field path.
#[derive(Default)]
pub(super) struct Problems(pub(super) Vec<(FieldPath, String)>);

impl Problems {
    pub(super) fn add(&mut self, path: FieldPath, message: impl Into<String>) {
        self.0.push((path, message.into()));
    }

    /// The value, or records the problem and gives `None`.
    pub(super) fn check<T, E: std::fmt::Display>(
        &mut self,
        path: &FieldPath,
        r: Result<T, E>,
    ) -> Option<T> {
        r.map_err(|m| self.add(path.clone(), m.to_string())).ok()
    }
}

/// One problem in a scenario file, located, with its field path as a path (the file's
/// problems become [`Diagnostics`] once all are found).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Problem {
    /// 1-based line, 0 when unknown.
    pub(super) line: usize,
    /// 1-based column, 0 when unknown.
    pub(super) column: usize,
    /// The field path; empty for the whole file.
    pub(super) path: FieldPath,
    /// What is wrong and what was expected.
    pub(super) message: String,
}

impl Problem {
    /// This problem, of the file `source`.
    pub(super) fn diagnostic(self, source: &str) -> Diagnostic {
        Diagnostic::new(
            source,
            self.line,
            self.column,
            self.path.to_string(),
            self.message,
        )
    }
}

/// A scenario could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScenarioError {
    /// The file could not be read (fatal).
    #[error("{}: cannot read scenario: {error}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// The file was read but has problems; all of them are listed, in file order.
    #[error("{0}")]
    Invalid(Diagnostics),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_print_like_toml() {
        assert_eq!(
            at("clients").index(2).key("rate").to_string(),
            "clients[2].rate"
        );
        assert_eq!(
            at("stage")
                .key("method_settings")
                .key("pets/{petId}/GET")
                .to_string(),
            "stage.method_settings.\"pets/{petId}/GET\""
        );
    }
}
