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
    assert_eq!(f["evidence"]["field"], "resources[0].cache_key_parameters");
    let line = line_of("scenarios/wrong-key.toml", "cache_key_parameters");
    assert_eq!(f["evidence"]["line"], line);
    // TOML findings point at the value.
    let text = std::fs::read_to_string("scenarios/wrong-key.toml").unwrap();
    let at = text.lines().nth(line - 1).unwrap();
    assert_eq!(f["evidence"]["column"], at.find('[').unwrap() + 1);
}

/// The 1-based line of the first line of `file` containing `needle`.
fn line_of(file: &str, needle: &str) -> usize {
    std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .position(|l| l.contains(needle))
        .unwrap()
        + 1
}

/// `cachegate audit ARGS --format sarif`, read back with serde-sarif's types.
fn sarif(args: &[&str]) -> serde_sarif::sarif::Sarif {
    let mut all = vec!["audit"];
    all.extend(args);
    all.extend(["--format", "sarif"]);
    let out = cachegate()
        .args(&all)
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    serde_json::from_slice(&out).unwrap_or_else(|e| panic!("not a SARIF log: {e}"))
}

#[test]
fn audit_writes_sarif_that_points_at_the_line_to_change() {
    let log = sarif(&["scenarios/wrong-key.toml"]);
    assert_eq!(log.version, "2.1.0");
    let run = &log.runs[0];
    let driver = &run.tool.driver;
    assert_eq!(driver.name, "cachegate");
    // Every rule, in order, with its default level.
    let rules = driver.rules.as_ref().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r.id.as_str()).collect();
    let expected: Vec<&str> = cachegate::audit::RULES.iter().map(|r| r.id).collect();
    assert_eq!(ids, expected);
    let results = run.results.as_ref().unwrap();
    assert_eq!(results.len(), 1);
    let r = &results[0];
    assert_eq!(
        r.rule_id.as_deref(),
        Some("read-parameter-not-in-cache-key")
    );
    let index = usize::try_from(r.rule_index.unwrap()).unwrap();
    assert_eq!(rules[index].id, "read-parameter-not-in-cache-key");
    assert_eq!(
        serde_json::to_value(r.level.as_ref()).unwrap(),
        serde_json::json!("error")
    );
    let physical = r.locations.as_ref().unwrap()[0]
        .physical_location
        .as_ref()
        .unwrap();
    let artifact = physical.artifact_location.as_ref().unwrap();
    assert_eq!(artifact.uri.as_deref(), Some("scenarios/wrong-key.toml"));
    assert_eq!(artifact.uri_base_id.as_deref(), Some("%SRCROOT%"));
    let region = physical.region.as_ref().unwrap();
    assert_eq!(
        region.start_line,
        Some(line_of("scenarios/wrong-key.toml", "cache_key_parameters") as i64)
    );
    let message = r.message.text.as_deref().unwrap();
    assert!(
        message.contains("Fix: Add \"method.request.querystring.page\""),
        "{message}"
    );
    // The same finding has the same fingerprint run after run.
    let again = sarif(&["scenarios/wrong-key.toml"]);
    assert_eq!(
        again.runs[0].results.as_ref().unwrap()[0].partial_fingerprints,
        r.partial_fingerprints
    );
}

#[test]
fn audit_sarif_names_the_imported_file_and_its_field() {
    // A scenario whose API comes from a Terraform plan: the finding is in the plan.
    let log = sarif(&["scenarios/planned-change.toml"]);
    let results = log.runs[0].results.as_ref().unwrap();
    assert!(!results.is_empty());
    for r in results {
        let location = &r.locations.as_ref().unwrap()[0];
        let physical = location.physical_location.as_ref().unwrap();
        assert_eq!(
            physical.artifact_location.as_ref().unwrap().uri.as_deref(),
            Some("scenarios/terraform/shop-plan.json")
        );
        let line = physical.region.as_ref().unwrap().start_line.unwrap();
        let text = std::fs::read_to_string("scenarios/terraform/shop-plan.json").unwrap();
        let at = text
            .lines()
            .nth(usize::try_from(line).unwrap() - 1)
            .unwrap();
        assert!(at.contains("\"cache_key_parameters\""), "line {line}: {at}");
        let field = location.logical_locations.as_ref().unwrap()[0]
            .fully_qualified_name
            .as_deref()
            .unwrap();
        assert!(field.ends_with(".values.cache_key_parameters"), "{field}");
    }
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
        .stdout(contains("--> scenarios/terraform/shop-plan.json:137:17: planned_values.root_module.child_modules[0].resources[4].values.cache_key_parameters"));
    cachegate()
        .args(["audit", "--stage", "scenarios/stages/nowhere.json"])
        .assert()
        .code(2)
        .stderr(contains("nowhere.json: cannot read the file"));
    cachegate().args(["audit"]).assert().code(2);
}

#[test]
fn audit_simulate_measures_what_a_finding_costs() {
    cachegate()
        .args([
            "audit",
            "scenarios/strategies.toml",
            "--simulate",
            "--quiet",
        ])
        .assert()
        .code(1)
        .stdout(contains(
            "warning[require-authorization-off] [no-authorization]: GET /pets/{petId}",
        ))
        .stdout(contains("  measured: backend requests/s "))
        .stdout(contains(
            "    with a scraper (no permission to invalidate) at a tenth of the traffic",
        ));
    // It needs a scenario's workload.
    cachegate()
        .args([
            "audit",
            "--stage",
            "scenarios/stages/shop-get-stage.json",
            "--simulate",
        ])
        .assert()
        .code(2)
        .stderr(contains("--simulate"));
}

#[test]
fn audit_reads_a_plan_of_for_each_and_count_resources() {
    cachegate()
        .args([
            "audit",
            "--stage",
            "scenarios/terraform/zoo-for-each-plan.json",
            "--api",
            "scenarios/terraform/zoo-for-each-plan.json",
        ])
        .assert()
        .code(1)
        .stdout(contains(
            "error[read-parameter-not-in-cache-key]: GET /dogs: the response depends on `method.request.querystring.page`",
        ))
        .stdout(contains("1 error(s), 0 warning(s), 0 note(s)"));
}
