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
    scenario_with(dir, max_bad_lines, "")
}

/// [`scenario`], with `more` lines in its `[[traces]]` entry.
fn scenario_with(dir: &Path, max_bad_lines: u32, more: &str) -> PathBuf {
    let path = dir.join("ids.toml");
    let text = ScenarioText::new("ids")
        .duration("10s")
        .model("capacity_entries = 4")
        .then(ScenarioText::RESOURCE_OBJECTS)
        .then(&format!(
            "[principals.reader]\n[[traces]]\nname = \"ids\"\nfile = \"ids.csv\"\nformat = \"csv\"\ntime_column = \"t\"\nid_column = \"id\"\nresource = \"GET /objects/{{id}}\"\nmax_bad_lines = {max_bad_lines}\n{more}"
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

/// A digest no file has.
const ZEROS: &str = "xxh3-128:00000000000000000000000000000000";

/// Rewrites the kept check's digest and request count: a run that takes them shows them.
fn tamper(out: &Path) {
    let path = checks_file(out);
    let mut checks: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let entry = &mut checks["entries"][0];
    entry["digest"] = ZEROS.into();
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
    assert_eq!(read["digest"], xxh3_128(ONE.as_bytes()));
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
    assert_eq!(taken["digest"], ZEROS);
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
    assert_eq!(read["digest"], xxh3_128(TWO.as_bytes()));
    assert_eq!(read["requests"], 5);
    // Read another way (a setting of the trace changed): the tally is taken from a new
    // read, the digest (of the same bytes) from the check.
    tamper(out.path());
    run(&scenario(dir.path(), 3), out.path());
    let read = manifest_trace(out.path());
    assert_eq!(read["digest"], ZEROS);
    assert_eq!(read["requests"], 5);
    // Both readings of the file are kept.
    let entries = |out: &Path| -> Vec<serde_json::Value> {
        let checks: serde_json::Value =
            serde_json::from_slice(&std::fs::read(checks_file(out)).unwrap()).unwrap();
        checks["entries"].as_array().unwrap().clone()
    };
    assert_eq!(entries(out.path()).len(), 2);
    // Another digest: the kept one is not the trace's, so the file is hashed again,
    // and its check replaces the other algorithm's.
    run(
        &scenario_with(dir.path(), 3, "digest = \"sha256\""),
        out.path(),
    );
    let read = manifest_trace(out.path());
    assert_eq!(
        read["digest"],
        format!("sha256:{}", sha256_hex(TWO.as_bytes()))
    );
    let kept = entries(out.path());
    assert_eq!(kept.len(), 2);
    assert!(
        kept.iter().any(|e| e["digest"] == read["digest"]),
        "{kept:?}"
    );
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

/// The XXH3-128 digest of `bytes` as the manifest writes it (`xxh128sum`'s hex).
pub(super) fn xxh3_128(bytes: &[u8]) -> String {
    format!("xxh3-128:{:032x}", xxhash_rust::xxh3::xxh3_128(bytes))
}

pub(super) fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
