//! Arrival times against their definition: exact counts for evenly spaced arrivals,
//! Poisson counts and dispersion against the profile's expected counts.

use super::*;
use crate::sim::rng::{Component, stream};

fn client(rate: Rate, arrival: Arrival, scale: f64) -> ClientModel {
    ClientModel {
        name: "c".into(),
        principal: 0,
        rate,
        rate_scale: scale,
        enabled: true,
        arrival,
        max_age_zero: 0.0,
        mix: vec![(0, 1.0)],
        start: SimTime::ZERO,
        stop: SimTime::MAX,
    }
}

fn profile(steps: &[(u64, f64)], repeat: Option<u64>, offset: u64) -> Rate {
    Rate::Profile(RateProfile::in_seconds(steps, repeat, offset))
}

fn secs(s: u64) -> SimTime {
    SimTime::ZERO + SimDuration::from_secs(s)
}

/// Every arrival of `client` before `until`.
fn times(client: &ClientModel, until: SimTime, seed: u64) -> Vec<SimTime> {
    let mut arrivals = Arrivals::new(client);
    let mut rng = stream(seed, Component::Arrivals, 0);
    let mut out = Vec::new();
    let mut t = arrivals.next(client.start, &mut rng);
    while t < until {
        out.push(t);
        t = arrivals.next(t, &mut rng);
    }
    out
}

fn count(times: &[SimTime], from: SimTime, to: SimTime) -> usize {
    times.iter().filter(|&&t| from <= t && t < to).count()
}

#[test]
fn constant_arrivals_are_exact_at_every_rate() {
    // Gaps of 1.43 µs, 0.1 µs, 3.3 µs, 0.5 µs: rounding each would be far off.
    for rate in [700_000.0, 10_000_000.0, 300_000.0, 2_000_000.0, 1.0, 999.0] {
        let c = client(Rate::Constant(rate), Arrival::Constant, 1.0);
        let n = times(&c, secs(1), 7).len();
        // Times are exact to the microsecond: arrivals in the second's last half
        // microsecond round to its end.
        assert!(
            (n as f64 - rate).abs() <= 1.0 + rate / 1e6,
            "{rate}/s gave {n} arrivals in a second"
        );
    }
}

#[test]
fn poisson_arrivals_keep_their_rate_when_gaps_are_under_a_microsecond() {
    // A Poisson count of mean λ has standard deviation √λ; allow 5 of them.
    for rate in [1_000_000.0, 5_000_000.0, 250_000.0] {
        let c = client(Rate::Constant(rate), Arrival::Poisson, 1.0);
        let n = times(&c, secs(1), 7).len() as f64;
        assert!(
            (n - rate).abs() <= 5.0 * rate.sqrt(),
            "{rate}/s gave {n} arrivals in a second"
        );
    }
}

/// 10/s for 60 s, nothing for 30 s, 40/s for 30 s, every 120 s.
const STEPS: [(u64, f64); 3] = [(0, 10.0), (60, 0.0), (90, 40.0)];

#[test]
fn evenly_spaced_arrivals_follow_each_step_exactly() {
    let c = client(profile(&STEPS, Some(120), 0), Arrival::Constant, 1.0);
    let t = times(&c, secs(1200), 1);
    for cycle in 0..10 {
        let base = cycle * 120;
        for (from, to, rate) in [(0, 60, 10), (60, 90, 0), (90, 120, 40)] {
            let n = count(&t, secs(base + from), secs(base + to));
            let expected = rate * (to - from) as usize;
            assert!(
                n.abs_diff(expected) <= 1,
                "cycle {cycle}, {from}..{to} s: {n} arrivals, expected {expected}"
            );
        }
    }
    // The cumulative rate crosses each whole number once: 18,000 in ten periods.
    assert!(t.len().abs_diff(18_000) <= 1, "{}", t.len());
    // Scaled by 2: twice as many, exactly.
    let doubled = times(
        &client(profile(&STEPS, Some(120), 0), Arrival::Constant, 2.0),
        secs(1200),
        1,
    );
    assert!(doubled.len().abs_diff(36_000) <= 1, "{}", doubled.len());
}

