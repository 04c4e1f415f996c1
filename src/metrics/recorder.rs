//! Streaming metrics for one run: counters, hdrhistograms of staleness and client
//! latency, backend load per one-second bucket, in-flight peaks, and per-window counts
//! for the time series. Memory depends on the run's length in windows, never on the
//! number of requests. Only requests arriving after warm-up are counted.

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::time::{SimDuration, SimTime};

/// Counts of one window of the time series.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct WindowCounts {
    /// Requests arrived.
    pub requests: u64,
    /// Served from the cache.
    pub cache_hits: u64,
    /// Served from the backend while cached (CacheMissCount).
    pub cache_misses: u64,
    /// Backend fetches started.
    pub backend_requests: u64,
    /// Stale responses served.
    pub stale_responses: u64,
    /// 403 responses.
    pub forbidden: u64,
    /// 429 responses (throttled).
    pub throttled: u64,
    /// 5xx responses, from any cause.
    pub errors_5xx: u64,
    /// Highest number of backend fetches in flight.
    pub inflight_peak: u64,
}

/// Totals over the measured period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Requests arrived.
    pub requests: u64,
    /// Served from the cache.
    pub cache_hits: u64,
    /// Served from the backend for a cached method (including honoured invalidations).
    pub cache_misses: u64,
    /// Backend fetches started.
    pub backend_requests: u64,
    /// `max-age=0` honoured.
    pub invalidations_honored: u64,
    /// `max-age=0` rejected with 403.
    pub invalidations_rejected: u64,
    /// `max-age=0` ignored (with or without warning).
    pub invalidations_ignored: u64,
    /// Responses carrying the `Warning` header.
    pub warning_headers: u64,
    /// Successful (2xx) responses.
    pub successful: u64,
    /// Requests answered 429 (throttled).
    pub throttled_429: u64,
    /// 5xx responses, from any cause (backend errors, cached or not; timeouts; a
    /// backend's refusal at its limit).
    pub errors_5xx: u64,
    /// 504 responses.
    pub timeouts_504: u64,
    /// Cache hits that served a cached error.
    pub error_hits: u64,
    /// Stale responses.
    pub stale_responses: u64,
    /// Hits served from an entry stored for a different response.
    pub wrong_key_responses: u64,
}

/// What one source of requests (a client, or a replayed trace) got: enough to say who
/// bears the 403s, 429s and 5xx, and each source's availability.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SourceCounts {
    /// Requests it sent (measured).
    pub requests: u64,
    /// Answered 403 (an unauthorized `max-age=0` under `FAIL_WITH_403`).
    pub forbidden_403: u64,
    /// Answered 429 (throttled).
    pub throttled_429: u64,
    /// Answered 5xx, from any cause.
    pub errors_5xx: u64,
    /// Still waiting for the backend when the run ended (answered nothing).
    pub unanswered: u64,
}

impl SourceCounts {
    /// Its successful (2xx) responses: every request is answered 2xx, 403, 429 or 5xx,
    /// or was still waiting when the run ended.
    pub fn successful(&self) -> u64 {
        self.requests
            .saturating_sub(self.forbidden_403 + self.throttled_429 + self.errors_5xx)
            .saturating_sub(self.unanswered)
    }

    /// The share of its answered requests that were 2xx, as `availability` is for all
    /// requests (0 when it was answered nothing: nothing measured is no pass).
    pub fn availability(&self) -> f64 {
        let answered = self.requests.saturating_sub(self.unanswered);
        if answered == 0 {
            0.0
        } else {
            self.successful() as f64 / answered as f64
        }
    }
}

/// Records one run's metrics.
#[derive(Debug, Clone)]
pub struct Recorder {
    warmup: SimTime,
    window: SimDuration,
    /// Totals.
    pub counts: Counts,
    /// What each source got, by its index (clients first, then traces).
    pub sources: Vec<SourceCounts>,
    staleness_us: Histogram<u64>,
    latency_us: Histogram<u64>,
    /// How long fetches waited for a slot at their backend, those that waited; and how
    /// many did not wait.
    wait_us: Histogram<u64>,
    no_wait: u64,
    second: u64,
    in_second: u64,
    backend_peak_per_second: u64,
    inflight: u64,
    inflight_peak: u64,
    windows: Vec<WindowCounts>,
    /// The window last looked up: its start, end and index (events mostly arrive in
    /// time order, so this saves a division per count).
    current: (SimTime, SimTime, usize),
    /// The latency of responses that take only the gateway's time (hits, 403s), and how
    /// many there were: recorded into the histogram in one go when read.
    fixed_latency: SimDuration,
    fixed_latency_count: u64,
}

