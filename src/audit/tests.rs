//! Every rule, on a configuration that breaks it and one that does not.

use super::*;

/// The findings of a scenario whose `[stage]`, `[[resources]]` and `[principals]` are
/// `body`, written (with `files`, e.g. policies) in a temporary folder.
fn findings(body: &str, files: &[(&str, &str)]) -> Vec<Finding> {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let text = format!(
        "name = \"t\"\nseed = 1\nduration = \"10s\"\nwarmup = \"1s\"\nwindow = \"1s\"\n\n[api]\nregion = \"us-east-1\"\naccount = \"123456789012\"\napi_id = \"a1b2c3d4e5\"\nstage = \"prod\"\n\n{body}\n\n[[clients]]\nname = \"app\"\nprincipal = \"app\"\nrate = 1\nmix = {{ \"GET /pets/{{petId}}\" = 1.0 }}\n"
    );
    let path = dir.path().join("t.toml");
    std::fs::write(&path, text).unwrap();
    audit_scenario(&path).unwrap_or_else(|e| panic!("{e}"))
}

const PETS: &str = r#"[[resources]]
path = "/pets/{petId}"
method = "GET"
cache_key_parameters = ["method.request.path.petId"]
keys = 10
response_bytes = 1000
backend_latency = "10ms"
"#;

/// A stage caching every GET for 300 s, authorization required, with a warning header.
fn cached(extra: &str) -> String {
    format!(
        "[stage]\ncache_cluster_enabled = true\ncache_cluster_size = \"0.5\"\n\n[stage.method_settings.\"*/*\"]\ncaching_enabled = true\ncache_ttl_in_seconds = 300\n{extra}\n\n{PETS}\n[principals.app]\n"
    )
}

fn rules(f: &[Finding]) -> Vec<&'static str> {
    f.iter().map(|f| f.rule).collect()
}

#[test]
fn a_well_configured_stage_has_no_finding() {
    assert_eq!(rules(&findings(&cached(""), &[])), Vec::<&str>::new());
}

#[test]
fn the_cluster_and_the_method_settings_must_agree() {
    let unused = cached("").replace("caching_enabled = true\n", "");
    let f = findings(&unused, &[]);
    assert_eq!(rules(&f), ["cache-cluster-unused"]);
    assert!(
        f[0].message.contains("paying $0.020/hour"),
        "{}",
        f[0].message
    );
    assert_eq!(f[0].evidence.field, "stage.cache_cluster_enabled");
    let no_cluster = cached("").replace(
        "cache_cluster_enabled = true",
        "cache_cluster_enabled = false",
    );
    let f = findings(&no_cluster, &[]);
    assert_eq!(rules(&f), ["caching-without-cluster"]);
    assert_eq!(
        f[0].evidence.field,
        "stage.method_settings.\"*/*\".caching_enabled"
    );
    let neither = no_cluster.replace("caching_enabled = true\n", "");
    assert!(findings(&neither, &[]).is_empty());
}

#[test]
fn a_parameter_the_response_depends_on_must_be_in_the_key() {
    let page = "[[resources.parameters]]\nname = \"page\"\nin = \"query\"\nvalues = 3\n";
    let body = format!("{}{page}", cached(""));
    let f = findings(&body, &[]);
    assert_eq!(rules(&f), ["read-parameter-not-in-cache-key"]);
    assert_eq!(f[0].level, Level::Error);
    assert!(f[0].message.contains("`method.request.querystring.page`"));
    // The method's entry in the scenario (it writes no key of its own: the line is
    // the entry's).
    assert_eq!(f[0].evidence.field, "resources[0].cache_key_parameters");
    assert!(f[0].evidence.line.is_some());
    // Keyed, or not read by the backend: fine.
    let keyed = body.replace(
        "cache_key_parameters = [\"method.request.path.petId\"]",
        "cache_key_parameters = [\"method.request.path.petId\", \"method.request.querystring.page\"]",
    );
    assert!(findings(&keyed, &[]).is_empty());
    let unread = body.replace("values = 3\n", "values = 3\naffects_response = false\n");
    assert!(findings(&unread, &[]).is_empty());
    // A path parameter always matters.
    let no_path = cached("").replace("[\"method.request.path.petId\"]", "[]");
    let f = findings(&no_path, &[]);
    assert_eq!(rules(&f), ["read-parameter-not-in-cache-key"]);
    assert!(f[0].message.contains("`method.request.path.petId`"));
    // An uncached method serves nothing across keys.
    let uncached = no_path.replace(
        "cache_ttl_in_seconds = 300",
        "cache_ttl_in_seconds = 300\n\n[stage.method_settings.\"pets/{petId}/GET\"]\ncaching_enabled = false",
    );
    assert_eq!(rules(&findings(&uncached, &[])), ["cache-cluster-unused"]);
}