#[test]
fn poisson_arrivals_match_the_profile_in_mean_and_dispersion() {
    let c = client(profile(&STEPS, Some(120), 0), Arrival::Poisson, 1.0);
    let cycles = 200;
    let t = times(&c, secs(120 * cycles), 11);
    // Per 10 s window: a Poisson count of mean rate x 10.
    for (from, to, rate) in [(0u64, 60u64, 10.0), (90, 120, 40.0)] {
        let counts: Vec<f64> = (0..cycles)
            .flat_map(|k| (from..to).step_by(10).map(move |w| (k, w)))
            .map(|(k, w)| count(&t, secs(k * 120 + w), secs(k * 120 + w + 10)) as f64)
            .collect();
        let mean_expected = rate * 10.0;
        let n = counts.len() as f64;
        let mean = counts.iter().sum::<f64>() / n;
        let var = counts.iter().map(|c| (c - mean).powi(2)).sum::<f64>() / (n - 1.0);
        // The mean of n counts has standard deviation sqrt(λ/n).
        assert!(
            (mean - mean_expected).abs() <= 4.0 * (mean_expected / n).sqrt(),
            "{from}..{to} s: mean {mean}, expected {mean_expected}"
        );
        // Poisson: variance equals the mean (the sample variance's standard error is
        // about λ sqrt(2/n) for large λ).
        assert!(
            (var - mean_expected).abs() <= 4.0 * mean_expected * (2.0 / n).sqrt(),
            "{from}..{to} s: variance {var}, expected {mean_expected}"
        );
    }
    // Nothing in the empty step.
    for k in 0..cycles {
        assert_eq!(count(&t, secs(k * 120 + 60), secs(k * 120 + 90)), 0);
    }
}

#[test]
fn a_one_step_profile_gives_the_constant_rates_arrivals() {
    for arrival in [Arrival::Poisson, Arrival::Constant] {
        let constant = times(&client(Rate::Constant(3000.0), arrival, 1.0), secs(30), 5);
        let stepped = times(
            &client(profile(&[(0, 3000.0)], None, 0), arrival, 1.0),
            secs(30),
            5,
        );
        // The same draws; the times differ by rounding alone.
        assert!(constant.len().abs_diff(stepped.len()) <= 1);
        for (a, b) in constant.iter().zip(&stepped) {
            assert!(
                a.saturating_since(*b).as_micros() <= 1 && b.saturating_since(*a).as_micros() <= 1,
                "{a} vs {b}"
            );
        }
    }
}

#[test]
fn offset_start_and_ends_place_the_arrivals() {
    // Offset 90 s: the simulation starts in the 40/s step.
    let c = client(profile(&STEPS, Some(120), 90), Arrival::Constant, 1.0);
    let t = times(&c, secs(60), 1);
    assert!(count(&t, secs(0), secs(30)).abs_diff(1200) <= 1);
    assert!(count(&t, secs(30), secs(60)).abs_diff(300) <= 1);
    // A client starting in the empty step first arrives when the next one begins.
    let mut late = client(profile(&STEPS, Some(120), 0), Arrival::Poisson, 1.0);
    late.start = secs(70);
    let t = times(&late, secs(120), 3);
    assert!(t[0] >= secs(90), "{}", t[0]);
    // Not repeating, ending at 0: arrivals stop for good.
    let once = client(
        profile(&[(0, 100.0), (10, 0.0)], None, 0),
        Arrival::Poisson,
        1.0,
    );
    let mut arrivals = Arrivals::new(&once);
    let mut rng = stream(1, Component::Arrivals, 0);
    let mut last = SimTime::ZERO;
    let mut n = 0;
    loop {
        let next = arrivals.next(last, &mut rng);
        if next == SimTime::MAX {
            break;
        }
        assert!(next < secs(10));
        (last, n) = (next, n + 1);
    }
    assert!((n as f64 - 1000.0).abs() < 5.0 * 1000f64.sqrt(), "{n}");
    // Scaled by 0: nothing at all.
    let off = client(Rate::Constant(5.0), Arrival::Poisson, 0.0);
    assert!(times(&off, SimTime::MAX, 1).is_empty());
    let off = client(profile(&STEPS, Some(120), 0), Arrival::Poisson, 0.0);
    assert!(times(&off, SimTime::MAX, 1).is_empty());
}

#[test]
fn sparse_profiles_skip_whole_periods() {
    // One request a day on average, in the first second of each day: ~365 arrivals in
    // a year, each in a first second.
    let day = 86_400;
    let c = client(
        profile(&[(0, 1.0), (1, 0.0)], Some(day), 0),
        Arrival::Poisson,
        1.0,
    );
    let t = times(&c, secs(365 * day), 9);
    assert!(
        (t.len() as f64 - 365.0).abs() < 5.0 * 365f64.sqrt(),
        "{}",
        t.len()
    );
    assert!(
        t.iter().all(
            |t| t.saturating_since(SimTime::ZERO).as_micros() % (day * 1_000_000) <= 1_000_000
        )
    );
    // A rate so small the first arrival is past any time: never.
    let c = client(
        profile(&[(0, 1e-300), (1, 0.0)], Some(1), 0),
        Arrival::Poisson,
        1.0,
    );
    let mut a = Arrivals::new(&c);
    let mut rng = stream(1, Component::Arrivals, 0);
    assert_eq!(a.next(SimTime::ZERO, &mut rng), SimTime::MAX);
}
