//! The API's methods in a plan or state: `aws_api_gateway_method` and
//! `aws_api_gateway_integration` on their `aws_api_gateway_resource` (linked by id, or
//! by the configuration's references where a plan does not know the id), or the OpenAPI
//! `body` of the `aws_api_gateway_rest_api`.

use std::path::Path;

use serde_json::Value;

use super::Problems;
use super::model::{Model, Resource};
use crate::import::api::{
    ApiSource, ImportedApi, ImportedMethod, ImportedParam, Reads, declared_parameters,
};

/// The API's methods in a plan or state: its method and integration resources, or
/// (when it has none) the OpenAPI `body` of its `aws_api_gateway_rest_api`.
pub(super) fn api(model: &Model<'_>, path: &Path) -> Result<ImportedApi, Problems> {
    let mut problems = Problems::new();
    let mut api = ImportedApi {
        source: ApiSource::Terraform,
        title: model
            .of("aws_api_gateway_rest_api")
            .find_map(|r| r.str("name"))
            .map(str::to_owned),
        methods: Vec::new(),
        notes: Vec::new(),
    };
    let integrations: Vec<&Resource> = model.of("aws_api_gateway_integration").collect();
    for m in model.of("aws_api_gateway_method") {
        let Some(verb) = m.str("http_method") else {
            problems.push((
                format!("{}.values.http_method", m.at),
                "expected the HTTP method".into(),
            ));
            continue;
        };
        let Some(owner) = owner_of(model, m) else {
            problems.push((
                format!("{}.values.resource_id", m.at),
                "cannot tell which aws_api_gateway_resource the method is on (neither its id nor a reference to it is in the file)".into(),
            ));
            continue;
        };
        let resource_path = match resource_path(model, &owner, 0) {
            Ok(p) => p,
            Err(e) => {
                problems.push(e);
                continue;
            }
        };
        let integration = integrations.iter().find(|i| {
            i.str("http_method") == Some(verb) && owner_of(model, i).as_ref() == Some(&owner)
        });
        let int_at = integration.map_or_else(String::new, |i| format!("{}.values", i.at));
        let field = |name: &str| integration.and_then(|i| i.values.get(name));
        let before = problems.len();
        let kind = field("type")
            .and_then(Value::as_str)
            .map(str::to_ascii_uppercase);
        let cache_key_parameters = crate::import::api::strings_at(
            field("cache_key_parameters"),
            &format!("{int_at}.cache_key_parameters"),
            &mut problems,
        );
        let cache_namespace = field("cache_namespace")
            .and_then(Value::as_str)
            .filter(|ns| !ns.is_empty())
            .map(str::to_owned);
        let timeout_ms = field("timeout_milliseconds").and_then(Value::as_u64);
        let reads = Reads::of(
            integration.map(|_| kind.as_deref().unwrap_or("")),
            field("request_parameters"),
            field("request_templates"),
            &int_at,
            &mut problems,
        );
        let parameters: Vec<ImportedParam> = declared_parameters(
            m.values.get("request_parameters"),
            &format!("{}.values.request_parameters", m.at),
            &mut problems,
        )
        .into_iter()
        .map(|(location, name)| ImportedParam {
            affects_response: reads.reads(location, &name),
            name,
            location,
        })
        .collect();
        if problems.len() > before {
            continue;
        }
        // The resource's own id is API Gateway's default namespace.
        let own_id = match &owner {
            Owner::Resource(r) => r.str("id"),
            Owner::Root => None,
        };
        api.methods.push(ImportedMethod {
            path: resource_path,
            method: verb.to_ascii_uppercase(),
            cache_key_parameters,
            cache_namespace: cache_namespace.filter(|ns| Some(ns.as_str()) != own_id),
            parameters,
            integration: kind,
            reads,
            timeout_ms,
            key_location: if int_at.is_empty() {
                format!("{}.values", m.at)
            } else {
                format!("{int_at}.cache_key_parameters")
            },
            location: m.at.clone(),
        });
    }
    if api.methods.is_empty() {
        // An API defined by an OpenAPI body.
        if let Some((body, at)) = model
            .of("aws_api_gateway_rest_api")
            .find_map(|r| r.str("body").map(|b| (b, r.at.clone())))
        {
            return match crate::import::api::parse_api(path, body.as_bytes()) {
                Ok(mut from_body) => {
                    from_body
                        .notes
                        .push(format!("methods from the OpenAPI `body` at {at}"));
                    Ok(from_body)
                }
                Err(e) => Err(vec![(format!("{at}.values.body"), e.to_string())]),
            };
        }
    }
    if problems.is_empty() {
        crate::import::api::finish(&mut api);
        Ok(api)
    } else {
        Err(problems)
    }
}

