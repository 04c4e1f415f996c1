//! The API Gateway stage cache: entries by [`CacheKey`], each with its insertion time,
//! TTL, size in bytes and a payload the simulator uses to measure staleness; a byte
//! capacity; an eviction order ([`EvictionPolicy`]); lazy expiry; whole-cache flush and resize.
//!
//! Semantics (the README's "The model and its assumptions"): TTL 0 caches nothing; an
//! entry is valid strictly before `inserted + TTL` (`ttl_mode = "fixed"`, the default) or
//! before `last hit + TTL` (`"sliding"`); responses over 1,048,576 bytes are not cached;
//! changing capacity drops every entry. Removal causes are counted separately (moka's
//! `RemovalCause` vocabulary). [`StageCache::validate`] checks every invariant.

mod config;
mod entry;
mod eviction;
mod key;
mod rank_heap;
mod size;
mod table;

#[cfg(test)]
mod tests;

use std::collections::VecDeque;

use crate::time::{SimDuration, SimTime};
pub use config::{CacheConfig, Capacity, MAX_RESPONSE_BYTES, TtlMode};
pub use entry::{
    Entry, Insert, Lookup, NewEntry, Presence, Rejection, RemovalCause, RemovalCounts,
};
pub use eviction::EvictionPolicy;
pub(crate) use key::IdentityBuild;
pub use key::{CacheKey, Fingerprint};
pub(crate) use rank_heap::{Entries, RankHeap};
pub use size::ClusterSize;
use table::Table;

/// What a hit reads, kept in the hash table itself so a hit touches one slot.
#[derive(Debug, Clone, Copy, Default)]
struct Hot<V> {
    slot: u32,
    /// Bytes charged, or `u32::MAX` when they do not fit (then read from the slot's cold
    /// part): eviction then never reads the cold part.
    bytes: u32,
    expires_at: SimTime,
    /// Eviction rank (see [`eviction`]): the lowest goes first.
    rank: u64,
    /// The rank of the entry's record in the eviction order (at most `rank`).
    queued: u64,
    value: V,
}

/// What only inserts, removals and sliding TTLs read, by slot. Half a cache line, aligned
/// to it, so that an insert writes one line (at 40 bytes with the key, half the slots
/// spanned two; the key is the index's, which names the slot).
#[derive(Debug, Clone, Copy)]
#[repr(align(32))]
struct Cold {
    /// An opaque tag the owner stores beside the entry and reads only when it asks
    /// ([`StageCache::get_tagged`]), keeping it out of the hot bucket.
    tag: u64,
    inserted_at: SimTime,
    ttl: SimDuration,
    bytes: u64,
}

/// The cache's entries as its [`RankHeap`] checks them; remembers the last entry checked
/// (the victim's, when one is found).
struct VictimCheck<'a, V> {
    index: &'a mut Table<Hot<V>>,
    /// The last entry checked: its position in the index and its hot part.
    found: Option<(usize, Hot<V>)>,
}

impl<V: Copy + Default> Entries<CacheKey> for VictimCheck<'_, V> {
    #[inline(always)]
    fn check(&mut self, rank: u64, key: CacheKey) -> Option<u64> {
        let pos = self.index.position(key.0)?;
        let hot = self.index.at_mut(pos).filter(|h| h.queued == rank)?;
        hot.queued = hot.rank;
        self.found = Some((pos, *hot));
        Some(hot.rank)
    }

    #[inline(always)]
    fn prefetch(&self, key: CacheKey) {
        self.index.prefetch_removal(key.0);
    }
}

