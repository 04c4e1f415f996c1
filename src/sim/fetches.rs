//! Backend fetches in flight, and the backends serving them as systems with limits:
//! each backend serves at most its concurrency of fetches at once; beyond that a fetch
//! waits first come first served (`queue`) or is refused (`reject`). A fetch the
//! gateway has waited on for its resource's integration timeout is answered 504: still
//! waiting for a slot, it is withdrawn (the backend never starts it); being served, the
//! backend finishes it but its late answer is dropped, not stored.
//!
//! A fetch lives in a slot from its start to the last event naming it: its completion
//! (`Done`) and, when it can outlast the timeout, its timeout (`Timeout`). Slots are
//! reused, so memory follows the fetches in flight, not the run's length.

use std::collections::VecDeque;

use hashbrown::HashMap;

use crate::cache::{CacheKey, IdentityBuild};
use crate::gateway::Fetch;
use crate::scenario::{BackendModel, Overload};
use crate::time::{SimDuration, SimTime};

/// Where a fetch is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Phase {
    /// Waiting for a slot at its backend.
    #[default]
    Queued,
    /// Being served.
    Serving,
    /// The backend has answered (or it was withdrawn from the queue).
    Finished,
}

/// A request waiting for a fetch's answer (measured requests only).
#[derive(Debug, Clone, Copy)]
pub(super) struct Waiter {
    /// When it arrived.
    pub(super) arrived: SimTime,
    /// Whether the fetch's response is another request's (it differs in a parameter the
    /// response depends on but the key leaves out): coalesced onto another's fetch.
    pub(super) wrong: bool,
    /// Who sent it.
    pub(super) source: u32,
}

/// One backend fetch.
#[derive(Debug, Default)]
pub(super) struct InFlight {
    /// What to store on arrival; `None` for an uncached method or while the cache is
    /// being provisioned.
    pub(super) fetch: Option<Fetch>,
    pub(super) resource: usize,
    pub(super) key_index: u64,
    /// The response size a trace gave, else the backend's.
    pub(super) size: Option<u64>,
    /// When the first request for it arrived.
    pub(super) started: SimTime,
    /// The requests waiting for it.
    pub(super) waiters: Vec<Waiter>,
    phase: Phase,
    /// Its clients have been answered (by the backend, or 504 at the timeout).
    pub(super) answered: bool,
    /// A `Timeout` event for it is still queued.
    timeout_pending: bool,
    /// The backend answers with an error.
    pub(super) error: bool,
}

/// A backend's state.
#[derive(Debug)]
struct Pool {
    limit: u64,
    busy: u64,
    overload: Overload,
    /// Fetches waiting for a slot, oldest first (withdrawn ones are skipped).
    queue: VecDeque<u32>,
}

/// What became of a fetch that needs the backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Admission {
    /// The backend starts it now.
    Now,
    /// It waits for a slot.
    Queued,
    /// The backend is at its limit and refuses it.
    Refused,
}

/// Events a fetch needs: its completion and its timeout, when due. The timeout is
/// scheduled first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Waiting {
    /// The fetch's slot.
    pub(super) slot: u32,
    /// When the backend answers, if it has started.
    pub(super) done: Option<SimTime>,
    /// When the gateway stops waiting, if the answer can come later than that.
    pub(super) timeout: Option<SimTime>,
}

/// Every fetch in flight and every backend.
pub(super) struct Fetches {
    pub(super) inflight: Vec<InFlight>,
    free: Vec<u32>,
    /// With coalescing: the fetch in flight for a key.
    pub(super) pending: HashMap<CacheKey, u32, IdentityBuild>,
    pub(super) coalesce: bool,
    pub(super) gateway_latency: SimDuration,
    pools: Vec<Pool>,
    /// Whether any backend has a concurrency limit (if none, every fetch starts at once
    /// and admission looks at nothing).
    pub(super) bounded: bool,
    /// Per resource: its backend.
    pool_of: Vec<usize>,
    /// Per resource: its integration timeout.
    timeout: Vec<SimDuration>,
}

impl Fetches {
    pub(super) fn new(
        backends: &[BackendModel],
        pool_of: Vec<usize>,
        timeout: Vec<SimDuration>,
        coalesce: bool,
        gateway_latency: SimDuration,
    ) -> Fetches {
        Fetches {
            inflight: Vec::new(),
            free: Vec::new(),
            pending: HashMap::default(),
            coalesce,
            gateway_latency,
            bounded: backends.iter().any(|b| b.concurrency.is_some()),
            pools: backends
                .iter()
                .map(|b| Pool {
                    limit: b.concurrency.unwrap_or(u64::MAX),
                    busy: 0,
                    overload: b.overload,
                    queue: VecDeque::new(),
                })
                .collect(),
            pool_of,
            timeout,
        }
    }

