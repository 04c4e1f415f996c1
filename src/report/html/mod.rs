//! `report.html`: one self-contained page (no scripts, no network; the plots are inline
//! SVG) that says what was compared, the verdict, the key metrics with their differences
//! from the baseline and whether each is significant, the checks, what each client got,
//! the plots and the assumptions in force. Written from the same rows as the CSVs, byte
//! for byte the same for the same run (no wall-clock times in it). Written with maud,
//! which escapes every value it is given: only the inline SVG and fixed entities are
//! passed through as markup.

mod calibration;
mod clients;
mod sections;
mod tables;

use maud::{DOCTYPE, PreEscaped, html};

use calibration::calibration;
use clients::clients_table;
use sections::{compared, plots, traces, verdict};
use tables::{assumptions, checks_table, metrics_table};

use super::{AggregateRow, Chart, ClientRow, Manifest, Verdict};
use crate::metrics::{Metric, Rank};

/// Everything the page shows.
pub struct HtmlReport<'a> {
    /// What ran.
    pub manifest: &'a Manifest,
    /// The scenario's `description`.
    pub description: &'a str,
    /// Per configuration, what it sets over the scenario file.
    pub changes: &'a [Vec<String>],
    /// `aggregate.csv`'s rows.
    pub aggregate: &'a [AggregateRow],
    /// The checks as written.
    pub checks: &'a [String],
    /// Every check judged for every configuration.
    pub verdicts: &'a [Verdict],
    /// The verdict's order.
    pub rank_by: &'a [Rank],
    /// Configurations passing every check, best first (indices).
    pub ranking: &'a [usize],
    /// The metrics of the table.
    pub metrics: &'a [Metric],
    /// The plots.
    pub charts: &'a [Chart],
    /// `clients.csv`'s rows.
    pub clients: &'a [ClientRow],
    /// `[calibration]` and its comparison, when the scenario has one.
    pub calibration: Option<(&'a super::Calibration, &'a [super::CalibrationRow])>,
}

/// A number with about four significant digits, without exponent notation.
pub(crate) fn num(x: f64) -> String {
    if x.is_nan() {
        return "n/a".into();
    }
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let magnitude = x.abs().log10().floor() as i32;
    let decimals = (3 - magnitude).clamp(0, 9) as usize;
    let s = format!("{x:.decimals$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s
    };
    if s == "-0" { "0".into() } else { s }
}

fn signed(x: f64) -> String {
    if x > 0.0 {
        format!("+{}", num(x))
    } else {
        num(x)
    }
}

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#1d1d1f;line-height:1.45}\
h1{margin-bottom:.2em}h2{margin-top:2em;border-bottom:1px solid #ddd;padding-bottom:.2em}\
table{border-collapse:collapse;margin:.6em 0;font-size:.88em}th,td{border:1px solid #ddd;padding:.3em .55em;text-align:left;vertical-align:top}\
th{background:#f5f5f7}td.n{text-align:right;white-space:nowrap}.scroll{overflow-x:auto}\
.pass{color:#1a7f37;font-weight:600}.fail{color:#c62828;font-weight:600}\
.better{color:#1a7f37;font-weight:600}.worse{color:#c62828;font-weight:600}.sig{font-weight:600}.ns{color:#777}\
.diff{display:block;font-size:.85em}.base{color:#777;font-size:.85em;display:block}\
code{background:#f5f5f7;padding:0 .25em;border-radius:3px}figure{margin:1.5em 0}figure svg{max-width:100%;height:auto}\
figcaption{color:#444;font-size:.9em}.muted{color:#666}.verdict{background:#f5f9ff;border:1px solid #cfe0ff;padding:.6em 1em;border-radius:6px}";

/// The page.
pub fn render_html(r: &HtmlReport<'_>) -> String {
    let m = r.manifest;
    let page = html! {
        (DOCTYPE) "\n"
        html lang="en" {
            "\n" head {
                "\n" meta charset="utf-8";
                "\n" meta name="viewport" content="width=device-width, initial-scale=1";
                "\n" title { "cachegate report: " (m.scenario) }
                "\n" style { (PreEscaped(STYLE)) }
                "\n"
            }
            "\n" body {
                "\n" h1 { (m.scenario) } "\n"
                @if !r.description.is_empty() {
                    p { (r.description) } "\n"
                }
                p class="muted" {
                    (m.configurations.len()) " configuration(s) " (PreEscaped("&times;")) " "
                    (m.replications) " replication(s) of " (num(m.duration_s))
                    " s simulated after " (num(m.warmup_s)) " s of warm-up, measured in "
                    (num(m.window_s)) " s windows; seed " (m.seed) "; scenario "
                    code { (m.scenario_path) }
                    " (sha256 " (m.scenario_sha256[..m.scenario_sha256.len().min(12)])
                    "); cachegate " (m.cachegate_version) "."
                }
                "\n"
                (verdict(r))
                (calibration(r))
                (compared(r))
                (metrics_table(r))
                (checks_table(r))
                (clients_table(r))
                (plots(r))
                (traces(r))
                (assumptions(r))
            }
            "\n"
        }
        "\n"
    };
    page.into_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_four_significant_digits() {
        assert_eq!(num(0.0), "0");
        assert_eq!(num(0.912_345), "0.9123");
        assert_eq!(num(411.26), "411.3");
        assert_eq!(num(123_456.7), "123457");
        assert_eq!(num(0.000_123_46), "0.0001235");
        assert_eq!(num(2.5), "2.5");
        assert_eq!(num(-0.000_000_1), "-0.0000001");
        assert_eq!(num(f64::NAN), "n/a");
        assert_eq!(signed(3.0), "+3");
        assert_eq!(signed(-3.0), "-3");
    }

    /// Everything a scenario's author wrote reaches the page as text, never as markup.
    #[test]
    fn text_from_the_scenario_is_escaped() {
        let evil = "<script>alert(\"x\")</script> & co";
        let manifest = Manifest {
            scenario: "s".into(),
            scenario_path: evil.into(),
            scenario_sha256: "0".repeat(64),
            seed: 1,
            replications: 1,
            cachegate_version: "0".into(),
            duration_s: 1.0,
            warmup_s: 0.0,
            window_s: 1.0,
            configurations: vec![evil.into()],
            baseline: evil.into(),
            assumptions: [(
                evil.to_owned(),
                [(evil.to_owned(), evil.to_owned())].into_iter().collect(),
            )]
            .into_iter()
            .collect(),
            checks: Vec::new(),
            price_table: evil.into(),
            simulated_requests: 0,
            traces: Vec::new(),
            inputs: Vec::new(),
        };
        let checks = [format!("hit_rate >= 0.9 {evil}")];
        let client = |name: &str| ClientRow {
            variant: evil.into(),
            replication: 0,
            seed: 1,
            client: name.into(),
            kind: "client".into(),
            principal: evil.into(),
            requests: 10,
            successful_2xx: 7,
            forbidden_403: 1,
            throttled_429: 1,
            errors_5xx: 1,
            availability: 0.7,
        };
        let clients = [client(evil), client("app")];
        let html = render_html(&HtmlReport {
            manifest: &manifest,
            description: evil,
            changes: &[vec![evil.to_owned()]],
            aggregate: &[],
            checks: &checks,
            verdicts: &[],
            rank_by: &[],
            ranking: &[0],
            metrics: &[Metric::HitRate],
            charts: &[],
            clients: &clients,
            calibration: None,
        });
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("By client"), "two clients get their table");
        assert!(html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co"));
        assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"));
        assert!(html.ends_with("</body>\n</html>\n"));
    }
}
