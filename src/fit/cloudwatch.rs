//! Production's cache hits and misses as CloudWatch counted them: the JSON
//! `aws cloudwatch get-metric-data` prints (`MetricDataResults[].{Id, Label, Values}`)
//! or `aws cloudwatch get-metric-statistics` prints (`Label`, `Datapoints[].Sum`), for
//! the `CacheHitCount` and `CacheMissCount` metrics of namespace `AWS/ApiGateway`. A
//! series is told by its label, else its id (`cachehitcount`, `cache_hits`...). The
//! values are summed: query them with the `Sum` statistic.

use std::path::Path;

/// Cache hits and misses counted by CloudWatch.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct CacheCounts {
    /// `CacheHitCount`, summed.
    pub cache_hits: f64,
    /// `CacheMissCount`, summed.
    pub cache_misses: f64,
}

impl CacheCounts {
    /// Hits over hits and misses, when there were any.
    pub fn hit_rate(&self) -> Option<f64> {
        let n = self.cache_hits + self.cache_misses;
        (n > 0.0).then(|| self.cache_hits / n)
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Which {
    Hits,
    Misses,
}

fn which(name: &str) -> Option<Which> {
    let n: String = name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase();
    if n.contains("cachehit") {
        Some(Which::Hits)
    } else if n.contains("cachemiss") {
        Some(Which::Misses)
    } else {
        None
    }
}

/// The hits and misses in the CloudWatch output at `path`.
pub fn read_cloudwatch(path: &Path) -> Result<CacheCounts, String> {
    let shown = path.display();
    let bytes = std::fs::read(path).map_err(|e| format!("{shown}: cannot read: {e}"))?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
        let why = e.to_string();
        let why = why.rfind(" at line ").map_or(why.as_str(), |i| &why[..i]);
        format!(
            "{shown}:{}:{}: not JSON: {}",
            e.line(),
            e.column(),
            why.to_lowercase()
        )
    })?;
    let mut counts = CacheCounts::default();
    let mut found = (false, false);
    let mut add = |w: Which, values: &mut dyn Iterator<Item = f64>| {
        let sum: f64 = values.sum();
        match w {
            Which::Hits => {
                counts.cache_hits += sum;
                found.0 = true;
            }
            Which::Misses => {
                counts.cache_misses += sum;
                found.1 = true;
            }
        }
    };
    let number = |x: &serde_json::Value| x.as_f64().filter(|x| x.is_finite() && *x >= 0.0);
    if let Some(results) = v.get("MetricDataResults").and_then(|r| r.as_array()) {
        for (i, r) in results.iter().enumerate() {
            let name = ["Label", "Id"]
                .iter()
                .filter_map(|k| r.get(*k).and_then(|x| x.as_str()))
                .find_map(which);
            let Some(w) = name else { continue };
            let values = r.get("Values").and_then(|x| x.as_array()).ok_or_else(|| {
                format!("{shown}: MetricDataResults[{i}].Values: expected an array of numbers")
            })?;
            add(w, &mut values.iter().filter_map(number));
        }
    } else if let Some(points) = v.get("Datapoints").and_then(|d| d.as_array()) {
        let label = v.get("Label").and_then(|l| l.as_str()).unwrap_or("");
        let w = which(label).ok_or_else(|| {
            format!("{shown}: Label: expected CacheHitCount or CacheMissCount, got \"{label}\"")
        })?;
        let sums: Vec<f64> = points
            .iter()
            .enumerate()
            .map(|(i, p)| {
                p.get("Sum").and_then(number).ok_or_else(|| {
                    format!(
                        "{shown}: Datapoints[{i}].Sum: expected a number (query the Sum statistic)"
                    )
                })
            })
            .collect::<Result<_, _>>()?;
        add(w, &mut sums.into_iter());
    } else {
        return Err(format!(
            "{shown}: expected the output of `aws cloudwatch get-metric-data` (MetricDataResults) or `get-metric-statistics` (Label, Datapoints)"
        ));
    }
    if !found.0 && !found.1 {
        return Err(format!(
            "{shown}: no CacheHitCount or CacheMissCount series (a series is told by its Label or Id)"
        ));
    }
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<CacheCounts, String> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("cw.json");
        std::fs::write(&p, text).unwrap();
        read_cloudwatch(&p)
    }

    #[test]
    fn both_cli_outputs_are_read() {
        let data = r#"{"MetricDataResults": [
            {"Id": "hits", "Label": "CacheHitCount", "Timestamps": ["2026-11-24T06:00:00Z", "2026-11-24T06:01:00Z"], "Values": [90.0, 60.0], "StatusCode": "Complete"},
            {"Id": "cache_misses", "Label": "", "Timestamps": ["2026-11-24T06:00:00Z"], "Values": [50.0], "StatusCode": "Complete"},
            {"Id": "count", "Label": "Count", "Values": [200.0]}
        ], "Messages": []}"#;
        let c = read(data).unwrap();
        assert_eq!((c.cache_hits, c.cache_misses), (150.0, 50.0));
        assert_eq!(c.hit_rate(), Some(0.75));
        let stats = r#"{"Label": "CacheMissCount", "Datapoints": [{"Timestamp": "2026-11-24T06:00:00Z", "Sum": 7.0, "Unit": "Count"}, {"Timestamp": "2026-11-24T06:05:00Z", "Sum": 3.0, "Unit": "Count"}]}"#;
        assert_eq!(read(stats).unwrap().cache_misses, 10.0);
        for (bad, expected) in [
            ("{", "not JSON"),
            ("{}", "expected the output of"),
            (
                r#"{"MetricDataResults": [{"Id": "count", "Values": [1]}]}"#,
                "no CacheHitCount",
            ),
            (
                r#"{"Label": "CacheHitCount", "Datapoints": [{"Average": 0.5}]}"#,
                "Datapoints[0].Sum: expected a number",
            ),
        ] {
            let e = read(bad).unwrap_err();
            assert!(e.contains(expected), "{bad}: {e}");
        }
    }
}
