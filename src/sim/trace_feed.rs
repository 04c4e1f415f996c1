//! A replayed trace as the simulator consumes it: records read ahead, a block at a time,
//! into a ring; each record's cache slot is prefetched as it is read, so its memory has
//! arrived by the time the record is served. One virtual call per block, not per record.
//! A feed taking its trace's check ([`CheckInRun`]) reads on past the run's end when the
//! run is over, for the tally, and hashes the file as it reads it or on a thread beside.

use crate::cache::CacheKey;
use crate::gateway::Gateway;
use crate::scenario::ResourceModel;
use crate::time::{SimDuration, SimTime};
use std::sync::Arc;

use crate::trace::{
    CheckHash, CheckInRun, Checked, IdRecord, InRun, MAX_PARAMS, MaxAgeZero, TraceError,
    TraceFormat, TraceModel, TraceRequest, TraceSource,
};

use super::Incoming;
use super::rng::{self, Rng};
use super::workload::param_values_into;

/// Records read per block. Between one and two blocks wait at any time: 16 records cover
/// a DRAM access at replay speed with room to spare.
const BLOCK: usize = 16;
/// The ring: two blocks, one refilled while the other is served.
const RING: usize = 2 * BLOCK;

/// A replayed trace: its reader, its records read ahead with their arrival times and
/// parameter values, and its `max-age=0` share's stream.
pub(super) struct TraceFeed {
    source: Box<dyn TraceSource>,
    /// The records read ahead: an access log's requests, or (`ids`) an object-id trace's
    /// records, whose resource and principal are the trace's.
    ring: Box<[TraceRequest; RING]>,
    ids: [IdRecord; RING],
    at: [SimTime; RING],
    /// Each ring place's parameter values, `width` places apiece, computed once when
    /// the record is read (for its prefetch) and used again when it is served.
    params: Vec<u64>,
    param_len: [usize; RING],
    width: usize,
    /// Each ring place's cache key, likewise.
    keys: [CacheKey; RING],
    /// Each ring place's concrete path, when the trace records one (access logs): the
    /// request's ARN names it. Reused, so no allocation per record once grown.
    paths: Box<[String]>,
    /// The next record to serve (counts up; its ring index is `head % RING`), and how
    /// many wait.
    head: usize,
    len: usize,
    /// The resource and principal of every record, when the format has one for them all
    /// (the object-id formats, read into `ids`): a block's records then share its
    /// lookups.
    one_resource: Option<(usize, usize)>,
    /// An object-id trace's records have one parameter, the id itself (then not copied
    /// into `params`).
    id_is_param: bool,
    /// The trace has ended (or passed the end of the run).
    done: bool,
    start: SimTime,
    end: SimTime,
    max_age_zero: f64,
    max_age_rng: Rng,
    /// Its index among the run's sources of requests (see [`Incoming::source`]).
    pub(super) sender: u32,
    /// Records read that arrive before the run's end.
    kept: u64,
    /// The trace's check, when this run takes it, with the file's hash.
    check: Option<(Arc<InRun>, Option<CheckHash>)>,
}

/// A record taken for serving: the request, its cache key, and its place for
/// [`TraceFeed::params`].
pub(super) struct Taken {
    pub(super) incoming: Incoming,
    pub(super) cache_key: CacheKey,
    pub(super) place: usize,
}

impl TraceFeed {
    /// Opens `model`'s trace for a run ending at `end` and reads its first records.
    pub(super) fn open(
        model: &TraceModel,
        end: SimTime,
        max_age_rng: Rng,
        gateway: &Gateway<super::Stored>,
        resources: &[ResourceModel],
    ) -> Result<TraceFeed, TraceError> {
        let width = resources
            .iter()
            .map(|r| r.param_values.len())
            .max()
            .unwrap_or(0)
            .max(MAX_PARAMS);
        // Text and CSV ids that are not numbers are hashed into keys; when a request may
        // send `max-age=0`, IAM must see the id as written, so such a trace is read with
        // its records' texts (more slowly) rather than as bare ids.
        let texts_needed = matches!(model.max_age_zero, MaxAgeZero::Share(p) if p > 0.0);
        let one_resource = match model.format {
            TraceFormat::AccessLog(_) => None,
            TraceFormat::Text { .. } | TraceFormat::Csv { .. } if texts_needed => None,
            TraceFormat::OracleGeneral | TraceFormat::Text { .. } | TraceFormat::Csv { .. } => {
                Some((model.resource as usize, model.principal as usize))
            }
        };
        let id_is_param = one_resource.is_some_and(|(r, _)| {
            let values = &resources[r].param_values;
            values.len() == 1 && values[0].is_none()
        });
        let CheckInRun(check) = &model.check_in_run;
        // A run taking the check reads the whole trace (ahead, when it may).
        let until = match check {
            Some(_) => SimDuration::MAX,
            None => end.saturating_since(model.start),
        };
        let hash_in_line = check
            .as_ref()
            .is_some_and(|slot| slot.hash && CheckHash::in_line(model, one_resource.is_some()));
        let (source, hash) = if hash_in_line {
            // The run's own read goes through the hash.
            let (source, hash) = CheckHash::open(model)?;
            (source as Box<dyn TraceSource>, Some(hash))
        } else {
            // An object-id trace may be read ahead on a thread of its own (its
            // records alone are read); an access log's chunks are parsed on the pool.
            let source = match one_resource {
                Some(_) => crate::trace::open_ids(model, until)?,
                None => crate::trace::open(model)?,
            };
            let hash = match check {
                Some(slot) if slot.hash => Some(CheckHash::thread(model)?),
                _ => None,
            };
            (source, hash)
        };
        let mut feed = TraceFeed {
            source,
            ring: Box::new([TraceRequest::default(); RING]),
            ids: [IdRecord::default(); RING],
            at: [SimTime::ZERO; RING],
            params: vec![0; RING * width],
            param_len: [0; RING],
            width,
            keys: [CacheKey(0); RING],
            paths: (0..RING).map(|_| String::new()).collect(),
            head: 0,
            len: 0,
            one_resource,
            id_is_param,
            done: false,
            start: model.start,
            end,
            max_age_zero: match model.max_age_zero {
                MaxAgeZero::Share(p) => p,
                MaxAgeZero::Field(_) => 0.0,
            },
            max_age_rng,
            sender: 0,
            kept: 0,
            check: check.as_ref().map(|slot| (slot.clone(), hash)),
        };
        feed.read_block(gateway, resources)?;
        feed.read_block(gateway, resources)?;
        Ok(feed)
    }

