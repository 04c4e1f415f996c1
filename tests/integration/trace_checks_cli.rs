//! The traces' checks kept beside a report (`parts/traces.json`): a second run of a study
//! on unchanged trace files takes them instead of reading the files before it runs, and
//! a changed file, or a trace read another way, is checked again.

use std::path::{Path, PathBuf};
use std::time::Duration;

use cachegate::testing::ScenarioText;

use super::run_cli::{assert_same_report, cachegate};

/// A scenario replaying `ids.csv` (time and object id) beside it, written in `dir`, with
/// `max_bad_lines` as given.
fn scenario(dir: &Path, max_bad_lines: u32) -> PathBuf {
    let path = dir.join("ids.toml");
    let text = ScenarioText::new("ids")
        .duration("10s")
        .model("capacity_entries = 4")
        .then(ScenarioText::RESOURCE_OBJECTS)
        .then(&format!(
            "[principals.reader]\n[[traces]]\nname = \"ids\"\nfile = \"ids.csv\"\nformat = \"csv\"\ntime_column = \"t\"\nid_column = \"id\"\nresource = \"GET /objects/{{id}}\"\nmax_bad_lines = {max_bad_lines}"
        ))
        .text();
    std::fs::write(&path, text).unwrap();
    path
}

/// Writes the trace, and waits until it is old enough for its check to be kept (a file
/// changed within a clock tick of a check is checked again each time).
fn write_trace(dir: &Path, text: &str) {
    std::fs::write(dir.join("ids.csv"), text).unwrap();
    std::thread::sleep(Duration::from_millis(100));
}

/// Five requests, and five others in as many bytes.
const ONE: &str = "t,id\n0,1\n1,2\n2,3\n3,1\n4,2\n";
const TWO: &str = "t,id\n0,4\n1,5\n2,6\n3,4\n4,5\n";

fn run(scenario: &Path, out: &Path) {
    cachegate()
        .arg("run")
        .arg(scenario)
        .args(["--quiet", "--force", "--out"])
        .arg(out)
        .assert()
        .success();
}

/// The manifest's `traces[0]` entry.
fn manifest_trace(out: &Path) -> serde_json::Value {
    let bytes = std::fs::read(out.join("ids/manifest.json")).unwrap();
    let manifest: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    manifest["traces"][0].clone()
}

fn checks_file(out: &Path) -> PathBuf {
    out.join("ids/parts/traces.json")
}

/// Rewrites the kept check's SHA-256 and request count: a run that takes them shows them.
fn tamper(out: &Path) {
    let path = checks_file(out);
    let mut checks: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let entry = &mut checks["entries"][0];
    entry["sha256"] = "0".repeat(64).into();
    entry["tally"]["requests"] = 12345.into();
    std::fs::write(&path, serde_json::to_vec(&checks).unwrap()).unwrap();
}

#[test]
fn a_second_run_takes_the_kept_check_of_an_unchanged_trace() {
    let dir = tempfile::tempdir().unwrap();
    let s = scenario(dir.path(), 0);
    write_trace(dir.path(), ONE);
    let (first, second) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    run(&s, first.path());
    let read = manifest_trace(first.path());
    assert_eq!(read["requests"], 5);
    assert_eq!(read["sha256"], sha256_hex(ONE.as_bytes()));
    assert!(checks_file(first.path()).exists());
    // The second run of a folder takes the check: the same report, byte for byte.
    run(&s, second.path());
    run(&s, second.path());
    assert_same_report(&first.path().join("ids"), &second.path().join("ids"));
    // What is kept is what the run takes (`--force` keeps it, the parts go).
    tamper(first.path());
    let stale = first.path().join("ids/parts/000-stale-r000.summary.csv");
    std::fs::write(&stale, "").unwrap();
    run(&s, first.path());
    let taken = manifest_trace(first.path());
    assert_eq!(taken["sha256"], "0".repeat(64));
    assert_eq!(taken["requests"], 12345);
    assert!(!stale.exists());
}

#[test]
fn a_changed_trace_or_another_reading_of_it_is_checked_again() {
    let dir = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    write_trace(dir.path(), ONE);
    run(&scenario(dir.path(), 0), out.path());
    // The same size, other bytes: its times differ, so the file is read again.
    tamper(out.path());
    write_trace(dir.path(), TWO);
    run(&scenario(dir.path(), 0), out.path());
    let read = manifest_trace(out.path());
    assert_eq!(read["sha256"], sha256_hex(TWO.as_bytes()));
    assert_eq!(read["requests"], 5);
    // Read another way (a setting of the trace changed): the tally is taken from a new
    // read, the SHA-256 (of the same bytes) from the check.
    tamper(out.path());
    run(&scenario(dir.path(), 3), out.path());
    let read = manifest_trace(out.path());
    assert_eq!(read["sha256"], "0".repeat(64));
    assert_eq!(read["requests"], 5);
    // Both readings of the file are kept.
    let checks: serde_json::Value =
        serde_json::from_slice(&std::fs::read(checks_file(out.path())).unwrap()).unwrap();
    assert_eq!(checks["entries"].as_array().unwrap().len(), 2);
}

#[test]
fn a_trace_that_fails_its_check_keeps_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    write_trace(dir.path(), "t,id\n0,1\nx,2\n");
    cachegate()
        .arg("run")
        .arg(scenario(dir.path(), 0))
        .args(["--quiet", "--out"])
        .arg(out.path())
        .assert()
        .failure();
    assert!(!checks_file(out.path()).exists());
}

pub(super) fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
