//! How often each key is requested, in bounded memory: counted exactly while the
//! distinct keys fit in `capacity`, then by batched Misra-Gries (when the table is full
//! the median count is taken from every key and the keys left at zero dropped), which
//! keeps every key requested more than `total / capacity` times with its count at most
//! `pruned` short. The number of distinct keys comes from the table while exact, else
//! from a HyperLogLog sketch (2^12 registers: a standard error of 1.6%).

use hashbrown::HashMap;

/// A key's count and where its text is.
#[derive(Debug, Clone, Copy)]
struct Entry {
    count: u64,
    at: u32,
    len: u32,
}

/// Key counts of one resource.
#[derive(Debug, Clone)]
pub struct KeyCounts {
    map: HashMap<u64, Entry>,
    text: String,
    capacity: usize,
    /// Taken from every count so far: a count is at most this much under the truth.
    pruned: u64,
    total: u64,
    hll: Hll,
}

/// Counted keys, most requested first.
#[derive(Debug, Clone, PartialEq)]
pub struct Counted {
    /// `(key, count)`, counts descending (ties by key).
    pub keys: Vec<(String, u64)>,
    /// Whether the counts are exact.
    pub exact: bool,
    /// How far under the truth a count may be (0 when exact).
    pub error: u64,
    /// Distinct keys (estimated when not exact).
    pub distinct: u64,
    /// Requests counted.
    pub total: u64,
}

impl KeyCounts {
    /// Exact for up to `capacity` distinct keys (at least 2).
    pub fn new(capacity: usize) -> KeyCounts {
        KeyCounts {
            map: HashMap::new(),
            text: String::new(),
            capacity: capacity.max(2),
            pruned: 0,
            total: 0,
            hll: Hll::default(),
        }
    }

    /// Counts one request for `key`.
    pub fn add(&mut self, key: &str) {
        let h = crate::trace::hash_text(key.as_bytes());
        self.total += 1;
        self.hll.add(h);
        if let Some(e) = self.map.get_mut(&h) {
            e.count += 1;
            return;
        }
        if self.map.len() >= self.capacity {
            self.prune();
        }
        let at = self.text.len() as u32;
        self.text.push_str(key);
        self.map.insert(
            h,
            Entry {
                count: 1,
                at,
                len: key.len() as u32,
            },
        );
    }

    /// Takes the median count from every key, drops those left at zero, and compacts
    /// the text.
    fn prune(&mut self) {
        let mut counts: Vec<u64> = self.map.values().map(|e| e.count).collect();
        let mid = counts.len() / 2;
        let median = *counts.select_nth_unstable(mid).1;
        let mut text = String::with_capacity(self.text.len() / 2);
        let old = std::mem::take(&mut self.text);
        self.map.retain(|_, e| {
            if e.count <= median {
                return false;
            }
            e.count -= median;
            let at = text.len() as u32;
            text.push_str(&old[e.at as usize..(e.at + e.len) as usize]);
            e.at = at;
            true
        });
        self.text = text;
        self.pruned += median;
    }

    /// The counts, most requested first.
    pub fn counted(&self) -> Counted {
        let mut keys: Vec<(String, u64)> = self
            .map
            .values()
            .map(|e| {
                (
                    self.text[e.at as usize..(e.at + e.len) as usize].to_owned(),
                    e.count,
                )
            })
            .collect();
        keys.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let exact = self.pruned == 0;
        Counted {
            distinct: if exact {
                keys.len() as u64
            } else {
                self.hll.estimate().max(keys.len() as u64)
            },
            keys,
            exact,
            error: self.pruned,
            total: self.total,
        }
    }
}

/// A HyperLogLog sketch of 2^12 registers (Flajolet et al. 2007, with the small-range
/// correction).
#[derive(Debug, Clone)]
struct Hll {
    registers: Vec<u8>,
}

const HLL_BITS: u32 = 12;

impl Default for Hll {
    fn default() -> Self {
        Hll {
            registers: vec![0; 1 << HLL_BITS],
        }
    }
}

impl Hll {
    fn add(&mut self, h: u64) {
        // FNV's bits are uneven: mix them (splitmix64's finaliser).
        let mut x = h;
        x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        x ^= x >> 31;
        let index = (x >> (64 - HLL_BITS)) as usize;
        let rank = ((x << HLL_BITS) | (1 << (HLL_BITS - 1))).leading_zeros() as u8 + 1;
        self.registers[index] = self.registers[index].max(rank);
    }

    fn estimate(&self) -> u64 {
        let m = self.registers.len() as f64;
        let sum: f64 = self
            .registers
            .iter()
            .map(|&r| 2f64.powi(-i32::from(r)))
            .sum();
        let alpha = 0.7213 / (1.0 + 1.079 / m);
        let raw = alpha * m * m / sum;
        let zeros = self.registers.iter().filter(|&&r| r == 0).count();
        let e = if raw <= 2.5 * m && zeros > 0 {
            m * (m / zeros as f64).ln()
        } else {
            raw
        };
        e.round() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_exact_while_the_keys_fit() {
        let mut k = KeyCounts::new(100);
        for i in 0..1_000u64 {
            k.add(&format!("pets/{}", i % 10));
            if i % 100 == 0 {
                k.add("pets/hot");
            }
        }
        let c = k.counted();
        assert!(c.exact && c.error == 0);
        assert_eq!(c.distinct, 11);
        assert_eq!(c.total, 1_010);
        assert_eq!(c.keys[0], ("pets/0".into(), 100));
        assert_eq!(c.keys[10], ("pets/hot".into(), 10));
    }

    #[test]
    fn past_capacity_heavy_keys_keep_counts_within_the_error() {
        // 200,000 requests: 20 heavy keys of 2,000 each, and 160,000 keys seen once.
        let mut k = KeyCounts::new(1_000);
        let mut n = 0u64;
        for i in 0..160_000u64 {
            k.add(&format!("cold/{i}"));
            if i % 4 == 0 {
                let heavy = (i / 4) % 20;
                if n < 40_000 {
                    k.add(&format!("hot/{heavy}"));
                    n += 1;
                }
            }
        }
        let c = k.counted();
        assert!(!c.exact && c.error > 0);
        let hot: Vec<_> = c
            .keys
            .iter()
            .filter(|(k, _)| k.starts_with("hot/"))
            .collect();
        assert_eq!(hot.len(), 20, "every heavy key is kept");
        for (key, count) in hot {
            assert!(
                *count <= 2_000 && count + c.error >= 2_000,
                "{key}: {count}, error {}",
                c.error
            );
        }
        // Distinct keys estimated within 5% (3 standard errors).
        let truth = 160_020.0;
        assert!(
            (c.distinct as f64 - truth).abs() < 0.05 * truth,
            "{} distinct",
            c.distinct
        );
    }
}
