//! Findings as text (one block per finding, as compilers print diagnostics), JSON (a
//! list of objects with the same fields) or SARIF 2.1.0 (`sarif.rs`).

use std::fmt::Write as _;

use super::Finding;

/// How findings are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// For people.
    Text,
    /// For tools: a JSON array.
    Json,
    /// For code scanning: a SARIF 2.1.0 log.
    Sarif,
}

impl Format {
    /// Parses `text`, `json` or `sarif`.
    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "text" => Some(Format::Text),
            "json" => Some(Format::Json),
            "sarif" => Some(Format::Sarif),
            _ => None,
        }
    }
}

/// The findings in `format`, ending with a newline.
pub fn render(findings: &[Finding], format: Format) -> String {
    match format {
        Format::Sarif => super::sarif::render(findings),
        Format::Json => {
            // Findings are plain strings and enums: they always serialise.
            let mut out = serde_json::to_string_pretty(findings).unwrap_or_default();
            out.push('\n');
            out
        }
        Format::Text => {
            let mut out = String::new();
            for f in findings {
                let config = f
                    .configuration
                    .as_ref()
                    .map(|c| format!(" [{c}]"))
                    .unwrap_or_default();
                let _ = writeln!(
                    out,
                    "{}[{}]{config}: {}",
                    f.level.as_str(),
                    f.rule,
                    f.message
                );
                let place = match (f.evidence.line, f.evidence.column) {
                    (Some(l), Some(c)) => format!(":{l}:{c}"),
                    (Some(l), None) => format!(":{l}"),
                    _ => String::new(),
                };
                let _ = writeln!(
                    out,
                    "  --> {}{place}: {}",
                    f.evidence.file, f.evidence.field
                );
                let _ = writeln!(out, "  why: {}", f.why);
                let _ = writeln!(out, "  fix: {}", f.fix);
                if let Some(m) = &f.measured {
                    let _ = writeln!(out, "  measured: {}", m.summary());
                    let _ = writeln!(out, "    with {}", m.experiment);
                }
                out.push('\n');
            }
            let count = |level| findings.iter().filter(|f| f.level == level).count();
            let _ = writeln!(
                out,
                "{} error(s), {} warning(s), {} note(s)",
                count(super::Level::Error),
                count(super::Level::Warning),
                count(super::Level::Note)
            );
            out
        }
    }
}
