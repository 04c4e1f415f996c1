//! One fuzz target per reader of user input: policies (parsed, then decided by the
//! compiled engine and the reference evaluator, which must agree), scenarios (loaded,
//! and simulated when small), stage and template files, each trace format (read one
//! record at a time and in blocks, which must agree), the access-log fast path (which
//! must agree with the serde walk wherever it answers), and sealed part files.

use std::path::Path;

use super::{campaign, seeds_in};
use crate::policy::{Context, PolicyDocument, PolicySet};
use crate::trace::{
    AccessLogSpec, Column, IdRecord, MaxAgeZero, TraceFormat, TraceModel, TraceRequest,
};

#[test]
fn policies() {
    let mut seeds = seeds_in("scenarios/policies", &[".json"]);
    seeds.extend(seeds_in("benches/data", &[".json"]));
    seeds.push(br#"{"PolicyVersion": {"Document": "%7B%22Statement%22%3A%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22*%22%2C%22Resource%22%3A%22*%22%7D%7D"}}"#.to_vec());
    seeds.push(br#"{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "NotAction": "s3:*", "NotResource": "arn:aws:s3:::${aws:username}/*", "Condition": {"ForAllValues:StringLikeIfExists": {"aws:TagKeys": ["a*", "${aws:PrincipalTag/team, 'x'}"]}, "IpAddress": {"aws:SourceIp": "203.0.113.0/24"}, "NumericLessThan": {"n": "5"}, "DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}, "Bool": {"aws:SecureTransport": "true"}, "Null": {"k": "false"}}}]}"#.to_vec());
    let words = [
        "Allow",
        "Deny",
        "NotAction",
        "NotResource",
        "Condition",
        "StringLike",
        "ForAnyValue:",
        "ForAllValues:",
        "IfExists",
        "${aws:username}",
        "${*}",
        "${",
        "\"Statement\": []",
        "\"PolicyDocument\": ",
        "%7B",
        "arn:aws:",
        "*",
        "?",
    ];
    let resources = [
        "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/GET/pets/7",
        "arn:aws:s3:::bucket/alice/x",
        "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/GET/",
    ];
    let ctx = Context::new()
        .with("aws:username", "alice")
        .with("aws:SourceIp", "203.0.113.9")
        .with("aws:CurrentTime", "2026-12-04T00:00:00Z")
        .with("aws:PrincipalTag/team", "ops")
        .with("n", "3");
    campaign("policies", &seeds, &words, |input| {
        let Ok(doc) = PolicyDocument::parse("fuzz.json", input) else {
            return;
        };
        let mut set = PolicySet::new();
        set.add("fuzz.json", &doc);
        // The reference evaluator takes exponential time on many wildcards.
        let simple = input.iter().filter(|&&b| b == b'*' || b == b'?').count() <= 6;
        for action in ["execute-api:InvalidateCache", "s3:GetObject"] {
            for resource in resources {
                let decision = set.decide(action, resource, &ctx);
                let explained = set.explain(action, resource, &ctx);
                assert_eq!(decision, explained.decision, "{action} on {resource}");
                if simple {
                    let reference = crate::policy::reference::evaluate(
                        std::slice::from_ref(&doc),
                        action,
                        resource,
                        &ctx,
                    );
                    assert_eq!(decision, reference, "{action} on {resource}");
                }
            }
        }
    });
}

#[test]
fn scenarios() {
    let mut seeds = seeds_in("scenarios", &[".toml"]);
    seeds.extend(seeds_in("benches/data", &[".toml"]));
    let words = [
        "[[variants]]\nname = \"v\"\n",
        "[sweep]\n",
        "[[clients]]\n",
        "[[events]]\n",
        "[model]\n",
        "capacity_entries = ",
        "window = \"1us\"\n",
        "stage_file = ",
        "\"100years\"",
        "{ lognormal = { median = \"1ms\", sigma = 9 } }",
        "replications = ",
        "rate_scale = ",
        "{ profile = [{ start = \"0s\", rate = 1e300 }, { start = \"1us\", rate = 0 }], repeat = \"2us\", offset = \"100years\" }",
        "{ profile = \"profiles/storefront-daily.csv\", repeat = \"1s\" }",
        "{ empirical = \"popularity/storefront-products.csv\" }",
        "\"clients.*.rate_scale\" = [0, 1e300]\n",
        "clients.\"*\".rate_scale = ",
    ];
    // Files the seeds name (policies, traces, stages) resolve beside them.
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/fuzz.toml");
    campaign("scenarios", &seeds, &words, |input| {
        let Ok(study) = crate::scenario::Study::parse(&path, input) else {
            return;
        };
        // Simulate small ones: every configuration, one replication.
        let s = study.base();
        let requests: f64 = s
            .clients
            .iter()
            .map(|c| c.expected_requests(crate::time::SimTime::ZERO, s.end()))
            .sum();
        if s.traces.is_empty() && requests < 20_000.0 && study.configurations.len() <= 4 {
            for c in &study.configurations {
                let _ = crate::sim::run(&c.scenario, 0, &mut |_| {});
            }
        }
    });
}

#[test]
fn stages() {
    let seeds = seeds_in("scenarios/stages", &[".json", ".yaml", ".yml"]);
    let words = [
        "!Ref ",
        "!Sub ",
        "Resources:\n",
        "MethodSettings:\n  - ",
        "~1",
        "&a ",
        "*a",
        "{{",
        "- [",
        "\"methodSettings\": {",
        "CacheClusterSize: ",
    ];
    campaign("stages", &seeds, &words, |input| {
        if let Ok(stage) = crate::import::parse_stage(Path::new("fuzz.yaml"), input, None) {
            for place in stage.origins.places() {
                located_within(input, place);
            }
        }
        let _ = crate::import::parse_stage(Path::new("fuzz.yaml"), input, Some("ProdStage"));
    });
}

#[test]
fn apis() {
    let mut seeds = seeds_in("scenarios/apis", &[".json", ".yaml"]);
    seeds.extend(seeds_in("scenarios/terraform", &[".json"]));
    seeds.extend(seeds_in("scenarios/stages", &[".yml"]));
    let words = [
        "\"$ref\": \"#/components/parameters/TraceId\"",
        "$input.params(",
        "$input.params().querystring.get('",
        "\"x-amazon-apigateway-any-method\": {",
        "\"type\": \"aws_proxy\"",
        "\"resourceMethods\": {\"GET\": {}}",
        "method.request.querystring.",
        "\"timeoutInMillis\": ",
        "\"references\": [\"aws_api_gateway_resource.",
        "\"path_part\": \"",
        "\"method_path\": \"",
        "in: \"query\"\n",
        "{{",
        "- [",
    ];
    campaign("apis", &seeds, &words, |input| {
        if let Ok(api) = crate::import::api::parse_api(Path::new("fuzz.json"), input) {
            // What a successful import prints must be a well-formed TOML document.
            let text = api.to_toml(Path::new("fuzz.json"));
            assert!(text.parse::<toml::Table>().is_ok(), "{text}");
            for m in &api.methods {
                let _ = m.to_table();
                located_within(input, &m.location);
                located_within(input, &m.key_location);
            }
        }
        if let Ok(tf) = crate::import::terraform::parse(Path::new("fuzz.json"), input, None) {
            let text = tf.to_toml(Path::new("fuzz.json"), None).unwrap_or_default();
            assert!(text.parse::<toml::Table>().is_ok(), "{text}");
        }
    });
}

/// A place an importer recorded is a field path, and is located inside the text.
fn located_within(input: &[u8], place: &str) {
    let text = std::str::from_utf8(input).expect("an imported file is UTF-8");
    let steps = crate::import::position::parse_path(place)
        .unwrap_or_else(|| panic!("not a field path: {place}"));
    let (line, column) = crate::import::position::locate(text, &steps);
    assert!(line >= 1 && column >= 1, "{place}: {line}:{column}");
    assert!(
        line <= text.lines().count().max(1) + 1,
        "{place}: line {line}"
    );
}

/// A trace model of `format` for `file`.
fn model(file: &Path, format: TraceFormat, max_age_zero: MaxAgeZero) -> TraceModel {
    TraceModel {
        name: "fuzz".into(),
        file: file.to_owned(),
        zstd: false,
        format,
        start: crate::time::SimTime::ZERO,
        max_bad_lines: u64::MAX,
        digest: Default::default(),
        max_age_zero,
        resource: 0,
        principal: 0,
        enabled: true,
        recording: Default::default(),
        read_ahead: false,
        check_in_run: Default::default(),
    }
}

/// Reads `model`'s file one record at a time, and (id formats) in blocks, which must
/// give the same records; a recording of it must replay what the file's reader read.
fn read_both_ways(model: &TraceModel, ids: bool) {
    let Ok(mut source) = crate::trace::open(model) else {
        return;
    };
    let mut one = Vec::new();
    let mut read = Vec::new();
    let mut r = TraceRequest::default();
    let mut failed = false;
    loop {
        match source.next(&mut r) {
            Ok(true) => {
                one.push(IdRecord::from(&r));
                let text = |t: Option<&str>| t.map(str::to_owned);
                read.push((r, text(source.path()), text(source.id_text())));
            }
            Ok(false) => break,
            Err(_) => {
                failed = true;
                break;
            }
        }
    }
    let far = crate::time::SimTime::from_micros(u64::MAX);
    match crate::trace::record(model, far, far, 1 << 24, true, None) {
        Ok(scanned) => {
            assert!(!failed, "the check read what the reader could not");
            let recorded = scanned.recorded.expect("a small trace fits");
            let mut replayed = model.clone();
            replayed.recording = crate::trace::Recording(Some(std::sync::Arc::new(recorded)));
            let mut source = crate::trace::open(&replayed).expect("a recording opens");
            let mut again = Vec::new();
            while source.next(&mut r).expect("a recording replays") {
                let text = |t: Option<&str>| t.map(str::to_owned);
                again.push((r, text(source.path()), text(source.id_text())));
            }
            assert_eq!(read, again, "the recording replays what was read");
        }
        Err(_) => assert!(failed, "the check failed where the reader did not"),
    }
    if !ids {
        return;
    }
    let Ok(mut source) = crate::trace::open(model) else {
        return;
    };
    let mut blocks = Vec::new();
    let mut buf = [IdRecord::default(); 16];
    while let Ok(n) = source.next_ids(&mut buf, crate::time::SimDuration::MAX) {
        blocks.extend_from_slice(&buf[..n]);
        if n < buf.len() {
            break;
        }
    }
    assert_eq!(one, blocks, "one at a time and in blocks");
}

#[test]
fn json_fast_path() {
    let mut seeds: Vec<Vec<u8>> = decompressed("scenarios/traces/pets-access.jsonl.zst", 4_000)
        .split(|&b| b == b'\n')
        .filter_map(|l| l.iter().position(|&b| b == b'{').map(|i| l[i..].to_vec()))
        .take(8)
        .collect();
    let mut log = Vec::new();
    let shape = crate::testing::AccessLogShape {
        records: 8,
        ..Default::default()
    };
    crate::testing::write_access_log(&shape, &mut log).expect("generated");
    seeds.extend(
        log.split(|&b| b == b'\n')
            .filter_map(|l| l.iter().position(|&b| b == b'{').map(|i| l[i..].to_vec())),
    );
    let words = [
        "\\u00e9",
        "\\ud83d\\ude00",
        "\\\"",
        "\\/",
        "{\"x\":{\"y\":",
        "[[",
        "]]",
        "1e999",
        "-0.5",
        "9999999999999999999",
        "18446744073709551616",
        "0",
        "\"identity.userArn\":",
        "\"time\":",
        "\t",
        "\u{e9}",
        "\"\":",
    ];
    campaign("json-fast-path", &seeds, &words, |input| {
        crate::trace::json_scan_agrees(input);
    });
}

/// The first `n` bytes of a zstd-compressed example trace, decompressed.
fn decompressed(file: &str, n: usize) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    let bytes = std::fs::read(path).expect("example trace");
    let mut out = zstd::decode_all(&bytes[..]).expect("example trace decodes");
    out.truncate(n);
    out
}

#[test]
fn traces() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("trace");
    let access = TraceFormat::AccessLog(AccessLogSpec {
        time: vec!["requestTimeEpoch".into()],
        method: vec!["httpMethod".into()],
        resource_path: vec!["resourcePath".into()],
        path: vec!["path".into()],
        principal: Some(vec!["userArn".into()]),
        response_length: Some(vec!["responseLength".into()]),
        routes: vec![
            ("GET".into(), "/pets/{petId}".into(), 0),
            ("GET".into(), "/files/{proxy+}".into(), 0),
            ("GET".into(), "/".into(), 0),
        ],
        principals: vec![("arn:aws:iam::123456789012:user/ops".into(), 0)],
    });
    let rule = MaxAgeZero::Field(crate::trace::FieldRule {
        field: vec!["cacheControl".into()],
        equals: None,
        contains: Some("max-age=0".into()),
    });
    let csv = TraceFormat::Csv {
        time: Some(Column::Index(0)),
        id: Column::Name("id".into()),
        size: Some(Column::Index(2)),
        time_unit_us: 1e3,
        rate: 1.0,
        header: true,
        delimiter: b',',
    };
    let formats = [
        (
            "access-logs",
            access,
            rule,
            false,
            decompressed("scenarios/traces/pets-access.jsonl.zst", 4096),
        ),
        (
            "oracle-general",
            TraceFormat::OracleGeneral,
            MaxAgeZero::Share(0.0),
            true,
            decompressed("scenarios/traces/objects.oracleGeneral.bin.zst", 24 * 200),
        ),
        (
            "text",
            TraceFormat::Text { rate: 10.0 },
            MaxAgeZero::Share(0.0),
            true,
            b"1\n2\nabc\n\n18446744073709551615\n7\r\n".to_vec(),
        ),
        (
            "csv",
            csv,
            MaxAgeZero::Share(0.0),
            true,
            b"t,id,size\n1,a,10\n2,7,0\n3.5,b,\n".to_vec(),
        ),
    ];
    for (name, format, max_age_zero, ids, seed) in formats {
        let m = model(&file, format, max_age_zero);
        let words = [
            "\"requestTimeEpoch\":",
            "\"path\":\"/prod/pets/",
            "1e30",
            "\n",
            ",",
        ];
        campaign(&format!("trace-{name}"), &[seed], &words, |input| {
            std::fs::write(&file, input).expect("temp file");
            read_both_ways(&m, ids);
        });
    }
}