/// What a method or integration is on: a resource, or the API's root (`/`).
#[derive(Debug, Clone)]
enum Owner<'m, 'a> {
    Resource(&'m Resource<'a>),
    Root,
}

impl PartialEq for Owner<'_, '_> {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Owner::Resource(a), Owner::Resource(b)) => a.address == b.address,
            (Owner::Root, Owner::Root) => true,
            _ => false,
        }
    }
}

/// The resource `r`'s `resource_id` (or `parent_id`, for a resource) is on.
fn owner_of<'m, 'a>(model: &'m Model<'a>, r: &Resource<'a>) -> Option<Owner<'m, 'a>> {
    owner_by(model, r, "resource_id")
}

fn owner_by<'m, 'a>(
    model: &'m Model<'a>,
    r: &Resource<'a>,
    attribute: &str,
) -> Option<Owner<'m, 'a>> {
    owner_within(model, r, attribute, 0)
}

/// [`owner_by`], `depth` `for_each` sources deep (a file may make them a cycle).
fn owner_within<'m, 'a>(
    model: &'m Model<'a>,
    r: &Resource<'a>,
    attribute: &str,
    depth: usize,
) -> Option<Owner<'m, 'a>> {
    if let Some(id) = r.str(attribute) {
        if model
            .of("aws_api_gateway_rest_api")
            .any(|api| api.str("root_resource_id") == Some(id))
        {
            return Some(Owner::Root);
        }
    }
    if let Some(found) = model.linked(r, attribute, "aws_api_gateway_resource", "id") {
        return Some(Owner::Resource(found));
    }
    if model.references_attribute(r, attribute, ".root_resource_id") {
        return Some(Owner::Root);
    }
    // `for_each = aws_api_gateway_method.list` with `resource_id = each.value.resource_id`:
    // the method instance of the same key says.
    if depth >= 8 {
        return None;
    }
    let source = model.each_value_source(r, attribute)?;
    owner_within(model, source, attribute, depth + 1)
}

/// The path of the resource `r`, as [`resource_path`] finds it.
pub(super) fn path_of(model: &Model<'_>, r: &Resource<'_>) -> Result<String, (String, String)> {
    resource_path(model, &Owner::Resource(r), 0)
}

/// The path of the resource `owner`: its `path`, else its `path_part` under its
/// parent's path.
fn resource_path(
    model: &Model<'_>,
    owner: &Owner<'_, '_>,
    depth: usize,
) -> Result<String, (String, String)> {
    let Owner::Resource(r) = owner else {
        return Ok("/".into());
    };
    if let Some(p) = r.str("path") {
        return Ok(p.to_owned());
    }
    let Some(part) = r.str("path_part") else {
        return Err((
            format!("{}.values.path_part", r.at),
            "expected the resource's path_part".into(),
        ));
    };
    if depth > 64 {
        return Err((
            format!("{}.values.parent_id", r.at),
            "resources nested more than 64 deep (a cycle?)".into(),
        ));
    }
    let Some(parent) = owner_by(model, r, "parent_id") else {
        return Err((
            format!("{}.values.parent_id", r.at),
            "cannot tell the resource's parent (neither its id nor a reference to it is in the file)".into(),
        ));
    };
    let base = resource_path(model, &parent, depth + 1)?;
    Ok(format!("{}/{part}", base.trim_end_matches('/')))
}
