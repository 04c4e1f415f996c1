//! libCacheSim's `oracleGeneral` format: a sequence of 24-byte little-endian records,
//! `u32` timestamp (seconds), `u64` object id, `u32` object size, `i64` next access
//! (ignored). Read in whole buffers; a trailing partial record is a bad record.

use std::io::BufRead;

use super::{
    IMPLAUSIBLE, IdRecord, IdRequests, Tally, TraceError, TraceRequest, TraceSource, next_into_ids,
    spec::TraceModel,
};
use crate::time::SimDuration;

const RECORD: usize = 24;

pub(super) struct OracleGeneral<R> {
    reader: R,
    path: std::path::PathBuf,
    limit: u64,
    ids: IdRequests,
    record: u64,
    /// A record split across two buffer fills.
    carry: [u8; RECORD],
    carried: usize,
}

impl<R: BufRead> OracleGeneral<R> {
    pub(super) fn new(model: &TraceModel, reader: R) -> Self {
        OracleGeneral {
            reader,
            path: model.file.clone(),
            limit: model.max_bad_lines,
            ids: IdRequests::new(model),
            record: 0,
            carry: [0; RECORD],
            carried: 0,
        }
    }
}

/// Decodes one record: its time in microseconds, object id, and size if not 0.
#[inline(always)]
fn decode(r: &[u8; RECORD]) -> (u64, u64, Option<u64>) {
    let time = u32::from_le_bytes([r[0], r[1], r[2], r[3]]);
    let id = u64::from_le_bytes([r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11]]);
    let size = u32::from_le_bytes([r[12], r[13], r[14], r[15]]);
    (
        u64::from(time) * 1_000_000,
        id,
        (size > 0).then_some(u64::from(size)),
    )
}

impl<R: BufRead> TraceSource for OracleGeneral<R> {
    #[inline]
    fn next(&mut self, out: &mut TraceRequest) -> Result<bool, TraceError> {
        let read_err = |error| TraceError::Read {
            path: self.path.clone(),
            error,
        };
        loop {
            let buf = self.reader.fill_buf().map_err(read_err)?;
            if buf.is_empty() {
                if self.carried > 0 {
                    self.carried = 0;
                    let (path, n, limit) = (self.path.clone(), self.record + 1, self.limit);
                    self.ids.tally.bad(
                        &path,
                        n,
                        "a partial record at the end of the file",
                        limit,
                    )?;
                }
                return Ok(false);
            }
            if self.carried == 0 && buf.len() >= RECORD {
                let mut r = [0u8; RECORD];
                r.copy_from_slice(&buf[..RECORD]);
                self.reader.consume(RECORD);
                self.record += 1;
                let place = (self.path.as_path(), self.record, self.limit);
                if self.ids.fill(out, decode(&r), place)? {
                    return Ok(true);
                }
                continue;
            }
            // Finish a record that straddles two fills.
            let take = (RECORD - self.carried).min(buf.len());
            self.carry[self.carried..self.carried + take].copy_from_slice(&buf[..take]);
            self.carried += take;
            self.reader.consume(take);
            if self.carried == RECORD {
                self.carried = 0;
                self.record += 1;
                let r = self.carry;
                let place = (self.path.as_path(), self.record, self.limit);
                if self.ids.fill(out, decode(&r), place)? {
                    return Ok(true);
                }
            }
        }
    }

    /// Decodes the whole records in the read buffer in one pass, falling back to
    /// [`TraceSource::next`] for a record split across two buffer fills.
    fn next_ids(&mut self, out: &mut [IdRecord], until: SimDuration) -> Result<usize, TraceError> {
        let mut n = 0;
        while n < out.len() {
            if self.carried > 0 {
                if next_into_ids(self, out, &mut n, until)? {
                    return Ok(n);
                }
                continue;
            }
            let buf = self.reader.fill_buf().map_err(|error| TraceError::Read {
                path: self.path.clone(),
                error,
            })?;
            let whole = (buf.len() / RECORD).min(out.len() - n);
            if whole == 0 {
                // The end, or a record split across fills: `next` handles both.
                if next_into_ids(self, out, &mut n, until)? {
                    return Ok(n);
                }
                continue;
            }
            let mut used = 0;
            for (record, slot) in buf.chunks_exact(RECORD).zip(&mut out[n..n + whole]) {
                let record: &[u8; RECORD] = record.try_into().unwrap_or(&[0; RECORD]);
                let (micros, id, size) = decode(record);
                *slot = self.ids.record(micros, id, size);
                used += 1;
                // An implausible time is at or after `until` too: one check for both.
                if slot.at >= until {
                    break;
                }
            }
            self.reader.consume(used * RECORD);
            self.record += used as u64;
            n += used;
            if out[n - 1].at == IMPLAUSIBLE {
                n -= 1;
                let (path, limit) = (self.path.clone(), self.limit);
                self.ids.implausible(&path, self.record, limit)?;
                continue;
            }
            if out[n - 1].at >= until {
                return Ok(n);
            }
        }
        Ok(n)
    }

    fn tally(&self) -> &Tally {
        &self.ids.tally
    }
}
