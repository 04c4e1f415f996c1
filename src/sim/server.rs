//! Serving one request, whoever sent it: throttling, the gateway's decision, what the
//! recorder counts, and the backend fetch a miss starts: stored at once when the
//! backend answers in no time, else tracked (`fetches.rs`) until it completes or times
//! out. Both the event loop and the back-to-back replay of a lone trace serve through
//! here, so they count alike.

use crate::cache::Presence;
use crate::gateway::{CacheControl, Fetch, Gateway, Response, Route};
use crate::metrics::Recorder;
use crate::scenario::{Scenario, StageAction};
use crate::time::{SimDuration, SimTime};

use super::fetches::{Admission, Fetches, Waiter, Waiting};
use super::rng::{self, Rng};
use super::stored::Stored;
use super::workload::Backend;
use super::{Incoming, Prepared};

/// Which fetches fail: each resource's error rate and backend outages.
struct Failures {
    /// Per resource: the share of fetches answered with an error.
    error_rate: Vec<f64>,
    /// Per resource: the outages of its backend, `[start, end)`.
    outages: Vec<Vec<(SimTime, SimTime)>>,
    /// Whether any backend ever fails (if none, `fails` looks at nothing).
    any: bool,
    rng: Rng,
}

impl Failures {
    fn new(scenario: &Scenario, rng: Rng) -> Failures {
        let n = scenario.resources.len();
        let mut outages = vec![Vec::new(); n];
        for e in &scenario.events {
            if let StageAction::BackendOutage { duration, resource } = e.action {
                let window = (e.at, e.at + duration);
                match resource {
                    Some(r) => outages[r].push(window),
                    None => outages.iter_mut().for_each(|o| o.push(window)),
                }
            }
        }
        let error_rate: Vec<f64> = scenario.resources.iter().map(|r| r.error_rate).collect();
        Failures {
            any: error_rate.iter().any(|&p| p > 0.0) || outages.iter().any(|o| !o.is_empty()),
            error_rate,
            outages,
            rng,
        }
    }

    /// Whether `resource`'s backend answers a fetch it starts at `t` with an error. The
    /// error rate draws from its own stream, and only when it is a choice.
    #[inline(always)]
    fn fails(&mut self, resource: usize, t: SimTime) -> bool {
        if !self.any {
            return false;
        }
        let p = self.error_rate[resource];
        let outages = &self.outages[resource];
        if p == 0.0 && outages.is_empty() {
            return false;
        }
        outages.iter().any(|&(a, b)| t >= a && t < b) || rng::chance(p, &mut self.rng)
    }
}

/// The gateway, its backends and what is measured of them.
pub(super) struct Server {
    pub(super) gateway: Gateway<Stored>,
    pub(super) rec: Recorder,
    backends: Vec<Backend>,
    fetches: Fetches,
    failures: Failures,
    latency_rng: Rng,
    change_rng: Rng,
    /// Whether the backend's error responses are cached.
    cache_errors: bool,
    /// The status of a backend's refusal at its limit.
    overload_status: u16,
    /// Requests served, warm-up included.
    pub(super) requests: u64,
}

/// A fetch that needs the backend, as [`Server::fetch`] takes it.
struct Needed {
    fetch: Option<Fetch>,
    resource: usize,
    key_index: u64,
    size: Option<u64>,
    /// A miss's key, answered at once, has no entry to replace.
    absent: bool,
    /// Who asked.
    source: u32,
}

impl Server {
    pub(super) fn new(
        scenario: &Scenario,
        gateway: Gateway<Stored>,
        rec: Recorder,
        backends: Vec<Backend>,
        seed: u64,
    ) -> Server {
        let fetches = Fetches::new(
            &scenario.backends,
            scenario.resources.iter().map(|r| r.backend).collect(),
            scenario
                .resources
                .iter()
                .map(|r| r.integration_timeout)
                .collect(),
            scenario.coalesce_misses,
            scenario.gateway_latency,
        );
        Server {
            gateway,
            rec,
            backends,
            fetches,
            failures: Failures::new(scenario, rng::stream(seed, rng::Component::Errors, 0)),
            latency_rng: rng::stream(seed, rng::Component::Latency, 0),
            change_rng: rng::stream(seed, rng::Component::Changes, 0),
            cache_errors: scenario.cache_error_responses,
            overload_status: scenario.overload_status,
            requests: 0,
        }
    }

