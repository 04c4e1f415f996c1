//! `aws apigateway get-resources --rest-api-id ID --embed methods`: `items[]` with
//! `id`, `path` and `resourceMethods.{VERB}`: the method's `requestParameters`
//! (`method.request.querystring.page` -> required) and `methodIntegration`
//! (`type`, `cacheKeyParameters`, `cacheNamespace`, `requestParameters`,
//! `requestTemplates`, `timeoutInMillis`). Without `--embed methods` the methods are
//! empty objects, and the file says too little: that is an error saying so.

use serde_json::Value;

use super::openapi::{optional_string, strings, timeout};
use super::{ApiSource, ImportedApi, ImportedMethod, ImportedParam, ParamIn, Reads, key_path};

type Problems = Vec<(String, String)>;

/// Reads get-resources output.
pub(super) fn read(doc: &Value) -> Result<ImportedApi, Problems> {
    let mut problems = Problems::new();
    let Some(items) = doc.get("items").and_then(Value::as_array) else {
        return Err(vec![(
            "items".into(),
            "expected a list of resources".into(),
        )]);
    };
    let mut api = ImportedApi {
        source: ApiSource::GetResources,
        title: None,
        methods: Vec::new(),
        notes: Vec::new(),
    };
    for (i, item) in items.iter().enumerate() {
        let at = format!("items[{i}]");
        let Some(path) = item.get("path").and_then(Value::as_str) else {
            problems.push((
                format!("{at}.path"),
                "expected the resource's path (a string)".into(),
            ));
            continue;
        };
        let id = item.get("id").and_then(Value::as_str);
        let Some(methods) = item.get("resourceMethods") else {
            continue;
        };
        let Some(methods) = methods.as_object() else {
            problems.push((
                format!("{at}.resourceMethods"),
                "expected an object of methods".into(),
            ));
            continue;
        };
        for (verb, m) in methods {
            let m_at = key_path(&format!("{at}.resourceMethods"), verb);
            let Some(m) = m.as_object() else {
                problems.push((m_at, "expected a method (an object)".into()));
                continue;
            };
            if !m.contains_key("httpMethod") && !m.contains_key("methodIntegration") {
                problems.push((
                    m_at,
                    "the method is empty: run `aws apigateway get-resources` with `--embed methods`".into(),
                ));
                continue;
            }
            let before = problems.len();
            let params = declared(
                m.get("requestParameters"),
                &format!("{m_at}.requestParameters"),
                &mut problems,
            );
            let integration_at = format!("{m_at}.methodIntegration");
            let integration = m.get("methodIntegration").filter(|v| !v.is_null());
            let field = |name: &str| integration.and_then(|i| i.get(name));
            let kind = field("type")
                .and_then(Value::as_str)
                .map(str::to_ascii_uppercase);
            if integration.is_some() && kind.is_none() {
                problems.push((
                    format!("{integration_at}.type"),
                    "expected the integration's type (a string)".into(),
                ));
            }
            let cache_key_parameters = strings(
                field("cacheKeyParameters"),
                &format!("{integration_at}.cacheKeyParameters"),
                &mut problems,
            );
            let namespace = optional_string(
                field("cacheNamespace"),
                &format!("{integration_at}.cacheNamespace"),
                &mut problems,
            );
            let timeout_ms = timeout(
                field("timeoutInMillis"),
                &format!("{integration_at}.timeoutInMillis"),
                &mut problems,
            );
            let reads = Reads::of(
                integration.map(|_| kind.as_deref().unwrap_or("")),
                field("requestParameters"),
                field("requestTemplates"),
                &integration_at,
                &mut problems,
            );
            if problems.len() > before {
                continue;
            }
            api.methods.push(ImportedMethod {
                path: path.to_owned(),
                method: verb.to_ascii_uppercase(),
                cache_key_parameters,
                // The resource's own id is API Gateway's default namespace.
                cache_namespace: namespace.filter(|ns| Some(ns.as_str()) != id),
                parameters: params
                    .into_iter()
                    .map(|(location, name)| ImportedParam {
                        affects_response: reads.reads(location, &name),
                        name,
                        location,
                    })
                    .collect(),
                integration: kind,
                reads,
                timeout_ms,
                key_location: format!("{integration_at}.cacheKeyParameters"),
                location: m_at,
            });
        }
    }
    if problems.is_empty() {
        Ok(api)
    } else {
        Err(problems)
    }
}

/// A method's `requestParameters`: `method.request.{location}.{name}` -> required
/// (get-resources' `requestParameters`, Terraform's `request_parameters`).
pub(crate) fn declared(
    v: Option<&Value>,
    at: &str,
    problems: &mut Problems,
) -> Vec<(ParamIn, String)> {
    let mut out = Vec::new();
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return out;
    };
    let Some(map) = v.as_object() else {
        problems.push((
            at.to_owned(),
            "expected an object of `method.request...` names".into(),
        ));
        return out;
    };
    for key in map.keys() {
        let parsed = key
            .strip_prefix("method.request.")
            .and_then(|rest| rest.split_once('.'))
            .and_then(|(part, name)| Some((ParamIn::from_request_part(part)?, name)))
            .filter(|(_, name)| !name.is_empty());
        match parsed {
            Some((location, name)) => out.push((location, name.to_owned())),
            None => problems.push((
                key_path(at, key),
                "expected `method.request.{path|querystring|header}.{name}`".into(),
            )),
        }
    }
    out
}
