//! Workloads read from data files, end to end: a rate profile drives the measured
//! request counts window by window, and an empirical popularity gives the LRU hit ratio
//! Che's approximation predicts for its weights.

use std::path::Path;

use super::*;
use crate::scenario::Scenario;
use crate::testing::ScenarioText;

/// `text` as a scenario file in `dir` (so its data files resolve there).
fn scenario_in(dir: &Path, text: &ScenarioText) -> Scenario {
    let path = dir.join("s.toml");
    Scenario::parse(&path, text.text().as_bytes()).unwrap_or_else(|e| panic!("{e}"))
}

fn resource(keys: &str, popularity: &str) -> String {
    format!(
        r#"[[resources]]
path = "/items/{{id}}"
method = "GET"
cache_key_parameters = ["method.request.path.id"]
{keys}
popularity = {popularity}
response_bytes = 100
backend_latency = "0ms"
[principals.public]
"#
    )
}

#[test]
fn a_rate_profile_drives_the_measured_requests_window_by_window() {
    let dir = tempfile::tempdir().unwrap();
    // 100/s for 20 s, nothing for 10 s, 300/s for 30 s, every minute.
    std::fs::write(
        dir.path().join("profile.csv"),
        "# from cachegate fit\nstart,rate,requests\n0,100,2000\n20s,0,0\n30,300,9000\n",
    )
    .unwrap();
    let client = |arrival: &str, scale: f64| {
        format!(
            r#"[[clients]]
name = "c"
principal = "public"
rate = {{ profile = "profile.csv", repeat = "1m" }}
rate_scale = {scale}
arrival = "{arrival}"
mix = {{ "GET /items/{{id}}" = 1.0 }}"#
        )
    };
    let text = |arrival: &str, scale: f64| {
        ScenarioText::new("profile")
            .window("10s")
            .duration("10m")
            .then(&resource("keys = 100", "\"uniform\""))
            .then(&client(arrival, scale))
    };
    // Evenly spaced: every 10 s window gets its step's rate x 10, to one request.
    for scale in [1.0, 2.5] {
        let s = scenario_in(dir.path(), &text("constant", scale));
        assert_eq!(s.inputs.len(), 1);
        assert_eq!(
            s.inputs[0].sha256,
            crate::checksum::sha256(&std::fs::read(dir.path().join("profile.csv")).unwrap())
        );
        let out = run(&s, 0, &mut |_| {}).unwrap();
        let windows = out.recorder.windows();
        assert_eq!(windows.len(), 60);
        for (i, w) in windows.iter().enumerate() {
            let rate = [100.0, 100.0, 0.0, 300.0, 300.0, 300.0][i % 6] * scale;
            let expected = (rate * 10.0) as u64;
            assert!(
                w.requests.abs_diff(expected) <= 1,
                "scale {scale}, window {i}: {} requests, expected {expected}",
                w.requests
            );
        }
    }
    // Poisson: each window a Poisson count of that mean, none in the empty step.
    let s = scenario_in(dir.path(), &text("poisson", 1.0));
    let out = run(&s, 0, &mut |_| {}).unwrap();
    let mut z_sum = 0.0;
    for (i, w) in out.recorder.windows().iter().enumerate() {
        let mean = [1000.0, 1000.0, 0.0, 3000.0, 3000.0, 3000.0][i % 6];
        if mean == 0.0 {
            assert_eq!(w.requests, 0, "window {i}");
            continue;
        }
        let z = (w.requests as f64 - mean) / f64::sqrt(mean);
        assert!(
            z.abs() < 4.5,
            "window {i}: {} requests, mean {mean}",
            w.requests
        );
        z_sum += z * z;
    }
    // 50 windows with requests: the sum of their squared z-scores is chi-square with
    // 50 degrees of freedom (99.9% below 86.7, 99.9% above 24.7).
    assert!((24.7..86.7).contains(&z_sum), "chi-square {z_sum}");
}

#[test]
fn lru_under_an_empirical_popularity_matches_che_approximation() {
    let dir = tempfile::tempdir().unwrap();
    // 2,000 keys in bands that no Zipf law fits: a flat head of 100, a long flat
    // middle, a tail ten times rarer, and some keys never requested.
    let weights: Vec<f64> = (0..2_000)
        .map(|i| match i {
            0..100 => 50.0,
            100..1_200 => 5.0,
            1_200..1_900 => 0.5,
            _ => 0.0,
        })
        .collect();
    let mut csv = String::from("key,weight\n");
    for (i, w) in weights.iter().enumerate() {
        csv.push_str(&format!("/items/{i},{w}\n"));
    }
    std::fs::write(dir.path().join("popularity.csv"), csv).unwrap();
    let text = ScenarioText::new("empirical")
        .seed(3)
        .window("20s")
        .ttl(3_600)
        .warmup("200s")
        .duration("1000s")
        .model(&format!("capacity_bytes = {}", 300 * 100))
        .then(&resource("", "{ empirical = \"popularity.csv\" }"))
        .then(
            "[[clients]]\nname = \"c\"\nprincipal = \"public\"\nrate = 2000\nmix = { \"GET /items/{id}\" = 1.0 }",
        );
    let s = scenario_in(dir.path(), &text);
    assert_eq!(s.resources[0].keys, 2_000, "the file's row count");
    let out = run(&s, 0, &mut |_| {}).unwrap();
    let (h, se) = super::tests::hit_ratio_with_se(&out);
    let total: f64 = weights.iter().sum();
    let p: Vec<f64> = weights.iter().map(|w| w / total).collect();
    let expected = super::tests::che(&p, 300.0);
    assert!(out.evictions > 0);
    assert!(
        (h - expected).abs() < 4.0 * se,
        "simulated {h:.5}, Che {expected:.5}, 4σ = {:.5}",
        4.0 * se
    );
}
