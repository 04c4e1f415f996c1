//! Stage cache tests: exact semantics at the boundaries, and random operation sequences
//! checked with `validate()` after every step and against a plain model implementation
//! (quick_cache's fuzz-with-validate approach).

use proptest::prelude::*;

use super::*;

fn cache(capacity: u64, ttl_mode: TtlMode, eviction: EvictionPolicy) -> StageCache<u32> {
    StageCache::new(CacheConfig {
        capacity: Capacity::Bytes(capacity),
        entry_overhead_bytes: 0,
        ttl_mode,
        eviction,
    })
}

fn t(secs: u64) -> SimTime {
    SimTime::ZERO + SimDuration::from_secs(secs)
}

const K1: CacheKey = CacheKey(1);
const K2: CacheKey = CacheKey(2);
const K3: CacheKey = CacheKey(3);
const TTL: SimDuration = SimDuration::from_secs(300);

#[test]
fn fixed_ttl_is_invalid_at_exactly_inserted_plus_ttl() {
    let mut c = cache(10_000, TtlMode::Fixed, EvictionPolicy::Lru);
    assert_eq!(
        c.insert(t(100), NewEntry::new(K1, 10, TTL, 7), Presence::Unknown),
        Insert::Stored
    );
    assert_eq!(c.get(t(100), K1), Lookup::Hit(7));
    let just_before = SimTime::from_micros(t(400).as_micros() - 1);
    assert_eq!(c.get(just_before, K1), Lookup::Hit(7));
    // Hits do not extend a fixed TTL.
    assert_eq!(c.get(t(400), K1), Lookup::Expired);
    assert_eq!(c.get(t(400), K1), Lookup::Miss);
    assert_eq!(c.removals().expired, 1);
    assert!(c.is_empty());
    c.validate().unwrap();
}

#[test]
fn sliding_ttl_restarts_on_each_hit() {
    let mut c = cache(10_000, TtlMode::Sliding, EvictionPolicy::Lru);
    c.insert(t(0), NewEntry::new(K1, 10, TTL, 1), Presence::Unknown);
    assert_eq!(c.get(t(299), K1), Lookup::Hit(1));
    assert_eq!(c.get(t(598), K1), Lookup::Hit(1));
    assert_eq!(c.peek(K1).unwrap().expires_at, t(898));
    assert_eq!(c.get(t(898), K1), Lookup::Expired);
}

#[test]
fn ttl_zero_and_oversize_responses_are_not_cached() {
    let mut c = cache(10_000_000, TtlMode::Fixed, EvictionPolicy::Lru);
    assert_eq!(
        c.insert(
            t(0),
            NewEntry::new(K1, 10, SimDuration::ZERO, 1),
            Presence::Unknown
        ),
        Insert::Rejected(Rejection::TtlZero)
    );
    assert_eq!(
        c.insert(
            t(0),
            NewEntry::new(K1, MAX_RESPONSE_BYTES + 1, TTL, 1),
            Presence::Unknown
        ),
        Insert::Rejected(Rejection::OverMaxResponse)
    );
    assert_eq!(
        c.insert(
            t(0),
            NewEntry::new(K1, MAX_RESPONSE_BYTES, TTL, 1),
            Presence::Unknown
        ),
        Insert::Stored
    );
    let mut small = cache(100, TtlMode::Fixed, EvictionPolicy::Lru);
    assert_eq!(
        small.insert(t(0), NewEntry::new(K1, 101, TTL, 1), Presence::Unknown),
        Insert::Rejected(Rejection::OverCapacity)
    );
    assert_eq!(
        small.insert(t(0), NewEntry::new(K1, 100, TTL, 1), Presence::Unknown),
        Insert::Stored
    );
}

#[test]
fn overhead_counts_against_capacity() {
    let mut c: StageCache<u32> = StageCache::new(CacheConfig {
        capacity: Capacity::Bytes(100),
        entry_overhead_bytes: 20,
        ttl_mode: TtlMode::Fixed,
        eviction: EvictionPolicy::Lru,
    });
    c.insert(t(0), NewEntry::new(K1, 30, TTL, 1), Presence::Unknown);
    c.insert(t(0), NewEntry::new(K2, 30, TTL, 2), Presence::Unknown);
    assert_eq!(c.used_bytes(), 100);
    c.insert(t(0), NewEntry::new(K3, 1, TTL, 3), Presence::Unknown);
    assert_eq!(c.peek(K1), None, "the oldest entry made room");
    assert_eq!(c.removals().evicted, 1);
}

#[test]
fn lru_evicts_least_recently_used_fifo_the_oldest() {
    for (policy, survivor, victim) in [
        (EvictionPolicy::Lru, K1, K2),
        (EvictionPolicy::Fifo, K2, K1),
    ] {
        let mut c = cache(20, TtlMode::Fixed, policy);
        c.insert(t(0), NewEntry::new(K1, 10, TTL, 1), Presence::Unknown);
        c.insert(t(1), NewEntry::new(K2, 10, TTL, 2), Presence::Unknown);
        assert_eq!(c.get(t(2), K1), Lookup::Hit(1));
        c.insert(t(3), NewEntry::new(K3, 10, TTL, 3), Presence::Unknown);
        assert!(c.peek(survivor).is_some(), "{policy:?}");
        assert!(c.peek(victim).is_none(), "{policy:?}");
        c.validate().unwrap();
    }
}

