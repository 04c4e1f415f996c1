//! Serving one request, whoever sent it: the gateway's decision, what the recorder
//! counts, and the backend fetch a miss starts — stored at once when the backend answers
//! in no time, else tracked until its completion event. Both the event loop and the
//! back-to-back replay of a lone trace serve through here, so they count alike.

use hashbrown::HashMap;

use crate::cache::{CacheKey, IdentityBuild, Presence};
use crate::gateway::{CacheControl, Fetch, Gateway, Response, Route};
use crate::metrics::Recorder;
use crate::time::{SimDuration, SimTime};

use super::rng::Rng;
use super::workload::Backend;
use super::{Incoming, Prepared, Waiting};

/// The gateway, its backends and what is measured of them.
pub(super) struct Server {
    pub(super) gateway: Gateway<SimTime>,
    pub(super) rec: Recorder,
    backends: Vec<Backend>,
    fetches: Fetches,
    latency_rng: Rng,
    change_rng: Rng,
    /// Requests served, warm-up included.
    pub(super) requests: u64,
}

impl Server {
    pub(super) fn new(
        gateway: Gateway<SimTime>,
        rec: Recorder,
        backends: Vec<Backend>,
        coalesce: bool,
        gateway_latency: SimDuration,
        latency_rng: Rng,
        change_rng: Rng,
    ) -> Server {
        Server {
            gateway,
            rec,
            backends,
            fetches: Fetches {
                inflight: Vec::new(),
                free: Vec::new(),
                pending: HashMap::default(),
                coalesce,
                gateway_latency,
            },
            latency_rng,
            change_rng,
            requests: 0,
        }
    }

    /// Serves `incoming`, arriving at `t`, with what its sender `prepared`. A fetch the
    /// backend answers later is returned as `(when, fetch slot)`, for the caller to
    /// schedule its completion.
    #[inline(always)]
    pub(super) fn serve(
        &mut self,
        t: SimTime,
        incoming: Incoming,
        prepared: Prepared<'_>,
    ) -> Option<Waiting> {
        let Incoming {
            resource,
            key_index,
            principal,
            max_age_zero,
            size,
        } = incoming;
        let Prepared {
            params,
            path,
            cache_key,
        } = prepared;
        self.requests += 1;
        let rec = &mut self.rec;
        let measured = rec.measured(t);
        let req = crate::gateway::Request {
            now: t,
            principal,
            resource,
            params,
            path,
            max_age_zero,
            key: cache_key,
        };
        let outcome = self.gateway.decide(&req);
        if measured && outcome.cache_control != CacheControl::Absent {
            count_cache_control(rec, outcome.cache_control);
        }
        // A hit first: most requests are, and they need nothing else.
        if let Route::Hit {
            value: next_change,
            wrong_response,
        } = outcome.route
        {
            if measured {
                let stale = (t >= next_change).then(|| t - next_change);
                rec.request_hit(t, stale, wrong_response);
                rec.fixed_latency();
            }
            return None;
        }
        // A miss's key has no entry, until something stores one.
        let absent = matches!(outcome.route, Route::Miss(_));
        let fetch = match outcome.route {
            Route::Hit { .. } => return None,
            Route::Forbidden => {
                if measured {
                    rec.request(t);
                    rec.forbidden(t);
                    rec.fixed_latency();
                }
                return None;
            }
            Route::Miss(f) => {
                if self.fetches.coalesce {
                    if let Some(&slot) = self.fetches.pending.get(&f.key) {
                        if measured {
                            rec.request(t);
                            rec.miss(t);
                            self.fetches.inflight[slot as usize].waiters.push(t);
                        }
                        return None;
                    }
                }
                Some(f)
            }
            Route::Refresh(f) => Some(f),
            Route::Uncached => None,
        };
        let latency = self.backends[resource].latency(&mut self.latency_rng);
        if latency == SimDuration::ZERO {
            // Answered at once: stored before any later request, even one at the same
            // instant (what a trace replay against a cache simulator expects). Nothing
            // waits for it, so no fetch is tracked; its response took the gateway's
            // latency alone.
            if measured {
                rec.answered_at_once(t, fetch.is_some());
            }
            if let Some(fetch) = fetch {
                self.store(t, &fetch, key_index, size, absent);
            }
            return None;
        }
        if measured {
            rec.request(t);
            if fetch.is_some() {
                rec.miss(t);
            }
        }
        rec.fetch_started(t);
        let slot = self
            .fetches
            .start(fetch, key_index, size, measured.then_some(t));
        Some(Waiting {
            at: t + latency,
            slot,
        })
    }

