//! The [`RankHeap`]: the eviction order's lazy priority queue of `(rank, key)` records,
//! a radix heap (see `eviction.rs` for the ranking rules it serves).

/// A lazy monotone priority queue of entries by rank.
///
/// Each live entry has one current record `(rank, key)`; the entry itself remembers the
/// rank of its current record (its "queued" rank), so a record that surfaces is checked
/// with one lookup of its entry: gone or re-queued since (queued rank differs) means
/// stale; a rank that grew since (hits) means re-queue at the current rank.
///
/// Victims come out in non-decreasing rank order and every record pushed ranks at least
/// as high as the last victim (new entries take the newest stamp; a re-queued record
/// takes its entry's current, higher rank), so a radix heap fits. A record sits at the
/// level named by the highest bit in which its rank differs from the last minimum (the
/// floor), and moves to a lower level only when its bucket becomes the lowest.
///
/// Level 0 holds the ranks that differ from the floor in their low 14 bits only. Ranks
/// are distinct (each is the stamp of one insert or hit of one key, and a record is made
/// at a rank only once), so level 0 is a plain array of keys by those 14 bits with a
/// three-tier bitmap:
/// no bucket to grow, and the lowest record is three bit scans away. Above it, levels of
/// 256 buckets by the next byte of difference. A cache whose least recently used entry
/// was used fewer than 2^22 (4 million) stamps ago therefore moves each record once, from
/// level 1 into level 0 (the alternatives measured are in `docs/performance.md`).
///
/// With 1,792 buckets above level 0, most empty at any time, allocations need care: a
/// bucket grown from nothing by doubling each time it is first used kept runs
/// allocating (the allocation test caught it), so a bucket used for the first time
/// takes the allocation of one its level has emptied, or starts at its neighbour's size.
#[derive(Debug, Clone)]
pub struct RankHeap<K> {
    /// Level 0: the key of the record of each rank in the floor's block of
    /// [`LOW_RANKS`] ranks, by the rank's low bits (valid where `low` says).
    level0: Box<[K; LOW_RANKS]>,
    /// Which level-0 places hold a record.
    low: LowBits,
    /// Levels 1 and up, [`DIGITS`] buckets each, level-major (index `(level - 1) ×
    /// DIGITS + digit`).
    buckets: Box<[Vec<(u64, K)>; UPPER * DIGITS]>,
    /// Per level above 0, which of its buckets hold records.
    filled: [[u64; DIGITS / 64]; UPPER],
    /// Bit `l` set when level `l + 1` holds a record.
    levels: u8,
    /// Per level above 0, allocations of emptied buckets, for buckets used for the
    /// first time.
    spare: [Vec<Vec<(u64, K)>>; UPPER],
    /// The last minimum found; every record ranks at least this.
    floor: u64,
    /// The level-0 place up to which records have been prefetched, if any since level 0
    /// was last refilled.
    prefetched: Option<usize>,
    live: usize,
    records: usize,
}

/// How many level-0 records ahead of the one being checked are prefetched. Prefetching
/// a whole redistributed bucket at once (thousands of records, three lines each) overran
/// the CPU's outstanding-miss capacity and left the first checks waiting anyway.
const PREFETCH_AHEAD: usize = 8;

/// Bits of a rank that name its level-0 place, and the places.
const LOW_BITS: usize = 14;
const LOW_RANKS: usize = 1 << LOW_BITS;
/// Bits of a digit above level 0, and the buckets of a level.
const DIGIT_BITS: usize = 8;
const DIGITS: usize = 1 << DIGIT_BITS;
/// Levels above level 0: enough digits for the rest of 64 bits.
const UPPER: usize = (64 - LOW_BITS).div_ceil(DIGIT_BITS);

/// Which of [`LOW_RANKS`] places are taken: a bit per place, a bit per non-zero word of
/// those, and a bit per non-zero word of that.
#[derive(Debug, Clone)]
struct LowBits {
    places: Box<[u64; LOW_RANKS / 64]>,
    words: [u64; LOW_RANKS / 64 / 64],
    top: u64,
}

impl LowBits {
    fn new() -> LowBits {
        LowBits {
            places: Box::new([0; LOW_RANKS / 64]),
            words: [0; LOW_RANKS / 64 / 64],
            top: 0,
        }
    }

    #[inline]
    fn contains(&self, p: usize) -> bool {
        self.places[p / 64 % (LOW_RANKS / 64)] & (1 << (p % 64)) != 0
    }

    #[inline]
    fn insert(&mut self, p: usize) {
        let w = p / 64 % (LOW_RANKS / 64);
        self.places[w] |= 1 << (p % 64);
        self.words[w / 64 % (LOW_RANKS / 4096)] |= 1 << (w % 64);
        self.top |= 1 << (w / 64);
    }

