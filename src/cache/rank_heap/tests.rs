//! The rank heap against a plain sorted model, step by step, and its allocations.

use proptest::prelude::any;

use super::*;
use crate::cache::EvictionPolicy;

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

proptest::proptest! {
    /// Level 0's bitmap finds the first taken place at or after any place, as an
    /// ordered set does, across words and groups of words, after inserts and removals.
    #[test]
    fn level0_finds_the_next_taken_place(
        ops in proptest::collection::vec((any::<bool>(), 0..LOW_RANKS), 1..300),
        probes in proptest::collection::vec(0..LOW_RANKS + 1, 20),
    ) {
        let mut bits = LowBits::new();
        let mut model = std::collections::BTreeSet::new();
        for (insert, p) in ops {
            if insert {
                bits.insert(p);
                model.insert(p);
            } else if model.remove(&p) {
                bits.remove(p);
            }
            proptest::prop_assert!(bits.consistent());
            proptest::prop_assert_eq!(bits.first(), model.first().copied());
            proptest::prop_assert_eq!(bits.is_empty(), model.is_empty());
        }
        for from in probes {
            proptest::prop_assert_eq!(bits.first_from(from), model.range(from..).next().copied());
        }
        proptest::prop_assert!(bits.iter().eq(model.iter().copied()));
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
    // Ranks spread over level 0 and the levels above it (gaps of 2^11 to 2^40).
    let rank = |k: u32| u64::from(k) << (11 + k % 30);
    let mut h = RankHeap::default();
    for k in 0..200u32 {
        h.inserted(k, rank(k));
    }
    for _ in 0..190 {
        h.removed();
    }
    assert!(h.needs_compaction());
    h.compact(|_, k| k >= 190);
    let mut live: Vec<(u32, u64, u64)> = (190..200).map(|k| (k, rank(k), rank(k))).collect();
    h.validate(&live).unwrap();
    assert!(!h.needs_compaction());
    // The emptied buckets' allocations wait for reuse, and the victims come out in
    // rank order.
    assert!(h.spare.iter().any(|s| !s.is_empty()));
    live.sort_by_key(|e| e.1);
    let mut entries: Entries = live.iter().map(|&(k, q, r)| (k, (q, r))).collect();
    for &(k, _, _) in &live {
        assert_eq!(h.victim(&mut check(&mut entries)), Some(k));
        entries.remove(&k);
        h.removed();
    }
    assert_eq!(h.victim(&mut check(&mut entries)), None);
}