/// Largest value the histograms track exactly enough (one day, in µs); larger values
/// are clamped.
const HIST_MAX_US: u64 = 86_400_000_000;

fn histogram() -> Histogram<u64> {
    // Bounds are constants, so construction cannot fail; fall back to auto-resize.
    Histogram::new_with_bounds(1, HIST_MAX_US, 3).unwrap_or_else(|_| {
        let mut h =
            Histogram::new(3).unwrap_or_else(|_| unreachable!("3 significant figures is valid"));
        h.auto(true);
        h
    })
}

impl Recorder {
    /// A recorder for a run measured from `warmup` to `end` in windows of `window`, whose
    /// hits and 403s take `fixed_latency`, with requests from `sources` sources.
    pub fn new(
        warmup: SimTime,
        end: SimTime,
        window: SimDuration,
        fixed_latency: SimDuration,
        sources: usize,
    ) -> Recorder {
        let measured = end - warmup;
        let n = measured.as_micros().div_ceil(window.as_micros().max(1)) as usize;
        Recorder {
            warmup,
            window,
            counts: Counts::default(),
            sources: vec![SourceCounts::default(); sources.max(1)],
            staleness_us: histogram(),
            latency_us: histogram(),
            wait_us: histogram(),
            no_wait: 0,
            second: 0,
            in_second: 0,
            backend_peak_per_second: 0,
            inflight: 0,
            inflight_peak: 0,
            windows: vec![WindowCounts::default(); n.max(1)],
            current: (warmup, warmup + window, 0),
            fixed_latency,
            fixed_latency_count: 0,
        }
    }

    /// Whether something at `t` is measured.
    #[inline]
    pub fn measured(&self, t: SimTime) -> bool {
        t >= self.warmup
    }

    #[inline]
    fn window(&mut self, t: SimTime) -> &mut WindowCounts {
        let (start, end, index) = self.current;
        let i = if t >= start && t < end {
            index
        } else {
            let w = self.window.as_micros().max(1);
            let i = (t - self.warmup).as_micros() / w;
            let start = self.warmup + SimDuration::from_micros(i * w);
            let i = (i as usize).min(self.windows.len() - 1);
            self.current = (start, start + self.window, i);
            i
        };
        &mut self.windows[i]
    }

    /// A request arrived at `t` (measured).
    #[inline]
    pub fn request(&mut self, t: SimTime) {
        self.counts.requests += 1;
        self.window(t).requests += 1;
    }

    /// A request arrived at `t` and was a cache hit, stale by `staleness` if any, for
    /// another request's response if `wrong` (the common case, in one window update).
    #[inline]
    pub fn request_hit(&mut self, t: SimTime, staleness: Option<SimDuration>, wrong: bool) {
        self.counts.requests += 1;
        self.counts.cache_hits += 1;
        let w = self.window(t);
        w.requests += 1;
        w.cache_hits += 1;
        self.counts.wrong_key_responses += u64::from(wrong);
        self.served(t, staleness);
    }

    /// A measured request from `source`: counted against it (whatever its answer).
    #[inline(always)]
    pub fn sent_by(&mut self, source: u32) {
        self.source(source).requests += 1;
    }

    /// Source `source`'s counts (an index past the last counts against the last: the
    /// simulator numbers its sources, so that never happens).
    #[inline]
    fn source(&mut self, source: u32) -> &mut SourceCounts {
        let last = self.sources.len() - 1;
        &mut self.sources[(source as usize).min(last)]
    }

    /// A measured request from `source` was still waiting for the backend at the end.
    pub fn unanswered(&mut self, source: u32) {
        self.source(source).unanswered += 1;
    }

    /// A request arrived at `t` from `source` and was throttled (429, the gateway's
    /// latency alone).
    #[inline]
    pub fn throttled(&mut self, t: SimTime, source: u32) {
        self.source(source).throttled_429 += 1;
        self.counts.requests += 1;
        self.counts.throttled_429 += 1;
        self.fixed_latency_count += 1;
        let w = self.window(t);
        w.requests += 1;
        w.throttled += 1;
    }

