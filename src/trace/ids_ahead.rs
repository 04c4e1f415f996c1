//! An object-id trace read ahead on a thread of its own: the file's read (the kernel's
//! copy from the page cache), any zstd decompression and the records' decoding happen
//! there, in blocks handed over through a bounded channel and handed back for reuse,
//! while the run's thread simulates. Used when the run may use more than one thread;
//! the records, and where the trace stops (the first record at or after the run's end),
//! are exactly what reading on the run's thread gives.

use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

use super::{IdRecord, Tally, TraceError, TraceRequest, TraceSource};
use crate::time::SimDuration;

/// Records per block: 256 KiB of them, large enough that the hand-over costs nothing
/// next to the reading, small enough to stay in cache.
const BLOCK: usize = 8192;
/// Blocks read ahead (waiting in the channel) besides the one being read.
const AHEAD: usize = 2;

/// A block of records; `tally` set on the last one (the trace ended or passed `until`).
struct Filled {
    records: Vec<IdRecord>,
    tally: Option<Tally>,
}

/// A [`TraceSource`] whose [`next_ids`](TraceSource::next_ids) serves what a thread
/// reads ahead from another source.
pub(super) struct IdsAhead {
    filled: Option<Receiver<Result<Filled, TraceError>>>,
    spare: Option<SyncSender<Vec<IdRecord>>>,
    current: Vec<IdRecord>,
    pos: usize,
    /// The block being served is the last.
    last: bool,
    until: SimDuration,
    tally: Tally,
    /// The trace's resource and principal, every request's.
    resource: u32,
    principal: u32,
    path: std::path::PathBuf,
    thread: Option<JoinHandle<()>>,
}

impl IdsAhead {
    /// Starts reading `source` (`model`'s file) on a thread, through its first record
    /// at or after `until`.
    pub(super) fn new(
        source: Box<dyn TraceSource + Send>,
        model: &super::TraceModel,
        until: SimDuration,
    ) -> std::io::Result<IdsAhead> {
        let (filled_tx, filled) = sync_channel(AHEAD);
        let (spare, spare_rx) = sync_channel(AHEAD + 2);
        for _ in 0..AHEAD + 1 {
            let _ = spare.try_send(Vec::with_capacity(BLOCK));
        }
        let thread = std::thread::Builder::new()
            .name("cachegate-trace".into())
            .spawn(move || read_ahead(source, until, &spare_rx, &filled_tx))?;
        Ok(IdsAhead {
            filled: Some(filled),
            spare: Some(spare),
            current: Vec::new(),
            pos: 0,
            last: false,
            until,
            tally: Tally::default(),
            resource: model.resource,
            principal: model.principal,
            path: model.file.clone(),
            thread: Some(thread),
        })
    }

    /// Takes the next block; false at the end.
    fn next_block(&mut self) -> Result<bool, TraceError> {
        if self.last {
            return Ok(false);
        }
        let done = std::mem::take(&mut self.current);
        if let Some(spare) = &self.spare {
            let _ = spare.try_send(done);
        }
        let received = self.filled.as_ref().map(Receiver::recv);
        match received {
            Some(Ok(Ok(block))) => {
                self.current = block.records;
                self.pos = 0;
                if let Some(tally) = block.tally {
                    self.tally = tally;
                    self.last = true;
                }
                Ok(true)
            }
            Some(Ok(Err(e))) => {
                self.last = true;
                Err(e)
            }
            // The thread stopped without a word: it panicked (see `Drop`).
            Some(Err(_)) | None => {
                self.last = true;
                self.join();
                Err(TraceError::Read {
                    path: self.path.clone(),
                    error: std::io::Error::other("the trace's reading thread stopped"),
                })
            }
        }
    }

    /// Stops the thread (it ends once its channels are closed) and waits for it,
    /// passing on a panic.
    fn join(&mut self) {
        self.filled = None;
        self.spare = None;
        if let Some(thread) = self.thread.take()
            && let Err(panic) = thread.join()
            && !std::thread::panicking()
        {
            std::panic::resume_unwind(panic);
        }
    }
}

impl Drop for IdsAhead {
    fn drop(&mut self) {
        self.join();
    }
}