    /// Whether `resource`'s backend can start a fetch now, will queue it, or refuses it.
    #[inline(always)]
    pub(super) fn admission(&self, resource: usize) -> Admission {
        if !self.bounded {
            return Admission::Now;
        }
        let pool = &self.pools[self.pool_of[resource]];
        if pool.busy < pool.limit {
            Admission::Now
        } else if pool.overload == Overload::Queue {
            Admission::Queued
        } else {
            Admission::Refused
        }
    }

    /// The measured requests still waiting for a fetch's answer.
    pub(super) fn unanswered(&self) -> impl Iterator<Item = &Waiter> {
        self.inflight
            .iter()
            .filter(|f| !f.answered)
            .flat_map(|f| f.waiters.iter())
    }

    /// Takes a slot for a fetch of `resource` first asked for at `t` (by a measured
    /// request when `waiter` is given).
    #[inline(always)]
    pub(super) fn open(
        &mut self,
        fetch: Option<Fetch>,
        resource: usize,
        key_index: u64,
        size: Option<u64>,
        t: SimTime,
        waiter: Option<Waiter>,
    ) -> u32 {
        let slot = self.free.pop().unwrap_or_else(|| {
            self.inflight.push(InFlight::default());
            (self.inflight.len() - 1) as u32
        });
        let f = &mut self.inflight[slot as usize];
        f.fetch = fetch;
        f.resource = resource;
        f.key_index = key_index;
        f.size = size;
        f.started = t;
        f.waiters.clear();
        if let Some(w) = waiter {
            f.waiters.push(w);
        }
        f.phase = Phase::Queued;
        f.answered = false;
        f.timeout_pending = false;
        f.error = false;
        if let (true, Some(fetch)) = (self.coalesce, fetch) {
            self.pending.entry(fetch.key).or_insert(slot);
        }
        slot
    }

    /// The backend starts serving `slot` at `t`, answering (with an error if `error`)
    /// after `latency`: the events it needs.
    #[inline(always)]
    pub(super) fn serve(
        &mut self,
        slot: u32,
        t: SimTime,
        latency: SimDuration,
        error: bool,
    ) -> Waiting {
        let f = &mut self.inflight[slot as usize];
        let timeout = self.timeout[f.resource];
        let was_queued = f.timeout_pending;
        f.phase = Phase::Serving;
        f.error = error;
        // Only a bounded backend's slots are counted: an unbounded one always has room.
        if self.bounded {
            self.pools[self.pool_of[f.resource]].busy += 1;
        }
        let deadline = f.started + timeout;
        // An answer must come before the deadline: at it, the gateway has given up (the
        // timeout is scheduled before the completion, so it fires first at equal times).
        let late = t + latency >= deadline;
        // A queued fetch's timeout is already scheduled.
        let timeout = (late && !was_queued).then_some(deadline);
        f.timeout_pending |= timeout.is_some();
        Waiting {
            slot,
            done: Some(t + latency),
            timeout,
        }
    }

    /// Puts `slot` at the back of its backend's queue: the timeout it needs.
    pub(super) fn enqueue(&mut self, slot: u32) -> Waiting {
        let f = &mut self.inflight[slot as usize];
        f.timeout_pending = true;
        let deadline = f.started + self.timeout[f.resource];
        self.pools[self.pool_of[f.resource]].queue.push_back(slot);
        Waiting {
            slot,
            done: None,
            timeout: Some(deadline),
        }
    }

    /// The backend has answered `slot`; frees its place at the backend. Whether its
    /// clients are still waiting for that answer (not answered 504 already).
    #[inline(always)]
    pub(super) fn finish(&mut self, slot: u32) -> bool {
        let f = &mut self.inflight[slot as usize];
        f.phase = Phase::Finished;
        if self.bounded {
            self.pools[self.pool_of[f.resource]].busy -= 1;
        }
        let answer = !f.answered;
        f.answered = true;
        if let (true, Some(fetch)) = (self.coalesce, f.fetch) {
            if self.pending.get(&fetch.key) == Some(&slot) {
                self.pending.remove(&fetch.key);
            }
        }
        answer
    }

    /// Whether `slot` is still waiting for a place at its backend (and not withdrawn).
    pub(super) fn is_queued(&self, slot: u32) -> bool {
        let f = &self.inflight[slot as usize];
        f.phase == Phase::Queued && !f.answered
    }

    /// `slot`'s timeout has come: whether its clients were still waiting (they get a
    /// 504). A queued fetch is withdrawn.
    pub(super) fn expire(&mut self, slot: u32) -> bool {
        let f = &mut self.inflight[slot as usize];
        f.timeout_pending = false;
        if f.answered {
            return false;
        }
        f.answered = true;
        if let (true, Some(fetch)) = (self.coalesce, f.fetch) {
            if self.pending.get(&fetch.key) == Some(&slot) {
                self.pending.remove(&fetch.key);
            }
        }
        true
    }

