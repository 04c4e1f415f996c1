//! A study of one run takes its traces' checks in that run, reading each file once: what
//! it finds (the manifest's trace entry, the kept check) is what the read before the run
//! finds for the same study run twice over, to the end of the file past the run's end.

use std::path::{Path, PathBuf};

use cachegate::testing::ScenarioText;

use super::run_cli::{assert_same_report, cachegate};

/// A scenario `name` of 10 s replaying `trace` (the lines of its `[[traces]]` entry but
/// its name) beside it, in `dir`, written once the trace is.
fn scenario(dir: &Path, name: &str, resources: &str, trace: &str) -> PathBuf {
    // A check of a file changed within a clock tick is not kept (see trace_checks.rs).
    std::thread::sleep(std::time::Duration::from_millis(100));
    let path = dir.join(format!("{name}.toml"));
    let text = ScenarioText::new(name)
        .duration("10s")
        .model("capacity_entries = 64")
        .then(resources)
        .then(&format!(
            "[principals.reader]\n[[traces]]\nname = \"t\"\n{trace}"
        ))
        .text();
    std::fs::write(&path, text).unwrap();
    path
}

/// Runs `scenario` into `out` with `args`, successfully.
fn run(scenario: &Path, out: &Path, args: &[&str]) {
    cachegate()
        .arg("run")
        .arg(scenario)
        .args(["--quiet", "--force", "--out"])
        .arg(out)
        .args(args)
        .assert()
        .success();
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// The study's manifest entry for its trace, and the check kept of it.
fn found(out: &Path, name: &str) -> (serde_json::Value, serde_json::Value) {
    let study = out.join(name);
    let manifest = json(&study.join("manifest.json"));
    let checks = json(&study.join("parts/traces.json"));
    (manifest["traces"][0].clone(), checks["entries"].clone())
}

/// Checks `scenario` (study `name`) as one run, then as two replications (read before
/// they run): the same findings. Returns them.
fn same_findings(scenario: &Path, name: &str) -> serde_json::Value {
    let (one, two) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    run(scenario, one.path(), &[]);
    run(scenario, two.path(), &["--replications", "2"]);
    let in_run = found(one.path(), name);
    assert_eq!(in_run, found(two.path(), name));
    // One thread or two, the one run reports the same.
    let other = tempfile::tempdir().unwrap();
    run(scenario, other.path(), &["--threads", "1"]);
    run(scenario, one.path(), &["--threads", "2"]);
    assert_same_report(&one.path().join(name), &other.path().join(name));
    in_run.0
}

const OBJECTS: &str = ScenarioText::RESOURCE_OBJECTS;

#[test]
fn an_id_trace_checked_in_its_run_finds_what_the_read_before_finds() {
    let dir = tempfile::tempdir().unwrap();
    // Past the 10 s run: 6 records, one of them bad; one record goes back in time.
    let mut text = String::from("t,id\n");
    for t in 0..10 {
        text.push_str(&format!("{t},{}\n", t % 3));
    }
    text.push_str("3,9\n10,1\n12,2\nx,4\n15,3\n20,1\n21,2\n");
    std::fs::write(dir.path().join("ids.csv"), &text).unwrap();
    // Its first record arrives 2 s into the run: the 8 records from 8 s on (the one
    // replayed at the time before counts at 9 s) are after its end.
    let trace = "file = \"ids.csv\"\nformat = \"csv\"\ntime_column = \"t\"\nid_column = \"id\"\nresource = \"GET /objects/{id}\"\nmax_bad_lines = 1\nstart = \"2s\"";
    let s = scenario(dir.path(), "ids", OBJECTS, trace);
    let found = same_findings(&s, "ids");
    assert_eq!(found["requests"], 16);
    assert_eq!(found["after_end"], 8);
    assert_eq!(found["bad_records"], 1);
    assert_eq!(found["reordered"], 1);
    assert_eq!(found["span_s"], 21.0);
    assert_eq!(
        found["digest"],
        super::trace_checks_cli::xxh3_128(text.as_bytes())
    );
}

#[test]
fn an_access_log_checked_in_its_run_finds_what_the_read_before_finds() {
    let dir = tempfile::tempdir().unwrap();
    // 15 s of log at 200 requests a second, in chunks of its reader's size and more.
    let shape = cachegate::testing::AccessLogShape {
        records: 3_000,
        rate: 200,
        ..Default::default()
    };
    let mut log = Vec::new();
    cachegate::testing::write_access_log(&shape, &mut log).unwrap();
    std::fs::write(dir.path().join("access.jsonl"), &log).unwrap();
    // Compressed, with a skippable frame after the data, which a decoder need not read.
    let mut packed = zstd::encode_all(&log[..], 3).unwrap();
    packed.extend([0x50, 0x2a, 0x4d, 0x18, 4, 0, 0, 0, 1, 2, 3, 4]);
    std::fs::write(dir.path().join("access.jsonl.zst"), &packed).unwrap();
    let sha256 = |bytes: &[u8]| format!("sha256:{}", super::trace_checks_cli::sha256_hex(bytes));
    // The run's read hashed in line (XXH3), or on a thread beside it (SHA-256).
    for (file, digest, expected) in [
        ("access.jsonl", "", super::trace_checks_cli::xxh3_128(&log)),
        ("access.jsonl", "digest = \"sha256\"", sha256(&log)),
        (
            "access.jsonl.zst",
            "",
            super::trace_checks_cli::xxh3_128(&packed),
        ),
    ] {
        let trace = format!(
            "file = \"{file}\"\nformat = \"access_log\"\nprincipal = \"reader\"\n{digest}\n{}",
            cachegate::testing::ACCESS_LOG_FIELDS
        );
        let s = scenario(dir.path(), "log", PETS, &trace);
        let found = same_findings(&s, "log");
        let after_end = found["after_end"].as_u64().unwrap();
        assert!(
            (900..=1_100).contains(&after_end),
            "a third of the log is after the run's end: {found}"
        );
        assert_eq!(found["digest"], expected, "{file} {digest}");
    }
}

/// The resources the generated access log's requests go to.
const PETS: &str = "[[resources]]\npath = \"/pets/{petId}\"\nmethod = \"GET\"\ncache_key_parameters = [\"method.request.path.petId\"]\nresponse_bytes = 2_000\nbackend_latency = \"0ms\"\n[[resources]]\npath = \"/pets\"\nmethod = \"GET\"\nresponse_bytes = 2_000\nbackend_latency = \"0ms\"\n";

#[test]
fn too_many_bad_records_after_the_end_stop_a_run_taking_the_check() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ids.csv"), "t,id\n0,1\n1,2\n30,3\nx,4\n").unwrap();
    let trace = "file = \"ids.csv\"\nformat = \"csv\"\ntime_column = \"t\"\nid_column = \"id\"\nresource = \"GET /objects/{id}\"\nmax_bad_lines = 0";
    let ids = scenario(dir.path(), "ids", OBJECTS, trace);
    let error = "ids.csv: 1 records did not parse, more than max_bad_lines = 0 (line 5: the time is not a non-negative number)";
    stops(&ids, "ids", error);
    // An access log whose last line, long after the run's end, is not JSON.
    let mut log = Vec::new();
    let shape = cachegate::testing::AccessLogShape {
        records: 100,
        rate: 5,
        ..Default::default()
    };
    cachegate::testing::write_access_log(&shape, &mut log).unwrap();
    log.extend_from_slice(b"{\"requestTimeEpoch\": 17\n");
    std::fs::write(dir.path().join("access.jsonl"), &log).unwrap();
    let trace = format!(
        "file = \"access.jsonl\"\nformat = \"access_log\"\nprincipal = \"reader\"\nmax_bad_lines = 0\n{}",
        cachegate::testing::ACCESS_LOG_FIELDS
    );
    let log = scenario(dir.path(), "log", PETS, &trace);
    stops(
        &log,
        "log",
        "access.jsonl: 1 records did not parse, more than max_bad_lines = 0 (line 101:",
    );
}

/// Runs study `name` of `scenario` as one run, then as two: each stops with `error`, the
/// one run's naming the configuration whose run took the check, and neither keeps a
/// check or writes a report.
fn stops(scenario: &Path, name: &str, error: &str) {
    for (replications, context) in [("1", true), ("2", false)] {
        let out = tempfile::tempdir().unwrap();
        let failed = cachegate()
            .arg("run")
            .arg(scenario)
            .args(["--quiet", "--replications", replications, "--out"])
            .arg(out.path())
            .assert()
            .failure()
            .stderr(predicates::str::contains(error));
        let stderr = String::from_utf8_lossy(&failed.get_output().stderr).into_owned();
        assert_eq!(
            stderr.contains(&format!("{name}.toml: configuration `base`: ")),
            context,
            "{stderr}"
        );
        assert!(!out.path().join(name).join("parts/traces.json").exists());
        assert!(!out.path().join(name).join("summary.csv").exists());
    }
}
