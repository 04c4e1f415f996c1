//! How a stage cache is set up: its capacity and what it counts, when TTLs start, what is
//! evicted, and the largest response it stores.

use serde::Deserialize;

use super::EvictionPolicy;

/// API Gateway's largest cacheable response.
pub const MAX_RESPONSE_BYTES: u64 = 1_048_576;

/// When an entry's TTL starts (`model.ttl_mode`). AWS does not document it; its wording
/// suggests expiry from the time of caching. Defaults to: `fixed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TtlMode {
    /// Valid until `inserted + TTL`.
    #[default]
    Fixed,
    /// Each hit extends validity to `now + TTL`.
    Sliding,
    /// Entries never expire (the TTL only decides whether a method is cached). API
    /// Gateway has no such mode; it is for replaying traces against cache-simulator
    /// results, which usually have no TTL.
    Never,
}

impl TtlMode {
    /// The scenario spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            TtlMode::Fixed => "fixed",
            TtlMode::Sliding => "sliding",
            TtlMode::Never => "never",
        }
    }
}

/// How a stage cache is set up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheConfig {
    /// What the entries may take.
    pub capacity: Capacity,
    /// Bytes added to each response's size when stored. Defaults to: 0.
    pub entry_overhead_bytes: u64,
    /// When TTLs start. Defaults to: fixed.
    pub ttl_mode: TtlMode,
    /// What is evicted to make room. Defaults to: lru.
    pub eviction: EvictionPolicy,
}

/// A cache's capacity, and what it counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capacity {
    /// Bytes: each entry takes its response size plus the per-entry overhead.
    Bytes(u64),
    /// Entries: each entry takes 1, whatever its size (object-count capacity, as cache
    /// simulators count it; `model.capacity_entries`).
    Entries(u64),
}

impl Capacity {
    /// How much the entries may take, in the capacity's own unit.
    #[inline(always)]
    pub fn limit(self) -> u64 {
        match self {
            Capacity::Bytes(n) | Capacity::Entries(n) => n,
        }
    }
}
