//! Eviction order. Every entry carries a rank in its hot data; the victim is the live
//! entry with the lowest rank, and a policy is just its ranking rule:
//!
//! - `lru`: rank = the stamp of the last insert or hit (least recently used goes first);
//! - `fifo`: rank = the stamp of the insert (hits change nothing).
//!
//! A hit therefore costs one store into the hash-table slot it has already loaded, with
//! no list surgery (a doubly linked list's unlink/relink made an LRU hit 4x a bare
//! lookup in the `cache/*` benches; this layout brings it to FIFO's cost).
//! [`RankHeap`] finds the lowest rank lazily: it keeps one record `(rank, key)` per live
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

/// A lazy monotone priority queue of entries by rank.
///
/// Each live entry has one current record `(rank, key)`; the entry itself remembers the
/// rank of its current record (its "queued" rank), so a record that surfaces is checked
/// with one lookup of its entry: gone or re-queued since (queued rank differs) means
/// stale; a rank that grew since (hits) means re-queue at the current rank.
///
/// Victims come out in non-decreasing rank order and every record pushed ranks at least
/// as high as the last victim (new entries take the newest stamp; a re-queued record
/// takes its entry's current, higher rank), so a radix heap fits. This one is 256-way: a
/// record sits in the bucket named by the highest byte in which its rank differs from the
/// last minimum (the floor) and by its value in that byte; level-0 buckets hold one rank
/// each, and a record moves to a lower level only when its bucket becomes the lowest, so
/// at most once per byte of rank distance (in practice once or twice). The binary radix
/// heap this replaced moved each record about log2(distance) ≈ 17 times, which was most
/// of the cost of an evicting insert; a binary heap was 3x slower still at 10⁶ entries.
///
/// With 2,048 buckets, most empty at any time, allocations need care: a bucket grown
/// from nothing by doubling each time it is first used kept runs allocating (the
/// allocation test caught it), so a bucket used for the first time takes the allocation
/// of one its level has redistributed, or starts at its neighbour's size.
#[derive(Debug, Clone)]
pub struct RankHeap<K> {
    /// `LEVELS × DIGITS` buckets, level-major (a fixed-size array: an index masked to
    /// its size needs no bounds check on the hot paths).
    buckets: Box<[Vec<(u64, K)>; BUCKETS]>,
    /// Per level, which of its 256 buckets hold records.
    filled: [[u64; 4]; LEVELS],
    /// Bit `l` set when level `l` has a filled bucket.
    levels: u8,
    /// Per level, allocations of redistributed buckets, for buckets used for the first
    /// time.
    spare: [Vec<Vec<(u64, K)>>; LEVELS],
    /// The last minimum found; every record ranks at least this.
    floor: u64,
    /// The level-0 bucket up to which records have been prefetched, if any since level 0
    /// was last refilled.
    prefetched: Option<usize>,
    live: usize,
    records: usize,
}

/// How many level-0 buckets ahead of the one being checked have their records
/// prefetched. Prefetching a whole redistributed bucket at once (up to 256 records,
/// three lines each) overran the CPU's outstanding-miss capacity and left the first
/// checks waiting anyway.
const PREFETCH_AHEAD: usize = 8;

/// Bytes in a rank, and the values of a byte: the buckets of one level.
const LEVELS: usize = 8;
const DIGITS: usize = 256;
const BUCKETS: usize = LEVELS * DIGITS;

impl<K> Default for RankHeap<K> {
    fn default() -> Self {
        RankHeap {
            buckets: Box::new(std::array::from_fn(|_| Vec::new())),
            filled: [[0; 4]; LEVELS],
            levels: 0,
            spare: Default::default(),
            floor: 0,
            prefetched: None,
            live: 0,
            records: 0,
        }
    }
}

/// The entries a [`RankHeap`] orders, as it sees them when records surface.
pub trait Entries<K> {
    /// Looks a surfacing record's entry up: `None` when the record is stale (the entry is
    /// gone, or its queued rank is not `rank`); otherwise sets the entry's queued rank to
    /// its current rank and returns that.
    fn check(&mut self, rank: u64, key: K) -> Option<u64>;

    /// Starts loading the entry of `key`, which will be checked soon. Defaults to
    /// nothing.
    fn prefetch(&self, _key: K) {}
}

impl<K, F: FnMut(u64, K) -> Option<u64>> Entries<K> for F {
    fn check(&mut self, rank: u64, key: K) -> Option<u64> {
        self(rank, key)
    }
}

