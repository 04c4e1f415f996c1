//! `init` on logs of a known workload: the scenario it writes runs, its numbers are the
//! fit's, and the fitted configuration's hit rate agrees with the replay's.

use std::path::Path;

use super::*;
use crate::trace::LogFields;

fn options(log: &Path, out: &Path) -> InitOptions {
    let mut fields = LogFields::standard();
    fields.max_age_zero = Some(crate::trace::FieldRule::max_age_zero_in(vec![
        "cacheControl".into(),
    ]));
    InitOptions {
        fit: FitOptions {
            max_bad_lines: 0,
            ..FitOptions::new(vec![log.to_owned()], fields)
        },
        stage: None,
        api: None,
        policies: Vec::new(),
        out: out.to_owned(),
        force: false,
        command: None,
    }
}

/// Hit rate of every replication of configuration `name`.
fn hit_rates(study: &crate::scenario::Study, name: &str) -> Vec<f64> {
    let c = study
        .configurations
        .iter()
        .find(|c| c.name == name)
        .unwrap();
    (0..c.scenario.replications)
        .map(|r| {
            let out = crate::sim::run(&c.scenario, r, &mut |_| {}).unwrap();
            let k = &out.recorder.counts;
            k.cache_hits as f64 / (k.cache_hits + k.cache_misses) as f64
        })
        .collect()
}

#[test]
fn the_fitted_scenario_runs_and_agrees_with_the_replay() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("logs/access.jsonl");
    std::fs::create_dir_all(log.parent().unwrap()).unwrap();
    crate::fit::tests::write_log(&log);
    let out = dir.path().join("model/fitted.toml");
    let written = init(&options(&log, &out), &mut |_, _| {}).unwrap();
    let names: Vec<String> = written
        .files
        .iter()
        .map(|p| p.strip_prefix(dir.path()).unwrap().display().to_string())
        .collect();
    assert_eq!(
        names,
        [
            "model/popularity/fitted-get-lists-name.csv",
            "model/profiles/fitted-user-app.csv",
            "model/profiles/fitted-user-bot.csv"
        ]
    );
    let text = std::fs::read_to_string(&out).unwrap();
    for expected in [
        "file = \"../logs/access.jsonl\"",
        "popularity = { zipf = 0.9",
        "popularity = { empirical = \"popularity/fitted-get-lists-name.csv\" }",
        "rate = { profile = \"profiles/fitted-user-bot.csv\", repeat = \"24h\", offset = \"8396ms\" }",
        "\"arn:aws:iam::123456789012:user/bot\" = \"user-bot\"",
        "clients.\"*\".enabled = false",
        "traces.logs.enabled = false",
    ] {
        assert!(text.contains(expected), "{expected}\n{text}");
    }
    let study = crate::scenario::Study::load(&out).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let fitted = &study.configurations[1].scenario;
    assert_eq!(fitted.clients.len(), 2);
    let bot = &fitted.clients[1];
    assert!(
        (bot.max_age_zero - 0.2).abs() < 0.02,
        "{}",
        bot.max_age_zero
    );
    // The replay is one draw of the workload the fitted clients draw from (its
    // replications differ only by the backend's latencies): its hit rate lies within 4
    // standard deviations of one fitted replication's.
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let replay = mean(&hit_rates(&study, "replay"));
    let fitted = hit_rates(&study, "fitted");
    let m = mean(&fitted);
    let sd =
        (fitted.iter().map(|h| (h - m).powi(2)).sum::<f64>() / (fitted.len() as f64 - 1.0)).sqrt();
    assert!(
        sd > 0.0 && (replay - m).abs() < 4.0 * sd,
        "replay {replay} vs fitted {m} (sd {sd})"
    );
    // Run again: nothing is replaced unasked, and nothing is half written.
    let e = init(&options(&log, &out), &mut |_, _| {})
        .unwrap_err()
        .to_string();
    assert!(e.contains("exists: not replaced"), "{e}");
}

#[test]
fn an_api_definition_and_policies_shape_the_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("access.jsonl");
    // Requests for a method the API defines and one it does not.
    let mut lines = String::new();
    for i in 0..400u64 {
        let (template, path, who) = if i % 4 == 0 {
            (
                "/gone/{id}",
                format!("/prod/gone/{}", i % 7),
                "arn:aws:iam::123456789012:user/ops",
            )
        } else {
            ("/products/{id}", format!("/prod/products/{}", i % 13), "-")
        };
        lines.push_str(&format!(
            "{{\"requestTimeEpoch\":{},\"httpMethod\":\"GET\",\"resourcePath\":\"{template}\",\"path\":\"{path}\",\"status\":\"200\",\"responseLength\":\"100\",\"integrationLatency\":\"20\",\"identity\":{{\"userArn\":\"{who}\"}}}}\n",
            1_764_028_800_000 + i * 250
        ));
    }
    std::fs::write(&log, lines).unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = dir.path().join("shop.toml");
    let mut o = options(&log, &out);
    o.api = Some(root.join("scenarios/apis/shop-oas30.json"));
    let nobody = dir.path().join("nobody.json");
    std::fs::copy(root.join("scenarios/policies/ops-invalidate.json"), &nobody).unwrap();
    o.policies = vec![root.join("scenarios/policies/ops-invalidate.json"), nobody];
    o.fit.fields.max_age_zero = None;
    let written = init(&o, &mut |_, _| {}).unwrap();
    assert!(
        written.notes.iter().any(|n| n.contains(
            "`GET /gone/{id}` (25.0% of requests) is not in the API definition: left out"
        )),
        "{:?}",
        written.notes
    );
    assert!(
        written
            .notes
            .iter()
            .any(|n| n.contains("nobody.json: no caller in the logs matches its name")),
        "{:?}",
        written.notes
    );
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(
        text.contains("api_file = ") && !text.contains("/gone/"),
        "{text}"
    );
    assert!(
        text.contains("policies = [\"") && text.contains("ops-invalidate.json\"]"),
        "{text}"
    );
    assert!(
        text.contains("backend_latency = { lognormal = { median = \"20ms\""),
        "{text}"
    );
    assert!(
        text.contains("not in the logs (map cache_control with --field): assumed 0"),
        "{text}"
    );
    crate::scenario::Study::load(&out).unwrap_or_else(|e| panic!("{e}\n{text}"));
}
