//! A scenario's `[principals]`: each principal's identity policies, loaded and compiled,
//! and its request context.

use super::super::error::{Problems, at};
use super::super::raw::RawScenario;
use crate::gateway::Principal;
use crate::policy::{Context, PolicyDocument, PolicySet};
use std::path::Path;

/// Every principal (policy files relative to `dir`), with a warning for each condition
/// value of their policies that does not parse (it matches nothing).
pub(super) fn principals(
    raw: &RawScenario,
    dir: &Path,
    problems: &mut Problems,
) -> (Vec<Principal>, Vec<String>) {
    let mut principals = Vec::new();
    let mut warnings = Vec::new();
    for (name, principal) in &raw.principals {
        let path = at("principals").key(name);
        let mut policies = PolicySet::new().assuming(raw.model.negated_incomparable);
        for (j, file) in principal.policies.iter().enumerate() {
            match PolicyDocument::load(&dir.join(file)) {
                Ok(doc) => {
                    warnings.extend(
                        doc.unparsable_values(file)
                            .into_iter()
                            .map(|w| format!("principal `{name}`, {w}")),
                    );
                    policies.add(file, &doc);
                }
                Err(e) => problems.add(
                    path.key("policies").index(j),
                    format!("policy does not load: {e}"),
                ),
            }
        }
        let mut context = Context::new();
        for (key, value) in &principal.context {
            let values: Vec<&toml::Value> = match value {
                toml::Value::Array(a) => a.iter().collect(),
                v => vec![v],
            };
            for v in values {
                match v {
                    toml::Value::String(s) => context.insert(key, s.as_str()),
                    toml::Value::Integer(n) => context.insert(key, n.to_string()),
                    toml::Value::Float(x) => context.insert(key, x.to_string()),
                    toml::Value::Boolean(b) => context.insert(key, b.to_string()),
                    other => problems.add(
                        path.key("context").key(key),
                        format!(
                            "expected a string, number or boolean (or an array of them), got {}",
                            other.type_str()
                        ),
                    ),
                }
            }
        }
        principals.push(Principal {
            name: name.clone(),
            policies,
            context,
        });
    }
    (principals, warnings)
}