impl<K: Copy + Eq + std::hash::Hash + std::fmt::Debug> RankHeap<K> {
    /// The bucket of `rank` for the current floor.
    #[inline]
    fn bucket(&self, rank: u64) -> usize {
        let differs = rank ^ self.floor;
        let level = if differs == 0 {
            0
        } else {
            (63 - differs.leading_zeros()) as usize / 8
        };
        level * DIGITS + ((rank >> (8 * level)) & 0xFF) as usize
    }

    #[inline]
    fn mark(&mut self, b: usize) {
        let (level, digit) = (b / DIGITS, b % DIGITS);
        self.filled[level][digit / 64] |= 1 << (digit % 64);
        self.levels |= 1 << level;
    }

    #[inline]
    fn unmark(&mut self, b: usize) {
        let (level, digit) = (b / DIGITS, b % DIGITS);
        let word = &mut self.filled[level][digit / 64];
        *word &= !(1 << (digit % 64));
        // Test the word just written first: reading all four at once right after the
        // store defeats store-to-load forwarding (a fifth of an evicting insert's time).
        if *word == 0 && self.filled[level].iter().all(|&w| w == 0) {
            self.levels &= !(1 << level);
        }
    }

    /// The lowest filled bucket.
    #[inline]
    fn lowest(&self) -> Option<usize> {
        if self.levels == 0 {
            return None;
        }
        let level = self.levels.trailing_zeros() as usize;
        let words = &self.filled[level];
        let w = words.iter().position(|&w| w != 0)?;
        Some(level * DIGITS + w * 64 + words[w].trailing_zeros() as usize)
    }

    #[inline]
    fn push(&mut self, rank: u64, key: K) {
        debug_assert!(
            rank >= self.floor,
            "ranks pushed must not be below the last minimum"
        );
        let b = self.bucket(rank);
        self.put(b, rank, key);
        self.records += 1;
    }

    /// Adds a record to bucket `b`, provisioning a bucket used for the first time.
    #[inline]
    fn put(&mut self, b: usize, rank: u64, key: K) {
        if self.buckets[b % BUCKETS].capacity() == 0 {
            self.provision(b);
        }
        self.buckets[b % BUCKETS].push((rank, key));
        self.mark(b);
    }

    /// Gives bucket `b`, about to be used for the first time, an allocation: one left by
    /// a redistributed bucket of its level if there is one (as the floor advances, each
    /// level's buckets are used in turn and emptied in turn), else one the size of its
    /// neighbour below, which spanned as many ranks.
    #[cold]
    fn provision(&mut self, b: usize) {
        let level = b / DIGITS;
        if let Some(v) = self.spare[level].pop() {
            self.buckets[b] = v;
        } else if b % DIGITS > 0 {
            let hint = self.buckets[b - 1].capacity();
            self.buckets[b].reserve_exact(hint);
        }
    }

    /// The bucket holding the lowest records, all of one rank (a level-0 bucket). If
    /// level 0 is empty, the lowest bucket's records are redistributed around their
    /// minimum, the new floor.
    #[inline]
    fn front(&mut self) -> Option<usize> {
        let b = self.lowest()?;
        if b < DIGITS {
            return Some(b);
        }
        let mut moved = std::mem::take(&mut self.buckets[b % BUCKETS]);
        self.unmark(b);
        self.floor = moved.iter().map(|r| r.0).min().unwrap_or(self.floor);
        self.prefetched = None;
        for &(rank, key) in &moved {
            let to = self.bucket(rank);
            self.put(to, rank, key);
        }
        // Keep the emptied allocation for the next bucket of its level to be used.
        moved.clear();
        self.spare[b / DIGITS].push(moved);
        self.lowest()
    }

    /// A new entry `key` with `rank`, which becomes its queued rank.
    #[inline]
    pub fn inserted(&mut self, key: K, rank: u64) {
        self.push(rank, key);
        self.live += 1;
    }

    /// An entry left the cache (its record is dropped when it surfaces).
    #[inline]
    pub fn removed(&mut self) {
        self.live -= 1;
    }

    /// Whether stale records (of entries removed other than by eviction) outnumber the
    /// live ones enough that [`RankHeap::compact`] should run; this bounds memory.
    #[inline]
    pub fn needs_compaction(&self) -> bool {
        self.records > 2 * self.live + 64
    }

    /// Drops every record `is_current(rank, key)` rejects.
    pub fn compact(&mut self, is_current: impl Fn(u64, K) -> bool) {
        for b in self.buckets.iter_mut() {
            b.retain(|&(r, k)| is_current(r, k));
        }
        self.records = self.buckets.iter().map(Vec::len).sum();
        self.refill_marks();
        self.prefetched = None;
    }

    /// Recomputes which buckets are filled from the buckets themselves.
    fn refill_marks(&mut self) {
        (self.filled, self.levels) = marks_of(&self.buckets[..]);
    }

