//! The stage cache's index: a hash table from key to an entry's hot data, by open
//! addressing with linear probing over one flat array whose slots hold the key and the
//! data side by side.
//!
//! Why not hashbrown: a SwissTable keeps its control bytes and its buckets in two places,
//! so a lookup of a key not in the CPU's caches waits for two memory reads; here a hit
//! reads one slot (one cache line, or two adjacent ones). And the slot a key starts from
//! is known before the lookup, so a caller that knows its next keys can ask for their
//! slots early ([`Table::prefetch`]) and overlap those reads with its work.
//!
//! Removal shifts later members of the probe run back (no tombstones), so a lookup never
//! walks past more than the run its key belongs to. The load stays at most 1/4 (a hit
//! probes 1.17 slots and a miss 1.39 on average; Knuth, TAOCP vol. 3, 6.4) until the
//! table takes [`SPARSE_UP_TO_BYTES`], then at most 1/2 (1.5 and 2.5), so the largest
//! tables do not double their memory for it: probe length matters more than footprint
//! (the measurements are in `docs/performance.md`).

/// The key an empty slot holds. A real key equal to it lives in [`Table::zero`].
const EMPTY: u64 = 0;

/// The position of key [`EMPTY`] (see [`Table::position`]).
const ZERO_POS: usize = usize::MAX;

/// One slot: a key and its data, or `EMPTY`.
#[derive(Debug, Clone, Copy, Default)]
struct Slot<T> {
    key: u64,
    data: T,
}

/// A map from `u64` keys to `T`.
#[derive(Debug, Clone)]
pub(crate) struct Table<T> {
    slots: Vec<Slot<T>>,
    /// `64 - log2(slots.len())`: a key's home slot is its hash's top bits.
    shift: u32,
    len: usize,
    /// The data of key `EMPTY`, which cannot be stored in a slot.
    zero: Option<T>,
}

impl<T: Copy + Default> Default for Table<T> {
    fn default() -> Self {
        Table::with_slots(MIN_SLOTS)
    }
}

const MIN_SLOTS: usize = 16;

/// Tables up to this size keep at most one key in four slots; larger ones, one in two.
const SPARSE_UP_TO_BYTES: usize = 256 << 20;

/// Tables at least this large are prefetched: well past a core's L2 (0.5-2 MB on current
/// x86 servers) and a good share of a shared L3.
const PREFETCH_FROM_BYTES: usize = 8 << 20;

impl<T: Copy + Default> Table<T> {
    /// An empty table that holds `n` keys without growing.
    pub(crate) fn with_capacity(n: usize) -> Table<T> {
        let mut slots = MIN_SLOTS;
        while Self::max_keys(slots) < n {
            slots *= 2;
        }
        Table::with_slots(slots)
    }

    /// The slots allocated (a power of two).
    #[cfg(test)]
    pub(crate) fn slot_count(&self) -> usize {
        self.slots.len()
    }

    /// The most keys `slots` slots hold before the table doubles (see the module's
    /// documentation); never decreases as `slots` grows.
    fn max_keys(slots: usize) -> usize {
        if slots.saturating_mul(size_of::<Slot<T>>()) <= SPARSE_UP_TO_BYTES {
            slots / 4
        } else {
            slots / 2
        }
    }

    fn with_slots(n: usize) -> Table<T> {
        debug_assert!(n.is_power_of_two());
        let mut slots = Vec::with_capacity(n);
        crate::huge_pages::advise(slots.spare_capacity_mut());
        slots.resize(n, Slot::default());
        Table {
            slots,
            shift: 64 - n.trailing_zeros(),
            len: 0,
            zero: None,
        }
    }

    /// Where `key`'s probe run starts: Fibonacci hashing, so keys with structure in their
    /// low bits (small integers in tests, ids from a trace) still spread.
    #[inline(always)]
    fn home(&self, key: u64) -> usize {
        (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.shift) as usize
    }

    #[inline(always)]
    fn mask(&self) -> usize {
        self.slots.len() - 1
    }

    /// The slot holding `key`, if any.
    #[inline(always)]
    fn find(&self, key: u64) -> Option<usize> {
        let mask = self.mask();
        let mut i = self.home(key);
        loop {
            let k = self.slots[i].key;
            if k == key {
                return Some(i);
            }
            if k == EMPTY {
                return None;
            }
            i = (i + 1) & mask;
        }
    }

    /// Number of keys.
    pub(crate) fn len(&self) -> usize {
        self.len + usize::from(self.zero.is_some())
    }

    /// The data for `key`.
    #[inline(always)]
    pub(crate) fn get(&self, key: u64) -> Option<&T> {
        if key == EMPTY {
            return self.zero.as_ref();
        }
        self.find(key).map(|i| &self.slots[i].data)
    }

    /// The data for `key`, to change in place.
    #[inline(always)]
    pub(crate) fn get_mut(&mut self, key: u64) -> Option<&mut T> {
        if key == EMPTY {
            return self.zero.as_mut();
        }
        self.find(key).map(|i| &mut self.slots[i].data)
    }

