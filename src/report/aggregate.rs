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

/// Two-sided 97.5% quantile of Student's t with `df` degrees of freedom: exact table to
/// 30, then the Cornish-Fisher expansion (error < 1e-3).
pub fn t975(df: usize) -> f64 {
    const TABLE: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042,
    ];
    match df {
        0 => f64::NAN,
        1..=30 => TABLE[df - 1],
        _ => {
            let z = 1.959_964f64;
            let d = df as f64;
            z + (z.powi(3) + z) / (4.0 * d)
                + (5.0 * z.powi(5) + 16.0 * z.powi(3) + 3.0 * z) / (96.0 * d * d)
        }
    }
}

/// Mean, standard deviation and 95% interval of `xs`.
pub fn mean_ci(xs: &[f64]) -> (f64, Option<f64>, Option<(f64, f64)>) {
    let n = xs.len();
    let mean = xs.iter().sum::<f64>() / n.max(1) as f64;
    if n < 2 {
        return (mean, None, None);
    }
    let sd = (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt();
    let half = t975(n - 1) * sd / (n as f64).sqrt();
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
        assert_eq!(t975(1), 12.706);
        assert_eq!(t975(30), 2.042);
        // Published values: t(0.975; 40) = 2.021, t(0.975; 120) = 1.980.
        assert!((t975(40) - 2.021).abs() < 1e-3);
        assert!((t975(120) - 1.980).abs() < 1e-3);
    }

    #[test]
    fn mean_and_interval() {
        let (m, sd, ci) = mean_ci(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(m, 2.5);
        let sd = sd.unwrap();
        assert!((sd - 1.290_994).abs() < 1e-6);
        let (lo, hi) = ci.unwrap();
        let half = 3.182 * sd / 2.0;
        assert!((lo - (2.5 - half)).abs() < 1e-9 && (hi - (2.5 + half)).abs() < 1e-9);
        assert_eq!(mean_ci(&[7.0]), (7.0, None, None));
    }
}
