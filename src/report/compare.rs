//! `cachegate compare A B`: the same metrics of two earlier runs, configuration by
//! configuration, as differences B − A with 95% intervals: paired by replication when
//! both runs used the same seeds (the same traffic), Welch's unpaired interval otherwise.

use std::path::Path;

use serde::Serialize;

use super::aggregate::{mean_ci, t975};
use super::rows::{Manifest, round6};
use crate::metrics::{Metric, SummaryRow};

/// One row of the comparison.
// NOTE: columns are defined in the README's "Comparing two runs" section.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CompareRow {
    pub variant_a: String,
    pub variant_b: String,
    pub metric: Metric,
    pub a_mean: f64,
    pub b_mean: f64,
    pub diff_mean: f64,
    pub diff_ci95_low: Option<f64>,
    pub diff_ci95_high: Option<f64>,
    pub paired: bool,
    pub significant: bool,
}

/// Reads a report folder's `summary.csv`.
pub fn read_summary(dir: &Path) -> Result<Vec<SummaryRow>, String> {
    let path = dir.join("summary.csv");
    let mut reader =
        csv::Reader::from_path(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    reader
        .deserialize()
        .collect::<Result<Vec<SummaryRow>, _>>()
        .map_err(|e| {
            format!(
                "{}: not a summary.csv written by cachegate: {e}",
                path.display()
            )
        })
}

fn variants(rows: &[SummaryRow]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for r in rows {
        if !names.contains(&r.variant) {
            names.push(r.variant.clone());
        }
    }
    names
}

/// Whether two runs' replications may be paired, from their manifests: the same seeds
/// draw the same traffic only over the same simulated time (duration and warm-up) and,
/// for certain, from the same scenario file. `Err` gives why they may not; `Ok` may
/// carry a warning (different scenario files, whose traffic pairs only if their
/// clients, resources and traces are alike).
pub fn pairing(a: &Manifest, b: &Manifest) -> Result<Option<String>, String> {
    if (a.duration_s, a.warmup_s) != (b.duration_s, b.warmup_s) {
        return Err(format!(
            "the runs simulated different times ({} s after {} s of warm-up, and {} s after \
             {} s), so their replications are not paired (Welch's interval)",
            a.duration_s, a.warmup_s, b.duration_s, b.warmup_s
        ));
    }
    if a.seed != b.seed {
        return Err(format!(
            "the runs used different seeds ({} and {}), so their replications are not paired \
             (Welch's interval)",
            a.seed, b.seed
        ));
    }
    Ok((a.scenario_sha256 != b.scenario_sha256).then(|| {
        format!(
            "the runs are of different scenario files ({} and {}); replications are paired \
             by seed, which removes the traffic's noise only when both files draw the same \
             traffic (the same clients, resources' keys and traces)",
            a.scenario_path, b.scenario_path
        )
    }))
}

/// Compares `b` against `a`: configurations with the same name, or the single
/// configuration of each when both have one. Replications are paired when they used the
/// same seeds and `may_pair` (see [`pairing`]).
pub fn compare(
    a: &[SummaryRow],
    b: &[SummaryRow],
    may_pair: bool,
) -> Result<Vec<CompareRow>, String> {
    let (va, vb) = (variants(a), variants(b));
    let pairs: Vec<(String, String)> = if va.len() == 1 && vb.len() == 1 {
        vec![(va[0].clone(), vb[0].clone())]
    } else {
        va.iter()
            .filter(|n| vb.contains(n))
            .map(|n| (n.clone(), n.clone()))
            .collect()
    };
    if pairs.is_empty() {
        return Err(format!(
            "the runs share no configuration name (first: {}; second: {})",
            va.join(", "),
            vb.join(", ")
        ));
    }
    let mut out = Vec::new();
    for (na, nb) in pairs {
        let ra: Vec<&SummaryRow> = a.iter().filter(|r| r.variant == na).collect();
        let rb: Vec<&SummaryRow> = b.iter().filter(|r| r.variant == nb).collect();
        let paired =
            may_pair && ra.len() == rb.len() && ra.iter().zip(&rb).all(|(x, y)| x.seed == y.seed);
        for &metric in Metric::ALL {
            let xs: Vec<f64> = ra.iter().map(|r| r.get(metric)).collect();
            let ys: Vec<f64> = rb.iter().map(|r| r.get(metric)).collect();
            let (ma, sa, _) = mean_ci(&xs);
            let (mb, sb, _) = mean_ci(&ys);
            let ci = if paired {
                let d: Vec<f64> = xs.iter().zip(&ys).map(|(x, y)| y - x).collect();
                mean_ci(&d).2
            } else {
                welch(mb - ma, sa, xs.len(), sb, ys.len())
            };
            out.push(CompareRow {
                variant_a: na.clone(),
                variant_b: nb.clone(),
                metric,
                a_mean: round6(ma),
                b_mean: round6(mb),
                diff_mean: round6(mb - ma),
                diff_ci95_low: ci.map(|c| round6(c.0)),
                diff_ci95_high: ci.map(|c| round6(c.1)),
                paired,
                significant: ci.is_some_and(|(lo, hi)| lo > 0.0 || hi < 0.0),
            });
        }
    }
    Ok(out)
}

/// Welch's 95% interval for a difference of means.
fn welch(diff: f64, sa: Option<f64>, na: usize, sb: Option<f64>, nb: usize) -> Option<(f64, f64)> {
    let (sa, sb) = (sa?, sb?);
    let (va, vb) = (sa * sa / na as f64, sb * sb / nb as f64);
    let se = (va + vb).sqrt();
    if se == 0.0 {
        return Some((diff, diff));
    }
    let df = (va + vb).powi(2) / (va * va / (na as f64 - 1.0) + vb * vb / (nb as f64 - 1.0));
    // Welch's degrees of freedom, fractional as the approximation gives them.
    let half = t975(df) * se;
    Some((diff - half, diff + half))
}