    /// A request arrived at `t` from `source` and was a cache hit on a cached error
    /// response.
    #[inline]
    pub fn error_hit(&mut self, t: SimTime, source: u32) {
        self.counts.requests += 1;
        self.counts.cache_hits += 1;
        self.counts.error_hits += 1;
        self.fixed_latency_count += 1;
        let w = self.window(t);
        w.requests += 1;
        w.cache_hits += 1;
        self.error(t, 500, source);
    }

    /// An error response with `status` (5xx) to a request that arrived at `t` from
    /// `source`.
    #[inline]
    pub fn error(&mut self, t: SimTime, status: u16, source: u32) {
        self.source(source).errors_5xx += 1;
        self.counts.errors_5xx += 1;
        self.counts.timeouts_504 += u64::from(status == 504);
        self.window(t).errors_5xx += 1;
    }

    /// A measured fetch waited `wait` for a slot at its backend.
    #[inline]
    pub fn backend_wait(&mut self, wait: SimDuration) {
        if wait.is_zero() {
            self.no_wait += 1;
        } else {
            self.wait_us.saturating_record(wait.as_micros());
        }
    }

    /// Quantile (0..=1) of the time fetches waited for a slot, in ms (0 when none
    /// waited).
    pub fn backend_wait_ms(&self, q: f64) -> f64 {
        let waited = self.wait_us.len();
        let all = waited + self.no_wait;
        if waited == 0 {
            return 0.0;
        }
        // The quantile among all fetches: those that did not wait come first.
        let no_wait = self.no_wait as f64 / all as f64;
        if q <= no_wait {
            return 0.0;
        }
        quantile_ms(&self.wait_us, ((q - no_wait) / (1.0 - no_wait)).min(1.0))
    }

    /// Mean time fetches waited for a slot, in ms, and the share that waited at all.
    pub fn backend_wait_mean_ms(&self) -> (f64, f64) {
        let waited = self.wait_us.len();
        let all = waited + self.no_wait;
        if all == 0 {
            return (0.0, 0.0);
        }
        let total_ms = self.wait_us.mean() * waited as f64 / 1_000.0;
        (total_ms / all as f64, waited as f64 / all as f64)
    }

    /// A cache miss (CacheMissCount) at `t`.
    #[inline]
    pub fn miss(&mut self, t: SimTime) {
        self.counts.cache_misses += 1;
        self.window(t).cache_misses += 1;
    }

    /// A successful response to a request that arrived at `t`.
    #[inline]
    pub fn served(&mut self, t: SimTime, staleness: Option<SimDuration>) {
        self.counts.successful += 1;
        if let Some(s) = staleness {
            self.counts.stale_responses += 1;
            self.window(t).stale_responses += 1;
            self.staleness_us.saturating_record(s.as_micros().max(1));
        }
    }

    /// A 403 at `t`, to `source`.
    #[inline]
    pub fn forbidden(&mut self, t: SimTime, source: u32) {
        self.source(source).forbidden_403 += 1;
        self.counts.invalidations_rejected += 1;
        self.window(t).forbidden += 1;
    }

    /// The latency of a response to a measured request.
    #[inline]
    pub fn latency(&mut self, latency: SimDuration) {
        self.latency_us
            .saturating_record(latency.as_micros().max(1));
    }

    /// A measured response that took only the gateway's fixed latency.
    #[inline]
    pub fn fixed_latency(&mut self) {
        self.fixed_latency_count += 1;
    }

    /// A backend fetch starts at `t` (measured or not: in-flight counts always).
    #[inline]
    pub fn fetch_started(&mut self, t: SimTime) {
        self.inflight += 1;
        if !self.measured(t) {
            return;
        }
        self.counts.backend_requests += 1;
        self.backend_request_in_second(t);
        self.inflight_peak = self.inflight_peak.max(self.inflight);
        let inflight = self.inflight;
        let w = self.window(t);
        w.backend_requests += 1;
        w.inflight_peak = w.inflight_peak.max(inflight);
    }

    /// A measured request at `t` whose backend fetch answered at once (a cache miss if
    /// `missed`, else an uncached method): what `request`, `miss`, `fetch_started`,
    /// `fetch_done`, `served` and `fixed_latency` record together, in one window update.
    #[inline(always)]
    pub fn answered_at_once(&mut self, t: SimTime, missed: bool) {
        let c = &mut self.counts;
        c.requests += 1;
        c.cache_misses += u64::from(missed);
        c.backend_requests += 1;
        c.successful += 1;
        self.fixed_latency_count += 1;
        self.backend_request_in_second(t);
        let inflight = self.inflight + 1;
        self.inflight_peak = self.inflight_peak.max(inflight);
        let w = self.window(t);
        w.requests += 1;
        w.cache_misses += u64::from(missed);
        w.backend_requests += 1;
        w.inflight_peak = w.inflight_peak.max(inflight);
    }

