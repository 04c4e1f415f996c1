//! `report.html`: one self-contained page (no scripts, no network; the plots are inline
//! SVG) that says what was compared, the verdict, the key metrics with their differences
//! from the baseline and whether each is significant, the checks, the plots and the
//! assumptions in force. Written from the same rows as the CSVs, byte for byte the same
//! for the same run (no wall-clock times in it).

use std::fmt::Write as _;

use super::{AggregateRow, Chart, Manifest, Outcome, Verdict, mean_of};
use crate::metrics::{Direction, Metric, Rank};

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
}

/// HTML-escapes text.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
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
    let names = &m.configurations;
    let mut h = String::new();
    // Writing to a String cannot fail.
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>cachegate report: {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{}</h1>\n",
        esc(&m.scenario),
        esc(&m.scenario)
    );
    if !r.description.is_empty() {
        let _ = writeln!(h, "<p>{}</p>", esc(r.description));
    }
    let _ = writeln!(
        h,
        "<p class=\"muted\">{} configuration(s) &times; {} replication(s) of {} s simulated after {} s of warm-up, measured in {} s windows; seed {}; scenario <code>{}</code> (sha256 {}); cachegate {}.</p>",
        names.len(),
        m.replications,
        num(m.duration_s),
        num(m.warmup_s),
        num(m.window_s),
        m.seed,
        esc(&m.scenario_path),
        esc(&m.scenario_sha256[..m.scenario_sha256.len().min(12)]),
        esc(&m.cachegate_version)
    );
    verdict(&mut h, r);
    compared(&mut h, r);
    metrics_table(&mut h, r);
    checks_table(&mut h, r);
    plots(&mut h, r);
    traces(&mut h, r);
    assumptions(&mut h, r);
    h.push_str("</body>\n</html>\n");
    h
}