    #[inline]
    fn remove(&mut self, p: usize) {
        let w = p / 64 % (LOW_RANKS / 64);
        self.places[w] &= !(1 << (p % 64));
        if self.places[w] == 0 {
            let m = w / 64 % (LOW_RANKS / 4096);
            self.words[m] &= !(1 << (w % 64));
            if self.words[m] == 0 {
                self.top &= !(1 << m);
            }
        }
    }

    fn is_empty(&self) -> bool {
        self.top == 0
    }

    /// The lowest taken place.
    #[inline]
    fn first(&self) -> Option<usize> {
        let m = self.top.trailing_zeros() as usize;
        let w = m * 64 + self.words.get(m)?.trailing_zeros() as usize;
        Some(w * 64 + self.places.get(w)?.trailing_zeros() as usize)
    }

    /// The first taken place at or after `from`.
    #[inline]
    fn first_from(&self, from: usize) -> Option<usize> {
        let w = from / 64;
        let bits = *self.places.get(w)? & (!0u64 << (from % 64));
        if bits != 0 {
            return Some(w * 64 + bits.trailing_zeros() as usize);
        }
        // The next non-zero word: in this word's group, else in a later group.
        let m = w / 64;
        let later = self.words[m] & (!0u64).checked_shl(w as u32 % 64 + 1).unwrap_or(0);
        let w = if later != 0 {
            m * 64 + later.trailing_zeros() as usize
        } else {
            let groups = self.top & (!0u64).checked_shl(m as u32 + 1).unwrap_or(0);
            let m = groups.trailing_zeros() as usize;
            m * 64 + self.words.get(m)?.trailing_zeros() as usize
        };
        let bits = *self.places.get(w)?;
        Some(w * 64 + bits.trailing_zeros() as usize)
    }

    /// Every taken place, lowest first.
    fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.places
            .iter()
            .enumerate()
            .filter(|&(_, &bits)| bits != 0)
            .flat_map(|(w, &bits)| set_bits(bits).map(move |b| w * 64 + b))
    }

    /// Whether the summaries agree with the places.
    fn consistent(&self) -> bool {
        let mut words = [0u64; LOW_RANKS / 4096];
        for (w, &bits) in self.places.iter().enumerate() {
            if bits != 0 {
                words[w / 64] |= 1 << (w % 64);
            }
        }
        let top = words
            .iter()
            .enumerate()
            .filter(|&(_, &m)| m != 0)
            .fold(0u64, |t, (m, _)| t | 1 << m);
        words == self.words && top == self.top
    }
}

impl<K: Copy + Default> Default for RankHeap<K> {
    fn default() -> Self {
        RankHeap {
            // Built on the heap rather than on the stack and moved there (128 KiB).
            level0: vec![K::default(); LOW_RANKS]
                .into_boxed_slice()
                .try_into()
                .unwrap_or_else(|_| unreachable!("the vector has LOW_RANKS keys")),
            low: LowBits::new(),
            buckets: Box::new(std::array::from_fn(|_| Vec::new())),
            filled: [[0; DIGITS / 64]; UPPER],
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

/// The positions of the bits set in `bits`, lowest first.
fn set_bits(mut bits: u64) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        let b = (bits != 0).then(|| bits.trailing_zeros() as usize)?;
        bits &= bits - 1;
        Some(b)
    })
}

/// Where `rank` goes for `floor`: `(0, place)` in level 0, or `(level, digit)` above.
#[inline]
fn place(rank: u64, floor: u64) -> (usize, usize) {
    let differs = (rank ^ floor) >> LOW_BITS;
    if differs == 0 {
        return (0, rank as usize % LOW_RANKS);
    }
    let level = 1 + (63 - differs.leading_zeros()) as usize / DIGIT_BITS;
    let shift = LOW_BITS + DIGIT_BITS * (level - 1);
    (level, (rank >> shift) as usize % DIGITS)
}

impl<K: Copy + Default + Eq + std::hash::Hash + std::fmt::Debug> RankHeap<K> {
    /// The bucket `digit` of `level` (1 or more).
    #[inline]
    fn bucket_mut(&mut self, level: usize, digit: usize) -> &mut Vec<(u64, K)> {
        &mut self.buckets[((level - 1) * DIGITS + digit) % (UPPER * DIGITS)]
    }

    #[inline]
    fn mark(&mut self, level: usize, digit: usize) {
        let l = (level - 1) % UPPER;
        self.filled[l][digit / 64 % (DIGITS / 64)] |= 1 << (digit % 64);
        self.levels |= 1 << l;
    }

