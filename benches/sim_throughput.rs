//! End-to-end simulated requests per second on one thread (policy checks, metrics and
//! all), on `benches/data/sim-zipf-{10000,1000000}.toml`: one replication of 60 s
//! simulated after 10 s of warm-up, about 7 million requests each. The
//! figure to read is the throughput criterion prints (elements = simulated requests).
//! `sim/workload` runs the 10,000-key scenario with its popularity read from a file
//! (the same Zipf weights) and with its rate following a profile (two steps of the same
//! rate, so the traffic is the same and only drawing it costs more), against the
//! scenario as written.

use std::hint::black_box;
use std::path::Path;

use cachegate::scenario::Scenario;
use cachegate::sim;
use criterion::{Criterion, Throughput, criterion_group};

fn simulate(c: &mut Criterion) {
    for keys in [10_000u64, 1_000_000] {
        let path = format!("benches/data/sim-zipf-{keys}.toml");
        let scenario = Scenario::load(Path::new(&path)).expect("bench scenario is valid");
        let requests = sim::run(&scenario, 0, &mut |_| {})
            .expect("runs")
            .simulated_requests;
        let mut g = c.benchmark_group(format!("sim/zipf0.9/keys={keys}"));
        g.sample_size(10);
        g.throughput(Throughput::Elements(requests));
        g.bench_function("run_one_replication", |b| {
            b.iter(|| {
                sim::run(black_box(&scenario), 0, &mut |_| {})
                    .expect("runs")
                    .simulated_requests
            })
        });
        g.finish();
    }
}

/// The 10,000-key bench scenario with `from` replaced by `to`.
fn edited(from: &str, to: &str) -> Scenario {
    let path = Path::new("benches/data/sim-zipf-10000.toml");
    let text = std::fs::read_to_string(path).expect("bench scenario");
    assert!(text.contains(from), "{from}");
    Scenario::parse(path, text.replace(from, to).as_bytes()).expect("edited scenario is valid")
}

fn workload(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let weights = dir.path().join("zipf.csv");
    let mut csv = String::from("key,weight\n");
    for r in 1..=10_000u32 {
        csv.push_str(&format!("{r},{}\n", f64::from(r).powf(-0.9)));
    }
    std::fs::write(&weights, csv).expect("writes");
    let runs = [
        ("zipf_constant_rate (baseline)", edited("name", "name")),
        (
            "empirical_popularity",
            edited(
                "popularity = { zipf = 0.9 }",
                &format!(
                    "popularity = {{ empirical = {:?} }}",
                    weights.display().to_string()
                ),
            ),
        ),
        (
            "rate_profile",
            edited(
                "rate = 98_000",
                "rate = { profile = [{ start = \"0s\", rate = 98_000 }, { start = \"1s\", rate = 98_000 }], repeat = \"2s\" }",
            ),
        ),
    ];
    let requests = sim::run(&runs[0].1, 0, &mut |_| {})
        .expect("runs")
        .simulated_requests;
    let mut g = c.benchmark_group("sim/workload/keys=10000");
    g.sample_size(10);
    g.throughput(Throughput::Elements(requests));
    for (name, scenario) in &runs {
        g.bench_function(*name, |b| {
            b.iter(|| {
                sim::run(black_box(scenario), 0, &mut |_| {})
                    .expect("runs")
                    .simulated_requests
            })
        });
    }
    g.finish();
}

criterion_group!(benches, simulate, workload);
