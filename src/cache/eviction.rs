//! Eviction order. Every entry carries a rank in its hot data; the victim is the live
//! entry with the lowest rank, and a policy is just its ranking rule:
//!
//! - `lru`: rank = the stamp of the last insert or hit (least recently used goes first);
//! - `fifo`: rank = the stamp of the insert (hits change nothing).
//!
//! A hit therefore costs one store into the hash-table slot it has already loaded, with
//! no list surgery (a doubly linked list's unlink/relink made an LRU hit 4x a bare
//! lookup in the `cache/*` benches; this layout brings it to FIFO's cost).
//! `RankHeap` (`rank_heap.rs`) finds the lowest rank lazily: it keeps one record `(rank, key)` per live
//! entry, with the rank the entry had when the record was made; a record whose entry has
//! since been hit is re-queued with the current rank when it reaches the front. Ranks only
//! grow, so the front record is the exact victim once it is current. New policies (LFU, ...)
//! are new ranking rules in [`EvictionPolicy`].

use serde::Deserialize;

/// The eviction policy named in a scenario (`model.eviction`). AWS does not document
/// its algorithm, so this is an explicit assumption. Defaults to: `lru`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EvictionPolicy {
    /// Least recently used: a hit makes the entry the last to go.
    #[default]
    Lru,
    /// First in, first out: hits do not change the order.
    Fifo,
}

impl EvictionPolicy {
    /// The scenario spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            EvictionPolicy::Lru => "lru",
            EvictionPolicy::Fifo => "fifo",
        }
    }

    /// The rank of an entry hit at `stamp` whose rank was `rank`. Must never decrease.
    #[inline]
    pub fn rank_on_hit(self, rank: u64, stamp: u64) -> u64 {
        match self {
            EvictionPolicy::Lru => stamp,
            EvictionPolicy::Fifo => rank,
        }
    }
}
