//! Data files a scenario names besides traces: rate profiles
//! (`rate = { profile = "x.csv" }`) and empirical key popularity
//! (`popularity = { empirical = "x.csv" }`), CSV with a header row naming their columns
//! (others are ignored, `#` starts a comment line), each read and parsed once per
//! scenario file however many configurations use it; and the hashes of the other files
//! a configuration reads (policies, stage and API files). Every such file's SHA-256 goes
//! into the manifest and the parts' fingerprints, so a changed file is never mistaken
//! for the one a report was made from.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The largest data file read (a popularity file of the most keys allowed is well
/// under it).
const MAX_FILE_BYTES: u64 = 1 << 30;

/// How many of a file's problems are listed before the rest are counted.
const MAX_LISTED: usize = 10;

/// A file a configuration's model was read from: its path as the scenario resolves it,
/// and the SHA-256 of its bytes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct InputFile {
    /// The path, relative to where cachegate runs (as the scenario's is shown).
    pub path: String,
    /// SHA-256 of its bytes, hex.
    pub sha256: String,
}

/// A parsed data file and where it came from.
#[derive(Debug)]
pub(super) struct Loaded<T> {
    pub(super) value: Arc<T>,
    pub(super) file: InputFile,
}

impl<T> Clone for Loaded<T> {
    fn clone(&self) -> Self {
        Loaded {
            value: Arc::clone(&self.value),
            file: self.file.clone(),
        }
    }
}

type Cache<T> = RefCell<BTreeMap<PathBuf, Result<Loaded<T>, Vec<String>>>>;

/// The data files of one scenario file, each parsed once.
#[derive(Default)]
pub(super) struct DataFiles {
    profiles: Cache<Vec<super::Step>>,
    popularity: Cache<Vec<f64>>,
    /// Other files a configuration reads (policies, stage and API files), hashed.
    hashes: RefCell<BTreeMap<PathBuf, Option<InputFile>>>,
}

impl DataFiles {
    /// The rate profile at `path`.
    pub(super) fn profile(&self, path: &Path) -> Result<Loaded<Vec<super::Step>>, Vec<String>> {
        cached(&self.profiles, path, super::profile::parse_csv)
    }

    /// The SHA-256 of a file the configuration reads through its own loader (a policy, a
    /// stage or API file); `None` when it cannot be read (its loader says why).
    pub(super) fn hash(&self, path: &Path) -> Option<InputFile> {
        if let Some(found) = self.hashes.borrow().get(path) {
            return found.clone();
        }
        let hashed = std::fs::read(path).ok().map(|bytes| InputFile {
            path: path.display().to_string(),
            sha256: crate::checksum::sha256(&bytes),
        });
        self.hashes
            .borrow_mut()
            .insert(path.to_owned(), hashed.clone());
        hashed
    }

    /// The popularity weights at `path`.
    pub(super) fn popularity(&self, path: &Path) -> Result<Loaded<Vec<f64>>, Vec<String>> {
        cached(&self.popularity, path, super::empirical::parse_csv)
    }
}

fn cached<T>(
    cache: &Cache<T>,
    path: &Path,
    parse: fn(&Rows) -> Result<T, Vec<String>>,
) -> Result<Loaded<T>, Vec<String>> {
    if let Some(found) = cache.borrow().get(path) {
        return found.clone();
    }
    let loaded = load(path, parse);
    cache.borrow_mut().insert(path.to_owned(), loaded.clone());
    loaded
}

fn load<T>(
    path: &Path,
    parse: fn(&Rows) -> Result<T, Vec<String>>,
) -> Result<Loaded<T>, Vec<String>> {
    let shown = path.display().to_string();
    let unreadable = |e: std::io::Error| vec![format!("cannot read {shown}: {}", io_reason(&e))];
    let size = std::fs::metadata(path).map_err(unreadable)?.len();
    if size > MAX_FILE_BYTES {
        return Err(vec![format!(
            "{shown} is {size} bytes, more than the {MAX_FILE_BYTES} a data file may have"
        )]);
    }
    let bytes = std::fs::read(path).map_err(unreadable)?;
    let rows = Rows::read(&shown, &bytes).map_err(|e| list(&shown, vec![e]))?;
    let value = parse(&rows).map_err(|problems| list(&shown, problems))?;
    Ok(Loaded {
        value: Arc::new(value),
        file: InputFile {
            path: shown,
            sha256: crate::checksum::sha256(&bytes),
        },
    })
}

/// The problems of file `shown`, each `file:line: column: what`, the first
/// [`MAX_LISTED`] of them.
fn list(shown: &str, problems: Vec<String>) -> Vec<String> {
    let n = problems.len();
    let mut out: Vec<String> = problems
        .into_iter()
        .take(MAX_LISTED)
        .map(|p| {
            // `line: what`, or what concerns the whole file.
            if p.starts_with(|c: char| c.is_ascii_digit()) {
                format!("{shown}:{p}")
            } else {
                format!("{shown}: {p}")
            }
        })
        .collect();
    if n > MAX_LISTED {
        out.push(format!("{shown}: and {} more problems", n - MAX_LISTED));
    }
    out
}

/// A CSV file's records: each row's fields and line.
pub(super) struct Rows {
    header: Vec<String>,
    pub(super) rows: Vec<(u64, csv::StringRecord)>,
}

impl Rows {
    fn read(shown: &str, bytes: &[u8]) -> Result<Rows, String> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .comment(Some(b'#'))
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(bytes);
        let header = reader
            .headers()
            .map_err(|e| format!("1: {}", csv_reason(&e)))?
            .iter()
            .map(str::to_ascii_lowercase)
            .collect::<Vec<_>>();
        if header.iter().all(String::is_empty) {
            return Err(format!("1: {shown} is empty: expected a header row"));
        }
        let mut rows = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|e| {
                let line = e.position().map_or(0, csv::Position::line);
                format!("{line}: {}", csv_reason(&e))
            })?;
            let line = record.position().map_or(0, csv::Position::line);
            if record.iter().all(str::is_empty) {
                continue;
            }
            rows.push((line, record));
        }
        Ok(Rows { header, rows })
    }

    /// The index of column `name`, or why the header lacks it.
    pub(super) fn column(&self, name: &str, what: &str) -> Result<usize, Vec<String>> {
        self.header.iter().position(|h| h == name).ok_or_else(|| {
            vec![format!(
                "1: the header has no `{name}` column ({what}); it has {}",
                self.header
                    .iter()
                    .map(|h| format!("`{h}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )]
        })
    }
}

/// An I/O error's reason, lowercase (`no such file or directory (os error 2)`).
fn io_reason(e: &std::io::Error) -> String {
    let text = e.to_string();
    let mut chars = text.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_lowercase().chain(chars).collect())
}

fn csv_reason(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "not UTF-8 text".to_owned(),
        _ => e.to_string().to_lowercase(),
    }
}

/// Field `column` of `record` (empty when the row is short).
pub(super) fn field(record: &csv::StringRecord, column: usize) -> &str {
    record.get(column).unwrap_or("")
}
