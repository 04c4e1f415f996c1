//! The API importer on files shaped as `aws apigateway get-export` (OpenAPI 3 JSON,
//! Swagger 2.0 YAML) and `get-resources --embed methods` print them (the fixtures in
//! `scenarios/apis/`), on what the integration reads, and on files that are malformed,
//! truncated or something else.

use std::path::Path;

use super::*;
use crate::scenario::Scenario;

fn fixture(name: &str) -> ImportedApi {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios/apis")
        .join(name);
    load_api(&path).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn parse(text: &str) -> Result<ImportedApi, String> {
    parse_api(Path::new("api.json"), text.as_bytes()).map_err(|e| e.to_string())
}

fn method<'a>(api: &'a ImportedApi, verb: &str, path: &str) -> &'a ImportedMethod {
    api.methods
        .iter()
        .find(|m| m.method == verb && m.path == path)
        .unwrap_or_else(|| panic!("no {verb} {path} in {:?}", api.methods))
}

/// (name, location, affects_response) of every declared parameter, in order.
fn params(m: &ImportedMethod) -> Vec<(&str, &str, bool)> {
    m.parameters
        .iter()
        .map(|p| {
            (
                p.name.as_str(),
                p.location.scenario_name(),
                p.affects_response,
            )
        })
        .collect()
}

#[test]
fn an_openapi_3_export_gives_every_method_its_keys_and_what_the_backend_reads() {
    let api = fixture("shop-oas30.json");
    assert_eq!(api.source, ApiSource::OpenApi3);
    assert_eq!(api.title.as_deref(), Some("shop"));
    let order: Vec<(&str, &str)> = api
        .methods
        .iter()
        .map(|m| (m.method.as_str(), m.path.as_str()))
        .collect();
    assert_eq!(
        order,
        [
            ("GET", "/legacy/products/{id}"),
            ("GET", "/products"),
            ("GET", "/products/{id}"),
            ("PUT", "/products/{id}"),
            ("GET", "/search"),
            ("ANY", "/{proxy+}"),
        ]
    );
    // An HTTP integration reads what requestParameters maps: category and page, not the
    // trace header (a `$ref` to components), and not the static X-Source.
    let products = method(&api, "GET", "/products");
    assert_eq!(
        params(products),
        [
            ("category", "query", true),
            ("page", "query", true),
            ("X-Trace-Id", "header", false)
        ]
    );
    assert_eq!(
        products.cache_key_parameters,
        ["method.request.querystring.category"]
    );
    assert_eq!(products.integration.as_deref(), Some("HTTP"));
    // A namespace one resource alone uses is the default; a shared one is kept.
    assert_eq!(products.cache_namespace, None);
    let product = method(&api, "GET", "/products/{id}");
    assert_eq!(product.cache_namespace.as_deref(), Some("shared-products"));
    assert_eq!(
        method(&api, "GET", "/legacy/products/{id}")
            .cache_namespace
            .as_deref(),
        Some("shared-products")
    );
    // A proxy integration reads everything.
    assert_eq!(
        params(product),
        [("id", "path", true), ("fields", "query", true)]
    );
    assert_eq!(product.timeout_ms, Some(10_000));
    // A template's `$input.params('q')` and `$input.params().header.get(...)`.
    assert_eq!(
        params(method(&api, "GET", "/search")),
        [
            ("q", "query", true),
            ("Accept-Language", "header", true),
            ("X-Trace-Id", "header", false)
        ]
    );
    assert_eq!(
        method(&api, "ANY", "/{proxy+}").integration.as_deref(),
        Some("HTTP_PROXY")
    );
}

#[test]
fn a_swagger_export_in_yaml_reads_path_item_parameters_references_and_templates() {
    let api = fixture("shop-swagger.yaml");
    assert_eq!(api.source, ApiSource::Swagger2);
    let product = method(&api, "GET", "/products/{id}");
    // `id` from the path item, `locale` through `#/parameters/Locale`; the template
    // reads only `id`.
    assert_eq!(
        params(product),
        [("id", "path", true), ("locale", "query", false)]
    );
    assert_eq!(
        params(method(&api, "GET", "/products")),
        [("category", "query", true), ("page", "query", true)]
    );
    // The body parameter is left out, with a note.
    assert!(params(method(&api, "POST", "/products/{id}")) == [("id", "path", true)]);
    assert!(
        api.notes.iter().any(|n| n.contains("`Product` (in body)")),
        "{:?}",
        api.notes
    );
}

