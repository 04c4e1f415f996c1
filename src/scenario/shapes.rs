//! The fields that take several shapes: key popularity, response sizes and backend
//! latencies (a plain value or `{ lognormal = { median, sigma } }`).

use super::units;
use super::{LatencyDist, Popularity, SizeDist};

pub(super) fn number(v: &toml::Value) -> Option<f64> {
    match v {
        toml::Value::Integer(n) => Some(*n as f64),
        toml::Value::Float(x) => Some(*x),
        _ => None,
    }
}

/// The single `{ name = value }` entry of an inline table.
fn single<'a>(v: &'a toml::Value, names: &[&str]) -> Option<(&'a str, &'a toml::Value)> {
    let t = v.as_table()?;
    if t.len() != 1 {
        return None;
    }
    let (k, v) = t.iter().next()?;
    names.contains(&k.as_str()).then_some((k.as_str(), v))
}

/// The steepest Zipf exponent accepted: at 10 the most popular key already takes 99.9%
/// of requests.
const MAX_ZIPF: f64 = 10.0;

pub(super) fn popularity(v: &toml::Value) -> Result<Popularity, String> {
    const EXPECTED: &str = "expected \"uniform\", { zipf = S } with S within 0..=10, or { empirical = \"popularity/x.csv\" }";
    if v.as_str() == Some("uniform") {
        return Ok(Popularity::Uniform);
    }
    match single(v, &["zipf"]).and_then(|(_, s)| number(s)) {
        Some(s) if (0.0..=MAX_ZIPF).contains(&s) => Ok(Popularity::Zipf(s)),
        Some(s) => Err(format!(
            "expected {{ zipf = S }} with S within 0..=10, got zipf = {}",
            units::show(s)
        )),
        None => Err(format!("{EXPECTED}, got {v}")),
    }
}

/// The widest lognormal accepted: at sigma 5 the 99.9th percentile is already 5 million
/// times the median.
const MAX_SIGMA: f64 = 5.0;

fn lognormal_fields(v: &toml::Value) -> Result<(&toml::Value, f64), String> {
    let t = v
        .as_table()
        .ok_or("expected { median = ..., sigma = ... }")?;
    for k in t.keys() {
        if k != "median" && k != "sigma" {
            return Err(format!(
                "unknown field `{k}` in lognormal; expected `median` and `sigma`"
            ));
        }
    }
    let median = t.get("median").ok_or("lognormal needs `median`")?;
    let sigma = t
        .get("sigma")
        .and_then(number)
        .ok_or("lognormal needs a numeric `sigma`")?;
    if !(0.0..=MAX_SIGMA).contains(&sigma) {
        return Err(format!(
            "lognormal sigma must be within 0..={MAX_SIGMA}, got {}",
            units::show(sigma)
        ));
    }
    Ok((median, sigma))
}

pub(super) fn size_dist(v: &toml::Value) -> Result<SizeDist, String> {
    const EXPECTED: &str = "expected a byte count or { lognormal = { median = BYTES, sigma = S } }";
    if let toml::Value::Integer(n) = v {
        return u64::try_from(*n)
            .map(SizeDist::Fixed)
            .map_err(|_| format!("must be >= 0, got {n}"));
    }
    let (_, ln) = single(v, &["lognormal"]).ok_or_else(|| format!("{EXPECTED}, got {v}"))?;
    let (median, sigma) = lognormal_fields(ln)?;
    match number(median) {
        Some(m) if m > 0.0 && m.is_finite() => Ok(SizeDist::LogNormal { median: m, sigma }),
        _ => Err(format!(
            "lognormal median must be a byte count > 0, got {median}"
        )),
    }
}

pub(super) fn latency_dist(v: &toml::Value) -> Result<LatencyDist, String> {
    const EXPECTED: &str = "expected a duration such as \"80ms\", { lognormal = { median = \"80ms\", sigma = S } } or { exponential = { mean = \"50ms\" } }";
    if let Some(s) = v.as_str() {
        return units::duration(s)
            .map(LatencyDist::Fixed)
            .map_err(|e| e.to_string());
    }
    let (name, ln) =
        single(v, &["lognormal", "exponential"]).ok_or_else(|| format!("{EXPECTED}, got {v}"))?;
    if name == "exponential" {
        return exponential(ln);
    }
    let (median, sigma) = lognormal_fields(ln)?;
    let median = units::duration(
        median
            .as_str()
            .ok_or("lognormal median must be a duration string such as \"80ms\"")?,
    )
    .map_err(|e| e.to_string())?;
    if median.is_zero() {
        return Err("lognormal median must be > 0".into());
    }
    Ok(LatencyDist::LogNormal { median, sigma })
}

/// `{ mean = "50ms" }`: exponential latencies with that mean.
fn exponential(v: &toml::Value) -> Result<LatencyDist, String> {
    const EXPECTED: &str = "expected { mean = \"50ms\" }";
    let t = v.as_table().ok_or(EXPECTED)?;
    if let Some(k) = t.keys().find(|k| *k != "mean") {
        return Err(format!(
            "unknown field `{k}` in exponential; expected `mean`"
        ));
    }
    let mean = t
        .get("mean")
        .and_then(toml::Value::as_str)
        .ok_or("exponential needs `mean`, a duration string such as \"50ms\"")?;
    let mean = units::duration(mean).map_err(|e| e.to_string())?;
    if mean.is_zero() {
        return Err("exponential mean must be > 0".into());
    }
    Ok(LatencyDist::Exponential { mean })
}
