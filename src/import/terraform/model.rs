//! The resources of `terraform show -json` (OpenTofu writes the same format): a saved
//! plan's `planned_values` or a state's `values`, modules included, and, for a plan,
//! the `configuration`'s references, which link a method or an integration to its
//! resource where the resource's id is not known until it is created.

use std::collections::BTreeMap;

use serde_json::Value;

/// One resource instance.
#[derive(Debug, Clone)]
pub(super) struct Resource<'a> {
    /// Its address, e.g. `module.api.aws_api_gateway_method.get_pet` or `...pet[0]`.
    pub address: String,
    /// Its type, e.g. `aws_api_gateway_method`.
    pub kind: &'a str,
    /// `managed` or `data`.
    pub mode: &'a str,
    /// Its attribute values (unknown ones absent).
    pub values: &'a serde_json::Map<String, Value>,
    /// Where it is in the file, for errors.
    pub at: String,
}

impl Resource<'_> {
    /// The address without its instance key (`[0]`, `["a"]`), as configuration names it.
    pub fn config_address(&self) -> &str {
        match self.address.rfind('[') {
            Some(i) if self.address.ends_with(']') => &self.address[..i],
            _ => &self.address,
        }
    }

    /// A string attribute, when known.
    pub fn str(&self, name: &str) -> Option<&str> {
        self.values.get(name).and_then(Value::as_str)
    }
}

/// The document's resources and the configuration's references.
pub(super) struct Model<'a> {
    pub resources: Vec<Resource<'a>>,
    /// Configuration address -> attribute -> addresses its expression references.
    references: BTreeMap<String, BTreeMap<String, Vec<String>>>,
    /// Whether this is a plan (else a state).
    pub plan: bool,
}

impl<'a> Model<'a> {
    /// Reads a `terraform show -json` document: `Err` with a field path and message when
    /// it has neither `planned_values` nor `values`.
    pub fn read(doc: &'a Value) -> Result<Model<'a>, (String, String)> {
        let (root, at, plan) = if let Some(p) = doc.get("planned_values") {
            (p, "planned_values", true)
        } else if let Some(v) = doc.get("values") {
            (v, "values", false)
        } else {
            return Err((
                String::new(),
                "a `terraform show -json` document with neither `planned_values` (a plan) nor `values` (a state)".into(),
            ));
        };
        let mut resources = Vec::new();
        if let Some(module) = root.get("root_module") {
            collect(module, &format!("{at}.root_module"), &mut resources);
        }
        // Data sources read at plan time are in the prior state only.
        if plan {
            if let Some(module) = doc.pointer("/prior_state/values/root_module") {
                let mut prior = Vec::new();
                collect(module, "prior_state.values.root_module", &mut prior);
                for r in prior {
                    if r.mode == "data" && !resources.iter().any(|x| x.address == r.address) {
                        resources.push(r);
                    }
                }
            }
        }
        let mut references = BTreeMap::new();
        if let Some(module) = doc.pointer("/configuration/root_module") {
            config(module, "", &mut references);
        }
        Ok(Model {
            resources,
            references,
            plan,
        })
    }

    /// The resources of type `kind` (managed, or data with `data.` types).
    pub fn of(&self, kind: &str) -> impl Iterator<Item = &Resource<'a>> {
        let (mode, kind) = match kind.strip_prefix("data.") {
            Some(k) => ("data", k),
            None => ("managed", kind),
        };
        self.resources
            .iter()
            .filter(move |r| r.kind == kind && r.mode == mode)
    }