    #[inline]
    fn unmark(&mut self, level: usize, digit: usize) {
        let l = (level - 1) % UPPER;
        let word = &mut self.filled[l][digit / 64 % (DIGITS / 64)];
        *word &= !(1 << (digit % 64));
        // Test the word just written first: reading all four at once right after the
        // store defeats store-to-load forwarding.
        if *word == 0 && self.filled[l].iter().all(|&w| w == 0) {
            self.levels &= !(1 << l);
        }
    }

    /// The lowest level above 0 that holds records, and its lowest such digit.
    #[inline]
    fn lowest_above(&self) -> Option<(usize, usize)> {
        if self.levels == 0 {
            return None;
        }
        let l = self.levels.trailing_zeros() as usize % UPPER;
        let words = &self.filled[l];
        let w = words.iter().position(|&w| w != 0)?;
        Some((l + 1, w * 64 + words[w].trailing_zeros() as usize))
    }

    /// The levels above 0 and their digits that hold records (the buckets in use), by
    /// a copy of the marks, so the caller may change the heap meanwhile.
    fn filled_buckets(&self) -> impl Iterator<Item = (usize, usize)> + use<K> {
        let filled = self.filled;
        (1..=UPPER).flat_map(move |level| {
            filled[level - 1]
                .into_iter()
                .enumerate()
                .flat_map(move |(w, bits)| set_bits(bits).map(move |b| (level, w * 64 + b)))
        })
    }

    #[inline(always)]
    fn push(&mut self, rank: u64, key: K) {
        debug_assert!(
            rank >= self.floor,
            "ranks pushed must not be below the last minimum"
        );
        let (level, digit) = place(rank, self.floor);
        self.put(level, digit, rank, key);
        self.records += 1;
    }

    /// Adds a record at its level and place, provisioning a bucket used for the first
    /// time.
    #[inline(always)]
    fn put(&mut self, level: usize, digit: usize, rank: u64, key: K) {
        if level == 0 {
            debug_assert!(
                !self.low.contains(digit),
                "two records of rank {rank}: ranks must be distinct"
            );
            self.level0[digit % LOW_RANKS] = key;
            self.low.insert(digit);
            return;
        }
        if self.bucket_mut(level, digit).capacity() == 0 {
            self.provision(level, digit);
        }
        self.bucket_mut(level, digit).push((rank, key));
        self.mark(level, digit);
    }

    /// Gives bucket `(level, digit)`, about to be used for the first time, an
    /// allocation: one left by an emptied bucket of its level if there is one (as the
    /// floor advances, each level's buckets are used in turn and emptied in turn), else
    /// one the size of its neighbour below, which spanned as many ranks.
    #[cold]
    fn provision(&mut self, level: usize, digit: usize) {
        if let Some(v) = self.spare[(level - 1) % UPPER].pop() {
            *self.bucket_mut(level, digit) = v;
        } else if digit > 0 {
            let hint = self.bucket_mut(level, digit - 1).capacity();
            self.bucket_mut(level, digit).reserve_exact(hint);
        }
    }

    /// Hands the allocation of an emptied bucket to the next bucket of its level used
    /// for the first time.
    fn release(&mut self, level: usize, digit: usize) {
        let emptied = std::mem::take(self.bucket_mut(level, digit));
        self.recycle(level, emptied);
    }

    /// Keeps a bucket's allocation, emptied, for the next bucket of `level` used for the
    /// first time.
    fn recycle(&mut self, level: usize, mut emptied: Vec<(u64, K)>) {
        emptied.clear();
        if emptied.capacity() > 0 {
            self.spare[(level - 1) % UPPER].push(emptied);
        }
    }

