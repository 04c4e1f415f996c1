//! Time-varying request rates: a client's `rate = { profile = ..., repeat = "24h",
//! offset = "9h" }`. A profile is piecewise constant: each step's rate holds from its
//! start until the next step's (the last one's until `repeat`, or for ever without it).
//! Profile time is simulation time plus `offset`, so a one-hour run can sit at the daily
//! peak. Steps come from a CSV file (`start`, `rate` columns; what `cachegate fit`
//! writes) or inline: `profile = [{ start = "0s", rate = 10 }, { start = "8h", rate = 40 }]`.

use std::sync::Arc;

use super::data_file::{InputFile, Rows, field};
use super::units;
use crate::time::{SimDuration, SimTime};

/// The most steps a profile may have (16 bytes each): a day at one-second resolution
/// is 86,400.
pub const MAX_STEPS: usize = 1_000_000;

/// One step of a rate profile.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Step {
    /// When it starts, in profile time (from the profile's start, within one period).
    pub start: SimDuration,
    /// Requests per second from then on.
    pub rate: f64,
}

/// A client's request rate.
#[derive(Debug, Clone, PartialEq)]
pub enum Rate {
    /// The same at every moment.
    Constant(f64),
    /// Varying over time.
    Profile(RateProfile),
}

impl Rate {
    /// The highest rate it reaches.
    pub fn peak(&self) -> f64 {
        match self {
            Rate::Constant(r) => *r,
            Rate::Profile(p) => p.peak(),
        }
    }

    /// The expected number of arrivals in `[from, to)` of simulation time.
    pub fn expected(&self, from: SimTime, to: SimTime) -> f64 {
        match self {
            Rate::Constant(r) => r * to.saturating_since(from).as_secs_f64(),
            Rate::Profile(p) => p.expected(from, to),
        }
    }
}

/// A piecewise-constant rate over time.
#[derive(Debug, Clone, PartialEq)]
pub struct RateProfile {
    /// The steps, the first at 0, starts strictly increasing.
    pub steps: Arc<Vec<Step>>,
    /// The period it repeats with; `None`: the last step holds for ever.
    pub repeat: Option<SimDuration>,
    /// Profile time at the simulation's start.
    pub offset: SimDuration,
    /// The file it was read from, when not inline.
    pub file: Option<InputFile>,
}

impl RateProfile {
    /// The highest rate of any step.
    pub fn peak(&self) -> f64 {
        self.steps.iter().map(|s| s.rate).fold(0.0, f64::max)
    }

    /// The rate at simulation time `t`.
    pub fn rate_at(&self, t: SimTime) -> f64 {
        let tau = self.within_period(self.profile_time(t));
        let i = self.steps.partition_point(|s| s.start.as_micros() <= tau);
        self.steps[i.saturating_sub(1)].rate
    }

    /// The expected number of arrivals in `[from, to)` of simulation time.
    pub fn expected(&self, from: SimTime, to: SimTime) -> f64 {
        if to <= from {
            return 0.0;
        }
        self.cumulative(self.profile_time(to)) - self.cumulative(self.profile_time(from))
    }

    fn profile_time(&self, t: SimTime) -> u64 {
        t.saturating_since(SimTime::ZERO)
            .as_micros()
            .saturating_add(self.offset.as_micros())
    }

    fn within_period(&self, tau: u64) -> u64 {
        match self.repeat {
            Some(p) => tau % p.as_micros().max(1),
            None => tau,
        }
    }

    /// Expected arrivals from profile time 0 to `tau` (µs).
    fn cumulative(&self, tau: u64) -> f64 {
        let partial = |until: u64| -> f64 {
            let mut sum = 0.0;
            for (i, s) in self.steps.iter().enumerate() {
                let start = s.start.as_micros();
                if start >= until {
                    break;
                }
                let end = self
                    .steps
                    .get(i + 1)
                    .map_or(until, |n| n.start.as_micros().min(until));
                sum += s.rate * (end - start) as f64 / 1e6;
            }
            sum
        };
        match self.repeat {
            Some(p) => {
                let p = p.as_micros().max(1);
                (tau / p) as f64 * partial(p) + partial(tau % p)
            }
            None => partial(tau),
        }
    }
}

