//! `cachegate run` and `cachegate validate` as a user runs them: report files and their
//! columns, byte-identical reruns, refusing to overwrite, and every problem of a bad
//! scenario listed with its location.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use predicates::str::contains;

pub(crate) fn cachegate() -> Command {
    Command::cargo_bin("cachegate").expect("binary builds")
}

/// One minute, two replications of `scenarios/strategies.toml` into `out`.
pub(crate) fn run_strategies(out: &Path, extra: &[&str]) -> assert_cmd::assert::Assert {
    cachegate()
        .args([
            "run",
            "scenarios/strategies.toml",
            "--duration",
            "1m",
            "--replications",
            "2",
            "--quiet",
            "--out",
        ])
        .arg(out)
        .args(extra)
        .assert()
}

/// Every file of a finished report folder but `parts/`, by path relative to the folder.
pub(crate) fn report_files(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut std::collections::BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            if rel == "parts" {
                continue;
            }
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = std::collections::BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// Asserts two report folders hold the same files with the same bytes.
pub(crate) fn assert_same_report(a: &Path, b: &Path) {
    let (a, b) = (report_files(a), report_files(b));
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "the same files"
    );
    assert!(a.len() >= 10, "a whole report: {:?}", a.keys());
    for (name, bytes) in &a {
        assert!(b[name] == *bytes, "{name} differs");
    }
}

/// Writes `dir/file`: a copy of `scenario` with each `(from, to)` edit applied (every
/// edit must apply); returns its path and text.
pub(crate) fn edited(
    dir: &Path,
    file: &str,
    scenario: &str,
    edits: &[(&str, &str)],
) -> (PathBuf, String) {
    let mut text = std::fs::read_to_string(scenario).unwrap();
    for (from, to) in edits {
        assert!(text.contains(from), "{scenario} has no `{from}`");
        text = text.replace(from, to);
    }
    let path = dir.join(file);
    std::fs::write(&path, &text).unwrap();
    (path, text)
}

/// One simulated minute of the pets scenario, 3 replications, into `out`.
fn run_pets_minute(out: &Path, extra: &[&str]) -> assert_cmd::assert::Assert {
    cachegate()
        .args([
            "run",
            "scenarios/pets.toml",
            "--duration",
            "1m",
            "--replications",
            "3",
            "--quiet",
            "--out",
        ])
        .arg(out)
        .args(extra)
        .assert()
}

fn run_pets_threads(out: &Path, threads: &str) -> assert_cmd::assert::Assert {
    run_pets_minute(out, &["--threads", threads])
}

fn run_pets(out: &Path) -> assert_cmd::assert::Assert {
    run_pets_threads(out, "2")
}

const COLUMNS: &str = "variant,replication,seed,requests,cache_hits,cache_misses,hit_rate,backend_requests,backend_rps_mean,backend_rps_peak,backend_inflight_peak,backend_wait_p99_ms,invalidations_honored,invalidations_rejected,invalidations_ignored,warning_headers,stale_responses,stale_fraction,staleness_p50_ms,staleness_p99_ms,staleness_max_ms,latency_p50_ms,latency_p99_ms,latency_p999_ms,evictions,expirations,wrong_key_responses,throttled_429,errors_5xx,timeouts_504,error_hits,availability,cost_per_hour_usd";