#[test]
fn parts() {
    // A real part, written as a run writes it: four CSV files and the seal.
    let dir = tempfile::tempdir().expect("temp dir");
    let scenario_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/pets.toml");
    let mut scenario = crate::scenario::Scenario::load(&scenario_path).expect("pets loads");
    scenario.duration = crate::time::SimDuration::from_secs(20);
    scenario.warmup = crate::time::SimDuration::ZERO;
    let output = crate::sim::run(&scenario, 0, &mut |_| {}).expect("pets runs");
    let part = crate::run::Part {
        summary: vec![crate::report::summary_row(&scenario, "base", &output)],
        series: crate::report::timeseries_rows(&scenario, "base", &output),
        staleness: crate::report::staleness_rows("base", &output),
        clients: crate::report::client_rows(&scenario, "base", &output),
        simulated: output.simulated_requests,
        resumed: false,
    };
    let stem = dir.path().join("part");
    crate::run::write_part(&stem, &part).expect("part written");
    const EXTS: [&str; 5] = [
        "timeseries.csv",
        "staleness.csv",
        "clients.csv",
        "summary.csv",
        "part.json",
    ];
    let read = |ext: &str| std::fs::read(stem.with_extension(ext)).expect("part file");
    // The five files in one input, apart by a record separator.
    let seed: Vec<u8> = EXTS
        .iter()
        .map(|e| read(e))
        .collect::<Vec<_>>()
        .join(&0x1e_u8);
    campaign("parts", &[seed], &[",", "\n", "\"sha256\""], |input| {
        let files: Vec<&[u8]> = input.splitn(5, |&b| b == 0x1e).collect();
        for (ext, bytes) in EXTS.iter().zip(&files) {
            std::fs::write(stem.with_extension(ext), bytes).expect("temp file");
        }
        // Half the time the seal is made to match, so the CSV readers see the files.
        if input.first().is_some_and(|b| b % 2 == 0) && files.len() == 5 {
            let sums: serde_json::Map<String, serde_json::Value> = EXTS[..4]
                .iter()
                .zip(&files)
                .map(|(e, b)| ((*e).to_owned(), crate::checksum::sha256(b).into()))
                .collect();
            let seal = serde_json::json!({"simulated_requests": 1, "sha256": sums});
            std::fs::write(stem.with_extension("part.json"), seal.to_string()).expect("seal");
        }
        let _ = crate::run::read_part(&stem);
    });
}

