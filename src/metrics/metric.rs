//! The metric vocabulary: each metric's name (its `summary.csv` column), label, unit,
//! which way is better, and how it is read from a [`SummaryRow`], in one table. Adding
//! a metric is one line here plus its computation (`report::summary_row`); the CSV
//! columns, checks, ranking, tables and charts follow from it.

use serde::{Serialize, Serializer};

/// Which way a metric is better, when one is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// More is better (a hit rate).
    Higher,
    /// Less is better (backend load, staleness, cost).
    Lower,
    /// Neither is better in itself (the number of requests).
    Neither,
}

/// A value of a `summary.csv` column as the number checks and statistics use.
trait AsF64 {
    fn as_f64(&self) -> f64;
}

impl AsF64 for u64 {
    fn as_f64(&self) -> f64 {
        *self as f64
    }
}

impl AsF64 for f64 {
    fn as_f64(&self) -> f64 {
        *self
    }
}

/// Declares [`Metric`] and [`SummaryRow`] from one table: per metric, its variant, its
/// column (name) and type, its label, its unit (empty when it has none) and direction.
macro_rules! vocabulary {
    ($($variant:ident $column:ident: $ty:ty, $label:literal, $unit:literal, $direction:ident;)*) => {
        /// A numeric `summary.csv` column: what checks, the verdict's order,
        /// `aggregate.csv`, `compare` and the report's tables and charts speak of.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[allow(missing_docs)]
        pub enum Metric {
            $($variant,)*
        }

        impl Metric {
            /// Every metric, in `summary.csv`'s column order.
            pub const ALL: &[Metric] = &[$(Metric::$variant,)*];

            /// Its `summary.csv` column, as checks and `rank_by` write it.
            pub fn name(self) -> &'static str {
                match self {
                    $(Metric::$variant => stringify!($column),)*
                }
            }

            /// What it is, for people, without its unit.
            pub fn label(self) -> &'static str {
                match self {
                    $(Metric::$variant => $label,)*
                }
            }

            /// Its unit, empty for counts and fractions.
            pub fn unit(self) -> &'static str {
                match self {
                    $(Metric::$variant => $unit,)*
                }
            }

            /// Which way is better.
            pub fn direction(self) -> Direction {
                match self {
                    $(Metric::$variant => Direction::$direction,)*
                }
            }
        }

        /// One row of `summary.csv`: a configuration × replication. Column names are a
        /// contract (see the README); units are in the names.
        // NOTE: each column is defined in the README's "Report files" section.
        #[allow(missing_docs)]
        #[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
        pub struct SummaryRow {
            pub variant: String,
            pub replication: u32,
            pub seed: u64,
            $(pub $column: $ty,)*
        }

        impl SummaryRow {
            /// The value of `metric` in this row.
            pub fn get(&self, metric: Metric) -> f64 {
                match metric {
                    $(Metric::$variant => self.$column.as_f64(),)*
                }
            }
        }
    };
}

vocabulary! {
    Requests requests: u64, "requests", "", Neither;
    CacheHits cache_hits: u64, "cache hits", "", Higher;
    CacheMisses cache_misses: u64, "cache misses", "", Lower;
    HitRate hit_rate: f64, "hit rate", "", Higher;
    BackendRequests backend_requests: u64, "backend requests", "", Lower;
    BackendRpsMean backend_rps_mean: f64, "backend load, mean", "requests/s", Lower;
    BackendRpsPeak backend_rps_peak: u64, "backend load, busiest second", "requests/s", Lower;
    BackendInflightPeak backend_inflight_peak: u64, "backend requests in flight, peak", "", Lower;
    BackendWaitP99 backend_wait_p99_ms: f64, "wait for a backend slot, p99", "ms", Lower;
    InvalidationsHonored invalidations_honored: u64, "invalidations honoured", "", Neither;
    InvalidationsRejected invalidations_rejected: u64, "invalidations rejected (403s)", "", Lower;
    InvalidationsIgnored invalidations_ignored: u64, "max-age=0 ignored", "", Lower;
    WarningHeaders warning_headers: u64, "responses with a Warning header", "", Lower;
    StaleResponses stale_responses: u64, "stale responses", "", Lower;
    StaleFraction stale_fraction: f64, "stale fraction of responses", "", Lower;
    StalenessP50 staleness_p50_ms: f64, "staleness p50", "ms", Lower;
    StalenessP99 staleness_p99_ms: f64, "staleness p99", "ms", Lower;
    StalenessMax staleness_max_ms: f64, "staleness max", "ms", Lower;
    LatencyP50 latency_p50_ms: f64, "latency p50", "ms", Lower;
    LatencyP99 latency_p99_ms: f64, "latency p99", "ms", Lower;
    LatencyP999 latency_p999_ms: f64, "latency p99.9", "ms", Lower;
    Evictions evictions: u64, "evictions", "", Lower;
    Expirations expirations: u64, "expirations", "", Lower;
    WrongKeyResponses wrong_key_responses: u64, "wrong-key responses", "", Lower;
    Throttled429 throttled_429: u64, "throttled (429s)", "", Lower;
    Errors5xx errors_5xx: u64, "5xx responses", "", Lower;
    Timeouts504 timeouts_504: u64, "integration timeouts (504s)", "", Lower;
    ErrorHits error_hits: u64, "cached errors served", "", Lower;
    Availability availability: f64, "availability (2xx share)", "", Higher;
    CostPerHour cost_per_hour_usd: f64, "cost", "USD/hour", Lower;
}