    /// Serves `incoming`, arriving at `t`, with what its sender `prepared`. A fetch left
    /// waiting on the backend is returned with the events it needs, for the caller to
    /// schedule.
    #[inline(always)]
    pub(super) fn serve(
        &mut self,
        t: SimTime,
        incoming: Incoming,
        prepared: Prepared<'_>,
    ) -> Option<Waiting> {
        let Incoming {
            resource,
            principal,
            source,
            max_age_zero,
            ..
        } = incoming;
        let Prepared {
            params,
            path,
            cache_key,
        } = prepared;
        self.requests += 1;
        let measured = self.rec.measured(t);
        if measured {
            self.rec.sent_by(source);
        }
        if !self.gateway.admit(t, resource) {
            if measured {
                self.rec.throttled(t, source);
            }
            return None;
        }
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
        let rec = &mut self.rec;
        if measured && outcome.cache_control != CacheControl::Absent {
            count_cache_control(rec, outcome.cache_control);
        }
        // A hit first: most requests are, and they need nothing else.
        if let Route::Hit {
            value,
            wrong_response,
        } = outcome.route
        {
            if measured {
                if value.is_error() {
                    rec.error_hit(t, source);
                } else {
                    rec.request_hit(t, value.staleness(t), wrong_response);
                    rec.fixed_latency();
                }
            }
            return None;
        }
        self.not_hit(t, outcome.route, incoming, measured)
    }

