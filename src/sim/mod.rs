//! The discrete-event simulator: one run of one scenario configuration for one
//! replication. Clients' arrivals, backend completions and stage events go through one
//! [`queue::EventQueue`]; each request goes through the real [`Gateway`] decision; misses
//! become backend fetches that store their response when they complete. A run is a pure
//! function of (scenario, replication): no wall clock, no shared state, every random
//! draw from a stream of its own ([`rng`]). Memory is bounded by live cache entries and
//! in-flight fetches.

pub mod alias;
pub mod queue;
pub mod rng;
pub mod workload;

use std::collections::VecDeque;

use hashbrown::HashMap;

use crate::cache::{CacheKey, IdentityBuild};
use crate::gateway::{CacheControl, Fetch, Gateway, GatewayError, Request, Route};
use crate::metrics::Recorder;
use crate::scenario::{ClientModel, ResourceModel, Scenario, StageAction};
use crate::time::{SimDuration, SimTime};
use crate::trace::{MaxAgeZero, TraceError, TraceRequest, TraceSource};
use queue::{Event, EventQueue};
use rng::{Component, Rng, unit_open0};
use workload::{Arrivals, Backend, KeySampler, param_values};

/// What a run measured.
#[derive(Debug, Clone)]
pub struct RunOutput {
    /// The replication's number.
    pub replication: u32,
    /// The replication's seed (derived from the scenario's).
    pub seed: u64,
    /// Everything recorded after warm-up.
    pub recorder: Recorder,
    /// Entries evicted for capacity after warm-up.
    pub evictions: u64,
    /// Entries found expired after warm-up.
    pub expirations: u64,
    /// Requests simulated, warm-up included.
    pub simulated_requests: u64,
}

