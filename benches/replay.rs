//! Trace replay throughput on one thread: 20 million requests over 10^6 objects
//! (Zipf 1.0, ids scattered over 64 bits), LRU with room for 10^5 objects and no TTL,
//! as the cache-simulation field benchmarks it. Both the `oracleGeneral` binary trace
//! and the same trace as text (one id per line). The baseline in each group is reading
//! the trace alone, so the ratio shows what the gateway and cache add. The traces are
//! generated once into cargo's target tmp folder (about 480 MB and 300 MB).

use std::hint::black_box;
use std::io::Write;
use std::path::{Path, PathBuf};

use cachegate::scenario::Scenario;
use cachegate::sim;
use cachegate::testing::ScenarioText;
use cachegate::trace::{self, TraceRequest};
use criterion::{Criterion, Throughput, criterion_group};
use rand::SeedableRng;
use rand_distr::{Distribution, Zipf};

const REQUESTS: u64 = 20_000_000;
const OBJECTS: u64 = 1_000_000;

/// Writes the binary and text traces unless they are already there.
fn traces() -> (PathBuf, PathBuf) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("replay-bench");
    let (bin, txt) = (dir.join("zipf.oracleGeneral.bin"), dir.join("zipf.txt"));
    let complete = std::fs::metadata(&bin).is_ok_and(|m| m.len() == REQUESTS * 24)
        && std::fs::metadata(dir.join("done")).is_ok();
    if complete {
        return (bin, txt);
    }
    std::fs::create_dir_all(&dir).expect("bench tmp dir");
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(2026);
    let zipf = Zipf::new(OBJECTS as f64, 1.0).expect("zipf");
    let mut b = std::io::BufWriter::new(std::fs::File::create(&bin).expect("create"));
    let mut t = std::io::BufWriter::new(std::fs::File::create(&txt).expect("create"));
    for i in 0..REQUESTS {
        let id = (zipf.sample(&mut rng) as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 20;
        let time = (i / 10_000) as u32;
        b.write_all(&time.to_le_bytes()).unwrap();
        b.write_all(&id.to_le_bytes()).unwrap();
        b.write_all(&4096u32.to_le_bytes()).unwrap();
        b.write_all(&(-1i64).to_le_bytes()).unwrap();
        writeln!(t, "{id}").unwrap();
    }
    b.flush().unwrap();
    t.flush().unwrap();
    std::fs::write(dir.join("done"), b"").unwrap();
    (bin, txt)
}

fn scenario(trace: &Path, format: &str) -> Scenario {
    let dir = trace.parent().expect("dir");
    let path = dir.join(format!("replay-{format}.toml"));
    let rate = if format == "text" {
        "rate = 10000\n"
    } else {
        ""
    };
    std::fs::write(
        &path,
        ScenarioText::new("replay-bench")
            .duration("1h")
            .ttl(3600)
            .model(r#"ttl_mode = "never""#)
            .model("capacity_entries = 100_000")
            .then(&format!(
                r#"[[resources]]
path = "/objects/{{id}}"
method = "GET"
cache_key_parameters = ["method.request.path.id"]
response_bytes = 4096
backend_latency = "0ms"
[principals.reader]
[[traces]]
name = "zipf"
file = "{}"
format = "{format}"
resource = "GET /objects/{{id}}"
{rate}"#,
                trace.file_name().expect("name").to_string_lossy()
            ))
            .text(),
    )
    .expect("write scenario");
    Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"))
}

fn replay(c: &mut Criterion) {
    let (bin, txt) = traces();
    for (format, file) in [("oracle_general", bin), ("text", txt)] {
        let s = scenario(&file, format);
        let mut g = c.benchmark_group(format!("replay/{format}/zipf1.0/objects=1e6/lru=1e5"));
        g.sample_size(10);
        g.throughput(Throughput::Elements(REQUESTS));
        g.bench_function("read_only (baseline)", |b| {
            b.iter(|| {
                let mut source = trace::open(&s.traces[0]).expect("opens");
                let mut r = TraceRequest::default();
                let mut sum = 0u64;
                while source.next(&mut r).expect("reads") {
                    sum = sum.wrapping_add(r.key);
                }
                black_box(sum)
            })
        });
        g.bench_function("replay", |b| {
            b.iter(|| {
                let out = sim::run(black_box(&s), 0, &mut |_| {}).expect("runs");
                assert_eq!(out.simulated_requests, REQUESTS);
                out.recorder.counts.cache_misses
            })
        });
        g.finish();
    }
}

criterion_group!(benches, replay);
