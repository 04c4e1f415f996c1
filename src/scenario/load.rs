//! Loading a scenario file: TOML syntax and shape (with the parser's spans), then each
//! configuration (variants x sweep) merged, validated by `validate`, and its problems
//! located at the variant's own line, the sweep axis, or the file's field.

use std::path::Path;

use super::data_file::DataFiles;
use super::error::{FieldPath, Problem, Problems, ScenarioError, at};
use super::imported::{resolve_api_file, resolve_stage_file};
use super::locate;
use super::raw::RawScenario;
use super::study::{Axis, Configuration, Origin, SHARED, Study, changes, merge, set_path};
use super::validate::build;
use super::{limits, shape};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::metrics::{Check, Rank};

/// The study of the scenario file at `path`, whose contents are `bytes`.
pub(super) fn study(path: &Path, bytes: &[u8]) -> Result<Study, ScenarioError> {
    let file = path.display().to_string();
    let invalid = |problems: Vec<Problem>| {
        let all = problems.into_iter().map(|p| p.diagnostic(&file)).collect();
        // Never empty: a file is invalid because something was found.
        ScenarioError::Invalid(Diagnostics::from_vec(all).unwrap_or_else(|| {
            Diagnostic::new(file.clone(), 0, 0, "", "the file is not a valid scenario").into()
        }))
    };
    let src = std::str::from_utf8(bytes).map_err(|e| {
        let (line, column) = locate::line_col(
            &String::from_utf8_lossy(&bytes[..e.valid_up_to()]),
            e.valid_up_to(),
        );
        invalid(vec![Problem {
            line,
            column,
            path: FieldPath::default(),
            message: "the file is not UTF-8 text".into(),
        }])
    })?;
    let shape::Shape {
        raw,
        table,
        problems: shape_problems,
        stood_in,
    } = shape::read(src).map_err(invalid)?;
    let raw = &raw;
    let mut problems = Problems::default();
    let (checks, rank_by) = verdict(raw, &mut problems);
    let axes = axes(raw, &mut problems);
    let file = File {
        path,
        bytes,
        src,
        dir: path.parent().unwrap_or(Path::new(".")),
        raw,
        axes: &axes,
        files: DataFiles::default(),
    };
    // The file as read, with stand-ins for values of the wrong type.
    let mut base: toml::Table = table;
    for k in ["variants", "checks", "sweep", "rank_by"] {
        base.remove(k);
    }
    if let Err(e) = resolve_stage_file(&mut base, file.dir) {
        problems.add(at("stage_file"), e);
    }
    // The workload entries as written, for a variant with an `api_file` of its own.
    let entries = base.get("resources").cloned();
    if let Err(e) = resolve_api_file(&mut base, file.dir) {
        problems.add(at("api_file"), e);
    }
    // No variants: the file itself is the one variant, `base`.
    let implicit = [toml::Table::from_iter([(
        "name".to_owned(),
        toml::Value::String("base".into()),
    )])];
    let variants: &[toml::Table] = if raw.variants.is_empty() {
        &implicit
    } else {
        &raw.variants
    };
    // The study's size, before any configuration is built.
    let combinations = axes
        .iter()
        .try_fold(1u64, |n, (_, a)| n.checked_mul(a.values.len() as u64))
        .unwrap_or(u64::MAX);
    let total = combinations.saturating_mul(variants.len() as u64);
    if total > limits::MAX_CONFIGURATIONS {
        let whence = if axes.is_empty() { "variants" } else { "sweep" };
        problems.add(
            at(whence),
            format!(
                "{} variant(s) x {combinations} sweep combination(s) make {total} \
                 configurations, more than {}; sweep fewer values",
                variants.len(),
                limits::MAX_CONFIGURATIONS
            ),
        );
        return Err(invalid(located(src, problems)));
    }
    let mut configurations = Vec::new();
    let mut baseline = None;
    let mut names: Vec<String> = Vec::new();
    for (i, variant) in variants.iter().enumerate() {
        let variant_path = at("variants").index(i);
        let Some(name) = variant_name(variant, &variant_path, &names, &mut problems) else {
            continue;
        };
        names.push(name.clone());
        match variant.get("baseline") {
            None | Some(toml::Value::Boolean(false)) => {}
            Some(toml::Value::Boolean(true)) if baseline.is_some() => problems.add(
                variant_path.key("baseline"),
                "only one variant can be the baseline",
            ),
            Some(toml::Value::Boolean(true)) => baseline = Some(configurations.len()),
            Some(_) => problems.add(variant_path.key("baseline"), "expected true or false"),
        }
        let variant = Variant {
            overlay: overlay(
                variant,
                &variant_path,
                file.dir,
                &name,
                (&base, entries.as_ref()),
                &mut problems,
            ),
            path: variant_path,
            name,
        };
        for combination in 0..combinations as usize {
            if let Some(c) = file.configuration(&variant, combination, &mut problems) {
                configurations.push(c);
            }
        }
    }
    if let Some(first) = configurations.first() {
        let s = &first.scenario;
        let windows = limits::windows(s.duration, s.window);
        if let Some(problem) = limits::study_problem(total, s.replications, windows) {
            problems.add(at("window"), problem);
        }
    }
    if !shape_problems.is_empty() {
        // Nothing under a stand-in is a problem of the user's.
        problems.0.retain(|(p, _)| {
            !stood_in
                .iter()
                .any(|s| p.0.len() >= s.0.len() && p.0[..s.0.len()] == s.0[..])
        });
        let mut all = located(src, problems);
        all.extend(shape_problems);
        all.sort_by_key(|p| (p.line, p.column));
        return Err(invalid(all));
    }
    let calibration = calibration(raw, &configurations, &mut problems);
    if problems.0.is_empty() && !configurations.is_empty() {
        return Ok(Study {
            configurations,
            baseline: baseline.unwrap_or(0),
            checks,
            rank_by,
            calibration,
        });
    }
    Err(invalid(located(src, problems)))
}