/// Why a run could not be made.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The gateway could not be built from the scenario.
    #[error("setting up the gateway: {0}")]
    Gateway(#[from] GatewayError),
    /// A trace could not be read, or had too many bad records.
    #[error(transparent)]
    Trace(#[from] TraceError),
}

/// How many records a trace is read ahead of its replay. Each record's cache slot is
/// prefetched when it is read, so its memory has arrived by the time it is served; 16
/// records cover a DRAM access at the replay's speed with room to spare.
const READ_AHEAD: usize = 16;

/// A replayed trace: its reader, the records read ahead (in a ring, read into in place)
/// with their arrival times, and its `max-age=0` share's stream.
struct TraceState {
    source: Box<dyn TraceSource>,
    /// `READ_AHEAD + 1` records: up to `READ_AHEAD` waiting, and the one being served,
    /// which a top-up never overwrites.
    ring: Vec<TraceRequest>,
    at: Vec<SimTime>,
    /// The next record to serve, and how many wait.
    head: usize,
    len: usize,
    /// The trace has ended (or passed the end of the run).
    done: bool,
    start: SimTime,
    max_age_zero: f64,
    max_age_rng: Rng,
}

impl TraceState {
    /// Reads until [`READ_AHEAD`] records wait (or the trace ends, or passes `end`),
    /// prefetching each one's cache slot (on a cache large enough to need it).
    fn fill(
        &mut self,
        end: SimTime,
        gateway: &Gateway<SimTime>,
        resources: &[ResourceModel],
        params: &mut Vec<u64>,
    ) -> Result<(), TraceError> {
        while !self.done && self.len < READ_AHEAD {
            let i = (self.head + self.len) % self.ring.len();
            let r = &mut self.ring[i];
            if !self.source.next(r)? {
                self.done = true;
                break;
            }
            let at = self.start + r.at;
            if at >= end {
                self.done = true;
                break;
            }
            if gateway.worth_prefetching() {
                trace_params(&resources[r.resource as usize], r, params);
                gateway.prefetch(r.resource as usize, params);
            }
            self.at[i] = at;
            self.len += 1;
        }
        Ok(())
    }

    /// The arrival time of the next record to serve.
    fn next_at(&self) -> Option<SimTime> {
        (self.len > 0).then(|| self.at[self.head])
    }

    /// Takes the next record to serve: its place in the ring, valid until the next
    /// [`TraceState::take`].
    fn take(&mut self) -> Option<usize> {
        if self.len == 0 {
            return None;
        }
        let i = self.head;
        self.head = (self.head + 1) % self.ring.len();
        self.len -= 1;
        Some(i)
    }
}

/// The parameter values of a trace record: the trace's own, else derived from its key.
#[inline]
fn trace_params(resource: &ResourceModel, r: &TraceRequest, out: &mut Vec<u64>) {
    match &r.params {
        Some(values) => {
            out.clear();
            let n = resource.param_values.len();
            out.extend_from_slice(&values[..n.min(values.len())]);
        }
        None => param_values(resource, r.key, out),
    }
}

/// One request, whoever sent it.
#[derive(Clone, Copy)]
struct Incoming {
    resource: usize,
    key: u64,
    principal: usize,
    max_age_zero: bool,
    size: Option<u64>,
}

/// How many requests a client draws ahead of its arrivals. Each request's cache slot is
/// prefetched when it is drawn, so with a large cache its memory has arrived by the time
/// the request is served. Drawing ahead changes no result: every choice comes from the
/// client's own streams, in arrival order either way.
const DRAW_AHEAD: usize = 8;

/// A request drawn ahead of its arrival.
#[derive(Clone, Copy)]
struct Drawn {
    resource: usize,
    key: u64,
    max_age_zero: bool,
}

/// A client's streams and state.
struct ClientState {
    arrivals: Arrivals,
    arrival_rng: Rng,
    mix_rng: Rng,
    key_rng: Rng,
    max_age_rng: Rng,
    /// Cumulative mix shares with their resource index.
    mix: Vec<(f64, usize)>,
    /// Its next requests, drawn ahead.
    ahead: VecDeque<Drawn>,
}

impl ClientState {
    /// Its next request: the first drawn ahead, else a new draw.
    #[inline(always)]
    fn next_request(&mut self, model: &ClientModel, samplers: &[KeySampler]) -> Drawn {
        match self.ahead.pop_front() {
            Some(d) => d,
            None => self.draw(model, samplers),
        }
    }

    /// Draws one request. Each choice draws from a stream of its own, and only when it
    /// is a choice, so every configuration of a replication sees the same requests.
    #[inline(always)]
    fn draw(&mut self, model: &ClientModel, samplers: &[KeySampler]) -> Drawn {
        let resource = match self.mix.as_slice() {
            [(_, only)] => *only,
            mix => {
                let u = unit_open0(&mut self.mix_rng);
                mix.iter()
                    .find(|(cum, _)| u <= *cum)
                    .or(mix.last())
                    .map_or(0, |&(_, r)| r)
            }
        };
        Drawn {
            resource,
            key: samplers[resource].sample(&mut self.key_rng),
            max_age_zero: rng::chance(model.max_age_zero, &mut self.max_age_rng),
        }
    }

    /// Draws requests until [`DRAW_AHEAD`] wait, prefetching each one's cache slot. Only
    /// worth it on a large cache: on a small one, requests are drawn as they arrive.
    fn top_up(
        &mut self,
        model: &ClientModel,
        samplers: &[KeySampler],
        resources: &[ResourceModel],
        gateway: &Gateway<SimTime>,
        params: &mut Vec<u64>,
    ) {
        while self.ahead.len() < DRAW_AHEAD {
            let d = self.draw(model, samplers);
            param_values(&resources[d.resource], d.key, params);
            gateway.prefetch(d.resource, params);
            self.ahead.push_back(d);
        }
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

/// Runs `scenario` for `replication`, calling `progress` with the simulated time now and
/// then.
pub fn run(
    scenario: &Scenario,
    replication: u32,
    progress: &mut dyn FnMut(SimTime),
) -> Result<RunOutput, SimError> {
    let seed = rng::replication_seed(scenario.seed, replication);
    let mut gateway: Gateway<SimTime> = Gateway::new(&scenario.gateway, &scenario.principals)?;
    let warmup = SimTime::ZERO + scenario.warmup;
    let end = scenario.end();
    let mut rec = Recorder::new(warmup, end, scenario.window, scenario.gateway_latency);
    let mut queue = EventQueue::new();

    let samplers: Vec<KeySampler> = scenario.resources.iter().map(KeySampler::new).collect();
    let mut params: Vec<u64> = Vec::with_capacity(8);
    let mut clients: Vec<ClientState> = Vec::with_capacity(scenario.clients.len());
    for (i, c) in scenario.clients.iter().enumerate() {
        let mut state = ClientState {
            arrivals: Arrivals::new(c),
            arrival_rng: rng::stream(seed, Component::Arrivals, i as u64),
            mix_rng: rng::stream(seed, Component::Mix, i as u64),
            key_rng: rng::stream(seed, Component::Keys, i as u64),
            max_age_rng: rng::stream(seed, Component::MaxAge, i as u64),
            mix: c
                .mix
                .iter()
                .scan(0.0, |acc, &(r, share)| {
                    *acc += share;
                    Some((*acc, r))
                })
                .collect(),
            ahead: VecDeque::with_capacity(DRAW_AHEAD),
        };
        let first = c.start + state.arrivals.gap(&mut state.arrival_rng);
        if first < c.stop && first < end {
            queue.push(first, Event::Arrival(i as u32));
        }
        clients.push(state);
    }
    for (i, e) in scenario.events.iter().enumerate() {
        queue.push(e.at, Event::Stage(i as u32));
    }
    let mut traces: Vec<TraceState> = Vec::with_capacity(scenario.traces.len());
    for (i, model) in scenario.traces.iter().enumerate() {
        let mut state = TraceState {
            source: crate::trace::open(model)?,
            ring: vec![TraceRequest::default(); READ_AHEAD + 1],
            at: vec![SimTime::ZERO; READ_AHEAD + 1],
            head: 0,
            len: 0,
            done: false,
            start: model.start,
            max_age_zero: match model.max_age_zero {
                MaxAgeZero::Share(p) => p,
                MaxAgeZero::Field(_) => 0.0,
            },
            max_age_rng: rng::stream(seed, Component::TraceMaxAge, i as u64),
        };
        state.fill(end, &gateway, &scenario.resources, &mut params)?;
        if let Some(at) = state.next_at() {
            queue.push(at, Event::Trace(i as u32));
        }
        traces.push(state);
    }
    let backends: Vec<Backend> = scenario
        .resources
        .iter()
        .enumerate()
        .map(|(i, r)| Backend::new(r, i, seed))
        .collect();
    let mut latency_rng = rng::stream(seed, Component::Latency, 0);
    let mut change_rng = rng::stream(seed, Component::Changes, 0);
    let mut fetches = Fetches {
        inflight: Vec::new(),
        free: Vec::new(),
        pending: HashMap::default(),
        coalesce: scenario.coalesce_misses,
        gateway_latency: scenario.gateway_latency,
    };
    let mut removals_at_warmup = None;
    let mut simulated_requests = 0u64;
    let mut steps = 0u64;

    while let Some((t, event)) = queue.peek() {
        if t >= end {
            break;
        }
        // An arrival or a trace record replaces itself with its source's next one (or
        // leaves); every other event leaves the queue now.
        if !matches!(event, Event::Arrival(_) | Event::Trace(_)) {
            queue.remove_top();
        }
        if removals_at_warmup.is_none() && t >= warmup {
            removals_at_warmup = Some(gateway.removals());
        }
        steps += 1;
        if steps & 0xFFFF == 0 {
            progress(t);
        }
        let incoming = match event {
            Event::Arrival(ci) => {
                let c = &mut clients[ci as usize];
                let model = &scenario.clients[ci as usize];
                let next = t + c.arrivals.gap(&mut c.arrival_rng);
                if next < model.stop && next < end {
                    queue.replace_top(next, Event::Arrival(ci));
                } else {
                    queue.remove_top();
                }
                let Drawn {
                    resource,
                    key,
                    max_age_zero,
                } = c.next_request(model, &samplers);
                if gateway.worth_prefetching() {
                    c.top_up(model, &samplers, &scenario.resources, &gateway, &mut params);
                }
                param_values(&scenario.resources[resource], key, &mut params);
                Incoming {
                    resource,
                    key,
                    principal: model.principal,
                    max_age_zero,
                    size: None,
                }
            }
            Event::Trace(ti) => {
                let tr = &mut traces[ti as usize];
                let Some(i) = tr.take() else {
                    queue.remove_top();
                    continue;
                };
                let max_age_zero = tr.ring[i]
                    .max_age_zero
                    .unwrap_or_else(|| rng::chance(tr.max_age_zero, &mut tr.max_age_rng));
                tr.fill(end, &gateway, &scenario.resources, &mut params)?;
                match tr.next_at() {
                    Some(at) => queue.replace_top(at, Event::Trace(ti)),
                    None => queue.remove_top(),
                }
                let r = &tr.ring[i];
                let resource = r.resource as usize;
                trace_params(&scenario.resources[resource], r, &mut params);
                Incoming {
                    resource,
                    key: r.key,
                    principal: r.principal as usize,
                    max_age_zero,
                    size: r.size,
                }
            }
            Event::Done(slot) => {
                fetches.done(slot, t, &mut gateway, &backends, &mut rec, &mut change_rng);
                continue;
            }
            Event::Stage(i) => {
                match scenario.events[i as usize].action {
                    StageAction::Flush => gateway.flush(),
                    StageAction::SetCapacity { bytes, .. } => gateway.set_capacity(bytes),
                }
                continue;
            }
        };
        let Incoming {
            resource,
            key: k,
            principal,
            max_age_zero,
            size,
        } = incoming;
        simulated_requests += 1;
        let measured = rec.measured(t);
        let outcome = gateway.decide(&Request {
            now: t,
            principal,
            resource,
            params: &params,
            max_age_zero,
        });
        if measured {
            if !matches!(outcome.route, Route::Hit { .. }) {
                rec.request(t);
            }
            match outcome.cache_control {
                CacheControl::Honored => rec.counts.invalidations_honored += 1,
                CacheControl::IgnoredWithWarning => {
                    rec.counts.invalidations_ignored += 1;
                    rec.counts.warning_headers += 1;
                }
                CacheControl::IgnoredSilently => rec.counts.invalidations_ignored += 1,
                CacheControl::Rejected | CacheControl::Absent | CacheControl::NotCached => {}
            }
        }
        let fetch = match outcome.route {
            Route::Hit {
                value: next_change,
                wrong_response,
            } => {
                if measured {
                    let stale = (t >= next_change).then(|| t - next_change);
                    rec.request_hit(t, stale, wrong_response);
                    rec.fixed_latency();
                }
                continue;
            }
            Route::Forbidden => {
                if measured {
                    rec.forbidden(t);
                    rec.fixed_latency();
                }
                continue;
            }
            Route::Miss(f) => {
                if measured {
                    rec.miss(t);
                }
                if fetches.coalesce {
                    if let Some(&slot) = fetches.pending.get(&f.key) {
                        if measured {
                            fetches.inflight[slot as usize].waiters.push(t);
                        }
                        continue;
                    }
                }
                Some(f)
            }
            Route::Refresh(f) => {
                if measured {
                    rec.miss(t);
                }
                Some(f)
            }
            Route::Uncached => None,
        };
        rec.fetch_started(t);
        let latency = backends[resource].latency(&mut latency_rng);
        if latency == SimDuration::ZERO {
            // Answered at once: stored before any later request, even one at the same
            // instant (what a trace replay against a cache simulator expects). Nothing
            // waits for it, so no fetch is tracked; its response took the gateway's
            // latency alone.
            rec.fetch_done();
            if let Some(fetch) = fetch {
                store(t, &fetch, k, size, &mut gateway, &backends, &mut change_rng);
            }
            if measured {
                rec.served(t, None);
                rec.fixed_latency();
            }
            continue;
        }
        let slot = fetches.start(fetch, k, size, measured.then_some(t));
        queue.push(t + latency, Event::Done(slot));
    }
    progress(end);
    let start = removals_at_warmup.unwrap_or_default();
    let now = gateway.removals();
    Ok(RunOutput {
        replication,
        seed,
        recorder: rec,
        evictions: now.evicted - start.evicted,
        expirations: now.expired - start.expired,
        simulated_requests,
    })
}

/// Stores the response of `fetch` (key index `key_index`; `size` if a trace gave it)
/// arriving at `t`, with the time its data next changes.
#[inline]
fn store(
    t: SimTime,
    fetch: &Fetch,
    key_index: u64,
    size: Option<u64>,
    gateway: &mut Gateway<SimTime>,
    backends: &[Backend],
    change_rng: &mut Rng,
) {
    let backend = &backends[fetch.resource as usize];
    let next_change = backend.next_change(t, change_rng);
    let bytes = size.unwrap_or_else(|| backend.response_bytes(key_index));
    gateway.complete(t, fetch, bytes, next_change);
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

    /// Fetch `slot` responds at `t`: store the response, serve its waiters.
    #[inline]
    fn done(
        &mut self,
        slot: u32,
        t: SimTime,
        gateway: &mut Gateway<SimTime>,
        backends: &[Backend],
        rec: &mut Recorder,
        change_rng: &mut Rng,
    ) {
        rec.fetch_done();
        let f = &mut self.inflight[slot as usize];
        if let Some(fetch) = f.fetch {
            store(
                t,
                &fetch,
                f.key_index,
                f.size,
                gateway,
                backends,
                change_rng,
            );
            if self.coalesce && self.pending.get(&fetch.key) == Some(&slot) {
                self.pending.remove(&fetch.key);
            }
        }
        for &arrived in &f.waiters {
            rec.served(arrived, None);
            rec.latency((t - arrived) + self.gateway_latency);
        }
        self.free.push(slot);
    }
}

#[cfg(test)]
mod replay_tests;
#[cfg(test)]
mod tests;
