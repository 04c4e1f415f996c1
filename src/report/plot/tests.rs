use super::lines::bands;
use super::*;
use crate::metrics::{Check, Metric};
use crate::report::TimeseriesRow;

fn window(variant: &str, replication: u32, t: f64, hits: u64, misses: u64) -> TimeseriesRow {
    TimeseriesRow {
        variant: variant.into(),
        replication,
        seed: u64::from(replication),
        window_start_s: t,
        requests: hits + misses,
        cache_hits: hits,
        cache_misses: misses,
        backend_requests: misses,
        stale_responses: 0,
        forbidden_403: 0,
        throttled_429: 0,
        errors_5xx: 0,
        backend_inflight_peak: 0,
    }
}

#[test]
fn bands_are_the_mean_and_t_interval_across_replications_per_window() {
    let rows = [
        window("a", 0, 0.0, 8, 2),
        window("a", 1, 0.0, 6, 4),
        window("a", 0, 10.0, 0, 0),
        window("a", 1, 10.0, 5, 5),
        window("b", 0, 0.0, 1, 0),
    ];
    let hit_rate = |r: &TimeseriesRow| {
        let n = r.cache_hits + r.cache_misses;
        (n > 0).then(|| r.cache_hits as f64 / n as f64)
    };
    let b = bands(&rows, "a", hit_rate);
    assert_eq!(b.len(), 2);
    // Window 0: 0.8 and 0.6: mean 0.7, sd 0.1414, half-width t(1) * sd / sqrt(2) = 1.2706.
    let (t, mean, lo, hi) = b[0];
    assert_eq!(t, 0.0);
    assert!((mean - 0.7).abs() < 1e-12);
    assert!(
        (hi - mean - crate::report::aggregate::t975(1.0) * 0.1 * 2f64.sqrt() / 2f64.sqrt()).abs()
            < 1e-9
    );
    assert!((mean - lo - (hi - mean)).abs() < 1e-12);
    // Window 10 s: one replication had no requests, so only the other counts.
    assert_eq!(b[1], (10.0, 0.5, 0.5, 0.5));
    assert_eq!(bands(&rows, "b", hit_rate), [(0.0, 1.0, 1.0, 1.0)]);
    assert!(bands(&rows, "c", hit_rate).is_empty());
}

fn agg(variant: &str, metric: &str, mean: f64, ci: Option<(f64, f64)>) -> AggregateRow {
    AggregateRow {
        variant: variant.into(),
        metric: Metric::from_name(metric).unwrap(),
        replications: 2,
        mean,
        sd: None,
        ci95_low: ci.map(|c| c.0),
        ci95_high: ci.map(|c| c.1),
        baseline: "a".into(),
        diff_mean: 0.0,
        diff_ci95_low: None,
        diff_ci95_high: None,
        significant: false,
    }
}

fn data<'a>(names: &'a [String], aggregate: &'a [AggregateRow]) -> PlotData<'a> {
    PlotData {
        names,
        baseline: 0,
        window_s: 10.0,
        duration_s: 60.0,
        series: &[],
        staleness: &[],
        aggregate,
        compare: &[],
        checks: &[],
    }
}

#[test]
fn comparison_charts_skip_metrics_with_nothing_to_compare() {
    let names = vec!["a".to_owned(), "b".to_owned()];
    let aggregate = [
        agg("a", "hit_rate", 0.9, Some((0.88, 0.92))),
        agg("b", "hit_rate", 0.7, Some((0.69, 0.71))),
        agg("a", "evictions", 0.0, Some((0.0, 0.0))),
        agg("b", "evictions", 0.0, Some((0.0, 0.0))),
        agg("a", "cost_per_hour_usd", 0.02, None),
        agg("b", "cost_per_hour_usd", 0.02, None),
    ];
    let d = data(&names, &aggregate);
    let w = comparison(&d, Metric::HitRate).unwrap();
    assert_eq!(w.rows.len(), 2);
    assert_eq!(w.rows[1].ci, Some((0.69, 0.71)));
    assert_eq!(w.title, "Hit rate, by configuration");
    assert!(comparison(&d, Metric::Evictions).is_none());
    assert!(comparison(&d, Metric::CostPerHour).is_none());
    // A metric a configuration lacks is not drawn half.
    assert!(comparison(&d, Metric::LatencyP99).is_none());
    // One configuration compares with nothing.
    let one = vec!["a".to_owned()];
    assert!(comparison(&data(&one, &aggregate), Metric::HitRate).is_none());
}