/// `[calibration]`: its configurations must be the study's, two different ones, and the
/// observed hit rate a share.
fn calibration(
    raw: &RawScenario,
    configurations: &[Configuration],
    problems: &mut Problems,
) -> Option<crate::report::Calibration> {
    let c = raw.calibration.as_ref()?;
    let names: Vec<&str> = configurations.iter().map(|c| c.name.as_str()).collect();
    let before = problems.0.len();
    for (field, name) in [("replay", &c.replay), ("fitted", &c.fitted)] {
        if !names.contains(&name.as_str()) && !configurations.is_empty() {
            problems.add(
                at("calibration").key(field),
                format!(
                    "no configuration `{name}`; the study has {}",
                    names
                        .iter()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
    }
    if c.replay == c.fitted {
        problems.add(
            at("calibration").key("fitted"),
            "must name another configuration than `replay`",
        );
    }
    if let Some(h) = c.observed_hit_rate {
        if !(0.0..=1.0).contains(&h) {
            problems.add(
                at("calibration").key("observed_hit_rate"),
                format!("expected a share within 0..=1, got {h}"),
            );
        }
    }
    (problems.0.len() == before).then(|| crate::report::Calibration {
        replay: c.replay.clone(),
        fitted: c.fitted.clone(),
        observed_hit_rate: c.observed_hit_rate,
        observed: c.observed.clone(),
    })
}

/// The checks and the verdict's order (the default one when the file gives none).
fn verdict(raw: &RawScenario, problems: &mut Problems) -> (Vec<Check>, Vec<Rank>) {
    let checks: Vec<Check> = raw
        .checks
        .iter()
        .enumerate()
        .filter_map(|(i, c)| problems.check(&at("checks").index(i), Check::parse(c)))
        .collect();
    let rank_by: Vec<Rank> = if raw.rank_by.is_empty() {
        Rank::DEFAULT.to_vec()
    } else {
        raw.rank_by
            .iter()
            .enumerate()
            .filter_map(|(i, r)| problems.check(&at("rank_by").index(i), Rank::parse(r)))
            .collect()
    };
    (checks, rank_by)
}

/// The `[sweep]` axes, by their key as written.
fn axes(raw: &RawScenario, problems: &mut Problems) -> Vec<(String, Axis)> {
    raw.sweep
        .iter()
        .filter_map(|(key, values)| {
            problems
                .check(&at("sweep").key(key), Axis::parse(key, values))
                .map(|axis| (key.clone(), axis))
        })
        .collect()
}

/// A variant's name: letters, digits, `-`, `_` or `.`, and not one already taken.
fn variant_name(
    variant: &toml::Table,
    path: &FieldPath,
    taken: &[String],
    problems: &mut Problems,
) -> Option<String> {
    let name = match variant.get("name").and_then(toml::Value::as_str) {
        Some(n)
            if !n.is_empty()
                && n.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) =>
        {
            n.to_owned()
        }
        _ => {
            problems.add(
                path.key("name"),
                "every variant needs a `name` of letters, digits, `-`, `_` or `.`",
            );
            return None;
        }
    };
    if taken.contains(&name) {
        problems.add(
            path.key("name"),
            format!("variant `{name}` is declared twice"),
        );
    }
    Some(name)
}

/// A variant: its place in the file, its name, and the file with its fields merged over.
struct Variant {
    path: FieldPath,
    name: String,
    overlay: Overlay,
}

/// The file with a variant's fields merged over it, and those fields as changes.
struct Overlay {
    merged: toml::Table,
    changes: Vec<String>,
    /// The variant's own `stage_file` and `api_file`, as written.
    stage_file: Option<String>,
    api_file: Option<String>,
}

/// The file `base` with `variant`'s own fields merged over it. A field shared by every
/// configuration is refused; a variant's own `stage_file` runs exactly that stage (plus
/// its own `[stage]` fields), not the file's stage with changes; a variant's own
/// `api_file` runs exactly that API's methods, with the file's workload `entries` (the
/// `[[resources]]` as written) and the variant's own merged over them.
fn overlay(
    variant: &toml::Table,
    path: &FieldPath,
    dir: &Path,
    name: &str,
    (base, entries): (&toml::Table, Option<&toml::Value>),
    problems: &mut Problems,
) -> Overlay {
    let mut overlay = variant.clone();
    overlay.remove("name");
    overlay.remove("baseline");
    for shared in SHARED {
        if overlay.contains_key(*shared) {
            problems.add(
                path.key(shared),
                format!("`{shared}` is shared by every configuration (so they pair up); set it at the top of the file"),
            );
        }
    }
    let overlay_changes = changes(&overlay);
    let own_file = |key: &str| {
        overlay
            .get(key)
            .and_then(toml::Value::as_str)
            .map(str::to_owned)
    };
    let (stage_file, api_file) = (own_file("stage_file"), own_file("api_file"));
    let own_stage = if overlay.contains_key("stage_file") {
        if let Err(e) = resolve_stage_file(&mut overlay, dir) {
            problems.add(path.key("stage_file"), format!("variant `{name}`: {e}"));
        }
        overlay.get("stage").cloned()
    } else {
        None
    };
    let own_resources = if overlay.contains_key("api_file") {
        let mut workload = toml::Table::new();
        if let Some(entries) = entries {
            workload.insert("resources".into(), entries.clone());
        }
        if let Some(own) = overlay.get("resources") {
            let unmatched = merge(
                &mut workload,
                &toml::Table::from_iter([("resources".to_owned(), own.clone())]),
            );
            report_unmatched(&unmatched, path, name, problems);
        }
        if let Some(r) = workload.remove("resources") {
            overlay.insert("resources".into(), r);
        }
        if let Err(e) = resolve_api_file(&mut overlay, dir) {
            problems.add(path.key("api_file"), format!("variant `{name}`: {e}"));
        }
        overlay.get("resources").cloned()
    } else {
        None
    };
    let mut merged = base.clone();
    let unmatched = merge(&mut merged, &overlay);
    report_unmatched(&unmatched, path, name, problems);
    if let Some(stage) = own_stage {
        merged.insert("stage".into(), stage);
    }
    if let Some(resources) = own_resources {
        merged.insert("resources".into(), resources);
    }
    Overlay {
        merged,
        changes: overlay_changes,
        stage_file,
        api_file,
    }
}

/// A problem for each element a variant's table names that the file does not have.
fn report_unmatched(unmatched: &[String], path: &FieldPath, name: &str, problems: &mut Problems) {
    for u in unmatched {
        let mut at_path = path.clone();
        for seg in u.split('.') {
            at_path = at_path.key(seg.trim_matches('"'));
        }
        problems.add(
            at_path,
            format!(
                "variant `{name}`: `{u}` selects no element (name one the file declares, or `\"*\"` for every one)"
            ),
        );
    }
}

/// The scenario file being loaded, and what every configuration of it shares.
struct File<'a> {
    path: &'a Path,
    bytes: &'a [u8],
    src: &'a str,
    /// Where its relative paths start.
    dir: &'a Path,
    raw: &'a RawScenario,
    axes: &'a [(String, Axis)],
    /// The data files its configurations read, each once.
    files: DataFiles,
}

impl File<'_> {
    /// The configuration of `variant` at the sweep's `combination` (first axis slowest),
    /// or `None` with its problems added to `problems` where the user wrote them.
    fn configuration(
        &self,
        variant: &Variant,
        combination: usize,
        problems: &mut Problems,
    ) -> Option<Configuration> {
        let mut config = variant.overlay.merged.clone();
        let mut labels = Vec::new();
        let mut config_changes = variant.overlay.changes.clone();
        let mut rest = combination;
        let mut picks = vec![0; self.axes.len()];
        for (j, (_, axis)) in self.axes.iter().enumerate().rev() {
            picks[j] = rest % axis.values.len();
            rest /= axis.values.len();
        }
        for ((key, axis), &pick) in self.axes.iter().zip(&picks) {
            let value = axis.values[pick].clone();
            let shown = value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_owned);
            labels.push(format!("{}={shown}", axis.label));
            config_changes.push(format!("{key} = {value}"));
            if let Err(e) = set_path(&mut config, &axis.path, value) {
                problems.add(at("sweep").key(key), e);
            }
        }
        let name = &variant.name;
        let config_name = match (labels.is_empty(), self.raw.variants.is_empty()) {
            (true, _) => name.clone(),
            (false, true) => labels.join(","),
            (false, false) => format!("{name}/{}", labels.join(",")),
        };
        let mut config_problems = Problems::default();
        let mut scenario =
            match serde_path_to_error::deserialize::<_, RawScenario>(toml::Value::Table(config)) {
                Ok(raw) => build(
                    &raw,
                    (self.path, self.bytes, self.dir),
                    &self.files,
                    &mut config_problems,
                ),
                Err(e) => {
                    config_problems.add(
                        shape::from_serde(e.path()),
                        e.inner().message().trim().to_owned(),
                    );
                    None
                }
            };
        let file = |own: &Option<String>, top: &Option<String>| match (own, top) {
            (Some(f), _) => Some((self.dir.join(f), true)),
            (None, Some(f)) => Some((self.dir.join(f), false)),
            (None, None) => None,
        };
        let origin = Origin {
            variant: (!self.raw.variants.is_empty()).then(|| variant.path.clone()),
            swept: self
                .axes
                .iter()
                .map(|(key, axis)| (key.clone(), axis.path.clone()))
                .collect(),
            stage_file: file(&variant.overlay.stage_file, &self.raw.stage_file),
            api_file: file(&variant.overlay.api_file, &self.raw.api_file),
        };
        // The stage and API files it imports are inputs too.
        if let Some(s) = &mut scenario {
            let imported = [&origin.stage_file, &origin.api_file];
            s.inputs.extend(
                imported
                    .into_iter()
                    .flatten()
                    .filter_map(|(p, _)| self.files.hash(p)),
            );
            s.inputs.sort();
            s.inputs.dedup();
        }
        for (path, message) in config_problems.0 {
            let (at_path, message) =
                self.relocate(&origin, &variant.name, &config_name, path, message);
            if !problems
                .0
                .iter()
                .any(|(q, m)| *q == at_path && *m == message)
            {
                problems.add(at_path, message);
            }
        }
        Some(Configuration {
            name: config_name,
            changes: config_changes,
            scenario: scenario?,
            origin,
        })
    }

    /// Where a configuration's problem at `path` was written: the sweep axis that set
    /// it, the variant's own field, or the file's field.
    fn relocate(
        &self,
        origin: &Origin,
        variant: &str,
        config_name: &str,
        path: FieldPath,
        message: String,
    ) -> (FieldPath, String) {
        if let Some(key) = origin.swept_by(&path) {
            (
                at("sweep").key(key),
                format!("configuration `{config_name}`: {path}: {message}"),
            )
        } else if let Some(own) = origin.in_variant(self.src, &path) {
            (own, format!("variant `{variant}`: {message}"))
        } else {
            (path, message)
        }
    }
}

/// `problems` with their lines and columns in `src`, in file order.
fn located(src: &str, problems: Problems) -> Vec<Problem> {
    let mut located: Vec<Problem> = problems
        .0
        .into_iter()
        .map(|(path, message)| {
            let (line, column) = locate::locate(src, &path).unwrap_or((0, 0));
            Problem {
                line,
                column,
                path,
                message,
            }
        })
        .collect();
    located.sort_by_key(|p| (p.line, p.column));
    located
}
