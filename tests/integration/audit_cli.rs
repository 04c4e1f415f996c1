//! `cachegate audit` on the example scenarios and on files as AWS and Terraform print
//! them: findings, formats and the exit status a pipeline gates on.

use predicates::str::contains;

use crate::run_cli::cachegate;

#[test]
fn audit_finds_the_exported_cache_key_mistake_and_gates_on_severity() {
    cachegate()
        .args(["audit", "scenarios/imported-api.toml"])
        .assert()
        .code(1)
        .stdout(contains(
            "error[read-parameter-not-in-cache-key] [as-exported]: GET /products: the response depends on `method.request.querystring.page`",
        ))
        .stdout(contains("2 error(s), 0 warning(s), 0 note(s)"));
    // Warnings only: failing on errors passes.
    cachegate()
        .args(["audit", "scenarios/pets.toml", "--fail-on", "error"])
        .assert()
        .code(0)
        .stdout(contains("warning[silent-unauthorized-strategy] [silent]"));
    cachegate()
        .args(["audit", "scenarios/ttl-capacity.toml"])
        .assert()
        .code(0)
        .stdout("0 error(s), 0 warning(s), 0 note(s)\n");
    let out = cachegate()
        .args(["audit", "scenarios/wrong-key.toml", "--format", "json"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let f = &json[0];
    assert_eq!(f["rule"], "read-parameter-not-in-cache-key");
    assert_eq!(f["level"], "error");
    assert_eq!(f["evidence"]["file"], "scenarios/wrong-key.toml");
    assert_eq!(
        f["evidence"]["field"],
        "resources[\"GET /products\"].cache_key_parameters"
    );
}

#[test]
fn audit_reads_a_terraform_plan_against_the_live_stage() {
    cachegate()
        .args([
            "audit",
            "--stage",
            "scenarios/terraform/shop-plan.json",
            "--api",
            "scenarios/terraform/shop-plan.json",
            "--live",
            "scenarios/stages/shop-get-stage.json",
        ])
        .assert()
        .code(1)
        .stdout(contains(
            "note[planned-changes-strategy]: GET /products/{id}: unauthorized `max-age=0` requests change from SUCCEED_WITH_RESPONSE_HEADER to FAIL_WITH_403",
        ))
        .stdout(contains("--> scenarios/terraform/shop-plan.json: resources[\"GET /products\"].cache_key_parameters"));
    cachegate()
        .args(["audit", "--stage", "scenarios/stages/nowhere.json"])
        .assert()
        .code(2)
        .stderr(contains("nowhere.json: cannot read the file"));
    cachegate().args(["audit"]).assert().code(2);
}