#[test]
fn comparison_charts_draw_the_checks_on_their_metric_and_ring_the_baseline() {
    let names = vec!["a".to_owned(), "b".to_owned()];
    let mut aggregate = [
        agg("a", "backend_rps_peak", 160.0, Some((150.0, 170.0))),
        agg("b", "backend_rps_peak", 410.0, Some((400.0, 420.0))),
    ];
    aggregate[1].significant = true;
    let checks = [
        Check::parse("backend_rps_peak <= 300").unwrap(),
        Check::parse("hit_rate >= 0.9").unwrap(),
    ];
    let d = PlotData {
        checks: &checks,
        ..data(&names, &aggregate)
    };
    let w = comparison(&d, Metric::BackendRpsPeak).unwrap();
    assert_eq!(w.thresholds, [(300.0, "<= 300".to_owned())]);
    assert!(
        w.caption
            .contains("The red line is the check `backend_rps_peak <= 300`.")
    );
    let chart = render("t", &w).unwrap();
    assert!(chart.svg.contains("check &lt;= 300") || chart.svg.contains("check <= 300"));
    // The baseline's dot is a ring; only the significant difference is filled.
    let circles: Vec<&str> = chart.svg.split("<circle").skip(1).collect();
    assert_eq!(circles.len(), 2);
    assert!(
        circles[0].contains("fill=\"none\""),
        "the baseline: {}",
        circles[0]
    );
    assert!(
        !circles[1].contains("fill=\"none\""),
        "significant: {}",
        circles[1]
    );
}

#[test]
fn tick_labels_on_a_narrow_range_read_differently() {
    let labels = |range: std::ops::Range<f64>, ticks: &[f64]| -> Vec<String> {
        ticks.iter().map(|&v| tick_in(v, &range)).collect()
    };
    assert_eq!(
        labels(208.6..210.4, &[208.8, 209.0, 209.2, 209.4]),
        ["208.8", "209", "209.2", "209.4"]
    );
    assert_eq!(
        labels(119_000.0..121_000.0, &[119_500.0, 120_000.0, 120_500.0]),
        ["119.5k", "120k", "120.5k"]
    );
    assert_eq!(labels(0.0..1.0, &[0.0, 0.5, 1.0]), ["0", "0.5", "1"]);
    assert_eq!(labels(0.0..3e6, &[1e6, 2.5e6]), ["1M", "2.5M"]);
}

#[test]
fn charts_without_data_still_render() {
    let names = vec!["a".to_owned()];
    let aggregate = [agg("a", "hit_rate", 0.9, None)];
    let charts = charts(&PlotData {
        compare: &[Metric::HitRate],
        ..data(&names, &aggregate)
    })
    .unwrap();
    let stems: Vec<&str> = charts.iter().map(|c| c.stem.as_str()).collect();
    // One configuration with one value: nothing to compare.
    assert_eq!(stems, ["hit-rate", "backend-load", "staleness-cdf"]);
    for c in &charts {
        assert!(c.svg.contains("no data"), "{}", c.stem);
        #[cfg(feature = "png")]
        assert!(c.png.as_ref().unwrap().starts_with(b"\x89PNG\r\n\x1a\n"));
    }
}

#[test]
fn ticks_are_short() {
    assert_eq!(tick(0.0), "0");
    assert_eq!(tick(0.25), "0.25");
    assert_eq!(tick(2.5), "2.5");
    assert_eq!(tick(350.0), "350");
    assert_eq!(tick(25_000.0), "25k");
    assert_eq!(tick(2_500_000.0), "2.5M");
}

#[test]
fn long_names_keep_both_ends() {
    assert_eq!(shorten("short", 10), "short");
    assert_eq!(shorten("ttl=3600,size=6.1", 11), "ttl=3…e=6.1");
    assert_eq!(shorten("ttl=3600,size=6.1", 11).chars().count(), 11);
}
