//! Importers on files shaped as AWS prints and documents them: the `aws apigateway
//! get-stage` example of the AWS CLI reference (with cache settings added as a cached
//! stage prints them), the `AWS::ApiGateway::Stage` examples of the CloudFormation
//! user guide (YAML and JSON), and files that are not what they claim to be.

use std::path::Path;

use super::*;

fn parse(text: &str, id: Option<&str>) -> Result<ImportedStage, String> {
    parse_stage(Path::new("stage.file"), text.as_bytes(), id).map_err(|e| e.to_string())
}

const GET_STAGE: &str = r#"{
    "stageName": "prod",
    "cacheClusterSize": "1.6",
    "lastUpdatedDate": 1466802961,
    "cacheClusterEnabled": true,
    "cacheClusterStatus": "AVAILABLE",
    "deploymentId": "rbh1fj",
    "createdDate": 1466802961,
    "tracingEnabled": false,
    "methodSettings": {
        "*/*": {
            "metricsEnabled": false,
            "dataTraceEnabled": false,
            "throttlingBurstLimit": 5000,
            "throttlingRateLimit": 10000.0,
            "cachingEnabled": true,
            "cacheTtlInSeconds": 300,
            "cacheDataEncrypted": false,
            "requireAuthorizationForCacheControl": true,
            "unauthorizedCacheControlHeaderStrategy": "SUCCEED_WITH_RESPONSE_HEADER"
        },
        "~1pets~1{petId}/GET": {
            "metricsEnabled": true,
            "loggingLevel": "INFO",
            "cachingEnabled": true,
            "cacheTtlInSeconds": 60,
            "requireAuthorizationForCacheControl": true,
            "unauthorizedCacheControlHeaderStrategy": "FAIL_WITH_403"
        }
    },
    "variables": {"env": "prod"}
}"#;

#[test]
fn get_stage_output_imports_the_cache_settings() {
    let s = parse(GET_STAGE, None).unwrap();
    assert_eq!(s.source, Source::GetStage(Some("prod".into())));
    assert!(s.cache_cluster_enabled);
    assert_eq!(s.cache_cluster_size.as_deref(), Some("1.6"));
    let all = s.method_settings["*/*"];
    assert_eq!(all.cache_ttl_in_seconds, Some(300));
    assert_eq!(all.caching_enabled, Some(true));
    let pets = s.method_settings["pets/{petId}/GET"];
    assert_eq!(pets.cache_ttl_in_seconds, Some(60));
    assert_eq!(
        pets.unauthorized_cache_control_header_strategy,
        Some(UnauthorizedStrategy::FailWith403)
    );
    // The printed section is a scenario's [stage], and reads back the same.
    let text = s.to_toml(Path::new("prod.json"));
    assert!(text.starts_with("# Imported from prod.json (`aws apigateway get-stage` output for stage \"prod\").\n[stage]\n"));
    let back: toml::Table = toml::from_str(&text).unwrap();
    assert_eq!(back["stage"], toml::Value::Table(s.to_table()));
    assert!(text.contains("[stage.method_settings.\"pets/{petId}/GET\"]\n"));
}

#[test]
fn the_cli_reference_example_without_cache_imports_as_disabled() {
    let s = parse(
        r#"{"stageName": "dev", "cacheClusterSize": "0.5", "cacheClusterEnabled": false,
            "cacheClusterStatus": "NOT_AVAILABLE", "deploymentId": "rbh1fj", "methodSettings": {}}"#,
        None,
    )
    .unwrap();
    assert!(!s.cache_cluster_enabled);
    assert!(s.method_settings.is_empty());
}

const TEMPLATE_YAML: &str = r#"AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  CacheSize:
    Type: String
    Default: '6.1'
Resources:
  MyRestApi:
    Type: AWS::ApiGateway::RestApi
    Properties:
      Name: pets
  Prod:
    Type: AWS::ApiGateway::Stage
    Properties:
      StageName: Prod
      Description: Prod Stage
      RestApiId: !Ref MyRestApi
      DeploymentId: !Ref TestDeployment
      CacheClusterEnabled: true
      CacheClusterSize: !Ref CacheSize
      Variables:
        Stack: Prod
      MethodSettings:
        - ResourcePath: /*
          HttpMethod: '*'
          CachingEnabled: true
          CacheTtlInSeconds: 300
        - ResourcePath: /
          HttpMethod: GET
          MetricsEnabled: 'true'
          DataTraceEnabled: 'false'
        - ResourcePath: /~1pets~1{petId}
          HttpMethod: GET
          CachingEnabled: 'true'
          CacheTtlInSeconds: '120'
          ThrottlingBurstLimit: '555'
"#;

#[test]
fn a_cloudformation_yaml_stage_imports_with_parameters_resolved() {
    let s = parse(TEMPLATE_YAML, None).unwrap();
    assert_eq!(s.source, Source::CloudFormation("Prod".into()));
    assert!(s.cache_cluster_enabled);
    assert_eq!(
        s.cache_cluster_size.as_deref(),
        Some("6.1"),
        "Ref to a parameter's Default"
    );
    assert_eq!(
        s.method_settings.keys().collect::<Vec<_>>(),
        ["*/*", "/GET", "pets/{petId}/GET"]
    );
    assert_eq!(
        s.method_settings["pets/{petId}/GET"].cache_ttl_in_seconds,
        Some(120)
    );
    assert_eq!(s.method_settings["/GET"], MethodSetting::default());
    let text = s.to_toml(Path::new("t.yaml"));
    assert!(
        text.contains("CloudFormation's MethodSetting has no RequireAuthorizationForCacheControl")
    );
}

