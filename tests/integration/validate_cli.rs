//! `cachegate validate` on numbers and names out of range: every one is a located
//! problem, listed together, never a result that is silently wrong or a later panic.

use predicates::str::contains;

use crate::run_cli::{cachegate, edited};

#[test]
fn numbers_and_names_out_of_range_are_all_listed() {
    let dir = tempfile::tempdir().unwrap();
    let (bad, _) = edited(
        dir.path(),
        "numbers.toml",
        "scenarios/pets.toml",
        &[
            ("region = \"us-east-1\"", "region = \"Mars\""),
            ("account = \"123456789012\"", "account = \"12345\""),
            ("rate = 500 ", "rate = 1e308 "),
            (
                "policies = [\"policies/ops-invalidate.json\"]",
                "policies = []",
            ),
            ("rate = 0.5", "rate = inf"),
            (
                "response_bytes = 2048 ",
                "response_bytes = { lognormal = { median = 2048, sigma = 1e300 } } ",
            ),
            (
                "[principals.public]",
                "[cost]\nbackend_usd_per_million_requests = -100\n\n[principals.public]",
            ),
        ],
    );
    let nan = dir.path().join("nan.toml");
    let text = std::fs::read_to_string(&bad)
        .unwrap()
        .replace("= -100", "= nan");
    std::fs::write(&nan, text).unwrap();
    cachegate()
        .arg("validate")
        .arg(&bad)
        .assert()
        .code(1)
        .stdout(contains("api.region: expected an AWS region name"))
        .stdout(contains("api.account: expected a 12-digit AWS account id"))
        .stdout(contains(
            "clients[0].rate: must be at most 1e7 requests a second",
        ))
        .stdout(contains("clients[1].rate: must be >= 0, got inf"))
        .stdout(contains("sigma must be within 0..=5, got 1e300"))
        .stdout(contains(
            "cost.backend_usd_per_million_requests: expected a price in USD >= 0, got -100",
        ));
    cachegate()
        .arg("validate")
        .arg(&nan)
        .assert()
        .code(1)
        .stdout(contains(
            "cost.backend_usd_per_million_requests: expected a price in USD >= 0, got NaN",
        ));
}