#[test]
fn get_resources_output_reads_methods_and_takes_the_resource_id_as_the_default_namespace() {
    let api = fixture("shop-get-resources.json");
    assert_eq!(api.source, ApiSource::GetResources);
    assert_eq!(api.methods.len(), 4, "the root resource has no methods");
    let products = method(&api, "GET", "/products");
    assert_eq!(
        params(products),
        [
            ("X-Trace-Id", "header", false),
            ("category", "query", true),
            ("page", "query", true)
        ]
    );
    // Its namespace is its own id: the default.
    assert_eq!(products.cache_namespace, None);
    assert_eq!(products.timeout_ms, Some(29_000));
    let product = method(&api, "GET", "/products/{id}");
    assert_eq!(product.cache_namespace.as_deref(), Some("shared-products"));
    assert_eq!(product.timeout_ms, Some(10_500));
    // A multi-value query parameter is a query parameter; the proxy reads it.
    assert_eq!(
        params(method(&api, "GET", "/legacy-products/{id}")),
        [("tag", "query", true), ("id", "path", true)]
    );
    // A MOCK integration reads nothing of the request.
    let options = method(&api, "OPTIONS", "/products/{id}");
    assert_eq!(options.integration.as_deref(), Some("MOCK"));
    assert!(!options.reads.all && options.reads.named.is_empty());
}

#[test]
fn the_printed_resources_load_as_a_scenario_once_the_workload_is_filled_in() {
    for name in [
        "shop-oas30.json",
        "shop-swagger.yaml",
        "shop-get-resources.json",
    ] {
        let api = fixture(name);
        let text = api.to_toml(Path::new(name));
        // What a user does: uncomment the placeholders.
        let filled: String = text
            .lines()
            .map(|l| {
                for field in [
                    "keys",
                    "popularity",
                    "response_bytes",
                    "backend_latency",
                    "values",
                ] {
                    if let Some(rest) = l.strip_prefix(&format!("# {field} =")) {
                        return format!("{field} ={rest}\n");
                    }
                }
                format!("{l}\n")
            })
            .collect();
        let scenario = format!(
            "name = \"imported\"\nseed = 1\nduration = \"10s\"\nwarmup = \"1s\"\nwindow = \"1s\"\n\n[api]\nregion = \"us-east-1\"\naccount = \"123456789012\"\napi_id = \"c0ffee1234\"\nstage = \"prod\"\n\n[stage]\ncache_cluster_enabled = true\ncache_cluster_size = \"0.5\"\n\n[stage.method_settings.\"*/*\"]\ncaching_enabled = true\ncache_ttl_in_seconds = 300\n\n[principals.public]\n\n[[clients]]\nname = \"app\"\nprincipal = \"public\"\nrate = 10\nmix = {{ \"GET /products\" = 1.0 }}\n\n{filled}"
        );
        let loaded = Scenario::parse(Path::new("imported.toml"), scenario.as_bytes())
            .unwrap_or_else(|e| panic!("{name}: {e}\n{scenario}"));
        assert_eq!(loaded.resources.len(), api.methods.len(), "{name}");
        // The gateway keys `GET /products` on what the file says.
        let products = loaded
            .gateway
            .resources
            .iter()
            .find(|r| r.path == "/products")
            .expect("GET /products");
        assert_eq!(
            products.cache_key_parameters,
            method(&api, "GET", "/products").cache_key_parameters,
            "{name}"
        );
        let page = products
            .params
            .iter()
            .find(|p| p.name == "page")
            .expect("page");
        assert!(page.affects_response, "{name}");
    }
}

#[test]
fn the_text_warns_where_a_read_parameter_is_left_out_of_the_key() {
    let text = fixture("shop-oas30.json").to_toml(Path::new("shop-oas30.json"));
    let page = text.find("name = \"page\"").expect("page");
    let next = text[page..].find("[[").map_or(text.len(), |i| page + i);
    assert!(
        text[page..next].contains("the cache key leaves it out"),
        "{text}"
    );
    let category = text.find("name = \"category\"").expect("category");
    assert!(!text[category..page].contains("leaves it out"));
    assert!(text.contains("integration_timeout = \"10s\""));
    assert!(text.contains("# An ANY method: modelled as its GET requests"));
}

