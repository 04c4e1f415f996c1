//! Errors from loading a policy document: which file, where in it (line,
//! column and element path such as `Statement[1].Action`) and what was expected.
//! Messages are lowercase, in the style of the Rust API guidelines (C-GOOD-ERR).

use std::fmt;
use std::path::PathBuf;

/// A policy document could not be read or is not a valid identity policy.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// The file could not be read (fatal for that file).
    #[error("{}: cannot read policy file: {error}", path.display())]
    Read {
        /// The file that failed.
        path: PathBuf,
        /// The underlying I/O error.
        error: std::io::Error,
    },
    /// The text is not a valid policy document.
    #[error("{0}")]
    Invalid(InvalidPolicy),
}

/// Where and why a policy document is invalid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidPolicy {
    /// The file (or other source name) the document came from.
    pub source_name: String,
    /// 1-based line of the problem, 0 when unknown.
    pub line: usize,
    /// 1-based column of the problem, 0 when unknown.
    pub column: usize,
    /// Element path, e.g. `Statement[1].Action`; empty for the whole document.
    pub path: String,
    /// What is wrong and what was expected.
    pub message: String,
    /// Further problems found in the same document (other statements), each with its own
    /// place.
    pub also: Vec<InvalidPolicy>,
}

impl InvalidPolicy {
    /// One problem of `source_name` at `line`:`column` (0 when unknown), element `path`.
    pub(crate) fn new(
        source_name: &str,
        line: usize,
        column: usize,
        path: String,
        message: String,
    ) -> InvalidPolicy {
        InvalidPolicy {
            source_name: source_name.to_owned(),
            line,
            column,
            path,
            message,
            also: Vec::new(),
        }
    }

    /// `f` applied to this problem and every further one (to move them all into an
    /// enclosing file's places).
    pub(crate) fn map_places(self, f: &dyn Fn(InvalidPolicy) -> InvalidPolicy) -> InvalidPolicy {
        let also = self.also.into_iter().map(|a| a.map_places(f)).collect();
        let mut e = f(InvalidPolicy {
            also: Vec::new(),
            ..self
        });
        e.also = also;
        e
    }

    /// Whether `other` is the same problem at the same place.
    pub(crate) fn same_place(&self, other: &InvalidPolicy) -> bool {
        (self.line, self.column, &self.path, &self.message)
            == (other.line, other.column, &other.path, &other.message)
    }
}

impl fmt::Display for InvalidPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.source_name)?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.column)?;
        }
        if !self.path.is_empty() {
            write!(f, ": {}", self.path)?;
        }
        write!(f, ": {}", self.message)?;
        for more in &self.also {
            write!(f, "\n{more}")?;
        }
        Ok(())
    }
}

impl std::error::Error for InvalidPolicy {}
