//! The discrete-event simulator: one run of one scenario configuration for one
//! replication. Clients' arrivals, backend completions and stage events go through one
//! event queue (`queue.rs`); each request goes through the real [`Gateway`] decision; misses
//! become backend fetches that store their response when they complete. A run is a pure
//! function of (scenario, replication): no wall clock, no shared state, every random
//! draw from a stream of its own (`rng.rs`). Memory is bounded by live cache entries and
//! in-flight fetches. While a replayed trace is the only source of events (no clients,
//! no stage events, no fetch waiting on the backend), its records are served back to
//! back without the queue, in the order the queue would give them.

mod alias;
mod arrivals;
mod fetches;
mod float;
mod queue;
mod rng;
mod server;
mod stored;
mod trace_feed;
mod workload;

use std::collections::VecDeque;

use crate::cache::{CacheKey, Capacity, RemovalCounts};
use crate::gateway::{Gateway, GatewayError};
use crate::metrics::Recorder;
use crate::scenario::{ClientModel, ResourceModel, Scenario, StageAction};
use crate::time::SimTime;
use crate::trace::TraceError;
use arrivals::Arrivals;
use fetches::Waiting;
use queue::{Event, EventQueue};
use rng::{Component, Rng, unit_open0};
use server::Server;
pub use stored::Stored;
use trace_feed::{Taken, TraceFeed};
use workload::{Backend, KeySampler, param_values};

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

/// One request, whoever sent it.
#[derive(Clone, Copy)]
struct Incoming {
    /// Its resource method.
    resource: usize,
    /// Which of the resource's keys it asks for (its object id, for a trace): what the
    /// backend's response size depends on.
    key_index: u64,
    /// Its caller.
    principal: usize,
    /// Who sent it: a client's index, or the number of clients plus a trace's.
    source: u32,
    /// Whether it sends `Cache-Control: max-age=0`.
    max_age_zero: bool,
    /// Its response's size, when a trace recorded it.
    size: Option<u64>,
}

/// What the sender of a request has prepared for the gateway: the parameter values, the
/// concrete path (when the request came with one) and the cache key (when computed
/// ahead, to prefetch its lookup).
#[derive(Clone, Copy)]
struct Prepared<'a> {
    params: &'a [u64],
    path: Option<&'a str>,
    cache_key: Option<CacheKey>,
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
        gateway: &Gateway<Stored>,
        params: &mut Vec<u64>,
    ) {
        while self.ahead.len() < DRAW_AHEAD {
            let d = self.draw(model, samplers);
            param_values(&resources[d.resource], d.key, params);
            let keyer = gateway.keyer(d.resource);
            keyer.prefetch(keyer.key(params));
            self.ahead.push_back(d);
        }
    }
}