#[test]
fn max_age_zero_needs_authorization_and_a_visible_answer() {
    let off = cached("require_authorization_for_cache_control = false");
    let f = findings(&off, &[]);
    assert_eq!(rules(&f), ["require-authorization-off"]);
    assert_eq!(
        f[0].evidence.field,
        "stage.method_settings.\"*/*\".require_authorization_for_cache_control"
    );
    let silent =
        cached("unauthorized_cache_control_header_strategy = \"SUCCEED_WITHOUT_RESPONSE_HEADER\"");
    assert_eq!(
        rules(&findings(&silent, &[])),
        ["silent-unauthorized-strategy"]
    );
    for fine in ["SUCCEED_WITH_RESPONSE_HEADER", "FAIL_WITH_403"] {
        let s = cached(&format!(
            "unauthorized_cache_control_header_strategy = \"{fine}\""
        ));
        assert!(findings(&s, &[]).is_empty(), "{fine}");
    }
}

#[test]
fn ttl_zero_non_get_caching_and_oversized_responses_are_found() {
    let zero = cached("").replace("cache_ttl_in_seconds = 300", "cache_ttl_in_seconds = 0");
    assert_eq!(
        rules(&findings(&zero, &[])),
        ["cache-cluster-unused", "ttl-zero"]
    );
    let post = format!(
        "{}\n[stage.method_settings.\"pets/{{petId}}/POST\"]\ncaching_enabled = true\n\n[[resources]]\npath = \"/pets/{{petId}}\"\nmethod = \"POST\"\ncache_key_parameters = [\"method.request.path.petId\"]\nresponse_bytes = 10\nbackend_latency = \"1ms\"\n",
        cached("")
    );
    let f = findings(&post, &[]);
    assert_eq!(rules(&f), ["caching-non-get"]);
    assert_eq!(
        f[0].evidence.field,
        "stage.method_settings.\"pets/{petId}/POST\".caching_enabled"
    );
    let big = cached("").replace("response_bytes = 1000", "response_bytes = 1048577");
    assert_eq!(rules(&findings(&big, &[])), ["response-too-large"]);
    let limit = cached("").replace("response_bytes = 1000", "response_bytes = 1048576");
    assert!(findings(&limit, &[]).is_empty());
}

fn policy(resource: &str) -> String {
    format!(
        r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Action": "execute-api:InvalidateCache", "Resource": "{resource}"}}]}}"#
    )
}

