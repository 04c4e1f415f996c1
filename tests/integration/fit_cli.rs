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