    /// The live entry with the lowest rank. `entries.check(rank, key)` looks a surfacing
    /// record's entry up: `None` when the record is stale (the entry is gone, or its
    /// queued rank is not `rank`); otherwise it sets the entry's queued rank to its
    /// current rank and returns that. The victim's record leaves the heap: the caller
    /// removes the entry (or inserts it again).
    pub fn victim(&mut self, entries: &mut impl Entries<K>) -> Option<K> {
        while let Some(b) = self.front() {
            let Some((rank, key)) = self.buckets[b % BUCKETS].pop() else {
                self.unmark(b);
                continue;
            };
            if self.buckets[b % BUCKETS].is_empty() {
                self.unmark(b);
            }
            self.prefetch_ahead(b, entries);
            self.records -= 1;
            let Some(current) = entries.check(rank, key) else {
                continue;
            };
            if current == rank {
                return Some(key);
            }
            self.push(current, key);
        }
        None
    }

    /// Keeps the records of the [`PREFETCH_AHEAD`] filled level-0 buckets after `b` (the
    /// one being checked) prefetched: one more bucket per check, or all of them after a
    /// refill.
    #[inline]
    fn prefetch_ahead(&mut self, b: usize, entries: &impl Entries<K>) {
        let (mut from, mut steps) = match self.prefetched {
            Some(p) if p > b => (p + 1, 1),
            _ => (b + 1, PREFETCH_AHEAD),
        };
        while steps > 0 {
            let Some(next) = self.next_filled_in_level0(from) else {
                return;
            };
            for &(_, key) in &self.buckets[next % BUCKETS] {
                entries.prefetch(key);
            }
            self.prefetched = Some(next);
            from = next + 1;
            steps -= 1;
        }
    }

    /// The first filled level-0 bucket at or after `from`.
    #[inline]
    fn next_filled_in_level0(&self, from: usize) -> Option<usize> {
        let words = &self.filled[0];
        let mut w = from / 64;
        let mut bits = *words.get(w)? & (!0u64 << (from % 64));
        loop {
            if bits != 0 {
                return Some(w * 64 + bits.trailing_zeros() as usize);
            }
            w += 1;
            bits = *words.get(w)?;
        }
    }

    /// Forgets every entry.
    pub fn clear(&mut self) {
        for b in self.buckets.iter_mut() {
            b.clear();
        }
        self.filled = [[0; 4]; LEVELS];
        self.levels = 0;
        self.floor = 0;
        self.prefetched = None;
        self.live = 0;
        self.records = 0;
    }

