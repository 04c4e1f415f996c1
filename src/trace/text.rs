//! Plain-text traces: one object id per line, spaced at `rate` requests per second (the
//! format has no times). A numeric id is the key itself; any other id is hashed
//! ([`super::hash_text`]).

use std::io::BufRead;

use super::spec::{TraceFormat, TraceModel};
use super::{Clock, Tally, TraceError, TraceRequest, TraceSource, hash_text, with_line};

pub(super) struct Text<R> {
    reader: R,
    path: std::path::PathBuf,
    resource: u32,
    principal: u32,
    clock: Clock,
    tally: Tally,
    buf: Vec<u8>,
    gap_us: f64,
}

impl<R: BufRead> Text<R> {
    pub(super) fn new(model: &TraceModel, reader: R) -> Self {
        let rate = match model.format {
            TraceFormat::Text { rate } => rate,
            _ => 1.0,
        };
        Text {
            reader,
            path: model.file.clone(),
            resource: model.resource,
            principal: model.principal,
            clock: Clock::default(),
            tally: Tally::default(),
            buf: Vec::with_capacity(64),
            gap_us: 1e6 / rate,
        }
    }
}

/// The key of an id: the number itself, or the hash of the text.
#[inline]
pub(super) fn key_of(id: &[u8]) -> u64 {
    let mut n: u64 = 0;
    if !id.is_empty() && id.len() <= 19 && id.iter().all(u8::is_ascii_digit) {
        for &d in id {
            n = n * 10 + u64::from(d - b'0');
        }
        return n;
    }
    hash_text(id)
}

impl<R: BufRead> TraceSource for Text<R> {
    #[inline]
    fn next(&mut self, out: &mut TraceRequest) -> Result<bool, TraceError> {
        loop {
            let key = with_line(&mut self.reader, &mut self.buf, |line| {
                let id = line.trim_ascii();
                (!id.is_empty()).then(|| key_of(id))
            })
            .map_err(|source| TraceError::Read {
                path: self.path.clone(),
                source,
            })?;
            let Some(key) = key else {
                return Ok(false);
            };
            let Some(key) = key else {
                continue;
            };
            let micros = (self.tally.requests as f64 * self.gap_us) as u64;
            out.at = self.clock.at(micros, &mut self.tally);
            out.resource = self.resource;
            out.principal = self.principal;
            out.max_age_zero = None;
            out.key = key;
            out.params = None;
            out.size = None;
            self.tally.requests += 1;
            return Ok(true);
        }
    }

    fn tally(&self) -> &Tally {
        &self.tally
    }
}
