//! `cachegate fit` as a user runs it on the shipped access log: text, JSON, the files
//! `--out` writes (which a scenario then reads), and bad arguments refused clearly.

use predicates::str::contains;

use crate::run_cli::cachegate;

const LOG: &str = "scenarios/traces/pets-access.jsonl.zst";

#[test]
fn fit_prints_the_workload_and_writes_files_a_scenario_reads() {
    cachegate()
        .args([
            "fit",
            LOG,
            "--scenario",
            "scenarios/replay-access-logs.toml",
        ])
        .assert()
        .code(0)
        .stdout(contains("12,169 records, 2 bad"))
        .stdout(contains("resource GET /pets/{petId}: 81.1% of requests"))
        .stdout(contains("popularity: Zipf s = 0.88"))
        .stdout(contains("ops: 0.9% of requests"))
        .stdout(contains("max-age=0 100.0%"));
    let out = cachegate()
        .args(["fit", LOG, "--json", "--field", "principal=userArn"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["overall"]["requests"], 12_169);
    assert_eq!(v["resources"][0]["label"], "GET /pets/{petId}");
    assert!(v["resources"][0]["keys"]["zipf"]["fits"].as_bool().unwrap());
    let dir = tempfile::tempdir().unwrap();
    cachegate()
        .args(["fit", LOG, "--window", "2m", "--out"])
        .arg(dir.path())
        .assert()
        .code(0)
        .stderr(contains("profiles/anonymous.csv"));
    let profile = std::fs::read_to_string(dir.path().join("profiles/anonymous.csv")).unwrap();
    assert!(
        profile.contains("per 120 s") && profile.contains("\nstart,rate\n"),
        "{profile}"
    );
    // Again: the file is not replaced unasked.
    cachegate()
        .args(["fit", LOG, "--out"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(contains("exists: not replaced (--force replaces it)"));
}

#[test]
fn bad_arguments_and_inputs_are_refused_with_the_reason() {
    for (args, expected) in [
        (vec!["--field", "when=t"], "unknown field `when`"),
        (vec!["--field", "time"], "expected NAME=dotted.path"),
        (
            vec!["--window", "90s"],
            "--window: expected a whole number of minutes",
        ),
        (
            vec!["--cloudwatch", "Cargo.toml"],
            "Cargo.toml:1:2: not JSON: expected value\n",
        ),
    ] {
        cachegate()
            .arg("fit")
            .arg(LOG)
            .args(&args)
            .assert()
            .code(2)
            .stderr(contains(expected));
    }
    cachegate()
        .args(["fit", "scenarios/pets.toml"])
        .assert()
        .code(2)
        .stderr(contains("no request records: nothing to fit"));
}

#[test]
fn the_example_written_by_init_reports_how_well_the_model_fits() {
    let dir = tempfile::tempdir().unwrap();
    cachegate()
        .args([
            "run",
            "scenarios/pets-fitted.toml",
            "--replications",
            "2",
            "--quiet",
            "--out",
        ])
        .arg(dir.path())
        .assert()
        .code(0)
        .stdout(contains(
            "how well the model fits: `fitted` against `replay`",
        ))
        .stdout(contains("hit rate"));
    let report = dir.path().join("pets-fitted");
    let csv = std::fs::read_to_string(report.join("calibration.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 5, "{csv}");
    assert!(
        csv.starts_with("metric,replay,fitted,observed,diff_mean"),
        "{csv}"
    );
    let html = std::fs::read_to_string(report.join("report.html")).unwrap();
    assert!(html.contains("How well does the model fit?"));
    // The example is what `init` writes today (its header says how to regenerate it).
    let out = tempfile::tempdir().unwrap();
    let scenario = out.path().join("pets-fitted.toml");
    std::fs::create_dir_all(out.path().join("policies")).unwrap();
    cachegate()
        .args([
            "init",
            "--logs",
            "scenarios/traces/pets-access.jsonl.zst",
            "--field",
            "principal=userArn",
            "--field",
            "cache_control=cacheControl",
            "--policies",
            "scenarios/policies/ops-invalidate.json",
            "--quiet",
            "-o",
        ])
        .arg(&scenario)
        .assert()
        .code(0);
    let shipped = std::fs::read_to_string("scenarios/pets-fitted.toml").unwrap();
    let written = std::fs::read_to_string(&scenario).unwrap();
    // Paths differ (written elsewhere); every fitted number is the same.
    let numbers = |t: &str| -> Vec<String> {
        t.lines()
            .filter(|l| !l.starts_with('#') && !l.contains("file") && !l.contains("policies ="))
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(numbers(&shipped), numbers(&written));
}

#[test]
fn init_writes_beside_the_current_folder_by_default_and_never_over_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let log = std::path::absolute(LOG).unwrap();
    let init = || {
        cachegate()
            .current_dir(dir.path())
            .args(["init", "--quiet", "--logs"])
            .arg(&log)
            .assert()
    };
    init().code(0).stdout(contains("wrote pets-access.toml"));
    cachegate()
        .current_dir(dir.path())
        .args(["validate", "pets-access.toml"])
        .assert()
        .code(0);
    init()
        .code(2)
        .stderr(contains("exists: not replaced (--force replaces it)"));
}

#[test]
fn a_calibration_naming_no_configuration_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let scenarios = std::path::absolute("scenarios").unwrap();
    let mut text = std::fs::read_to_string("scenarios/pets-fitted.toml")
        .unwrap()
        .replace("fitted = \"fitted\"", "fitted = \"fited\"");
    // Its files where they are.
    for folder in ["traces", "popularity", "profiles", "policies"] {
        text = text.replace(
            &format!("\"{folder}/"),
            &format!("\"{}/{folder}/", scenarios.display()),
        );
    }
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, text).unwrap();
    cachegate()
        .arg("validate")
        .arg(&bad)
        .assert()
        .code(1)
        .stdout(contains(
            "calibration.fitted: no configuration `fited`; the study has `replay`, `fitted`",
        ));
}