#[test]
fn run_writes_the_report_folder() {
    let dir = tempfile::tempdir().unwrap();
    run_pets(dir.path()).code(0).stdout(contains(
        "pets-cache-busting: 3 configuration(s) x 3 replication(s)",
    ));
    let report = dir.path().join("pets-cache-busting");
    let summary = std::fs::read_to_string(report.join("summary.csv")).unwrap();
    let mut lines = summary.lines();
    assert_eq!(lines.next(), Some(COLUMNS));
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 9, "3 configurations x 3 replications");
    assert!(
        rows[0].starts_with("warning-header,0,")
            && rows[1].starts_with("warning-header,1,")
            && rows[3].starts_with("fail-403,0,")
            && rows[8].starts_with("silent,2,")
    );
    let series = std::fs::read_to_string(report.join("timeseries.csv")).unwrap();
    // 1 minute in 10 s windows, three configurations of three replications.
    assert_eq!(series.lines().count(), 1 + 3 * 3 * 6);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(report.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["scenario"], "pets-cache-busting");
    assert_eq!(manifest["seed"], 42);
    assert_eq!(manifest["assumptions"]["fail-403"]["eviction"], "lru");
    assert_eq!(manifest["baseline"], "warning-header");
    assert_eq!(manifest["scenario_sha256"].as_str().map(str::len), Some(64));
    // No temporary files left behind.
    let names: Vec<String> = std::fs::read_dir(&report)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let mut names = names;
    names.sort();
    assert_eq!(
        names,
        [
            "aggregate.csv",
            "clients.csv",
            "manifest.json",
            "parts",
            "plots",
            "report.html",
            "staleness.csv",
            "summary.csv",
            "timeseries.csv"
        ]
    );
    let clients = std::fs::read_to_string(report.join("clients.csv")).unwrap();
    assert!(clients.starts_with("variant,replication,seed,client,kind,principal,requests,successful_2xx,forbidden_403,throttled_429,errors_5xx,availability\n"));
    // A row per client and run; a run's clients' requests add up to its summary's.
    let client_rows: Vec<&str> = clients.lines().skip(1).collect();
    assert_eq!(client_rows.len(), 27, "3 clients x 9 runs: {clients}");
    for run in &rows {
        let (variant, replication) = {
            let mut f = run.split(',');
            (f.next().unwrap(), f.next().unwrap())
        };
        let requests: u64 = client_rows
            .iter()
            .filter(|l| l.starts_with(&format!("{variant},{replication},")))
            .map(|l| l.split(',').nth(6).unwrap().parse::<u64>().unwrap())
            .sum();
        assert_eq!(
            requests.to_string(),
            run.split(',').nth(3).unwrap(),
            "{run}"
        );
    }
    let aggregate = std::fs::read_to_string(report.join("aggregate.csv")).unwrap();
    assert!(aggregate.starts_with("variant,metric,replications,mean,sd,ci95_low,ci95_high,baseline,diff_mean,diff_ci95_low,diff_ci95_high,significant\n"));
    assert_eq!(
        aggregate.lines().count(),
        1 + 3 * 30,
        "one row per configuration and metric"
    );
}

#[test]
fn reruns_are_byte_identical_whatever_the_threads_and_need_force() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    // One thread and two give the same bytes.
    run_pets_threads(a.path(), "1").code(0);
    run_pets_threads(b.path(), "2").code(0);
    assert_same_report(
        &a.path().join("pets-cache-busting"),
        &b.path().join("pets-cache-busting"),
    );
    // An existing report is not overwritten without --force.
    let before = std::fs::read(a.path().join("pets-cache-busting/summary.csv")).unwrap();
    run_pets(a.path()).code(2).stderr(contains(
        "already exists; pass --resume to continue it, --force",
    ));
    assert_eq!(
        std::fs::read(a.path().join("pets-cache-busting/summary.csv")).unwrap(),
        before
    );
    cachegate()
        .args([
            "run",
            "scenarios/pets.toml",
            "--duration",
            "1m",
            "--replications",
            "1",
            "--seed",
            "9",
            "--quiet",
            "--force",
            "--out",
        ])
        .arg(a.path())
        .assert()
        .code(0);
    let after = std::fs::read_to_string(a.path().join("pets-cache-busting/summary.csv")).unwrap();
    assert_eq!(
        after.lines().count(),
        4,
        "replaced by the one-replication run of the 3 configurations"
    );
}