/// A stage cache holding payloads of type `V`.
///
/// ```
/// use cachegate::cache::{
///     CacheConfig, CacheKey, Capacity, EvictionPolicy, Lookup, NewEntry, Presence, StageCache,
///     TtlMode,
/// };
/// use cachegate::time::{SimDuration, SimTime};
///
/// let mut cache: StageCache<&str> = StageCache::new(CacheConfig {
///     capacity: Capacity::Entries(2),
///     entry_overhead_bytes: 0,
///     ttl_mode: TtlMode::Fixed,
///     eviction: EvictionPolicy::Lru,
/// });
/// let ttl = SimDuration::from_secs(60);
/// let at = |s| SimTime::ZERO + SimDuration::from_secs(s);
/// for (key, value) in [(1, "a"), (2, "b")] {
///     cache.insert(at(0), NewEntry::new(CacheKey(key), 100, ttl, value), Presence::Unknown);
/// }
/// assert_eq!(cache.get(at(1), CacheKey(1)), Lookup::Hit("a"));
/// // Full: a third entry evicts the least recently used, key 2.
/// cache.insert(at(2), NewEntry::new(CacheKey(3), 100, ttl, "c"), Presence::Unknown);
/// assert_eq!(cache.get(at(3), CacheKey(2)), Lookup::Miss);
/// // Valid strictly before insertion + TTL.
/// assert_eq!(cache.get(at(60), CacheKey(1)), Lookup::Expired);
/// ```
///
/// Layout: a hash table (`table.rs`) from key to the hot part of an entry (its slot, expiry,
/// eviction rank and payload), and a slab of cold parts by slot; a hit touches only its
/// table slot. A slot is live while an index entry names it; free slots are reused in the
/// order they were freed, and only once another is free behind them, so the slot an insert
/// writes was freed (and prefetched) at least one insert earlier, not waited for.
#[derive(Debug, Clone)]
pub struct StageCache<V> {
    index: Table<Hot<V>>,
    slots: Vec<Cold>,
    free: VecDeque<u32>,
    order: RankHeap<CacheKey>,
    /// Stamps inserts and hits; ranks are taken from it.
    clock: u64,
    config: CacheConfig,
    used_bytes: u64,
    removals: RemovalCounts,
}

impl<V: Copy + Default> StageCache<V> {
    /// An empty cache.
    pub fn new(config: CacheConfig) -> StageCache<V> {
        // An object-count capacity says how many entries may be live: make room for up to
        // 2^17 of them at once rather than growing (and rehashing) through every power of
        // two; past that the cache grows with use, so a large capacity over few keys does
        // not reserve memory it never fills.
        let reserve = match config.capacity {
            Capacity::Entries(n) => n.min(1 << 17) as usize,
            Capacity::Bytes(_) => 0,
        };
        let mut slots = Vec::with_capacity(reserve.saturating_add(1));
        crate::huge_pages::advise(slots.spare_capacity_mut());
        StageCache {
            index: Table::with_capacity(reserve),
            slots,
            free: VecDeque::new(),
            order: RankHeap::default(),
            clock: 0,
            config,
            used_bytes: 0,
            removals: RemovalCounts::default(),
        }
    }

    /// The configuration in force.
    pub fn config(&self) -> &CacheConfig {
        &self.config
    }

    /// Number of entries (including expired ones not yet removed).
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Whether the cache holds no entry.
    pub fn is_empty(&self) -> bool {
        self.index.len() == 0
    }

    /// Bytes charged against capacity.
    pub fn used_bytes(&self) -> u64 {
        self.used_bytes
    }

    /// Removals so far, by cause.
    pub fn removals(&self) -> RemovalCounts {
        self.removals
    }

    /// Looks `key` up at `now`: a hit refreshes the eviction order (and, in sliding mode,
    /// the expiry); an expired entry is removed.
    #[inline(always)]
    pub fn get(&mut self, now: SimTime, key: CacheKey) -> Lookup<V> {
        match self.lookup(now, key) {
            Lookup::Hit((value, _)) => Lookup::Hit(value),
            Lookup::Miss => Lookup::Miss,
            Lookup::Expired => Lookup::Expired,
        }
    }

    /// As [`StageCache::get`], also returning the tag stored with the entry (one more
    /// memory access on a hit).
    #[inline]
    pub fn get_tagged(&mut self, now: SimTime, key: CacheKey) -> Lookup<(V, u64)> {
        match self.lookup(now, key) {
            Lookup::Hit((value, slot)) => {
                let tag = self.slots[slot as usize].tag;
                Lookup::Hit((value, tag))
            }
            Lookup::Miss => Lookup::Miss,
            Lookup::Expired => Lookup::Expired,
        }
    }

    /// The lookup behind `get`: on a hit, the payload and the entry's slot.
    #[inline(always)]
    fn lookup(&mut self, now: SimTime, key: CacheKey) -> Lookup<(V, u32)> {
        let Some(hot) = self.index.get_mut(key.0) else {
            return Lookup::Miss;
        };
        let slot = hot.slot;
        if now >= hot.expires_at {
            self.remove_key(key, RemovalCause::Expired);
            return Lookup::Expired;
        }
        if self.config.ttl_mode == TtlMode::Sliding {
            hot.expires_at = now + self.slots[slot as usize].ttl;
        }
        hot.rank = self.config.eviction.rank_on_hit(hot.rank, self.clock);
        self.clock += 1;
        Lookup::Hit((hot.value, slot))
    }

    /// Whether the cache is large enough for [`StageCache::prefetch`] to pay off.
    #[inline(always)]
    pub fn worth_prefetching(&self) -> bool {
        self.index.worth_prefetching()
    }

