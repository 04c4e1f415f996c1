//! The report's prose sections: the verdict, what was compared, the plots and the
//! traces replayed.

use maud::{Markup, PreEscaped, html};

use super::{HtmlReport, num};
use crate::report::{Outcome, TraceSummary, Verdict, mean_of};

pub(super) fn verdict(r: &HtmlReport<'_>) -> Markup {
    let names = &r.manifest.configurations;
    let key_values = |i: usize| -> Vec<u64> {
        r.rank_by
            .iter()
            .map(|k| mean_of(r.aggregate, &names[i], k.metric).to_bits())
            .collect()
    };
    // Each ranked configuration's place: shared by configurations equal on every key.
    let mut places = Vec::with_capacity(r.ranking.len());
    for (n, &i) in r.ranking.iter().enumerate() {
        let tied_with_previous = n > 0 && key_values(r.ranking[n - 1]) == key_values(i);
        places.push(if tied_with_previous {
            places[n - 1]
        } else {
            n + 1
        });
    }
    let failing: Vec<(&String, Vec<&Verdict>)> = names
        .iter()
        .map(|n| {
            let failed: Vec<&Verdict> = r
                .verdicts
                .iter()
                .filter(|v| v.configuration == *n && !v.pass())
                .collect();
            (n, failed)
        })
        .filter(|(_, failed)| !failed.is_empty())
        .collect();
    html! {
        h2 { "Verdict" } "\n"
        div class="verdict" {
            "\n"
            @if r.checks.is_empty() {
                p { "The scenario sets no checks, so every configuration is ranked." } "\n"
            } @else {
                p { (r.ranking.len()) " of " (names.len()) " configuration(s) pass every check." } "\n"
            }
            @if r.ranking.is_empty() {
                p { strong { "No configuration passes every check." } } "\n"
            } @else {
                p {
                    "Best first, ordered by "
                    @for (k, rank) in r.rank_by.iter().enumerate() {
                        @if k > 0 { ", then " }
                        code { (rank) }
                    }
                    "; configurations equal on every one of them tie and share a place:"
                }
                "\n"
                ol {
                    "\n"
                    @for (n, &i) in r.ranking.iter().enumerate() {
                        @let tied_with: Vec<&str> = r
                            .ranking
                            .iter()
                            .filter(|&&j| j != i && key_values(j) == key_values(i))
                            .map(|&j| names[j].as_str())
                            .collect();
                        li value=(places[n]) {
                            strong { (names[i]) }
                            @if names[i] == r.manifest.baseline { " (baseline)" }
                            @if !tied_with.is_empty() {
                                " " em { "(tied with " (tied_with.join(", ")) ")" }
                            }
                            ": "
                            @for (k, rank) in r.rank_by.iter().enumerate() {
                                @if k > 0 { "; " }
                                (rank.metric.title()) " "
                                (num(mean_of(r.aggregate, &names[i], rank.metric)))
                            }
                        }
                        "\n"
                    }
                }
                "\n"
            }
            @if !failing.is_empty() {
                p { "Failing:" } "\n"
                ul {
                    "\n"
                    @for (name, failed) in &failing {
                        li {
                            strong { (name) } ": "
                            @for (k, v) in failed.iter().enumerate() {
                                @if k > 0 { ", " }
                                code { (v.check) }
                                @if v.outcome == Outcome::NoData {
                                    " (no data: nothing measured)"
                                } @else {
                                    " (mean " (num(v.mean)) ")"
                                }
                            }
                        }
                        "\n"
                    }
                }
                "\n"
            }
        }
        "\n"
    }
}

