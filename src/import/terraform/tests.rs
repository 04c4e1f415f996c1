//! The Terraform importer on `terraform show -json` shaped as Terraform 1.9 prints it:
//! a saved plan of a new API in a module (ids unknown, linked through the
//! configuration's references; `scenarios/terraform/shop-plan.json`) and a state (ids
//! known, linked by value), and on files that say too little.

use std::path::Path;

use serde_json::json;

use super::*;
use crate::gateway::UnauthorizedStrategy;

fn plan() -> ImportedTerraform {
    load(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/terraform/shop-plan.json"),
        None,
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

fn parse_value(doc: &Value, stage: Option<&str>) -> Result<ImportedTerraform, String> {
    parse(Path::new("tf.json"), doc.to_string().as_bytes(), stage).map_err(|e| e.to_string())
}

#[test]
fn a_plan_links_methods_to_resources_through_the_configuration() {
    let tf = plan();
    assert!(tf.plan);
    let stage = tf.stage.as_ref().expect("a stage");
    assert!(stage.cache_cluster_enabled);
    assert_eq!(stage.cache_cluster_size.as_deref(), Some("1.6"));
    let all = &stage.method_settings["*/*"];
    assert_eq!(
        (all.caching_enabled, all.cache_ttl_in_seconds),
        (Some(true), Some(300))
    );
    // -1 is Terraform's "not set".
    assert_eq!(
        (all.throttling_rate_limit, all.throttling_burst_limit),
        (None, None)
    );
    let product = &stage.method_settings["products/{id}/GET"];
    assert_eq!(
        product.unauthorized_cache_control_header_strategy,
        Some(UnauthorizedStrategy::FailWith403)
    );
    assert_eq!(
        (
            product.throttling_rate_limit,
            product.throttling_burst_limit
        ),
        (Some(100.0), Some(200))
    );
    let api = tf.api.as_ref().expect("methods");
    let paths: Vec<(&str, &str)> = api
        .methods
        .iter()
        .map(|m| (m.method.as_str(), m.path.as_str()))
        .collect();
    // `/products` under the API's root, `/products/{id}` under it: neither id is known.
    assert_eq!(paths, [("GET", "/products"), ("GET", "/products/{id}")]);
    let list = &api.methods[0];
    assert_eq!(
        list.cache_key_parameters,
        ["method.request.querystring.category"]
    );
    assert!(list.parameters.iter().all(|p| p.affects_response));
    assert_eq!(api.methods[1].timeout_ms, Some(10_000));
    assert_eq!(api.methods[1].integration.as_deref(), Some("AWS_PROXY"));
    // The role policy's holder is the referenced role; the S3 policy is not read.
    assert_eq!(tf.policies.len(), 1);
    assert_eq!(tf.policies[0].principal, "ops");
    assert!(
        tf.policies[0]
            .document
            .contains("execute-api:InvalidateCache")
    );
    assert_eq!(
        tf.identity.get("region").map(String::as_str),
        Some("us-east-1")
    );
    assert_eq!(tf.identity.get("stage").map(String::as_str), Some("prod"));
    assert!(!tf.identity.contains_key("api_id"), "unknown until applied");
}

/// A state: ids known, the resources linked by value.
fn state(stages: &[&str]) -> Value {
    let mut resources = vec![
        json!({"address": "aws_api_gateway_rest_api.pets", "mode": "managed", "type": "aws_api_gateway_rest_api", "name": "pets",
               "values": {"id": "a1b2c3d4e5", "name": "pets", "root_resource_id": "root01"}}),
        json!({"address": "aws_api_gateway_resource.pets", "mode": "managed", "type": "aws_api_gateway_resource", "name": "pets",
               "values": {"id": "res001", "parent_id": "root01", "path": "/pets", "path_part": "pets"}}),
        json!({"address": "aws_api_gateway_resource.pet", "mode": "managed", "type": "aws_api_gateway_resource", "name": "pet",
               "values": {"id": "res002", "parent_id": "res001", "path_part": "{petId}"}}),
        json!({"address": "aws_api_gateway_method.root", "mode": "managed", "type": "aws_api_gateway_method", "name": "root",
               "values": {"id": "agm-a1b2c3d4e5-root01-GET", "resource_id": "root01", "http_method": "GET", "request_parameters": {}}}),
        json!({"address": "aws_api_gateway_method.pet", "mode": "managed", "type": "aws_api_gateway_method", "name": "pet",
               "values": {"resource_id": "res002", "http_method": "GET", "request_parameters": {"method.request.path.petId": true, "method.request.header.Accept-Language": false}}}),
        json!({"address": "aws_api_gateway_integration.pet", "mode": "managed", "type": "aws_api_gateway_integration", "name": "pet",
               "values": {"resource_id": "res002", "http_method": "GET", "type": "HTTP", "cache_key_parameters": ["method.request.path.petId"],
                          "cache_namespace": "res002", "request_parameters": {"integration.request.path.id": "method.request.path.petId"},
                          "request_templates": {}, "timeout_milliseconds": 29000}}),
    ];
    for name in stages {
        resources.push(json!({"address": format!("aws_api_gateway_stage.{name}"), "mode": "managed", "type": "aws_api_gateway_stage", "name": name,
            "values": {"stage_name": name, "cache_cluster_enabled": false, "cache_cluster_size": ""}}));
    }
    json!({"format_version": "1.0", "terraform_version": "1.9.8", "values": {"root_module": {"resources": resources}}})
}

#[test]
fn a_state_links_by_id_and_reads_the_parent_chain() {
    let tf = parse_value(&state(&["prod"]), None).unwrap();
    assert!(!tf.plan);
    let api = tf.api.unwrap();
    let got: Vec<(&str, &str)> = api
        .methods
        .iter()
        .map(|m| (m.method.as_str(), m.path.as_str()))
        .collect();
    assert_eq!(got, [("GET", "/"), ("GET", "/pets/{petId}")]);
    let pet = &api.methods[1];
    // The resource's own id is the default namespace.
    assert_eq!(pet.cache_namespace, None);
    // The HTTP integration maps petId, not Accept-Language.
    let read: Vec<(&str, bool)> = pet
        .parameters
        .iter()
        .map(|p| (p.name.as_str(), p.affects_response))
        .collect();
    assert_eq!(read, [("Accept-Language", false), ("petId", true)]);
    assert_eq!(
        tf.identity.get("api_id").map(String::as_str),
        Some("a1b2c3d4e5")
    );
    let stage = tf.stage.unwrap();
    assert!(!stage.cache_cluster_enabled && stage.cache_cluster_size.is_none());
}

#[test]
fn several_stages_need_a_name_and_a_wrong_name_lists_them() {
    let doc = state(&["prod", "beta"]);
    let err = parse_value(&doc, None).unwrap_err();
    assert!(
        err.contains("2 aws_api_gateway_stage resources (prod, beta): pick one with --stage NAME"),
        "{err}"
    );
    let beta = parse_value(&doc, Some("beta")).unwrap();
    assert!(
        matches!(&beta.stage.unwrap().source, Source::Terraform { address, plan: false } if address == "aws_api_gateway_stage.beta")
    );
    let err = parse_value(&doc, Some("gamma")).unwrap_err();
    assert!(
        err.contains("no aws_api_gateway_stage named \"gamma\"; the file has: prod, beta"),
        "{err}"
    );
}

#[test]
fn what_a_plan_does_not_know_is_reported_where_it_is() {
    let mut doc = state(&["prod"]);
    let resources = doc
        .pointer_mut("/values/root_module/resources")
        .and_then(Value::as_array_mut)
        .unwrap();
    resources.push(json!({"address": "aws_api_gateway_method_settings.pet", "mode": "managed", "type": "aws_api_gateway_method_settings", "name": "pet",
        "values": {"stage_name": "prod", "settings": [{"caching_enabled": "yes", "cache_ttl_in_seconds": 7200}]}}));
    resources.push(json!({"address": "aws_api_gateway_method.orphan", "mode": "managed", "type": "aws_api_gateway_method", "name": "orphan",
        "values": {"http_method": "GET"}}));
    let err = parse_value(&doc, None).unwrap_err();
    for expected in [
        "tf.json: values.root_module.resources[7].values.method_path: expected the method path (`*/*` or `pets/{petId}/GET`), which the plan does not know yet",
        "tf.json: values.root_module.resources[8].values.resource_id: cannot tell which aws_api_gateway_resource the method is on",
    ] {
        assert!(
            err.lines().any(|l| l.starts_with(expected)),
            "missing {expected:?} in\n{err}"
        );
    }
    resources_fix(&mut doc);
    let err = parse_value(&doc, None).unwrap_err();
    assert!(err.contains("values.root_module.resources[7].values.settings[0].caching_enabled: expected true or false, got \"yes\""), "{err}");
    assert!(err.contains("values.root_module.resources[7].values.settings[0].cache_ttl_in_seconds: must be within 0..=3600 seconds, got 7200"), "{err}");
}

/// Gives the method settings their path and drops the orphan method.
fn resources_fix(doc: &mut Value) {
    let resources = doc
        .pointer_mut("/values/root_module/resources")
        .and_then(Value::as_array_mut)
        .unwrap();
    resources.pop();
    resources[7]["values"]["method_path"] = json!("pets/{petId}/GET");
}

#[test]
fn files_that_are_not_terraform_output_are_refused() {
    for (doc, expected) in [
        (
            json!({"stageName": "prod"}),
            "not `terraform show -json` output",
        ),
        (
            json!({"format_version": "1.2", "values": {"root_module": {}}}),
            "no API Gateway stage, method or execute-api policy in the plan or state",
        ),
    ] {
        let err = parse_value(&doc, None).unwrap_err();
        assert!(
            err.starts_with("tf.json: ") && err.contains(expected),
            "{err}"
        );
    }
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/terraform/shop-plan.json"),
    )
    .unwrap();
    let err = parse(Path::new("tf.json"), &text.as_bytes()[..2_000], None)
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("tf.json: not valid JSON: EOF while parsing"),
        "{err}"
    );
}

