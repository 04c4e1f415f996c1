//! `cachegate validate` on numbers and names out of range: every one is a located
//! problem, listed together, never a result that is silently wrong or a later panic.

use predicates::str::contains;

use crate::run_cli::{cachegate, edited};

#[test]
fn numbers_and_names_out_of_range_are_all_listed() {
    let dir = tempfile::tempdir().unwrap();
    let (bad, _) = edited(
        dir.path(),
        "numbers.toml",
        "scenarios/pets.toml",
        &[
            ("region = \"us-east-1\"", "region = \"Mars\""),
            ("account = \"123456789012\"", "account = \"12345\""),
            ("rate = 500 ", "rate = 1e308 "),
            (
                "policies = [\"policies/ops-invalidate.json\"]",
                "policies = []",
            ),
            ("rate = 0.5", "rate = inf"),
            (
                "popularity = { zipf = 0.9 }",
                "popularity = { zipf = 1e300 }",
            ),
            (
                "response_bytes = 2048 ",
                "response_bytes = { lognormal = { median = 2048, sigma = 1e300 } } ",
            ),
            (
                "[principals.public]",
                "[cost]\nbackend_usd_per_million_requests = -100\n\n[principals.public]",
            ),
        ],
    );
    let nan = dir.path().join("nan.toml");
    let text = std::fs::read_to_string(&bad)
        .unwrap()
        .replace("= -100", "= nan");
    std::fs::write(&nan, text).unwrap();
    cachegate()
        .arg("validate")
        .arg(&bad)
        .assert()
        .code(1)
        .stdout(contains("api.region: expected an AWS region name"))
        .stdout(contains("api.account: expected a 12-digit AWS account id"))
        .stdout(contains(
            "clients[0].rate: must be at most 1e7 requests a second",
        ))
        .stdout(contains("clients[1].rate: must be >= 0, got inf"))
        .stdout(contains("sigma must be within 0..=5, got 1e300"))
        .stdout(contains("with S within 0..=10, got zipf = 1e300"))
        .stdout(contains(
            "cost.backend_usd_per_million_requests: expected a price in USD >= 0, got -100",
        ));
    cachegate()
        .arg("validate")
        .arg(&nan)
        .assert()
        .code(1)
        .stdout(contains(
            "cost.backend_usd_per_million_requests: expected a price in USD >= 0, got NaN",
        ));
    // Past TOML's largest integer: located, not a misleading "missing field".
    let (huge, _) = edited(
        dir.path(),
        "huge.toml",
        "scenarios/pets.toml",
        &[("keys = 20\n", "keys = 18446744073709551615\n")],
    );
    cachegate()
        .arg("validate")
        .arg(&huge)
        .assert()
        .code(1)
        .stdout(contains(
            "huge.toml:58:8: integer too large: TOML's integers go up to 9223372036854775807",
        ));
}

/// A scenario whose traffic all falls outside the measured time: one client starting
/// after the end, and an empty trace.
const IDLE: &str = r#"name = "idle"
seed = 1
duration = "1m"
warmup = "10s"
checks = ["backend_rps_peak <= 300"]
[api]
region = "us-east-1"
account = "123456789012"
api_id = "a"
stage = "prod"
[stage]
cache_cluster_enabled = true
cache_cluster_size = "0.5"
[stage.method_settings."*/*"]
caching_enabled = true
cache_ttl_in_seconds = 300
[[resources]]
path = "/pets/{petId}"
method = "GET"
cache_key_parameters = ["method.request.path.petId"]
keys = 10
response_bytes = 100
backend_latency = "80ms"
[principals.p]
[[clients]]
name = "late"
principal = "p"
rate = 10
start = "1h"
mix = { "GET /pets/{petId}" = 1.0 }
[[traces]]
name = "empty"
file = "empty.txt"
format = "text"
rate = 10
resource = "GET /pets/{petId}"
[[events]]
at = "5s"
action = "flush_stage_cache"
"#;

#[test]
fn a_run_that_measured_nothing_fails_its_checks_with_no_data_and_warns_why() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("idle.toml");
    std::fs::write(&path, IDLE).unwrap();
    std::fs::write(dir.path().join("empty.txt"), "").unwrap();
    cachegate()
        .arg("validate")
        .arg(&path)
        .assert()
        .code(0)
        .stdout(contains(
            "warning: client `late` starts at 3600s, at or after the run's end (70s)",
        ))
        .stdout(contains(
            "warning: event `flush_stage_cache` at 5s happens during the warm-up (until 10s)",
        ));
    cachegate()
        .args(["run", "--quiet", "--out"])
        .arg(dir.path().join("out"))
        .arg(&path)
        .assert()
        .code(1)
        .stderr(contains("client `late` starts at 3600s"))
        .stdout(contains(
            "NO DATA base: backend_rps_peak <= 300 (nothing measured to judge it on",
        ));
    let html = std::fs::read_to_string(dir.path().join("out/idle/report.html")).unwrap();
    assert!(
        html.contains("NO DATA"),
        "the report says why the check failed"
    );
    assert!(html.contains("No configuration passes every check"));
}

