//! Logs generated from a known workload, fitted back: the tolerances below are each a
//! few standard errors of the estimate at these sample sizes (stated beside them).

use std::fmt::Write as _;
use std::io::Write as _;

use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, LogNormal, Poisson, Zipf};

use super::*;
use crate::trace::LogFields;

/// Requests a second by hour of day (UTC): quiet nights, a busy day, an evening.
pub(crate) fn hourly(h: u64) -> f64 {
    match h {
        0..8 => 0.2,
        8..20 => 1.0,
        _ => 0.4,
    }
}

const DAY0_MS: u64 = 1_764_028_800_000; // 2025-11-25T00:00:00Z

/// Three days of a known workload: Poisson arrivals at `hourly` rates; 80% `GET
/// /items/{id}` (Zipf 0.9 over 2,000 items), 20% `GET /lists/{name}` (50 lists in two
/// flat bands: 10 of weight 8, 40 of weight 1); principals `app` (85%, 0.5% max-age=0),
/// `bot` (15%, 20% max-age=0); 60% of item responses from the cache (integration
/// latency `-`); item sizes lognormal (median 2,000 B, sigma 0.4), latency lognormal
/// (median 80 ms, sigma 0.5). Gives the records written.
pub(crate) fn write_log(path: &std::path::Path) -> u64 {
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(42);
    let zipf = Zipf::new(2_000.0, 0.9).unwrap();
    let sizes = LogNormal::new(2_000f64.ln(), 0.4).unwrap();
    let latency = LogNormal::new(80f64.ln(), 0.5).unwrap();
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut n = 0;
    let mut line = String::new();
    for hour in 0..72u64 {
        let mean = hourly(hour % 24) * 3_600.0;
        let count = Poisson::new(mean).unwrap().sample(&mut rng) as u64;
        let mut times: Vec<u64> = (0..count)
            .map(|_| DAY0_MS + hour * 3_600_000 + rng.random_range(0..3_600_000u64))
            .collect();
        times.sort_unstable();
        for ms in times {
            n += 1;
            let bot = rng.random_range(0.0..1.0) < 0.15;
            let who = if bot {
                "arn:aws:iam::123456789012:user/bot"
            } else {
                "arn:aws:iam::123456789012:user/app"
            };
            let max_age = rng.random_range(0.0..1.0) < if bot { 0.2 } else { 0.005 };
            let (template, path, size, lat) = if rng.random_range(0.0..1.0) < 0.8 {
                let item = zipf.sample(&mut rng) as u64;
                let hit = rng.random_range(0.0..1.0) < 0.6;
                let lat = if hit {
                    "\"-\"".to_owned()
                } else {
                    format!("{:.0}", latency.sample(&mut rng))
                };
                (
                    "/items/{id}",
                    format!("/prod/items/{item}"),
                    sizes.sample(&mut rng).round() as u64,
                    lat,
                )
            } else {
                let k = rng.random_range(0..18u32);
                let list = if k < 10 {
                    // 10 of weight 8: 80 of 120 draws...
                    format!("top-{}", rng.random_range(0..10u32))
                } else {
                    format!("list-{}", rng.random_range(0..40u32))
                };
                (
                    "/lists/{name}",
                    format!("/prod/lists/{list}"),
                    512,
                    "35".to_owned(),
                )
            };
            line.clear();
            let _ = write!(
                line,
                r#"{{"requestId":"r{n}","requestTimeEpoch":{ms},"httpMethod":"GET","resourcePath":"{template}","path":"{path}","status":"200","responseLength":"{size}","integrationLatency":{lat},"identity":{{"userArn":"{who}","sourceIp":"192.0.2.1"}},"cacheControl":"{}"}}"#,
                if max_age { "no-cache, max-age=0" } else { "-" }
            );
            writeln!(out, "{line}").unwrap();
        }
    }
    n
}

