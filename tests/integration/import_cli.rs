//! `cachegate import stage` and `stage_file` in scenarios: the deployed stage as AWS
//! prints it and a CloudFormation template, read as they are.

use std::path::Path;

use predicates::str::contains;

use crate::run_cli::{cachegate, edited};

#[test]
fn import_stage_prints_the_scenario_section() {
    cachegate()
        .args(["import", "stage", "scenarios/stages/prod-get-stage.json"])
        .assert()
        .code(0)
        .stdout(contains(
            "[stage]\ncache_cluster_enabled = true\ncache_cluster_size = \"0.5\"\n\n[stage.method_settings.\"*/*\"]\ncaching_enabled = true\ncache_ttl_in_seconds = 60\n",
        ));
    cachegate()
        .args(["import", "stage", "scenarios/stages/proposed-template.yaml"])
        .assert()
        .code(0)
        .stdout(contains("cache_cluster_size = \"1.6\""))
        .stdout(contains(
            "[stage.method_settings.\"pets/{petId}/GET\"]\ncaching_enabled = true\ncache_ttl_in_seconds = 600\n",
        ));
    cachegate()
        .args(["import", "stage", "scenarios/policies/ops-invalidate.json"])
        .assert()
        .code(2)
        .stderr(contains(
            "cachegate: error: scenarios/policies/ops-invalidate.json: neither `aws apigateway get-stage` output",
        ));
    cachegate()
        .args([
            "import",
            "stage",
            "scenarios/stages/proposed-template.yaml",
            "--resource",
            "Beta",
        ])
        .assert()
        .code(2)
        .stderr(contains(
            "no AWS::ApiGateway::Stage resource named `Beta`; the template has `ProdStage`",
        ));
}

#[test]
fn stage_files_configure_the_scenario_and_their_errors_are_located() {
    let dir = tempfile::tempdir().unwrap();
    cachegate()
        .args([
            "run",
            "scenarios/deployed-vs-template.toml",
            "--duration",
            "2m",
            "--replications",
            "1",
            "--quiet",
            "--out",
        ])
        .arg(dir.path())
        .assert()
        .code(1);
    let summary =
        std::fs::read_to_string(dir.path().join("deployed-vs-template/summary.csv")).unwrap();
    let hit_rate = |variant: &str| -> f64 {
        let row = summary
            .lines()
            .find(|l| l.starts_with(&format!("{variant},")))
            .unwrap();
        row.split(',').nth(6).unwrap().parse().unwrap()
    };
    // The deployed stage caches for 60 s, the template's for 300 s and 600 s.
    assert!(
        hit_rate("template") > hit_rate("deployed") + 0.1,
        "{summary}"
    );
    let stages = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/stages/");
    let (bad, _) = edited(
        dir.path(),
        "bad.toml",
        "scenarios/deployed-vs-template.toml",
        &[
            (
                "stage_file = \"stages/prod-get-stage.json\"\n\n[api]",
                "stage_file = \"nowhere.json\"\n\n[api]",
            ),
            (
                "name = \"deployed\"\nstage_file = \"stages/",
                &format!("name = \"deployed\"\nstage_file = \"{stages}"),
            ),
            (
                "stage_file = \"stages/proposed-template.yaml\"",
                &format!("stage_file = \"{stages}../policies/ops-invalidate.json\""),
            ),
        ],
    );
    let out = cachegate().arg("validate").arg(&bad).assert().code(1);
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(
        text.contains("bad.toml:22:14: stage_file: ")
            && text.contains("nowhere.json: cannot read the file"),
        "{text}"
    );
    assert_eq!(text.lines().count(), 2, "nothing else: {text}");
    assert!(
        text.contains("bad.toml:62:14: variants[1].stage_file: variant `template`: ")
            && text.contains("ops-invalidate.json: neither `aws apigateway get-stage` output"),
        "{text}"
    );
    assert!(Path::new(&bad).exists());
}
