//! A line-oriented trace read in chunks of whole lines, each parsed as soon as it is read
//! on the run's rayon pool and served in file order, so parsing scales with cores while
//! what a reader yields stays exactly what one thread would yield. The read itself
//! (and any decompression) stays on the reading thread, in order.
//!
//! No chunk waits on a pool that may be busy: a chunk whose parse has not started when
//! the reader reaches it is parsed by the reader itself (its queued task then finds it
//! taken and returns), and one being parsed is waited for. Memory is bounded by the
//! window of chunks read ahead, and its buffers (the bytes read and what they parse to)
//! are reused chunk after chunk: a fresh megabyte per chunk cost a fifth of the read in
//! the kernel zeroing pages.

use std::collections::VecDeque;
use std::io::Read;
use std::sync::{Arc, Condvar, Mutex};

/// Bytes per chunk (at most, but for a line longer than that).
pub(super) const CHUNK: usize = 1 << 20;

/// Splits a byte stream into chunks of whole lines: as many as fit in `size` bytes, or
/// the one line when it is longer; each ends just after a `\n`, but the last, which ends
/// with the input.
pub(super) struct LineChunks<R> {
    reader: R,
    /// The start of the next chunk: what followed the last chunk's final line end.
    carry: Vec<u8>,
    eof: bool,
    size: usize,
}

impl<R: Read> LineChunks<R> {
    pub(super) fn new(reader: R, size: usize) -> Self {
        LineChunks {
            reader,
            carry: Vec::new(),
            eof: false,
            size: size.max(1),
        }
    }

    /// The next chunk, read into `buf` (whatever it held is dropped; its allocation is
    /// reused), or None at the end of the input.
    pub(super) fn next_chunk(&mut self, mut buf: Vec<u8>) -> std::io::Result<Option<Vec<u8>>> {
        buf.clear();
        buf.extend_from_slice(&self.carry);
        self.carry.clear();
        let mut target = self.size;
        // Where the search for a line end resumes (what is before holds none).
        let mut searched = 0;
        loop {
            if !self.eof && buf.len() < target {
                // Room for the read (within reason: a huge `size` grows as it reads).
                buf.reserve((target - buf.len()).min(1 << 24));
                let want = (target - buf.len()) as u64;
                let n = (&mut self.reader).take(want).read_to_end(&mut buf)?;
                if (n as u64) < want {
                    self.eof = true;
                }
                continue;
            }
            if self.eof {
                return Ok((!buf.is_empty()).then_some(buf));
            }
            // The last line end in the chunk, or the end of the one long line.
            let end = if searched == 0 {
                memchr::memrchr(b'\n', &buf)
            } else {
                memchr::memchr(b'\n', &buf[searched..])
            };
            if let Some(i) = end {
                self.carry.extend_from_slice(&buf[searched + i + 1..]);
                buf.truncate(searched + i + 1);
                return Ok(Some(buf));
            }
            // One line longer than a chunk: read on until it ends.
            searched = buf.len();
            target = buf.len() + self.size;
        }
    }
}

/// How a chunk's bytes become a `T`: `parse(bytes, out)` overwrites `out`, a `T` an
/// earlier chunk parsed to, so its allocations are reused.
pub(super) type Parse<T> = Arc<dyn Fn(&[u8], &mut T) + Send + Sync>;

/// A line-oriented input read in chunks, parsed ahead (in parallel on the run's pool)
/// and served in file order, recycling the buffers of the chunks served.
pub(super) struct Chunked<R, T> {
    lines: LineChunks<R>,
    ahead: Ahead<T>,
    /// The input has ended (or failed: `failed`, returned once the chunks before it
    /// have been served).
    read_all: bool,
    failed: Option<std::io::Error>,
    /// Buffers of chunks served, for the next reads and parses.
    spare_bytes: Vec<Vec<u8>>,
    spare_parsed: Vec<T>,
}