    /// Reads up to [`BLOCK`] records into the free block after the waiting ones (the
    /// trace ends at its last record or at the first one at or after the run's end),
    /// with their parameter values, prefetching each one's cache slot on a cache large
    /// enough to need it. Out of line: once per block.
    #[inline(never)]
    fn read_block(
        &mut self,
        gateway: &Gateway<super::Stored>,
        resources: &[ResourceModel],
    ) -> Result<(), TraceError> {
        if self.done {
            return Ok(());
        }
        let first = (self.head + self.len) % RING;
        debug_assert!(first % BLOCK == 0 && self.len <= BLOCK);
        let until = self.end.saturating_since(self.start);
        let width = self.width;
        // Each record's places, zipped rather than indexed: no bounds checks.
        let places = self.at[first..first + BLOCK]
            .iter_mut()
            .zip(self.params[first * width..(first + BLOCK) * width].chunks_exact_mut(width))
            .zip(&mut self.param_len[first..first + BLOCK])
            .zip(&mut self.keys[first..first + BLOCK]);
        let (start, end) = (self.start, self.end);
        let kept = match self.one_resource {
            // Every record is for `resource`, its parameter values derived from its id.
            Some((resource, _)) => {
                let block = &mut self.ids[first..first + BLOCK];
                let n = self.source.next_ids(block, until)?;
                let records = block[..n].iter().map(|r| (r.at, r)).zip(places);
                let model = &resources[resource];
                let count = model.param_values.len();
                let keyer = gateway.keyer_prefetching(resource);
                let by_id = keyer.of_first().filter(|_| self.id_is_param);
                if let Some(first) = by_id {
                    // The common shape: one parameter, the id itself, which is the key
                    // (`params` reads it from the record).
                    prepare(records, start, end, |r, _, _| {
                        let key = first.key(r.id);
                        keyer.prefetch(key);
                        key
                    })
                } else {
                    prepare(records, start, end, |r, out, len| {
                        param_values_into(model, r.id, out);
                        *len = count;
                        let key = keyer.key(&out[..count]);
                        keyer.prefetch(key);
                        key
                    })
                }
            }
            None => {
                let block = &mut self.ring[first..first + BLOCK];
                let paths = &mut self.paths[first..first + BLOCK];
                let n = read_with_paths(&mut *self.source, block, paths, until, gateway)?;
                let records = block[..n].iter().map(|r| (r.at, r)).zip(places);
                prepare(records, start, end, |r, out, len| {
                    let resource = r.resource as usize;
                    *len = trace_params(&resources[resource], r, out);
                    let keyer = gateway.keyer_prefetching(resource);
                    let key = keyer.key(&out[..*len]);
                    keyer.prefetch(key);
                    key
                })
            }
        };
        self.len += kept;
        self.kept += kept as u64;
        self.done = kept < BLOCK;
        Ok(())
    }

    /// When this run takes its trace's check, reads the trace on to its end, counting
    /// what the check counts (the records at or after the run's end: those read, less
    /// those kept), finishes the file's hash and leaves what was found for the study.
    /// Its error, when the rest of the trace holds too many bad records, is the run's.
    pub(super) fn finish_check(&mut self) -> Result<(), TraceError> {
        let Some((slot, hash)) = self.check.take() else {
            return Ok(());
        };
        match self.one_resource {
            Some(_) => while self.source.next_ids(&mut self.ids, SimDuration::MAX)? > 0 {},
            None => {
                let mut request = TraceRequest::default();
                while self.source.next(&mut request)? {}
            }
        }
        let tally = crate::trace::Tally {
            after_end: self.source.tally().requests - self.kept,
            ..self.source.tally().clone()
        };
        let digest = hash.map(CheckHash::finish).transpose()?;
        slot.found(Checked { tally, digest });
        Ok(())
    }