#[test]
fn templates_name_one_parameter_a_location_or_all_of_them() {
    let reads = |template: &str| {
        let templates = serde_json::json!({ "application/json": template });
        let mut problems = Vec::new();
        let r = Reads::of(Some("aws"), None, Some(&templates), "x", &mut problems);
        assert!(problems.is_empty());
        r
    };
    let one = reads("{\"a\": \"$input.params('q')\"}");
    assert!(one.reads(ParamIn::Query, "q") && one.reads(ParamIn::Header, "q"));
    assert!(!one.reads(ParamIn::Query, "page"));
    let named = reads("$input.params().querystring.get(\"page\") $input.params().header.lang");
    assert!(named.reads(ParamIn::Query, "page") && named.reads(ParamIn::Header, "lang"));
    assert!(!named.reads(ParamIn::Query, "q"));
    let location = reads("#foreach($k in $input.params().querystring.keySet())$k#end");
    assert!(location.reads(ParamIn::Query, "anything") && !location.reads(ParamIn::Header, "h"));
    let all = reads("$input.params()");
    assert!(all.reads(ParamIn::Header, "anything") && all.reads(ParamIn::Path, "id"));
    let none = reads("{\"static\": true}");
    assert!(!none.reads(ParamIn::Query, "q"));
    // A static value and a context variable read no request parameter.
    let mapped = serde_json::json!({
        "integration.request.header.x": "'static'",
        "integration.request.header.y": "context.requestId",
        "integration.request.path.id": "method.request.path.petId",
    });
    let mut problems = Vec::new();
    let r = Reads::of(Some("HTTP"), Some(&mapped), None, "x", &mut problems);
    assert!(r.reads(ParamIn::Path, "petId") && !r.reads(ParamIn::Header, "x"));
    assert!(!r.all && r.named.len() == 1);
}

#[test]
fn an_export_without_apigateway_extensions_takes_every_parameter_as_read_and_says_so() {
    let api = parse(
        r#"{"openapi": "3.0.1", "paths": {"/a": {"get": {"parameters": [{"name": "q", "in": "query"}]}}}}"#,
    )
    .unwrap();
    assert!(api.methods[0].parameters[0].affects_response);
    assert!(
        api.notes[0].contains("extensions='apigateway'"),
        "{:?}",
        api.notes
    );
}

#[test]
fn every_problem_is_reported_with_its_field_path() {
    let err = parse(
        r##"{"openapi": "3.0.1", "paths": {
            "/a": {"get": {"parameters": [{"name": "q"}, {"$ref": "#/components/parameters/Nope"}],
                "x-amazon-apigateway-integration": {"type": "http", "cacheKeyParameters": "q", "timeoutInMillis": -5}}},
            "b": {}}}"##,
    )
    .unwrap_err();
    for expected in [
        "api.json: paths.\"/a\".get.parameters[0]: expected a parameter with a string `name` and `in`",
        "api.json: paths.\"/a\".get.parameters[1].$ref: `#/components/parameters/Nope` names nothing in the file",
        "api.json: paths.\"/a\".get.x-amazon-apigateway-integration.cacheKeyParameters: expected a list of strings",
        "api.json: paths.\"/a\".get.x-amazon-apigateway-integration.timeoutInMillis: expected whole milliseconds within 1..=300000, got -5",
        "api.json: paths.b: expected a path starting with `/`",
    ] {
        assert!(
            err.lines().any(|l| l == expected),
            "missing {expected:?} in:\n{err}"
        );
    }
    assert_eq!(err.lines().count(), 5, "{err}");
}

