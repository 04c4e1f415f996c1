//! Cache cluster sizes as API Gateway offers them (`cacheClusterSize`: "0.5" ... "237"),
//! their capacity in bytes, and their hourly price.
//!
//! Capacity: API Gateway states sizes in GB; cachegate takes 1 GB = 10⁹ bytes, so "0.5" is
//! 500,000,000 bytes. AWS does not say how much of the instance's memory holds responses;
//! set `model.capacity_bytes` to model a different usable share.
//!
//! Prices (USD per hour, us-east-1): only 0.5 GB ($0.020) is corroborated by a public
//! third-party source; the others are recalled list prices, not confirmed against the AWS
//! pricing page (the README's price table says so). Reports print this caveat.

use std::fmt;

/// One of the eight cache cluster sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClusterSize(usize);

/// (API spelling, bytes, USD per hour, price confirmed by a source).
const SIZES: [(&str, u64, f64, bool); 8] = [
    ("0.5", 500_000_000, 0.020, true),
    ("1.6", 1_600_000_000, 0.038, false),
    ("6.1", 6_100_000_000, 0.200, false),
    ("13.5", 13_500_000_000, 0.250, false),
    ("28.4", 28_400_000_000, 0.500, false),
    ("58.2", 58_200_000_000, 1.000, false),
    ("118", 118_000_000_000, 1.900, false),
    ("237", 237_000_000_000, 3.800, false),
];

impl ClusterSize {
    /// Every size, smallest first.
    pub fn all() -> impl Iterator<Item = ClusterSize> {
        (0..SIZES.len()).map(ClusterSize)
    }

    /// Parses the API spelling (`"0.5"`, `"1.6"`, ..., `"237"`).
    pub fn parse(text: &str) -> Option<ClusterSize> {
        SIZES.iter().position(|s| s.0 == text).map(ClusterSize)
    }

    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        SIZES[self.0].0
    }

    /// Capacity in bytes (1 GB = 10⁹ bytes).
    pub fn bytes(self) -> u64 {
        SIZES[self.0].1
    }

    /// Hourly price in USD (us-east-1).
    pub fn price_per_hour_usd(self) -> f64 {
        SIZES[self.0].2
    }

    /// Whether the price is corroborated by a source (only 0.5 GB).
    pub fn price_confirmed(self) -> bool {
        SIZES[self.0].3
    }

    /// The price table as reports print it, with which prices are confirmed.
    pub fn price_table() -> String {
        let row = |c: ClusterSize| format!("{} GB ${:.3}", c.as_str(), c.price_per_hour_usd());
        let confirmed: Vec<String> = ClusterSize::all()
            .filter(|c| c.price_confirmed())
            .map(row)
            .collect();
        let recalled: Vec<String> = ClusterSize::all()
            .filter(|c| !c.price_confirmed())
            .map(row)
            .collect();
        format!(
            "USD/hour, us-east-1: {} (third-party source); {} (recalled list prices, unconfirmed)",
            confirmed.join(", "),
            recalled.join(", ")
        )
    }

    /// The accepted spellings, for error messages.
    pub fn expected() -> String {
        let names: Vec<String> = SIZES.iter().map(|s| format!("\"{}\"", s.0)).collect();
        names.join(", ")
    }
}

impl fmt::Display for ClusterSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} GB", self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_and_convert() {
        let half = ClusterSize::parse("0.5").unwrap();
        assert_eq!(half.bytes(), 500_000_000);
        assert!(half.price_confirmed());
        let table = ClusterSize::price_table();
        assert!(
            table.starts_with(
                "USD/hour, us-east-1: 0.5 GB $0.020 (third-party source); 1.6 GB $0.038"
            ),
            "{table}"
        );
        assert!(
            table.ends_with("237 GB $3.800 (recalled list prices, unconfirmed)"),
            "{table}"
        );
        assert_eq!(ClusterSize::parse("237").unwrap().bytes(), 237_000_000_000);
        assert_eq!(ClusterSize::parse("0.50"), None);
        assert_eq!(ClusterSize::all().count(), 8);
        assert!(
            ClusterSize::all()
                .zip(ClusterSize::all().skip(1))
                .all(|(a, b)| a.bytes() < b.bytes())
        );
    }
}