#[test]
fn fit() {
    // Fitting fuzzed access logs: never a panic; every non-blank line is a record or a
    // bad line; shares that are shares.
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("access.jsonl");
    let mut fields = crate::trace::LogFields::standard();
    fields.principal = Some(vec!["userArn".into()]);
    fields.max_age_zero = Some(crate::trace::FieldRule::max_age_zero_in(vec![
        "cacheControl".into(),
    ]));
    let options = crate::fit::FitOptions {
        max_keys: 8,
        max_bad_lines: u64::MAX,
        ..crate::fit::FitOptions::new(vec![file.clone()], fields)
    };
    let seed = decompressed("scenarios/traces/pets-access.jsonl.zst", 4096);
    let words = [
        "\"integrationLatency\":\"-\",",
        "\"integrationLatency\":1e308,",
        "\"status\":\"99999\",",
        "\"requestTimeEpoch\":18446744073709551615,",
        "\"path\":\"/prod/pets/",
        "\n",
    ];
    campaign("fit", &[seed], &words, |input| {
        std::fs::write(&file, input).expect("temp file");
        let lines = input
            .split(|&b| b == b'\n')
            .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
            .count() as u64;
        match crate::fit::fit(&options, &mut |_, _| {}) {
            Ok(fit) => {
                let l = &fit.logs[0];
                assert_eq!(l.records + l.bad, lines);
                for r in &fit.resources {
                    assert!((0.0..=1.0).contains(&r.share), "{}", r.share);
                    if let Some(z) = r.keys.zipf {
                        assert!(z.exponent.is_finite() && (0.0..=10.0).contains(&z.exponent));
                    }
                }
                let _ = crate::fit::text(&fit);
                serde_json::to_string(&fit).expect("serializes");
            }
            Err(e) => assert!(e.to_string().contains("nothing to fit"), "{e}"),
        }
    });
}
