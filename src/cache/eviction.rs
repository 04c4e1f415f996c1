//! Eviction order. Every entry carries a rank in its hot data; the victim is the live
//! entry with the lowest rank, and a policy is just its ranking rule:
//!
//! - `lru`: rank = the stamp of the last insert or hit (least recently used goes first);
//! - `fifo`: rank = the stamp of the insert (hits change nothing).
//!
//! A hit therefore costs one store into the hash-table bucket it has already loaded, with
//! no list surgery (a doubly linked list's unlink/relink made an LRU hit 4x a bare
//! lookup in the `cache/*` benches; this layout brings it to FIFO's cost).
//! [`RankHeap`] finds the lowest rank lazily: it keeps one record `(rank, slot)` per live
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

const NONE: u64 = u64::MAX;

/// A lazy monotone priority queue over entry ranks, by slot.
///
/// Victims come out in non-decreasing rank order and every record pushed ranks at least
/// as high as the last victim (new entries take the newest stamp; a superseded record is
/// re-queued with its entry's current, higher rank), so a radix heap fits: 65 buckets by
/// the highest bit in which a rank differs from the last minimum, O(1) amortized per
/// operation with sequential memory access (a binary heap made an evicting insert 3x
/// slower at 10⁶ entries).
#[derive(Debug, Clone)]
pub struct RankHeap {
    buckets: Vec<Vec<(u64, u32)>>,
    /// The last minimum found; every record ranks at least this.
    floor: u64,
    /// Per slot: the rank in its entry's one current record, or `NONE`.
    queued: Vec<u64>,
    live: usize,
    records: usize,
}

impl Default for RankHeap {
    fn default() -> Self {
        RankHeap {
            buckets: vec![Vec::new(); 65],
            floor: 0,
            queued: Vec::new(),
            live: 0,
            records: 0,
        }
    }
}

impl RankHeap {
    #[inline]
    fn bucket(&self, rank: u64) -> usize {
        (64 - (rank ^ self.floor).leading_zeros()) as usize
    }

    #[inline]
    fn push(&mut self, rank: u64, slot: u32) {
        debug_assert!(
            rank >= self.floor,
            "ranks pushed must not be below the last minimum"
        );
        let b = self.bucket(rank);
        self.buckets[b].push((rank, slot));
        self.records += 1;
    }

    /// The lowest record, moved into bucket 0 (which then holds only records equal to
    /// the floor).
    fn min(&mut self) -> Option<(u64, u32)> {
        if let Some(&r) = self.buckets[0].last() {
            return Some(r);
        }
        let i = (1..65).find(|&i| !self.buckets[i].is_empty())?;
        let moved = std::mem::take(&mut self.buckets[i]);
        self.floor = moved.iter().map(|r| r.0).min().unwrap_or(self.floor);
        for &(rank, slot) in &moved {
            let b = self.bucket(rank);
            self.buckets[b].push((rank, slot));
        }
        // Hand the emptied allocation back so buckets do not reallocate in steady state.
        let mut moved = moved;
        moved.clear();
        if self.buckets[i].is_empty() {
            self.buckets[i] = moved;
        }
        self.buckets[0].last().copied()
    }

    fn pop_min(&mut self) {
        if self.buckets[0].pop().is_some() {
            self.records -= 1;
        }
    }

    /// A new entry with `rank` occupies `slot`.
    pub fn inserted(&mut self, slot: u32, rank: u64) {
        let i = slot as usize;
        if i >= self.queued.len() {
            self.queued.resize(i + 1, NONE);
        }
        self.queued[i] = rank;
        self.push(rank, slot);
        self.live += 1;
        if self.records > 2 * self.live + 64 {
            // Records of removed entries are dropped when they surface; this bounds them.
            let queued = &self.queued;
            for b in &mut self.buckets {
                b.retain(|&(r, s)| queued.get(s as usize) == Some(&r));
            }
            self.records = self.buckets.iter().map(Vec::len).sum();
        }
    }

    /// The entry in `slot` left the cache.
    pub fn removed(&mut self, slot: u32) {
        if let Some(q) = self.queued.get_mut(slot as usize) {
            if *q != NONE {
                *q = NONE;
                self.live -= 1;
            }
        }
    }

    /// The slot of the live entry with the lowest rank; `rank_of(slot)` gives a live
    /// entry's current rank. The entry stays until [`RankHeap::removed`].
    pub fn victim(&mut self, rank_of: impl Fn(u32) -> u64) -> Option<u32> {
        while let Some((rank, slot)) = self.min() {
            let i = slot as usize;
            self.pop_min();
            if self.queued.get(i) != Some(&rank) {
                continue; // the entry was removed, or this record was superseded
            }
            let current = rank_of(slot);
            self.push(current, slot);
            self.queued[i] = current;
            if current == rank {
                return Some(slot);
            }
        }
        None
    }

    /// Forgets every entry.
    pub fn clear(&mut self) {
        for b in &mut self.buckets {
            b.clear();
        }
        self.queued.clear();
        self.floor = 0;
        self.live = 0;
        self.records = 0;
    }

    /// Checks that every live slot (given with its current rank) has exactly one current
    /// record, whose rank is not above the current one, and nothing else is live.
    pub fn validate(&self, live: &[(u32, u64)]) -> Result<(), String> {
        if live.len() != self.live {
            return Err(format!(
                "{} live entries, heap counts {}",
                live.len(),
                self.live
            ));
        }
        let all: Vec<(u64, u32)> = self.buckets.iter().flatten().copied().collect();
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
        let mut current: Vec<u32> = all
            .iter()
            .filter(|(r, s)| self.queued.get(*s as usize) == Some(r))
            .map(|&(_, s)| s)
            .collect();
        current.sort_unstable();
        let mut expected: Vec<u32> = live.iter().map(|&(s, _)| s).collect();
        expected.sort_unstable();
        if current != expected {
            return Err(format!(
                "current records {current:?} for live slots {expected:?}"
            ));
        }
        for &(slot, rank) in live {
            let queued = self.queued[slot as usize];
            if queued > rank {
                return Err(format!(
                    "slot {slot} queued at rank {queued} above its rank {rank}"
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_victim_is_the_lowest_current_rank() {
        let mut ranks = [0u64; 4];
        let mut h = RankHeap::default();
        for (slot, rank) in [(0u32, 0u64), (1, 1), (2, 2)] {
            ranks[slot as usize] = rank;
            h.inserted(slot, rank);
        }
        // Slot 0 is hit (LRU): its rank becomes 3; the victim is now slot 1.
        ranks[0] = EvictionPolicy::Lru.rank_on_hit(ranks[0], 3);
        assert_eq!(h.victim(|s| ranks[s as usize]), Some(1));
        h.removed(1);
        assert_eq!(h.victim(|s| ranks[s as usize]), Some(2));
        h.removed(2);
        assert_eq!(h.victim(|s| ranks[s as usize]), Some(0));
        h.removed(0);
        assert_eq!(h.victim(|s| ranks[s as usize]), None);
        // FIFO ignores hits.
        assert_eq!(EvictionPolicy::Fifo.rank_on_hit(5, 9), 5);
    }

    #[test]
    fn a_reused_slot_is_not_confused_with_its_old_entry() {
        let mut ranks = [0u64; 2];
        let mut h = RankHeap::default();
        h.inserted(0, 0);
        h.inserted(1, 1);
        h.removed(0);
        ranks[0] = 2;
        h.inserted(0, 2);
        ranks[1] = 1;
        assert_eq!(h.victim(|s| ranks[s as usize]), Some(1));
        h.validate(&[(0, 2), (1, 1)]).unwrap();
    }
}
