//! Walker's alias method (Vose's construction) for sampling a finite distribution in
//! O(1): one 64-bit draw picks a column and decides between it and its alias, in
//! integer arithmetic. Used for Zipf key popularity, where rejection-inversion sampling
//! spends most of its time in `powf`.

use super::rng::Rng;

/// A precomputed alias table over `0..n`.
#[derive(Debug, Clone)]
pub struct AliasTable {
    /// Per column: the threshold (out of 2³²) below which the column itself is chosen,
    /// and its alias otherwise.
    columns: Vec<(u32, u32)>,
}

impl AliasTable {
    /// A table for weights (non-negative, not all zero, at most 2³² of them).
    pub fn new(weights: &[f64]) -> Option<AliasTable> {
        let n = weights.len();
        let total: f64 = weights.iter().sum();
        if n == 0 || n > u32::MAX as usize || total.is_nan() || total <= 0.0 || !total.is_finite() {
            return None;
        }
        let mut scaled: Vec<f64> = weights.iter().map(|w| w * n as f64 / total).collect();
        let (mut small, mut large): (Vec<usize>, Vec<usize>) =
            (0..n).partition(|&i| scaled[i] < 1.0);
        let mut columns = vec![(u32::MAX, 0u32); n];
        while let (Some(&s), Some(&l)) = (small.last(), large.last()) {
            small.pop();
            columns[s] = (threshold(scaled[s]), l as u32);
            scaled[l] -= 1.0 - scaled[s];
            if scaled[l] < 1.0 {
                large.pop();
                small.push(l);
            }
        }
        // Whatever remains is (up to rounding) exactly 1: always itself.
        for i in small.into_iter().chain(large) {
            columns[i] = (u32::MAX, i as u32);
        }
        Some(AliasTable { columns })
    }

    /// Draws an index.
    #[inline]
    pub fn sample(&self, rng: &mut Rng) -> u64 {
        use rand::Rng as _;
        let u = rng.next_u64();
        let column = (((u >> 32) * self.columns.len() as u64) >> 32) as usize;
        let (threshold, alias) = self.columns[column];
        if (u as u32) < threshold || threshold == u32::MAX {
            column as u64
        } else {
            u64::from(alias)
        }
    }
}

fn threshold(p: f64) -> u32 {
    (p.clamp(0.0, 1.0) * 4_294_967_296.0).min(4_294_967_295.0) as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::rng::{Component, stream};

    #[test]
    fn frequencies_match_the_weights() {
        let weights = [5.0, 1.0, 0.0, 3.0, 1.0];
        let table = AliasTable::new(&weights).unwrap();
        let mut rng = stream(3, Component::Keys, 0);
        let n = 200_000;
        let mut counts = [0u64; 5];
        for _ in 0..n {
            counts[table.sample(&mut rng) as usize] += 1;
        }
        for (i, &w) in weights.iter().enumerate() {
            let p = w / 10.0;
            let sd = (p * (1.0 - p) / n as f64).sqrt();
            let got = counts[i] as f64 / n as f64;
            assert!(
                (got - p).abs() <= 5.0 * sd + 1e-12,
                "index {i}: {got} vs {p}"
            );
        }
        assert_eq!(counts[2], 0, "zero weight is never drawn");
        assert!(AliasTable::new(&[]).is_none());
        assert!(AliasTable::new(&[0.0, 0.0]).is_none());
    }
}
