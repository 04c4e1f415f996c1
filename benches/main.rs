//! criterion benches for the hot paths the simulator runs, one module per topic
//! (criterion.rs's own `bench_main.rs` layout). Figures are read as ratios against a
//! baseline measured in the same group, since these machines are noisy.

use criterion::criterion_main;

mod access_log;
mod cache_ops;
mod gateway;
mod policy_eval;
mod replay;
mod sim_throughput;
mod workload;

criterion_main!(
    policy_eval::benches,
    cache_ops::benches,
    gateway::benches,
    sim_throughput::benches,
    replay::benches,
    access_log::benches
);