    /// Checks that every live entry, given as `(key, queued rank, current rank)`, has
    /// exactly one record at its queued rank, not above its current rank, that records
    /// sit in their buckets, and that the counters agree.
    pub fn validate(&self, live: &[(K, u64, u64)]) -> Result<(), String> {
        if live.len() != self.live {
            return Err(format!(
                "{} live entries, heap counts {}",
                live.len(),
                self.live
            ));
        }
        if marks_of(&self.buckets[..]) != (self.filled, self.levels) {
            return Err("filled-bucket marks do not match the buckets".to_string());
        }
        let all: Vec<(u64, K)> = self.buckets.iter().flatten().copied().collect();
        if all.len() != self.records {
            return Err(format!(
                "{} records, counter says {}",
                all.len(),
                self.records
            ));
        }
        for (i, b) in self.buckets.iter().enumerate() {
            if let Some(&(r, _)) = b
                .iter()
                .find(|&&(r, _)| r < self.floor || self.bucket(r) != i)
            {
                return Err(format!(
                    "rank {r} misplaced in bucket {i} (floor {})",
                    self.floor
                ));
            }
        }
        let mut records: std::collections::HashMap<(u64, K), usize> =
            std::collections::HashMap::new();
        for r in all {
            *records.entry(r).or_default() += 1;
        }
        for &(key, queued, rank) in live {
            if queued > rank {
                return Err(format!(
                    "{key:?} queued at rank {queued} above its rank {rank}"
                ));
            }
            match records.get(&(queued, key)) {
                Some(1) => {}
                n => {
                    return Err(format!(
                        "{key:?} has {} records at its queued rank {queued}",
                        n.copied().unwrap_or(0)
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Which buckets hold records: per-level digit bitmaps and the level mask.
fn marks_of<T>(buckets: &[Vec<T>]) -> ([[u64; 4]; LEVELS], u8) {
    let mut filled = [[0u64; 4]; LEVELS];
    let mut levels = 0u8;
    for (b, records) in buckets.iter().enumerate() {
        if !records.is_empty() {
            let (level, digit) = (b / DIGITS, b % DIGITS);
            filled[level][digit / 64] |= 1 << (digit % 64);
            levels |= 1 << level;
        }
    }
    (filled, levels)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Entries as the cache keeps them: key -> (queued rank, current rank).
    type Entries = std::collections::HashMap<u32, (u64, u64)>;

    fn check(entries: &mut Entries) -> impl FnMut(u64, u32) -> Option<u64> + '_ {
        |rank, key| {
            let e = entries.get_mut(&key)?;
            if e.0 != rank {
                return None;
            }
            e.0 = e.1;
            Some(e.1)
        }
    }

    proptest::proptest! {
        /// Inserts with a clock that jumps by up to 2^40 at a time (so records spread
        /// over every level of the radix), hits that raise ranks, removals, and victims:
        /// each victim is the live entry with the lowest current rank, as a plain scan
        /// finds it, and the heap validates after every step.
        #[test]
        fn victims_come_out_in_rank_order_across_all_levels(
            ops in proptest::collection::vec((0u8..4, 0u32..40, 0u32..41), 1..400)
        ) {
            let mut entries = Entries::new();
            let mut h = RankHeap::default();
            let mut clock = 0u64;
            for (op, key, jump) in ops {
                clock += 1 + (1u64 << jump) / 3;
                match op {
                    0 => {
                        if entries.remove(&key).is_some() {
                            h.removed();
                        }
                        entries.insert(key, (clock, clock));
                        h.inserted(key, clock);
                    }
                    1 => {
                        if let Some(e) = entries.get_mut(&key) {
                            e.1 = EvictionPolicy::Lru.rank_on_hit(e.1, clock);
                        }
                    }
                    2 => {
                        if entries.remove(&key).is_some() {
                            h.removed();
                        }
                    }
                    _ => {
                        let expected = entries.iter().min_by_key(|(_, e)| e.1).map(|(k, _)| *k);
                        let got = h.victim(&mut check(&mut entries));
                        proptest::prop_assert_eq!(got, expected);
                        if let Some(k) = got {
                            entries.remove(&k);
                            h.removed();
                        }
                    }
                }
                let live: Vec<(u32, u64, u64)> =
                    entries.iter().map(|(k, e)| (*k, e.0, e.1)).collect();
                h.validate(&live).map_err(proptest::test_runner::TestCaseError::fail)?;
            }
        }
    }

    #[test]
    fn the_victim_is_the_lowest_current_rank() {
        let mut entries = Entries::new();
        let mut h = RankHeap::default();
        for (key, rank) in [(10u32, 0u64), (11, 1), (12, 2)] {
            entries.insert(key, (rank, rank));
            h.inserted(key, rank);
        }
        // Entry 10 is hit (LRU): its rank becomes 3; the victim is now 11.
        entries.get_mut(&10).unwrap().1 = EvictionPolicy::Lru.rank_on_hit(0, 3);
        assert_eq!(h.victim(&mut check(&mut entries)), Some(11));
        entries.remove(&11);
        h.removed();
        assert_eq!(h.victim(&mut check(&mut entries)), Some(12));
        entries.remove(&12);
        h.removed();
        assert_eq!(h.victim(&mut check(&mut entries)), Some(10));
        entries.remove(&10);
        h.removed();
        assert_eq!(h.victim(&mut check(&mut entries)), None);
        // FIFO ignores hits.
        assert_eq!(EvictionPolicy::Fifo.rank_on_hit(5, 9), 5);
    }

    #[test]
    fn a_key_inserted_again_is_not_confused_with_its_old_entry() {
        let mut entries = Entries::new();
        let mut h = RankHeap::default();
        h.inserted(0, 0);
        h.inserted(1, 1);
        entries.insert(1, (1, 1));
        // Key 0 is removed (invalidated) and stored again at rank 2: its old record at
        // rank 0 is stale and must not make it the victim.
        h.removed();
        h.inserted(0, 2);
        entries.insert(0, (2, 2));
        h.validate(&[(0, 2, 2), (1, 1, 1)]).unwrap();
        assert_eq!(h.victim(&mut check(&mut entries)), Some(1));
    }

    #[test]
    fn compaction_drops_stale_records_only() {
        let mut h = RankHeap::default();
        for k in 0..200u32 {
            h.inserted(k, u64::from(k));
        }
        for _ in 0..190 {
            h.removed();
        }
        assert!(h.needs_compaction());
        h.compact(|_, k| k >= 190);
        let live: Vec<(u32, u64, u64)> = (190..200)
            .map(|k| (k, u64::from(k), u64::from(k)))
            .collect();
        h.validate(&live).unwrap();
        assert!(!h.needs_compaction());
    }
}
