//! What goes into and comes out of a stage cache: an entry to store and what its caller
//! knows of the key, the outcome of a lookup or an insert, a stored entry as seen, and
//! why entries left.

use super::CacheKey;
use crate::time::{SimDuration, SimTime};

/// Why an entry left the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemovalCause {
    /// Found past its expiry (on lookup, or when chosen to make room).
    Expired,
    /// Evicted while still valid, to make room.
    Evicted,
    /// Overwritten by a newer response for the same key (e.g. an honoured `max-age=0`).
    Replaced,
    /// Removed on purpose by [`StageCache::invalidate`](super::StageCache::invalidate).
    Invalidated,
    /// Dropped by a whole-stage flush (`FlushStageCache`).
    Flushed,
    /// Dropped because the capacity changed (AWS recreates the cache instance).
    Resized,
}

/// Entries removed, by cause.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RemovalCounts {
    /// See [`RemovalCause::Expired`].
    pub expired: u64,
    /// See [`RemovalCause::Evicted`].
    pub evicted: u64,
    /// See [`RemovalCause::Replaced`].
    pub replaced: u64,
    /// See [`RemovalCause::Invalidated`].
    pub invalidated: u64,
    /// See [`RemovalCause::Flushed`].
    pub flushed: u64,
    /// See [`RemovalCause::Resized`].
    pub resized: u64,
}

impl RemovalCounts {
    pub(super) fn count(&mut self, cause: RemovalCause, n: u64) {
        let c = match cause {
            RemovalCause::Expired => &mut self.expired,
            RemovalCause::Evicted => &mut self.evicted,
            RemovalCause::Replaced => &mut self.replaced,
            RemovalCause::Invalidated => &mut self.invalidated,
            RemovalCause::Flushed => &mut self.flushed,
            RemovalCause::Resized => &mut self.resized,
        };
        *c += n;
    }
}

/// The result of a lookup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup<V> {
    /// A valid entry; its payload.
    Hit(V),
    /// No entry.
    Miss,
    /// An entry had expired; it has been removed. A miss for the caller.
    Expired,
}

/// Why a response was not stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    /// The TTL is 0: caching is off.
    TtlZero,
    /// The response is larger than [`MAX_RESPONSE_BYTES`](super::MAX_RESPONSE_BYTES).
    OverMaxResponse,
    /// The entry alone is larger than the whole capacity.
    OverCapacity,
    /// The cache is being created or resized: nothing is stored.
    Provisioning,
}

/// The result of an insert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Insert {
    /// Stored (possibly replacing an entry or evicting others).
    Stored,
    /// Not stored.
    Rejected(Rejection),
}

/// A stored entry, as [`StageCache::peek`](super::StageCache::peek) shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry<V> {
    /// When the response was stored.
    pub inserted_at: SimTime,
    /// The entry is valid strictly before this time.
    pub expires_at: SimTime,
    /// The TTL it was stored with.
    pub ttl: SimDuration,
    /// Bytes charged against capacity (response plus overhead).
    pub bytes: u64,
    /// The simulator's payload.
    pub value: V,
}

/// A response to store: its key, size, TTL and payload, with a tag kept beside it
/// (read back by [`StageCache::get_tagged`](super::StageCache::get_tagged); the gateway keeps the response's identity
/// there).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewEntry<V> {
    /// The key it is stored under.
    pub key: CacheKey,
    /// The response's size in bytes (before per-entry overhead).
    pub bytes: u64,
    /// How long it stays fresh.
    pub ttl: SimDuration,
    /// The payload.
    pub value: V,
    /// Kept beside the entry, read only with [`StageCache::get_tagged`](super::StageCache::get_tagged).
    pub tag: u64,
}

impl<V> NewEntry<V> {
    /// An entry of `bytes` for `key`, fresh for `ttl`, holding `value`, untagged.
    pub fn new(key: CacheKey, bytes: u64, ttl: SimDuration, value: V) -> NewEntry<V> {
        NewEntry {
            key,
            bytes,
            ttl,
            value,
            tag: 0,
        }
    }
}

/// What the caller of an insert knows of the key's current entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// It may have one: looked for, and replaced.
    Unknown,
    /// It has none: a lookup has just missed it and the cache has not changed since (a
    /// backend that answers at once).
    Absent,
}
