//! Trace replay from the command line: the example scenarios, what reading a trace
//! reports, the bad-line threshold, and scenario errors in `[[traces]]`.

use std::path::Path;

use predicates::prelude::*;
use predicates::str::contains;

use cachegate::testing::ScenarioText;

use super::run_cli::{assert_same_report, cachegate, edited};

fn summary(dir: &Path) -> Vec<csv::StringRecord> {
    csv::Reader::from_path(dir.join("summary.csv"))
        .unwrap()
        .records()
        .map(Result::unwrap)
        .collect()
}

fn column(rows: &[csv::StringRecord], headers: &csv::StringRecord, name: &str) -> Vec<String> {
    let i = headers.iter().position(|h| h == name).unwrap();
    rows.iter().map(|r| r[i].to_owned()).collect()
}

fn headers(dir: &Path) -> csv::StringRecord {
    csv::Reader::from_path(dir.join("summary.csv"))
        .unwrap()
        .headers()
        .unwrap()
        .clone()
}

#[test]
fn an_object_trace_replays_every_request_in_every_configuration() {
    let out = tempfile::tempdir().unwrap();
    cachegate()
        .args([
            "run",
            "scenarios/replay-object-trace.toml",
            "--quiet",
            "--out",
        ])
        .arg(out.path())
        .assert()
        .code(0)
        .stderr("");
    let dir = out.path().join("replay-object-trace");
    let rows = summary(&dir);
    let h = headers(&dir);
    assert_eq!(rows.len(), 6);
    assert!(column(&rows, &h, "requests").iter().all(|n| n == "60000"));
    // A larger cache never hits less, and LRU beats FIFO on this trace at each size.
    let hit: Vec<f64> = column(&rows, &h, "hit_rate")
        .iter()
        .map(|x| x.parse().unwrap())
        .collect();
    assert!(hit[0] < hit[1] && hit[1] < hit[2], "{hit:?}");
    assert!(hit[3] < hit[4] && hit[4] < hit[5], "{hit:?}");
    for i in 0..3 {
        assert!(hit[i] > hit[i + 3], "{hit:?}");
    }
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    let t = &manifest["traces"][0];
    assert_eq!(t["requests"], 60000);
    assert_eq!(t["bad_records"], 0);
    let digest = t["digest"].as_str().unwrap();
    assert!(
        digest.starts_with("xxh3-128:") && digest.len() == 9 + 32,
        "{digest}"
    );
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.contains("<h2>Traces replayed</h2>"));
}

#[test]
fn access_logs_report_what_they_skip_and_every_configuration_sees_the_same_requests() {
    let out = tempfile::tempdir().unwrap();
    cachegate()
        .args([
            "run",
            "scenarios/replay-access-logs.toml",
            "--quiet",
            "--out",
        ])
        .arg(out.path())
        .assert()
        // The deployed TTL misses the hit-rate target: exit 1, as a rollout gate wants.
        .code(1)
        .stdout(
            contains("FAIL deployed: hit_rate >= 0.7")
                .and(contains("PASS ttl-5m: hit_rate >= 0.7")),
        )
        .stderr(
            contains("2 record(s) did not parse and were skipped (line 1001: not JSON")
                .and(contains("line 5001: no JSON object on the line"))
                .and(contains("POST /pets x495")),
        );
    let dir = out.path().join("replay-access-logs");
    let rows = summary(&dir);
    let h = headers(&dir);
    let requests = column(&rows, &h, "requests");
    assert!(requests.iter().all(|n| *n == requests[0]), "{requests:?}");
    // The ops user's max-age=0 requests are honoured (its policy allows it).
    assert!(
        column(&rows, &h, "invalidations_honored")
            .iter()
            .all(|n| n.parse::<u64>().unwrap() > 0)
    );
}

#[test]
fn too_many_bad_lines_stop_the_run_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let scenarios = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let (strict, _) = edited(
        dir.path(),
        "strict.toml",
        "scenarios/replay-access-logs.toml",
        &[
            ("max_bad_lines = 10 ", "max_bad_lines = 1 "),
            (
                "\"traces/pets-access.jsonl.zst\"",
                &format!(
                    "\"{}\"",
                    scenarios.join("traces/pets-access.jsonl.zst").display()
                ),
            ),
            (
                "\"policies/ops-invalidate.json\"",
                &format!(
                    "\"{}\"",
                    scenarios.join("policies/ops-invalidate.json").display()
                ),
            ),
        ],
    );
    let out = dir.path().join("out");
    cachegate()
        .arg("run")
        .arg(&strict)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(contains(
            "pets-access.jsonl.zst: 2 records did not parse, more than max_bad_lines = 1 (line 1001: not JSON",
        ));
    assert!(!out.join("replay-access-logs/summary.csv").exists());
}