    /// Starts loading the memory a lookup of `key` will read first, without waiting for
    /// it (see `table.rs`); changes nothing. Worth it a few lookups ahead.
    #[inline(always)]
    pub fn prefetch(&self, key: CacheKey) {
        self.index.prefetch(key.0);
    }

    /// The entry for `key`, if any, without touching order or expiry.
    pub fn peek(&self, key: CacheKey) -> Option<Entry<V>> {
        let hot = self.index.get(key.0)?;
        let cold = self.slots.get(hot.slot as usize)?;
        Some(Entry {
            inserted_at: cold.inserted_at,
            expires_at: hot.expires_at,
            ttl: cold.ttl,
            bytes: cold.bytes,
            value: hot.value,
        })
    }

    /// Stores `entry` at `now`, evicting in eviction order to make room; an entry of its
    /// key is replaced unless the caller knows there is none ([`Presence::Absent`]: skips
    /// looking for it, the third probe of the same key on a miss answered at once).
    pub fn insert(&mut self, now: SimTime, entry: NewEntry<V>, presence: Presence) -> Insert {
        debug_assert!(
            presence == Presence::Unknown || self.index.get(entry.key.0).is_none(),
            "{:?} has an entry",
            entry.key
        );
        self.insert_as(now, entry, presence)
    }

    /// The insert: admit the response, replace the key's entry unless it has none, store.
    #[inline(always)]
    fn insert_as(&mut self, now: SimTime, entry: NewEntry<V>, presence: Presence) -> Insert {
        let NewEntry {
            key,
            bytes: response_bytes,
            ttl,
            value,
            tag,
        } = entry;
        let bytes = match self.admit(response_bytes, ttl) {
            Ok(bytes) => bytes,
            Err(rejection) => return Insert::Rejected(rejection),
        };
        if presence == Presence::Unknown {
            self.remove_key(key, RemovalCause::Replaced);
        }
        self.store_new(now, key, bytes, ttl, value, tag);
        Insert::Stored
    }

    /// The bytes a response of `response_bytes` stored with `ttl` would be charged, or
    /// why it cannot be stored.
    #[inline]
    fn admit(&self, response_bytes: u64, ttl: SimDuration) -> Result<u64, Rejection> {
        if ttl.is_zero() {
            return Err(Rejection::TtlZero);
        }
        if response_bytes > MAX_RESPONSE_BYTES {
            return Err(Rejection::OverMaxResponse);
        }
        let (bytes, limit) = match self.config.capacity {
            Capacity::Bytes(limit) => (
                response_bytes.saturating_add(self.config.entry_overhead_bytes),
                limit,
            ),
            Capacity::Entries(limit) => (1, limit),
        };
        if bytes > limit {
            return Err(Rejection::OverCapacity);
        }
        Ok(bytes)
    }

    /// Stores an admitted entry charged `bytes` for `key`, which has none, evicting in
    /// eviction order to make room.
    #[inline(always)]
    fn store_new(
        &mut self,
        now: SimTime,
        key: CacheKey,
        bytes: u64,
        ttl: SimDuration,
        value: V,
        tag: u64,
    ) {
        let limit = self.config.capacity.limit();
        while self.used_bytes + bytes > limit {
            let mut entries = VictimCheck {
                index: &mut self.index,
                found: None,
            };
            let Some(victim) = self.order.victim(&mut entries) else {
                break;
            };
            // The last entry checked is the victim's.
            let Some((pos, hot)) = entries.found else {
                break;
            };
            let cause = if now >= hot.expires_at {
                RemovalCause::Expired
            } else {
                RemovalCause::Evicted
            };
            debug_assert_eq!(self.index.position(victim.0), Some(pos));
            self.remove_at(pos, hot, cause);
        }
        let cold = Cold {
            tag,
            inserted_at: now,
            ttl,
            bytes,
        };
        let slot = if self.free.len() >= 2 {
            let slot = self.free.pop_front().unwrap_or_default();
            self.slots[slot as usize] = cold;
            slot
        } else {
            self.slots.push(cold);
            (self.slots.len() - 1) as u32
        };
        let rank = self.clock;
        self.clock += 1;
        self.index.insert(
            key.0,
            Hot {
                slot,
                expires_at: if self.config.ttl_mode == TtlMode::Never {
                    SimTime::MAX
                } else {
                    now + ttl
                },
                rank,
                queued: rank,
                value,
                bytes: u32::try_from(bytes).unwrap_or(u32::MAX),
            },
        );
        self.order.inserted(key, rank);
        if self.order.needs_compaction() {
            let index = &self.index;
            self.order
                .compact(|rank, key| index.get(key.0).is_some_and(|h| h.queued == rank));
        }
        self.used_bytes += bytes;
    }

