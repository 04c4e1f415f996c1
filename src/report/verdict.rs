//! Judging a study: each check against each configuration's mean, and the verdict's
//! ranking of the configurations that pass every check, best first by the scenario's
//! `rank_by` order (or [`Rank::DEFAULT`]).

use std::cmp::Ordering;

use super::AggregateRow;
use crate::metrics::{Check, Metric, Rank};

/// What a check came to for one configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The mean satisfies the check.
    Pass,
    /// It does not.
    Fail,
    /// Nothing was measured to judge it on: the configuration measured no requests (an
    /// empty trace, clients outside the measured time), or the metric has no value (a
    /// hit rate without cached requests). Counted as failed: a run that measured nothing
    /// must not pass.
    NoData,
}

/// A check judged for one configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// The configuration's name.
    pub configuration: String,
    /// The check as written.
    pub check: String,
    /// The metric's mean across replications.
    pub mean: f64,
    /// What the check came to.
    pub outcome: Outcome,
}

impl Verdict {
    /// Whether the check holds (passes on measured data).
    pub fn pass(&self) -> bool {
        self.outcome == Outcome::Pass
    }

    /// `PASS name: check (mean x)`, as printed and kept in `manifest.json`.
    pub fn line(&self) -> String {
        match self.outcome {
            Outcome::NoData => format!(
                "NO DATA {}: {} (nothing measured to judge it on; counted as failed)",
                self.configuration, self.check
            ),
            Outcome::Pass | Outcome::Fail => format!(
                "{} {}: {} (mean {})",
                if self.pass() { "PASS" } else { "FAIL" },
                self.configuration,
                self.check,
                self.mean
            ),
        }
    }
}

/// The mean of `metric` for configuration `name` (NaN when absent).
pub fn mean_of(aggregate: &[AggregateRow], name: &str, metric: Metric) -> f64 {
    aggregate
        .iter()
        .find(|r| r.variant == name && r.metric == metric)
        .map_or(f64::NAN, |r| r.mean)
}

/// Every check judged against every configuration, configurations in order. A
/// configuration that measured no requests, or a metric without a value, has no data.
pub fn judge(names: &[String], checks: &[Check], aggregate: &[AggregateRow]) -> Vec<Verdict> {
    let mut out = Vec::new();
    for name in names {
        let measured = mean_of(aggregate, name, Metric::Requests) > 0.0;
        for check in checks {
            let mean = mean_of(aggregate, name, check.metric);
            let outcome = if !measured || mean.is_nan() {
                Outcome::NoData
            } else if check.op.holds(mean, check.value) {
                Outcome::Pass
            } else {
                Outcome::Fail
            };
            out.push(Verdict {
                configuration: name.clone(),
                check: check.text.clone(),
                mean,
                outcome,
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
                .all(Verdict::pass)
        })
        .collect();
    let key = |i: usize, r: &Rank| {
        let m = mean_of(aggregate, &names[i], r.metric);
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

    fn row(variant: &str, metric: &str, mean: f64) -> AggregateRow {
        AggregateRow {
            variant: variant.into(),
            metric: Metric::from_name(metric).unwrap(),
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
        let agg: Vec<AggregateRow> = names
            .iter()
            .map(|n| row(n, "requests", 1000.0))
            .chain(agg)
            .collect();
        let checks = vec![Check::parse("hit_rate >= 0.75").unwrap()];
        let verdicts = judge(&names, &checks, &agg);
        assert_eq!(
            verdicts.iter().map(Verdict::pass).collect::<Vec<_>>(),
            [true, false, true, true]
        );
        let order = |ranks: &[&str]| {
            let ranks: Vec<Rank> = ranks.iter().map(|r| Rank::parse(r).unwrap()).collect();
            ranking(&names, &verdicts, &agg, &ranks)
        };
        // b fails its check, so it is never ranked.
        assert_eq!(order(&["lowest backend_rps_peak"]), [3, 2, 0]);
        assert_eq!(order(&["highest hit_rate"]), [3, 0, 2]);
        assert_eq!(order(&["lowest hit_rate"]), [2, 0, 3]);
        // Ties on the first key fall to the second; full ties keep file order.
        let no_checks = judge(&names, &[], &agg);
        let ranks = [
            Rank::parse("lowest backend_rps_peak").unwrap(),
            Rank::parse("highest hit_rate").unwrap(),
        ];
        assert_eq!(ranking(&names, &no_checks, &agg, &ranks), [3, 2, 1, 0]);
        assert_eq!(ranking(&names, &no_checks, &agg, &[]), [0, 1, 2, 3]);
    }

    #[test]
    fn a_check_on_nothing_measured_has_no_data_and_does_not_pass() {
        let names: Vec<String> = ["idle", "busy", "uncached"].map(String::from).to_vec();
        let agg = vec![
            row("idle", "requests", 0.0),
            row("idle", "backend_rps_peak", 0.0),
            row("idle", "hit_rate", f64::NAN),
            row("busy", "requests", 10.0),
            row("busy", "backend_rps_peak", 2.0),
            row("busy", "hit_rate", 0.5),
            // Requests, but none to a cached method: the hit rate has no value.
            row("uncached", "requests", 10.0),
            row("uncached", "backend_rps_peak", 2.0),
            row("uncached", "hit_rate", f64::NAN),
        ];
        let checks = vec![
            Check::parse("backend_rps_peak <= 300").unwrap(),
            Check::parse("hit_rate != 0.9").unwrap(),
        ];
        let outcomes: Vec<Outcome> = judge(&names, &checks, &agg)
            .iter()
            .map(|v| v.outcome)
            .collect();
        use Outcome::*;
        assert_eq!(outcomes, [NoData, NoData, Pass, Pass, Pass, NoData]);
        let verdicts = judge(&names, &checks, &agg);
        assert!(
            verdicts[0]
                .line()
                .starts_with("NO DATA idle: backend_rps_peak <= 300")
        );
        assert_eq!(ranking(&names, &verdicts, &agg, &[]), [1]);
    }
}