#[test]
fn invalidation_grants_are_judged_by_what_they_reach() {
    let body = |public: bool| {
        cached("").replace(
            "[principals.app]\n",
            &format!("[principals.app]\n\n[principals.ops]\npolicies = [\"ops.json\"]\npublic = {public}\n"),
        )
    };
    let base = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5";
    for (resource, scope) in [
        ("*", Some("on every API of the account")),
        (
            &format!("{base}/*") as &str,
            Some("on every stage of the API"),
        ),
        (
            &format!("{base}/prod/*"),
            Some("on every method of the stage"),
        ),
        (&format!("{base}/prod/GET/pets/*"), None),
    ] {
        let f = findings(&body(false), &[("ops.json", &policy(resource))]);
        match scope {
            Some(scope) => {
                assert_eq!(rules(&f), ["invalidate-cache-too-broad"], "{resource}");
                assert!(f[0].message.contains(scope), "{resource}: {}", f[0].message);
                // The statement that grants it, in the policy file.
                assert_eq!(f[0].evidence.field, "Statement[0]");
                assert!(f[0].evidence.file.ends_with("ops.json"));
                assert_eq!(f[0].evidence.line, Some(1));
            }
            None => assert!(f.is_empty(), "{resource}: {f:?}"),
        }
    }
    // A public principal that may invalidate a cached method.
    let f = findings(
        &body(true),
        &[("ops.json", &policy(&format!("{base}/prod/GET/pets/*")))],
    );
    assert_eq!(rules(&f), ["invalidate-cache-public"]);
    assert_eq!(f[0].level, Level::Error);
    // Public, but granted nothing of this API's cached methods.
    let f = findings(
        &body(true),
        &[("ops.json", &policy(&format!("{base}/prod/POST/pets/*")))],
    );
    assert!(f.is_empty(), "{f:?}");
    // An explicit Deny beats the Allow.
    let denied = r#"{"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "execute-api:InvalidateCache", "Resource": "*"},
        {"Effect": "Deny", "Action": "execute-api:*", "Resource": "*"}]}"#;
    assert!(findings(&body(true), &[("ops.json", denied)]).is_empty());
}

#[test]
fn a_planned_stage_is_compared_with_the_live_one() {
    let dir = tempfile::tempdir().unwrap();
    let stage = |size: &str, caching: bool, strategy: &str| {
        format!(
            r#"{{"stageName": "prod", "cacheClusterEnabled": true, "cacheClusterSize": "{size}",
              "methodSettings": {{"*/*": {{"cachingEnabled": {caching}, "cacheTtlInSeconds": 300,
                "unauthorizedCacheControlHeaderStrategy": "{strategy}"}}}}}}"#
        )
    };
    let api = r#"{"openapi": "3.0.1", "paths": {"/pets/{petId}": {"get": {
        "parameters": [{"name": "petId", "in": "path", "required": true}],
        "x-amazon-apigateway-integration": {"type": "aws_proxy", "cacheKeyParameters": ["method.request.path.petId"]}}}}}"#;
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let live = write(
        "live.json",
        &stage("1.6", true, "SUCCEED_WITH_RESPONSE_HEADER"),
    );
    let api = write("api.json", api);
    let run = |planned: String| {
        audit_files(&Files {
            stage: write("planned.json", &planned),
            api: Some(api.clone()),
            live: Some(live.clone()),
            ..Files::default()
        })
        .unwrap()
    };
    assert!(run(stage("1.6", true, "SUCCEED_WITH_RESPONSE_HEADER")).is_empty());
    assert_eq!(
        rules(&run(stage("0.5", true, "FAIL_WITH_403"))),
        ["planned-shrinks-cluster", "planned-changes-strategy"]
    );
    let f = run(stage("1.6", false, "SUCCEED_WITH_RESPONSE_HEADER"));
    assert_eq!(rules(&f), ["cache-cluster-unused", "planned-drops-caching"]);
    // Policies need the API they are read against.
    let err = audit_files(&Files {
        stage: live.clone(),
        policies: vec![write("ops.json", &policy("*"))],
        ..Files::default()
    })
    .unwrap_err();
    assert!(
        err.to_string().contains("--policies needs the API"),
        "{err}"
    );
}

