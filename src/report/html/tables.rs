//! The report's tables: the key metrics with their differences from the baseline, the
//! checks, and the assumptions in force.

use maud::{Markup, PreEscaped, html};

use super::{HtmlReport, num, signed};
use crate::metrics::{Direction, Metric};
use crate::report::Outcome;

pub(super) fn metrics_table(r: &HtmlReport<'_>) -> Markup {
    let several = r.manifest.replications > 1;
    html! {
        h2 { "Key metrics" } "\n"
        p {
            "Each cell: the mean across " (r.manifest.replications) " replication(s)"
            @if several { " " (PreEscaped("&plusmn;")) " the half-width of its 95% confidence interval" }
            "; below it, the difference from the baseline " strong { (r.manifest.baseline) }
            @if several { " with its 95% interval, paired by replication" }
            ". "
            @if several {
                "A difference is " em { "significant" }
                " when its interval excludes 0; significant differences are coloured green when better and red when worse, "
                span class="ns" { "grey" }
                " ones are not significant. Every column is defined in the README."
            } @else {
                "With one replication there are no intervals, so nothing is marked significant; run with "
                code { "--replications" } " of 2 or more."
            }
        }
        "\n"
        // A few metrics a table, so each fits a laptop's screen without scrolling.
        @for group in r.metrics.chunks(METRICS_PER_TABLE) {
            (metrics_group(r, group))
        }
    }
}

/// Metric columns per key-metrics table.
const METRICS_PER_TABLE: usize = 4;

fn metrics_group(r: &HtmlReport<'_>, metrics: &[Metric]) -> Markup {
    html! {
        div class="scroll" {
            table {
                "\n"
                tr {
                    th { "configuration" }
                    @for metric in metrics {
                        th title=(metric.title()) { (metric.name()) }
                    }
                }
                "\n"
                @for name in &r.manifest.configurations {
                    tr {
                        td { (name) }
                        @for metric in metrics {
                            td class="n" { (metric_cell(r, name, *metric)) }
                        }
                    }
                    "\n"
                }
            }
        }
        "\n"
    }
}

/// One configuration's mean of `metric` with its interval, and its difference from the
/// baseline, coloured by whether it is significant and which way is better.
fn metric_cell(r: &HtmlReport<'_>, name: &str, metric: Metric) -> Markup {
    let Some(a) = r
        .aggregate
        .iter()
        .find(|a| a.variant == name && a.metric == metric)
    else {
        return html! { "n/a" };
    };
    let class = match (a.significant, metric.direction()) {
        (false, _) => "ns",
        (true, Direction::Neither) => "sig",
        (true, direction) if (a.diff_mean > 0.0) == (direction == Direction::Higher) => "better",
        (true, _) => "worse",
    };
    html! {
        (num(a.mean))
        @if let (Some(lo), Some(hi)) = (a.ci95_low, a.ci95_high) {
            " " (PreEscaped("&plusmn;")) " " (num((hi - lo) / 2.0))
        }
        @if name == r.manifest.baseline {
            span class="base" { "baseline" }
        } @else {
            span class={ "diff " (class) } {
                (signed(a.diff_mean))
                @if let (Some(lo), Some(hi)) = (a.diff_ci95_low, a.diff_ci95_high) {
                    " [" (num(lo)) ", " (num(hi)) "]"
                }
            }
        }
    }
}

pub(super) fn checks_table(r: &HtmlReport<'_>) -> Markup {
    html! {
        h2 { "Checks" } "\n"
        @if r.checks.is_empty() {
            p class="muted" {
                "The scenario sets no checks (" code { (PreEscaped("checks = [\"backend_rps_peak &lt;= 300\", ...]")) }
                " at the top of the file). Checks are judged on the mean across replications, and "
                code { "cachegate run" } " exits 1 when one fails."
            }
            "\n"
        } @else {
            p {
                "Judged on the mean across replications; " code { "cachegate run" }
                " exits 1 when any fails."
            }
            "\n"
            div class="scroll" {
                table {
                    "\n"
                    tr {
                        th { "configuration" }
                        @for c in r.checks { th { code { (c) } } }
                    }
                    "\n"
                    @for name in &r.manifest.configurations {
                        tr {
                            td { (name) }
                            @for c in r.checks {
                                @let verdict = r
                                    .verdicts
                                    .iter()
                                    .find(|v| v.configuration == *name && v.check == *c);
                                td class="n" {
                                    @match verdict.map(|v| (v.outcome, v.mean)) {
                                        Some((Outcome::Pass, mean)) => { span class="pass" { "PASS" } " " (num(mean)) }
                                        Some((Outcome::Fail, mean)) => { span class="fail" { "FAIL" } " " (num(mean)) }
                                        Some((Outcome::NoData, _)) => { span class="fail" { "NO DATA" } " nothing measured" }
                                        None => { "n/a" }
                                    }
                                }
                            }
                        }
                        "\n"
                    }
                }
            }
            "\n"
        }
    }
}

pub(super) fn assumptions(r: &HtmlReport<'_>) -> Markup {
    let m = r.manifest;
    let keys: Vec<&String> =
        m.assumptions
            .values()
            .flat_map(|a| a.keys())
            .fold(Vec::new(), |mut v, k| {
                if !v.contains(&k) {
                    v.push(k);
                }
                v
            });
    let value = |name: &String, key: &String| {
        m.assumptions
            .get(name)
            .and_then(|a| a.get(key))
            .map_or("", String::as_str)
    };
    // One row per assumption (three columns whatever the number of configurations):
    // the baseline's value, then the configurations that take another.
    html! {
        h2 { "Assumptions in force" } "\n"
        p {
            "Model choices where AWS leaves the behaviour undocumented or the scenario left a default (see the README's "
            (PreEscaped("\"Model\""))
            " section); a value that differs from the baseline's is in bold, beside the configuration that takes it."
        }
        "\n"
        div class="scroll" {
            table {
                "\n"
                tr { th { "assumption" } th { "baseline" } th { "other configurations, where they differ" } }
                "\n"
                @for k in &keys {
                    @let base_value = value(&m.baseline, k);
                    @let differing: Vec<&String> = m
                        .configurations
                        .iter()
                        .filter(|n| **n != m.baseline && value(n, k) != base_value)
                        .collect();
                    tr {
                        td { code { (k) } }
                        td { (base_value) }
                        td {
                            @if differing.is_empty() {
                                span class="muted" { "the same" }
                            }
                            @for (i, n) in differing.iter().enumerate() {
                                @if i > 0 { br; }
                                (n) ": " strong { (value(n, k)) }
                            }
                        }
                    }
                    "\n"
                }
            }
        }
        "\n"
        p class="muted" { "Cache prices: " (m.price_table) } "\n"
    }
}