    /// Frees `slot` if nothing will name it again: finished with no timeout queued.
    /// A withdrawn fetch is freed when its backend's queue reaches it.
    pub(super) fn release(&mut self, slot: u32) {
        let f = &self.inflight[slot as usize];
        if f.phase == Phase::Finished && !f.timeout_pending {
            self.free.push(slot);
        }
    }

    /// The next fetch waiting at `resource`'s backend, if it has room: withdrawn ones
    /// (answered at their timeout) are dropped on the way.
    pub(super) fn next_queued(&mut self, resource: usize) -> Option<u32> {
        let pool = &mut self.pools[self.pool_of[resource]];
        if pool.busy >= pool.limit {
            return None;
        }
        while let Some(slot) = pool.queue.pop_front() {
            let f = &mut self.inflight[slot as usize];
            if f.answered {
                f.phase = Phase::Finished;
                self.free.push(slot);
                continue;
            }
            return Some(slot);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fetches(concurrency: u64, overload: Overload) -> Fetches {
        Fetches::new(
            &[BackendModel {
                name: "b".into(),
                concurrency: Some(concurrency),
                overload,
            }],
            vec![0],
            vec![SimDuration::from_secs(1)],
            false,
            SimDuration::ZERO,
        )
    }

    fn at(ms: u64) -> SimTime {
        SimTime::ZERO + SimDuration::from_millis(ms)
    }

    fn waiter(ms: u64) -> Waiter {
        Waiter {
            arrived: at(ms),
            wrong: false,
            source: 0,
        }
    }

    #[test]
    fn a_full_backend_queues_or_refuses_and_frees_its_place_when_done() {
        let mut f = fetches(1, Overload::Queue);
        assert_eq!(f.admission(0), Admission::Now);
        let a = f.open(None, 0, 0, None, at(0), Some(waiter(0)));
        let w = f.serve(a, at(0), SimDuration::from_millis(100), false);
        assert_eq!((w.done, w.timeout), (Some(at(100)), None));
        assert_eq!(f.admission(0), Admission::Queued);
        let b = f.open(None, 0, 1, None, at(10), Some(waiter(10)));
        assert_eq!(f.enqueue(b).timeout, Some(at(1_010)));
        assert_eq!(f.next_queued(0), None, "no room yet");
        assert_eq!(f.unanswered().count(), 2, "both clients wait");
        assert!(f.finish(a), "its client was waiting");
        assert_eq!(
            f.unanswered().map(|w| w.arrived).collect::<Vec<_>>(),
            [at(10)]
        );
        f.release(a);
        assert_eq!(f.next_queued(0), Some(b));
        assert_eq!(fetches(1, Overload::Reject).admission(0), Admission::Now);
        let mut r = fetches(1, Overload::Reject);
        let s = r.open(None, 0, 0, None, at(0), None);
        r.serve(s, at(0), SimDuration::from_millis(5), false);
        assert_eq!(r.admission(0), Admission::Refused);
    }

    #[test]
    fn a_late_answer_is_timed_out_and_dropped_and_its_slot_outlives_both_events() {
        let mut f = fetches(4, Overload::Queue);
        let a = f.open(None, 0, 0, None, at(0), Some(waiter(0)));
        let w = f.serve(a, at(0), SimDuration::from_millis(1_500), false);
        assert_eq!((w.done, w.timeout), (Some(at(1_500)), Some(at(1_000))));
        assert!(f.expire(a), "504 at the timeout");
        f.release(a);
        assert!(f.free.is_empty(), "still being served");
        assert!(!f.finish(a), "the late answer reaches no one");
        f.release(a);
        assert_eq!(f.free, [a]);
    }

    #[test]
    fn a_fetch_still_queued_at_its_timeout_is_withdrawn_and_never_served() {
        let mut f = fetches(1, Overload::Queue);
        let a = f.open(None, 0, 0, None, at(0), None);
        let w = f.serve(a, at(0), SimDuration::from_millis(1_500), false);
        assert_eq!(w.timeout, Some(at(1_000)));
        let b = f.open(None, 0, 1, None, at(0), None);
        f.enqueue(b);
        // At 1 s both time out: `a` is being served, `b` still waits.
        assert!(f.is_queued(b) && !f.is_queued(a));
        assert!(f.expire(a) && f.expire(b));
        f.release(a);
        f.release(b);
        assert!(
            f.free.is_empty(),
            "`a` is still served, `b` still in the queue"
        );
        let c = f.open(None, 0, 2, None, at(1_200), None);
        f.enqueue(c);
        assert!(!f.finish(a), "its client had its 504");
        f.release(a);
        assert_eq!(f.next_queued(0), Some(c), "the withdrawn fetch is skipped");
        assert!(f.free.contains(&a) && f.free.contains(&b));
    }
}
