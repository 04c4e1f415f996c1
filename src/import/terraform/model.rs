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

/// Where a resource's `for_each` expression's references are kept among its
/// attributes'.
const FOR_EACH: &str = "for_each";

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

    /// The resource of `target_kind` that `r`'s `attribute` expression references: the
    /// only instance of the referenced address, else the instance the reference names
    /// (`aws_api_gateway_resource.item["pets"].id`, `.item[0]`), else (`count` and
    /// `for_each` resources) the instance with `r`'s own key: when the expression indexes
    /// by `count.index` or `each.key`, or is `each.value...` over a `for_each` of the
    /// target (`for_each = aws_api_gateway_resource.item`, `resource_id =
    /// each.value.id`), the way Terraform pairs such instances.
    pub fn referenced(
        &self,
        r: &Resource<'a>,
        attribute: &str,
        target_kind: &str,
    ) -> Option<&Resource<'a>> {
        let config = self.references.get(r.config_address())?;
        let refs = config.get(attribute)?;
        let own_key = &r.address[r.config_address().len()..];
        let module = module_prefix(r.config_address());
        let by_own_key = refs
            .iter()
            .any(|x| x == "count.index" || x == "each.key" || x.starts_with("each.key."));
        let via_each = refs.iter().any(|x| {
            x == "each.value" || x.starts_with("each.value.") || x.starts_with("each.value[")
        });
        let each = via_each
            .then(|| config.get(FOR_EACH))
            .flatten()
            .into_iter()
            .flatten()
            .map(|x| (x, true));
        refs.iter()
            .map(|x| (x, false))
            .chain(each)
            .find_map(|(reference, from_for_each)| {
                let (address, key) = target_address(reference, target_kind)?;
                let full = format!("{module}{address}");
                let instances: Vec<&Resource<'a>> = self
                    .of(target_kind)
                    .filter(|t| t.config_address() == full)
                    .collect();
                if let [one] = instances.as_slice() {
                    return Some(*one);
                }
                let wanted = match key {
                    Some(literal) => literal,
                    None if by_own_key || from_for_each => own_key.to_owned(),
                    None => return None,
                };
                if wanted.is_empty() {
                    return None;
                }
                let address = format!("{full}{wanted}");
                instances.into_iter().find(|t| t.address == address)
            })
    }

    /// The instance `r`'s `attribute` takes from its `for_each` source: when the
    /// attribute is `each.value.<attribute>` and `for_each` is another resource
    /// (`for_each = aws_api_gateway_method.list`), that resource's instance with `r`'s
    /// own key, whose own `attribute` then says what `r`'s does.
    pub fn each_value_source(&self, r: &Resource<'a>, attribute: &str) -> Option<&Resource<'a>> {
        let config = self.references.get(r.config_address())?;
        let wanted = format!("each.value.{attribute}");
        if !config.get(attribute)?.contains(&wanted) {
            return None;
        }
        let own_key = &r.address[r.config_address().len()..];
        let module = module_prefix(r.config_address());
        config.get(FOR_EACH)?.iter().find_map(|reference| {
            // `aws_api_gateway_method.list` (a managed resource: type and name).
            let mut parts = reference.splitn(3, '.');
            let (kind, name) = (parts.next()?, parts.next()?);
            let address = format!("{module}{kind}.{name}{own_key}");
            self.resources
                .iter()
                .find(|t| t.mode == "managed" && t.address == address)
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
/// `aws_api_gateway_resource.pet.id` when it names a resource of `kind`, with the
/// instance key it gives (`["pets"]`, `[0]`), if any.
fn target_address(reference: &str, kind: &str) -> Option<(String, Option<String>)> {
    let (mode_kind, rest) = match reference.strip_prefix("data.") {
        Some(r) => (format!("data.{kind}"), r),
        None => (kind.to_owned(), reference),
    };
    let rest = rest.strip_prefix(kind)?.strip_prefix('.')?;
    let name: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    if name.is_empty() {
        return None;
    }
    // A literal key, as Terraform writes it: `[0]` or `["pets"]` (quotes escaped).
    let after = &rest[name.len()..];
    let key = after.strip_prefix('[').and_then(|inner| {
        let mut escaped = false;
        let mut in_string = false;
        for (i, c) in inner.char_indices() {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = !in_string,
                ']' if !in_string => return Some(format!("[{}]", &inner[..i])),
                _ => {}
            }
        }
        None
    });
    Some((format!("{mode_kind}.{name}"), key))
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
            // `for_each` and `count` are meta-arguments: no resource has such an attribute.
            for (meta, name) in [
                ("for_each_expression", FOR_EACH),
                ("count_expression", "count"),
            ] {
                if let Some(refs) = r
                    .pointer(&format!("/{meta}/references"))
                    .and_then(Value::as_array)
                {
                    attributes.insert(
                        name.to_owned(),
                        refs.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_owned)
                            .collect(),
                    );
                }
            }
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
