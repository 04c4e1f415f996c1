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
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for InvalidPolicy {}