#[cfg(test)]
impl RateProfile {
    /// An inline profile for tests: `(start, rate)` steps, period and offset in seconds.
    pub(crate) fn in_seconds(
        steps: &[(u64, f64)],
        repeat: Option<u64>,
        offset: u64,
    ) -> RateProfile {
        RateProfile {
            steps: Arc::new(
                steps
                    .iter()
                    .map(|&(s, r)| Step {
                        start: SimDuration::from_secs(s),
                        rate: r,
                    })
                    .collect(),
            ),
            repeat: repeat.map(SimDuration::from_secs),
            offset: SimDuration::from_secs(offset),
            file: None,
        }
    }
}

/// The steps of a profile file: a `start` column (seconds, or a duration such as
/// `"1h30m"`) and a `rate` column (requests per second, or `"N/DURATION"`).
pub(super) fn parse_csv(rows: &Rows) -> Result<Vec<Step>, Vec<String>> {
    let start = rows.column("start", "when each step starts");
    let rate = rows.column("rate", "requests per second from then on");
    let (start, rate) = match (start, rate) {
        (Ok(s), Ok(r)) => (s, r),
        (s, r) => {
            return Err(s.err().into_iter().chain(r.err()).flatten().collect());
        }
    };
    let mut problems = Vec::new();
    let mut steps = Vec::with_capacity(rows.rows.len().min(MAX_STEPS));
    if rows.rows.len() > MAX_STEPS {
        return Err(vec![format!(
            "{}: {} steps, more than the {MAX_STEPS} a profile may have",
            rows.rows[MAX_STEPS].0,
            rows.rows.len()
        )]);
    }
    for (line, record) in &rows.rows {
        let s = step_start(field(record, start));
        let r = units::rate_per_second(&toml::Value::String(field(record, rate).to_owned()));
        match (s, r) {
            (Ok(s), Ok(r)) => steps.push(Step { start: s, rate: r }),
            (s, r) => {
                if let Err(e) = s {
                    problems.push(format!("{line}: start: {e}"));
                }
                if let Err(e) = r {
                    problems.push(format!("{line}: rate: {e}"));
                }
            }
        }
    }
    if problems.is_empty() {
        let lines: Vec<u64> = rows.rows.iter().map(|(l, _)| *l).collect();
        check_steps(&steps, |i| format!("{}: ", lines[i]))
            .map_err(|e| problems.push(e))
            .ok();
    }
    if problems.is_empty() {
        Ok(steps)
    } else {
        Err(problems)
    }
}

/// A step's start: a number of seconds, or a duration string.
fn step_start(text: &str) -> Result<SimDuration, String> {
    if let Ok(secs) = text.parse::<f64>() {
        if !(secs.is_finite() && secs >= 0.0) {
            return Err(format!(
                "expected seconds >= 0 or a duration such as \"1h\", got \"{text}\""
            ));
        }
        return Ok(SimDuration::from_micros((secs * 1e6).round() as u64));
    }
    units::duration(text).map_err(|e| e.to_string())
}

/// The steps of an inline profile, `[{ start = "0s", rate = 10 }, ...]`.
fn parse_inline(items: &[toml::Value]) -> Result<Vec<Step>, String> {
    if items.len() > MAX_STEPS {
        return Err(format!(
            "{} steps, more than the {MAX_STEPS} a profile may have",
            items.len()
        ));
    }
    let mut steps = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let t = item.as_table().ok_or_else(|| {
            format!("[{i}]: expected {{ start = \"0s\", rate = 10 }}, got {item}")
        })?;
        if let Some(k) = t.keys().find(|k| *k != "start" && *k != "rate") {
            return Err(format!(
                "[{i}]: unknown field `{k}`; expected `start` and `rate`"
            ));
        }
        let start = match t.get("start") {
            Some(toml::Value::String(s)) => step_start(s),
            Some(toml::Value::Integer(n)) => step_start(&n.to_string()),
            Some(toml::Value::Float(x)) => step_start(&x.to_string()),
            Some(other) => Err(format!("expected a duration such as \"8h\", got {other}")),
            None => Err("required: when the step starts, such as \"8h\"".to_owned()),
        }
        .map_err(|e| format!("[{i}].start: {e}"))?;
        let rate = t
            .get("rate")
            .ok_or_else(|| "required: requests per second from then on".to_owned())
            .and_then(units::rate_per_second)
            .map_err(|e| format!("[{i}].rate: {e}"))?;
        steps.push(Step { start, rate });
    }
    check_steps(&steps, |i| format!("[{i}]: "))?;
    Ok(steps)
}