    /// Serves a request arriving at `t` that the gateway did not answer from the cache
    /// (`route`). Out of line: with it, the hit test in [`Server::serve`] is one
    /// comparison; inlined, the two matches on the route became one jump table, an
    /// indirect branch per request.
    #[inline(never)]
    fn not_hit(
        &mut self,
        t: SimTime,
        route: Route<Stored>,
        incoming: Incoming,
        measured: bool,
    ) -> Option<Waiting> {
        let Incoming {
            resource,
            key_index,
            source,
            size,
            ..
        } = incoming;
        let rec = &mut self.rec;
        let fetch = match route {
            Route::Hit { .. } => return None,
            Route::Forbidden => {
                if measured {
                    rec.request(t);
                    rec.forbidden(t, source);
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
                            let inflight = &mut self.fetches.inflight[slot as usize];
                            let wrong = inflight.fetch.is_some_and(|g| g.response != f.response);
                            inflight.waiters.push(Waiter {
                                arrived: t,
                                wrong,
                                source,
                            });
                        }
                        return None;
                    }
                }
                Some(f)
            }
            Route::Refresh(f) => Some(f),
            Route::Uncached | Route::Unavailable => None,
        };
        let missed = fetch.is_some() || route == Route::Unavailable;
        let needed = Needed {
            fetch,
            resource,
            key_index,
            size,
            absent: matches!(route, Route::Miss(_)),
            source,
        };
        self.fetch(t, needed, missed, measured)
    }

    /// Sends the fetch a request arriving at `t` needs to its backend (a cache miss if
    /// `missed`, else an uncached method).
    #[inline(always)]
    fn fetch(&mut self, t: SimTime, n: Needed, missed: bool, measured: bool) -> Option<Waiting> {
        let admission = self.fetches.admission(n.resource);
        // The asking request, when measured: it waits for the fetch it opens.
        let waiter = measured.then_some(Waiter {
            arrived: t,
            wrong: false,
            source: n.source,
        });
        if admission == Admission::Now {
            let latency = self.backends[n.resource].latency(&mut self.latency_rng);
            let error = self.failures.fails(n.resource, t);
            if latency == SimDuration::ZERO && !error {
                // Answered at once: stored before any later request, even one at the
                // same instant (what a trace replay against a cache simulator expects).
                // Nothing waits for it, so no fetch is tracked; its response took the
                // gateway's latency alone.
                if measured {
                    self.rec.answered_at_once(t, missed);
                }
                if let Some(fetch) = n.fetch {
                    self.store(t, &fetch, n.key_index, n.size, n.absent);
                }
                return None;
            }
            if measured {
                self.rec.request(t);
                if missed {
                    self.rec.miss(t);
                }
                self.rec.backend_wait(SimDuration::ZERO);
            }
            self.rec.fetch_started(t);
            let slot = self
                .fetches
                .open(n.fetch, n.resource, n.key_index, n.size, t, waiter);
            let waiting = self.fetches.serve(slot, t, latency, error);
            if latency == SimDuration::ZERO {
                // An error answered at once.
                return self.done(slot, t);
            }
            return Some(waiting);
        }
        if measured {
            self.rec.request(t);
            if missed {
                self.rec.miss(t);
            }
        }
        if admission == Admission::Refused {
            if measured {
                self.rec.error(t, self.overload_status, n.source);
                self.rec.fixed_latency();
            }
            return None;
        }
        let slot = self
            .fetches
            .open(n.fetch, n.resource, n.key_index, n.size, t, waiter);
        Some(self.fetches.enqueue(slot))
    }

    /// Stores the response of `fetch` (key index `key_index`; `size` if a trace gave it)
    /// arriving at `t`, with the time its data next changes. `absent`: the fetch is a
    /// miss's, answered at once, so its key has no entry to replace.
    #[inline(always)]
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
            value: Stored::ok(next_change),
        };
        self.gateway.complete(t, fetch, response, presence);
    }

    /// Fetch `slot`'s backend answers at `t`: store the response and answer its waiters
    /// (unless the gateway gave up on it at its timeout), then start the next fetch
    /// waiting at that backend, if any: returned with the events it needs.
    #[inline(always)]
    pub(super) fn done(&mut self, slot: u32, t: SimTime) -> Option<Waiting> {
        self.rec.fetch_done();
        let waiting = self.fetches.finish(slot);
        let f = &self.fetches.inflight[slot as usize];
        let (fetch, key_index, size, resource, error) =
            (f.fetch, f.key_index, f.size, f.resource, f.error);
        if waiting {
            if let Some(fetch) = fetch {
                if !error {
                    self.store(t, &fetch, key_index, size, false);
                } else if self.cache_errors {
                    let bytes =
                        size.unwrap_or_else(|| self.backends[resource].response_bytes(key_index));
                    let response = Response {
                        bytes,
                        value: Stored::error(),
                    };
                    self.gateway
                        .complete(t, &fetch, response, Presence::Unknown);
                }
            }
            let gateway_latency = self.fetches.gateway_latency;
            for w in &self.fetches.inflight[slot as usize].waiters {
                if error {
                    self.rec.error(w.arrived, 500, w.source);
                } else {
                    self.rec.served(w.arrived, None);
                    self.rec.counts.wrong_key_responses += u64::from(w.wrong);
                }
                self.rec.latency((t - w.arrived) + gateway_latency);
            }
        }
        self.fetches.release(slot);
        if !self.fetches.bounded {
            // Nothing waits for an unbounded backend.
            return None;
        }
        self.start_queued(resource, t)
    }

    /// The run has ended: requests still waiting for their backend were answered nothing.
    pub(super) fn end(&mut self) {
        for w in self.fetches.unanswered() {
            self.rec.unanswered(w.source);
        }
    }

    /// Fetch `slot`'s integration timeout has come at `t`: its waiters get a 504 if its
    /// answer has not come.
    pub(super) fn timeout(&mut self, slot: u32, t: SimTime) {
        let f = &self.fetches.inflight[slot as usize];
        if self.fetches.is_queued(slot) && self.rec.measured(f.started) {
            // Withdrawn after waiting all this time.
            self.rec.backend_wait(t - f.started);
        }
        if self.fetches.expire(slot) {
            let gateway_latency = self.fetches.gateway_latency;
            for w in &self.fetches.inflight[slot as usize].waiters {
                self.rec.error(w.arrived, 504, w.source);
                self.rec.latency((t - w.arrived) + gateway_latency);
            }
        }
        self.fetches.release(slot);
    }

    /// Starts the next fetch waiting at `resource`'s backend, if it has room.
    fn start_queued(&mut self, resource: usize, t: SimTime) -> Option<Waiting> {
        let slot = self.fetches.next_queued(resource)?;
        let f = &self.fetches.inflight[slot as usize];
        let (resource, started) = (f.resource, f.started);
        if self.rec.measured(started) {
            self.rec.backend_wait(t - started);
        }
        let latency = self.backends[resource].latency(&mut self.latency_rng);
        let error = self.failures.fails(resource, t);
        self.rec.fetch_started(t);
        Some(self.fetches.serve(slot, t, latency, error))
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
