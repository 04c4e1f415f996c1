//! Judging a study: each check against each configuration's mean, and the verdict's
//! ranking of the configurations that pass every check, best first by the scenario's
//! `rank_by` order (or [`Rank::DEFAULT`]).

use std::cmp::Ordering;

use super::AggregateRow;
use crate::scenario::{Check, Rank};

/// A check judged for one configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// The configuration's name.
    pub configuration: String,
    /// The check as written.
    pub check: String,
    /// The metric's mean across replications.
    pub mean: f64,
    /// Whether the check holds for that mean.
    pub pass: bool,
}

impl Verdict {
    /// `PASS name: check (mean x)`, as printed and kept in `manifest.json`.
    pub fn line(&self) -> String {
        format!(
            "{} {}: {} (mean {})",
            if self.pass { "PASS" } else { "FAIL" },
            self.configuration,
            self.check,
            self.mean
        )
    }
}

/// The mean of `metric` for configuration `name` (NaN when absent).
pub fn mean_of(aggregate: &[AggregateRow], name: &str, metric: &str) -> f64 {
    aggregate
        .iter()
        .find(|r| r.variant == name && r.metric == metric)
        .map_or(f64::NAN, |r| r.mean)
}

/// Every check judged against every configuration, configurations in order.
pub fn judge(names: &[String], checks: &[Check], aggregate: &[AggregateRow]) -> Vec<Verdict> {
    let mut out = Vec::new();
    for name in names {
        for check in checks {
            let mean = mean_of(aggregate, name, &check.metric);
            out.push(Verdict {
                configuration: name.clone(),
                check: check.text.clone(),
                mean,
                pass: check.op.holds(mean, check.value),
            });
        }
    }
    out
}

/// The configurations (indices into `names`) that pass every check, best first: compared
/// on each `rank_by` key in turn (a NaN mean ranks last); ties keep file order.
pub fn ranking(
    names: &[String],
    verdicts: &[Verdict],
    aggregate: &[AggregateRow],
    rank_by: &[Rank],
) -> Vec<usize> {
    let mut passing: Vec<usize> = (0..names.len())
        .filter(|&i| {
            verdicts
                .iter()
                .filter(|v| v.configuration == names[i])
                .all(|v| v.pass)
        })
        .collect();
    let key = |i: usize, r: &Rank| {
        let m = mean_of(aggregate, &names[i], &r.metric);
        // Better first: negate when higher is better; NaN last.
        if m.is_nan() {
            f64::INFINITY
        } else if r.highest {
            -m
        } else {
            m
        }
    };
    passing.sort_by(|&a, &b| {
        rank_by
            .iter()
            .map(|r| key(a, r).total_cmp(&key(b, r)))
            .find(|o| *o != Ordering::Equal)
            .unwrap_or(Ordering::Equal)
    });
    passing
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::METRICS;

    fn row(variant: &str, metric: &str, mean: f64) -> AggregateRow {
        AggregateRow {
            variant: variant.into(),
            metric: metric.into(),
            replications: 1,
            mean,
            sd: None,
            ci95_low: None,
            ci95_high: None,
            baseline: "a".into(),
            diff_mean: 0.0,
            diff_ci95_low: None,
            diff_ci95_high: None,
            significant: false,
        }
    }

    #[test]
    fn ranking_keeps_passing_configurations_best_first_by_each_key_in_turn() {
        let names: Vec<String> = ["a", "b", "c", "d"].map(String::from).to_vec();
        let agg = vec![
            row("a", "backend_rps_peak", 300.0),
            row("b", "backend_rps_peak", 100.0),
            row("c", "backend_rps_peak", 100.0),
            row("d", "backend_rps_peak", 50.0),
            row("a", "hit_rate", 0.9),
            row("b", "hit_rate", 0.7),
            row("c", "hit_rate", 0.8),
            row("d", "hit_rate", 0.99),
        ];
        let checks = vec![Check::parse("hit_rate >= 0.75", METRICS).unwrap()];
        let verdicts = judge(&names, &checks, &agg);
        assert_eq!(
            verdicts.iter().map(|v| v.pass).collect::<Vec<_>>(),
            [true, false, true, true]
        );
        let order = |ranks: &[&str]| {
            let ranks: Vec<Rank> = ranks
                .iter()
                .map(|r| Rank::parse(r, METRICS).unwrap())
                .collect();
            ranking(&names, &verdicts, &agg, &ranks)
        };
        // b fails its check, so it is never ranked.
        assert_eq!(order(&["lowest backend_rps_peak"]), [3, 2, 0]);
        assert_eq!(order(&["highest hit_rate"]), [3, 0, 2]);
        assert_eq!(order(&["lowest hit_rate"]), [2, 0, 3]);
        // Ties on the first key fall to the second; full ties keep file order.
        let no_checks = judge(&names, &[], &agg);
        let ranks = [
            Rank::parse("lowest backend_rps_peak", METRICS).unwrap(),
            Rank::parse("highest hit_rate", METRICS).unwrap(),
        ];
        assert_eq!(ranking(&names, &no_checks, &agg, &ranks), [3, 2, 1, 0]);
        assert_eq!(ranking(&names, &no_checks, &agg, &[]), [0, 1, 2, 3]);
    }

    #[test]
    fn rank_parsing() {
        assert!(Rank::parse("lowest hit_rate", METRICS).unwrap().metric == "hit_rate");
        assert!(Rank::parse("highest hit_rate", METRICS).unwrap().highest);
        assert!(Rank::parse("hit_rate", METRICS).is_err());
        assert!(
            Rank::parse("lowest hitrate", METRICS)
                .unwrap_err()
                .contains("unknown metric `hitrate`")
        );
    }
}