impl<R: Read, T: Default + Send + 'static> Chunked<R, T> {
    /// Reads `reader` in chunks of at most `size` bytes (but for longer lines).
    pub(super) fn new(reader: R, size: usize, parse: Parse<T>) -> Self {
        Chunked {
            lines: LineChunks::new(reader, size),
            ahead: Ahead::new(parse),
            read_all: false,
            failed: None,
            spare_bytes: Vec::new(),
            spare_parsed: Vec::new(),
        }
    }

    /// The next chunk, parsed; `done` is the chunk served before, whose buffers are
    /// reused. None at the end of the input; a read error once every chunk before it has
    /// been served.
    pub(super) fn next(&mut self, done: T) -> std::io::Result<Option<T>> {
        self.spare_parsed.push(done);
        while !self.read_all && self.ahead.len() < self.ahead.window() {
            let buf = self.spare_bytes.pop().unwrap_or_default();
            match self.lines.next_chunk(buf) {
                Ok(Some(chunk)) => {
                    let out = self.spare_parsed.pop().unwrap_or_default();
                    self.ahead.push(chunk, out);
                }
                Ok(None) => self.read_all = true,
                Err(error) => {
                    self.read_all = true;
                    self.failed = Some(error);
                }
            }
        }
        match self.ahead.pop() {
            Some((parsed, bytes)) => {
                self.spare_bytes.push(bytes);
                Ok(Some(parsed))
            }
            None => self.failed.take().map_or(Ok(None), Err),
        }
    }
}

/// The chunks read ahead, in file order, each with its parse running or waiting on the
/// pool; `T` is what parsing one chunk gives.
struct Ahead<T> {
    slots: VecDeque<Arc<Slot<T>>>,
    parse: Parse<T>,
    /// Parse on the pool (more than one thread), else on the reader's thread.
    parallel: bool,
}

struct Slot<T> {
    state: Mutex<State<T>>,
    done: Condvar,
}

enum State<T> {
    /// The chunk's bytes, and the buffer it is to be parsed into.
    Waiting(Vec<u8>, T),
    Parsing,
    /// The bytes (for reuse), and what they parsed to.
    Parsed(Vec<u8>, std::thread::Result<T>),
}

impl<T: Send + 'static> Ahead<T> {
    fn new(parse: Parse<T>) -> Self {
        Ahead {
            slots: VecDeque::new(),
            parse,
            parallel: rayon::current_num_threads() > 1,
        }
    }

    /// How many chunks to keep read ahead: enough for every thread of the pool to parse
    /// one while the reader serves another.
    fn window(&self) -> usize {
        if self.parallel {
            2 * rayon::current_num_threads() + 1
        } else {
            1
        }
    }

    /// Chunks read ahead and not yet taken.
    fn len(&self) -> usize {
        self.slots.len()
    }

    /// Queues `chunk`, to be parsed into `out`, its parse started on the pool.
    fn push(&mut self, chunk: Vec<u8>, out: T) {
        let slot = Arc::new(Slot {
            state: Mutex::new(State::Waiting(chunk, out)),
            done: Condvar::new(),
        });
        if self.parallel {
            let (slot, parse) = (Arc::clone(&slot), Arc::clone(&self.parse));
            rayon::spawn(move || {
                slot.parse_if_waiting(&*parse);
            });
        }
        self.slots.push_back(slot);
    }

    /// The first chunk's parse, parsing it here if no thread has started; while another
    /// thread parses it, this one parses a later chunk rather than wait (the pool takes
    /// the oldest tasks first, so the reader would otherwise always wait). None when no
    /// chunk is queued; else what it parsed to, and its bytes. A panic in the parse
    /// resumes here.
    fn pop(&mut self) -> Option<(T, Vec<u8>)> {
        let slot = self.slots.pop_front()?;
        let mut state = slot.state.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            match std::mem::replace(&mut *state, State::Parsing) {
                State::Parsed(chunk, out) => {
                    let out = out.unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                    return Some((out, chunk));
                }
                State::Waiting(chunk, mut out) => {
                    drop(state);
                    (self.parse)(&chunk, &mut out);
                    return Some((out, chunk));
                }
                State::Parsing => {
                    drop(state);
                    let helped = self
                        .slots
                        .iter()
                        .any(|later| later.parse_if_waiting(&*self.parse));
                    state = slot.state.lock().unwrap_or_else(|e| e.into_inner());
                    if !helped && matches!(*state, State::Parsing) {
                        state = slot.done.wait(state).unwrap_or_else(|e| e.into_inner());
                    }
                }
            }
        }
    }
}