    /// Stores `data` for `key`, replacing what was there. Inlined into each evicting
    /// insert, where a call cost measurably (growth stays out of line).
    #[inline(always)]
    pub(crate) fn insert(&mut self, key: u64, data: T) {
        if key == EMPTY {
            self.zero = Some(data);
            return;
        }
        if self.len + 1 > Self::max_keys(self.slots.len()) {
            self.grow();
        }
        let mask = self.mask();
        let mut i = self.home(key);
        loop {
            let slot = &mut self.slots[i];
            if slot.key == key {
                slot.data = data;
                return;
            }
            if slot.key == EMPTY {
                *slot = Slot { key, data };
                self.len += 1;
                return;
            }
            i = (i + 1) & mask;
        }
    }

    #[cold]
    #[inline(never)]
    fn grow(&mut self) {
        let old = std::mem::replace(self, Table::with_slots(self.slots.len() * 2));
        self.zero = old.zero;
        for s in old.slots.into_iter().filter(|s| s.key != EMPTY) {
            self.insert(s.key, s.data);
        }
    }

    /// Removes `key`; its data if it was there.
    #[cfg(test)]
    pub(crate) fn remove(&mut self, key: u64) -> Option<T> {
        let pos = self.position(key)?;
        let data = *self.at_mut(pos)?;
        self.remove_at(pos);
        Some(data)
    }

    /// Where `key` is, for [`Table::at_mut`] and [`Table::remove_at`] (valid until the
    /// table next changes).
    #[inline(always)]
    pub(crate) fn position(&self, key: u64) -> Option<usize> {
        if key == EMPTY {
            return self.zero.is_some().then_some(ZERO_POS);
        }
        self.find(key)
    }

    /// The data at a position [`Table::position`] gave.
    #[inline(always)]
    pub(crate) fn at_mut(&mut self, pos: usize) -> Option<&mut T> {
        if pos == ZERO_POS {
            return self.zero.as_mut();
        }
        self.slots.get_mut(pos).map(|s| &mut s.data)
    }

    /// Removes the key at a position [`Table::position`] gave, without looking it up
    /// again.
    #[inline(always)]
    pub(crate) fn remove_at(&mut self, pos: usize) {
        if pos == ZERO_POS {
            self.zero = None;
            return;
        }
        if self.slots.get(pos).is_none_or(|s| s.key == EMPTY) {
            return;
        }
        let mut hole = pos;
        self.len -= 1;
        // Backward shift: walk the rest of the run; a member whose home is not in
        // (hole, j] may move back into the hole, which then moves to j.
        let mask = self.mask();
        let mut j = hole;
        loop {
            j = (j + 1) & mask;
            let k = self.slots[j].key;
            if k == EMPTY {
                break;
            }
            let home = self.home(k);
            if (j.wrapping_sub(home) & mask) >= (j.wrapping_sub(hole) & mask) {
                self.slots[hole] = self.slots[j];
                hole = j;
            }
        }
        self.slots[hole] = Slot::default();
    }

    /// Removes every key, keeping the allocation.
    pub(crate) fn clear(&mut self) {
        self.slots.fill(Slot::default());
        self.len = 0;
        self.zero = None;
    }

