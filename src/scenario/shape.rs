//! Reading a scenario file past its shape errors. serde stops at the first value of the
//! wrong type; so that `validate` lists every problem at once, each such value is noted
//! and replaced by a stand-in of the expected type (an unknown field is removed), and the
//! file read again, until it reads or a problem cannot be stood in for (a missing
//! field). Later checks then skip whatever lies under a stood-in value, so a stand-in is
//! never reported as a problem of its own.

use super::error::{FieldPath, Problem, Seg};
use super::locate;
use super::raw::RawScenario;

/// Most shape problems read past in one file.
const MAX_PROBLEMS: usize = 100;

/// A scenario file read as far as its shape allows.
pub(super) struct Shape {
    /// The file as read, stand-ins in place of wrong values.
    pub(super) raw: RawScenario,
    /// The same, as a table.
    pub(super) table: toml::Table,
    /// The shape problems found, in the order read.
    pub(super) problems: Vec<Problem>,
    /// Where stand-ins were put: later problems under these paths are not reported.
    pub(super) stood_in: Vec<FieldPath>,
}

/// Reads `src`: a syntax error is the one problem; shape problems are collected (see the
/// module's documentation). `Err` when the file could not be read whole.
pub(super) fn read(src: &str) -> Result<Shape, Vec<Problem>> {
    let de = toml::de::Deserializer::parse(src)
        .map_err(|e| vec![problem(src, &e, FieldPath::default())])?;
    let first = match serde_path_to_error::deserialize::<_, RawScenario>(de) {
        Ok(raw) => {
            // The same text as TOML values: integers past i64 read as the typed struct's
            // u64s but not as values; the expansion of variants works on the values.
            let table =
                toml::from_str(src).map_err(|e| vec![problem(src, &e, FieldPath::default())])?;
            return Ok(Shape {
                raw,
                table,
                problems: Vec::new(),
                stood_in: Vec::new(),
            });
        }
        // Located by the parser's span: exact.
        Err(err) => problem(src, err.inner(), from_serde(err.path())),
    };
    let mut table: toml::Table = toml::from_str(src).map_err(|_| vec![first.clone()])?;
    let mut problems = vec![first];
    let mut stood_in = Vec::new();
    while problems.len() <= MAX_PROBLEMS {
        let last = problems.last().map(|p| (p.path.clone(), p.message.clone()));
        let Some((path, message)) = last else { break };
        if stood_in.contains(&path) || !stand_in(&mut table, &path, &message) {
            break;
        }
        stood_in.push(path);
        match serde_path_to_error::deserialize::<_, RawScenario>(toml::Value::Table(table.clone()))
        {
            Ok(raw) => {
                return Ok(Shape {
                    raw,
                    table,
                    problems,
                    stood_in,
                });
            }
            Err(err) => {
                let path = from_serde(err.path());
                let (line, column) = locate::locate(src, &path).unwrap_or((0, 0));
                problems.push(Problem {
                    line,
                    column,
                    path,
                    message: err.inner().message().trim().to_owned(),
                });
            }
        }
    }
    Err(problems)
}

/// A TOML error as a problem, at its span when it has one.
pub(super) fn problem(src: &str, e: &toml::de::Error, path: FieldPath) -> Problem {
    let (line, column) = match e.span() {
        Some(span) => locate::line_col(src, span.start),
        None => locate::locate(src, &path).unwrap_or((0, 0)),
    };
    let message = match e.message().trim() {
        "u64 value was too large" => {
            format!("integer too large: TOML's integers go up to {}", i64::MAX)
        }
        other => other.to_owned(),
    };
    Problem {
        line,
        column,
        path,
        message,
    }
}

/// serde_path_to_error's path as a field path.
pub(super) fn from_serde(path: &serde_path_to_error::Path) -> FieldPath {
    let mut out = FieldPath::default();
    for seg in path.iter() {
        match seg {
            serde_path_to_error::Segment::Seq { index } => out.0.push(Seg::Index(*index)),
            serde_path_to_error::Segment::Map { key } => out.0.push(Seg::Key(key.clone())),
            serde_path_to_error::Segment::Enum { variant } => out.0.push(Seg::Key(variant.clone())),
            serde_path_to_error::Segment::Unknown => {}
        }
    }
    out
}