fn options(log: std::path::PathBuf) -> FitOptions {
    let mut fields = LogFields::standard();
    fields.max_age_zero = Some(crate::trace::FieldRule::max_age_zero_in(vec![
        "cacheControl".into(),
    ]));
    FitOptions {
        principals: vec![
            ("arn:aws:iam::123456789012:user/app".into(), "app".into()),
            ("arn:aws:iam::123456789012:user/bot".into(), "bot".into()),
        ],
        max_bad_lines: 0,
        window_s: Some(3_600),
        ..FitOptions::new(vec![log], fields)
    }
}

#[test]
fn a_known_workload_is_fitted_back_within_its_standard_errors() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("access.jsonl");
    let records = write_log(&log);
    let fit = fit(&options(log), &mut |_, _| {}).unwrap();
    assert_eq!(fit.overall.requests, records);
    assert_eq!(fit.logs[0].bad, 0);
    // The average day: each hour's mean over 3 days is a Poisson count of mean
    // 3 x 3600 x rate, over 3 x 3600 s: standard error sqrt(rate / 10800).
    let day = fit
        .overall
        .daily
        .as_ref()
        .expect("three days make an average day");
    assert_eq!((day.window_s, day.steps.len()), (3_600, 24));
    for (start, rate) in &day.steps {
        let expected = hourly(start / 3_600);
        let se = (expected / 10_800.0).sqrt();
        assert!(
            (rate - expected).abs() < 4.0 * se,
            "hour {}: {rate} vs {expected}",
            start / 3_600
        );
    }
    // Resources: shares within 4 binomial standard errors.
    let items = &fit.resources[0];
    let lists = &fit.resources[1];
    assert_eq!(
        (items.label.as_str(), lists.label.as_str()),
        ("GET /items/{id}", "GET /lists/{name}")
    );
    let se = (0.8 * 0.2 / records as f64).sqrt();
    assert!((items.share - 0.8).abs() < 4.0 * se, "{}", items.share);
    // Zipf 0.9 over the items: the exponent within 0.03 and the law holding.
    let z = items.keys.zipf.expect("enough keys repeat");
    assert!((z.exponent - 0.9).abs() < 0.03 && z.fits, "{z:?}");
    assert!(items.keys.exact && items.keys.distinct <= 2_000);
    // The universe behind the keys seen: the 2,000 items, within 5%.
    let u = items.keys.universe.expect("the law fits");
    assert!((1_900..=2_100).contains(&u), "{u}");
    // The lists' two flat bands are no Zipf law.
    let zl = lists.keys.zipf.expect("every list repeats");
    assert!(!zl.fits, "{zl:?}");
    assert_eq!(lists.keys.distinct, 50);
    // Sizes and latency: lognormal medians within 2%, sigmas within 0.02 (standard
    // errors: about 0.5% and 0.003 at these counts).
    let s = items.response_bytes.as_ref().unwrap();
    assert!(
        (s.median / 2_000.0 - 1.0).abs() < 0.02 && (s.sigma - 0.4).abs() < 0.02,
        "{s:?}"
    );
    let l = items.backend_latency_ms.as_ref().unwrap();
    // Latencies are logged to the millisecond: sigma grows by the rounding, a little.
    assert!(
        (l.median / 80.0 - 1.0).abs() < 0.02 && (l.sigma - 0.5).abs() < 0.02,
        "{l:?}"
    );
    // The cache: 60% of item responses had no integration; every list response had one.
    let h = items.cache.hit_rate().unwrap();
    let se = (0.6 * 0.4 / items.traffic.requests as f64).sqrt();
    assert!((h - 0.6).abs() < 4.0 * se, "{h}");
    assert_eq!(lists.cache.from_cache, 0);
    assert_eq!(fit.cache.from_cache, items.cache.from_cache);
    // Principals: shares and max-age=0 shares within 4 standard errors.
    let (app, bot) = (&fit.principals[0], &fit.principals[1]);
    assert_eq!((app.name.as_str(), bot.name.as_str()), ("app", "bot"));
    let se = (0.15 * 0.85 / records as f64).sqrt();
    assert!((bot.share - 0.15).abs() < 4.0 * se, "{}", bot.share);
    let m = bot.max_age_zero.unwrap();
    let se = (0.2 * 0.8 / bot.traffic.requests as f64).sqrt();
    assert!((m - 0.2).abs() < 4.0 * se, "{m}");
    let m = app.max_age_zero.unwrap();
    let se = (0.005 * 0.995 / app.traffic.requests as f64).sqrt();
    assert!((m - 0.005).abs() < 4.0 * se, "{m}");
    assert!((app.mix[0].1 - 0.8).abs() < 0.01, "{:?}", app.mix);
    // The text says it all, and --out writes a profile per principal and the lists'
    // popularity (no Zipf law fits them), which a scenario then reads.
    let text = text(&fit);
    assert!(
        text.contains("resource GET /lists/{name}") && text.contains("no Zipf law fits"),
        "{text}"
    );
    let written = write_files(&fit, dir.path(), false).unwrap();
    let names: Vec<String> = written
        .iter()
        .map(|p| p.strip_prefix(dir.path()).unwrap().display().to_string())
        .collect();
    assert_eq!(
        names,
        [
            "profiles/app.csv",
            "profiles/bot.csv",
            "popularity/get-lists-name.csv"
        ]
    );
    assert!(
        write_files(&fit, dir.path(), false)
            .unwrap_err()
            .contains("exists: not replaced")
    );
    let popularity =
        std::fs::read_to_string(dir.path().join("popularity/get-lists-name.csv")).unwrap();
    assert_eq!(
        popularity.lines().filter(|l| !l.starts_with('#')).count(),
        51
    );
    // Both files are what a scenario reads.
    let scenario = crate::testing::ScenarioText::new("fitted").then(
        r#"[[resources]]
path = "/lists/{name}"
method = "GET"
cache_key_parameters = ["method.request.path.name"]
popularity = { empirical = "popularity/get-lists-name.csv" }
response_bytes = 512
backend_latency = "35ms"
[principals.bot]
[[clients]]
name = "bot"
principal = "bot"
rate = { profile = "profiles/bot.csv", repeat = "24h" }
mix = { "GET /lists/{name}" = 1.0 }"#,
    );
    let s =
        crate::scenario::Scenario::parse(&dir.path().join("s.toml"), scenario.text().as_bytes())
            .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.resources[0].keys, 50);
    assert!(
        (s.clients[0].rate.peak() - 0.15).abs() < 0.05,
        "{:?}",
        s.clients[0].rate.peak()
    );
}

