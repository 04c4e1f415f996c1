//! Checks (`"metric op number"`, judged on a configuration's mean across replications)
//! and the verdict's order (`"lowest metric"`, `"highest metric"`), as a scenario's
//! `checks` and `rank_by` write them.

use std::fmt;

use super::Metric;

/// Why a check or a `rank_by` key does not parse.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CheckError {
    /// Not three words.
    #[error("expected \"METRIC OP NUMBER\" such as \"hit_rate >= 0.9\", got \"{0}\"")]
    CheckShape(String),
    /// Not `lowest`/`highest` and a metric.
    #[error(
        "expected \"lowest METRIC\" or \"highest METRIC\" such as \"lowest backend_rps_peak\", got \"{0}\""
    )]
    RankShape(String),
    /// No such `summary.csv` column.
    #[error("unknown metric `{0}`; expected one of {names}", names = metric_names())]
    UnknownMetric(String),
    /// Not one of the six comparisons.
    #[error("unknown operator `{0}`; expected <=, <, >=, >, == or !=")]
    UnknownOperator(String),
    /// The bound is not a finite number.
    #[error("expected a number after `{op}`, got `{value}`")]
    NotANumber {
        /// The operator as written.
        op: String,
        /// The bound as written.
        value: String,
    },
}

fn metric_names() -> String {
    let names: Vec<&str> = Metric::ALL.iter().map(|m| m.name()).collect();
    names.join(", ")
}

fn metric(name: &str) -> Result<Metric, CheckError> {
    Metric::from_name(name).ok_or_else(|| CheckError::UnknownMetric(name.to_owned()))
}

/// A comparison operator of a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckOp {
    /// `<=`
    Le,
    /// `<`
    Lt,
    /// `>=`
    Ge,
    /// `>`
    Gt,
    /// `==`
    Eq,
    /// `!=`
    Ne,
}

impl CheckOp {
    fn parse(s: &str) -> Option<CheckOp> {
        Some(match s {
            "<=" => CheckOp::Le,
            "<" => CheckOp::Lt,
            ">=" => CheckOp::Ge,
            ">" => CheckOp::Gt,
            "==" => CheckOp::Eq,
            "!=" => CheckOp::Ne,
            _ => return None,
        })
    }

    /// Whether `x op value` holds.
    pub fn holds(self, x: f64, value: f64) -> bool {
        match self {
            CheckOp::Le => x <= value,
            CheckOp::Lt => x < value,
            CheckOp::Ge => x >= value,
            CheckOp::Gt => x > value,
            CheckOp::Eq => x == value,
            CheckOp::Ne => x != value,
        }
    }
}

/// A pass/fail condition on a metric's mean.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    /// As written (words joined by one space), e.g. `backend_rps_peak <= 300`.
    pub text: String,
    /// The metric judged.
    pub metric: Metric,
    /// The comparison.
    pub op: CheckOp,
    /// The bound.
    pub value: f64,
}

impl Check {
    /// Parses `"metric op number"`.
    ///
    /// ```
    /// use cachegate::metrics::{Check, CheckOp, Metric};
    ///
    /// let check = Check::parse("backend_rps_peak <= 300").unwrap();
    /// assert_eq!((check.metric, check.op, check.value), (Metric::BackendRpsPeak, CheckOp::Le, 300.0));
    /// assert!(Check::parse("hit_ratio >= 0.9").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Check, CheckError> {
        let parts: Vec<&str> = text.split_whitespace().collect();
        let [name, op, value] = parts.as_slice() else {
            return Err(CheckError::CheckShape(text.to_owned()));
        };
        let metric = metric(name)?;
        let op_text = *op;
        let op = CheckOp::parse(op).ok_or_else(|| CheckError::UnknownOperator(op.to_string()))?;
        let value: f64 = value
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite())
            .ok_or_else(|| CheckError::NotANumber {
                op: op_text.to_owned(),
                value: value.to_string(),
            })?;
        Ok(Check {
            text: parts.join(" "),
            metric,
            op,
            value,
        })
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// One key of the verdict's order: a metric and which way is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rank {
    /// The metric compared.
    pub metric: Metric,
    /// `highest` (true) or `lowest` (false) is better.
    pub highest: bool,
}

impl Rank {
    /// The order used when a scenario states none: protect the backend first, then
    /// freshness, then the hit rate, then money.
    pub const DEFAULT: &[Rank] = &[
        Rank::lowest(Metric::BackendRpsPeak),
        Rank::lowest(Metric::StaleFraction),
        Rank::highest(Metric::HitRate),
        Rank::lowest(Metric::CostPerHour),
    ];

    const fn lowest(metric: Metric) -> Rank {
        Rank {
            metric,
            highest: false,
        }
    }

    const fn highest(metric: Metric) -> Rank {
        Rank {
            metric,
            highest: true,
        }
    }

    /// Parses `"lowest METRIC"` or `"highest METRIC"`.
    pub fn parse(text: &str) -> Result<Rank, CheckError> {
        let parts: Vec<&str> = text.split_whitespace().collect();
        match parts.as_slice() {
            ["lowest", m] => Ok(Rank::lowest(metric(m)?)),
            ["highest", m] => Ok(Rank::highest(metric(m)?)),
            _ => Err(CheckError::RankShape(text.to_owned())),
        }
    }
}

impl fmt::Display for Rank {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let way = if self.highest { "highest" } else { "lowest" };
        write!(f, "{way} {}", self.metric)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_parse_or_say_why_not() {
        let c = Check::parse("backend_rps_peak  <=  300").unwrap();
        assert_eq!(
            (c.metric, c.op, c.value, c.text.as_str()),
            (
                Metric::BackendRpsPeak,
                CheckOp::Le,
                300.0,
                "backend_rps_peak <= 300"
            )
        );
        assert!(c.op.holds(300.0, c.value) && !c.op.holds(301.0, c.value));
        let err = |text: &str| Check::parse(text).unwrap_err().to_string();
        assert!(
            err("hit_ratio >= 0.9")
                .starts_with("unknown metric `hit_ratio`; expected one of requests, cache_hits,")
        );
        assert!(err("hit_rate => 0.9").contains("unknown operator `=>`"));
        assert_eq!(
            err("hit_rate >= high"),
            "expected a number after `>=`, got `high`"
        );
        assert_eq!(
            err("hit_rate >= inf"),
            "expected a number after `>=`, got `inf`"
        );
        assert!(err("hit_rate>=0.9").contains("METRIC OP NUMBER"));
    }

    #[test]
    fn ranks_parse_or_say_why_not() {
        assert_eq!(
            Rank::parse("lowest hit_rate").unwrap(),
            Rank::lowest(Metric::HitRate)
        );
        assert!(Rank::parse("highest hit_rate").unwrap().highest);
        assert_eq!(
            Rank::parse("highest hit_rate").unwrap().to_string(),
            "highest hit_rate"
        );
        assert!(matches!(
            Rank::parse("hit_rate"),
            Err(CheckError::RankShape(_))
        ));
        assert_eq!(
            Rank::parse("lowest hitrate"),
            Err(CheckError::UnknownMetric("hitrate".into()))
        );
    }
}
