//! What `cachegate fit` prints (text; JSON is the [`Fit`] serialized) and the data
//! files it writes: a rate profile per principal (`profiles/`) and, for a resource no
//! Zipf law fits, its empirical popularity (`popularity/`), in the CSV shapes a
//! scenario's `rate = { profile = ... }` and `popularity = { empirical = ... }` read.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::{DistSummary, Fit, Profile, Traffic, slug};

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn pct(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

fn traffic_line(t: &Traffic) -> String {
    format!(
        "{} requests, {:.3}/s mean, busiest second {} ({})",
        thousands(t.requests),
        t.mean_rate,
        t.busiest_second,
        t.busiest_at
    )
}

fn dist_line(d: &DistSummary, unit: &str, decimals: usize) -> String {
    let v = |x: f64| format!("{x:.decimals$}{unit}");
    format!(
        "lognormal median {}, sigma {:.3}; observed p50 {}, p90 {}, p99 {} (fitted p99 {}), p99.9 {}{}",
        v(d.median),
        d.sigma,
        v(d.p50),
        v(d.p90),
        v(d.p99),
        v(d.fitted_p99),
        v(d.p999),
        if d.zeros > 0 {
            format!("; {} zero", thousands(d.zeros))
        } else {
            String::new()
        }
    )
}

fn profile_line(p: &Profile) -> String {
    let rates: Vec<String> = p.steps.iter().map(|(_, r)| format!("{r:.3}")).collect();
    let shown = if rates.len() > 24 {
        format!(
            "{} ... {} ({} steps; min {:.3}, max {:.3})",
            rates[..6].join(" "),
            rates[rates.len() - 3..].join(" "),
            rates.len(),
            p.steps.iter().map(|s| s.1).fold(f64::INFINITY, f64::min),
            p.steps.iter().map(|s| s.1).fold(0.0, f64::max)
        )
    } else {
        rates.join(" ")
    };
    format!(
        "{} per {} s step{}: {shown}",
        if p.daily { "average day" } else { "rate" },
        p.window_s,
        if p.daily {
            " from 00:00 UTC".to_owned()
        } else {
            format!(
                " from {}",
                super::rfc3339(
                    p.origin_us.saturating_add(
                        p.steps.first().map_or(0, |s| s.0).saturating_mul(1_000_000)
                    )
                )
            )
        }
    )
}

/// The fit as text.
pub fn text(fit: &Fit) -> String {
    let mut o = String::new();
    for l in &fit.logs {
        let _ = writeln!(
            o,
            "log {}: {} records, {} bad{}",
            l.file,
            thousands(l.records),
            thousands(l.bad),
            l.first_bad
                .first()
                .map_or_else(String::new, |b| format!(" (first: {b})"))
        );
    }
    let t = &fit.overall;
    let _ = writeln!(
        o,
        "span {} to {} ({:.0} s)\nall requests: {}",
        t.first,
        t.last,
        t.span_s,
        traffic_line(t)
    );
    let _ = writeln!(o, "  {}", profile_line(&t.profile));
    if let Some(d) = &t.daily {
        let _ = writeln!(o, "  {}", profile_line(d));
    }
    match fit.cache.hit_rate() {
        Some(h) => {
            let _ = writeln!(
                o,
                "production cache (access logs): hit rate {h:.4} ({} responses without an integration call, {} with one)",
                thousands(fit.cache.from_cache),
                thousands(fit.cache.from_backend)
            );
        }
        None => {
            let _ = writeln!(
                o,
                "production cache (access logs): not shown (the logs have no integration-latency field)"
            );
        }
    }
    if let Some(cw) = &fit.cloudwatch {
        let _ = writeln!(
            o,
            "production cache (CloudWatch): hit rate {} ({:.0} CacheHitCount, {:.0} CacheMissCount)",
            cw.hit_rate()
                .map_or_else(|| "-".to_owned(), |h| format!("{h:.4}")),
            cw.cache_hits,
            cw.cache_misses
        );
    }
    for r in &fit.resources {
        let _ = writeln!(o, "\nresource {}: {} of requests", r.label, pct(r.share));
        let _ = writeln!(o, "  {}", traffic_line(&r.traffic));
        let k = &r.keys;
        let counted = if k.exact {
            "exact".to_owned()
        } else {
            format!(
                "estimated; counts within {} of the truth",
                thousands(k.error)
            )
        };
        let _ = writeln!(o, "  keys: {} distinct ({counted})", thousands(k.distinct));
        if let Some(u) = k.universe {
            let _ = writeln!(
                o,
                "  key universe: the Zipf law below must range over {} keys for {} requests to show {} distinct",
                thousands(u),
                thousands(r.traffic.requests),
                thousands(k.distinct)
            );
        }
        match &k.zipf {
            Some(z) => {
                let _ = writeln!(
                    o,
                    "  popularity: Zipf s = {:.3} over ranks 1-{} ({} of requests), KS distance {:.4}: {}",
                    z.exponent,
                    thousands(z.ranks),
                    pct(z.share),
                    z.ks,
                    if z.fits {
                        "fits".to_owned()
                    } else {
                        format!(
                            "no Zipf law fits (KS above {}): use its empirical popularity",
                            super::MAX_KS
                        )
                    }
                );
            }
            None => {
                let _ = writeln!(o, "  popularity: too few repeated keys to fit a Zipf law");
            }
        }
        let top: Vec<String> = k
            .top
            .iter()
            .take(5)
            .map(|(key, n)| format!("{key} x{n}"))
            .collect();
        if !top.is_empty() {
            let _ = writeln!(o, "  most requested: {}", top.join(", "));
        }
        if let Some(d) = &r.response_bytes {
            let _ = writeln!(o, "  response bytes: {}", dist_line(d, " B", 0));
        }
        if let Some(d) = &r.backend_latency_ms {
            let _ = writeln!(o, "  backend latency: {}", dist_line(d, " ms", 1));
        }
        if let Some(h) = r.cache.hit_rate() {
            let _ = writeln!(
                o,
                "  cache: hit rate {h:.4} ({} from the cache, {} from the backend)",
                thousands(r.cache.from_cache),
                thousands(r.cache.from_backend)
            );
        }
        if let Some(m) = r.max_age_zero {
            let _ = writeln!(o, "  max-age=0: {}", pct(m));
        }
    }
    let _ = writeln!(o, "\nprincipals:");
    for p in &fit.principals {
        let mix: Vec<String> = p.mix.iter().map(|(l, s)| format!("{l} {s:.3}")).collect();
        let _ = writeln!(
            o,
            "  {}: {} of requests, {:.3}/s mean, busiest second {}{}; mix {}",
            p.name,
            pct(p.share),
            p.traffic.mean_rate,
            p.traffic.busiest_second,
            p.max_age_zero
                .map_or_else(String::new, |m| format!(", max-age=0 {}", pct(m))),
            mix.join(", ")
        );
    }
    o
}

/// Writes `body` to `path` atomically (a temporary file renamed over it), refusing to
/// replace a file unless `force`.
pub(crate) fn write_new(path: &Path, body: &str, force: bool) -> Result<(), String> {
    if path.exists() && !force {
        return Err(format!(
            "{} exists: not replaced (--force replaces it)",
            path.display()
        ));
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: cannot create: {e}", dir.display()))?;
    crate::report::write_atomic(path, body.as_bytes())
        .map_err(|e| format!("{}: cannot write: {e}", path.display()))
}

/// A profile as the CSV a scenario reads, with where it came from.
pub fn profile_csv(p: &Profile, source: &str) -> String {
    let mut o = format!(
        "# {} of {source}, per {} s, written by cachegate fit.\n# start: seconds from {}; rate: requests a second.\nstart,rate\n",
        if p.daily {
            "The average day"
        } else {
            "The request rate"
        },
        p.window_s,
        if p.daily {
            "00:00 UTC".to_owned()
        } else {
            super::rfc3339(p.origin_us)
        }
    );
    for (start, rate) in &p.steps {
        let _ = writeln!(o, "{start},{rate:.6}");
    }
    o
}

/// Key counts as the CSV a scenario reads.
pub fn popularity_csv(keys: &[(String, u64)], source: &str) -> String {
    let mut o = format!(
        "# Requests per key of {source}, most requested first, written by cachegate fit.\nkey,weight\n"
    );
    for (k, n) in keys {
        // A key with a comma or quote is quoted as CSV quotes it.
        if k.contains([',', '"', '\n']) || k.starts_with('#') {
            let _ = writeln!(o, "\"{}\",{n}", k.replace('"', "\"\""));
        } else {
            let _ = writeln!(o, "{k},{n}");
        }
    }
    o
}

/// Writes each principal's rate profile (the average day when the logs span two days or
/// more) to `dir/profiles/`, and the empirical popularity of each resource no Zipf law
/// fits to `dir/popularity/`; the files written.
pub fn write_files(fit: &Fit, dir: &Path, force: bool) -> Result<Vec<PathBuf>, String> {
    let mut written = Vec::new();
    for p in &fit.principals {
        let profile = p.traffic.daily.as_ref().unwrap_or(&p.traffic.profile);
        let path = dir.join("profiles").join(format!("{}.csv", slug(&p.name)));
        write_new(
            &path,
            &profile_csv(profile, &format!("principal `{}`", p.name)),
            force,
        )?;
        written.push(path);
    }
    for r in &fit.resources {
        if r.keys.zipf.is_some_and(|z| z.fits) {
            continue;
        }
        let path = dir
            .join("popularity")
            .join(format!("{}.csv", slug(&r.label)));
        write_new(
            &path,
            &popularity_csv(&r.keys.all, &format!("`{}`", r.label)),
            force,
        )?;
        written.push(path);
    }
    Ok(written)
}
