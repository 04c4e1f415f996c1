//! The check before a run reads a trace file once for everything the run and the report
//! need from it: the tally (requests, bad records, order, span, requests after the end),
//! the digest of the bytes as stored (hashed as they are read, not read again), the
//! recording of an access log's requests within a budget, and the bytes read on a
//! progress bar. A study of one run takes the check in that run instead ([`InRun`]):
//! the replay's own read gives the tally, and the digest is taken from the same read
//! or, when that would slow the run, on a thread of its own ([`CheckHash`]).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::{Recorded, Tally, TraceError, TraceModel, TraceRequest, TraceSource, read_from};

/// A trace read by [`record`].
pub(crate) struct Scanned {
    /// What reading it found.
    pub tally: Tally,
    /// Its requests, when they fitted the budget.
    pub recorded: Option<Recorded>,
    /// The bytes a recording of its requests takes (whether or not it was kept).
    pub needed: usize,
    /// The digest of the file's bytes as stored (`algorithm:hex`): what a report's
    /// results depend on; `None` when not asked for.
    pub digest: Option<String>,
}

impl Scanned {
    /// A trace not read, whose tally an earlier check kept.
    pub(crate) fn kept(tally: Tally) -> Scanned {
        Scanned {
            tally,
            recorded: None,
            needed: 0,
            digest: None,
        }
    }
}

/// Reads the whole trace once: how many requests, what was wrong, how long it spans,
/// how many fall at or after `end` (the run's end) and are not replayed, and, when
/// `hash`, the file's digest from the same read; the bytes read as stored are counted
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
    let file = open(model)?;
    let (file, hash): (Box<dyn Read + Send>, _) = match hash {
        true => {
            let (file, hash) = CheckHash::reading(file, model);
            (Box::new(file), Some(hash))
        }
        false => (Box::new(file), None),
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
    let digest = hash.map(CheckHash::finish).transpose()?;
    Ok(Scanned {
        tally,
        recorded,
        needed,
        digest,
    })
}

/// The check of a trace taken by the one run that replays it, rather than by a read
/// before the run: the run's reader reads the file through to its end (past the run's
/// end, as the check does) for the tally, and, when `hash`, the file's digest (hashed
/// from the run's read, or by a thread reading the file beside it). Attached to the run's [`TraceModel`] like a
/// recording, and not part of what the trace is: every one compares equal.
#[derive(Clone, Default)]
pub struct CheckInRun(pub Option<Arc<InRun>>);

impl CheckInRun {
    /// A check the run takes, with the file's digest when `hash`.
    pub fn new(hash: bool) -> CheckInRun {
        CheckInRun(Some(Arc::new(InRun {
            hash,
            found: Mutex::new(None),
        })))
    }

    /// What the run found: `None` until the run has read the trace to its end.
    pub fn take(&self) -> Option<Checked> {
        let slot = self.0.as_ref()?;
        slot.found.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}

impl PartialEq for CheckInRun {
    fn eq(&self, _: &CheckInRun) -> bool {
        true
    }
}

impl std::fmt::Debug for CheckInRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.0 {
            Some(_) => "CheckInRun(taken by the run)",
            None => "CheckInRun(none)",
        })
    }
}

/// Where the run leaves what its check found.
pub struct InRun {
    /// The digest is asked for.
    pub hash: bool,
    found: Mutex<Option<Checked>>,
}

impl InRun {
    /// Leaves what the run found (the first run to finish, should two read it).
    pub(crate) fn found(&self, checked: Checked) {
        let mut found = self.found.lock().unwrap_or_else(|e| e.into_inner());
        found.get_or_insert(checked);
    }
}

/// What a run's check of its trace found.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    /// The tally, as the check before a run counts it for the run's end.
    pub tally: Tally,
    /// The file's digest, when asked for.
    pub digest: Option<String>,
}