#[test]
fn an_expired_victim_counts_as_expired_not_evicted() {
    let mut c = cache(20, TtlMode::Fixed, EvictionPolicy::Lru);
    c.insert(
        t(0),
        NewEntry::new(K1, 10, SimDuration::from_secs(5), 1),
        Presence::Unknown,
    );
    c.insert(t(0), NewEntry::new(K2, 10, TTL, 2), Presence::Unknown);
    c.insert(t(10), NewEntry::new(K3, 10, TTL, 3), Presence::Unknown);
    assert_eq!((c.removals().expired, c.removals().evicted), (1, 0));
}

#[test]
fn replacing_an_entry_restarts_its_ttl_and_counts_as_replaced() {
    let mut c = cache(100, TtlMode::Fixed, EvictionPolicy::Lru);
    c.insert(t(0), NewEntry::new(K1, 10, TTL, 1), Presence::Unknown);
    c.insert(t(100), NewEntry::new(K1, 40, TTL, 2), Presence::Unknown);
    let e = c.peek(K1).unwrap();
    assert_eq!(
        (e.value, e.inserted_at, e.expires_at, e.bytes),
        (2, t(100), t(400), 40)
    );
    assert_eq!((c.len(), c.used_bytes(), c.removals().replaced), (1, 40, 1));
}

#[test]
fn flush_and_resize_drop_everything() {
    let mut c = cache(100, TtlMode::Fixed, EvictionPolicy::Lru);
    c.insert(t(0), NewEntry::new(K1, 10, TTL, 1), Presence::Unknown);
    c.insert(t(0), NewEntry::new(K2, 10, TTL, 2), Presence::Unknown);
    c.flush();
    assert_eq!((c.len(), c.used_bytes(), c.removals().flushed), (0, 0, 2));
    c.insert(t(1), NewEntry::new(K1, 10, TTL, 1), Presence::Unknown);
    c.set_capacity(Capacity::Bytes(1_000));
    assert_eq!(
        (c.len(), c.removals().resized, c.config().capacity),
        (0, 1, Capacity::Bytes(1_000))
    );
    assert_eq!(c.get(t(1), K1), Lookup::Miss);
    c.validate().unwrap();
}

// ---- operation sequences against a model ----

#[derive(Debug, Clone)]
enum Op {
    Get(u64),
    Insert {
        key: u64,
        bytes: u64,
        ttl_secs: u64,
        value: u32,
    },
    Invalidate(u64),
    Advance(u64),
    Flush,
    Resize(u64),
}

fn op() -> impl Strategy<Value = Op> {
    let key = 0..8u64;
    prop_oneof![
        4 => key.clone().prop_map(Op::Get),
        4 => (key.clone(), prop_oneof![9 => 0..400u64, 1 => Just(MAX_RESPONSE_BYTES + 1)], 0..12u64, any::<u32>())
            .prop_map(|(key, bytes, ttl_secs, value)| Op::Insert { key, bytes, ttl_secs, value }),
        1 => key.prop_map(Op::Invalidate),
        3 => (0..4_000_000u64).prop_map(Op::Advance),
        1 => Just(Op::Flush),
        1 => prop::sample::select(&[0u64, 300, 1_000, 2_000][..]).prop_map(Op::Resize),
    ]
}

/// The obvious implementation: a vector in eviction order, linear scans.
struct Model {
    entries: Vec<(u64, SimTime, SimDuration, u64, u32)>, // key, expires, ttl, bytes, value
    config: CacheConfig,
    removals: RemovalCounts,
}

impl Model {
    fn position(&self, key: u64) -> Option<usize> {
        self.entries.iter().position(|e| e.0 == key)
    }

    fn get(&mut self, now: SimTime, key: u64) -> Lookup<u32> {
        let Some(i) = self.position(key) else {
            return Lookup::Miss;
        };
        if now >= self.entries[i].1 {
            self.entries.remove(i);
            self.removals.expired += 1;
            return Lookup::Expired;
        }
        let mut e = self.entries.remove(i);
        if self.config.ttl_mode == TtlMode::Sliding {
            e.1 = now + e.2;
        }
        let value = e.4;
        match self.config.eviction {
            EvictionPolicy::Lru => self.entries.push(e),
            EvictionPolicy::Fifo => self.entries.insert(i, e),
        }
        Lookup::Hit(value)
    }