    /// The level-0 place of the lowest record. If level 0 is empty, the lowest bucket's
    /// records are redistributed around their minimum, the new floor.
    #[inline]
    fn front(&mut self) -> Option<usize> {
        loop {
            if !self.low.is_empty() {
                return self.low.first();
            }
            let (level, digit) = self.lowest_above()?;
            let moved = std::mem::take(self.bucket_mut(level, digit));
            self.unmark(level, digit);
            self.floor = moved.iter().map(|r| r.0).min().unwrap_or(self.floor);
            self.prefetched = None;
            for &(rank, key) in &moved {
                let (l, d) = place(rank, self.floor);
                self.put(l, d, rank, key);
            }
            self.recycle(level, moved);
        }
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

    /// The rank of the record at level-0 place `p`.
    #[inline]
    fn low_rank(&self, p: usize) -> u64 {
        (self.floor & !(LOW_RANKS as u64 - 1)) | p as u64
    }

    /// Drops every record `is_current(rank, key)` rejects.
    pub fn compact(&mut self, is_current: impl Fn(u64, K) -> bool) {
        let mut records = 0;
        for w in 0..LOW_RANKS / 64 {
            let mut bits = self.low.places[w];
            while bits != 0 {
                let p = w * 64 + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                if is_current(self.low_rank(p), self.level0[p % LOW_RANKS]) {
                    records += 1;
                } else {
                    self.low.remove(p);
                }
            }
        }
        for (level, digit) in self.filled_buckets() {
            let bucket = self.bucket_mut(level, digit);
            bucket.retain(|&(r, k)| is_current(r, k));
            records += bucket.len();
            if bucket.is_empty() {
                self.unmark(level, digit);
                self.release(level, digit);
            }
        }
        self.records = records;
        self.prefetched = None;
    }

    /// The live entry with the lowest rank. `entries.check(rank, key)` looks a surfacing
    /// record's entry up: `None` when the record is stale (the entry is gone, or its
    /// queued rank is not `rank`); otherwise it sets the entry's queued rank to its
    /// current rank and returns that. The victim's record leaves the heap: the caller
    /// removes the entry (or inserts it again).
    pub fn victim(&mut self, entries: &mut impl Entries<K>) -> Option<K> {
        while let Some(p) = self.front() {
            let key = self.level0[p % LOW_RANKS];
            let rank = self.low_rank(p);
            self.low.remove(p);
            self.prefetch_ahead(p, entries);
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

    /// Keeps the [`PREFETCH_AHEAD`] level-0 records after place `p` (the one being
    /// checked) prefetched: one more per check, or all of them after a refill.
    #[inline]
    fn prefetch_ahead(&mut self, p: usize, entries: &impl Entries<K>) {
        let (mut from, mut steps) = match self.prefetched {
            Some(q) if q > p => (q + 1, 1),
            _ => (p + 1, PREFETCH_AHEAD),
        };
        while steps > 0 {
            let Some(next) = self.low.first_from(from) else {
                return;
            };
            entries.prefetch(self.level0[next % LOW_RANKS]);
            self.prefetched = Some(next);
            from = next + 1;
            steps -= 1;
        }
    }

    /// Forgets every entry.
    pub fn clear(&mut self) {
        for (level, digit) in self.filled_buckets() {
            self.bucket_mut(level, digit).clear();
            self.release(level, digit);
        }
        self.low = LowBits::new();
        self.filled = [[0; DIGITS / 64]; UPPER];
        self.levels = 0;
        self.floor = 0;
        self.prefetched = None;
        self.live = 0;
        self.records = 0;
    }

    /// Every record in a marked place, level 0 first.
    fn all_records(&self) -> Vec<(u64, K)> {
        let level0 = self.low.iter().map(|p| (self.low_rank(p), self.level0[p]));
        let above = self
            .filled_buckets()
            .flat_map(|(l, d)| self.buckets[(l - 1) * DIGITS + d].iter().copied());
        level0.chain(above).collect()
    }

    /// Checks that every live entry, given as `(key, queued rank, current rank)`, has
    /// exactly one record at its queued rank, not above its current rank, that records
    /// sit in their places with distinct ranks, and that the marks and counters agree.
    /// Reads only the marked buckets: one unmarked but not empty would hold records the
    /// count finds missing.
    pub fn validate(&self, live: &[(K, u64, u64)]) -> Result<(), String> {
        if live.len() != self.live {
            return Err(format!(
                "{} live entries, heap counts {}",
                live.len(),
                self.live
            ));
        }
        if !self.low.consistent() {
            return Err("the level-0 summaries do not agree with its places".to_string());
        }
        for l in 0..UPPER {
            if self.filled[l].iter().any(|&w| w != 0) != (self.levels & (1 << l) != 0) {
                return Err(format!("the level mask disagrees about level {}", l + 1));
            }
        }
        for (level, digit) in self.filled_buckets() {
            let bucket = &self.buckets[(level - 1) * DIGITS + digit];
            if bucket.is_empty() {
                return Err(format!(
                    "bucket {digit} of level {level} is marked but empty"
                ));
            }
            if let Some(&(r, _)) = bucket
                .iter()
                .find(|&&(r, _)| r < self.floor || place(r, self.floor) != (level, digit))
            {
                return Err(format!(
                    "rank {r} misplaced in bucket {digit} of level {level} (floor {})",
                    self.floor
                ));
            }
        }
        let all = self.all_records();
        if all.len() != self.records {
            return Err(format!(
                "{} records in marked places, counter says {}",
                all.len(),
                self.records
            ));
        }
        let mut records: std::collections::HashMap<u64, K> = std::collections::HashMap::new();
        for (r, k) in all {
            if let Some(other) = records.insert(r, k) {
                return Err(format!("two records of rank {r}: {other:?} and {k:?}"));
            }
        }
        for &(key, queued, rank) in live {
            if queued > rank {
                return Err(format!(
                    "{key:?} queued at rank {queued} above its rank {rank}"
                ));
            }
            if records.get(&queued) != Some(&key) {
                return Err(format!("{key:?} has no record at its queued rank {queued}"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
