//! One problem in an input file, as every parser reports it: the file, the line and
//! column (when known), the field path and what is wrong and what was expected. Scenario
//! files, policy documents and imported stages all report [`Diagnostics`], so a command
//! prints every problem of every input the same way:
//! `FILE:LINE:COLUMN: PATH: MESSAGE`.

use std::fmt;

/// One problem in one input.
///
/// ```
/// use cachegate::diagnostic::Diagnostic;
///
/// let d = Diagnostic::new("pets.toml", 12, 8, "clients[0].rate", "must be > 0, got -1");
/// assert_eq!(d.to_string(), "pets.toml:12:8: clients[0].rate: must be > 0, got -1");
/// let whole = Diagnostic::new("pets.toml", 0, 0, "", "the file is not UTF-8 text");
/// assert_eq!(whole.to_string(), "pets.toml: the file is not UTF-8 text");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file (or other source name) the problem is in.
    pub source: String,
    /// 1-based line, 0 when unknown.
    pub line: usize,
    /// 1-based column, 0 when unknown.
    pub column: usize,
    /// The field path as the file's format writes it (`clients[2].rate`,
    /// `Statement[1].Action`); empty for the whole file.
    pub path: String,
    /// What is wrong and what was expected, lowercase.
    pub message: String,
}

impl Diagnostic {
    /// A problem of `source` at `line`:`column` (0 when unknown), field `path`.
    pub fn new(
        source: impl Into<String>,
        line: usize,
        column: usize,
        path: impl Into<String>,
        message: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic {
            source: source.into(),
            line,
            column,
            path: path.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.column)?;
        }
        if !self.path.is_empty() {
            write!(f, ": {}", self.path)?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for Diagnostic {}

/// Every problem found in one input, in the order found (at least one), one line each
/// when printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostics(Vec<Diagnostic>);

impl Diagnostics {
    /// The problems of `list`; `None` when it is empty (nothing is wrong).
    pub fn from_vec(list: Vec<Diagnostic>) -> Option<Diagnostics> {
        (!list.is_empty()).then_some(Diagnostics(list))
    }

    /// The first problem found.
    pub fn first(&self) -> &Diagnostic {
        &self.0[0]
    }

    /// Every problem, in the order found.
    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.0.iter()
    }

    /// Every problem, to change in place (e.g. to move them into an enclosing file).
    pub fn iter_mut(&mut self) -> std::slice::IterMut<'_, Diagnostic> {
        self.0.iter_mut()
    }

    /// Adds `more` unless the same problem is already listed.
    pub fn push(&mut self, more: Diagnostic) {
        if !self.0.contains(&more) {
            self.0.push(more);
        }
    }

    /// How many problems.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Always false: there is at least one problem.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The problems as a list.
    pub fn into_vec(self) -> Vec<Diagnostic> {
        self.0
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(d: Diagnostic) -> Diagnostics {
        Diagnostics(vec![d])
    }
}

impl<'a> IntoIterator for &'a Diagnostics {
    type Item = &'a Diagnostic;
    type IntoIter = std::slice::Iter<'a, Diagnostic>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_problem_is_listed_once_a_line() {
        let mut list: Diagnostics =
            Diagnostic::new("p.json", 1, 53, "Statement[0].Effect", "unknown effect").into();
        list.push(Diagnostic::new(
            "p.json",
            1,
            90,
            "Statement[1].Action",
            "bad action",
        ));
        list.push(Diagnostic::new(
            "p.json",
            1,
            53,
            "Statement[0].Effect",
            "unknown effect",
        ));
        assert_eq!(list.len(), 2);
        assert_eq!(
            list.to_string(),
            "p.json:1:53: Statement[0].Effect: unknown effect\np.json:1:90: Statement[1].Action: bad action"
        );
        assert!(Diagnostics::from_vec(Vec::new()).is_none());
    }
}
