//! Findings as a SARIF 2.1.0 log (the OASIS format GitHub code scanning and other CI
//! tools read to show findings on a pull request), built with serde-sarif's types, which
//! are generated from the 2.1.0 schema. One run: the tool and every rule it has (id,
//! title, why, default level, tags), then a result per finding with its file, line and
//! column, the field path as a logical location, and a fingerprint that stays the same
//! across runs while the finding does (so code scanning tracks it rather than opening a
//! new alert each time).

use std::collections::BTreeMap;

use serde_sarif::sarif::{
    ArtifactLocation, Invocation, Location, LogicalLocation, Message, MultiformatMessageString,
    PhysicalLocation, PropertyBag, Region, ReportingConfiguration, ReportingDescriptor, Result,
    ResultLevel, Run, Sarif, Tool, ToolComponent,
};
use sha2::{Digest, Sha256};

use super::{Finding, Level, RULES, Rule};

/// Where the 2.1.0 schema is published (the OASIS errata 01 schema).
const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The rules about who can reach the backend or read whose data.
const SECURITY: &[&str] = &[
    "read-parameter-not-in-cache-key",
    "require-authorization-off",
    "invalidate-cache-too-broad",
    "invalidate-cache-public",
];

/// The SARIF log of `findings`, as pretty JSON ending with a newline.
pub fn render(findings: &[Finding]) -> String {
    let version = env!("CARGO_PKG_VERSION");
    let driver = ToolComponent::builder()
        .name("cachegate")
        .full_name(format!("cachegate audit {version}"))
        .version(version)
        .semantic_version(version)
        .rules(RULES.iter().map(descriptor).collect::<Vec<_>>())
        .build();
    let run = Run::builder()
        .tool(Tool::builder().driver(driver).build())
        .invocations(vec![
            Invocation::builder().execution_successful(true).build(),
        ])
        .column_kind(serde_json::Value::String("unicodeCodePoints".into()))
        .results(findings.iter().map(result).collect::<Vec<_>>())
        .build();
    let log = Sarif::builder()
        .schema(SCHEMA)
        .version(serde_json::Value::String("2.1.0".into()))
        .runs(vec![run])
        .build();
    // The log is strings, numbers and maps of them: it always serialises.
    let mut out = serde_json::to_string_pretty(&log).unwrap_or_default();
    out.push('\n');
    out
}

fn level(level: Level) -> serde_json::Value {
    serde_json::Value::String(level.as_str().into())
}

fn text(s: impl Into<String>) -> MultiformatMessageString {
    MultiformatMessageString::builder().text(s.into()).build()
}

/// A sentence starts with a capital and ends with a full stop (SARIF's guidance for
/// messages).
fn sentence(s: &str) -> String {
    let mut chars = s.chars();
    let mut out: String = chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default();
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}

fn descriptor(rule: &Rule) -> ReportingDescriptor {
    let security = SECURITY.contains(&rule.id);
    let mut extra = BTreeMap::new();
    if security {
        // GitHub ranks security alerts by this CVSS-like score.
        let score = match rule.level {
            Level::Error => "8.0",
            Level::Warning => "5.0",
            Level::Note => "2.0",
        };
        extra.insert("security-severity".to_owned(), score.into());
    }
    let mut tags = vec!["api-gateway".to_owned(), "cache".to_owned()];
    if security {
        tags.push("security".to_owned());
    }
    ReportingDescriptor::builder()
        .id(rule.id)
        .name(pascal(rule.id))
        .short_description(text(sentence(rule.title)))
        .full_description(text(sentence(rule.why)))
        .help(text(format!(
            "{} The README's table of audit rules says what each checks.",
            sentence(rule.why)
        )))
        .default_configuration(
            ReportingConfiguration::builder()
                .level(level(rule.level))
                .build(),
        )
        .properties(
            PropertyBag::builder()
                .tags(tags)
                .additional_properties(extra)
                .build(),
        )
        .build()
}

/// `read-parameter-not-in-cache-key` as `ReadParameterNotInCacheKey`.
fn pascal(id: &str) -> String {
    id.split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

fn result(f: &Finding) -> Result {
    let mut physical = PhysicalLocation::builder().build();
    if !f.evidence.file.is_empty() {
        physical.artifact_location = Some(artifact(&f.evidence.file));
        physical.region = f.evidence.line.map(|line| {
            let mut region = Region::builder().start_line(line as i64).build();
            region.start_column = f.evidence.column.map(|c| c as i64);
            region
        });
    }
    let location = Location::builder()
        .physical_location(physical)
        .logical_locations(vec![
            LogicalLocation::builder()
                .fully_qualified_name(f.evidence.field.clone())
                .build(),
        ])
        .build();
    let configuration = f
        .configuration
        .as_ref()
        .map(|c| format!(" (configuration `{c}`)"))
        .unwrap_or_default();
    let mut hasher = Sha256::new();
    for part in [
        f.rule,
        f.configuration.as_deref().unwrap_or(""),
        &f.evidence.file,
        &f.evidence.field,
        &f.message,
    ] {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    let mut extra = BTreeMap::new();
    if let Some(c) = &f.configuration {
        extra.insert("configuration".to_owned(), c.clone().into());
    }
    extra.insert("fix".to_owned(), f.fix.clone().into());
    let mut message = format!(
        "{}{configuration} Fix: {}",
        sentence(&f.message),
        sentence(&f.fix)
    );
    if let Some(m) = &f.measured {
        // Plain numbers and strings: it always serialises.
        extra.insert(
            "measured".to_owned(),
            serde_json::to_value(m).unwrap_or_default(),
        );
        message.push_str(&format!(
            " Measured: {}, with {}.",
            m.summary(),
            m.experiment
        ));
    }
    let mut result = Result::builder()
        .rule_id(f.rule)
        .level(match f.level {
            Level::Error => ResultLevel::Error,
            Level::Warning => ResultLevel::Warning,
            Level::Note => ResultLevel::Note,
        })
        .message(Message::builder().text(message).build())
        .locations(vec![location])
        .partial_fingerprints(BTreeMap::from([(
            "cachegateFinding/v1".to_owned(),
            hex::encode(&hasher.finalize()[..16]),
        )]))
        .properties(PropertyBag::builder().additional_properties(extra).build())
        .build();
    result.rule_index = RULES.iter().position(|r| r.id == f.rule).map(|i| i as i64);
    result
}

/// A file path as a URI reference: relative paths stay relative (to the folder the
/// audit ran in, which code scanning takes as the repository's root), with `/`
/// separators; absolute ones become `file://` URIs. Anything outside the unreserved
/// characters and `/` is percent-encoded.
fn artifact(file: &str) -> ArtifactLocation {
    let path = file.replace('\\', "/");
    let path = path.strip_prefix("./").unwrap_or(&path);
    const KEEP: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'/')
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    let encoded = percent_encoding::utf8_percent_encode(path, KEEP).to_string();
    if path.starts_with('/') {
        ArtifactLocation::builder()
            .uri(format!("file://{encoded}"))
            .build()
    } else {
        ArtifactLocation::builder()
            .uri(encoded)
            .uri_base_id("%SRCROOT%")
            .build()
    }
}
