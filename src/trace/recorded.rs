//! A trace read once and kept in memory, compactly, so that the runs of a study replay
//! it without reading or parsing the file again. The pre-run scan records each distinct
//! trace (within a memory budget: `--trace-memory`); every configuration x replication
//! that names it then replays the recording, which yields exactly what the file's reader
//! yields (requests, concrete paths, id texts), so outputs do not depend on whether a
//! trace was recorded.

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use super::{MAX_PARAMS, Tally, TraceError, TraceRequest, TraceSource};
use crate::time::SimDuration;

/// A trace's requests, in file order, as its reader yielded them.
#[derive(Default)]
pub struct Recorded {
    records: Vec<Rec>,
    /// The parameter values of the records that have some, in order (each record's up
    /// to its last nonzero slot; the slots after it are zero).
    params: Vec<u64>,
    /// The concrete paths or id texts of the records that have one, in order.
    texts: String,
    /// What the scan found.
    tally: Tally,
}

/// One request, in 40 bytes (a [`TraceRequest`] takes three times that).
#[derive(Clone, Copy)]
struct Rec {
    at: u64,
    key: u64,
    size: u64,
    resource: u32,
    principal: u32,
    text_len: u32,
    params: u8,
    flags: u8,
}

const SIZE: u8 = 1;
const MAX_AGE_ZERO_KNOWN: u8 = 1 << 1;
const MAX_AGE_ZERO: u8 = 1 << 2;
const PARAMS: u8 = 1 << 3;
const PATH: u8 = 1 << 4;
const ID_TEXT: u8 = 1 << 5;

impl Recorded {
    /// The bytes the recording holds.
    pub fn bytes(&self) -> usize {
        self.records.capacity() * size_of::<Rec>()
            + self.params.capacity() * size_of::<u64>()
            + self.texts.capacity()
    }

    /// How many requests it holds.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Appends a request read with its path or id text; false (and nothing kept) when
    /// that would take the recording past `budget` bytes or memory is short.
    pub(super) fn push(
        &mut self,
        r: &TraceRequest,
        path: Option<&str>,
        id_text: Option<&str>,
        budget: usize,
    ) -> bool {
        let (text, kind) = match (path, id_text) {
            (Some(p), _) => (p, PATH),
            (None, Some(t)) => (t, ID_TEXT),
            (None, None) => ("", 0),
        };
        let Ok(text_len) = u32::try_from(text.len()) else {
            return false;
        };
        let params = kept_params(r);
        // Grow by doubling, but never past the budget.
        let mut spare = budget.saturating_sub(self.bytes());
        let (Some(records), Some(more_params), Some(more_text)) = (
            room(&self.records, 1, &mut spare),
            room(&self.params, params.len(), &mut spare),
            grow(
                self.texts.len(),
                self.texts.capacity(),
                text.len(),
                1,
                &mut spare,
            ),
        ) else {
            return false;
        };
        if self.records.try_reserve_exact(records).is_err()
            || self.params.try_reserve_exact(more_params).is_err()
            || self.texts.try_reserve_exact(more_text).is_err()
        {
            return false;
        }
        let mut flags = kind;
        if r.size.is_some() {
            flags |= SIZE;
        }
        if let Some(m) = r.max_age_zero {
            flags |= MAX_AGE_ZERO_KNOWN | if m { MAX_AGE_ZERO } else { 0 };
        }
        if r.params.is_some() {
            flags |= PARAMS;
        }
        self.records.push(Rec {
            at: r.at.as_micros(),
            key: r.key,
            size: r.size.unwrap_or(0),
            resource: r.resource,
            principal: r.principal,
            text_len,
            params: params.len() as u8,
            flags,
        });
        self.params.extend_from_slice(params);
        self.texts.push_str(text);
        true
    }

    /// Keeps what the scan found (for [`TraceSource::tally`]).
    pub(super) fn finish(&mut self, tally: Tally) {
        self.tally = tally;
    }
}

/// The parameter values a recording keeps of `r`: up to the last nonzero one.
fn kept_params(r: &TraceRequest) -> &[u64] {
    r.params.as_ref().map_or(&[][..], |p| {
        &p[..p.iter().rposition(|&v| v != 0).map_or(0, |i| i + 1)]
    })
}

/// The bytes a request with a text of `text` bytes takes in a recording (not counting
/// spare capacity).
pub(super) fn cost(r: &TraceRequest, text: usize) -> usize {
    size_of::<Rec>() + size_of_val(kept_params(r)) + text
}

/// [`grow`] for a vector.
fn room<T>(v: &Vec<T>, more: usize, spare: &mut usize) -> Option<usize> {
    grow(v.len(), v.capacity(), more, size_of::<T>(), spare)
}

/// How many more elements (of `size` bytes) to reserve for `more` after `len` in a
/// capacity of `cap`, taken from `spare` bytes: none when they fit; else as many again
/// as there are (at least 64) while that leaves half of `spare`, then smaller steps;
/// `None` when even `more` do not fit.
fn grow(len: usize, cap: usize, more: usize, size: usize, spare: &mut usize) -> Option<usize> {
    if len + more <= cap {
        return Some(0);
    }
    let size = size.max(1);
    let need = len + more - cap;
    let double = cap.max(64).max(need);
    let want = if double * size <= *spare / 2 {
        double
    } else {
        need.max(*spare / 4 / size)
    };
    let bytes = want.checked_mul(size)?;
    *spare = spare.checked_sub(bytes)?;
    Some(want)
}

