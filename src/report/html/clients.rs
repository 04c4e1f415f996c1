//! The report's breakdown by client: who bears the 403s, the 429s and the 5xx in each
//! configuration (means over replications of `clients.csv`'s rows).

use maud::{Markup, html};

use super::{HtmlReport, num};
use crate::report::ClientRow;

/// One client in one configuration, averaged over its replications.
struct Mean<'a> {
    configuration: &'a str,
    client: &'a str,
    principal: &'a str,
    n: f64,
    requests: f64,
    forbidden: f64,
    throttled: f64,
    errors: f64,
    availability: f64,
}

/// The rows averaged per (configuration, client), in the order they first appear.
fn means(rows: &[ClientRow]) -> Vec<Mean<'_>> {
    let mut out: Vec<Mean<'_>> = Vec::new();
    for r in rows {
        let i = match out
            .iter()
            .position(|m| m.configuration == r.variant && m.client == r.client)
        {
            Some(i) => i,
            None => {
                out.push(Mean {
                    configuration: &r.variant,
                    client: &r.client,
                    principal: &r.principal,
                    n: 0.0,
                    requests: 0.0,
                    forbidden: 0.0,
                    throttled: 0.0,
                    errors: 0.0,
                    availability: 0.0,
                });
                out.len() - 1
            }
        };
        let m = &mut out[i];
        m.n += 1.0;
        m.requests += r.requests as f64;
        m.forbidden += r.forbidden_403 as f64;
        m.throttled += r.throttled_429 as f64;
        m.errors += r.errors_5xx as f64;
        m.availability += r.availability;
    }
    for m in &mut out {
        for v in [
            &mut m.requests,
            &mut m.forbidden,
            &mut m.throttled,
            &mut m.errors,
            &mut m.availability,
        ] {
            *v /= m.n;
        }
    }
    out
}

/// The table, when the run had more than one source of requests (with one, the key
/// metrics already say it all).
pub(super) fn clients_table(r: &HtmlReport<'_>) -> Markup {
    let means = means(r.clients);
    let several = means
        .first()
        .is_some_and(|first| means.iter().any(|m| m.client != first.client));
    html! {
        @if several {
            h2 { "By client" } "\n"
            p {
                "What each client got (means over replications; " code { "clients.csv" }
                " has every run): who is refused by the strategy (403), throttled (429) or \
                 failed by the backend (5xx), and the share of its answered requests that \
                 succeeded."
            }
            "\n"
            div class="scroll" {
                table {
                    "\n"
                    tr {
                        th { "client (principal)" } th { "requests" } th { "403 / 429" }
                        th { "5xx" } th { "availability" }
                    }
                    "\n"
                    @for (i, m) in means.iter().enumerate() {
                        @if i == 0 || means[i - 1].configuration != m.configuration {
                            tr { th colspan="5" { (m.configuration) } }
                            "\n"
                        }
                        tr {
                            td {
                                (m.client)
                                @if !m.principal.is_empty() { " (" (m.principal) ")" }
                            }
                            td class="n" { (num(m.requests)) }
                            td class="n" { (num(m.forbidden)) " / " (num(m.throttled)) }
                            td class="n" { (num(m.errors)) }
                            td class="n" { (num(m.availability)) }
                        }
                        "\n"
                    }
                }
            }
            "\n"
        }
    }
}
