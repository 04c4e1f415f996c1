//! Eviction order behind one interface, [`EvictionOrder`]: the cache reports inserts,
//! hits and removals by slot and asks for a victim. `lru` and `fifo` share an intrusive
//! doubly linked list over slot indices (no allocation per operation once the list has
//! grown to the cache's slot count); they differ only in whether a hit moves the entry.
//! A new policy is a new type implementing the trait plus a variant of [`Eviction`].

use serde::Deserialize;

/// The eviction policy named in a scenario (`model.eviction`). AWS does not document
/// its algorithm, so this is an explicit assumption. Defaults to: `lru`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EvictionPolicy {
    /// Least recently used: a hit makes the entry the last to go.
    #[default]
    Lru,
    /// First in, first out: hits do not change the order.
    Fifo,
}

impl EvictionPolicy {
    /// The scenario spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            EvictionPolicy::Lru => "lru",
            EvictionPolicy::Fifo => "fifo",
        }
    }
}

/// What a cache tells its eviction order, and what it asks of it.
pub trait EvictionOrder {
    /// A new entry now occupies `slot`.
    fn inserted(&mut self, slot: u32);
    /// The entry in `slot` was served.
    fn accessed(&mut self, slot: u32);
    /// The entry in `slot` left the cache.
    fn removed(&mut self, slot: u32);
    /// The slot to evict next (not removed until [`EvictionOrder::removed`]).
    fn victim(&self) -> Option<u32>;
    /// Forgets every entry.
    fn clear(&mut self);
    /// Slots from the next victim to the last, for invariant checks.
    fn order(&self) -> Vec<u32>;
}

const NIL: u32 = u32::MAX;

#[derive(Debug, Clone, Copy)]
struct Link {
    prev: u32,
    next: u32,
}

/// An intrusive doubly linked list of slots: head is the next victim, tail the newest.
#[derive(Debug, Clone)]
pub struct SlotList {
    links: Vec<Link>,
    head: u32,
    tail: u32,
}

impl Default for SlotList {
    fn default() -> Self {
        SlotList {
            links: Vec::new(),
            head: NIL,
            tail: NIL,
        }
    }
}

impl SlotList {
    fn push_back(&mut self, slot: u32) {
        let i = slot as usize;
        if i >= self.links.len() {
            self.links.resize(
                i + 1,
                Link {
                    prev: NIL,
                    next: NIL,
                },
            );
        }
        self.links[i] = Link {
            prev: self.tail,
            next: NIL,
        };
        match self.tail {
            NIL => self.head = slot,
            t => self.links[t as usize].next = slot,
        }
        self.tail = slot;
    }

    fn unlink(&mut self, slot: u32) {
        let Link { prev, next } = self.links[slot as usize];
        match prev {
            NIL => self.head = next,
            p => self.links[p as usize].next = next,
        }
        match next {
            NIL => self.tail = prev,
            n => self.links[n as usize].prev = prev,
        }
    }

    #[inline]
    fn move_to_back(&mut self, slot: u32) {
        if self.tail != slot {
            self.unlink(slot);
            self.push_back(slot);
        }
    }

    fn clear(&mut self) {
        self.head = NIL;
        self.tail = NIL;
    }

    fn order(&self) -> Vec<u32> {
        let mut out = Vec::new();
        let mut at = self.head;
        let mut prev = NIL;
        while at != NIL && out.len() <= self.links.len() {
            // A broken back link shows up as a repeated or missing slot in the result.
            if self.links[at as usize].prev != prev {
                out.push(NIL);
                break;
            }
            out.push(at);
            prev = at;
            at = self.links[at as usize].next;
        }
        if prev != self.tail {
            out.push(NIL);
        }
        out
    }
}

/// Least recently used.
#[derive(Debug, Clone, Default)]
pub struct Lru(SlotList);

/// First in, first out.
#[derive(Debug, Clone, Default)]
pub struct Fifo(SlotList);

impl EvictionOrder for Lru {
    fn inserted(&mut self, slot: u32) {
        self.0.push_back(slot);
    }
    #[inline]
    fn accessed(&mut self, slot: u32) {
        self.0.move_to_back(slot);
    }
    fn removed(&mut self, slot: u32) {
        self.0.unlink(slot);
    }
    fn victim(&self) -> Option<u32> {
        (self.0.head != NIL).then_some(self.0.head)
    }
    fn clear(&mut self) {
        self.0.clear();
    }
    fn order(&self) -> Vec<u32> {
        self.0.order()
    }
}

impl EvictionOrder for Fifo {
    fn inserted(&mut self, slot: u32) {
        self.0.push_back(slot);
    }
    #[inline]
    fn accessed(&mut self, _slot: u32) {}
    fn removed(&mut self, slot: u32) {
        self.0.unlink(slot);
    }
    fn victim(&self) -> Option<u32> {
        (self.0.head != NIL).then_some(self.0.head)
    }
    fn clear(&mut self) {
        self.0.clear();
    }
    fn order(&self) -> Vec<u32> {
        self.0.order()
    }
}

/// Runtime choice of eviction order (enum dispatch keeps the hot path free of `dyn`).
#[derive(Debug, Clone)]
pub enum Eviction {
    /// See [`Lru`].
    Lru(Lru),
    /// See [`Fifo`].
    Fifo(Fifo),
}

impl Eviction {
    /// An empty order for `policy`.
    pub fn new(policy: EvictionPolicy) -> Eviction {
        match policy {
            EvictionPolicy::Lru => Eviction::Lru(Lru::default()),
            EvictionPolicy::Fifo => Eviction::Fifo(Fifo::default()),
        }
    }
}

macro_rules! dispatch {
    ($self:ident, $o:ident => $e:expr) => {
        match $self {
            Eviction::Lru($o) => $e,
            Eviction::Fifo($o) => $e,
        }
    };
}

impl EvictionOrder for Eviction {
    fn inserted(&mut self, slot: u32) {
        dispatch!(self, o => o.inserted(slot))
    }
    #[inline]
    fn accessed(&mut self, slot: u32) {
        dispatch!(self, o => o.accessed(slot))
    }
    fn removed(&mut self, slot: u32) {
        dispatch!(self, o => o.removed(slot))
    }
    fn victim(&self) -> Option<u32> {
        dispatch!(self, o => o.victim())
    }
    fn clear(&mut self) {
        dispatch!(self, o => o.clear())
    }
    fn order(&self) -> Vec<u32> {
        dispatch!(self, o => o.order())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lru_moves_on_access_fifo_does_not() {
        let mut lru = Eviction::new(EvictionPolicy::Lru);
        let mut fifo = Eviction::new(EvictionPolicy::Fifo);
        for o in [&mut lru, &mut fifo] {
            for s in [3, 1, 2] {
                o.inserted(s);
            }
            o.accessed(3);
        }
        assert_eq!(lru.order(), vec![1, 2, 3]);
        assert_eq!(fifo.order(), vec![3, 1, 2]);
        lru.removed(2);
        assert_eq!((lru.order(), lru.victim()), (vec![1, 3], Some(1)));
        lru.removed(1);
        lru.removed(3);
        assert_eq!((lru.order(), lru.victim()), (vec![], None));
    }
}
