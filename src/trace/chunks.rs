//! A line-oriented trace read in chunks of whole lines, each parsed as soon as it is read
//! on the run's rayon pool and served in file order, so parsing scales with cores while
//! what a reader yields stays exactly what one thread would yield. The read itself
//! (and any decompression) stays on the reading thread, in order.
//!
//! No chunk waits on a pool that may be busy: a chunk whose parse has not started when
//! the reader reaches it is parsed by the reader itself (its queued task then finds it
//! taken and returns), and one being parsed is waited for. Memory is bounded by the
//! window of chunks read ahead.

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

    /// The next chunk, or None at the end of the input.
    pub(super) fn next_chunk(&mut self) -> std::io::Result<Option<Vec<u8>>> {
        let mut buf = std::mem::take(&mut self.carry);
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
                self.carry = buf.split_off(searched + i + 1);
                return Ok(Some(buf));
            }
            // One line longer than a chunk: read on until it ends.
            searched = buf.len();
            target = buf.len() + self.size;
        }
    }
}

/// The chunks read ahead, in file order, each with its parse running or waiting on the
/// pool; `T` is what parsing one chunk gives.
pub(super) struct Ahead<T> {
    slots: VecDeque<Arc<Slot<T>>>,
    parse: Arc<dyn Fn(Vec<u8>) -> T + Send + Sync>,
    /// Parse on the pool (more than one thread), else on the reader's thread.
    parallel: bool,
}

struct Slot<T> {
    state: Mutex<State<T>>,
    done: Condvar,
}

enum State<T> {
    Waiting(Vec<u8>),
    Parsing,
    Parsed(std::thread::Result<T>),
}

impl<T: Send + 'static> Ahead<T> {
    pub(super) fn new(parse: Arc<dyn Fn(Vec<u8>) -> T + Send + Sync>) -> Self {
        Ahead {
            slots: VecDeque::new(),
            parse,
            parallel: rayon::current_num_threads() > 1,
        }
    }

    /// How many chunks to keep read ahead: enough for every thread of the pool to parse
    /// one while the reader serves another.
    pub(super) fn window(&self) -> usize {
        if self.parallel {
            2 * rayon::current_num_threads() + 1
        } else {
            1
        }
    }

    /// Chunks read ahead and not yet taken.
    pub(super) fn len(&self) -> usize {
        self.slots.len()
    }

    /// Queues `chunk`, its parse started on the pool.
    pub(super) fn push(&mut self, chunk: Vec<u8>) {
        let slot = Arc::new(Slot {
            state: Mutex::new(State::Waiting(chunk)),
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
    /// chunk is queued. A panic in the parse resumes here.
    pub(super) fn pop(&mut self) -> Option<T> {
        let slot = self.slots.pop_front()?;
        let mut state = slot.state.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            match std::mem::replace(&mut *state, State::Parsing) {
                State::Parsed(out) => {
                    return Some(out.unwrap_or_else(|panic| std::panic::resume_unwind(panic)));
                }
                State::Waiting(chunk) => {
                    drop(state);
                    return Some((self.parse)(chunk));
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
    fn parse_if_waiting(&self, parse: &(dyn Fn(Vec<u8>) -> T + Send + Sync)) -> bool {
        let chunk = {
            let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            match std::mem::replace(&mut *state, State::Parsing) {
                State::Waiting(chunk) => chunk,
                taken => {
                    *state = taken;
                    return false;
                }
            }
        };
        let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| parse(chunk)));
        *self.state.lock().unwrap_or_else(|e| e.into_inner()) = State::Parsed(out);
        self.done.notify_all();
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(input: &[u8], size: usize) -> Vec<Vec<u8>> {
        let mut c = LineChunks::new(input, size);
        std::iter::from_fn(|| c.next_chunk().unwrap()).collect()
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
                let mut ahead: Ahead<usize> = Ahead::new(Arc::new(|c: Vec<u8>| {
                    // Uneven work, so later chunks often finish first.
                    std::thread::sleep(std::time::Duration::from_micros(u64::from(c[0] % 3) * 200));
                    usize::from(c[0])
                }));
                let mut out = Vec::new();
                let mut next = 0u8;
                loop {
                    while ahead.len() < ahead.window() && next < 40 {
                        ahead.push(vec![next]);
                        next += 1;
                    }
                    match ahead.pop() {
                        Some(v) => out.push(v),
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
            let mut ahead: Ahead<u8> = Ahead::new(Arc::new(|c: Vec<u8>| {
                assert!(c[0] != 3, "chunk 3");
                c[0]
            }));
            for i in 0..5 {
                ahead.push(vec![i]);
            }
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                (0..5).map(|_| ahead.pop().unwrap()).collect::<Vec<_>>()
            }))
        });
        assert!(caught.is_err());
    }
}