/// The evidence of the only finding of a scenario in a folder of `files`.
fn evidence_of(files: &[(&str, &str)]) -> Evidence {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let f = audit_scenario(&dir.path().join("t.toml")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(f.len(), 1, "{f:?}");
    let mut e = f[0].evidence.clone();
    e.file = e.file.replace(&format!("{}/", dir.path().display()), "");
    e
}

const HEAD: &str = "name = \"t\"\nseed = 1\nduration = \"10s\"\nwarmup = \"1s\"\nwindow = \"1s\"\n\n[api]\nregion = \"us-east-1\"\naccount = \"123456789012\"\napi_id = \"a1b2c3d4e5\"\nstage = \"prod\"\n\n[[clients]]\nname = \"app\"\nprincipal = \"app\"\nrate = 1\nmix = { \"GET /pets/{petId}\" = 1.0 }\n\n[principals.app]\n\n";

/// get-stage output with require-authorization off for every method.
const OPEN_STAGE: &str = "{\n  \"stageName\": \"prod\",\n  \"cacheClusterEnabled\": true,\n  \"cacheClusterSize\": \"0.5\",\n  \"methodSettings\": {\n    \"*/*\": {\n      \"cachingEnabled\": true,\n      \"cacheTtlInSeconds\": 300,\n      \"requireAuthorizationForCacheControl\": false\n    }\n  }\n}\n";

#[test]
fn evidence_names_the_stage_file_a_setting_came_from_at_its_line() {
    let scenario = format!("stage_file = \"stage.json\"\n{HEAD}{PETS}");
    let e = evidence_of(&[("t.toml", &scenario), ("stage.json", OPEN_STAGE)]);
    assert_eq!(
        (e.file.as_str(), e.field.as_str(), e.line, e.column),
        (
            "stage.json",
            "methodSettings.\"*/*\".requireAuthorizationForCacheControl",
            Some(9),
            Some(7)
        )
    );
}

#[test]
fn evidence_names_the_scenario_field_that_overrides_a_stage_file() {
    // The scenario's own `[stage]` field wins over the file's, and is what to change.
    let scenario = format!(
        "stage_file = \"stage.json\"\n{HEAD}[stage.method_settings.\"*/*\"]\nrequire_authorization_for_cache_control = false\n\n{PETS}"
    );
    let e = evidence_of(&[("t.toml", &scenario), ("stage.json", OPEN_STAGE)]);
    assert_eq!(e.file, "t.toml");
    assert_eq!(
        e.field,
        "stage.method_settings.\"*/*\".require_authorization_for_cache_control"
    );
    assert_eq!(e.line, Some(line_of(&scenario, "require_authorization")));
    // A variant's own field, when the variant sets it.
    let variants = format!(
        "stage_file = \"stage.json\"\n{HEAD}{PETS}\n[[variants]]\nname = \"open\"\nstage.method_settings.\"*/*\".require_authorization_for_cache_control = false\n"
    );
    let e = evidence_of(&[
        ("t.toml", &variants),
        ("stage.json", &OPEN_STAGE.replace("false", "true")),
    ]);
    assert_eq!(e.file, "t.toml");
    assert_eq!(
        e.field,
        "variants[0].stage.method_settings.\"*/*\".require_authorization_for_cache_control"
    );
    assert_eq!(e.line, Some(line_of(&variants, "require_authorization")));
}

#[test]
fn evidence_names_the_api_definition_a_cache_key_came_from() {
    let api = "openapi: 3.0.1\npaths:\n  /pets/{petId}:\n    get:\n      parameters:\n      - name: petId\n        in: path\n      - name: page\n        in: query\n      x-amazon-apigateway-integration:\n        type: aws_proxy\n        cacheKeyParameters:\n        - method.request.path.petId\n";
    let scenario = format!(
        "api_file = \"api.yaml\"\n{HEAD}[stage]\ncache_cluster_enabled = true\ncache_cluster_size = \"0.5\"\n\n[stage.method_settings.\"*/*\"]\ncaching_enabled = true\nrequire_authorization_for_cache_control = true\n\n[[resources]]\npath = \"/pets/{{petId}}\"\nmethod = \"GET\"\nkeys = 10\nresponse_bytes = 100\nbackend_latency = \"1ms\"\n\n[[resources.parameters]]\nname = \"page\"\nin = \"query\"\nvalues = 3\n"
    );
    let e = evidence_of(&[("t.toml", &scenario), ("api.yaml", api)]);
    assert_eq!(
        (e.file.as_str(), e.field.as_str(), e.line, e.column),
        (
            "api.yaml",
            "paths.\"/pets/{petId}\".get.x-amazon-apigateway-integration.cacheKeyParameters",
            Some(12),
            Some(9)
        )
    );
}

/// The 1-based line of the first line of `text` containing `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

/// The findings of `--stage FILE` (named `name`, written in a temporary folder), and
/// `--api FILE` too when `api`.
fn stage_findings(name: &str, text: &str, api: bool) -> Vec<Finding> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    let mut f = audit_files(&Files {
        api: api.then(|| path.clone()),
        stage: path,
        ..Files::default()
    })
    .unwrap_or_else(|e| panic!("{e}"));
    for x in &mut f {
        x.evidence.file = x
            .evidence
            .file
            .replace(&format!("{}/", dir.path().display()), "");
    }
    f
}

