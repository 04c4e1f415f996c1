//! Plain-text traces: one object id per line, spaced at `rate` requests per second (the
//! format has no times). A numeric id is the key itself; any other id is hashed
//! ([`super::hash_text`]).

use std::io::BufRead;

use super::spec::{TraceFormat, TraceModel};
use super::{
    IdRecord, IdRequests, Tally, TraceError, TraceRequest, TraceSource, hash_text, next_into_ids,
    with_line,
};
use crate::time::SimDuration;

pub(super) struct Text<R> {
    reader: R,
    path: std::path::PathBuf,
    ids: IdRequests,
    buf: Vec<u8>,
    gap_us: f64,
    /// The last record's id as written, when not a number (see `TraceSource::id_text`).
    text: String,
    has_text: bool,
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
            ids: IdRequests::new(model),
            buf: Vec::with_capacity(64),
            gap_us: 1e6 / rate,
            text: String::new(),
            has_text: false,
        }
    }
}

/// Whether an id is a number, and so its own key: 1 to 19 ASCII digits.
#[inline]
pub(super) fn is_number(id: &[u8]) -> bool {
    !id.is_empty() && id.len() <= 19 && id.iter().all(u8::is_ascii_digit)
}

/// The key of an id: the number itself, or the hash of the text.
#[inline]
pub(super) fn key_of(id: &[u8]) -> u64 {
    let mut n: u64 = 0;
    if is_number(id) {
        for &d in id {
            n = n * 10 + u64::from(d - b'0');
        }
        return n;
    }
    hash_text(id)
}

/// A line of 1 to 19 ASCII digits ended by `\n` at the start of `bytes`: its number and
/// its length with the `\n`.
#[inline(always)]
fn numeric_line(bytes: &[u8]) -> Option<(Option<u64>, usize)> {
    let mut n: u64 = 0;
    for (i, &b) in bytes.iter().enumerate().take(20) {
        match b {
            b'0'..=b'9' if i < 19 => n = n * 10 + u64::from(b - b'0'),
            b'\n' if i > 0 => return Some((Some(n), i + 1)),
            _ => return None,
        }
    }
    None
}

/// Any whole line at the start of `bytes`, taken as [`Text::next`] takes it: its key
/// (`None` for a blank line) and its length with the `\n`; `None` if no line ends here.
#[inline]
fn other_line(bytes: &[u8]) -> Option<(Option<u64>, usize)> {
    let end = bytes.iter().position(|&b| b == b'\n')?;
    let id = super::trim_line_end(&bytes[..end]).trim_ascii();
    Some(((!id.is_empty()).then(|| key_of(id)), end + 1))
}

impl<R: BufRead> TraceSource for Text<R> {
    #[inline]
    fn next(&mut self, out: &mut TraceRequest) -> Result<bool, TraceError> {
        loop {
            let (text, has_text) = (&mut self.text, &mut self.has_text);
            let key = with_line(&mut self.reader, &mut self.buf, |line| {
                let id = line.trim_ascii();
                *has_text = super::keep_id_text(id, text);
                (!id.is_empty()).then(|| key_of(id))
            })
            .map_err(|error| TraceError::Read {
                path: self.path.clone(),
                error,
            })?;
            let Some(key) = key else {
                return Ok(false);
            };
            let Some(key) = key else {
                continue;
            };
            let at = self.ids.spaced(self.gap_us);
            // Spaced times are never implausible.
            let place = (self.path.as_path(), 0, u64::MAX);
            if self.ids.fill(out, (at, key, None), place)? {
                return Ok(true);
            }
        }
    }

    /// Reads the whole lines in the read buffer in one pass: a line of 1 to 19 digits is
    /// parsed as it is scanned for its end; any other line goes the way [`Text::next`]
    /// takes it; a line split across two buffer fills is left to `next`.
    fn next_ids(&mut self, out: &mut [IdRecord], until: SimDuration) -> Result<usize, TraceError> {
        let mut n = 0;
        while n < out.len() {
            let buf = self.reader.fill_buf().map_err(|error| TraceError::Read {
                path: self.path.clone(),
                error,
            })?;
            let mut used = 0;
            let mut reached_until = false;
            while n < out.len() {
                let rest = &buf[used..];
                let Some((key, len)) = numeric_line(rest).or_else(|| other_line(rest)) else {
                    break;
                };
                used += len;
                let Some(key) = key else {
                    continue;
                };
                let at = self.ids.spaced(self.gap_us);
                out[n] = self.ids.record(at, key, None);
                n += 1;
                if out[n - 1].at >= until {
                    reached_until = true;
                    break;
                }
            }
            self.reader.consume(used);
            if reached_until || n == out.len() {
                return Ok(n);
            }
            // The buffer ends inside a line (or the input ends): `next` reads on.
            if next_into_ids(self, out, &mut n, until)? {
                return Ok(n);
            }
        }
        Ok(n)
    }

    fn tally(&self) -> &Tally {
        &self.ids.tally
    }

    fn id_text(&self) -> Option<&str> {
        self.has_text.then_some(self.text.as_str())
    }
}
