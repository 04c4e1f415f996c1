//! A scenario's `stage_file` and `api_file`: the stage settings and resource methods
//! imported from AWS exports or Terraform (see `crate::import`), put in the scenario's
//! TOML table in their place, with the scenario's own fields merged over them, before
//! the table is validated like any other.

use std::path::Path;

use super::study::merge;

/// Replaces `stage_file` in `table` by the `[stage]` it imports, with the table's own
/// `[stage]` fields merged over it. On error the stage is left as the table has it (or
/// empty), so the one problem is not echoed as a missing `[stage]`.
pub(super) fn resolve_stage_file(table: &mut toml::Table, dir: &Path) -> Result<(), String> {
    let Some(file) = table.remove("stage_file") else {
        return Ok(());
    };
    let result = import_stage_file(table, &file, dir);
    if result.is_err() {
        table
            .entry("stage")
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    }
    result
}

/// Replaces `api_file` in `table` by the `[[resources]]` it defines: each entry the
/// table has (matched by method and path) gives its method a workload, with the entry's
/// own fields merged over the imported ones (`parameters` by name). Methods with no
/// entry get no traffic and are left out; an entry naming no method of the file is an
/// error (a typo would otherwise simulate a resource the API does not have).
pub(super) fn resolve_api_file(table: &mut toml::Table, dir: &Path) -> Result<(), String> {
    let Some(file) = table.remove("api_file") else {
        return Ok(());
    };
    let file = file.as_str().ok_or(
        "expected the path of an API definition (an OpenAPI or Swagger export, or get-resources output)",
    )?;
    let api = crate::import::api::load_api(&dir.join(file)).map_err(|e| e.to_string())?;
    let entries = match table.get("resources") {
        None => Vec::new(),
        Some(toml::Value::Array(a)) => a.clone(),
        // Reported where the resources are checked.
        Some(_) => return Ok(()),
    };
    let mut resources = Vec::new();
    let mut missing = Vec::new();
    for entry in &entries {
        let Some(entry) = entry.as_table() else {
            continue;
        };
        let method = entry
            .get("method")
            .and_then(toml::Value::as_str)
            .unwrap_or("");
        let path = entry
            .get("path")
            .and_then(toml::Value::as_str)
            .unwrap_or("");
        match api.find(method, path) {
            Some(m) => {
                let mut merged = m.to_table();
                let unmatched = merge(&mut merged, entry);
                if let Some(u) = unmatched.first() {
                    return Err(format!(
                        "resource `{method} {path}`: `{u}` selects no element of the imported method"
                    ));
                }
                resources.push(toml::Value::Table(merged));
            }
            None => missing.push(format!("{method} {path}")),
        }
    }
    if !missing.is_empty() {
        let has: Vec<String> = api
            .methods
            .iter()
            .map(|m| format!("{} {}", m.scenario_method(), m.path))
            .collect();
        return Err(format!(
            "{file} has no method {}; it has {}",
            missing.join(", "),
            has.join(", ")
        ));
    }
    table.insert("resources".into(), toml::Value::Array(resources));
    Ok(())
}

fn import_stage_file(
    table: &mut toml::Table,
    file: &toml::Value,
    dir: &Path,
) -> Result<(), String> {
    let file = file
        .as_str()
        .ok_or("expected the path of a stage file (get-stage JSON, a CloudFormation template or `terraform show -json` output)")?;
    let imported = crate::import::load_stage(&dir.join(file), None).map_err(|e| e.to_string())?;
    let mut stage = imported.to_table();
    if let Some(toml::Value::Table(own)) = table.get("stage") {
        if let Some(u) = merge(&mut stage, own).first() {
            return Err(format!(
                "`stage.{u}` selects no element of the imported stage"
            ));
        }
    }
    table.insert("stage".into(), toml::Value::Table(stage));
    Ok(())
}