impl Metric {
    /// The metrics every report's table and comparison charts show (then any a check
    /// or the verdict's order names).
    pub const KEY: &[Metric] = &[
        Metric::HitRate,
        Metric::BackendRpsMean,
        Metric::BackendRpsPeak,
        Metric::BackendInflightPeak,
        Metric::StaleFraction,
        Metric::StalenessP99,
        Metric::LatencyP99,
        Metric::InvalidationsRejected,
        Metric::InvalidationsIgnored,
        Metric::WrongKeyResponses,
        Metric::Availability,
        Metric::Errors5xx,
        Metric::CostPerHour,
    ];

    /// The metric whose column is `name`.
    pub fn from_name(name: &str) -> Option<Metric> {
        Metric::ALL.iter().copied().find(|m| m.name() == name)
    }

    /// Its label with its unit, e.g. `backend load, mean (requests/s)`, for titles and
    /// axes.
    pub fn title(self) -> String {
        match self.unit() {
            "" => self.label().to_owned(),
            unit => format!("{} ({unit})", self.label()),
        }
    }
}

impl std::fmt::Display for Metric {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A metric is written as its column name (`aggregate.csv`'s `metric` column).
impl Serialize for Metric {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_distinct_and_read_back() {
        for (i, m) in Metric::ALL.iter().enumerate() {
            assert_eq!(Metric::from_name(m.name()), Some(*m));
            assert!(Metric::ALL[..i].iter().all(|o| o.name() != m.name()));
        }
        assert_eq!(Metric::from_name("hitrate"), None);
    }

    #[test]
    fn summary_columns_are_the_metrics_in_order() {
        let header = {
            let row = SummaryRow {
                variant: "v".into(),
                replication: 0,
                seed: 1,
                requests: 2,
                cache_hits: 3,
                cache_misses: 4,
                hit_rate: 0.5,
                backend_requests: 5,
                backend_rps_mean: 6.5,
                backend_rps_peak: 7,
                backend_inflight_peak: 8,
                backend_wait_p99_ms: 8.5,
                invalidations_honored: 9,
                invalidations_rejected: 10,
                invalidations_ignored: 11,
                warning_headers: 12,
                stale_responses: 13,
                stale_fraction: 0.25,
                staleness_p50_ms: 14.0,
                staleness_p99_ms: 15.0,
                staleness_max_ms: 16.0,
                latency_p50_ms: 17.0,
                latency_p99_ms: 18.0,
                latency_p999_ms: 19.0,
                evictions: 20,
                expirations: 21,
                wrong_key_responses: 22,
                throttled_429: 24,
                errors_5xx: 25,
                timeouts_504: 26,
                error_hits: 27,
                availability: 0.75,
                cost_per_hour_usd: 23.5,
            };
            let mut w = csv::Writer::from_writer(Vec::new());
            w.serialize(&row).unwrap();
            let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
            let mut lines = text.lines();
            let header: Vec<String> = lines.next().unwrap().split(',').map(String::from).collect();
            let values: Vec<f64> = lines
                .next()
                .unwrap()
                .split(',')
                .skip(3)
                .map(|v| v.parse().unwrap())
                .collect();
            for (m, v) in Metric::ALL.iter().zip(&values) {
                assert_eq!(row.get(*m), *v, "{m}");
            }
            header
        };
        let names: Vec<&str> = Metric::ALL.iter().map(|m| m.name()).collect();
        assert_eq!(header[..3], ["variant", "replication", "seed"]);
        assert_eq!(header[3..], names[..]);
    }

    #[test]
    fn titles_carry_units() {
        assert_eq!(
            Metric::BackendRpsMean.title(),
            "backend load, mean (requests/s)"
        );
        assert_eq!(Metric::HitRate.title(), "hit rate");
        assert_eq!(Metric::CostPerHour.title(), "cost (USD/hour)");
        assert_eq!(Metric::HitRate.direction(), Direction::Higher);
        assert_eq!(Metric::Requests.direction(), Direction::Neither);
    }
}