/// The thread: fills spare blocks from `source` and sends them, until the trace ends,
/// passes `until`, fails, or the reader is gone.
fn read_ahead(
    mut source: Box<dyn TraceSource + Send>,
    until: SimDuration,
    spare: &Receiver<Vec<IdRecord>>,
    filled: &SyncSender<Result<Filled, TraceError>>,
) {
    while let Ok(mut records) = spare.recv() {
        records.clear();
        records.resize(BLOCK, IdRecord::default());
        let mut n = 0;
        let mut end = false;
        while n < BLOCK {
            match source.next_ids(&mut records[n..], until) {
                Ok(0) => end = true,
                Ok(k) => {
                    n += k;
                    end = records[n - 1].at >= until;
                }
                Err(e) => {
                    records.truncate(n);
                    let block = Filled {
                        records,
                        tally: None,
                    };
                    if filled.send(Ok(block)).is_ok() {
                        let _ = filled.send(Err(e));
                    }
                    return;
                }
            }
            if end {
                break;
            }
        }
        records.truncate(n);
        let tally = end.then(|| source.tally().clone());
        if filled.send(Ok(Filled { records, tally })).is_err() || end {
            return;
        }
    }
}

impl TraceSource for IdsAhead {
    fn next(&mut self, out: &mut TraceRequest) -> Result<bool, TraceError> {
        let mut one = [IdRecord::default()];
        let until = self.until;
        if self.next_ids(&mut one, until)? == 0 {
            return Ok(false);
        }
        let [r] = one;
        *out = TraceRequest {
            at: r.at,
            resource: self.resource,
            principal: self.principal,
            max_age_zero: None,
            key: r.id,
            params: None,
            size: r.size,
        };
        Ok(true)
    }

    fn next_ids(&mut self, out: &mut [IdRecord], until: SimDuration) -> Result<usize, TraceError> {
        debug_assert!(until <= self.until, "read ahead for an earlier end");
        let mut n = 0;
        while n < out.len() {
            if self.pos == self.current.len() {
                if !self.next_block()? {
                    break;
                }
                continue;
            }
            let take = (out.len() - n).min(self.current.len() - self.pos);
            for (slot, r) in out[n..n + take]
                .iter_mut()
                .zip(&self.current[self.pos..self.pos + take])
            {
                *slot = *r;
                n += 1;
                self.pos += 1;
                if r.at >= until {
                    return Ok(n);
                }
            }
        }
        Ok(n)
    }

