//! criterion benches for the hot paths the simulator runs, one module per topic
//! (criterion.rs's own `bench_main.rs` layout). Figures are read as ratios against a
//! baseline measured in the same group, since these machines are noisy.

use criterion::criterion_main;

mod policy_eval;

criterion_main!(policy_eval::benches);
