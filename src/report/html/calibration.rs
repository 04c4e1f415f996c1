//! The report's "How well does the model fit?" section: the fitted configuration
//! against the replay of production's logs, metric by metric with paired intervals,
//! production's own hit rate beside them, and the likely cause of each disagreement.

use maud::{Markup, html};

use super::{HtmlReport, num, signed};

pub(super) fn calibration(r: &HtmlReport<'_>) -> Markup {
    let Some((c, rows)) = r.calibration else {
        return html! {};
    };
    let interval = |lo: Option<f64>, hi: Option<f64>| match (lo, hi) {
        (Some(lo), Some(hi)) => format!("[{}, {}]", num(lo), num(hi)),
        _ => "n/a (one replication)".to_owned(),
    };
    html! {
        h2 { "How well does the model fit?" } "\n"
        p {
            "The configuration " code { (c.fitted) } " runs the workload fitted from the logs that "
            code { (c.replay) } " replays. Where they agree, the fitted model can be trusted for what "
            "the logs cannot show (more traffic, another TTL, a larger cache, an attacker); where they "
            "disagree by more than the interval, the likely cause is named. Differences are "
            code { (c.fitted) } " minus " code { (c.replay) } ", paired by replication, with 95% intervals; "
            "a difference within 2% of the replay's value counts as agreement."
        } "\n"
        div class="scroll" {
            table {
                tr {
                    th { "metric" } th { (c.replay) } th { (c.fitted) } th { "production" }
                    th { "difference" } th { "95% interval" } th { "verdict" } th { "likely cause" }
                } "\n"
                @for row in rows {
                    tr {
                        td { (row.metric.title()) }
                        td class="n" { (num(row.replay)) }
                        td class="n" { (num(row.fitted)) }
                        td class="n" { (row.observed.map_or_else(|| "-".to_owned(), num)) }
                        td class="n" { (signed(row.diff_mean)) }
                        td class="n" { (interval(row.diff_ci95_low, row.diff_ci95_high)) }
                        td class=(if row.verdict == "agrees" { "pass" } else { "fail" }) { (row.verdict) }
                        td { (row.likely_cause) }
                    } "\n"
                }
            }
        } "\n"
        @if let Some(note) = crate::report::observed_note(c, rows) {
            p {
                "Production's hit rate"
                @if let Some(how) = &c.observed { " (" (how) ")" }
                ": " (note) "."
            } "\n"
        } @else {
            p class="muted" {
                "Production's own hit rate is not known here (give it as "
                code { "[calibration] observed_hit_rate" } "; " code { "cachegate fit" }
                " reads it from access logs with " code { "integrationLatency" }
                " or from CloudWatch)."
            } "\n"
        }
    }
}
