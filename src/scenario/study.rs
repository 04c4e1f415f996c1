//! A study: the configurations a scenario file compares and the checks they must pass.
//!
//! Without `[[variants]]` a file is one configuration, `base`. With them, each variant is
//! a partial scenario merged over the file's own fields: tables merge key by key,
//! arrays of tables merge element by element when their elements are named (`clients` by
//! `name`, `resources` by `method` and `path`; an unmatched element is appended), other
//! values are replaced. The variant marked `baseline = true` (else the first) is the one
//! differences are measured against. `[sweep]` maps dotted field paths to lists of
//! values; every variant is expanded over their cartesian product, each combination a
//! configuration named `variant/label=value,...`. `checks` are `"metric op number"`
//! strings over `summary.csv` columns, judged on the mean across replications.

use super::Scenario;
use super::error::{FieldPath, Seg};
use crate::metrics::{Check, Rank};

/// One configuration to simulate.
#[derive(Debug, Clone)]
pub struct Configuration {
    /// Its name (`base`, or the variant's), used in every output.
    pub name: String,
    /// What it sets over the file, one `field.path = value` line each (the variant's
    /// fields, then the sweep's), for the report.
    pub changes: Vec<String>,
    /// The validated scenario it runs.
    pub scenario: Scenario,
    /// Where its values were written.
    pub origin: Origin,
}

/// Where a configuration's values were written: the files it imports, and where in the
/// scenario file its own fields are (for findings that name what to change).
#[derive(Debug, Clone, Default)]
pub struct Origin {
    /// The variant's place in the file (`variants[2]`), when the file has variants.
    pub variant: Option<FieldPath>,
    /// The sweep's axes: each one's key in `[sweep]` and the field path it sets.
    pub swept: Vec<(String, Vec<String>)>,
    /// The stage file it imports, and whether the variant names it itself (then the
    /// file's own `[stage]` is not part of it).
    pub stage_file: Option<(std::path::PathBuf, bool)>,
    /// The API definition it imports, and whether the variant names it itself.
    pub api_file: Option<(std::path::PathBuf, bool)>,
}

impl Origin {
    /// Where in the scenario file `src` the value at `path` was written (the sweep
    /// axis that sets it, the variant's own field, or the file's), or `None` when the
    /// file does not write it (it came from an imported file, or is a default).
    pub fn written_at(&self, src: &str, path: &FieldPath) -> Option<FieldPath> {
        if let Some(key) = self.swept_by(path) {
            return Some(super::error::at("sweep").key(key));
        }
        if let Some(own) = self.in_variant(src, path) {
            return Some(own);
        }
        let replaced = match path.0.first() {
            Some(Seg::Key(k)) if k == "stage" => self.stage_file.as_ref().is_some_and(|f| f.1),
            Some(Seg::Key(k)) if k == "resources" => self.api_file.as_ref().is_some_and(|f| f.1),
            _ => false,
        };
        (!replaced && super::locate::locate_exact(src, path)).then(|| path.clone())
    }

    /// The `[sweep]` key of the axis that sets `path` (or a table above it).
    pub(super) fn swept_by(&self, path: &FieldPath) -> Option<&str> {
        self.swept
            .iter()
            .find(|(_, axis)| {
                path.0.len() >= axis.len()
                    && path
                        .0
                        .iter()
                        .zip(axis)
                        .all(|(s, k)| matches!(s, Seg::Key(x) if x == k))
            })
            .map(|(key, _)| key.as_str())
    }

    /// `path` under the variant's own table, when the variant writes it in `src`.
    pub(super) fn in_variant(&self, src: &str, path: &FieldPath) -> Option<FieldPath> {
        let mut own = self.variant.clone()?;
        own.0.extend(path.0.iter().cloned());
        super::locate::locate_exact(src, &own).then_some(own)
    }
}

/// `key` as TOML writes it: bare when it can be, quoted otherwise.
fn toml_key(key: &str) -> String {
    if !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        key.to_owned()
    } else {
        toml::Value::String(key.to_owned()).to_string()
    }
}

