//! `cachegate import stage` and `stage_file` in scenarios: the deployed stage as AWS
//! prints it and a CloudFormation template, read as they are; `cachegate import api` on
//! the API definitions AWS exports.

use std::path::Path;

use predicates::str::contains;

use crate::run_cli::{cachegate, edited};

/// Runs `scenario` for two simulated minutes, one replication, into `dir`, expecting
/// `code`; its `summary.csv`.
fn run_two_minutes(scenario: &str, dir: &Path, code: i32) -> String {
    cachegate()
        .args([
            "run",
            scenario,
            "--duration",
            "2m",
            "--replications",
            "1",
            "--quiet",
            "--out",
        ])
        .arg(dir)
        .assert()
        .code(code);
    let name = Path::new(scenario).file_stem().unwrap();
    std::fs::read_to_string(dir.join(name).join("summary.csv")).unwrap()
}

/// Column `name` of `variant`'s row of a `summary.csv`.
fn value(summary: &str, variant: &str, name: &str) -> f64 {
    let header: Vec<&str> = summary.lines().next().unwrap().split(',').collect();
    let i = header.iter().position(|h| *h == name).unwrap();
    let row = summary
        .lines()
        .find(|l| l.starts_with(&format!("{variant},")))
        .unwrap();
    row.split(',').nth(i).unwrap().parse().unwrap()
}

#[test]
fn import_api_prints_the_resources_and_lists_every_problem() {
    cachegate()
        .args(["import", "api", "scenarios/apis/shop-oas30.json"])
        .assert()
        .code(0)
        .stdout(contains(
            "[[resources]]\npath = \"/products\"\nmethod = \"GET\"\ncache_key_parameters = [\"method.request.querystring.category\"]\n",
        ))
        .stdout(contains(
            "[[resources.parameters]]\nname = \"page\"\nin = \"query\"\naffects_response = true\n# The backend reads it and the cache key leaves it out",
        ));
    cachegate()
        .args(["import", "api", "scenarios/apis/shop-get-resources.json"])
        .assert()
        .code(0)
        .stdout(contains("cache_namespace = \"shared-products\""));
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        r#"{"items": [{"path": "/a", "resourceMethods": {"GET": {}}}, {"id": "b"}]}"#,
    )
    .unwrap();
    let out = cachegate()
        .args(["import", "api"])
        .arg(&bad)
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8(out).unwrap();
    assert!(
        err.contains("bad.json: items[0].resourceMethods.GET: the method is empty")
            && err.contains("bad.json: items[1].path: expected the resource's path"),
        "{err}"
    );
    cachegate()
        .args(["import", "api", "scenarios/stages/prod-get-stage.json"])
        .assert()
        .code(2)
        .stderr(contains(
            "no `openapi`, `swagger`, `items` or `format_version` field",
        ));
}

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
            "no stage resource named `Beta`; the template's stages are `ProdStage`",
        ));
}

#[test]
fn stage_files_configure_the_scenario_and_their_errors_are_located() {
    let dir = tempfile::tempdir().unwrap();
    let summary = run_two_minutes("scenarios/deployed-vs-template.toml", dir.path(), 1);
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

#[test]
fn api_files_define_the_resources_and_their_errors_are_located() {
    let dir = tempfile::tempdir().unwrap();
    let summary = run_two_minutes("scenarios/imported-api.toml", dir.path(), 1);
    let column = |variant: &str, name: &str| value(&summary, variant, name);
    // The export keys `GET /products` on `category` alone while the backend reads
    // `page`: shoppers get other pages; the definition with `page` in the key, none.
    assert!(
        column("as-exported", "wrong_key_responses") > 1_000.0,
        "{summary}"
    );
    assert_eq!(
        column("page-in-key", "wrong_key_responses"),
        0.0,
        "{summary}"
    );
    // An entry's own field overrides the file's: with `page` keyed, no configuration
    // serves another page (the check passes, exit 0).
    let (keyed, _) = edited(
        dir.path(),
        "keyed.toml",
        "scenarios/imported-api.toml",
        &[(
            "keys = 400                           # 20 categories x 20 pages",
            "keys = 400\ncache_key_parameters = [\"method.request.querystring.category\", \"method.request.querystring.page\"]",
        )],
    );
    std::fs::create_dir_all(dir.path().join("apis")).unwrap();
    for f in ["shop-oas30.json", "shop-swagger.yaml"] {
        std::fs::copy(
            format!("scenarios/apis/{f}"),
            dir.path().join("apis").join(f),
        )
        .unwrap();
    }
    cachegate()
        .args([
            "run",
            "--duration",
            "1m",
            "--replications",
            "1",
            "--quiet",
            "--out",
        ])
        .arg(dir.path().join("out"))
        .arg(&keyed)
        .assert()
        .code(0);
    // Errors: an entry the file has no method for, a missing file in a variant.
    let (bad, _) = edited(
        dir.path(),
        "bad.toml",
        "scenarios/imported-api.toml",
        &[
            (
                "path = \"/products/{id}\"\nmethod = \"GET\"",
                "path = \"/product/{id}\"\nmethod = \"GET\"",
            ),
            (
                "api_file = \"apis/shop-swagger.yaml\"",
                "api_file = \"apis/nowhere.yaml\"",
            ),
        ],
    );
    let out = cachegate().arg("validate").arg(&bad).assert().code(1);
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(
        text.contains("bad.toml:19:12: api_file: apis/shop-oas30.json has no method GET /product/{id}; it has GET /legacy/products/{id}, GET /products, GET /products/{id}, PUT /products/{id}, GET /search, GET /{proxy+}"),
        "{text}"
    );
    assert!(
        text.contains("variants[1].api_file: variant `page-in-key`: ")
            && text.contains("nowhere.yaml: cannot read the file"),
        "{text}"
    );
}

#[test]
fn import_terraform_prints_the_scenario_and_a_plan_runs_as_a_variant() {
    let dir = tempfile::tempdir().unwrap();
    let out = cachegate()
        .args([
            "import",
            "terraform",
            "scenarios/terraform/shop-plan.json",
            "--out",
        ])
        .arg(dir.path())
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    for expected in [
        "[api]\nregion = \"us-east-1\"\n",
        "[stage]\ncache_cluster_enabled = true\ncache_cluster_size = \"1.6\"\n",
        "[[resources]]\npath = \"/products/{id}\"\nmethod = \"GET\"\n",
        "[principals.ops]\n",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
    assert!(dir.path().join("ops.json").exists());
    // The same plan as a stage file.
    cachegate()
        .args(["import", "stage", "scenarios/terraform/shop-plan.json"])
        .assert()
        .code(0)
        .stdout(contains(
            "[stage.method_settings.\"products/{id}/GET\"]\ncaching_enabled = true\ncache_ttl_in_seconds = 60\n",
        ));
    // Live against planned: the plan's throttle on single products refuses shoppers.
    let summary = run_two_minutes("scenarios/planned-change.toml", dir.path(), 1);
    let column = |variant: &str, name: &str| value(&summary, variant, name);
    assert_eq!(column("live", "throttled_429"), 0.0, "{summary}");
    assert!(column("planned", "throttled_429") > 10_000.0, "{summary}");
    assert!(
        column("planned", "backend_rps_mean") < column("live", "backend_rps_mean"),
        "the larger cache and longer TTL: {summary}"
    );
}
