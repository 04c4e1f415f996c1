//! Access-log ingest: a generated API Gateway access log (200,000 records, about 170 MB:
//! the default fields and a dozen more, a nested `identity`, escapes, CloudWatch export
//! prefixes on a quarter of the lines). The baseline is reading the file's bytes from
//! the page cache, as `cat` does, so the ratio is what parsing and mapping records
//! costs; then the reader alone, then the whole replay, each on a pool of one thread and
//! of two (the reader parses chunks on the pool it runs in). `fit_read_log` reads the
//! records `cachegate fit` reads (every field it looks at), `fit` fits them too: the
//! ratio of the two is what fitting costs over reading (the goal is at most 2). The log
//! is generated once into cargo's target tmp folder.

use std::hint::black_box;
use std::io::Read;
use std::path::{Path, PathBuf};

use cachegate::scenario::Scenario;
use cachegate::sim;
use cachegate::testing::{ACCESS_LOG_FIELDS, AccessLogShape, ScenarioText, write_access_log};
use cachegate::trace::{self, TraceRequest};
use criterion::{Criterion, Throughput, criterion_group};

const RECORDS: u64 = 200_000;

/// Writes the log unless it is already there.
fn log() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("access-log-bench");
    let file = dir.join("access.jsonl");
    if std::fs::metadata(dir.join("done")).is_ok() {
        return file;
    }
    std::fs::create_dir_all(&dir).expect("bench tmp dir");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&file).expect("create"));
    let shape = AccessLogShape {
        records: RECORDS,
        ..AccessLogShape::default()
    };
    write_access_log(&shape, &mut out).expect("write");
    drop(out);
    std::fs::write(dir.join("done"), b"").expect("done");
    file
}

fn scenario(log: &Path) -> Scenario {
    let path = log.with_file_name("access-log.toml");
    let text = ScenarioText::new("access-log-bench")
        .duration("10m")
        .ttl(300)
        .then(&format!(
            r#"[[resources]]
path = "/pets/{{petId}}"
method = "GET"
cache_key_parameters = ["method.request.path.petId"]
keys = 100_000
response_bytes = 2_000
backend_latency = "0ms"
[[resources]]
path = "/pets"
method = "GET"
keys = 20
response_bytes = 2_000
backend_latency = "0ms"
[[resources]]
path = "/pets"
method = "POST"
keys = 1
response_bytes = 200
backend_latency = "0ms"
[principals.public]
[principals.ops]
[principals.partner]
[[traces]]
name = "access"
file = "{}"
format = "access_log"
principal = "public"
max_bad_lines = 0
{ACCESS_LOG_FIELDS}
[traces.principals]
"arn:aws:iam::123456789012:user/ops" = "ops"
"arn:aws:sts::123456789012:assumed-role/partner/session-1" = "partner"
"#,
            log.file_name().expect("name").to_string_lossy()
        ))
        .text();
    std::fs::write(&path, text).expect("write scenario");
    Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"))
}

fn access_log(c: &mut Criterion) {
    let file = log();
    let bytes = std::fs::metadata(&file).expect("log").len();
    let s = scenario(&file);
    let mut g = c.benchmark_group("access_log/records=2e5");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(bytes));
    g.bench_function("read_bytes (baseline)", |b| {
        let mut buf = vec![0u8; 1 << 16];
        b.iter(|| {
            let mut f = std::fs::File::open(&file).expect("opens");
            let mut n = 0usize;
            loop {
                let got = f.read(&mut buf).expect("reads");
                if got == 0 {
                    break;
                }
                n += got;
            }
            black_box(n)
        })
    });
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool");
        g.bench_function(format!("read_records/threads={threads}"), |b| {
            b.iter(|| {
                pool.install(|| {
                    let mut source = trace::open(&s.traces[0]).expect("opens");
                    let mut r = TraceRequest::default();
                    let mut n = 0u64;
                    while source.next(&mut r).expect("reads") {
                        n = n.wrapping_add(r.key);
                    }
                    black_box(n)
                })
            })
        });
        let mut options = cachegate::fit::FitOptions {
            max_bad_lines: 0,
            ..cachegate::fit::FitOptions::new(vec![file.clone()], trace::LogFields::standard())
        };
        options.fields.principal = Some(vec!["identity".into(), "userArn".into()]);
        g.bench_function(format!("fit_read_log/threads={threads}"), |b| {
            b.iter(|| {
                pool.install(|| {
                    let mut n = 0u64;
                    trace::read_log(&file, &options.fields, 0, &mut |_| {}, &mut |r| {
                        n = n.wrapping_add(r.micros);
                    })
                    .expect("reads");
                    black_box(n)
                })
            })
        });
        g.bench_function(format!("fit/threads={threads}"), |b| {
            b.iter(|| {
                pool.install(|| {
                    let fit = cachegate::fit::fit(&options, &mut |_, _| {}).expect("fits");
                    black_box(fit.overall.requests)
                })
            })
        });
        g.bench_function(format!("replay/threads={threads}"), |b| {
            b.iter(|| {
                pool.install(|| {
                    let out = sim::run(black_box(&s), 0, &mut |_| {}).expect("runs");
                    out.recorder.counts.requests
                })
            })
        });
    }
    g.finish();
}

criterion_group!(benches, access_log);
