//! The identity policies of a plan or state that mention `execute-api`, and who holds
//! each (a role or user policy's role or user, else the policy's name).

use super::Problems;
use super::model::Model;

/// An identity policy that mentions `execute-api`, and who holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedPolicy {
    /// The principal's name for the scenario: the role or user, else the policy's name.
    pub principal: String,
    /// The policy document (JSON text).
    pub document: String,
    /// The resource it came from.
    pub address: String,
}

/// The identity policies of a plan or state that mention `execute-api`.
pub(super) fn policies(model: &Model<'_>) -> Result<Vec<ImportedPolicy>, Problems> {
    let mut out = Vec::new();
    for (kind, holder, holder_kind, text) in [
        ("aws_iam_role_policy", "role", "aws_iam_role", "policy"),
        ("aws_iam_user_policy", "user", "aws_iam_user", "policy"),
        ("aws_iam_policy", "name", "", "policy"),
        ("data.aws_iam_policy_document", "", "", "json"),
    ] {
        for r in model.of(kind) {
            let Some(document) = r.str(text) else {
                continue;
            };
            if !document.contains("execute-api") {
                continue;
            }
            // The role or user by its name, or (unknown in a plan) the one referenced.
            let held_by = (!holder.is_empty())
                .then(|| r.str(holder))
                .flatten()
                .or_else(|| {
                    (!holder_kind.is_empty())
                        .then(|| model.referenced(r, holder, holder_kind))
                        .flatten()
                        .and_then(|h| h.str("name"))
                });
            let name = held_by
                .unwrap_or_else(|| r.config_address().rsplit('.').next().unwrap_or("policy"));
            let mut principal: String = name
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            if principal.is_empty() {
                principal = "policy".into();
            }
            out.push(ImportedPolicy {
                principal,
                document: document.to_owned(),
                address: r.address.clone(),
            });
        }
    }
    Ok(out)
}
