//! Units a scenario is written in: durations as humantime strings (`"90s"`, `"5m"`,
//! `"1h"`, `"250ms"`), rates per second as a number or `"N/DURATION"` (`"1/10m"` is one
//! per ten minutes). Each parser says what it expected.

use crate::time::SimDuration;

/// Why a duration does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// Not a humantime duration.
    #[error(
        "expected a duration such as \"90s\", \"5m\", \"1h\" or \"250ms\", got \"{text}\" ({why})"
    )]
    Unparsable {
        /// As written.
        text: String,
        /// What humantime found wrong.
        why: String,
    },
    /// Finer than a microsecond.
    #[error("\"{0}\" is finer than the simulator's one microsecond")]
    TooFine(String),
    /// Past the simulated clock's range.
    #[error("\"{0}\" is too long")]
    TooLong(String),
}

/// Parses a humantime duration into simulated time (microsecond resolution).
///
/// ```
/// use cachegate::scenario::parse_duration;
/// use cachegate::time::SimDuration;
///
/// assert_eq!(parse_duration("1m 30s"), Ok(SimDuration::from_secs(90)));
/// assert!(parse_duration("250ns").is_err());
/// ```
pub fn duration(text: &str) -> Result<SimDuration, DurationError> {
    let d = humantime::parse_duration(text.trim()).map_err(|e| DurationError::Unparsable {
        text: text.to_owned(),
        why: e.to_string(),
    })?;
    let micros = d.as_micros();
    if d.as_nanos() % 1_000 != 0 {
        return Err(DurationError::TooFine(text.to_owned()));
    }
    u64::try_from(micros)
        .map(SimDuration::from_micros)
        .map_err(|_| DurationError::TooLong(text.to_owned()))
}

/// Parses a rate per second: a number, or `"N/DURATION"`.
pub fn rate_per_second(value: &toml::Value) -> Result<f64, String> {
    let rate = match value {
        toml::Value::Integer(n) => *n as f64,
        toml::Value::Float(x) => *x,
        toml::Value::String(s) => match s.split_once('/') {
            Some((n, per)) => {
                let n: f64 = n.trim().parse().map_err(|_| {
                    format!("expected \"N/DURATION\" such as \"1/10m\", got \"{s}\"")
                })?;
                let per = duration(per).map_err(|e| e.to_string())?;
                if per.is_zero() {
                    return Err(format!("\"{s}\": the duration must be > 0"));
                }
                n / per.as_secs_f64()
            }
            None => s.trim().parse().map_err(|_| {
                format!(
                    "expected a rate per second or \"N/DURATION\" such as \"1/10m\", got \"{s}\""
                )
            })?,
        },
        other => {
            return Err(format!(
                "expected a rate per second or \"N/DURATION\", got {}",
                other.type_str()
            ));
        }
    };
    if !rate.is_finite() || rate < 0.0 {
        return Err(format!("must be >= 0, got {}", show(rate)));
    }
    Ok(rate)
}

/// A number as a message shows it: plainly, or in scientific notation when very large or
/// very small (`1e300`, not three hundred digits).
pub fn show(x: f64) -> String {
    if x != 0.0 && x.is_finite() && !(1e-4..1e9).contains(&x.abs()) {
        format!("{x:e}")
    } else {
        x.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(duration("90s"), Ok(SimDuration::from_secs(90)));
        assert_eq!(duration("5m"), Ok(SimDuration::from_secs(300)));
        assert_eq!(duration("250ms"), Ok(SimDuration::from_millis(250)));
        assert_eq!(duration("1h 30m"), Ok(SimDuration::from_secs(5_400)));
        assert!(matches!(
            duration("5 minutes please"),
            Err(DurationError::Unparsable { .. })
        ));
        assert!(
            duration("5 minutes please")
                .unwrap_err()
                .to_string()
                .starts_with("expected a duration such as \"90s\"")
        );
        assert_eq!(duration("1ns"), Err(DurationError::TooFine("1ns".into())));
        assert_eq!(
            duration("1ns").unwrap_err().to_string(),
            "\"1ns\" is finer than the simulator's one microsecond"
        );
        assert_eq!(
            duration("600000 years"),
            Err(DurationError::TooLong("600000 years".into()))
        );
    }

    #[test]
    fn rates() {
        let v = |s: &str| rate_per_second(&toml::Value::String(s.into()));
        assert_eq!(v("1/10m"), Ok(1.0 / 600.0));
        assert_eq!(v("30/1s"), Ok(30.0));
        assert_eq!(rate_per_second(&toml::Value::Integer(500)), Ok(500.0));
        assert_eq!(rate_per_second(&toml::Value::Float(0.5)), Ok(0.5));
        assert!(
            rate_per_second(&toml::Value::Integer(-1))
                .unwrap_err()
                .contains("must be >= 0, got -1")
        );
        assert!(v("1/0s").is_err());
        assert!(v("fast").is_err());
    }
}
