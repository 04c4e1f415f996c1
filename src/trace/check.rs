//! The check before a run reads a trace file once for everything the run and the report
//! need from it: the tally (requests, bad records, order, span, requests after the end),
//! the SHA-256 of the bytes as stored (hashed as they are read, not read again), the
//! recording of an access log's requests within a budget, and the bytes read on a
//! progress bar.

use std::io::Read;
use std::sync::{Arc, Mutex};

use super::{Recorded, Tally, TraceError, TraceModel, TraceRequest, read_from};

/// A trace read by [`record`].
pub(crate) struct Scanned {
    /// What reading it found.
    pub tally: Tally,
    /// Its requests, when they fitted the budget.
    pub recorded: Option<Recorded>,
    /// The bytes a recording of its requests takes (whether or not it was kept).
    pub needed: usize,
    /// SHA-256 of the file's bytes as stored (hex): what a report's results depend on;
    /// `None` when not asked for.
    pub sha256: Option<String>,
}

/// Reads the whole trace once: how many requests, what was wrong, how long it spans,
/// how many fall at or after `end` (the run's end) and are not replayed, and, when
/// `hash`, the file's SHA-256 from the same read; the bytes read as stored are counted
/// on `progress`. Keeps the requests a run ending at `keep_until` replays (through the
/// first one at or after it) in a recording of at most `budget` bytes: `None` when they
/// do not fit (the recording is dropped the moment it would outgrow the budget) or
/// `budget` is 0.
pub(crate) fn record(
    model: &TraceModel,
    end: crate::time::SimTime,
    keep_until: crate::time::SimTime,
    budget: usize,
    hash: bool,
    progress: Option<&indicatif::ProgressBar>,
) -> Result<Scanned, TraceError> {
    let hash = hash.then(|| Arc::new(Mutex::new(FileHash::default())));
    let file = std::fs::File::open(&model.file).map_err(|error| TraceError::Read {
        path: model.file.clone(),
        error,
    })?;
    let file: Box<dyn Read + Send> = match hash.clone() {
        Some(state) => Box::new(Hashing { file, state }),
        None => Box::new(file),
    };
    let file: Box<dyn Read + Send> = match progress {
        Some(bar) => Box::new(Counted {
            inner: file,
            bar: bar.clone(),
        }),
        None => file,
    };
    let mut source = read_from(model, file)?;
    let mut request = TraceRequest::default();
    let mut after_end = 0;
    let mut recorded = (budget > 0).then(Recorded::default);
    let (mut keeping, mut needed) = (true, 0usize);
    while source.next(&mut request)? {
        let at = model.start + request.at;
        if at >= end {
            after_end += 1;
        }
        if keeping {
            let (path, id_text) = (source.path(), source.id_text());
            let text = path.or(id_text).map_or(0, str::len);
            needed = needed.saturating_add(super::recorded::cost(&request, text));
            if let Some(r) = &mut recorded
                && !r.push(&request, path, id_text, budget)
            {
                recorded = None;
            }
            // Times never go backwards, so a replay stops at this one.
            keeping = at < keep_until;
        }
    }
    let tally = Tally {
        after_end,
        ..source.tally().clone()
    };
    if let Some(r) = &mut recorded {
        r.finish(tally.clone());
    }
    drop(source);
    let sha256 = match hash {
        Some(hash) => {
            let hash = std::mem::take(&mut *hash.lock().unwrap_or_else(|e| e.into_inner()));
            Some(hash.finish(model)?)
        }
        None => None,
    };
    Ok(Scanned {
        tally,
        recorded,
        needed,
        sha256,
    })
}

/// A SHA-256 of a file's first `len` bytes.
#[derive(Default)]
struct FileHash {
    hasher: sha2::Sha256,
    len: u64,
}

impl FileHash {
    /// The hash of the whole file (hex): the bytes its reader left unread are read here
    /// (a zstd stream may end before the file does).
    fn finish(mut self, model: &TraceModel) -> Result<String, TraceError> {
        use sha2::Digest as _;
        use std::io::{Seek, SeekFrom};
        let read_err = |error| TraceError::Read {
            path: model.file.clone(),
            error,
        };
        let mut file = std::fs::File::open(&model.file).map_err(read_err)?;
        file.seek(SeekFrom::Start(self.len)).map_err(read_err)?;
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = file.read(&mut buf).map_err(read_err)?;
            if n == 0 {
                break;
            }
            self.hasher.update(&buf[..n]);
        }
        Ok(crate::checksum::hex(&self.hasher.finalize()))
    }
}

/// A file whose bytes go through a [`FileHash`] as they are read, so the trace's check
/// reads it once for both.
struct Hashing {
    file: std::fs::File,
    state: Arc<Mutex<FileHash>>,
}

impl Read for Hashing {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        use sha2::Digest as _;
        let n = self.file.read(buf)?;
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.hasher.update(&buf[..n]);
        state.len += n as u64;
        Ok(n)
    }
}

/// A file whose bytes are counted on a progress bar as they are read.
struct Counted {
    inner: Box<dyn Read + Send>,
    bar: indicatif::ProgressBar,
}

impl Read for Counted {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bar.inc(n as u64);
        Ok(n)
    }
}