    fn insert(
        &mut self,
        now: SimTime,
        key: u64,
        bytes: u64,
        ttl: SimDuration,
        value: u32,
    ) -> Insert {
        if ttl.is_zero() {
            return Insert::Rejected(Rejection::TtlZero);
        }
        if bytes > MAX_RESPONSE_BYTES {
            return Insert::Rejected(Rejection::OverMaxResponse);
        }
        let size = bytes + self.config.entry_overhead_bytes;
        if size > self.config.capacity.limit() {
            return Insert::Rejected(Rejection::OverCapacity);
        }
        if let Some(i) = self.position(key) {
            self.entries.remove(i);
            self.removals.replaced += 1;
        }
        while self.entries.iter().map(|e| e.3).sum::<u64>() + size > self.config.capacity.limit() {
            let victim = self.entries.remove(0);
            if now >= victim.1 {
                self.removals.expired += 1;
            } else {
                self.removals.evicted += 1;
            }
        }
        self.entries.push((key, now + ttl, ttl, size, value));
        Insert::Stored
    }
}

fn run_ops(config: CacheConfig, ops: &[Op]) -> Result<(), TestCaseError> {
    let mut real: StageCache<u32> = StageCache::new(config);
    let mut model = Model {
        entries: Vec::new(),
        config,
        removals: RemovalCounts::default(),
    };
    let mut now = SimTime::ZERO;
    for (step, op) in ops.iter().enumerate() {
        match *op {
            Op::Get(k) => prop_assert_eq!(
                real.get(now, CacheKey(k)),
                model.get(now, k),
                "step {} {:?}",
                step,
                op
            ),
            Op::Insert {
                key,
                bytes,
                ttl_secs,
                value,
            } => {
                let ttl = SimDuration::from_secs(ttl_secs);
                // A key with no entry is inserted as `Presence::Absent` half the time (it
                // must store and reject exactly as `Presence::Unknown` does).
                let stored = if model.position(key).is_none() && value % 2 == 0 {
                    real.insert(
                        now,
                        NewEntry::new(CacheKey(key), bytes, ttl, value),
                        Presence::Absent,
                    )
                } else {
                    real.insert(
                        now,
                        NewEntry::new(CacheKey(key), bytes, ttl, value),
                        Presence::Unknown,
                    )
                };
                prop_assert_eq!(
                    stored,
                    model.insert(now, key, bytes, ttl, value),
                    "step {} {:?}",
                    step,
                    op
                );
            }
            Op::Invalidate(k) => {
                let had = model.position(k).map(|i| model.entries.remove(i)).is_some();
                if had {
                    model.removals.invalidated += 1;
                }
                prop_assert_eq!(real.invalidate(CacheKey(k)), had);
            }
            Op::Advance(us) => now = now + SimDuration::from_micros(us),
            Op::Flush => {
                model.removals.flushed += model.entries.len() as u64;
                model.entries.clear();
                real.flush();
            }
            Op::Resize(cap) => {
                model.removals.resized += model.entries.len() as u64;
                model.entries.clear();
                model.config.capacity = Capacity::Bytes(cap);
                real.set_capacity(Capacity::Bytes(cap));
            }
        }
        if let Err(e) = real.validate() {
            return Err(TestCaseError::fail(format!("step {step} {op:?}: {e}")));
        }
        let order: Vec<u64> = real.eviction_order().iter().map(|k| k.0).collect();
        let model_order: Vec<u64> = model.entries.iter().map(|e| e.0).collect();
        prop_assert_eq!(
            order,
            model_order,
            "eviction order after step {} {:?}",
            step,
            op
        );
        prop_assert_eq!(real.removals(), model.removals);
        prop_assert_eq!(
            real.used_bytes(),
            model.entries.iter().map(|e| e.3).sum::<u64>()
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn random_operations_keep_invariants_and_match_the_model(
        ops in prop::collection::vec(op(), 1..120),
        sliding in any::<bool>(),
        fifo in any::<bool>(),
        overhead in prop::sample::select(&[0u64, 24][..]),
    ) {
        let config = CacheConfig {
            capacity: Capacity::Bytes(1_000),
            entry_overhead_bytes: overhead,
            ttl_mode: if sliding { TtlMode::Sliding } else { TtlMode::Fixed },
            eviction: if fifo { EvictionPolicy::Fifo } else { EvictionPolicy::Lru },
        };
        run_ops(config, &ops)?;
    }
}

/// A capacity of a billion entries over a thousand keys holds memory for the keys, not
/// for the capacity: past 2^17 entries the cache grows with use.
#[test]
fn a_large_entry_capacity_reserves_only_what_it_uses() {
    let mut c: StageCache<u32> = StageCache::new(CacheConfig {
        capacity: Capacity::Entries(1 << 30),
        entry_overhead_bytes: 0,
        ttl_mode: TtlMode::Fixed,
        eviction: EvictionPolicy::Lru,
    });
    let reserved = |c: &StageCache<u32>| c.slots.capacity() + c.index.slot_count();
    // 2^17 (and one) cold slots, and an index a quarter full at 2^17 keys.
    assert_eq!(reserved(&c), (1 << 17) + 1 + (4 << 17));
    for k in 0..300_000u64 {
        c.insert(
            t(0),
            NewEntry::new(CacheKey(k * 7 + 1), 1, TTL, 1),
            Presence::Unknown,
        );
    }
    assert_eq!(
        c.len(),
        300_000,
        "grown past the reservation, nothing evicted"
    );
    assert_eq!(c.removals().evicted, 0);
    c.validate().unwrap();
}