/// The fields `overlay` sets, one `dotted.path = value` line each, in file order.
pub(super) fn changes(overlay: &toml::Table) -> Vec<String> {
    fn walk(prefix: &str, table: &toml::Table, out: &mut Vec<String>) {
        for (k, v) in table {
            let key = toml_key(k);
            let path = if prefix.is_empty() {
                key
            } else {
                format!("{prefix}.{key}")
            };
            match v {
                toml::Value::Table(t) => walk(&path, t, out),
                toml::Value::Array(a) if a.iter().all(toml::Value::is_table) && !a.is_empty() => {
                    for (i, t) in a.iter().enumerate() {
                        let Some(t) = t.as_table() else { continue };
                        let id = t
                            .get("name")
                            .and_then(toml::Value::as_str)
                            .map(toml_key)
                            .or_else(|| {
                                let m = t.get("method").and_then(toml::Value::as_str)?;
                                let p = t.get("path").and_then(toml::Value::as_str)?;
                                Some(toml_key(&format!("{m} {p}")))
                            })
                            .unwrap_or_else(|| format!("[{i}]"));
                        walk(&format!("{path}.{id}"), t, out);
                    }
                }
                _ => out.push(format!("{path} = {v}")),
            }
        }
    }
    let mut out = Vec::new();
    walk("", overlay, &mut out);
    out
}

/// Every configuration of a scenario file, and its checks.
#[derive(Debug, Clone)]
pub struct Study {
    /// The configurations, in file order.
    pub configurations: Vec<Configuration>,
    /// Index of the baseline configuration.
    pub baseline: usize,
    /// The checks.
    pub checks: Vec<Check>,
    /// The verdict's order, best first.
    pub rank_by: Vec<Rank>,
    /// Which configurations replay the logs and run the fitted model, when the scenario
    /// says (`[calibration]`).
    pub calibration: Option<crate::report::Calibration>,
}

impl Study {
    /// Every configuration's [`Scenario::warnings`], each once, prefixed with the
    /// configurations it holds for when not all of them.
    pub fn warnings(&self) -> Vec<String> {
        let mut by_text: Vec<(String, Vec<&str>)> = Vec::new();
        for c in &self.configurations {
            for w in c.scenario.warnings() {
                match by_text.iter_mut().find(|(t, _)| *t == w) {
                    Some((_, names)) => names.push(&c.name),
                    None => by_text.push((w, vec![&c.name])),
                }
            }
        }
        by_text
            .into_iter()
            .map(|(w, names)| {
                if names.len() == self.configurations.len() {
                    w
                } else {
                    format!("{}: {w}", names.join(", "))
                }
            })
            .collect()
    }

    /// Why the study is too large to run (see [`super::limits`]), if it is: as `validate`
    /// finds it, and again once `run`'s overrides have changed replications or duration.
    pub fn size_problem(&self) -> Option<String> {
        use super::limits;
        let s = self.base();
        if let Some(p) = limits::replications_problem(s.replications) {
            return Some(format!("replications: {p}"));
        }
        if let Some(p) = limits::window_problem(s.duration, s.window) {
            return Some(format!("window: {p}"));
        }
        let windows = limits::windows(s.duration, s.window);
        limits::study_problem(self.configurations.len() as u64, s.replications, windows)
    }

    /// The scenario file's name (the report folder).
    pub fn name(&self) -> &str {
        &self.configurations[self.baseline].scenario.name
    }

    /// The baseline configuration.
    pub fn base(&self) -> &Scenario {
        &self.configurations[self.baseline].scenario
    }
}

/// Fields every configuration shares, so that configurations run on the same traffic
/// for the same time and their replications pair up.
pub(super) const SHARED: &[&str] = &[
    "name",
    "description",
    "seed",
    "duration",
    "warmup",
    "window",
    "replications",
    "calibration",
];

/// One sweep axis: a field path and the values it takes.
#[derive(Debug, Clone)]
pub(super) struct Axis {
    /// The path's segments (table keys, or names of `clients`/`resources` elements).
    pub path: Vec<String>,
    /// A short label: the last segment.
    pub label: String,
    pub values: Vec<toml::Value>,
}