/// Puts a stand-in for the value at `path` that serde rejected with `message`: a value of
/// the type it expected, or (an unknown field) nothing. False when there is none to put.
fn stand_in(table: &mut toml::Table, path: &FieldPath, message: &str) -> bool {
    let mut root = toml::Value::Table(std::mem::take(table));
    let done = stand_in_value(&mut root, path, message);
    if let toml::Value::Table(t) = root {
        *table = t;
    }
    done
}

fn stand_in_value(root: &mut toml::Value, path: &FieldPath, message: &str) -> bool {
    if message.starts_with("unknown field") {
        let Some((Seg::Key(key), parent)) = path.0.split_last() else {
            return false;
        };
        return value_at(root, parent)
            .and_then(toml::Value::as_table_mut)
            .is_some_and(|t| t.remove(key.as_str()).is_some());
    }
    match (value_at(root, &path.0), expected_value(message)) {
        (Some(v), Some(stand_in)) if !path.0.is_empty() => {
            *v = stand_in;
            true
        }
        _ => false,
    }
}

/// The value at `segs` under `v`.
fn value_at<'a>(mut v: &'a mut toml::Value, segs: &[Seg]) -> Option<&'a mut toml::Value> {
    for seg in segs {
        v = match seg {
            Seg::Key(k) => v.as_table_mut()?.get_mut(k.as_str())?,
            Seg::Index(i) => v.as_array_mut()?.get_mut(*i)?,
        };
    }
    Some(v)
}

/// A value of the type serde's `message` says it expected (`invalid type: string "abc",
/// expected u64`; `unknown variant `x`, expected one of `a`, `b``).
fn expected_value(message: &str) -> Option<toml::Value> {
    let expected = message.rsplit_once("expected ")?.1;
    if let Some(rest) = expected.strip_prefix("one of ").or(Some(expected)) {
        if let Some(name) = rest.strip_prefix('`').and_then(|r| r.split('`').next()) {
            return Some(toml::Value::String(name.to_owned()));
        }
    }
    let kind = expected.trim_start_matches("a ").trim_start_matches("an ");
    let word = kind.split(|c: char| !c.is_ascii_alphanumeric()).next()?;
    Some(match word {
        "u8" | "u16" | "u32" | "u64" | "usize" | "i8" | "i16" | "i32" | "i64" | "integer" => {
            toml::Value::Integer(0)
        }
        "f32" | "f64" | "float" => toml::Value::Float(0.0),
        "string" | "borrowed" | "char" => toml::Value::String(String::new()),
        "boolean" | "bool" => toml::Value::Boolean(false),
        "sequence" => toml::Value::Array(Vec::new()),
        "map" | "struct" => toml::Value::Table(toml::Table::new()),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stand_ins_have_the_type_serde_expected() {
        let v = |m: &str| expected_value(m);
        assert_eq!(
            v("invalid type: string \"abc\", expected u64"),
            Some(toml::Value::Integer(0))
        );
        assert_eq!(
            v("invalid type: integer `7`, expected a string"),
            Some(toml::Value::String(String::new()))
        );
        assert_eq!(
            v("unknown variant `lfu`, expected `lru` or `fifo`"),
            Some(toml::Value::String("lru".into()))
        );
        assert_eq!(
            v("unknown variant `x`, expected one of `fixed`, `sliding`, `never`"),
            Some(toml::Value::String("fixed".into()))
        );
        assert_eq!(
            v("invalid type: string \"x\", expected a sequence"),
            Some(toml::Value::Array(Vec::new()))
        );
        assert_eq!(
            v("invalid type: string \"x\", expected f64"),
            Some(toml::Value::Float(0.0))
        );
        assert_eq!(v("missing field `seed`"), None);
    }
}