/// How a trace's check hashes its file.
pub(crate) enum CheckHash {
    /// A thread of its own reads the file again and hashes it: in a run taking the
    /// check, SHA-256 (a CPU-second per 1.8 GB, which would hold up the run's reading),
    /// and object-id traces, whose run leaves a core idle.
    Thread(std::thread::JoinHandle<Result<String, TraceError>>),
    /// The bytes read go through the hash as they are read: the check before a run, and
    /// XXH3 on an access log in a run, whose parse keeps every core of the pool busy
    /// (hashing there costs less than a second read of the file would).
    Inline {
        state: Arc<Mutex<FileHash>>,
        file: PathBuf,
    },
}

impl CheckHash {
    /// Whether a run reading `model` (`object_ids`: by its records' ids alone) hashes
    /// it in line rather than on a thread of its own.
    pub(crate) fn in_line(model: &TraceModel, object_ids: bool) -> bool {
        model.digest == super::Digest::Xxh3_128 && !object_ids
    }

    /// Starts a thread hashing `model`'s file.
    pub(crate) fn thread(model: &TraceModel) -> Result<CheckHash, TraceError> {
        let (file, digest) = (model.file.clone(), model.digest);
        std::thread::Builder::new()
            .name("cachegate-digest".into())
            .spawn(move || FileHash::new(digest).finish(&file))
            .map(CheckHash::Thread)
            .map_err(|error| TraceError::Read {
                path: model.file.clone(),
                error,
            })
    }

    /// Opens `model`'s file for a run that hashes what it reads.
    pub(crate) fn open(
        model: &TraceModel,
    ) -> Result<(Box<dyn TraceSource + Send>, CheckHash), TraceError> {
        let (file, hash) = CheckHash::reading(open(model)?, model);
        Ok((read_from(model, Box::new(file))?, hash))
    }

    /// `file`, `model`'s, as a reader whose bytes go through the hash.
    fn reading(file: std::fs::File, model: &TraceModel) -> (Hashing, CheckHash) {
        let state = Arc::new(Mutex::new(FileHash::new(model.digest)));
        let hash = CheckHash::Inline {
            state: state.clone(),
            file: model.file.clone(),
        };
        (Hashing { file, state }, hash)
    }

    /// The digest of the whole file (`algorithm:hex`), once its reader is done with it
    /// (dropped, or at its end).
    pub(crate) fn finish(self) -> Result<String, TraceError> {
        match self {
            CheckHash::Thread(thread) => thread
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            CheckHash::Inline { state, file } => {
                let hash = std::mem::take(&mut *state.lock().unwrap_or_else(|e| e.into_inner()));
                hash.finish(&file)
            }
        }
    }
}

/// `model`'s file, opened.
fn open(model: &TraceModel) -> Result<std::fs::File, TraceError> {
    std::fs::File::open(&model.file).map_err(|error| TraceError::Read {
        path: model.file.clone(),
        error,
    })
}

/// A digest of a file's first `len` bytes.
#[derive(Default)]
pub(crate) struct FileHash {
    hasher: super::digest::Hasher,
    len: u64,
}

impl FileHash {
    fn new(digest: super::Digest) -> FileHash {
        FileHash {
            hasher: digest.hasher(),
            len: 0,
        }
    }

    /// The digest of the whole file at `path`: the bytes its reader left unread are
    /// read here (a zstd stream may end before the file does).
    fn finish(mut self, path: &Path) -> Result<String, TraceError> {
        use std::io::{Seek, SeekFrom};
        let read_err = |error| TraceError::Read {
            path: path.to_owned(),
            error,
        };
        let mut file = std::fs::File::open(path).map_err(read_err)?;
        file.seek(SeekFrom::Start(self.len)).map_err(read_err)?;
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = file.read(&mut buf).map_err(read_err)?;
            if n == 0 {
                break;
            }
            self.hasher.update(&buf[..n]);
        }
        Ok(self.hasher.finish())
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