/// Sizes that would exhaust memory are refused at once, with the estimate, by `validate`
/// and by `run` (after its overrides).
#[test]
fn studies_too_large_to_hold_are_refused_quickly_with_the_estimate() {
    let dir = tempfile::tempdir().unwrap();
    let (window, _) = edited(
        dir.path(),
        "window.toml",
        "scenarios/pets.toml",
        &[
            ("duration = \"30m\"", "duration = \"60s\""),
            ("window = \"10s\"", "window = \"1us\""),
        ],
    );
    cachegate()
        .arg("validate")
        .arg(&window)
        .assert()
        .code(1)
        .stdout(contains(
            "window: 0.000001s windows over 60s make 60000000 windows, more than 100000; use a window of at least 0.0006s",
        ));
    let values: Vec<String> = (1..=100).map(|i| i.to_string()).collect();
    let axis = format!("[{}]", values.join(", "));
    let (sweep, _) = edited(
        dir.path(),
        "sweep.toml",
        "scenarios/pets.toml",
        &[(
            "[[events]]",
            &format!(
                "[sweep]\n\"clients.app.rate\" = {axis}\n\"clients.scraper.rate\" = {axis}\n\"clients.ops-refresh.rate\" = {axis}\n\n[[events]]"
            ),
        )],
    );
    let started = std::time::Instant::now();
    cachegate()
        .arg("validate")
        .arg(&sweep)
        .assert()
        .code(1)
        .stdout(contains(
            "sweep: 3 variant(s) x 1000000 sweep combination(s) make 3000000 configurations, more than 1000",
        ));
    assert!(started.elapsed().as_secs() < 10, "refused before expanding");
    for (flags, expected) in [
        (&["--duration", "100years"][..], "make 315576000 windows"),
        (
            &["--replications", "1000000000"],
            "replications: must be at most 10000",
        ),
        (
            &["--replications", "10000", "--duration", "1d"],
            "3 configuration(s) x 10000 replication(s) x 8640 window(s) make 259200000 time-series rows (about 33177 MB",
        ),
    ] {
        cachegate()
            .args(["run", "scenarios/pets.toml", "--quiet", "--out"])
            .arg(dir.path())
            .args(flags)
            .assert()
            .code(2)
            .stderr(contains(expected));
    }
}

/// Messages speak the user's terms and say each thing once: the operator as written, a
/// reader's error without its cause repeated.
#[test]
fn messages_say_each_thing_once_in_the_users_terms() {
    let dir = tempfile::tempdir().unwrap();
    let (bad, _) = edited(
        dir.path(),
        "check.toml",
        "scenarios/strategies.toml",
        &[("backend_rps_peak <= 300", "backend_rps_peak >= lots")],
    );
    cachegate()
        .arg("validate")
        .arg(&bad)
        .assert()
        .code(1)
        .stdout(contains("expected a number after `>=`, got `lots`"));
    // A zstd trace cut short.
    let trace = std::fs::read("scenarios/traces/pets-access.jsonl.zst").unwrap();
    let (scenario, _) = edited(
        dir.path(),
        "cut.toml",
        "scenarios/replay-access-logs.toml",
        &[
            ("traces/pets-access.jsonl.zst", "cut.jsonl.zst"),
            ("policies/ops-invalidate.json", "ops.json"),
        ],
    );
    std::fs::write(dir.path().join("cut.jsonl.zst"), &trace[..trace.len() / 2]).unwrap();
    std::fs::copy(
        "scenarios/policies/ops-invalidate.json",
        dir.path().join("ops.json"),
    )
    .unwrap();
    let out = cachegate()
        .args(["run", "--quiet", "--out"])
        .arg(dir.path().join("out"))
        .arg(&scenario)
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8(out).unwrap();
    assert!(
        err.contains("cut.jsonl.zst: cannot read the trace: "),
        "{err}"
    );
    let cause = err.trim_end().rsplit(": ").next().unwrap();
    assert_eq!(err.matches(cause).count(), 1, "said once: {err}");
}

/// Values of the wrong type, unknown fields and problems found later are all listed
/// together; a stand-in for a wrong value is never reported as a problem of its own.
#[test]
fn a_type_error_hides_no_other_problem() {
    let dir = tempfile::tempdir().unwrap();
    let (bad, _) = edited(
        dir.path(),
        "types.toml",
        "scenarios/pets.toml",
        &[
            ("seed = 42", "seed = \"abc\""),
            ("replications = 3 ", "replications = \"three\" "),
            ("ttl_mode", "ttl_mod"),
            ("rate = 500 ", "rate = -1 "),
            ("arrival = \"poisson\"", "arrival = 7"),
            (
                "policies = [\"policies/ops-invalidate.json\"]",
                "policies = []",
            ),
        ],
    );
    let out = cachegate()
        .arg("validate")
        .arg(&bad)
        .assert()
        .code(1)
        .stdout(contains(
            "types.toml:7:8: seed: invalid type: string \"abc\", expected u64",
        ))
        .stdout(contains(
            "replications: invalid type: string \"three\", expected u32",
        ))
        .stdout(contains("model.ttl_mod: unknown field `ttl_mod`"))
        .stdout(contains("clients[0].rate: must be > 0, got -1"))
        .stdout(contains(
            "clients[0].arrival: invalid type: integer `7`, expected a string",
        ))
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(
        text.lines().count(),
        5,
        "nothing about the stand-ins: {text}"
    );
}

/// A scenario's policy with a condition value that does not parse loads (the value
/// matches nothing) and `validate` says so.
#[test]
fn validate_warns_about_policy_values_that_do_not_parse() {
    let dir = tempfile::tempdir().unwrap();
    let (scenario, _) = edited(
        dir.path(),
        "pets.toml",
        "scenarios/pets.toml",
        &[("policies/ops-invalidate.json", "ops.json")],
    );
    std::fs::write(
        dir.path().join("ops.json"),
        r#"{"Statement": {"Effect": "Allow", "Action": "execute-api:InvalidateCache", "Resource": "*", "Condition": {"DateGreaterThan": {"aws:CurrentTime": "soon"}}}}"#,
    )
    .unwrap();
    cachegate()
        .arg("validate")
        .arg(&scenario)
        .assert()
        .code(0)
        .stdout(contains(
            "warning: principal `ops`, ops.json: Statement[0].Condition.DateGreaterThan.aws:CurrentTime: `soon` does not parse",
        ));
}