/// Runs `scenario` for `replication`, calling `progress` with the simulated time now and
/// then, and with the end once it is simulated (a trace whose check the run takes is
/// then read to its end, see [`crate::trace::CheckInRun`]). The result is a pure function of the scenario, its seed and the replication.
///
/// ```
/// use cachegate::scenario::Study;
/// use cachegate::time::SimDuration;
///
/// let study = Study::load("scenarios/pets.toml".as_ref()).unwrap();
/// let mut scenario = study.base().clone();
/// scenario.warmup = SimDuration::ZERO;
/// scenario.duration = SimDuration::from_secs(10);
/// let out = cachegate::sim::run(&scenario, 0, &mut |_| {}).unwrap();
/// let counts = &out.recorder.counts;
/// assert!(counts.requests > 4_000 && counts.cache_hits + counts.cache_misses <= counts.requests);
/// // The same scenario, seed and replication: the same run.
/// let again = cachegate::sim::run(&scenario, 0, &mut |_| {}).unwrap();
/// assert_eq!(again.recorder.counts, out.recorder.counts);
/// ```
pub fn run(
    scenario: &Scenario,
    replication: u32,
    progress: &mut dyn FnMut(SimTime),
) -> Result<RunOutput, SimError> {
    let seed = rng::replication_seed(scenario.seed, replication);
    let gateway: Gateway<Stored> = Gateway::new(&scenario.gateway, &scenario.principals)?;
    let warmup = SimTime::ZERO + scenario.warmup;
    let end = scenario.end();
    let mut queue = EventQueue::new();
    let samplers: Vec<KeySampler> = scenario.resources.iter().map(KeySampler::new).collect();
    let mut clients = clients(scenario, seed, &mut queue);
    for (i, e) in scenario.events.iter().enumerate() {
        queue.push(e.at, Event::Stage(i as u32));
    }
    let mut traces = traces(scenario, seed, &gateway, &mut queue)?;
    let mut server = server(scenario, seed, gateway);
    let mut params: Vec<u64> = Vec::with_capacity(8);
    // When the cache being (re)created is ready.
    let mut provisioning_until = SimTime::ZERO;
    let mut marks = Marks {
        warmup,
        removals_at_warmup: None,
        steps: 0,
    };

    while let Some((t, event)) = queue.peek() {
        if t >= end {
            break;
        }
        // An arrival or a trace record replaces itself with its source's next one (or
        // leaves); every other event leaves the queue now.
        if !matches!(event, Event::Arrival(_) | Event::Trace(_)) {
            queue.remove_top();
        }
        marks.step(t, &server.gateway, progress);
        match event {
            Event::Arrival(ci) => {
                let c = &mut clients[ci as usize];
                let model = &scenario.clients[ci as usize];
                let next = c.arrivals.next(t, &mut c.arrival_rng);
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
                let gateway = &server.gateway;
                if gateway.worth_prefetching() {
                    c.top_up(model, &samplers, &scenario.resources, gateway, &mut params);
                }
                param_values(&scenario.resources[resource], key, &mut params);
                let incoming = Incoming {
                    resource,
                    key_index: key,
                    principal: model.principal,
                    source: ci,
                    max_age_zero,
                    size: None,
                };
                let prepared = Prepared {
                    params: &params,
                    path: None,
                    cache_key: None,
                };
                if let Some(waiting) = server.serve(t, incoming, prepared) {
                    schedule(&mut queue, waiting);
                }
            }
            Event::Trace(ti) => {
                let feed = &mut traces[ti as usize];
                if queue.len() == 1 {
                    // The trace is the only source of events left: serve its records
                    // back to back, without the queue, until one needs it.
                    replay_alone(
                        ti,
                        feed,
                        &mut queue,
                        &mut server,
                        scenario,
                        &mut marks,
                        t,
                        progress,
                    )?;
                    continue;
                }
                match serve_next(feed, &mut server, scenario, t)? {
                    Some(served) => requeue(&mut queue, ti, served),
                    None => queue.remove_top(),
                }
            }
            // Two cases and the rest out of line: a match over every kind of event
            // compiles to a jump table, an indirect branch per request.
            _ => other_event(
                event,
                t,
                &mut queue,
                &mut server,
                scenario,
                &mut provisioning_until,
            ),
        }
    }
    progress(end);
    // A run taking its traces' checks reads them to their ends.
    for feed in &mut traces {
        feed.finish_check()?;
    }
    server.end();
    let start = marks.removals_at_warmup.unwrap_or_default();
    let now = server.gateway.removals();
    Ok(RunOutput {
        replication,
        seed,
        recorder: server.rec,
        evictions: now.evicted - start.evicted,
        expirations: now.expired - start.expired,
        simulated_requests: server.requests,
    })
}

/// Handles an event that is neither a client's arrival nor a trace's record: a fetch's
/// completion or timeout, a stage event, the cache being ready.
#[inline(never)]
fn other_event(
    event: Event,
    t: SimTime,
    queue: &mut EventQueue,
    server: &mut Server,
    scenario: &Scenario,
    provisioning_until: &mut SimTime,
) {
    match event {
        Event::Done(slot) => {
            if let Some(waiting) = server.done(slot, t) {
                schedule(queue, waiting);
            }
        }
        Event::Timeout(slot) => server.timeout(slot, t),
        Event::Stage(i) => match scenario.events[i as usize].action {
            StageAction::Flush => server.gateway.flush(),
            StageAction::SetCapacity { bytes, .. } => {
                let capacity = Capacity::Bytes(bytes);
                if scenario.cache_provisioning.is_zero() {
                    server.gateway.set_capacity(capacity);
                } else {
                    server.gateway.begin_provisioning(capacity);
                    *provisioning_until = t + scenario.cache_provisioning;
                    queue.push(*provisioning_until, Event::CacheReady);
                }
            }
            // Outages are read by the server from the scenario's events.
            StageAction::BackendOutage { .. } => {}
        },
        Event::CacheReady => {
            // A later resize restarted the window: its own event ends it.
            if t >= *provisioning_until {
                server.gateway.cache_ready();
            }
        }
        // Served in the loop itself.
        Event::Arrival(_) | Event::Trace(_) => {}
    }
}

/// Every client's state, each with its first arrival queued (when it has one before it
/// stops and the run ends).
fn clients(scenario: &Scenario, seed: u64, queue: &mut EventQueue) -> Vec<ClientState> {
    let end = scenario.end();
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
        let first = state.arrivals.next(c.start, &mut state.arrival_rng);
        if c.enabled && first < c.stop && first < end {
            queue.push(first, Event::Arrival(i as u32));
        }
        clients.push(state);
    }
    clients
}

/// Every trace, opened, with its first record queued (when it has one before the end).
fn traces(
    scenario: &Scenario,
    seed: u64,
    gateway: &Gateway<Stored>,
    queue: &mut EventQueue,
) -> Result<Vec<TraceFeed>, SimError> {
    let end = scenario.end();
    let mut traces: Vec<TraceFeed> = Vec::with_capacity(scenario.traces.len());
    for (i, model) in scenario.traces.iter().enumerate() {
        let max_age_rng = rng::stream(seed, Component::TraceMaxAge, i as u64);
        let mut feed = TraceFeed::open(model, end, max_age_rng, gateway, &scenario.resources)?;
        feed.sender = (scenario.clients.len() + i) as u32;
        if let Some(at) = feed.next_at().filter(|_| model.enabled) {
            queue.push(at, Event::Trace(i as u32));
        }
        traces.push(feed);
    }
    Ok(traces)
}