#[test]
fn a_cloudformation_json_stage_imports() {
    let json = r#"{"Resources": {"Stage": {"Type": "AWS::ApiGateway::Stage", "Properties": {
        "StageName": "v1", "RestApiId": {"Ref": "Api"}, "CacheClusterEnabled": "true", "CacheClusterSize": "0.5",
        "MethodSettings": [{"ResourcePath": "/~1orders~1{id}", "HttpMethod": "GET", "CachingEnabled": false}]}}}}"#;
    let s = parse(json, None).unwrap();
    assert!(s.cache_cluster_enabled);
    assert_eq!(
        s.method_settings["orders/{id}/GET"].caching_enabled,
        Some(false)
    );
}

#[test]
fn files_that_are_not_stages_are_refused_with_the_reason() {
    let policy = r#"{"Version": "2012-10-17", "Statement": []}"#;
    assert!(parse(policy, None).unwrap_err().starts_with(
        "stage.file: neither `aws apigateway get-stage` output (no cacheClusterEnabled, methodSettings or stageName) nor a CloudFormation template (no Resources)"
    ));
    assert!(
        parse("{\"stageName\": ", None)
            .unwrap_err()
            .starts_with("stage.file: not valid JSON: ")
    );
    assert!(
        parse("a: [b", None)
            .unwrap_err()
            .starts_with("stage.file: neither JSON nor YAML: ")
    );
    let no_stage = "Resources:\n  Api:\n    Type: AWS::ApiGateway::RestApi\n";
    assert_eq!(
        parse(no_stage, None).unwrap_err(),
        "stage.file: Resources: the template declares no stage (an AWS::ApiGateway::Stage, an AWS::Serverless::Api or an AWS::ApiGateway::Deployment with a StageDescription)"
    );
    let two = TEMPLATE_YAML.replace(
        "  MyRestApi:\n    Type: AWS::ApiGateway::RestApi",
        "  Beta:\n    Type: AWS::ApiGateway::Stage",
    );
    assert_eq!(
        parse(&two, None).unwrap_err(),
        "stage.file: Resources: the template declares several stages (`Beta`, `Prod`); pick one with --resource"
    );
    assert_eq!(
        parse(&two, Some("Prod")).unwrap().source,
        Source::CloudFormation("Prod".into())
    );
    assert_eq!(
        parse(&two, Some("Gamma")).unwrap_err(),
        "stage.file: Resources: no stage resource named `Gamma`; the template's stages are `Beta`, `Prod`"
    );
}

#[test]
fn bad_values_name_their_field() {
    let ttl = GET_STAGE.replace("\"cacheTtlInSeconds\": 60", "\"cacheTtlInSeconds\": 7200");
    assert_eq!(
        parse(&ttl, None).unwrap_err(),
        "stage.file: methodSettings.\"~1pets~1{petId}/GET\".cacheTtlInSeconds: must be within 0..=3600 seconds, got 7200"
    );
    let size = GET_STAGE.replace("\"1.6\"", "\"2.0\"");
    assert!(
        parse(&size, None)
            .unwrap_err()
            .starts_with("stage.file: cacheClusterSize: unknown cache cluster size \"2.0\"")
    );
    let strategy = GET_STAGE.replace("\"FAIL_WITH_403\"", "\"FAIL\"");
    assert!(
        parse(&strategy, None)
            .unwrap_err()
            .contains("unauthorizedCacheControlHeaderStrategy: unknown strategy \"FAIL\"")
    );
    let cond = TEMPLATE_YAML.replace(
        "CacheClusterEnabled: true",
        "CacheClusterEnabled: !If [IsProd, true, false]",
    );
    assert_eq!(
        parse(&cond, None).unwrap_err(),
        "stage.file: Resources.Prod.Properties.CacheClusterEnabled: `Fn::If` cannot be evaluated without deploying the template; write the value"
    );
    let no_default = TEMPLATE_YAML.replace("    Default: '6.1'\n", "");
    assert!(parse(&no_default, None).unwrap_err().ends_with(
        "Resources.Prod.Properties.CacheClusterSize: `Ref: CacheSize` has no parameter Default to take; write the value, or give the parameter a Default"
    ));
}