impl Axis {
    /// Parses `key = [values]` of a `[sweep]` table.
    pub(super) fn parse(key: &str, values: &toml::Value) -> Result<Axis, String> {
        // `*` (every element of an array) is not a bare TOML key: quote it.
        let quoted = key
            .split('.')
            .map(|s| if s.trim() == ALL { "\"*\"" } else { s })
            .collect::<Vec<_>>()
            .join(".");
        let path: Vec<String> = toml_edit::Key::parse(&quoted)
            .map_err(|_| {
                format!("`{key}` is not a dotted field path such as \"stage.cache_cluster_size\"")
            })?
            .iter()
            .map(|k| k.get().to_owned())
            .collect();
        let values = match values {
            toml::Value::Array(a) if !a.is_empty() => a.clone(),
            _ => return Err(format!("`{key}` needs a non-empty array of values")),
        };
        let label = path.last().cloned().unwrap_or_default();
        if ["variants", "sweep", "checks", "rank_by"].contains(&path[0].as_str())
            || SHARED.contains(&path[0].as_str())
        {
            return Err(format!(
                "`{}` cannot be swept: every configuration shares it",
                path[0]
            ));
        }
        Ok(Axis {
            path,
            label,
            values,
        })
    }
}

/// The selector of every element of a named array (`clients.*.rate_scale`).
pub(super) const ALL: &str = "*";

/// Sets `path` to `value` in `table`, creating tables on the way; a segment met on an
/// array selects the element with that `name` (clients) or `METHOD /path` (resources),
/// or every element ([`ALL`]).
pub(super) fn set_path(
    table: &mut toml::Table,
    path: &[String],
    value: toml::Value,
) -> Result<(), String> {
    let Some((first, rest)) = path.split_first() else {
        return Err("empty field path".into());
    };
    if rest.is_empty() {
        table.insert(first.clone(), value);
        return Ok(());
    }
    let entry = table
        .entry(first.clone())
        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    match entry {
        toml::Value::Table(t) => set_path(t, rest, value),
        toml::Value::Array(items) => {
            let (selector, rest) = rest.split_first().ok_or("a path ending at an array")?;
            if selector == ALL {
                if items.is_empty() || rest.is_empty() {
                    return Err(format!(
                        "`{first}.*` must select elements and be followed by a field"
                    ));
                }
                for item in items.iter_mut() {
                    match item {
                        toml::Value::Table(t) => set_path(t, rest, value.clone())?,
                        _ => return Err(format!("`{first}` holds a value that is not a table")),
                    }
                }
                return Ok(());
            }
            let item = items
                .iter_mut()
                .find(|e| {
                    let key = element_key(e);
                    key.as_deref() == Some(&format!("name={selector}"))
                        || key.as_deref() == Some(selector.as_str())
                })
                .ok_or_else(|| format!("`{first}` has no element named `{selector}`"))?;
            match item {
                toml::Value::Table(t) if !rest.is_empty() => set_path(t, rest, value),
                _ => Err(format!("`{first}.{selector}` must be followed by a field")),
            }
        }
        _ => Err(format!("`{first}` is not a table")),
    }
}