#[test]
fn get_resources_without_embedded_methods_says_how_to_print_them() {
    let err = parse(r#"{"items": [{"id": "abc", "path": "/a", "resourceMethods": {"GET": {}}}]}"#)
        .unwrap_err();
    assert_eq!(
        err,
        "api.json: items[0].resourceMethods.GET: the method is empty: run `aws apigateway get-resources` with `--embed methods`"
    );
    let err = parse(
        r#"{"items": [{"id": "abc", "path": "/a", "resourceMethods": {"GET": {"httpMethod": "GET",
            "requestParameters": {"method.request.cookie.c": true}}}}]}"#,
    )
    .unwrap_err();
    assert!(err.contains("items[0].resourceMethods.GET.requestParameters.\"method.request.cookie.c\": expected `method.request.{path|querystring|header}.{name}`"), "{err}");
}

#[test]
fn files_that_are_not_api_definitions_are_refused_with_what_was_expected() {
    let truncated = &std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/apis/shop-oas30.json"),
    )
    .unwrap()[..900];
    let err = parse(truncated).unwrap_err();
    assert!(
        err.starts_with("api.json: not valid JSON: EOF while parsing"),
        "{err}"
    );
    assert!(
        err.contains("expected an OpenAPI 3 or Swagger 2.0 export"),
        "{err}"
    );
    for (text, expected) in [
        ("[1, 2]", "expected an object"),
        (
            r#"{"stageName": "prod"}"#,
            "no `openapi`, `swagger`, `items` or `format_version` field",
        ),
        (
            r#"{"openapi": "2.0", "paths": {}}"#,
            "openapi: expected an OpenAPI 3 export version 3.x, got \"2.0\"",
        ),
        (
            r#"{"swagger": "2.0", "paths": {}}"#,
            "a Swagger 2.0 export with no methods: nothing to import",
        ),
        (
            r#"{"openapi": "3.0.1"}"#,
            "paths: expected an object of paths",
        ),
        ("openapi: [unclosed", "neither JSON nor YAML"),
    ] {
        let err = parse(text).unwrap_err();
        assert!(err.contains(expected), "{text}: {err}");
        assert!(err.starts_with("api.json: "), "{err}");
    }
}

#[test]
fn control_characters_in_the_file_cannot_break_the_printed_comments() {
    let api = parse(
        "{\"openapi\": \"3.0.1\", \"info\": {\"title\": \"shop\\n[evil]\\u007f\"}, \"paths\": {\"/a\\nb\": {\"get\": {\"x-amazon-apigateway-integration\": {\"type\": \"http\\u0001\"}}}}}",
    )
    .unwrap();
    let text = api.to_toml(Path::new("api.json"));
    let table: toml::Table = text.parse().unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(
        table["resources"][0]["path"].as_str(),
        Some("/a\nb"),
        "the value itself is kept, quoted"
    );
    assert!(text.contains("of \"shop\\n[evil]\\u{7f}\""), "{text}");
}

#[test]
fn a_serverless_yml_gives_its_http_events_as_methods() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/stages/shop-serverless.yml");
    let api = load_api(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(api.source, ApiSource::Serverless);
    let order: Vec<(&str, &str)> = api
        .methods
        .iter()
        .map(|m| (m.method.as_str(), m.path.as_str()))
        .collect();
    assert_eq!(
        order,
        [
            ("ANY", "/legacy/{proxy+}"),
            ("GET", "/products"),
            ("GET", "/products/{id}"),
            ("PUT", "/products/{id}"),
        ]
    );
    // The caching plugin's `request.querystring.page` is `method.request.querystring.page`.
    assert_eq!(
        method(&api, "GET", "/products").cache_key_parameters,
        [
            "method.request.querystring.category",
            "method.request.querystring.page"
        ]
    );
    // Lambda proxy (the default) reads everything, the path's parameters included.
    let legacy = method(&api, "ANY", "/legacy/{proxy+}");
    assert_eq!(legacy.integration.as_deref(), Some("AWS_PROXY"));
    assert_eq!(params(legacy), [("proxy", "path", true)]);
    let bad = "service: s\nprovider:\n  name: aws\nfunctions:\n  f:\n    events:\n      - http:\n          path: /a\n          method: get\n          integration: soap\n";
    let err = parse_api(Path::new("serverless.yml"), bad.as_bytes())
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "serverless.yml: functions.f.events[0].http.integration: expected lambda-proxy, lambda, http-proxy, http or mock, got \"soap\""
    );
}