#[test]
fn past_the_key_budget_the_head_is_kept_and_said_so() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("access.jsonl");
    write_log(&log);
    let mut o = options(log);
    o.max_keys = 1_000;
    let fit = fit(&o, &mut |_, _| {}).unwrap();
    let items = &fit.resources[0];
    assert!(!items.keys.exact && items.keys.error > 0);
    // About 2,000 items were seen; the estimate is within 5%.
    assert!(
        (1_850..=2_100).contains(&items.keys.distinct),
        "{}",
        items.keys.distinct
    );
    // The most requested items are the law's first ranks, in order.
    let top: Vec<&str> = items
        .keys
        .top
        .iter()
        .take(3)
        .map(|(k, _)| k.as_str())
        .collect();
    assert_eq!(top, ["items/1", "items/2", "items/3"]);
    // A Zipf law is fitted only over counts the pruning leaves within 10%.
    if let Some(z) = items.keys.zipf {
        assert!(z.ranks >= 3 && (z.exponent - 0.9).abs() < 0.15, "{z:?}");
    }
    assert!(text(&fit).contains("estimated; counts within"));
}

#[test]
fn logs_with_nothing_to_fit_or_too_many_bad_lines_fail_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("empty.jsonl");
    std::fs::write(&log, "\n\n").unwrap();
    let e = fit(&options(log.clone()), &mut |_, _| {})
        .unwrap_err()
        .to_string();
    assert!(e.contains("no request records: nothing to fit"), "{e}");
    std::fs::write(&log, "{\"requestTimeEpoch\": 1}\nnot json\n").unwrap();
    let e = fit(&options(log), &mut |_, _| {}).unwrap_err().to_string();
    assert!(
        e.contains("records did not parse, more than max_bad_lines = 0"),
        "{e}"
    );
}
