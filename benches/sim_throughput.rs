//! End-to-end simulated requests per second on one thread (policy checks, metrics and
//! all), on `benches/data/sim-zipf-{10000,1000000}.toml`: one replication of 60 s
//! simulated after 10 s of warm-up, about 7 million requests each. The
//! figure to read is the throughput criterion prints (elements = simulated requests).

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

criterion_group!(benches, simulate);