/// Files nested too deep or too large fail at once, before a parser sees them; within the
/// bounds, the worst shapes still answer in well under a second.
#[test]
fn deep_or_huge_files_fail_fast() {
    let started = std::time::Instant::now();
    let deep = format!("a: {}\n", "[".repeat(200_000));
    assert!(
        parse(&deep, None)
            .unwrap_err()
            .contains("nested more than 64 deep")
    );
    let deep_json = format!("{}{}", "{\"a\": ".repeat(100), "}".repeat(100));
    assert!(
        parse(&deep_json, None)
            .unwrap_err()
            .contains("nested more than 64 deep")
    );
    let indented: String = (0..300)
        .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
        .collect();
    assert!(
        parse(&indented, None)
            .unwrap_err()
            .contains("indented 257 columns")
    );
    let huge = format!("# {}\n", "x".repeat(MAX_FILE_BYTES));
    assert!(
        parse(&huge, None)
            .unwrap_err()
            .contains("more than 1000000")
    );
    // Brackets in strings and comments are not nesting; `it's` opens no string.
    let text = format!(
        "# {open}\nDescription: it's \"{open}\" and '{open}'\nResources: {{}}\n",
        open = "[".repeat(100)
    );
    assert!(!parse(&text, None).unwrap_err().contains("nested"));
    // The widest file within the bounds: a megabyte of 63-deep lists.
    let unit = format!("{}{}", "[".repeat(63), "]".repeat(63));
    let many = vec![unit; 7_500].join(", ");
    assert!(parse(&format!("a: [{many}]\n"), None).is_err());
    assert!(
        started.elapsed() < std::time::Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

/// A SAM template as `sam init` lays one out, with the cache set in `Globals.Api` and
/// on the API itself.
const SAM: &str = r#"AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Description: shop catalogue
Globals:
  Function:
    Timeout: 10
  Api:
    CacheClusterEnabled: true
    CacheClusterSize: '0.5'
    MethodSettings:
      - ResourcePath: '/*'
        HttpMethod: '*'
        CachingEnabled: true
        CacheTtlInSeconds: 300
Resources:
  ShopApi:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      CacheClusterSize: '1.6'
      MethodSettings:
        - ResourcePath: /~1products~1{id}
          HttpMethod: GET
          CacheTtlInSeconds: 60
        - ResourcePath: '/*'
          HttpMethod: '*'
          ThrottlingRateLimit: 500
  ProductFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      Events:
        GetProduct:
          Type: Api
          Properties:
            RestApiId: !Ref ShopApi
            Path: /products/{id}
            Method: get
"#;

#[test]
fn a_sam_api_reads_its_globals_under_its_own_properties() {
    let s = parse(SAM, None).unwrap();
    assert_eq!(s.source, Source::CloudFormation("ShopApi".into()));
    assert!(s.cache_cluster_enabled, "from Globals.Api");
    assert_eq!(s.cache_cluster_size.as_deref(), Some("1.6"), "its own wins");
    let all = &s.method_settings["*/*"];
    // The global entry, then its own for the same key adding a throttle.
    assert_eq!(
        (
            all.caching_enabled,
            all.cache_ttl_in_seconds,
            all.throttling_rate_limit
        ),
        (Some(true), Some(300), Some(500.0))
    );
    assert_eq!(
        s.method_settings["products/{id}/GET"].cache_ttl_in_seconds,
        Some(60)
    );
}

/// A template that configures its stage through the deployment, as the CloudFormation
/// user guide's `AWS::ApiGateway::Deployment` example with `StageDescription` does.
const DEPLOYMENT: &str = r#"{
  "Resources": {
    "Deployment": {
      "Type": "AWS::ApiGateway::Deployment",
      "Properties": {
        "RestApiId": {"Ref": "MyApi"},
        "Description": "My deployment",
        "StageName": "DummyStage",
        "StageDescription": {
          "CacheClusterEnabled": true,
          "CacheClusterSize": "6.1",
          "CachingEnabled": true,
          "CacheTtlInSeconds": 120,
          "ThrottlingBurstLimit": 100,
          "MethodSettings": [
            {"ResourcePath": "/~1pets", "HttpMethod": "GET", "CachingEnabled": false},
            {"ResourcePath": "/*", "HttpMethod": "*", "ThrottlingRateLimit": 50}
          ]
        }
      }
    },
    "Unrelated": {"Type": "AWS::ApiGateway::Deployment", "Properties": {"RestApiId": {"Ref": "MyApi"}}}
  }
}"#;

#[test]
fn a_deployment_stage_description_gives_the_stage_wide_settings() {
    let s = parse(DEPLOYMENT, None).unwrap();
    assert_eq!(s.source, Source::CloudFormation("Deployment".into()));
    assert_eq!(s.cache_cluster_size.as_deref(), Some("6.1"));
    let all = &s.method_settings["*/*"];
    assert_eq!(
        (
            all.caching_enabled,
            all.cache_ttl_in_seconds,
            all.throttling_burst_limit,
            all.throttling_rate_limit
        ),
        (Some(true), Some(120), Some(100), Some(50.0))
    );
    assert_eq!(s.method_settings["pets/GET"].caching_enabled, Some(false));
    // A deployment without a StageDescription declares no stage.
    let err = parse(DEPLOYMENT, Some("Unrelated")).unwrap_err();
    assert!(
        err.contains("no stage resource named `Unrelated`; the template's stages are `Deployment`"),
        "{err}"
    );
    let bad = DEPLOYMENT.replace(
        "\"CacheTtlInSeconds\": 120",
        "\"CacheTtlInSeconds\": \"soon\"",
    );
    let err = parse(&bad, None).unwrap_err();
    assert_eq!(
        err,
        "stage.file: Resources.Deployment.Properties.StageDescription.CacheTtlInSeconds: expected whole seconds, got \"soon\""
    );
}

fn serverless_fixture() -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/stages/shop-serverless.yml"),
    )
    .unwrap()
}

