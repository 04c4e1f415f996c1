//! A replayed trace as the simulator consumes it: records read ahead, a block at a time,
//! into a ring; each record's cache slot is prefetched as it is read, so its memory has
//! arrived by the time the record is served. One virtual call per block, not per record.

use crate::gateway::Gateway;
use crate::scenario::ResourceModel;
use crate::time::SimTime;
use crate::trace::{MaxAgeZero, TraceError, TraceModel, TraceRequest, TraceSource};

use super::Incoming;
use super::rng::{self, Rng};
use super::workload::param_values;

/// Records read per block. Between one and two blocks wait at any time: 16 records cover
/// a DRAM access at replay speed with room to spare.
const BLOCK: usize = 16;
/// The ring: two blocks, one refilled while the other is served.
const RING: usize = 2 * BLOCK;

/// A replayed trace: its reader, its records read ahead with their arrival times, and its
/// `max-age=0` share's stream.
pub(super) struct TraceFeed {
    source: Box<dyn TraceSource>,
    ring: Vec<TraceRequest>,
    at: [SimTime; RING],
    /// The next record to serve (counts up; its ring index is `head % RING`), and how
    /// many wait.
    head: usize,
    len: usize,
    /// The trace has ended (or passed the end of the run).
    done: bool,
    start: SimTime,
    end: SimTime,
    max_age_zero: f64,
    max_age_rng: Rng,
    /// Parameter values of a record being prefetched.
    scratch: Vec<u64>,
}

impl TraceFeed {
    /// Opens `model`'s trace for a run ending at `end` and reads its first records.
    pub(super) fn open(
        model: &TraceModel,
        end: SimTime,
        max_age_rng: Rng,
        gateway: &Gateway<SimTime>,
        resources: &[ResourceModel],
    ) -> Result<TraceFeed, TraceError> {
        let mut feed = TraceFeed {
            source: crate::trace::open(model)?,
            ring: vec![TraceRequest::default(); RING],
            at: [SimTime::ZERO; RING],
            head: 0,
            len: 0,
            done: false,
            start: model.start,
            end,
            max_age_zero: match model.max_age_zero {
                MaxAgeZero::Share(p) => p,
                MaxAgeZero::Field(_) => 0.0,
            },
            max_age_rng,
            scratch: Vec::with_capacity(8),
        };
        feed.read_block(gateway, resources)?;
        feed.read_block(gateway, resources)?;
        Ok(feed)
    }

    /// Reads up to [`BLOCK`] records into the free block after the waiting ones (the
    /// trace ends at its last record or at the first one at or after the run's end),
    /// prefetching each one's cache slot on a cache large enough to need it. Out of line:
    /// once per block.
    #[inline(never)]
    fn read_block(
        &mut self,
        gateway: &Gateway<SimTime>,
        resources: &[ResourceModel],
    ) -> Result<(), TraceError> {
        if self.done {
            return Ok(());
        }
        let first = (self.head + self.len) % RING;
        debug_assert!(first % BLOCK == 0 && self.len <= BLOCK);
        let until = self.end.saturating_since(self.start);
        let block = &mut self.ring[first..first + BLOCK];
        let n = self.source.next_batch(block, until)?;
        let mut kept = n;
        for (j, r) in block[..n].iter().enumerate() {
            let at = self.start + r.at;
            if at >= self.end {
                kept = j;
                break;
            }
            self.at[first + j] = at;
            if gateway.worth_prefetching() {
                trace_params(&resources[r.resource as usize], r, &mut self.scratch);
                gateway.prefetch(r.resource as usize, &self.scratch);
            }
        }
        self.len += kept;
        self.done = kept < BLOCK;
        Ok(())
    }

    /// The arrival time of the next record to serve.
    #[inline]
    pub(super) fn next_at(&self) -> Option<SimTime> {
        (self.len > 0).then(|| self.at[self.head % RING])
    }

    /// Takes the next record to serve, its parameter values written to `params`, and
    /// reads the next block once a whole one has been served.
    #[inline(always)]
    pub(super) fn take(
        &mut self,
        gateway: &Gateway<SimTime>,
        resources: &[ResourceModel],
        params: &mut Vec<u64>,
    ) -> Result<Option<Incoming>, TraceError> {
        if self.len == 0 {
            return Ok(None);
        }
        let r = &self.ring[self.head % RING];
        let max_age_zero = r
            .max_age_zero
            .unwrap_or_else(|| rng::chance(self.max_age_zero, &mut self.max_age_rng));
        let resource = r.resource as usize;
        trace_params(&resources[resource], r, params);
        let incoming = Incoming {
            resource,
            key: r.key,
            principal: r.principal as usize,
            max_age_zero,
            size: r.size,
        };
        self.head += 1;
        self.len -= 1;
        if self.head % BLOCK == 0 {
            self.read_block(gateway, resources)?;
        }
        Ok(Some(incoming))
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