/// The server: the gateway, a backend per resource, and the recorder of what is
/// measured after warm-up.
fn server(scenario: &Scenario, seed: u64, gateway: Gateway<Stored>) -> Server {
    let backends: Vec<Backend> = scenario
        .resources
        .iter()
        .enumerate()
        .map(|(i, r)| Backend::new(r, i, seed))
        .collect();
    let recorder = Recorder::new(
        SimTime::ZERO + scenario.warmup,
        scenario.end(),
        scenario.window,
        scenario.gateway_latency,
        scenario.clients.len() + scenario.traces.len(),
    );
    Server::new(scenario, gateway, recorder, backends, seed)
}

/// Serves trace `ti`'s records back to back from the one at `t`, while nothing else is
/// scheduled: what the event loop would do, without a queue operation per record. Stops
/// when the trace ends (leaving the queue empty) or a record's fetch must wait for the
/// backend (leaving the trace's next record and that fetch's completion queued, in the
/// order the event loop would have queued them). Out of line: as a loop of its own it
/// keeps its state in registers, which inlined into [`run`] it did not.
#[allow(clippy::too_many_arguments)]
#[inline(never)]
fn replay_alone(
    ti: u32,
    feed: &mut TraceFeed,
    queue: &mut EventQueue,
    server: &mut Server,
    scenario: &Scenario,
    marks: &mut Marks,
    mut t: SimTime,
    progress: &mut dyn FnMut(SimTime),
) -> Result<(), TraceError> {
    loop {
        match serve_next(feed, server, scenario, t)? {
            Some(Served {
                waiting: None,
                next: Some(at),
            }) => {
                t = at;
                marks.step(t, &server.gateway, progress);
            }
            Some(served) => {
                requeue(queue, ti, served);
                return Ok(());
            }
            None => {
                queue.remove_top();
                return Ok(());
            }
        }
    }
}

/// What serving a trace's record left: the fetch it left waiting on the backend, if
/// any, and when the trace's next record arrives, if it has one.
#[derive(Clone, Copy)]
struct Served {
    waiting: Option<Waiting>,
    next: Option<SimTime>,
}

/// Serves `feed`'s next record, arriving at `t`: the fetch it leaves waiting, and when
/// the trace's next record arrives. `None` if no record waits.
#[inline(always)]
fn serve_next(
    feed: &mut TraceFeed,
    server: &mut Server,
    scenario: &Scenario,
    t: SimTime,
) -> Result<Option<Served>, TraceError> {
    let Some(Taken {
        incoming,
        cache_key,
        place,
    }) = feed.take()
    else {
        return Ok(None);
    };
    let next = feed.next_at();
    // The concrete path matters only to the IAM check of a `max-age=0` request.
    let path = if incoming.max_age_zero {
        feed.path(place)
    } else {
        None
    };
    let prepared = Prepared {
        params: feed.params(place),
        path,
        cache_key: Some(cache_key),
    };
    let fetch = server.serve(t, incoming, prepared);
    feed.refill(&server.gateway, &scenario.resources)?;
    Ok(Some(Served {
        waiting: fetch,
        next,
    }))
}

/// After a record of trace `ti` (the queue's top): queues the trace's next record, or
/// drops the trace, then the completion of the fetch the record left waiting, if any.
#[inline(always)]
fn requeue(queue: &mut EventQueue, ti: u32, Served { waiting, next }: Served) {
    match next {
        Some(at) => queue.replace_top(at, Event::Trace(ti)),
        None => queue.remove_top(),
    }
    if let Some(waiting) = waiting {
        schedule(queue, waiting);
    }
}

/// Queues the events a fetch left waiting needs: its timeout first (at equal times the
/// gateway has given up before the answer comes), then its completion.
#[inline(always)]
fn schedule(
    queue: &mut EventQueue,
    Waiting {
        slot,
        done,
        timeout,
    }: Waiting,
) {
    if let Some(at) = timeout {
        queue.push(at, Event::Timeout(slot));
    }
    if let Some(at) = done {
        queue.push(at, Event::Done(slot));
    }
}

/// What the loop notes as simulated time passes: the removal counts when warm-up ends,
/// and progress every 65,536 events.
struct Marks {
    warmup: SimTime,
    removals_at_warmup: Option<RemovalCounts>,
    steps: u64,
}

impl Marks {
    #[inline(always)]
    fn step(&mut self, t: SimTime, gateway: &Gateway<Stored>, progress: &mut dyn FnMut(SimTime)) {
        if self.removals_at_warmup.is_none() && t >= self.warmup {
            self.removals_at_warmup = Some(gateway.removals());
        }
        self.steps += 1;
        if self.steps & 0xFFFF == 0 {
            progress(t);
        }
    }
}

#[cfg(test)]
mod backend_tests;
#[cfg(test)]
mod replay_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod workload_tests;