impl<T> Slot<T> {
    /// Parses the chunk unless a thread has started it (the pool's task, or the reader
    /// helping); whether it did.
    fn parse_if_waiting(&self, parse: &(dyn Fn(&[u8], &mut T) + Send + Sync)) -> bool {
        let (chunk, mut out) = {
            let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            match std::mem::replace(&mut *state, State::Parsing) {
                State::Waiting(chunk, out) => (chunk, out),
                taken => {
                    *state = taken;
                    return false;
                }
            }
        };
        let parsed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            parse(&chunk, &mut out);
            out
        }));
        *self.state.lock().unwrap_or_else(|e| e.into_inner()) = State::Parsed(chunk, parsed);
        self.done.notify_all();
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(input: &[u8], size: usize) -> Vec<Vec<u8>> {
        let mut c = LineChunks::new(input, size);
        std::iter::from_fn(|| c.next_chunk(b"left over".to_vec()).unwrap()).collect()
    }

    #[test]
    fn chunks_hold_whole_lines_and_together_the_input() {
        let input = b"a\nbb\nccc\n\ndddd\nlast-without-end";
        for size in [1, 2, 3, 5, 8, 13, 100] {
            let got = chunks(input, size);
            assert_eq!(got.concat(), input, "size {size}");
            for (i, c) in got.iter().enumerate() {
                assert!(!c.is_empty());
                if i + 1 < got.len() {
                    assert_eq!(c.last(), Some(&b'\n'), "size {size}: {c:?}");
                    let one_line = !c[..c.len() - 1].contains(&b'\n');
                    assert!(c.len() <= size || one_line, "size {size}: {c:?}");
                    // As many lines as fit: the next one would not have.
                    let next = &got[i + 1];
                    let first = next
                        .iter()
                        .position(|&b| b == b'\n')
                        .map_or(next.len(), |p| p + 1);
                    assert!(c.len() + first > size, "size {size}: {c:?} then {next:?}");
                }
            }
        }
        assert!(chunks(b"", 4).is_empty());
        assert_eq!(chunks(b"\n\n", 1), [b"\n".to_vec(), b"\n".to_vec()]);
        assert_eq!(chunks(b"a\n", 100), [b"a\n".to_vec()]);
    }

    #[test]
    fn ahead_serves_parses_in_order_on_any_pool() {
        for threads in [1, 2, 4] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let got: Vec<usize> = pool.install(|| {
                let mut ahead: Ahead<usize> = Ahead::new(Arc::new(|c: &[u8], out: &mut usize| {
                    // Uneven work, so later chunks often finish first.
                    std::thread::sleep(std::time::Duration::from_micros(u64::from(c[0] % 3) * 200));
                    *out = usize::from(c[0]);
                }));
                let mut out = Vec::new();
                let mut next = 0u8;
                loop {
                    while ahead.len() < ahead.window() && next < 40 {
                        ahead.push(vec![next], 0);
                        next += 1;
                    }
                    match ahead.pop() {
                        Some((v, _)) => out.push(v),
                        None => break,
                    }
                }
                out
            });
            assert_eq!(got, (0..40).collect::<Vec<_>>(), "{threads} threads");
        }
    }

    #[test]
    fn a_panic_in_a_parse_reaches_the_reader() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        let caught = pool.install(|| {
            let mut ahead: Ahead<u8> = Ahead::new(Arc::new(|c: &[u8], out: &mut u8| {
                assert!(c[0] != 3, "chunk 3");
                *out = c[0];
            }));
            for i in 0..5 {
                ahead.push(vec![i], 0);
            }
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                (0..5).map(|_| ahead.pop().unwrap().0).collect::<Vec<_>>()
            }))
        });
        assert!(caught.is_err());
    }

    /// What a chunk parses to in the test below: its bytes, and whether the buffer it
    /// was parsed into had served before.
    #[derive(Default)]
    struct Copy {
        bytes: Vec<u8>,
        reused: bool,
    }

    #[test]
    fn chunked_serves_every_chunk_in_order_and_reuses_its_buffers() {
        let input: Vec<u8> = (0..2_000)
            .flat_map(|i| format!("line {i} {}\n", "x".repeat(i % 37)).into_bytes())
            .collect();
        for threads in [1, 2, 4] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let (served, chunks, reused) = pool.install(|| {
                let parse: Parse<Copy> = Arc::new(|c: &[u8], out: &mut Copy| {
                    out.reused = out.bytes.capacity() > 0;
                    out.bytes.clear();
                    out.bytes.extend_from_slice(c);
                });
                let mut chunked = Chunked::new(&input[..], 256, parse);
                let (mut served, mut chunks, mut reused) = (Vec::new(), 0, 0);
                let mut done = Copy::default();
                while let Some(c) = chunked.next(done).unwrap() {
                    served.extend_from_slice(&c.bytes);
                    chunks += 1;
                    reused += usize::from(c.reused);
                    done = c;
                }
                (served, chunks, reused)
            });
            assert_eq!(served, input, "{threads} threads");
            // Only the first window's chunks (and the one served) parse into new buffers.
            let window = if threads > 1 { 2 * threads + 1 } else { 1 };
            assert!(chunks > 100, "{chunks}");
            assert!(
                reused + window + 1 >= chunks,
                "{threads} threads: {reused} of {chunks}"
            );
        }
    }
}