#[test]
fn validate_lists_every_problem_with_its_location() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        r#"name = "bad"
seed = 1
duration = "10m"
[api]
region = "us-east-1"
account = "123456789012"
api_id = "a"
stage = "prod"
[stage]
cache_cluster_enabled = true
cache_cluster_size = "0.7"
[[resources]]
path = "/pets"
method = "GET"
keys = 10
response_bytes = 100
backend_latency = "80ms"
[[clients]]
name = "a"
principal = "nobody"
rate = -1
mix = { "GET /pets" = 0.5 }
"#,
    )
    .unwrap();
    cachegate()
        .arg("validate")
        .arg(&bad)
        .arg("scenarios/pets.toml")
        .assert()
        .code(1)
        .stdout(contains(
            "bad.toml:11:22: stage.cache_cluster_size: unknown size \"0.7\"",
        ))
        .stdout(contains(
            "bad.toml:20:13: clients[0].principal: no principal \"nobody\"",
        ))
        .stdout(contains(
            "bad.toml:21:8: clients[0].rate: must be > 0, got -1",
        ))
        .stdout(contains("clients[0].mix: shares must sum to 1, got 0.5"))
        .stdout(contains("scenarios/pets.toml: ok"));
    // A run refuses the file and writes nothing.
    cachegate()
        .arg("run")
        .arg(&bad)
        .arg("--out")
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(contains("unknown size"));
    assert!(!dir.path().join("bad").exists());
    cachegate()
        .args(["validate", "missing.toml"])
        .assert()
        .code(2)
        .stderr(contains("missing.toml: cannot read scenario"));
}

#[test]
fn unknown_fields_are_rejected_with_their_path() {
    let dir = tempfile::tempdir().unwrap();
    let (bad, _) = edited(
        dir.path(),
        "typo.toml",
        "scenarios/pets.toml",
        &[("max_age_zero = 0.0", "max_age_zer0 = 0.0")],
    );
    cachegate()
        .arg("validate")
        .arg(&bad)
        .assert()
        .code(1)
        .stdout(
            contains("clients[0].max_age_zer0: unknown field `max_age_zer0`")
                .and(predicate::str::is_match(r"typo.toml:\d+:\d+: ").unwrap()),
        );
}

#[test]
fn variants_share_requests_and_checks_gate_the_exit_status() {
    let dir = tempfile::tempdir().unwrap();
    cachegate()
        .args([
            "run",
            "scenarios/strategies.toml",
            "--duration",
            "4m",
            "--replications",
            "2",
            "--quiet",
            "--out",
        ])
        .arg(dir.path())
        .assert()
        // The no-authorization variant breaks `backend_rps_peak <= 300`.
        .code(1)
        .stdout(contains("FAIL no-authorization: backend_rps_peak <= 300"))
        .stdout(contains("PASS fail-403: backend_rps_peak <= 300"));
    let report = dir.path().join("strategies");
    let summary = std::fs::read_to_string(report.join("summary.csv")).unwrap();
    let rows: Vec<Vec<&str>> = summary
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    assert_eq!(rows.len(), 4 * 2);
    let names: Vec<&str> = rows.iter().map(|r| r[0]).collect();
    assert_eq!(
        names,
        [
            "warning-header",
            "warning-header",
            "fail-403",
            "fail-403",
            "silent",
            "silent",
            "no-authorization",
            "no-authorization"
        ]
    );
    // Common random numbers: every configuration of a replication sees the same requests.
    for r in 0..2 {
        let requests: Vec<&str> = rows
            .iter()
            .filter(|row| row[1] == r.to_string())
            .map(|row| row[3])
            .collect();
        assert!(requests.windows(2).all(|w| w[0] == w[1]), "{requests:?}");
    }
    let aggregate = std::fs::read_to_string(report.join("aggregate.csv")).unwrap();
    let row = |variant: &str, metric: &str| -> Vec<String> {
        aggregate
            .lines()
            .find(|l| l.starts_with(&format!("{variant},{metric},")))
            .unwrap()
            .split(',')
            .map(str::to_owned)
            .collect()
    };
    // The baseline's difference from itself is exactly zero; 403s only under FAIL_WITH_403.
    assert_eq!(row("warning-header", "hit_rate")[8], "0.0");
    assert_eq!(
        row("silent", "backend_requests")[8],
        "0.0",
        "the Warning header changes nothing else"
    );
    assert_eq!(row("fail-403", "invalidations_rejected")[11], "true");
    assert_eq!(row("no-authorization", "invalidations_honored")[11], "true");
}