/// A recording attached to the trace it was read from (see [`super::TraceModel`]): not
/// part of what the trace is, so every recording compares equal.
#[derive(Clone, Default)]
pub struct Recording(pub Option<Arc<Recorded>>);

impl PartialEq for Recording {
    fn eq(&self, _: &Recording) -> bool {
        true
    }
}

impl fmt::Debug for Recording {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Some(r) => write!(f, "Recording({} requests)", r.len()),
            None => f.write_str("Recording(none)"),
        }
    }
}

/// Replays a recording.
pub(super) struct Replay {
    recorded: Arc<Recorded>,
    next: usize,
    param: usize,
    text: usize,
    /// The last request's text, and whether it is a path or an id text.
    last_text: Range<usize>,
    last_kind: u8,
}

impl Replay {
    pub(super) fn new(recorded: Arc<Recorded>) -> Replay {
        Replay {
            recorded,
            next: 0,
            param: 0,
            text: 0,
            last_text: 0..0,
            last_kind: 0,
        }
    }
}

impl TraceSource for Replay {
    fn next(&mut self, out: &mut TraceRequest) -> Result<bool, TraceError> {
        let r = &*self.recorded;
        let Some(rec) = r.records.get(self.next) else {
            return Ok(false);
        };
        self.next += 1;
        let params = rec.params as usize;
        *out = TraceRequest {
            at: SimDuration::from_micros(rec.at),
            resource: rec.resource,
            principal: rec.principal,
            max_age_zero: (rec.flags & MAX_AGE_ZERO_KNOWN != 0)
                .then_some(rec.flags & MAX_AGE_ZERO != 0),
            key: rec.key,
            params: (rec.flags & PARAMS != 0).then(|| {
                let mut p = [0u64; MAX_PARAMS];
                p[..params].copy_from_slice(&r.params[self.param..self.param + params]);
                p
            }),
            size: (rec.flags & SIZE != 0).then_some(rec.size),
        };
        self.param += params;
        let end = self.text + rec.text_len as usize;
        self.last_text = self.text..end;
        self.last_kind = rec.flags & (PATH | ID_TEXT);
        self.text = end;
        Ok(true)
    }

    fn tally(&self) -> &Tally {
        &self.recorded.tally
    }

    fn path(&self) -> Option<&str> {
        (self.last_kind == PATH).then(|| &self.recorded.texts[self.last_text.clone()])
    }

    fn id_text(&self) -> Option<&str> {
        (self.last_kind == ID_TEXT).then(|| &self.recorded.texts[self.last_text.clone()])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(i: u64) -> TraceRequest {
        TraceRequest {
            at: SimDuration::from_micros(i * 7),
            resource: (i % 3) as u32,
            principal: (i % 2) as u32,
            max_age_zero: [None, Some(false), Some(true)][(i % 3) as usize],
            key: i.wrapping_mul(0x9e37_79b9_7f4a_7c15),
            params: (i % 4 != 0).then(|| {
                let mut p = [0; MAX_PARAMS];
                // Zeros before a nonzero slot are kept; the trailing ones restored.
                p[(i % 3) as usize] = i;
                p[0] = i % 5;
                p
            }),
            size: (i % 5 != 0).then_some(i * 11),
        }
    }

    #[test]
    fn a_recording_replays_every_request_path_and_id_text_as_read() {
        let mut r = Recorded::default();
        let text = |i: u64| format!("/pets/{i}");
        for i in 0..5_000 {
            let t = text(i);
            let (path, id) = match i % 3 {
                0 => (Some(t.as_str()), None),
                1 => (None, Some(t.as_str())),
                _ => (None, None),
            };
            assert!(r.push(&request(i), path, id, usize::MAX));
        }
        assert_eq!(size_of::<Rec>(), 40);
        let mut replay = Replay::new(Arc::new(r));
        let mut out = TraceRequest::default();
        for i in 0..5_000 {
            assert!(replay.next(&mut out).unwrap());
            assert_eq!(out, request(i), "{i}");
            let t = text(i);
            assert_eq!(replay.path(), (i % 3 == 0).then_some(t.as_str()), "{i}");
            assert_eq!(replay.id_text(), (i % 3 == 1).then_some(t.as_str()), "{i}");
        }
        assert!(!replay.next(&mut out).unwrap());
    }

    #[test]
    fn a_recording_stays_within_its_budget() {
        for budget in [0, 1, 40_000, 100_000, 1 << 20] {
            let mut r = Recorded::default();
            let mut kept = 0;
            while kept < 100_000 && r.push(&request(kept), Some("/pets/123"), None, budget) {
                kept += 1;
                assert!(r.bytes() <= budget, "{budget}: {}", r.bytes());
            }
            assert!(r.bytes() <= budget);
            // It stops only when the next request (40 bytes, its parameters and
            // path) does not fit.
            if kept < 100_000 {
                let next = 40 + 8 * MAX_PARAMS + "/pets/123".len();
                assert!(r.bytes() + next > budget, "{budget}: {kept} {}", r.bytes());
            }
        }
    }
}
