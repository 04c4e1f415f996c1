//! What the stage cache holds for a response in a run: when the data it was read from
//! next changes (to tell a stale response), and whether it is an error response. One
//! word, so the cache's hot bucket stays as small as before errors existed.

use crate::time::SimTime;

/// The top bit marks an error response; the rest is a time in microseconds.
const ERROR: u64 = 1 << 63;

/// A cached response's payload in a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stored(u64);

impl Stored {
    /// A successful response whose data next changes at `next_change` (times past
    /// 2^63 µs, 292,000 years, read as never).
    #[inline(always)]
    pub fn ok(next_change: SimTime) -> Stored {
        Stored(next_change.as_micros().min(ERROR - 1))
    }

    /// An error response: never stale, an error whenever served.
    #[inline(always)]
    pub fn error() -> Stored {
        Stored(u64::MAX)
    }

    /// Whether it is an error response.
    #[inline(always)]
    pub fn is_error(self) -> bool {
        self.0 & ERROR != 0
    }

    /// How stale it is when served at `t`: `None` while its data has not changed.
    #[inline(always)]
    pub fn staleness(self, t: SimTime) -> Option<crate::time::SimDuration> {
        let next_change = SimTime::from_micros(self.0 & (ERROR - 1));
        (t >= next_change).then(|| t - next_change)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::SimDuration;

    #[test]
    fn errors_are_never_stale_and_times_read_back() {
        let at = SimTime::from_micros(5_000_000);
        let ok = Stored::ok(at);
        assert!(!ok.is_error());
        assert_eq!(ok.staleness(SimTime::from_micros(4_999_999)), None);
        assert_eq!(
            ok.staleness(at),
            Some(SimDuration::ZERO),
            "stale from the change on"
        );
        assert_eq!(
            ok.staleness(SimTime::from_micros(7_000_000)),
            Some(SimDuration::from_secs(2))
        );
        assert!(Stored::error().is_error());
        assert_eq!(
            Stored::error().staleness(SimTime::from_micros(u64::MAX >> 2)),
            None
        );
        let never = Stored::ok(SimTime::MAX);
        assert!(
            !never.is_error()
                && never
                    .staleness(SimTime::from_micros(u64::MAX >> 2))
                    .is_none()
        );
    }
}
