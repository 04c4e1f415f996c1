//! How large a study may be: bounds checked before anything is allocated for it, so a
//! mistyped `window`, `duration`, `replications` or sweep is a clear error naming the
//! estimate, never an allocation that aborts the process or a run that never ends.

use crate::time::SimDuration;

/// Most configurations a study may expand to (variants times sweep combinations).
pub const MAX_CONFIGURATIONS: u64 = 1_000;

/// Most replications of each configuration.
pub const MAX_REPLICATIONS: u32 = 10_000;

/// Most time-series windows a run may have (`(duration) / window`).
pub const MAX_WINDOWS: u64 = 100_000;

/// Most rows `timeseries.csv` may hold: configurations x replications x windows, each
/// held in memory until the report is written.
pub const MAX_TIMESERIES_ROWS: u64 = 5_000_000;

/// Memory a time-series row takes while the report is assembled, for the estimate.
const ROW_BYTES: u64 = 128;

/// Windows of `window` a measured `duration` has.
pub(crate) fn windows(duration: SimDuration, window: SimDuration) -> u64 {
    duration
        .as_micros()
        .div_ceil(window.as_micros().max(1))
        .max(1)
}

/// Why `window` is too short for `duration`, if it is.
pub(crate) fn window_problem(duration: SimDuration, window: SimDuration) -> Option<String> {
    let n = windows(duration, window);
    (n > MAX_WINDOWS).then(|| {
        let shortest = SimDuration::from_micros(duration.as_micros().div_ceil(MAX_WINDOWS));
        format!(
            "{window} windows over {duration} make {n} windows, more than {MAX_WINDOWS}; \
             use a window of at least {shortest}"
        )
    })
}

/// Why `replications` is too many, if it is.
pub(crate) fn replications_problem(replications: u32) -> Option<String> {
    (replications > MAX_REPLICATIONS)
        .then(|| format!("must be at most {MAX_REPLICATIONS}, got {replications}"))
}

/// Why a study of `configurations` x `replications` runs of `windows` windows each is
/// too large, if it is, with the estimate.
pub(crate) fn study_problem(
    configurations: u64,
    replications: u32,
    windows: u64,
) -> Option<String> {
    let rows = configurations
        .saturating_mul(u64::from(replications))
        .saturating_mul(windows);
    (rows > MAX_TIMESERIES_ROWS).then(|| {
        format!(
            "{configurations} configuration(s) x {replications} replication(s) x {windows} \
             window(s) make {rows} time-series rows (about {} MB held in memory), more than \
             {MAX_TIMESERIES_ROWS}; use a longer `window`, fewer replications or fewer \
             configurations",
            rows.saturating_mul(ROW_BYTES) / 1_000_000
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_bound_holds_at_its_edge() {
        let s = SimDuration::from_secs;
        assert_eq!(windows(s(60), s(10)), 6);
        assert_eq!(windows(s(61), s(10)), 7);
        assert!(window_problem(s(100_000), s(1)).is_none());
        let p = window_problem(s(100_001), s(1)).unwrap();
        assert!(
            p.contains("100001 windows") && p.contains("at least 1.00001s"),
            "{p}"
        );
        assert!(replications_problem(MAX_REPLICATIONS).is_none());
        assert!(replications_problem(MAX_REPLICATIONS + 1).is_some());
        assert!(study_problem(50, 10, 10_000).is_none());
        let p = study_problem(50, 10, 10_001).unwrap();
        assert!(p.contains("5000500 time-series rows (about 640 MB"), "{p}");
        assert!(
            study_problem(u64::MAX, u32::MAX, u64::MAX).is_some(),
            "no overflow"
        );
    }
}