    /// Counts a measured backend request at `t` in its second, for the per-second peak.
    #[inline(always)]
    fn backend_request_in_second(&mut self, t: SimTime) {
        let second = (t - self.warmup).as_micros() / 1_000_000;
        if second != self.second {
            self.second = second;
            self.in_second = 0;
        }
        self.in_second += 1;
        self.backend_peak_per_second = self.backend_peak_per_second.max(self.in_second);
    }

    /// A backend fetch finished.
    #[inline]
    pub fn fetch_done(&mut self) {
        self.inflight = self.inflight.saturating_sub(1);
    }

    /// Peak backend requests started within one second.
    pub fn backend_peak_per_second(&self) -> u64 {
        self.backend_peak_per_second
    }

    /// Peak backend fetches in flight.
    pub fn inflight_peak(&self) -> u64 {
        self.inflight_peak
    }

    /// Staleness quantile (0..=1) in ms, 0 without stale responses.
    pub fn staleness_ms(&self, q: f64) -> f64 {
        quantile_ms(&self.staleness_us, q)
    }

    /// Largest staleness in ms.
    pub fn staleness_max_ms(&self) -> f64 {
        if self.staleness_us.is_empty() {
            0.0
        } else {
            self.staleness_us.max() as f64 / 1_000.0
        }
    }

    /// Latency quantile (0..=1) in ms.
    pub fn latency_ms(&self, q: f64) -> f64 {
        let mut h = self.latency_us.clone();
        h.saturating_record_n(
            self.fixed_latency.as_micros().max(1),
            self.fixed_latency_count,
        );
        quantile_ms(&h, q)
    }

    /// The time series, one entry per window.
    pub fn windows(&self) -> &[WindowCounts] {
        &self.windows
    }
}

fn quantile_ms(h: &Histogram<u64>, q: f64) -> f64 {
    if h.is_empty() {
        0.0
    } else {
        h.value_at_quantile(q) as f64 / 1_000.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the folded call must equal: the calls a request answered at once made one
    /// by one before it existed.
    fn one_by_one(rec: &mut Recorder, t: SimTime, missed: bool) {
        rec.request(t);
        if missed {
            rec.miss(t);
        }
        rec.fetch_started(t);
        rec.fetch_done();
        rec.served(t, None);
        rec.fixed_latency();
    }

    #[test]
    fn a_request_answered_at_once_counts_as_its_calls_one_by_one() {
        let new = || {
            Recorder::new(
                SimTime::ZERO + SimDuration::from_secs(1),
                SimTime::ZERO + SimDuration::from_secs(10),
                SimDuration::from_secs(2),
                SimDuration::from_micros(500),
                1,
            )
        };
        let (mut folded, mut unfolded) = (new(), new());
        // Another fetch in flight throughout, so the in-flight peaks count it too.
        for rec in [&mut folded, &mut unfolded] {
            rec.fetch_started(SimTime::ZERO + SimDuration::from_millis(1_500));
        }
        // Across seconds and windows, misses and uncached requests, and the last window.
        let times_ms = [
            1_000, 1_000, 1_999, 2_000, 3_500, 3_500, 3_501, 6_000, 9_999,
        ];
        for (i, &ms) in times_ms.iter().enumerate() {
            let t = SimTime::ZERO + SimDuration::from_millis(ms);
            let missed = i % 3 != 1;
            folded.answered_at_once(t, missed);
            one_by_one(&mut unfolded, t, missed);
        }
        assert_eq!(folded.counts, unfolded.counts);
        assert_eq!(folded.windows(), unfolded.windows());
        assert_eq!(
            folded.backend_peak_per_second(),
            unfolded.backend_peak_per_second()
        );
        assert_eq!(folded.inflight_peak(), unfolded.inflight_peak());
        assert_eq!(folded.latency_ms(0.5), unfolded.latency_ms(0.5));
        assert_eq!(folded.counts.cache_misses, 6);
        // The first measured second: the fetch left in flight and three at once.
        assert_eq!(folded.backend_peak_per_second(), 4);
        assert_eq!(folded.inflight_peak(), 2);
    }
}