pub(super) fn compared(r: &HtmlReport<'_>) -> Markup {
    html! {
        h2 { "What was compared" } "\n"
        p {
            "Every configuration ran on the same client requests (common random numbers: the same arrivals, keys and choices in each replication), so differences come from the configuration, not from chance. Replication "
            em { "k" }
            " of every configuration shares one seed, which pairs them for the differences below."
        }
        "\n"
        table {
            "\n"
            tr { th { "configuration" } th { "what it sets over the scenario file" } } "\n"
            @for (i, name) in r.manifest.configurations.iter().enumerate() {
                @let changes = r.changes.get(i).map(Vec::as_slice).unwrap_or_default();
                tr {
                    td {
                        (name)
                        @if *name == r.manifest.baseline {
                            " " span class="muted" { "(baseline)" }
                        }
                    }
                    td {
                        @if changes.is_empty() {
                            span class="muted" { "the file as written" }
                        }
                        @for (k, change) in changes.iter().enumerate() {
                            @if k > 0 { br; }
                            code { (change) }
                        }
                    }
                }
                "\n"
            }
        }
        "\n"
    }
}

pub(super) fn plots(r: &HtmlReport<'_>) -> Markup {
    html! {
        h2 { "Plots" } "\n"
        p class="muted" {
            "Each plot is also in " code { "plots/" }
            " as SVG and PNG. Colours follow the configurations' order in every plot."
        }
        "\n"
        @for c in r.charts {
            figure id=(c.stem) {
                "\n"
                // plotters' SVG starts with the <svg> element itself (no XML prolog).
                (PreEscaped(c.svg.trim_start_matches("<?xml version=\"1.0\" encoding=\"UTF-8\"?>").trim()))
                "\n"
                figcaption {
                    strong { (c.title) "." } " " (c.caption) " ("
                    @if c.png.is_some() {
                        a href={ "plots/" (c.stem) ".png" } { "PNG" } ", "
                    }
                    a href={ "plots/" (c.stem) ".svg" } { "SVG" } ")"
                }
                "\n"
            }
            "\n"
        }
    }
}

/// The recorded traces replayed, with what reading them found.
pub(super) fn traces(r: &HtmlReport<'_>) -> Markup {
    let traces = &r.manifest.traces;
    if traces.is_empty() {
        return html! {};
    }
    html! {
        h2 { "Traces replayed" } "\n"
        p {
            "Requests replayed from recorded traffic with the trace's own times, beside any synthetic clients; every configuration replays the same records."
        }
        "\n"
        table {
            "\n"
            tr { th { "trace" } th { "file (digest)" } th { "requests" } th { "span" } th { "skipped" } }
            "\n"
            @for t in traces {
                tr {
                    td { (t.name) }
                    td { code { (t.file) } " (" (short_digest(&t.digest)) ")" }
                    td { (t.requests) }
                    td { (num(t.span_s)) " s" }
                    td { (skipped(t)) }
                }
                "\n"
            }
        }
        "\n"
    }
}

/// A digest (`algorithm:hex`) cut to its algorithm and first 12 hex digits.
fn short_digest(digest: &str) -> &str {
    let hex_at = digest.find(':').map_or(0, |i| i + 1);
    let end = (hex_at + 12).min(digest.len());
    digest.get(..end).unwrap_or(digest)
}

/// What reading a trace passed over, or `none`.
fn skipped(t: &TraceSummary) -> String {
    let mut skipped = Vec::new();
    if t.bad_records > 0 {
        skipped.push(format!(
            "{} record(s) that did not parse ({})",
            t.bad_records,
            t.bad_examples.join("; ")
        ));
    }
    if !t.unmodelled.is_empty() {
        skipped.push(format!(
            "requests for resources not modelled: {}",
            t.unmodelled.join(", ")
        ));
    }
    if t.after_end > 0 {
        skipped.push(format!("{} request(s) after the run's end", t.after_end));
    }
    if t.reordered > 0 {
        skipped.push(format!(
            "(not skipped) {} record(s) earlier than the one before, replayed at its time",
            t.reordered
        ));
    }
    if skipped.is_empty() {
        "none".to_owned()
    } else {
        skipped.join("; ")
    }
}
