//! "How well does the model fit?": a scenario's `[calibration]` names the configuration
//! replaying production's logs and the one running the workload fitted from them; this
//! compares them metric by metric (request count, hit rate, backend load mean and
//! busiest second, staleness) with intervals paired by replication, beside production's
//! own hit rate where it is known, and where they disagree by more than the interval
//! says which fitted quantity is the likely cause. Written as `calibration.csv` and a
//! section of the report.

use serde::Serialize;

use super::aggregate::mean_ci;
use super::rows::round6;
use crate::metrics::{Metric, SummaryRow};

/// What the scenario's `[calibration]` says.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Calibration {
    /// The configuration replaying the logs.
    pub replay: String,
    /// The configuration running the fitted workload.
    pub fitted: String,
    /// Production's hit rate over the logs, when known.
    pub observed_hit_rate: Option<f64>,
    /// Where that figure came from.
    pub observed: Option<String>,
}

/// A difference this small relative to the replay's value counts as agreement even when
/// the interval excludes 0 (many replications make any difference significant).
pub const TOLERANCE: f64 = 0.02;

/// The metrics compared.
pub const METRICS: [Metric; 5] = [
    Metric::Requests,
    Metric::HitRate,
    Metric::BackendRpsMean,
    Metric::BackendRpsPeak,
    Metric::StaleFraction,
];

/// One row of `calibration.csv`.
// NOTE: each column is defined in the README's "Report files" section.
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CalibrationRow {
    pub metric: Metric,
    pub replay: f64,
    pub fitted: f64,
    /// Production's value, when known (the hit rate).
    pub observed: Option<f64>,
    /// Fitted minus replay, paired by replication, with its 95% interval.
    pub diff_mean: f64,
    pub diff_ci95_low: Option<f64>,
    pub diff_ci95_high: Option<f64>,
    /// `agrees`, or `disagrees`.
    pub verdict: &'static str,
    /// When they disagree, the fitted quantity that is the likely cause.
    pub likely_cause: String,
}

/// The comparison, from every configuration's summary rows.
pub fn calibration_rows(c: &Calibration, rows: &[SummaryRow]) -> Vec<CalibrationRow> {
    let of = |name: &str| {
        rows.iter()
            .filter(|r| r.variant == name)
            .collect::<Vec<_>>()
    };
    let (replay, fitted) = (of(&c.replay), of(&c.fitted));
    METRICS
        .iter()
        .map(|&metric| {
            let r: Vec<f64> = replay.iter().map(|s| s.get(metric)).collect();
            let f: Vec<f64> = fitted.iter().map(|s| s.get(metric)).collect();
            let (rm, _, _) = mean_ci(&r);
            let (fm, _, _) = mean_ci(&f);
            let diffs: Vec<f64> = f.iter().zip(&r).map(|(a, b)| a - b).collect();
            let (dm, _, ci) = mean_ci(&diffs);
            let within = ci.is_some_and(|(lo, hi)| lo <= 0.0 && hi >= 0.0);
            let small = (fm - rm).abs() <= TOLERANCE * rm.abs().max(f64::MIN_POSITIVE)
                || (rm == 0.0 && fm == 0.0);
            let agrees = within || small;
            CalibrationRow {
                metric,
                replay: round6(rm),
                fitted: round6(fm),
                observed: (metric == Metric::HitRate)
                    .then_some(c.observed_hit_rate)
                    .flatten(),
                diff_mean: round6(dm),
                diff_ci95_low: ci.map(|c| round6(c.0)),
                diff_ci95_high: ci.map(|c| round6(c.1)),
                verdict: if agrees { "agrees" } else { "disagrees" },
                likely_cause: if agrees {
                    String::new()
                } else {
                    cause(metric, fm > rm).to_owned()
                },
            }
        })
        .collect()
}

