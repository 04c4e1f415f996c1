//! CSV traces (any delimiter, read with the `csv` crate): the object id column, and
//! optionally time and size columns, chosen by header name or 1-based number. Without a
//! time column, records are spaced at `rate` per second.

use std::io::BufRead;

use super::spec::{Column, TraceFormat, TraceModel};
use super::text::key_of;
use super::{IdRequests, Tally, TraceError, TraceRequest, TraceSource};

pub(super) struct Delimited<R> {
    reader: csv::Reader<R>,
    record: csv::ByteRecord,
    path: std::path::PathBuf,
    limit: u64,
    ids: IdRequests,
    columns: (Option<Column>, Column, Option<Column>),
    positions: Option<(Option<usize>, usize, Option<usize>)>,
    time_unit_us: f64,
    gap_us: f64,
    /// The last record's id as written, when not a number (see `TraceSource::id_text`).
    text: String,
    has_text: bool,
}

impl<R: BufRead> Delimited<R> {
    pub(super) fn new(model: &TraceModel, reader: R) -> Self {
        let TraceFormat::Csv {
            time,
            id,
            size,
            time_unit_us,
            rate,
            header,
            delimiter,
        } = &model.format
        else {
            unreachable!("Delimited reads CSV traces only")
        };
        Delimited {
            reader: csv::ReaderBuilder::new()
                .has_headers(*header)
                .delimiter(*delimiter)
                .flexible(true)
                .from_reader(reader),
            record: csv::ByteRecord::new(),
            path: model.file.clone(),
            limit: model.max_bad_lines,
            ids: IdRequests::new(model),
            columns: (time.clone(), id.clone(), size.clone()),
            positions: None,
            time_unit_us: *time_unit_us,
            gap_us: 1e6 / rate,
            text: String::new(),
            has_text: false,
        }
    }

    fn resolve(&mut self) -> Result<(Option<usize>, usize, Option<usize>), TraceError> {
        let headers = if self.reader.has_headers() {
            let path = self.path.clone();
            Some(
                self.reader
                    .byte_headers()
                    .map_err(|e| TraceError::Read {
                        path,
                        error: std::io::Error::other(e.to_string()),
                    })?
                    .clone(),
            )
        } else {
            None
        };
        let find = |c: &Column| -> Result<usize, String> {
            match (c, &headers) {
                (Column::Index(i), _) => Ok(*i),
                (Column::Name(n), Some(h)) => h
                    .iter()
                    .position(|f| f.trim_ascii() == n.as_bytes())
                    .ok_or_else(|| format!("the header has no column `{n}`")),
                (Column::Name(n), None) => Err(format!(
                    "column `{n}` is named but `header = false`; give its number"
                )),
            }
        };
        let resolved = (|| {
            Ok((
                self.columns.0.as_ref().map(find).transpose()?,
                find(&self.columns.1)?,
                self.columns.2.as_ref().map(find).transpose()?,
            ))
        })();
        // Without its columns nothing can be read: stop at once.
        resolved.map_err(|message: String| TraceError::Invalid {
            path: self.path.clone(),
            message,
        })
    }

    fn error(&self, e: csv::Error) -> TraceError {
        TraceError::Read {
            path: self.path.clone(),
            error: std::io::Error::other(e.to_string()),
        }
    }
}

fn number(bytes: &[u8]) -> Option<f64> {
    std::str::from_utf8(bytes.trim_ascii())
        .ok()?
        .parse()
        .ok()
        .filter(|x: &f64| x.is_finite() && *x >= 0.0)
}

impl<R: BufRead> TraceSource for Delimited<R> {
    fn next(&mut self, out: &mut TraceRequest) -> Result<bool, TraceError> {
        let (time_at, id_at, size_at) = match self.positions {
            Some(p) => p,
            None => {
                let p = self.resolve()?;
                self.positions = Some(p);
                p
            }
        };
        loop {
            match self.reader.read_byte_record(&mut self.record) {
                Ok(false) => return Ok(false),
                Ok(true) => {}
                Err(e) if e.is_io_error() => return Err(self.error(e)),
                Err(e) => {
                    let line = e.position().map_or(0, csv::Position::line);
                    let (path, limit) = (self.path.clone(), self.limit);
                    self.ids.tally.bad(&path, line, &e.to_string(), limit)?;
                    continue;
                }
            }
            let line = self.record.position().map_or(0, csv::Position::line);
            let (path, limit) = (self.path.clone(), self.limit);
            let id = match self.record.get(id_at).map(<[u8]>::trim_ascii) {
                Some(id) if !id.is_empty() => id,
                _ => {
                    self.ids.tally.bad(&path, line, "no object id", limit)?;
                    continue;
                }
            };
            let key = key_of(id);
            self.has_text = super::keep_id_text(id, &mut self.text);
            let micros = match time_at {
                Some(t) => match self.record.get(t).and_then(number) {
                    Some(x) => (x * self.time_unit_us) as u64,
                    None => {
                        self.ids.tally.bad(
                            &path,
                            line,
                            "the time is not a non-negative number",
                            limit,
                        )?;
                        continue;
                    }
                },
                None => self.ids.spaced(self.gap_us),
            };
            let size = match size_at {
                Some(s) => match self.record.get(s).and_then(number) {
                    Some(x) => Some(x as u64),
                    None => {
                        self.ids.tally.bad(
                            &path,
                            line,
                            "the size is not a non-negative number",
                            limit,
                        )?;
                        continue;
                    }
                },
                None => None,
            };
            if self
                .ids
                .fill(out, (micros, key, size), (&path, line, limit))?
            {
                return Ok(true);
            }
        }
    }

    fn tally(&self) -> &Tally {
        &self.ids.tally
    }

    fn id_text(&self) -> Option<&str> {
        self.has_text.then_some(self.text.as_str())
    }
}