#[test]
fn csv_traces_replay_and_trace_mistakes_are_located() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("t.csv"),
        "timestamp,obj,size\n0,a,100\n0.5,b,100\n1,a,100\n2,c,2000000\n",
    )
    .unwrap();
    let scenario = |trace: &str| {
        ScenarioText::new("csv")
            .duration("10s")
            .ttl(60)
            .then(&format!(
                r#"[[resources]]
path = "/o/{{id}}"
method = "GET"
cache_key_parameters = ["method.request.path.id"]
response_bytes = 10
backend_latency = "0ms"
[principals.p]
[[traces]]
{trace}"#
            ))
            .text()
    };
    let good = dir.path().join("good.toml");
    std::fs::write(
        &good,
        scenario(
            "name = \"t\"\nfile = \"t.csv\"\nformat = \"csv\"\nresource = \"GET /o/{id}\"\ntime_column = \"timestamp\"\nid_column = 2\nsize_column = \"size\"",
        ),
    )
    .unwrap();
    cachegate()
        .arg("run")
        .arg(&good)
        .args(["--quiet", "--out"])
        .arg(dir.path().join("out"))
        .assert()
        .code(0);
    let out = dir.path().join("out/csv");
    let rows = summary(&out);
    let h = headers(&out);
    // a miss, b miss, a hit, c (over 1 MB: never cached) miss.
    assert_eq!(column(&rows, &h, "requests"), ["4"]);
    assert_eq!(column(&rows, &h, "cache_hits"), ["1"]);
    assert_eq!(column(&rows, &h, "cache_misses"), ["3"]);

    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        scenario(
            "name = \"t\"\nfile = \"missing.csv\"\nformat = \"csv\"\nresource = \"GET /nope\"\nid_column = 0\nheader = false\ntime_column = \"ts\"\nfields = { time = \"x\" }\nmax_age_zero = 2\ndigest = \"md5\"",
        ),
    )
    .unwrap();
    cachegate()
        .arg("validate")
        .arg(&bad)
        .assert()
        .code(1)
        .stdout(
            contains("traces[0].file: no such file:")
                .and(contains("traces[0].resource: no resource \"GET /nope\""))
                .and(contains(
                    "traces[0].id_column: expected a header name or a 1-based column number, got 0",
                ))
                .and(contains(
                    "traces[0].time_column: a column by name needs `header = true`",
                ))
                .and(contains("traces[0].fields: only for format access_log"))
                .and(contains(
                    "traces[0].max_age_zero: must be a share within 0..=1, got 2",
                ))
                .and(contains(
                    "traces[0].digest: expected \"xxh3-128\" or \"sha256\", got \"md5\"",
                )),
        );
}

#[test]
fn traces_replayed_from_memory_give_the_bytes_read_from_the_files() {
    let run = |out: &Path, memory: &str| {
        cachegate()
            .args([
                "run",
                "scenarios/replay-access-logs.toml",
                "scenarios/replay-object-trace.toml",
                "--quiet",
                "--trace-memory",
                memory,
                "--out",
            ])
            .arg(out)
            .assert()
    };
    let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    // (The access-log scenario's check of the deployed stage fails: exit 1.) Read from
    // the files by every run; the access log kept in 1 MiB; kept in 1 GiB (the
    // default). The object trace is read from its file by every run whatever the
    // budget, and nothing warns of it.
    for (dir, memory) in dirs.iter().zip(["0", "1", "1024"]) {
        run(dir.path(), memory)
            .code(1)
            .stderr(contains("memory").not());
    }
    for name in ["replay-access-logs", "replay-object-trace"] {
        for d in &dirs[1..] {
            assert_same_report(&dirs[0].path().join(name), &d.path().join(name));
        }
    }
}

#[test]
fn an_access_log_larger_than_the_trace_memory_is_read_by_each_run_and_says_so() {
    // 20,000 generated lines: their recording takes more than 1 MiB.
    let dir = tempfile::tempdir().unwrap();
    let shape = cachegate::testing::AccessLogShape {
        records: 20_000,
        rate: 200,
        ..Default::default()
    };
    let mut log =
        std::io::BufWriter::new(std::fs::File::create(dir.path().join("access.jsonl")).unwrap());
    cachegate::testing::write_access_log(&shape, &mut log).unwrap();
    drop(log);
    let scenario = dir.path().join("big-log.toml");
    std::fs::write(
        &scenario,
        ScenarioText::new("big-log")
            .duration("100s")
            .then(&format!(
                r#"[[resources]]
path = "/pets/{{petId}}"
method = "GET"
cache_key_parameters = ["method.request.path.petId"]
response_bytes = 2_000
backend_latency = "0ms"
[[resources]]
path = "/pets"
method = "GET"
response_bytes = 2_000
backend_latency = "0ms"
[principals.public]
[[traces]]
name = "access"
file = "access.jsonl"
format = "access_log"
principal = "public"
{}
"#,
                cachegate::testing::ACCESS_LOG_FIELDS
            ))
            .text(),
    )
    .unwrap();
    let dirs: Vec<_> = (0..2).map(|_| tempfile::tempdir().unwrap()).collect();
    let run = |out: &Path, memory: &str| {
        cachegate()
            .arg("run")
            .arg(&scenario)
            .args([
                "--quiet",
                "--replications",
                "2",
                "--trace-memory",
                memory,
                "--out",
            ])
            .arg(out)
            .assert()
            .success()
    };
    run(dirs[0].path(), "1").stderr(contains(
        "trace `access`: its requests take 2 MiB in memory, more than the 1 MiB of --trace-memory it may use: each of its 2 runs reads the file again",
    ));
    run(dirs[1].path(), "1024").stderr(contains("memory").not());
    assert_same_report(
        &dirs[0].path().join("big-log"),
        &dirs[1].path().join("big-log"),
    );
}

#[test]
fn an_object_trace_read_ahead_on_a_spare_thread_gives_the_same_report() {
    // Six configurations: with more threads than runs, each run reads its zstd trace on
    // a thread of its own; with one thread, in place.
    let dirs: Vec<_> = (0..2).map(|_| tempfile::tempdir().unwrap()).collect();
    for (dir, threads) in dirs.iter().zip(["1", "8"]) {
        cachegate()
            .args([
                "run",
                "scenarios/replay-object-trace.toml",
                "--quiet",
                "--replications",
                "1",
                "--threads",
                threads,
                "--out",
            ])
            .arg(dir.path())
            .assert()
            .success();
    }
    let name = "replay-object-trace";
    assert_same_report(&dirs[0].path().join(name), &dirs[1].path().join(name));
}