#[test]
fn a_bad_variant_is_reported_at_its_own_line() {
    let dir = tempfile::tempdir().unwrap();
    let (bad, text) = edited(
        dir.path(),
        "v.toml",
        "scenarios/strategies.toml",
        &[
            (
                "policies/ops-invalidate.json",
                "../../work-policy-missing.json",
            ),
            (
                "unauthorized_cache_control_header_strategy = \"FAIL_WITH_403\"",
                "unauthorized_cache_control_header_strategy = \"FAIL\"",
            ),
            (
                "checks = [\"backend_rps_peak <= 300\"",
                "checks = [\"backend_rps_peak =< 300\"",
            ),
        ],
    );
    let line_of = |needle: &str| text.lines().position(|l| l.contains(needle)).unwrap() + 1;
    cachegate()
        .arg("validate")
        .arg(&bad)
        .assert()
        .code(1)
        .stdout(contains(format!("v.toml:{}:", line_of("= \"FAIL\""))).and(contains("variants[1].stage.method_settings.\"*/*\".unauthorized_cache_control_header_strategy: variant `fail-403`: unknown variant `FAIL`")))
        .stdout(contains("checks[0]: unknown operator `=<`"))
        .stdout(contains(format!("v.toml:{}:", line_of("work-policy-missing"))).and(contains("principals.ops.policies[0]: policy does not load")));
}

#[test]
fn a_sweep_expands_every_combination_and_reports_bad_values_at_the_axis() {
    let dir = tempfile::tempdir().unwrap();
    cachegate()
        .args([
            "run",
            "scenarios/ttl-capacity.toml",
            "--duration",
            "1m",
            "--replications",
            "1",
            "--quiet",
            "--out",
        ])
        .arg(dir.path())
        .assert()
        .stdout(contains("9 configuration(s) x 1 replication(s)"))
        .stdout(contains("cache_ttl_in_seconds=3600,cache_cluster_size=6.1"));
    let summary = std::fs::read_to_string(dir.path().join("ttl-capacity/summary.csv")).unwrap();
    assert_eq!(summary.lines().count(), 1 + 9);
    let (bad, text) = edited(
        dir.path(),
        "bad-sweep.toml",
        "scenarios/ttl-capacity.toml",
        &[("[\"0.5\", \"1.6\", \"6.1\"]", "[\"0.5\", \"2.0\"]")],
    );
    let line = text.lines().position(|l| l.contains("\"2.0\"")).unwrap() + 1;
    cachegate()
        .arg("validate")
        .arg(&bad)
        .assert()
        .code(1)
        .stdout(contains(format!("bad-sweep.toml:{line}:")))
        .stdout(contains("configuration `cache_ttl_in_seconds=60,cache_cluster_size=2.0`: stage.cache_cluster_size: unknown size \"2.0\""));
}