    /// Every key with its data, in no particular order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u64, &T)> {
        self.zero.iter().map(|d| (EMPTY, d)).chain(
            self.slots
                .iter()
                .filter(|s| s.key != EMPTY)
                .map(|s| (s.key, &s.data)),
        )
    }

    /// Whether the slots take enough memory that a lookup may well wait for memory
    /// beyond the core's own caches, so that [`Table::prefetch`] is worth its cost (on
    /// a small table it is pure overhead).
    #[inline(always)]
    pub(crate) fn worth_prefetching(&self) -> bool {
        self.slots.len() * size_of::<Slot<T>>() >= PREFETCH_FROM_BYTES
    }

    /// Asks the CPU to start loading the slot where `key`'s lookup will start (both cache
    /// lines if the slot spans two), without waiting for it. Changes nothing.
    #[inline(always)]
    pub(crate) fn prefetch(&self, key: u64) {
        let slot = &self.slots[self.home(key)];
        crate::prefetch::read(slot);
        crate::prefetch::read_end(slot);
    }

    /// As [`Table::prefetch`], for a key about to be removed: also the lines through the
    /// second slot after its home, which the removal's backward shift reads (a key found
    /// one slot past its home, or a run that goes on). Covering only the next slot left
    /// the shift waiting on memory for three quarters of its time.
    #[inline(always)]
    pub(crate) fn prefetch_removal(&self, key: u64) {
        let home = self.home(key);
        let slot = &self.slots[home];
        crate::prefetch::read(slot);
        crate::prefetch::read_end(slot);
        crate::prefetch::read_end(&self.slots[(home + 1) & self.mask()]);
        crate::prefetch::read_end(&self.slots[(home + 2) & self.mask()]);
    }

    /// Checks that every key is reachable from its home without crossing an empty slot,
    /// and that the count agrees.
    pub(crate) fn validate(&self) -> Result<(), String> {
        let mask = self.mask();
        let mut n = 0;
        for (i, s) in self.slots.iter().enumerate() {
            if s.key == EMPTY {
                continue;
            }
            n += 1;
            let mut j = self.home(s.key);
            while j != i {
                if self.slots[j].key == EMPTY {
                    return Err(format!(
                        "key {:#x} at slot {i} is cut off from its home {} by an empty slot {j}",
                        s.key,
                        self.home(s.key)
                    ));
                }
                j = (j + 1) & mask;
            }
        }
        if n != self.len {
            return Err(format!("{n} keys in slots, counter says {}", self.len));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use proptest::prelude::*;

    use super::*;

    #[test]
    fn removal_keeps_colliding_keys_reachable() {
        let mut t: Table<u32> = Table::default();
        // Keys whose homes collide in a 16-slot table: same top four bits of the hash.
        let probe = Table::<u32>::default();
        let home0 = probe.home(1);
        let colliding: Vec<u64> = (1..10_000u64)
            .filter(|&k| probe.home(k) == home0)
            .take(4)
            .collect();
        assert_eq!(colliding.len(), 4);
        for (v, &k) in colliding.iter().enumerate() {
            t.insert(k, v as u32);
        }
        assert_eq!(
            t.slots.len(),
            probe.slots.len(),
            "grew: the homes no longer collide"
        );
        t.validate().unwrap();
        assert_eq!(t.remove(colliding[1]), Some(1));
        t.validate().unwrap();
        for (v, &k) in colliding.iter().enumerate().filter(|&(v, _)| v != 1) {
            assert_eq!(t.get(k), Some(&(v as u32)), "key {k}");
        }
        assert_eq!(t.get(colliding[1]), None);
    }

    #[test]
    fn load_is_a_quarter_until_the_table_is_large_then_a_half() {
        // 16-byte slots: 2^24 of them take exactly the sparse limit.
        assert_eq!(size_of::<Slot<u64>>(), 16);
        assert_eq!(Table::<u64>::max_keys(16), 4);
        assert_eq!(Table::<u64>::max_keys(1 << 24), 1 << 22);
        assert_eq!(Table::<u64>::max_keys(1 << 25), 1 << 24);
        for n in [0, 1, 4, 5, 1000, 1 << 16, (1 << 16) + 1] {
            let mut t: Table<u64> = Table::with_capacity(n);
            let slots = t.slots.len();
            assert!(
                slots >= 4 * n && (slots == MIN_SLOTS || slots < 8 * n),
                "{n}: {slots}"
            );
            for k in 1..=n as u64 {
                t.insert(k, k);
            }
            assert_eq!(
                (t.slots.len(), t.len()),
                (slots, n),
                "{n} keys made it grow"
            );
            t.insert(u64::MAX, 0);
            assert_eq!(t.slots.len() > slots, 4 * (n + 1) > slots, "{n} + 1 keys");
        }
    }

    #[test]
    fn key_zero_is_an_ordinary_key() {
        let mut t: Table<u32> = Table::default();
        assert_eq!(t.get(0), None);
        t.insert(0, 5);
        t.insert(1, 6);
        assert_eq!((t.get(0), t.len()), (Some(&5), 2));
        *t.get_mut(0).unwrap() = 7;
        assert_eq!(t.iter().collect::<HashMap<_, _>>()[&0], &7);
        assert_eq!(t.remove(0), Some(7));
        assert_eq!((t.get(0), t.len()), (None, 1));
    }

    proptest! {
        /// Random inserts and removals over a few hundred keys (so runs form, wrap and
        /// grow) agree with a std HashMap after every step.
        #[test]
        fn behaves_like_a_map(ops in prop::collection::vec((any::<bool>(), 0u64..300), 1..2_000)) {
            let mut t: Table<u64> = Table::default();
            let mut model: HashMap<u64, u64> = HashMap::new();
            for (i, (insert, k)) in ops.into_iter().enumerate() {
                // Spread some keys over the whole range, keep 0 and small ones too.
                let key = if k % 3 == 0 { k.wrapping_mul(0x0123_4567_89AB_CDEF) } else { k };
                if insert {
                    t.insert(key, i as u64);
                    model.insert(key, i as u64);
                } else {
                    prop_assert_eq!(t.remove(key), model.remove(&key));
                }
                prop_assert_eq!(t.len(), model.len());
                prop_assert_eq!(t.get(key), model.get(&key));
                t.validate().map_err(TestCaseError::fail)?;
            }
            for (k, v) in &model {
                prop_assert_eq!(t.get(*k), Some(v));
            }
            prop_assert_eq!(t.iter().count(), model.len());
        }
    }
}