#[test]
fn evidence_in_a_cloudformation_template_names_the_field() {
    let template = "Resources:\n  Prod:\n    Type: AWS::ApiGateway::Stage\n    Properties:\n      CacheClusterEnabled: true\n      CacheClusterSize: '0.5'\n      MethodSettings:\n        - ResourcePath: /*\n          HttpMethod: '*'\n          CachingEnabled: true\n";
    assert!(stage_findings("template.yaml", template, false).is_empty());
    let off = template.replace("CachingEnabled: true", "CachingEnabled: false");
    let f = stage_findings("template.yaml", &off, false);
    assert_eq!(rules(&f), ["cache-cluster-unused"]);
    let e = &f[0].evidence;
    assert_eq!(
        (e.file.as_str(), e.field.as_str(), e.line, e.column),
        (
            "template.yaml",
            "Resources.Prod.Properties.CacheClusterEnabled",
            Some(5),
            Some(7)
        )
    );
    let no_cluster = template.replace("CacheClusterEnabled: true", "CacheClusterEnabled: false");
    let f = stage_findings("template.yaml", &no_cluster, false);
    assert_eq!(rules(&f), ["caching-without-cluster"]);
    let e = &f[0].evidence;
    assert_eq!(
        (e.field.as_str(), e.line, e.column),
        (
            "Resources.Prod.Properties.MethodSettings[0].CachingEnabled",
            Some(10),
            Some(11)
        )
    );
}

#[test]
fn evidence_in_a_serverless_file_names_the_endpoint_caching_block() {
    let yml = "service: shop\nplugins:\n  - serverless-api-gateway-caching\ncustom:\n  apiGatewayCaching:\n    enabled: true\n    clusterSize: '0.5'\nfunctions:\n  list:\n    handler: h.list\n    events:\n      - http:\n          path: /pets\n          method: get\n          caching:\n            enabled: true\n      - http:\n          path: /pets\n          method: post\n          caching:\n            enabled: true\n";
    let f = stage_findings("serverless.yml", yml, true);
    assert_eq!(rules(&f), ["caching-non-get"], "{f:?}");
    let e = &f[0].evidence;
    assert_eq!(
        (e.file.as_str(), e.field.as_str(), e.line, e.column),
        (
            "serverless.yml",
            "functions.list.events[1].http.caching.enabled",
            Some(21),
            Some(13)
        )
    );
}