    /// The resource `attribute` of `r` refers to: by its known value matched against
    /// `target_attribute` of resources of `target_kind`, else by the configuration's
    /// reference (a unique instance of the referenced address).
    pub fn linked(
        &self,
        r: &Resource<'a>,
        attribute: &str,
        target_kind: &str,
        target_attribute: &str,
    ) -> Option<&Resource<'a>> {
        if let Some(v) = r.str(attribute) {
            let mut found = self
                .of(target_kind)
                .filter(|t| t.str(target_attribute) == Some(v));
            if let (Some(first), None) = (found.next(), found.next()) {
                return Some(first);
            }
        }
        self.referenced(r, attribute, target_kind)
    }

    /// The resource of `target_kind` that `r`'s `attribute` expression references, if
    /// exactly one instance has that address.
    pub fn referenced(
        &self,
        r: &Resource<'a>,
        attribute: &str,
        target_kind: &str,
    ) -> Option<&Resource<'a>> {
        let refs = self.references.get(r.config_address())?.get(attribute)?;
        let module = module_prefix(r.config_address());
        refs.iter().find_map(|reference| {
            let address = target_address(reference, target_kind)?;
            let full = format!("{module}{address}");
            let mut found = self.of(target_kind).filter(|t| t.config_address() == full);
            match (found.next(), found.next()) {
                (Some(one), None) => Some(one),
                _ => None,
            }
        })
    }

    /// Whether `r`'s `attribute` references a resource of `kind` at all (e.g. a
    /// method's `resource_id` naming the API's `root_resource_id`).
    pub fn references_attribute(&self, r: &Resource<'_>, attribute: &str, target: &str) -> bool {
        self.references
            .get(r.config_address())
            .and_then(|a| a.get(attribute))
            .is_some_and(|refs| refs.iter().any(|x| x.ends_with(target)))
    }
}

/// `module.a.module.b.` of an address (empty at the root).
fn module_prefix(address: &str) -> String {
    let mut prefix = String::new();
    let mut rest = address;
    while let Some(tail) = rest.strip_prefix("module.") {
        let Some((name, more)) = tail.split_once('.') else {
            break;
        };
        prefix.push_str(&format!("module.{name}."));
        rest = more;
    }
    prefix
}

/// `aws_api_gateway_resource.pet` out of a reference such as
/// `aws_api_gateway_resource.pet.id` when it names a resource of `kind`.
fn target_address(reference: &str, kind: &str) -> Option<String> {
    let (mode_kind, rest) = match reference.strip_prefix("data.") {
        Some(r) => (format!("data.{kind}"), r),
        None => (kind.to_owned(), reference),
    };
    let rest = rest.strip_prefix(kind)?.strip_prefix('.')?;
    let name: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    (!name.is_empty()).then(|| format!("{mode_kind}.{name}"))
}

/// Every resource of a module (`resources`) and its `child_modules`.
fn collect<'a>(module: &'a Value, at: &str, out: &mut Vec<Resource<'a>>) {
    if let Some(list) = module.get("resources").and_then(Value::as_array) {
        for (i, r) in list.iter().enumerate() {
            let (Some(address), Some(kind), Some(values)) = (
                r.get("address").and_then(Value::as_str),
                r.get("type").and_then(Value::as_str),
                r.get("values").and_then(Value::as_object),
            ) else {
                continue;
            };
            out.push(Resource {
                address: address.to_owned(),
                kind,
                mode: r.get("mode").and_then(Value::as_str).unwrap_or("managed"),
                values,
                at: format!("{at}.resources[{i}]"),
            });
        }
    }
    if let Some(children) = module.get("child_modules").and_then(Value::as_array) {
        for (i, child) in children.iter().enumerate() {
            collect(child, &format!("{at}.child_modules[{i}]"), out);
        }
    }
}

/// The references of every resource's expressions in a configuration module and the
/// modules it calls, keyed by address (`prefix` is the module path).
fn config(module: &Value, prefix: &str, out: &mut BTreeMap<String, BTreeMap<String, Vec<String>>>) {
    if let Some(list) = module.get("resources").and_then(Value::as_array) {
        for r in list {
            let Some(address) = r.get("address").and_then(Value::as_str) else {
                continue;
            };
            let mut attributes = BTreeMap::new();
            if let Some(expressions) = r.get("expressions").and_then(Value::as_object) {
                for (name, e) in expressions {
                    if let Some(refs) = e.get("references").and_then(Value::as_array) {
                        attributes.insert(
                            name.clone(),
                            refs.iter()
                                .filter_map(Value::as_str)
                                .map(str::to_owned)
                                .collect(),
                        );
                    }
                }
            }
            out.insert(format!("{prefix}{address}"), attributes);
        }
    }
    if let Some(calls) = module.get("module_calls").and_then(Value::as_object) {
        for (name, call) in calls {
            if let Some(m) = call.get("module") {
                config(m, &format!("{prefix}module.{name}."), out);
            }
        }
    }
}
