//! libCacheSim's `oracleGeneral` format: a sequence of 24-byte little-endian records,
//! `u32` timestamp (seconds), `u64` object id, `u32` object size, `i64` next access
//! (ignored). Read in whole buffers; a trailing partial record is a bad record.

use std::io::BufRead;

use super::{Clock, Tally, TraceError, TraceRequest, TraceSource, spec::TraceModel};

const RECORD: usize = 24;

pub(super) struct OracleGeneral<R> {
    reader: R,
    path: std::path::PathBuf,
    limit: u64,
    resource: u32,
    principal: u32,
    clock: Clock,
    tally: Tally,
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
            resource: model.resource,
            principal: model.principal,
            clock: Clock::default(),
            tally: Tally::default(),
            record: 0,
            carry: [0; RECORD],
            carried: 0,
        }
    }

    #[inline]
    fn decode(&mut self, r: &[u8; RECORD], out: &mut TraceRequest) {
        let time = u32::from_le_bytes([r[0], r[1], r[2], r[3]]);
        let id = u64::from_le_bytes([r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11]]);
        let size = u32::from_le_bytes([r[12], r[13], r[14], r[15]]);
        out.at = self.clock.at(u64::from(time) * 1_000_000, &mut self.tally);
        out.resource = self.resource;
        out.principal = self.principal;
        out.max_age_zero = None;
        out.key = id;
        out.params = None;
        out.size = (size > 0).then_some(u64::from(size));
        self.tally.requests += 1;
    }
}

impl<R: BufRead> TraceSource for OracleGeneral<R> {
    #[inline]
    fn next(&mut self, out: &mut TraceRequest) -> Result<bool, TraceError> {
        let read_err = |source| TraceError::Read {
            path: self.path.clone(),
            source,
        };
        loop {
            let buf = self.reader.fill_buf().map_err(read_err)?;
            if buf.is_empty() {
                if self.carried > 0 {
                    self.carried = 0;
                    let (path, n, limit) = (self.path.clone(), self.record + 1, self.limit);
                    self.tally
                        .bad(&path, n, "a partial record at the end of the file", limit)?;
                }
                return Ok(false);
            }
            if self.carried == 0 && buf.len() >= RECORD {
                let mut r = [0u8; RECORD];
                r.copy_from_slice(&buf[..RECORD]);
                self.reader.consume(RECORD);
                self.record += 1;
                self.decode(&r, out);
                return Ok(true);
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
                self.decode(&r, out);
                return Ok(true);
            }
        }
    }

    fn tally(&self) -> &Tally {
        &self.tally
    }
}
