//! Empirical key popularity: a resource's `popularity = { empirical = "popularity/x.csv" }`,
//! a CSV file with a `key` and a `weight` column (what `cachegate fit` writes when no
//! Zipf law fits). Key index `i` (the `i`-th row) is requested with probability
//! `weight[i] / sum(weight)`; the key texts name the rows (they must differ) and are
//! not used otherwise.

use std::collections::HashSet;

use super::data_file::{Rows, field};

/// The most keys a popularity file may have: the sampler's table takes 8 bytes a key.
pub const MAX_KEYS: usize = 1 << 24;

/// The weights of a popularity file, one per row.
pub(super) fn parse_csv(rows: &Rows) -> Result<Vec<f64>, Vec<String>> {
    let key = rows.column("key", "each key's name");
    let weight = rows.column("weight", "how often each key is requested");
    let (key, weight) = match (key, weight) {
        (Ok(k), Ok(w)) => (k, w),
        (k, w) => return Err(k.err().into_iter().chain(w.err()).flatten().collect()),
    };
    if rows.rows.len() > MAX_KEYS {
        return Err(vec![format!(
            "{}: {} keys, more than the {MAX_KEYS} a popularity file may have",
            rows.rows[MAX_KEYS].0,
            rows.rows.len()
        )]);
    }
    let mut problems = Vec::new();
    let mut weights = Vec::with_capacity(rows.rows.len());
    let mut seen: HashSet<&str> = HashSet::with_capacity(rows.rows.len());
    for (line, record) in &rows.rows {
        let name = field(record, key);
        if name.is_empty() {
            problems.push(format!("{line}: key: required: the key's name"));
        } else if !seen.insert(name) {
            problems.push(format!("{line}: key: `{name}` is listed twice"));
        }
        let text = field(record, weight);
        match text.parse::<f64>() {
            Ok(w) if w.is_finite() && w >= 0.0 => weights.push(w),
            _ => problems.push(format!(
                "{line}: weight: expected a number >= 0, got \"{text}\""
            )),
        }
    }
    if problems.is_empty() && weights.is_empty() {
        problems.push("2: no keys: expected one row per key".into());
    }
    let total: f64 = weights.iter().sum();
    if problems.is_empty() && total == 0.0 {
        problems.push("2: every weight is 0: no key would be requested".into());
    }
    if problems.is_empty() && !total.is_finite() {
        problems.push("2: the weights sum to more than a number can hold: scale them down".into());
    }
    if problems.is_empty() {
        Ok(weights)
    } else {
        Err(problems)
    }
}