    fn tally(&self) -> &Tally {
        &self.tally
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::tests::{model, oracle_record};
    use crate::trace::{Column, TraceFormat, TraceModel, open, open_file};

    /// Every record `source` yields in batches of `batch` until `until`, and the error
    /// it stopped with, if any.
    fn read(
        source: &mut dyn TraceSource,
        batch: usize,
        until: SimDuration,
    ) -> (Vec<IdRecord>, Option<String>) {
        let mut got = Vec::new();
        let mut buf = vec![IdRecord::default(); batch];
        loop {
            match source.next_ids(&mut buf, until) {
                Ok(0) => return (got, None),
                Ok(n) => {
                    got.extend_from_slice(&buf[..n]);
                    if buf[n - 1].at >= until {
                        return (got, None);
                    }
                }
                Err(e) => return (got, Some(e.to_string())),
            }
        }
    }

    fn ahead(m: &TraceModel, until: SimDuration) -> IdsAhead {
        IdsAhead::new(open_file(m).unwrap(), m, until).unwrap()
    }

    /// Read ahead and read in place agree, record for record, on every end and batch.
    fn agree(m: &TraceModel, records: usize) {
        // Microseconds between records: the text trace's rate is 100 a second.
        let step: u64 = match m.format {
            TraceFormat::Text { .. } => 10_000,
            _ => 1_000_000,
        };
        let ends = [
            SimDuration::ZERO,
            SimDuration::from_micros(step * 5_000),
            SimDuration::from_micros(step * 8_192),
            SimDuration::from_micros(step * (records as u64 - 1)),
            SimDuration::MAX,
        ];
        for until in ends {
            for batch in [1, 7, 16, 10_000] {
                let here = read(&mut *open(m).unwrap(), batch, until);
                let there = read(&mut ahead(m, until), batch, until);
                assert!(here.1.is_none() && there.1.is_none(), "{:?}", there.1);
                assert!(here.0 == there.0, "{until:?} in batches of {batch}");
            }
        }
        let all = read(&mut *open(m).unwrap(), 16, SimDuration::MAX).0;
        assert_eq!(all.len(), records, "every record read");
        // One at a time through `next`, resource and principal included.
        let (mut here, mut there) = (open(m).unwrap(), ahead(m, SimDuration::MAX));
        let (mut a, mut b) = (TraceRequest::default(), TraceRequest::default());
        for _ in 0..records + 1 {
            let (x, y) = (here.next(&mut a).unwrap(), there.next(&mut b).unwrap());
            assert_eq!((x, a), (y, b));
        }
        assert_eq!(
            there.tally(),
            here.tally(),
            "the tally, once read to the end"
        );
    }

    #[test]
    fn records_read_ahead_are_those_read_in_place_wherever_the_run_ends() {
        let dir = tempfile::tempdir().unwrap();
        // Text ids (numbers and words), more than two blocks of them.
        let text: String = (0..20_000u32)
            .map(|i| {
                if i % 5 == 0 {
                    format!("object-{}\n", i % 300)
                } else {
                    format!("{}\n", i * 7 % 1_000)
                }
            })
            .collect();
        let file = dir.path().join("ids.txt");
        std::fs::write(&file, text).unwrap();
        agree(&model(&file, TraceFormat::Text { rate: 100.0 }), 20_000);
        // zstd-compressed oracleGeneral, one record a second.
        let bytes: Vec<u8> = (0..20_000u32)
            .flat_map(|i| oracle_record(i, u64::from(i * 31 % 977), i % 9))
            .collect();
        let file = dir.path().join("t.oracleGeneral.bin.zst");
        std::fs::write(&file, zstd::encode_all(&bytes[..], 3).unwrap()).unwrap();
        let mut m = model(&file, TraceFormat::OracleGeneral);
        m.zstd = true;
        agree(&m, 20_000);
    }

    #[test]
    fn a_bad_record_stops_the_read_ahead_where_it_stops_the_read_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let mut csv = String::from("t,id\n");
        for i in 0..20_000u32 {
            if i == 15_000 {
                csv.push_str("soon,1\n");
            } else {
                csv.push_str(&format!("{i},{}\n", i % 50));
            }
        }
        let file = dir.path().join("t.csv");
        std::fs::write(&file, csv).unwrap();
        let mut m = model(
            &file,
            TraceFormat::Csv {
                time: Some(Column::Name("t".into())),
                id: Column::Name("id".into()),
                size: None,
                time_unit_us: 1e6,
                rate: 1.0,
                header: true,
                delimiter: b',',
            },
        );
        m.max_bad_lines = 0;
        for batch in [16, 1_000] {
            let here = read(&mut *open(&m).unwrap(), batch, SimDuration::MAX);
            let there = read(&mut ahead(&m, SimDuration::MAX), batch, SimDuration::MAX);
            let error = here.1.as_deref().expect("too many bad lines");
            assert!(error.contains("line 15002"), "{error}");
            assert_eq!(there.1, here.1, "the same error");
            // The batch that met the error is lost either way (the run stops with it):
            // what came before it agrees.
            let (a, b) = (there.0.len(), here.0.len());
            assert!(a <= b && a >= 8_000, "{a} then {b}");
            assert!(
                there.0 == here.0[..there.0.len()],
                "records before the error"
            );
        }
    }

    #[test]
    fn a_reader_dropped_early_stops_its_thread() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("ids.txt");
        std::fs::write(&file, "1\n".repeat(100_000)).unwrap();
        let m = model(&file, TraceFormat::Text { rate: 10.0 });
        let mut source = ahead(&m, SimDuration::MAX);
        let mut buf = [IdRecord::default(); 10];
        assert_eq!(source.next_ids(&mut buf, SimDuration::MAX).unwrap(), 10);
        // Dropping joins the thread, blocked on a full channel: it must see the reader
        // gone and end (a hang here fails the test by timeout).
        drop(source);
    }
}