    /// Removes the entry for `key`; true if there was one.
    pub fn invalidate(&mut self, key: CacheKey) -> bool {
        self.remove_key(key, RemovalCause::Invalidated)
    }

    /// Drops every entry (`FlushStageCache`).
    pub fn flush(&mut self) {
        self.clear(RemovalCause::Flushed);
    }

    /// Changes the capacity, dropping every entry as AWS does when it recreates the
    /// cache instance.
    pub fn set_capacity(&mut self, capacity: Capacity) {
        self.clear(RemovalCause::Resized);
        self.config.capacity = capacity;
    }

    fn clear(&mut self, cause: RemovalCause) {
        self.removals.count(cause, self.index.len() as u64);
        self.index.clear();
        self.slots.clear();
        self.free.clear();
        self.order.clear();
        self.used_bytes = 0;
    }

    /// Removes the entry for `key`, if any; true if there was one.
    fn remove_key(&mut self, key: CacheKey, cause: RemovalCause) -> bool {
        let Some(pos) = self.index.position(key.0) else {
            return false;
        };
        let Some(&mut hot) = self.index.at_mut(pos) else {
            return false;
        };
        self.remove_at(pos, hot, cause);
        true
    }

    /// Removes the entry at index position `pos`, whose hot part is `hot`. Reads the cold
    /// part only for an entry too big for the hot byte count. Inlined, with the table's
    /// own removal, into each evicting insert, where a call cost measurably.
    #[inline(always)]
    fn remove_at(&mut self, pos: usize, hot: Hot<V>, cause: RemovalCause) {
        let bytes = match hot.bytes {
            u32::MAX => self.slots[hot.slot as usize].bytes,
            b => u64::from(b),
        };
        self.index.remove_at(pos);
        self.order.removed();
        self.used_bytes -= bytes;
        // The next insert but one writes this slot: start loading it now.
        if self.index.worth_prefetching() {
            crate::prefetch::read(&self.slots[hot.slot as usize]);
        }
        self.free.push_back(hot.slot);
        self.removals.count(cause, 1);
    }

    /// Checks every invariant: the index and the slots agree, sizes add up within
    /// capacity, the eviction order holds exactly the live slots, the free list exactly
    /// the empty ones.
    pub fn validate(&self) -> Result<(), String> {
        self.index.validate()?;
        let mut live: Vec<u32> = self.index.iter().map(|(_, h)| h.slot).collect();
        live.sort_unstable();
        live.dedup();
        if live.len() != self.index.len() {
            return Err(format!(
                "{} index entries share {} slots",
                self.index.len(),
                live.len()
            ));
        }
        for (key, hot) in self.index.iter() {
            let key = CacheKey(key);
            match self.slots.get(hot.slot as usize) {
                Some(cold) => {
                    if hot.bytes != u32::MAX && u64::from(hot.bytes) != cold.bytes {
                        return Err(format!(
                            "entry {key:?} charges {} bytes, its hot part says {}",
                            cold.bytes, hot.bytes
                        ));
                    }
                }
                None => {
                    return Err(format!(
                        "index entry {key:?} -> slot {} past the {} slots",
                        hot.slot,
                        self.slots.len()
                    ));
                }
            }
        }
        let used: u64 = live.iter().map(|&s| self.slots[s as usize].bytes).sum();
        if used != self.used_bytes {
            return Err(format!(
                "entries hold {used} bytes, counter says {}",
                self.used_bytes
            ));
        }
        if used > self.config.capacity.limit() {
            return Err(format!(
                "{used} bytes over capacity {:?}",
                self.config.capacity
            ));
        }
        let ranks: Vec<(CacheKey, u64, u64)> = self
            .index
            .iter()
            .map(|(k, h)| (CacheKey(k), h.queued, h.rank))
            .collect();
        self.order.validate(&ranks)?;
        let mut free: Vec<u32> = self.free.iter().copied().collect();
        free.sort_unstable();
        free.dedup();
        let disjoint = free.iter().all(|s| live.binary_search(s).is_err());
        if free.len() != self.free.len() || !disjoint || free.len() + live.len() != self.slots.len()
        {
            return Err(format!(
                "free list {:?} does not complement live slots {live:?}",
                self.free
            ));
        }
        Ok(())
    }

    /// Keys from the next victim to the last, for tests.
    pub fn eviction_order(&self) -> Vec<CacheKey> {
        let mut keys: Vec<(u64, CacheKey)> = self
            .index
            .iter()
            .map(|(k, h)| (h.rank, CacheKey(k)))
            .collect();
        keys.sort_unstable();
        keys.into_iter().map(|(_, k)| k).collect()
    }
}