/// The findings of a scenario (`body` after a shared head: 60 s measured, one client at
/// 50 requests/s on `GET /pets/{petId}`), each measured by `--simulate`.
fn simulated(body: &str) -> Vec<Finding> {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "name = \"t\"\nseed = 7\nduration = \"60s\"\nwarmup = \"10s\"\nwindow = \"10s\"\n\n[api]\nregion = \"us-east-1\"\naccount = \"123456789012\"\napi_id = \"a1b2c3d4e5\"\nstage = \"prod\"\n\n[[clients]]\nname = \"app\"\nprincipal = \"app\"\nrate = 50\nmix = {{ \"GET /pets/{{petId}}\" = 1.0 }}\n\n{body}"
    );
    let path = dir.path().join("t.toml");
    std::fs::write(&path, text).unwrap();
    let mut f = audit_scenario(&path).unwrap_or_else(|e| panic!("{e}"));
    simulate(&path, &mut f, &mut |_| {}).unwrap_or_else(|e| panic!("{e}"));
    f
}

fn metric(f: &Finding, name: &str) -> (f64, f64) {
    let m = f.measured.as_ref().expect("measured");
    let x = m.metrics.iter().find(|x| x.name == name).expect(name);
    (x.before, x.after)
}

#[test]
fn simulate_measures_a_scraper_against_require_authorization_off() {
    let body = cached("require_authorization_for_cache_control = false\n");
    let f = simulated(&body);
    assert_eq!(rules(&f), ["require-authorization-off"]);
    let m = f[0].measured.as_ref().unwrap();
    assert!(m.experiment.contains("a scraper"), "{}", m.experiment);
    // A tenth of the ~50 requests/s measured (Poisson arrivals).
    let rate: f64 = m
        .experiment
        .split("traffic (")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!((4.0..6.0).contains(&rate), "{rate}");
    let (backend_before, backend_after) = metric(&f[0], "backend requests/s");
    let (hits_before, hits_after) = metric(&f[0], "hit rate");
    // As configured every scraper request is a fetch; with the fix it is a hit.
    assert!(
        backend_before > backend_after + 4.0,
        "{backend_before} -> {backend_after}"
    );
    assert!(hits_after > hits_before, "{hits_before} -> {hits_after}");
    // Paired and seeded: the same figures every time.
    assert_eq!(simulated(&body)[0].measured, f[0].measured);
}

#[test]
fn simulate_counts_refreshes_ignored_without_a_sign() {
    let f = simulated(&cached(
        "unauthorized_cache_control_header_strategy = \"SUCCEED_WITHOUT_RESPONSE_HEADER\"\n",
    ));
    assert_eq!(rules(&f), ["silent-unauthorized-strategy"]);
    let (silent_before, silent_after) = metric(&f[0], "refreshes ignored without a sign/s");
    let (warned_before, warned_after) = metric(&f[0], "responses with a warning header/s");
    assert!(silent_before > 0.0);
    assert_eq!((silent_after, warned_before), (0.0, 0.0));
    // The same requests, each now warned.
    assert_eq!(warned_after, silent_before);
}

#[test]
fn simulate_shows_a_ttl_of_zero_caches_nothing_and_a_missing_key_serves_wrong_data() {
    let f =
        simulated(&cached("").replace("cache_ttl_in_seconds = 300", "cache_ttl_in_seconds = 0"));
    // A TTL of 0 caches nothing, so the cluster is unused too.
    assert_eq!(rules(&f), ["cache-cluster-unused", "ttl-zero"]);
    assert_eq!(f[0].measured, None);
    let (before, after) = metric(&f[1], "hit rate");
    assert_eq!(before, 0.0);
    assert!(after > 0.5, "{after}");
    // The pet's id left out of the key: one cached response for every pet.
    let f = simulated(&cached("").replace(
        "cache_key_parameters = [\"method.request.path.petId\"]",
        "cache_key_parameters = []",
    ));
    assert_eq!(rules(&f), ["read-parameter-not-in-cache-key"]);
    let (wrong_before, wrong_after) = metric(&f[0], "wrong responses");
    assert!(wrong_before > 0.0);
    assert_eq!(wrong_after, 0.0);
    // A finding whose cost is not simulated is left as it is.
    let f = simulated(&cached("").replace("caching_enabled = true\n", ""));
    assert_eq!(rules(&f), ["cache-cluster-unused"]);
    assert_eq!(f[0].measured, None);
}
