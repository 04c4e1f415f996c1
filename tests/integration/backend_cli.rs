//! `cachegate validate` and `import stage` on what reaches the backend: throttling
//! limits, backends, timeouts, errors and outages are checked with their field paths,
//! all at once; a stage whose cache cluster and method settings disagree is warned of.

use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;

use crate::run_cli::{cachegate, edited};

#[test]
fn backend_and_throttling_mistakes_are_all_listed_with_their_fields() {
    let dir = tempfile::tempdir().unwrap();
    let (bad, _) = edited(
        dir.path(),
        "backend.toml",
        "scenarios/pets.toml",
        &[
            (
                "stage = \"prod\"",
                "stage = \"prod\"\naccount_throttling_burst_limit = -5",
            ),
            (
                "cache_ttl_in_seconds = 60",
                "cache_ttl_in_seconds = 60\nthrottling_rate_limit = -2",
            ),
            (
                "coalesce_misses = false   # concurrent misses each go to the backend",
                "coalesce_misses = false\nbackend_overload_status = 404\ncache_provisioning = \"soon\"",
            ),
            (
                "data_change_rate = \"1/10m\"",
                "data_change_rate = \"1/10m\"\nintegration_timeout = \"10ms\"\nbackend_error_rate = 1.5\nbackend_concurrency = 0\nbackend_overload = \"drop\"",
            ),
            (
                "data_change_rate = \"1/1m\"",
                "data_change_rate = \"1/1m\"\nbackend = \"db\"",
            ),
            (
                "action = \"flush_stage_cache\"",
                "action = \"backend_outage\"\nresource = \"GET /owners\"",
            ),
        ],
    );
    cachegate()
        .arg("validate")
        .arg(&bad)
        .assert()
        .code(1)
        .stdout(contains(
            "api.account_throttling_burst_limit: expected a whole number of requests within 0..=1000000000, got -5",
        ))
        .stdout(contains(
            "stage.method_settings.\"pets/{petId}/GET\".throttling_rate_limit: expected requests a second within 0..=1000000000, got -2",
        ))
        .stdout(contains(
            "model.backend_overload_status: expected a 5xx status such as 500, 502 or 504, got 404",
        ))
        .stdout(contains("model.cache_provisioning:"))
        .stdout(contains("resources[0].integration_timeout: expected 50ms to 1h"))
        .stdout(contains(
            "resources[0].backend_error_rate: expected a share of fetches within 0..=1, got 1.5",
        ))
        .stdout(contains(
            "resources[0].backend_concurrency: must be >= 1 (fetches served at once), got 0",
        ))
        .stdout(contains(
            "resources[0].backend_overload: expected \"queue\" or \"reject\", got \"drop\"",
        ))
        .stdout(contains("resources[1].backend: no `[backends.db]`; declared: none"))
        .stdout(contains("events[0].duration: required: how long fetches fail"));
}

#[test]
fn a_cache_that_stores_nothing_and_caching_without_a_cluster_are_warned_of() {
    let dir = tempfile::tempdir().unwrap();
    // The cluster on, no method caching: what the API and Terraform leave by default.
    let (paid, _) = edited(
        dir.path(),
        "paid.toml",
        "scenarios/wrong-key.toml",
        &[("caching_enabled = true\n", "")],
    );
    cachegate()
        .arg("validate")
        .arg(&paid)
        .assert()
        .code(0)
        .stdout(contains(
            "warning: the cache cluster is on but no method caches",
        ))
        .stdout(contains(
            "paying $0.020/hour for a cache that stores nothing",
        ));
    let (off, _) = edited(
        dir.path(),
        "off.toml",
        "scenarios/wrong-key.toml",
        &[(
            "cache_cluster_enabled = true",
            "cache_cluster_enabled = false",
        )],
    );
    cachegate()
        .arg("validate")
        .arg(&off)
        .assert()
        .code(0)
        .stdout(contains(
            "warning: caching is enabled in method settings `*/*` but `cache_cluster_enabled` is false",
        ));
    cachegate()
        .arg("validate")
        .arg("scenarios/wrong-key.toml")
        .assert()
        .code(0)
        .stdout(contains("warning").not());
}

#[test]
fn import_reads_throttling_and_a_stage_without_method_settings_caches_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let stage = dir.path().join("stage.json");
    std::fs::write(
        &stage,
        r#"{"stageName": "prod", "cacheClusterEnabled": true, "cacheClusterSize": "0.5",
            "methodSettings": {"pets/GET": {"throttlingRateLimit": 50.0, "throttlingBurstLimit": 20},
                               "*/*": {"throttlingRateLimit": -1.0, "throttlingBurstLimit": -1}}}"#,
    )
    .unwrap();
    cachegate()
        .args(["import", "stage"])
        .arg(&stage)
        .assert()
        .code(0)
        .stdout(contains(
            "[stage.method_settings.\"pets/GET\"]\nthrottling_rate_limit = 50.0\nthrottling_burst_limit = 20\n",
        ))
        .stdout(contains("caching_enabled").not());
    std::fs::write(
        &stage,
        r#"{"methodSettings": {"*/*": {"throttlingBurstLimit": "many"}}}"#,
    )
    .unwrap();
    cachegate()
        .args(["import", "stage"])
        .arg(&stage)
        .assert()
        .code(2)
        .stderr(contains(
            "methodSettings.\"*/*\".throttlingBurstLimit: expected a number, got \"many\"",
        ));
}
