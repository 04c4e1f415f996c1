//! The event queue: a binary heap ordered by `(time, sequence)`, the sequence a counter
//! that only grows, so events at equal times come out in the order they were scheduled
//! (nexosim's `PriorityQueue` rule) and a run is a pure function of its inputs.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::time::SimTime;

/// What happens at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Event {
    /// The next request of client `0`.
    Arrival(u32),
    /// Backend fetch `0` (an in-flight slot) responds.
    Done(u32),
    /// Stage event `0` of the scenario.
    Stage(u32),
    /// The next record of trace `0`.
    Trace(u32),
    /// The integration timeout of backend fetch `0` (an in-flight slot).
    Timeout(u32),
    /// The cache being created or resized is ready.
    CacheReady,
}

/// An event in the queue, ordered by `(at, seq)` alone: sequence numbers are unique, so
/// the event itself never decides the order (and comparing it would cost the heap's
/// every sift).
#[derive(Debug, Clone, Copy)]
struct Entry {
    at: SimTime,
    seq: u64,
    event: Event,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Entry) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}

impl Eq for Entry {}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Entry) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Entry {
    #[inline(always)]
    fn cmp(&self, other: &Entry) -> std::cmp::Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

/// A FIFO-at-ties priority queue of events.
#[derive(Debug, Default)]
pub struct EventQueue {
    heap: BinaryHeap<Reverse<Entry>>,
    next_seq: u64,
}

impl EventQueue {
    /// An empty queue.
    pub fn new() -> EventQueue {
        EventQueue::default()
    }

    /// Schedules `event` at `at`.
    #[inline(always)]
    pub fn push(&mut self, at: SimTime, event: Event) {
        self.heap.push(Reverse(Entry {
            at,
            seq: self.next_seq,
            event,
        }));
        self.next_seq += 1;
    }

    /// The earliest event (the first scheduled among equal times).
    #[cfg(test)]
    pub fn pop(&mut self) -> Option<(SimTime, Event)> {
        self.heap.pop().map(|Reverse(e)| (e.at, e.event))
    }

    /// The earliest event, left in the queue.
    #[inline(always)]
    pub fn peek(&self) -> Option<(SimTime, Event)> {
        self.heap.peek().map(|&Reverse(e)| (e.at, e.event))
    }

    /// Replaces the earliest event with `event` at `at` (one sift instead of a pop and
    /// a push: a client's arrival is followed by its next one). Ordered as if pushed now.
    #[inline(always)]
    pub fn replace_top(&mut self, at: SimTime, event: Event) {
        if let Some(mut top) = self.heap.peek_mut() {
            *top = Reverse(Entry {
                at,
                seq: self.next_seq,
                event,
            });
            self.next_seq += 1;
        } else {
            self.push(at, event);
        }
    }

    /// Removes the earliest event.
    #[inline(always)]
    pub fn remove_top(&mut self) {
        self.heap.pop();
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.heap.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_times_come_out_in_scheduling_order() {
        let mut q = EventQueue::new();
        let t = |us| SimTime::from_micros(us);
        q.push(t(5), Event::Done(9));
        q.push(t(1), Event::Stage(3));
        q.push(t(5), Event::Arrival(0));
        q.push(t(5), Event::Stage(0));
        q.push(t(2), Event::Arrival(7));
        // replace_top re-queues behind events already at its time.
        assert_eq!(q.peek(), Some((t(1), Event::Stage(3))));
        q.replace_top(t(5), Event::Stage(4));
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(
            order,
            vec![
                (t(2), Event::Arrival(7)),
                (t(5), Event::Done(9)),
                (t(5), Event::Arrival(0)),
                (t(5), Event::Stage(0)),
                (t(5), Event::Stage(4)),
            ]
        );
    }
}