#[test]
fn resume_reuses_finished_configurations_and_gives_the_same_bytes() {
    let fresh = tempfile::tempdir().unwrap();
    let resumed = tempfile::tempdir().unwrap();
    let run = run_strategies;
    run(fresh.path(), &[]).code(0);
    run(resumed.path(), &[]).code(0);
    // Simulate an interruption: the final files and one configuration's part are gone.
    let report = resumed.path().join("strategies");
    for f in [
        "summary.csv",
        "aggregate.csv",
        "timeseries.csv",
        "staleness.csv",
        "report.html",
        "manifest.json",
    ] {
        std::fs::remove_file(report.join(f)).unwrap();
    }
    std::fs::remove_dir_all(report.join("plots")).unwrap();
    // A part is complete once sealed: an interrupted one has no seal.
    let part = |suffix: &str| {
        std::fs::read_dir(report.join("parts"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| {
                p.file_name().unwrap().to_string_lossy().starts_with("002-")
                    && p.to_string_lossy().ends_with(suffix)
            })
            .unwrap()
    };
    std::fs::remove_file(part(".part.json")).unwrap();
    run(resumed.path(), &["--resume"])
        .code(0)
        .stdout(contains("7 configuration x replication run(s) resumed"));
    assert_same_report(
        &fresh.path().join("strategies"),
        &resumed.path().join("strategies"),
    );
    // A sealed part whose file was cut short (here at a line boundary, so it still
    // parses) is refused, not reused.
    let summary = part(".summary.csv");
    let text = std::fs::read_to_string(&summary).unwrap();
    std::fs::write(&summary, &text[..text.find('\n').unwrap() + 1]).unwrap();
    run(resumed.path(), &["--resume"]).code(2).stderr(contains(
        "summary.csv: its contents are not what was written",
    ));
    // A changed setting (here the seed) is not mistaken for finished work.
    run(resumed.path(), &["--resume", "--seed", "5"])
        .code(0)
        .stdout(contains("resumed").not());
}

#[test]
fn resume_does_not_reuse_parts_made_from_a_file_that_has_changed() {
    // The scenario and its policy in a folder of their own, so the policy can change.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("policies")).unwrap();
    std::fs::copy(
        "scenarios/strategies.toml",
        dir.path().join("strategies.toml"),
    )
    .unwrap();
    let policy = dir.path().join("policies/ops-invalidate.json");
    std::fs::copy("scenarios/policies/ops-invalidate.json", &policy).unwrap();
    let out = dir.path().join("reports");
    let run = |extra: &[&str]| {
        cachegate()
            .arg("run")
            .arg(dir.path().join("strategies.toml"))
            .args([
                "--duration",
                "1m",
                "--replications",
                "1",
                "--quiet",
                "--out",
            ])
            .arg(&out)
            .args(extra)
            .assert()
    };
    run(&[]).code(0);
    let manifest = std::fs::read_to_string(out.join("strategies/manifest.json")).unwrap();
    assert!(
        manifest.contains("\"inputs\"") && manifest.contains("ops-invalidate.json"),
        "{manifest}"
    );
    run(&["--resume"]).code(0).stdout(contains("resumed"));
    // The same policy, reformatted: another file, so nothing is reused.
    let text = std::fs::read_to_string(&policy).unwrap();
    std::fs::write(&policy, format!("{text}\n")).unwrap();
    run(&["--resume"]).code(0).stdout(contains("resumed").not());
}

#[test]
fn shards_combine_into_the_unsharded_report() {
    let whole = tempfile::tempdir().unwrap();
    let shared = tempfile::tempdir().unwrap();
    let run = run_strategies;
    run(whole.path(), &[]).code(0);
    // As a batch system would: every shard writes into one shared folder.
    run(shared.path(), &["--shard", "1/3"])
        .code(0)
        .stdout(contains(
            "shard 1/3: 3 of 8 configuration x replication run(s)",
        ));
    run(shared.path(), &["--shard", "3/3"])
        .code(0)
        .stdout(contains("shard 3/3: 2 of 8"));
    run(shared.path(), &["--shard", "2/3"])
        .code(0)
        .stdout(contains("shard 2/3: 3 of 8"));
    assert!(
        !shared.path().join("strategies/summary.csv").exists(),
        "a shard writes parts only"
    );
    run(shared.path(), &["--resume"])
        .code(0)
        .stdout(contains("8 configuration x replication run(s) resumed"));
    assert_same_report(
        &whole.path().join("strategies"),
        &shared.path().join("strategies"),
    );
    run(shared.path(), &["--shard", "4/3"])
        .code(2)
        .stderr(contains("expected K/N with 1 <= K <= N"));
}

#[test]
fn shards_split_the_replications_of_a_single_configuration() {
    let whole = tempfile::tempdir().unwrap();
    let shared = tempfile::tempdir().unwrap();
    let run = |out: &Path, extra: &[&str]| {
        cachegate()
            .args([
                "run",
                "scenarios/stage-flush.toml",
                "--replications",
                "3",
                "--quiet",
            ])
            .args(["--duration", "1m", "--out"])
            .arg(out)
            .args(extra)
            .assert()
    };
    run(whole.path(), &[]).code(0);
    run(shared.path(), &["--shard", "1/2"])
        .code(0)
        .stdout(contains("shard 1/2: 2 of 3"));
    run(shared.path(), &["--shard", "2/2"])
        .code(0)
        .stdout(contains("shard 2/2: 1 of 3"));
    run(shared.path(), &["--resume"])
        .code(0)
        .stdout(contains("3 configuration x replication run(s) resumed"));
    assert_same_report(
        &whole.path().join("stage-flush"),
        &shared.path().join("stage-flush"),
    );
}

#[test]
fn compare_two_runs() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let run = |out: &Path, extra: &[&str]| {
        run_pets_minute(out, extra).code(0);
    };
    run(a.path(), &[]);
    run(b.path(), &[]);
    let same = cachegate()
        .arg("compare")
        .arg(a.path().join("pets-cache-busting"))
        .arg(b.path().join("pets-cache-busting"))
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(same).unwrap();
    assert!(text.starts_with("variant_a,variant_b,metric,a_mean,b_mean,diff_mean,diff_ci95_low,diff_ci95_high,paired,significant\n"));
    // Same scenario, same seeds: paired, and every difference exactly zero.
    for line in text.lines().skip(1) {
        let cols: Vec<&str> = line.split(',').collect();
        assert_eq!(
            (cols[5], cols[8], cols[9]),
            ("0.0", "true", "false"),
            "{line}"
        );
    }
    // Different seeds: unpaired (Welch) intervals.
    let c = tempfile::tempdir().unwrap();
    run(c.path(), &["--seed", "7"]);
    cachegate()
        .arg("compare")
        .arg(a.path().join("pets-cache-busting"))
        .arg(c.path().join("pets-cache-busting"))
        .assert()
        .code(0)
        .stdout(contains("fail-403,fail-403,hit_rate,").and(contains(",false,")));
    cachegate()
        .args(["compare", "nope", "nope"])
        .assert()
        .code(2)
        .stderr(contains("summary.csv"));
}

