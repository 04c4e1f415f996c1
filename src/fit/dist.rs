//! A positive quantity (response bytes, integration milliseconds) fitted as a
//! lognormal by maximum likelihood (median `exp(mean ln x)`, sigma the standard
//! deviation of `ln x`), with its empirical quantiles beside it from an HDR histogram
//! (three significant digits) so the fit can be judged.

use hdrhistogram::Histogram;

/// Values of one quantity.
#[derive(Debug, Clone)]
pub struct Dist {
    n: u64,
    zeros: u64,
    sum_ln: f64,
    sum_ln2: f64,
    /// Values x `scale`, as integers.
    hist: Histogram<u64>,
    scale: f64,
}

/// A lognormal fit and the observed quantiles.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DistSummary {
    /// Values above zero.
    pub count: u64,
    /// Values of zero (outside a lognormal; not fitted).
    pub zeros: u64,
    /// Fitted median.
    pub median: f64,
    /// Fitted sigma.
    pub sigma: f64,
    /// Observed mean.
    pub mean: f64,
    /// Observed 50th percentile.
    pub p50: f64,
    /// Observed 90th percentile.
    pub p90: f64,
    /// Observed 99th percentile.
    pub p99: f64,
    /// Observed 99.9th percentile.
    pub p999: f64,
    /// The fitted lognormal's 99th percentile, to compare with `p99`.
    pub fitted_p99: f64,
}

impl Dist {
    /// Values kept to `1 / scale` in the histogram (e.g. 1000 for milliseconds kept to
    /// the microsecond).
    pub fn new(scale: f64) -> Dist {
        Dist {
            n: 0,
            zeros: 0,
            sum_ln: 0.0,
            sum_ln2: 0.0,
            // Up to 2^50 units (a petabyte, or 35 years in microseconds).
            hist: Histogram::new_with_bounds(1, 1 << 50, 3).expect("valid bounds"),
            scale,
        }
    }

    /// Adds a value (negative or not finite: ignored).
    pub fn add(&mut self, x: f64) {
        if !(x.is_finite() && x >= 0.0) {
            return;
        }
        if x == 0.0 {
            self.zeros += 1;
            return;
        }
        self.n += 1;
        let l = x.ln();
        self.sum_ln += l;
        self.sum_ln2 += l * l;
        self.hist
            .saturating_record(((x * self.scale).round() as u64).max(1));
    }

    /// The fit; `None` with no value above zero.
    pub fn summary(&self) -> Option<DistSummary> {
        if self.n == 0 {
            return None;
        }
        let n = self.n as f64;
        let mu = self.sum_ln / n;
        let var = (self.sum_ln2 / n - mu * mu).max(0.0);
        let sigma = var.sqrt();
        let q = |p: f64| self.hist.value_at_quantile(p) as f64 / self.scale;
        Some(DistSummary {
            count: self.n,
            zeros: self.zeros,
            median: mu.exp(),
            sigma,
            mean: self.hist.mean() / self.scale,
            p50: q(0.5),
            p90: q(0.9),
            p99: q(0.99),
            p999: q(0.999),
            fitted_p99: (mu + 2.326_347_874 * sigma).exp(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_distr::{Distribution, LogNormal};

    #[test]
    fn a_sampled_lognormal_is_fitted_back() {
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(3);
        let ln = LogNormal::new(80f64.ln(), 0.6).unwrap();
        let mut d = Dist::new(1_000.0);
        for _ in 0..200_000 {
            d.add(ln.sample(&mut rng));
        }
        d.add(0.0);
        d.add(f64::NAN);
        let s = d.summary().unwrap();
        assert_eq!((s.count, s.zeros), (200_000, 1));
        // Standard errors: median 80 x 0.6 / sqrt(n) = 0.11; sigma 0.6 / sqrt(2n) = 0.001.
        assert!((s.median - 80.0).abs() < 0.5, "{s:?}");
        assert!((s.sigma - 0.6).abs() < 0.005, "{s:?}");
        assert!((s.p50 - 80.0).abs() < 1.0, "{s:?}");
        assert!((s.p99 - s.fitted_p99).abs() / s.fitted_p99 < 0.03, "{s:?}");
        assert!(Dist::new(1.0).summary().is_none());
    }
}
