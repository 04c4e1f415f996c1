//! Request throttling as API Gateway does it: token buckets, a token a request
//! ("Throttle requests to your REST APIs", developer guide). Each method has a bucket
//! when the stage's `*/*` entry or its own sets `throttlingRateLimit` /
//! `throttlingBurstLimit` (an unset one of the two takes the account's value); the
//! account has one per Region (10,000 requests/s, burst 5,000 unless raised). A request
//! is checked against its method's bucket, then the account's (the guide's order); the
//! first empty bucket answers 429 before the cache is consulted, and a token already
//! taken from the method's bucket is not given back (AWS does not say; assumed).
//!
//! Buckets count in integers (a token is 10^9 units, refilled `rate × 1000` units a
//! microsecond), so admissions are exact: constant arrivals above the rate admit
//! exactly `burst + ⌊rate × t⌋` (±1 for an arrival on the refill's boundary) in `[0, t]`.

use crate::time::SimTime;

/// Units of a token.
const TOKEN: u64 = 1_000_000_000;

/// Largest rate and burst a bucket takes (so its arithmetic cannot overflow).
pub const MAX_LIMIT: f64 = 1e9;

/// A bucket's limits: `throttlingRateLimit` (requests a second, steady state) and
/// `throttlingBurstLimit` (the bucket's size).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Tokens added a second.
    pub rate: f64,
    /// Tokens the bucket holds at most.
    pub burst: u64,
}

impl Limits {
    /// API Gateway's default account-level limits per Region.
    pub const ACCOUNT_DEFAULT: Limits = Limits {
        rate: 10_000.0,
        burst: 5_000,
    };
}

/// A token bucket, full at time zero.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    /// Units held.
    level: u64,
    /// Units held at most.
    capacity: u64,
    /// Units added a microsecond.
    refill: u64,
    /// When `level` was last brought up to date.
    at: SimTime,
}

impl TokenBucket {
    /// A full bucket with `limits` (clamped to [`MAX_LIMIT`]; a negative or NaN rate
    /// refills nothing).
    pub fn new(limits: Limits) -> TokenBucket {
        let rate = if limits.rate.is_nan() {
            0.0
        } else {
            limits.rate.clamp(0.0, MAX_LIMIT)
        };
        let capacity = limits.burst.min(MAX_LIMIT as u64) * TOKEN;
        TokenBucket {
            level: capacity,
            capacity,
            refill: (rate * 1_000.0).round() as u64,
            at: SimTime::ZERO,
        }
    }

    /// Takes a token for a request at `now` (not before the last one), if there is one.
    #[inline]
    pub fn admit(&mut self, now: SimTime) -> bool {
        if now > self.at {
            let elapsed = (now - self.at).as_micros();
            self.level = self
                .level
                .saturating_add(elapsed.saturating_mul(self.refill))
                .min(self.capacity);
            self.at = now;
        }
        if self.level >= TOKEN {
            self.level -= TOKEN;
            true
        } else {
            false
        }
    }
}

/// Every bucket of a stage: the account's, and each method's that has one.
#[derive(Debug, Clone)]
pub(super) struct Throttle {
    account: TokenBucket,
    /// Per resource, its method's bucket.
    methods: Vec<Option<TokenBucket>>,
}

impl Throttle {
    pub(super) fn new(account: Limits, methods: Vec<Option<Limits>>) -> Throttle {
        Throttle {
            account: TokenBucket::new(account),
            methods: methods
                .into_iter()
                .map(|m| m.map(TokenBucket::new))
                .collect(),
        }
    }

    /// Whether a request to `resource` at `now` gets through: its method's bucket, then
    /// the account's.
    #[inline]
    pub(super) fn admit(&mut self, now: SimTime, resource: usize) -> bool {
        if let Some(Some(bucket)) = self.methods.get_mut(resource) {
            if !bucket.admit(now) {
                return false;
            }
        }
        self.account.admit(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::SimDuration;

    /// Admissions of constant arrivals at `rate` a second for `secs` seconds.
    fn admitted(limits: Limits, rate: u64, secs: u64) -> u64 {
        let mut bucket = TokenBucket::new(limits);
        let gap = 1_000_000 / rate;
        (0..rate * secs)
            .filter(|i| bucket.admit(SimTime::from_micros(i * gap)))
            .count() as u64
    }

    #[test]
    fn constant_arrivals_above_the_rate_admit_burst_plus_rate_times_t() {
        for (limits, arrivals, secs) in [
            (
                Limits {
                    rate: 100.0,
                    burst: 50,
                },
                1_000,
                10,
            ),
            (
                Limits {
                    rate: 10_000.0,
                    burst: 5_000,
                },
                20_000,
                3,
            ),
            (
                Limits {
                    rate: 2.5,
                    burst: 1,
                },
                100,
                20,
            ),
            (
                Limits {
                    rate: 7.0,
                    burst: 1,
                },
                1_000,
                5,
            ),
        ] {
            let n = admitted(limits, arrivals, secs);
            // Arrivals fill [0, secs): the last at secs - gap.
            let t = (arrivals * secs - 1) as f64 / arrivals as f64;
            let expected = limits.burst as f64 + (limits.rate * t).floor();
            assert!(
                (n as f64 - expected).abs() <= 1.0,
                "{limits:?} at {arrivals}/s for {secs}s admitted {n}, expected {expected}"
            );
        }
    }

    #[test]
    fn arrivals_under_the_rate_are_all_admitted_and_the_burst_refills() {
        assert_eq!(
            admitted(
                Limits {
                    rate: 100.0,
                    burst: 5
                },
                50,
                10
            ),
            500
        );
        let mut b = TokenBucket::new(Limits {
            rate: 1.0,
            burst: 3,
        });
        let at = |s: u64| SimTime::ZERO + SimDuration::from_secs(s);
        assert!((0..3).all(|_| b.admit(at(0))), "the burst at once");
        assert!(!b.admit(at(0)), "then empty");
        assert!(b.admit(at(1)) && !b.admit(at(1)), "one token a second");
        assert!(
            (0..3).all(|_| b.admit(at(100))) && !b.admit(at(100)),
            "never above the burst"
        );
    }

    #[test]
    fn a_zero_burst_or_zero_rate_bucket_admits_what_it_holds_and_no_more() {
        let mut none = TokenBucket::new(Limits {
            rate: 1_000.0,
            burst: 0,
        });
        assert!(!(0..1_000).any(|i| none.admit(SimTime::from_micros(i * 1_000))));
        let mut once = TokenBucket::new(Limits {
            rate: 0.0,
            burst: 2,
        });
        let admitted = (0..100)
            .filter(|i| once.admit(SimTime::from_micros(i * 1_000_000)))
            .count();
        assert_eq!(admitted, 2);
    }

    #[test]
    fn the_method_bucket_is_checked_first_and_keeps_the_token_the_account_refuses() {
        let mut t = Throttle::new(
            Limits {
                rate: 0.0,
                burst: 1,
            },
            vec![
                Some(Limits {
                    rate: 0.0,
                    burst: 2,
                }),
                None,
            ],
        );
        let now = SimTime::ZERO;
        assert!(t.admit(now, 0), "both have a token");
        assert!(
            !t.admit(now, 0),
            "the account is empty; the method's token is spent"
        );
        assert!(!t.admit(now, 0), "the method is empty too");
        assert!(
            !t.admit(now, 1),
            "a method without a bucket meets the account's"
        );
    }
}