/// Merges `overlay` into `base` (see the module doc); a table merged into a named array
/// merges each of its entries into the element of that name, or into every element
/// ([`ALL`]). Gives the names that select no element, as `clients.name`.
pub(super) fn merge(base: &mut toml::Table, overlay: &toml::Table) -> Vec<String> {
    let mut unmatched = Vec::new();
    for (k, v) in overlay {
        match (base.get_mut(k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => {
                unmatched.extend(merge(b, o).into_iter().map(|u| format!("{k}.{u}")));
            }
            (Some(toml::Value::Array(b)), toml::Value::Table(o)) if keyed(b) => {
                for (selector, fields) in o {
                    let Some(fields) = fields.as_table() else {
                        unmatched.push(format!("{k}.{}", toml_key(selector)));
                        continue;
                    };
                    let mut found = false;
                    for e in b.iter_mut() {
                        let key = element_key(e);
                        let selected = selector == ALL
                            || key.as_deref() == Some(&format!("name={selector}"))
                            || key.as_deref() == Some(selector.as_str());
                        if let (true, toml::Value::Table(target)) = (selected, e) {
                            found = true;
                            let within = merge(target, fields);
                            unmatched.extend(
                                within
                                    .into_iter()
                                    .map(|u| format!("{k}.{}.{u}", toml_key(selector))),
                            );
                        }
                    }
                    if !found {
                        unmatched.push(format!("{k}.{}", toml_key(selector)));
                    }
                }
            }
            (Some(toml::Value::Array(b)), toml::Value::Array(o)) if keyed(b) && keyed(o) => {
                for item in o {
                    let key = element_key(item);
                    match b.iter_mut().find(|e| element_key(e) == key) {
                        Some(toml::Value::Table(target)) => {
                            if let toml::Value::Table(src) = item {
                                unmatched.extend(merge(target, src));
                            }
                        }
                        _ => b.push(item.clone()),
                    }
                }
            }
            _ => {
                base.insert(k.clone(), v.clone());
            }
        }
    }
    unmatched
}

fn element_key(v: &toml::Value) -> Option<String> {
    let t = v.as_table()?;
    if let Some(name) = t.get("name").and_then(toml::Value::as_str) {
        return Some(format!("name={name}"));
    }
    let method = t.get("method").and_then(toml::Value::as_str)?;
    let path = t.get("path").and_then(toml::Value::as_str)?;
    Some(format!("{method} {path}"))
}

fn keyed(a: &[toml::Value]) -> bool {
    !a.is_empty() && a.iter().all(|v| element_key(v).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_recurses_into_tables_and_named_arrays() {
        let mut base: toml::Table = toml::from_str(
            r#"
a = 1
[stage.method_settings."*/*"]
cache_ttl_in_seconds = 300
require_authorization_for_cache_control = true
[[clients]]
name = "app"
rate = 5
[[clients]]
name = "bot"
rate = 1
[[events]]
at = "1m"
"#,
        )
        .unwrap();
        let overlay: toml::Table = toml::from_str(
            r#"
a = 2
[stage.method_settings."*/*"]
cache_ttl_in_seconds = 60
[[clients]]
name = "bot"
max_age_zero = 1.0
[[clients]]
name = "new"
rate = 9
[[events]]
at = "2m"
"#,
        )
        .unwrap();
        assert!(merge(&mut base, &overlay).is_empty());
        assert_eq!(base["a"].as_integer(), Some(2));
        let ms = &base["stage"]["method_settings"]["*/*"];
        assert_eq!(ms["cache_ttl_in_seconds"].as_integer(), Some(60));
        assert_eq!(
            ms["require_authorization_for_cache_control"].as_bool(),
            Some(true)
        );
        let clients = base["clients"].as_array().unwrap();
        assert_eq!(clients.len(), 3);
        assert_eq!(clients[1]["rate"].as_integer(), Some(1), "kept");
        assert_eq!(clients[1]["max_age_zero"].as_float(), Some(1.0), "merged");
        assert_eq!(
            base["events"].as_array().unwrap().len(),
            1,
            "unnamed arrays are replaced"
        );
        assert_eq!(base["events"][0]["at"].as_str(), Some("2m"));
    }

    #[test]
    fn sweep_paths_reach_tables_and_named_elements() {
        let mut t: toml::Table = toml::from_str(
            "[[clients]]\nname = \"bot\"\nrate = 1\n[[resources]]\nmethod = \"GET\"\npath = \"/p\"\nkeys = 5\n",
        )
        .unwrap();
        let axis = Axis::parse(
            "stage.method_settings.\"*/*\".cache_ttl_in_seconds",
            &toml::Value::Array(vec![60.into()]),
        )
        .unwrap();
        assert_eq!(
            axis.path,
            ["stage", "method_settings", "*/*", "cache_ttl_in_seconds"]
        );
        assert_eq!(axis.label, "cache_ttl_in_seconds");
        set_path(&mut t, &axis.path, 60.into()).unwrap();
        assert_eq!(
            t["stage"]["method_settings"]["*/*"]["cache_ttl_in_seconds"].as_integer(),
            Some(60)
        );
        set_path(
            &mut t,
            &["clients".into(), "bot".into(), "rate".into()],
            7.into(),
        )
        .unwrap();
        assert_eq!(t["clients"][0]["rate"].as_integer(), Some(7));
        set_path(
            &mut t,
            &["resources".into(), "GET /p".into(), "keys".into()],
            9.into(),
        )
        .unwrap();
        assert_eq!(t["resources"][0]["keys"].as_integer(), Some(9));
        let e = set_path(
            &mut t,
            &["clients".into(), "nobody".into(), "rate".into()],
            1.into(),
        )
        .unwrap_err();
        assert!(e.contains("no element named `nobody`"), "{e}");
        assert!(
            Axis::parse("seed", &toml::Value::Array(vec![1.into()]))
                .unwrap_err()
                .contains("cannot be swept")
        );
        assert!(
            Axis::parse("stage.cache_cluster_size", &toml::Value::Array(vec![]))
                .unwrap_err()
                .contains("non-empty array")
        );
    }
}