fn verdict(h: &mut String, r: &HtmlReport<'_>) {
    let names = &r.manifest.configurations;
    let order: Vec<String> = r
        .rank_by
        .iter()
        .map(|k| format!("<code>{k}</code>"))
        .collect();
    h.push_str("<h2>Verdict</h2>\n<div class=\"verdict\">\n");
    if r.checks.is_empty() {
        let _ = writeln!(
            h,
            "<p>The scenario sets no checks, so every configuration is ranked.</p>"
        );
    } else {
        let _ = writeln!(
            h,
            "<p>{} of {} configuration(s) pass every check.</p>",
            r.ranking.len(),
            names.len()
        );
    }
    if r.ranking.is_empty() {
        h.push_str("<p><strong>No configuration passes every check.</strong></p>\n");
    } else {
        let _ = writeln!(
            h,
            "<p>Best first, ordered by {}; configurations equal on every one of them tie and share a place:</p>\n<ol>",
            order.join(", then ")
        );
        let key_values = |i: usize| -> Vec<u64> {
            r.rank_by
                .iter()
                .map(|k| mean_of(r.aggregate, &names[i], k.metric).to_bits())
                .collect()
        };
        let mut place = 0;
        for (n, &i) in r.ranking.iter().enumerate() {
            let tied_with: Vec<&str> = r
                .ranking
                .iter()
                .filter(|&&j| j != i && key_values(j) == key_values(i))
                .map(|&j| names[j].as_str())
                .collect();
            if n == 0 || key_values(r.ranking[n - 1]) != key_values(i) {
                place = n + 1;
            }
            let keys: Vec<String> = r
                .rank_by
                .iter()
                .map(|k| {
                    format!(
                        "{} {}",
                        esc(&k.metric.title()),
                        num(mean_of(r.aggregate, &names[i], k.metric))
                    )
                })
                .collect();
            let base = if names[i] == r.manifest.baseline {
                " (baseline)"
            } else {
                ""
            };
            let tie = if tied_with.is_empty() {
                String::new()
            } else {
                format!(
                    " <em>(tied with {})</em>",
                    tied_with
                        .iter()
                        .map(|t| esc(t))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            let _ = writeln!(
                h,
                "<li value=\"{place}\"><strong>{}</strong>{base}{tie}: {}</li>",
                esc(&names[i]),
                keys.join("; ")
            );
        }
        h.push_str("</ol>\n");
    }
    let failing: Vec<String> = names
        .iter()
        .filter_map(|n| {
            let failed: Vec<String> = r
                .verdicts
                .iter()
                .filter(|v| v.configuration == *n && !v.pass())
                .map(|v| match v.outcome {
                    Outcome::NoData => {
                        format!("<code>{}</code> (no data: nothing measured)", esc(&v.check))
                    }
                    _ => format!("<code>{}</code> (mean {})", esc(&v.check), num(v.mean)),
                })
                .collect();
            (!failed.is_empty())
                .then(|| format!("<strong>{}</strong>: {}", esc(n), failed.join(", ")))
        })
        .collect();
    if !failing.is_empty() {
        let _ = writeln!(h, "<p>Failing:</p>\n<ul>");
        for f in failing {
            let _ = writeln!(h, "<li>{f}</li>");
        }
        h.push_str("</ul>\n");
    }
    h.push_str("</div>\n");
}

fn compared(h: &mut String, r: &HtmlReport<'_>) {
    h.push_str("<h2>What was compared</h2>\n<p>Every configuration ran on the same client requests (common random numbers: the same arrivals, keys and choices in each replication), so differences come from the configuration, not from chance. Replication <em>k</em> of every configuration shares one seed, which pairs them for the differences below.</p>\n<table>\n<tr><th>configuration</th><th>what it sets over the scenario file</th></tr>\n");
    for (i, name) in r.manifest.configurations.iter().enumerate() {
        let changes = r.changes.get(i).map(Vec::as_slice).unwrap_or_default();
        let cell = if changes.is_empty() {
            "<span class=\"muted\">the file as written</span>".to_owned()
        } else {
            changes
                .iter()
                .map(|c| format!("<code>{}</code>", esc(c)))
                .collect::<Vec<_>>()
                .join("<br>")
        };
        let base = if *name == r.manifest.baseline {
            " <span class=\"muted\">(baseline)</span>"
        } else {
            ""
        };
        let _ = writeln!(h, "<tr><td>{}{base}</td><td>{cell}</td></tr>", esc(name));
    }
    h.push_str("</table>\n");
}

fn metrics_table(h: &mut String, r: &HtmlReport<'_>) {
    let several = r.manifest.replications > 1;
    let _ = writeln!(
        h,
        "<h2>Key metrics</h2>\n<p>Each cell: the mean across {} replication(s){}; below it, the difference from the baseline <strong>{}</strong>{}. {}</p>",
        r.manifest.replications,
        if several {
            " &plusmn; the half-width of its 95% confidence interval"
        } else {
            ""
        },
        esc(&r.manifest.baseline),
        if several {
            " with its 95% interval, paired by replication"
        } else {
            ""
        },
        if several {
            "A difference is <em>significant</em> when its interval excludes 0; significant differences are coloured green when better and red when worse, <span class=\"ns\">grey</span> ones are not significant. Every column is defined in the README."
        } else {
            "With one replication there are no intervals, so nothing is marked significant; run with <code>--replications</code> of 2 or more."
        }
    );
    // A few metrics a table, so each fits a laptop's screen without scrolling.
    for group in r.metrics.chunks(METRICS_PER_TABLE) {
        metrics_group(h, r, group);
    }
}

/// Metric columns per key-metrics table.
const METRICS_PER_TABLE: usize = 4;

fn metrics_group(h: &mut String, r: &HtmlReport<'_>, metrics: &[Metric]) {
    let names = &r.manifest.configurations;
    h.push_str("<div class=\"scroll\"><table>\n<tr><th>configuration</th>");
    for metric in metrics {
        let _ = write!(
            h,
            "<th title=\"{}\">{}</th>",
            esc(&metric.title()),
            esc(metric.name())
        );
    }
    h.push_str("</tr>\n");
    for name in names {
        let _ = write!(h, "<tr><td>{}</td>", esc(name));
        for metric in metrics {
            let Some(a) = r
                .aggregate
                .iter()
                .find(|a| a.variant == *name && a.metric == *metric)
            else {
                h.push_str("<td class=\"n\">n/a</td>");
                continue;
            };
            let mut cell = num(a.mean);
            if let (Some(lo), Some(hi)) = (a.ci95_low, a.ci95_high) {
                let _ = write!(cell, " &plusmn; {}", num((hi - lo) / 2.0));
            }
            if *name == r.manifest.baseline {
                cell.push_str("<span class=\"base\">baseline</span>");
            } else {
                let class = match (a.significant, metric.direction()) {
                    (false, _) => "ns",
                    (true, Direction::Neither) => "sig",
                    (true, direction) => {
                        if (a.diff_mean > 0.0) == (direction == Direction::Higher) {
                            "better"
                        } else {
                            "worse"
                        }
                    }
                };
                let interval = match (a.diff_ci95_low, a.diff_ci95_high) {
                    (Some(lo), Some(hi)) => format!(" [{}, {}]", num(lo), num(hi)),
                    _ => String::new(),
                };
                let _ = write!(
                    cell,
                    "<span class=\"diff {class}\">{}{interval}</span>",
                    signed(a.diff_mean)
                );
            }
            let _ = write!(h, "<td class=\"n\">{cell}</td>");
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</table></div>\n");
}

fn checks_table(h: &mut String, r: &HtmlReport<'_>) {
    h.push_str("<h2>Checks</h2>\n");
    if r.checks.is_empty() {
        h.push_str("<p class=\"muted\">The scenario sets no checks (<code>checks = [\"backend_rps_peak &lt;= 300\", ...]</code> at the top of the file). Checks are judged on the mean across replications, and <code>cachegate run</code> exits 1 when one fails.</p>\n");
        return;
    }
    h.push_str("<p>Judged on the mean across replications; <code>cachegate run</code> exits 1 when any fails.</p>\n<div class=\"scroll\"><table>\n<tr><th>configuration</th>");
    for c in r.checks {
        let _ = write!(h, "<th><code>{}</code></th>", esc(c));
    }
    h.push_str("</tr>\n");
    for name in &r.manifest.configurations {
        let _ = write!(h, "<tr><td>{}</td>", esc(name));
        for c in r.checks {
            match r
                .verdicts
                .iter()
                .find(|v| v.configuration == *name && v.check == *c)
            {
                Some(v) => {
                    let (class, word, mean) = match v.outcome {
                        Outcome::Pass => ("pass", "PASS", num(v.mean)),
                        Outcome::Fail => ("fail", "FAIL", num(v.mean)),
                        Outcome::NoData => ("fail", "NO DATA", "nothing measured".to_owned()),
                    };
                    let _ = write!(
                        h,
                        "<td class=\"n\"><span class=\"{class}\">{word}</span> {mean}</td>"
                    );
                }
                None => h.push_str("<td class=\"n\">n/a</td>"),
            }
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</table></div>\n");
}

fn plots(h: &mut String, r: &HtmlReport<'_>) {
    h.push_str("<h2>Plots</h2>\n<p class=\"muted\">Each plot is also in <code>plots/</code> as SVG and PNG. Colours follow the configurations' order in every plot.</p>\n");
    for c in r.charts {
        // plotters' SVG starts with the <svg> element itself (no XML prolog).
        let svg = c
            .svg
            .trim_start_matches("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
        let png = if c.png.is_some() {
            format!("<a href=\"plots/{}.png\">PNG</a>, ", esc(&c.stem))
        } else {
            String::new()
        };
        let _ = writeln!(
            h,
            "<figure id=\"{}\">\n{}\n<figcaption><strong>{}.</strong> {} ({png}<a href=\"plots/{}.svg\">SVG</a>)</figcaption>\n</figure>",
            esc(&c.stem),
            svg.trim(),
            esc(&c.title),
            esc(&c.caption),
            esc(&c.stem)
        );
    }
}

/// The recorded traces replayed, with what reading them found.
fn traces(h: &mut String, r: &HtmlReport<'_>) {
    let traces = &r.manifest.traces;
    if traces.is_empty() {
        return;
    }
    h.push_str("<h2>Traces replayed</h2>\n<p>Requests replayed from recorded traffic with the trace's own times, beside any synthetic clients; every configuration replays the same records.</p>\n<table>\n<tr><th>trace</th><th>file (SHA-256)</th><th>requests</th><th>span</th><th>skipped</th></tr>\n");
    for t in traces {
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
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td><code>{}</code> ({})</td><td>{}</td><td>{} s</td><td>{}</td></tr>",
            esc(&t.name),
            esc(&t.file),
            esc(&t.sha256[..t.sha256.len().min(12)]),
            t.requests,
            num(t.span_s),
            if skipped.is_empty() {
                "none".to_owned()
            } else {
                esc(&skipped.join("; "))
            }
        );
    }
    h.push_str("</table>\n");
}

fn assumptions(h: &mut String, r: &HtmlReport<'_>) {
    let m = r.manifest;
    h.push_str("<h2>Assumptions in force</h2>\n<p>Model choices where AWS leaves the behaviour undocumented or the scenario left a default (see the README's \"Model\" section); a value that differs from the baseline's is in bold, beside the configuration that takes it.</p>\n");
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
    // One row per assumption (three columns whatever the number of configurations):
    // the baseline's value, then the configurations that take another.
    let base = m.assumptions.get(&m.baseline);
    h.push_str("<div class=\"scroll\"><table>\n<tr><th>assumption</th><th>baseline</th><th>other configurations, where they differ</th></tr>\n");
    for k in &keys {
        let value = |name: &String| {
            m.assumptions
                .get(name)
                .and_then(|a| a.get(*k))
                .map_or("", String::as_str)
        };
        let base_value = base.and_then(|b| b.get(*k)).map_or("", String::as_str);
        let differing: Vec<String> = m
            .configurations
            .iter()
            .filter(|n| **n != m.baseline && value(n) != base_value)
            .map(|n| format!("{}: <strong>{}</strong>", esc(n), esc(value(n))))
            .collect();
        let others = if differing.is_empty() {
            "<span class=\"muted\">the same</span>".to_owned()
        } else {
            differing.join("<br>")
        };
        let _ = writeln!(
            h,
            "<tr><td><code>{}</code></td><td>{}</td><td>{others}</td></tr>",
            esc(k),
            esc(base_value)
        );
    }
    h.push_str("</table></div>\n");
    let _ = writeln!(
        h,
        "<p class=\"muted\">Cache prices: {}</p>",
        esc(&m.price_table)
    );
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

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            esc("<a href=\"x\">&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;"
        );
    }
}
