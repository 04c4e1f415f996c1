//! `aggregate.csv`: per configuration and metric, the mean across replications with its
//! standard deviation and 95% confidence interval (Student t), and the difference from
//! the baseline configuration paired by replication (every configuration of a
//! replication sees the same requests), with its own 95% interval.

use serde::Serialize;

use super::rows::round6;
use crate::metrics::{Metric, SummaryRow};

/// One row of `aggregate.csv`. Intervals are empty with a single replication.
// NOTE: each column is defined in the README's "Report files" section.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AggregateRow {
    pub variant: String,
    pub metric: Metric,
    pub replications: usize,
    pub mean: f64,
    pub sd: Option<f64>,
    pub ci95_low: Option<f64>,
    pub ci95_high: Option<f64>,
    pub baseline: String,
    pub diff_mean: f64,
    pub diff_ci95_low: Option<f64>,
    pub diff_ci95_high: Option<f64>,
    /// The difference's interval excludes 0.
    pub significant: bool,
}

/// The 97.5% quantile of Student's t with `df` degrees of freedom (fractional, as
/// Welch's approximation gives them): the half-width factor of a two-sided 95% interval.
/// NaN when `df` is not positive.
pub fn t975(df: f64) -> f64 {
    use statrs::distribution::{ContinuousCDF, StudentsT};
    StudentsT::new(0.0, 1.0, df).map_or(f64::NAN, |t| t.inverse_cdf(0.975))
}

/// Mean, standard deviation and 95% interval of `xs`.
pub fn mean_ci(xs: &[f64]) -> (f64, Option<f64>, Option<(f64, f64)>) {
    let n = xs.len();
    let mean = xs.iter().sum::<f64>() / n.max(1) as f64;
    if n < 2 {
        return (mean, None, None);
    }
    let sd = (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt();
    let half = t975((n - 1) as f64) * sd / (n as f64).sqrt();
    (mean, Some(sd), Some((mean - half, mean + half)))
}

/// The aggregate rows: `rows` holds every configuration's summary rows in configuration
/// order (`names`), each configuration's replications in order.
pub fn aggregate_rows(names: &[String], baseline: usize, rows: &[SummaryRow]) -> Vec<AggregateRow> {
    let of = |name: &str| {
        rows.iter()
            .filter(move |r| r.variant == name)
            .collect::<Vec<_>>()
    };
    let base = of(&names[baseline]);
    let mut out = Vec::new();
    for name in names {
        let mine = of(name);
        for &metric in Metric::ALL {
            let xs: Vec<f64> = mine.iter().map(|r| r.get(metric)).collect();
            let (mean, sd, ci) = mean_ci(&xs);
            let diffs: Vec<f64> = mine
                .iter()
                .zip(&base)
                .map(|(a, b)| a.get(metric) - b.get(metric))
                .collect();
            let (diff_mean, _, diff_ci) = mean_ci(&diffs);
            let significant = diff_ci.is_some_and(|(lo, hi)| lo > 0.0 || hi < 0.0);
            out.push(AggregateRow {
                variant: name.clone(),
                metric,
                replications: xs.len(),
                mean: round6(mean),
                sd: sd.map(round6),
                ci95_low: ci.map(|c| round6(c.0)),
                ci95_high: ci.map(|c| round6(c.1)),
                baseline: names[baseline].clone(),
                diff_mean: round6(diff_mean),
                diff_ci95_low: diff_ci.map(|c| round6(c.0)),
                diff_ci95_high: diff_ci.map(|c| round6(c.1)),
                significant,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles() {
        // Whole degrees of freedom: the published table of t critical values (NIST/SEMATECH
        // e-Handbook); fractional ones: the density integrated numerically (Simpson's rule,
        // bisection on the CDF).
        for (df, t) in [
            (1.0, 12.7062),
            (2.0, 4.3027),
            (4.0, 2.7764),
            (30.0, 2.0423),
            (120.0, 1.9799),
            (2.5, 3.5747),
            (7.3, 2.3451),
        ] {
            assert!((t975(df) - t).abs() < 1e-4, "t(0.975; {df}) = {}", t975(df));
        }
        assert!(t975(0.0).is_nan() && t975(-1.0).is_nan());
    }

    #[test]
    fn mean_and_interval() {
        let (m, sd, ci) = mean_ci(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(m, 2.5);
        let sd = sd.unwrap();
        assert!((sd - 1.290_994).abs() < 1e-6);
        let (lo, hi) = ci.unwrap();
        let half = t975(3.0) * sd / 2.0;
        assert!((lo - (2.5 - half)).abs() < 1e-9 && (hi - (2.5 + half)).abs() < 1e-9);
        assert_eq!(mean_ci(&[7.0]), (7.0, None, None));
    }
}