#[test]
fn policies_are_written_beside_and_never_over_an_existing_file() {
    let dir = tempfile::tempdir().unwrap();
    let tf = plan();
    let text = tf
        .to_toml(Path::new("shop-plan.json"), Some(dir.path()))
        .unwrap();
    let written = dir.path().join("ops.json");
    assert!(text.contains(&format!("[principals.ops]\n# ops.json: from `aws_iam_role_policy.ops_invalidate`\npolicies = [\"{}\"]", written.display())), "{text}");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&written).unwrap()).unwrap();
    assert_eq!(doc["Statement"][0]["Action"], "execute-api:InvalidateCache");
    std::fs::write(&written, "mine").unwrap();
    let err = tf
        .to_toml(Path::new("shop-plan.json"), Some(dir.path()))
        .unwrap_err();
    assert!(
        err.to_string().contains("already exists; not replaced"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&written).unwrap(), "mine");
    // Without a folder, the policy is named in a comment; the text is a TOML document.
    let text = tf.to_toml(Path::new("shop-plan.json"), None).unwrap();
    assert!(text.contains("rerun with --out DIR"));
    text.parse::<toml::Table>()
        .unwrap_or_else(|e| panic!("{e}\n{text}"));
}

fn zoo() -> Value {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/terraform/zoo-for-each-plan.json");
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn for_each_and_count_instances_are_paired_by_their_keys() {
    // Resources made with `for_each` and `count`, none of whose ids a plan knows: a
    // method on `each.value.id` of its `for_each` over the resources, an integration
    // over the methods, a resource under `animal["cats"]`, methods on
    // `media[count.index]`.
    let tf = parse_value(&zoo(), None).unwrap_or_else(|e| panic!("{e}"));
    let api = tf.api.as_ref().expect("methods");
    let got: Vec<(&str, &str, Vec<&str>, Option<&str>)> = api
        .methods
        .iter()
        .map(|m| {
            (
                m.method.as_str(),
                m.path.as_str(),
                m.cache_key_parameters.iter().map(String::as_str).collect(),
                m.integration.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "GET",
                "/cats",
                vec!["method.request.querystring.page"],
                Some("HTTP_PROXY")
            ),
            (
                "GET",
                "/cats/{photoId}",
                vec!["method.request.path.photoId"],
                Some("AWS_PROXY")
            ),
            (
                "GET",
                "/cats/{videoId}",
                vec!["method.request.path.videoId"],
                Some("AWS_PROXY")
            ),
            ("GET", "/dogs", vec![], Some("HTTP_PROXY")),
        ]
    );
    // A method path the plan does not know, read from the resource and method it names.
    let stage = tf.stage.as_ref().expect("a stage");
    let videos = &stage.method_settings["cats/{videoId}/GET"];
    assert_eq!(videos.cache_ttl_in_seconds, Some(3600));
    assert_eq!(
        videos.unauthorized_cache_control_header_strategy,
        Some(UnauthorizedStrategy::FailWith403)
    );
}

#[test]
fn an_unknown_method_path_without_its_resource_and_method_is_refused() {
    let mut doc = zoo();
    let settings = doc["configuration"]["root_module"]["resources"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|r| r["address"] == "aws_api_gateway_method_settings.videos")
        .unwrap();
    // `"${trimprefix(aws_api_gateway_resource.media[1].path, "/")}/GET"`: the verb is a
    // literal the plan does not keep.
    settings["expressions"]["method_path"] = json!({"references": [
        "aws_api_gateway_resource.media[1].path",
        "aws_api_gateway_resource.media[1]",
        "aws_api_gateway_resource.media"
    ]});
    let err = parse_value(&doc, None).unwrap_err();
    assert!(err.contains(".values.method_path"), "{err}");
    assert!(
        err.contains(
            "does not name both an aws_api_gateway_resource and an aws_api_gateway_method"
        ),
        "{err}"
    );
    // Two instances and no key to choose by: not linked (rather than linked wrongly).
    let mut doc = zoo();
    let method = doc["configuration"]["root_module"]["resources"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|r| r["address"] == "aws_api_gateway_method.media")
        .unwrap();
    method["expressions"]["resource_id"] =
        json!({"references": ["aws_api_gateway_resource.media"]});
    let err = parse_value(&doc, None).unwrap_err();
    assert!(
        err.contains("cannot tell which aws_api_gateway_resource the method is on"),
        "{err}"
    );
}