#[test]
fn variants_cannot_change_what_configurations_share() {
    let dir = tempfile::tempdir().unwrap();
    let policy = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/policies/ops-invalidate.json"
    );
    let (bad, _) = edited(
        dir.path(),
        "shared.toml",
        "scenarios/strategies.toml",
        &[
            ("policies/ops-invalidate.json", policy),
            ("name = \"silent\"", "name = \"silent\"\nseed = 5"),
        ],
    );
    cachegate()
        .arg("validate")
        .arg(&bad)
        .assert()
        .code(1)
        .stdout(contains(
            "variants[2].seed: `seed` is shared by every configuration",
        ));
}

#[test]
fn merge_finishes_a_report_from_shards_in_separate_folders() {
    let whole = tempfile::tempdir().unwrap();
    let (a, b, merged) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let run = run_strategies;
    run(whole.path(), &[]).code(0);
    // Two machines, two folders.
    run(a.path(), &["--shard", "1/2"]).code(0);
    run(b.path(), &["--shard", "2/2"]).code(0);
    let shard = |d: &Path| d.join("strategies");
    // One shard alone is not enough.
    cachegate()
        .arg("merge")
        .arg(shard(a.path()))
        .arg("--out")
        .arg(merged.path())
        .assert()
        .code(2)
        .stderr(contains("no folder holds the results of `").and(contains("` replication 1 (")));
    cachegate()
        .arg("merge")
        .arg(shard(a.path()))
        .arg(shard(b.path()))
        .arg("--out")
        .arg(merged.path())
        .arg("--force")
        .assert()
        .code(0)
        .stdout(contains(
            "strategies: 4 configuration(s) x 2 replication(s)",
        ));
    assert_same_report(
        &whole.path().join("strategies"),
        &merged.path().join("strategies"),
    );
    cachegate()
        .args(["merge", "nowhere"])
        .assert()
        .code(2)
        .stderr(contains("not a cachegate report folder"));
}