/// That `steps` make a profile: some, the first at 0, starts increasing, not all zero;
/// `at(i)` says where step `i` was written.
fn check_steps(steps: &[Step], at: impl Fn(usize) -> String) -> Result<(), String> {
    let Some(first) = steps.first() else {
        return Err("a profile needs at least one step".into());
    };
    if !first.start.is_zero() {
        return Err(format!(
            "{}the first step must start at 0, got {}",
            at(0),
            first.start
        ));
    }
    if let Some(i) = (1..steps.len()).find(|&i| steps[i].start <= steps[i - 1].start) {
        return Err(format!(
            "{}steps must start in increasing order: {} is not after {}",
            at(i),
            steps[i].start,
            steps[i - 1].start
        ));
    }
    if steps.iter().all(|s| s.rate == 0.0) {
        return Err("every step's rate is 0: the client would send nothing".into());
    }
    Ok(())
}

/// A client's `rate = { profile = ..., repeat = ..., offset = ... }`, with files read
/// through `files` relative to `dir`.
pub(super) fn profile(
    table: &toml::Table,
    dir: &std::path::Path,
    files: &super::data_file::DataFiles,
) -> Result<RateProfile, Vec<String>> {
    let one = |e: String| vec![e];
    const EXPECTED: &str = "expected { profile = \"profiles/x.csv\" } or { profile = [{ start = \"0s\", rate = 10 }, ...] }, with optional `repeat` and `offset` durations";
    let duration = |key: &str| -> Result<Option<SimDuration>, String> {
        match table.get(key) {
            None => Ok(None),
            Some(toml::Value::String(s)) => units::duration(s)
                .map(Some)
                .map_err(|e| format!("{key}: {e}")),
            Some(other) => Err(format!(
                "{key}: expected a duration such as \"24h\", got {other}"
            )),
        }
    };
    if let Some(k) = table
        .keys()
        .find(|k| !["profile", "repeat", "offset"].contains(&k.as_str()))
    {
        return Err(one(format!("unknown field `{k}`; {EXPECTED}")));
    }
    let repeat = duration("repeat").map_err(one)?;
    let offset = duration("offset")
        .map_err(one)?
        .unwrap_or(SimDuration::ZERO);
    if repeat.is_some_and(SimDuration::is_zero) {
        return Err(one("repeat: must be > 0".into()));
    }
    let (steps, file) = match table.get("profile") {
        Some(toml::Value::String(f)) => {
            let loaded = files.profile(&dir.join(f))?;
            (loaded.value.clone(), Some(loaded.file.clone()))
        }
        Some(toml::Value::Array(items)) => (Arc::new(parse_inline(items).map_err(one)?), None),
        Some(other) => return Err(one(format!("{EXPECTED}, got profile = {other}"))),
        None => return Err(one(format!("`profile` is required; {EXPECTED}"))),
    };
    if let (Some(p), Some(last)) = (repeat, steps.last()) {
        if last.start >= p {
            let whence = file
                .as_ref()
                .map_or_else(String::new, |f| format!("{}: ", f.path));
            return Err(one(format!(
                "{whence}a step starts at {}, not within the {p} it repeats with",
                last.start
            )));
        }
    }
    Ok(RateProfile {
        steps,
        repeat,
        offset,
        file,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(steps: &[(u64, f64)], repeat: Option<u64>, offset: u64) -> RateProfile {
        RateProfile::in_seconds(steps, repeat, offset)
    }

    fn at(secs: u64) -> SimTime {
        SimTime::ZERO + SimDuration::from_secs(secs)
    }

    #[test]
    fn expected_arrivals_integrate_the_steps() {
        // 10/s for 60 s, 0 for 30 s, 40/s for 30 s, repeating every 120 s.
        let p = profile(&[(0, 10.0), (60, 0.0), (90, 40.0)], Some(120), 0);
        assert_eq!(p.expected(at(0), at(60)), 600.0);
        assert_eq!(p.expected(at(60), at(90)), 0.0);
        assert_eq!(p.expected(at(0), at(120)), 1800.0);
        assert_eq!(p.expected(at(100), at(130)), 20.0 * 40.0 + 10.0 * 10.0);
        assert_eq!(p.expected(at(0), at(1200)), 18_000.0);
        assert_eq!(p.rate_at(at(59)), 10.0);
        assert_eq!(p.rate_at(at(60)), 0.0);
        assert_eq!(p.rate_at(at(210)), 40.0);
        assert_eq!(p.peak(), 40.0);
        // Offset 90 s: the simulation starts in the 40/s step.
        let shifted = profile(&[(0, 10.0), (60, 0.0), (90, 40.0)], Some(120), 90);
        assert_eq!(shifted.rate_at(at(0)), 40.0);
        assert_eq!(shifted.expected(at(0), at(30)), 1200.0);
        // Without repeat the last step holds.
        let once = profile(&[(0, 10.0), (60, 2.0)], None, 0);
        assert_eq!(once.expected(at(0), at(1060)), 600.0 + 2000.0);
        assert_eq!(Rate::Constant(3.0).expected(at(10), at(20)), 30.0);
    }

    fn inline(src: &str) -> Result<RateProfile, String> {
        let table: toml::Table = toml::from_str(&format!("r = {src}")).unwrap();
        let t = table["r"].as_table().unwrap();
        super::profile(t, std::path::Path::new("."), &Default::default()).map_err(|e| e.join("\n"))
    }

    #[test]
    fn inline_profiles_parse_and_bad_ones_say_why() {
        let p = inline(r#"{ profile = [{ start = "0s", rate = 5 }, { start = 3600, rate = "1/10m" }], repeat = "2h", offset = "30m" }"#).unwrap();
        assert_eq!(p.steps.len(), 2);
        assert_eq!(p.steps[1].start, SimDuration::from_secs(3600));
        assert!((p.steps[1].rate - 1.0 / 600.0).abs() < 1e-12);
        assert_eq!(p.repeat, Some(SimDuration::from_secs(7200)));
        assert_eq!(p.offset, SimDuration::from_secs(1800));
        for (src, expected) in [
            (r#"{ profile = [] }"#, "at least one step"),
            (
                r#"{ profile = [{ start = "1s", rate = 5 }] }"#,
                "must start at 0",
            ),
            (
                r#"{ profile = [{ start = "0s", rate = 5 }, { start = "0s", rate = 1 }] }"#,
                "[1]: steps must start in increasing order",
            ),
            (
                r#"{ profile = [{ start = "0s", rate = 0 }] }"#,
                "every step's rate is 0",
            ),
            (
                r#"{ profile = [{ start = "0s", rate = -1 }] }"#,
                "[0].rate: must be >= 0",
            ),
            (r#"{ profile = [{ start = "0s" }] }"#, "[0].rate: required"),
            (
                r#"{ profile = [{ start = "0s", rate = 1, x = 2 }] }"#,
                "unknown field `x`",
            ),
            (
                r#"{ profile = [{ start = "0s", rate = 1 }, { start = "2h", rate = 1 }], repeat = "1h" }"#,
                "not within the 3600s",
            ),
            (
                r#"{ profile = [{ start = "0s", rate = 1 }], repeat = "0s" }"#,
                "repeat: must be > 0",
            ),
            (
                r#"{ profile = [{ start = "0s", rate = 1 }], every = "1h" }"#,
                "unknown field `every`",
            ),
            (r#"{ repeat = "1h" }"#, "`profile` is required"),
            (r#"{ profile = "no/such.csv" }"#, "such.csv: no such file"),
        ] {
            let err = inline(src).unwrap_err();
            assert!(err.contains(expected), "{src}: {err}");
        }
    }
}
