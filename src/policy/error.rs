//! Errors from loading a policy document: which file, where in it (line, column and
//! element path such as `Statement[1].Action`) and what was expected, as
//! [`Diagnostics`]. Messages are lowercase, in the style of the Rust API guidelines
//! (C-GOOD-ERR).

use std::path::PathBuf;

use crate::diagnostic::Diagnostics;

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
    /// The text is not a valid policy document: every problem found, each with its place.
    #[error("{0}")]
    Invalid(Diagnostics),
}