#[test]
fn a_serverless_yml_gives_the_stage_its_caching_plugin_configures() {
    let s = parse(&serverless_fixture(), None).unwrap();
    assert_eq!(s.source, Source::Serverless);
    assert!(s.cache_cluster_enabled);
    assert_eq!(s.cache_cluster_size.as_deref(), Some("1.6"));
    // The plugin sets the stage-wide TTL, not stage-wide caching.
    let all = &s.method_settings["*/*"];
    assert_eq!(
        (all.caching_enabled, all.cache_ttl_in_seconds),
        (None, Some(300))
    );
    let list = &s.method_settings["products/GET"];
    assert_eq!(
        (
            list.caching_enabled,
            list.cache_ttl_in_seconds,
            list.require_authorization_for_cache_control,
            list.unauthorized_cache_control_header_strategy
        ),
        (
            Some(true),
            Some(300),
            Some(true),
            Some(UnauthorizedStrategy::SucceedWithoutResponseHeader)
        ),
        "the global TTL and per-key invalidation"
    );
    let one = &s.method_settings["products/{id}/GET"];
    assert_eq!(
        (
            one.cache_ttl_in_seconds,
            one.unauthorized_cache_control_header_strategy
        ),
        (Some(60), Some(UnauthorizedStrategy::FailWith403))
    );
    // An endpoint without `caching` is left alone; ANY caches its GET only.
    assert!(!s.method_settings.contains_key("products/{id}/PUT"));
    assert_eq!(
        s.method_settings["legacy/{proxy+}/GET"].caching_enabled,
        Some(true)
    );
    assert_eq!(
        s.method_settings["legacy/{proxy+}/POST"].caching_enabled,
        Some(false)
    );
    assert_eq!(s.method_settings["health/GET"].caching_enabled, Some(false));
}

#[test]
fn the_plugin_turned_off_caches_nothing_and_variables_are_located() {
    let off = serverless_fixture().replacen(
        "    enabled: true\n    clusterSize",
        "    enabled: false\n    clusterSize",
        1,
    );
    let s = parse(&off, None).unwrap();
    assert!(!s.cache_cluster_enabled && s.cache_cluster_size.is_none());
    assert!(
        s.method_settings
            .values()
            .all(|m| m.caching_enabled != Some(true)),
        "{s:?}"
    );
    let variable = serverless_fixture().replace(
        "ttlInSeconds: 60",
        "ttlInSeconds: ${self:custom.productTtl}",
    );
    let err = parse(&variable, None).unwrap_err();
    assert_eq!(
        err,
        "stage.file: functions.get-product.events[0].http.caching.ttlInSeconds: `${self:custom.productTtl}` is a Serverless variable, which cannot be resolved without the framework; write the value (expected whole seconds)"
    );
    let err = parse("service: x\nprovider:\n  name: aws\n", None).unwrap_err();
    assert!(err.contains("custom.apiGatewayCaching: missing: the serverless-api-gateway-caching plugin is not configured"), "{err}");
}