    /// Stores the response of `fetch` (key index `key_index`; `size` if a trace gave it)
    /// arriving at `t`, with the time its data next changes. `absent`: the fetch is a
    /// miss's, answered at once, so its key has no entry to replace.
    #[inline]
    fn store(
        &mut self,
        t: SimTime,
        fetch: &Fetch,
        key_index: u64,
        size: Option<u64>,
        absent: bool,
    ) {
        let backend = &self.backends[fetch.resource as usize];
        let next_change = backend.next_change(t, &mut self.change_rng);
        let bytes = size.unwrap_or_else(|| backend.response_bytes(key_index));
        let presence = if absent {
            Presence::Absent
        } else {
            Presence::Unknown
        };
        let response = Response {
            bytes,
            value: next_change,
        };
        self.gateway.complete(t, fetch, response, presence);
    }

    /// Fetch `slot` responds at `t`: store the response, serve its waiters.
    pub(super) fn done(&mut self, slot: u32, t: SimTime) {
        self.rec.fetch_done();
        let f = &self.fetches.inflight[slot as usize];
        let (fetch, key_index, size) = (f.fetch, f.key_index, f.size);
        if let Some(fetch) = fetch {
            self.store(t, &fetch, key_index, size, false);
            let fetches = &mut self.fetches;
            if fetches.coalesce && fetches.pending.get(&fetch.key) == Some(&slot) {
                fetches.pending.remove(&fetch.key);
            }
        }
        let f = &self.fetches.inflight[slot as usize];
        for &arrived in &f.waiters {
            self.rec.served(arrived, None);
            self.rec
                .latency((t - arrived) + self.fetches.gateway_latency);
        }
        self.fetches.free.push(slot);
    }
}

/// Counts what became of a request's `Cache-Control: max-age=0` (out of line: most
/// requests carry none).
#[inline(never)]
fn count_cache_control(rec: &mut Recorder, cache_control: CacheControl) {
    match cache_control {
        CacheControl::Honored => rec.counts.invalidations_honored += 1,
        CacheControl::IgnoredWithWarning => {
            rec.counts.invalidations_ignored += 1;
            rec.counts.warning_headers += 1;
        }
        CacheControl::IgnoredSilently => rec.counts.invalidations_ignored += 1,
        CacheControl::Rejected | CacheControl::Absent | CacheControl::NotCached => {}
    }
}

/// One backend fetch in flight.
#[derive(Default)]
struct InFlight {
    /// What to store on arrival; `None` for an uncached method.
    fetch: Option<Fetch>,
    key_index: u64,
    /// The response size a trace gave, else the backend's.
    size: Option<u64>,
    /// Arrival times of the measured requests waiting for it.
    waiters: Vec<SimTime>,
}

/// Backend fetches in flight.
struct Fetches {
    inflight: Vec<InFlight>,
    free: Vec<u32>,
    /// With coalescing: the fetch in flight for a key.
    pending: HashMap<CacheKey, u32, IdentityBuild>,
    coalesce: bool,
    gateway_latency: SimDuration,
}

impl Fetches {
    /// Starts a fetch for a request that arrived at `waiter` (when measured); its slot.
    #[inline]
    fn start(
        &mut self,
        fetch: Option<Fetch>,
        key_index: u64,
        size: Option<u64>,
        waiter: Option<SimTime>,
    ) -> u32 {
        let slot = self.free.pop().unwrap_or_else(|| {
            self.inflight.push(InFlight::default());
            (self.inflight.len() - 1) as u32
        });
        let f = &mut self.inflight[slot as usize];
        f.fetch = fetch;
        f.key_index = key_index;
        f.size = size;
        f.waiters.clear();
        f.waiters.extend(waiter);
        if let (true, Some(fetch)) = (self.coalesce, fetch) {
            self.pending.entry(fetch.key).or_insert(slot);
        }
        slot
    }
}