    /// The arrival time of the next record to serve.
    #[inline]
    pub(super) fn next_at(&self) -> Option<SimTime> {
        (self.len > 0).then(|| self.at[self.head % RING])
    }

    /// Takes the next record to serve. Its place holds its parameter values until the
    /// next [`TraceFeed::refill`].
    #[inline(always)]
    pub(super) fn take(&mut self) -> Option<Taken> {
        if self.len == 0 {
            return None;
        }
        let place = self.head % RING;
        let incoming = match self.one_resource {
            Some((resource, principal)) => {
                let r = &self.ids[place];
                Incoming {
                    resource,
                    key_index: r.id,
                    principal,
                    source: self.sender,
                    max_age_zero: rng::chance(self.max_age_zero, &mut self.max_age_rng),
                    size: r.size,
                }
            }
            None => {
                let r = &self.ring[place];
                Incoming {
                    resource: r.resource as usize,
                    key_index: r.key,
                    principal: r.principal as usize,
                    source: self.sender,
                    max_age_zero: r
                        .max_age_zero
                        .unwrap_or_else(|| rng::chance(self.max_age_zero, &mut self.max_age_rng)),
                    size: r.size,
                }
            }
        };
        self.head += 1;
        self.len -= 1;
        Some(Taken {
            incoming,
            cache_key: self.keys[place],
            place,
        })
    }

    /// The parameter values of the record taken from `place`.
    #[inline(always)]
    pub(super) fn params(&self, place: usize) -> &[u64] {
        if self.id_is_param {
            return std::slice::from_ref(&self.ids[place].id);
        }
        let from = place * self.width;
        &self.params[from..from + self.param_len[place]]
    }

    /// The concrete path of the record taken from `place`, when the trace records one.
    #[inline(always)]
    pub(super) fn path(&self, place: usize) -> Option<&str> {
        let path = &self.paths[place];
        (self.one_resource.is_none() && !path.is_empty()).then_some(path.as_str())
    }

    /// Reads the next block once a whole one has been served (after the last record
    /// taken from it has been served: its place is reused).
    #[inline(always)]
    pub(super) fn refill(
        &mut self,
        gateway: &Gateway<super::Stored>,
        resources: &[ResourceModel],
    ) -> Result<(), TraceError> {
        if self.head % BLOCK == 0 && !self.done {
            self.read_block(gateway, resources)?;
        }
        Ok(())
    }
}

/// Reads requests into `out` in order, stopping at the end of the trace or after the
/// first request at or after `until`, and each one's concrete path (empty when the trace
/// records none) into the same place of `paths`; how many were read. Out of line: it
/// serves access logs and text or CSV ids read with their texts, not the bare-id path.
#[inline(never)]
fn read_with_paths(
    source: &mut dyn TraceSource,
    out: &mut [TraceRequest],
    paths: &mut [String],
    until: SimDuration,
    gateway: &Gateway<super::Stored>,
) -> Result<usize, TraceError> {
    let mut n = 0;
    for (r, path) in out.iter_mut().zip(paths) {
        if !source.next(r)? {
            break;
        }
        path.clear();
        match (source.path(), source.id_text()) {
            (Some(p), _) => path.push_str(p),
            (None, Some(id)) => gateway.path_with(r.resource as usize, id, path),
            (None, None) => {}
        }
        n += 1;
        if r.at >= until {
            break;
        }
    }
    Ok(n)
}

/// A record's places in the ring: arrival time, parameter values and their count, cache
/// key.
type Places<'a> = (
    ((&'a mut SimTime, &'a mut [u64]), &'a mut usize),
    &'a mut CacheKey,
);

/// Fills the places of each record that arrives before `end` (the trace's times count
/// from `start`): its time, and with `fill`, its parameter values and count and its
/// cache key (prefetching what the key's lookup will read). How many records arrive
/// before `end`, in order.
#[inline(always)]
fn prepare<'a, R: 'a>(
    records: impl Iterator<Item = ((SimDuration, &'a R), Places<'a>)>,
    start: SimTime,
    end: SimTime,
    mut fill: impl FnMut(&R, &mut [u64], &mut usize) -> CacheKey,
) -> usize {
    let mut kept = 0;
    for ((rel, r), (((at, out), len), key)) in records {
        *at = start + rel;
        if *at >= end {
            break;
        }
        *key = fill(r, out, len);
        kept += 1;
    }
    kept
}

/// Writes the parameter values of a trace record into `out` (the trace's own, else
/// derived from its key); how many.
#[inline]
fn trace_params(resource: &ResourceModel, r: &TraceRequest, out: &mut [u64]) -> usize {
    let n = resource.param_values.len();
    match &r.params {
        Some(values) => {
            let n = n.min(values.len());
            out[..n].copy_from_slice(&values[..n]);
            n
        }
        None => {
            param_values_into(resource, r.key, out);
            n
        }
    }
}