/// The fitted quantity most likely behind a disagreement on `metric`, the fitted value
/// being `higher` than the replay's or not.
fn cause(metric: Metric, higher: bool) -> &'static str {
    match (metric, higher) {
        (Metric::Requests, _) => {
            "the rate profile: its total differs from the logs' (steps too coarse where the logs start or end, or the run cut at a different place)"
        }
        (Metric::HitRate, true) => {
            "key popularity: the fitted law is more concentrated than the logs' keys (a Zipf law fitted over the head and extrapolated to a longer tail of rarely requested keys, or popularity drifting during the logs, which one fit over the whole span pools)"
        }
        (Metric::HitRate, false) => {
            "temporal locality: the logs request a key again sooner than independent draws from the fitted popularity do (bursts on the same keys), or the fit underestimates the most requested keys"
        }
        (Metric::BackendRpsPeak, false) => {
            "the rate profile is too coarse: the logs' bursts are shorter than its step (fit again with a smaller --window)"
        }
        (Metric::BackendRpsPeak, true) => {
            "arrivals: the fitted Poisson arrivals are burstier than the logs' (a smoother production rate, or a step that averages a quiet and a busy part)"
        }
        (Metric::BackendRpsMean, _) => "follows the hit rate and the request count: see their rows",
        (Metric::StaleFraction, _) => {
            "data_change_rate, which the logs do not show: set it as your data changes"
        }
        _ => "",
    }
}

/// What production's hit rate says about the replay itself, when it is known: the
/// replay uses the scenario's stage, so a gap points at the stage model.
pub fn observed_note(c: &Calibration, rows: &[CalibrationRow]) -> Option<String> {
    let observed = c.observed_hit_rate?;
    let replay = rows.iter().find(|r| r.metric == Metric::HitRate)?.replay;
    let gap = replay - observed;
    Some(if gap.abs() <= TOLERANCE {
        format!(
            "the replay's hit rate ({replay:.4}) is production's ({observed:.4}) within {TOLERANCE}: the stage model reproduces production's cache"
        )
    } else {
        format!(
            "the replay's hit rate ({replay:.4}) differs from production's ({observed:.4}) by {gap:+.4}: the scenario's stage (TTL, capacity, which methods cache, require-authorization) is not production's, or the logs' cache hits are not counted as assumed (see the README's `fit`)"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(variant: &str, replication: u32, hit_rate: f64, peak: u64) -> SummaryRow {
        let mut r = SummaryRow {
            variant: variant.into(),
            replication,
            ..SummaryRow::default()
        };
        r.requests = 1_000;
        r.hit_rate = hit_rate;
        r.backend_rps_peak = peak;
        r.backend_rps_mean = 10.0 * (1.0 - hit_rate);
        r
    }

    #[test]
    fn agreement_disagreement_and_causes() {
        let c = Calibration {
            replay: "replay".into(),
            fitted: "fitted".into(),
            observed_hit_rate: Some(0.70),
            observed: Some("CloudWatch".into()),
        };
        let rows = [
            row("replay", 0, 0.75, 20),
            row("replay", 1, 0.75, 20),
            row("replay", 2, 0.75, 20),
            row("fitted", 0, 0.81, 19),
            row("fitted", 1, 0.80, 21),
            row("fitted", 2, 0.82, 20),
        ];
        let out = calibration_rows(&c, &rows);
        let get = |m: Metric| out.iter().find(|r| r.metric == m).unwrap();
        let h = get(Metric::HitRate);
        assert_eq!((h.replay, h.fitted, h.observed), (0.75, 0.81, Some(0.70)));
        assert_eq!(h.verdict, "disagrees");
        assert!(h.likely_cause.starts_with("key popularity"));
        assert!((h.diff_mean - 0.06).abs() < 1e-9);
        let p = get(Metric::BackendRpsPeak);
        assert_eq!(p.verdict, "agrees", "{p:?}");
        assert_eq!(get(Metric::Requests).verdict, "agrees");
        assert_eq!(get(Metric::StaleFraction).verdict, "agrees");
        let note = observed_note(&c, &out).unwrap();
        assert!(
            note.contains("differs from production's (0.7000) by +0.0500"),
            "{note}"
        );
        // Fitted below the replay: temporal locality.
        let low: Vec<SummaryRow> = rows
            .iter()
            .map(|r| {
                let mut r = r.clone();
                if r.variant == "fitted" {
                    r.hit_rate -= 0.12;
                }
                r
            })
            .collect();
        let out = calibration_rows(&c, &low);
        assert!(
            out[1].likely_cause.starts_with("temporal locality"),
            "{:?}",
            out[1]
        );
    }
}
