//! A resource method's cache keys computed many in a row (a trace's block, a client's
//! requests drawn ahead), with the prefetch of the cache memory each lookup will read:
//! the resource is looked up once, not per key.

use super::Gateway;
use super::resource::CompiledResource;
use crate::cache::{CacheKey, Fingerprint, StageCache};

impl<V: Copy + Default> Gateway<V> {
    /// The cache keys of `resource`'s requests, for a caller that computes many in a row
    /// (and prefetches their cache memory when that pays): the resource is looked up
    /// once, not per key.
    #[inline]
    pub fn keyer(&self, resource: usize) -> Keyer<'_, V> {
        let r = &self.resources[resource];
        Keyer {
            resource: r,
            prefetch: (r.settings.cached && self.cache.worth_prefetching()).then_some(&self.cache),
        }
    }

    /// As [`Gateway::keyer`], prefetching whatever the cache's size: for a replayed
    /// trace, whose reading streams through the core's caches and whose keys range
    /// beyond the cache's, so that even a table that would fit them is not there when
    /// a lookup comes (measured in docs/performance.md).
    #[inline]
    pub fn keyer_prefetching(&self, resource: usize) -> Keyer<'_, V> {
        let r = &self.resources[resource];
        Keyer {
            resource: r,
            prefetch: r.settings.cached.then_some(&self.cache),
        }
    }
}

/// One resource method's cache keys, from [`Gateway::keyer`].
pub struct Keyer<'a, V> {
    resource: &'a CompiledResource,
    /// The cache, when lookups of this resource's keys are worth prefetching.
    prefetch: Option<&'a StageCache<V>>,
}

impl<V: Copy + Default> Keyer<'_, V> {
    /// The cache key of a request with parameter values `params` (as
    /// [`Gateway::cache_key`]).
    #[inline(always)]
    pub fn key(&self, params: &[u64]) -> CacheKey {
        self.resource.key(params)
    }

    /// When the cache key is made of the first parameter's value alone (the resource's
    /// cache key parameters are exactly its first parameter), the keyer of requests by
    /// that value: no parameter array to read.
    pub fn of_first(&self) -> Option<FirstKeyer> {
        (*self.resource.key_slots == [0]).then_some(FirstKeyer(self.resource.key_seed))
    }

    /// Starts loading the cache memory a lookup of `key` will read, if that pays;
    /// changes nothing. For callers that know requests ahead.
    #[inline(always)]
    pub fn prefetch(&self, key: CacheKey) {
        if let Some(cache) = self.prefetch {
            cache.prefetch(key);
        }
    }
}

/// The cache keys of a resource whose key is its first parameter's value alone, from
/// [`Keyer::of_first`].
#[derive(Debug, Clone, Copy)]
pub struct FirstKeyer(Fingerprint);

impl FirstKeyer {
    /// The cache key of a request whose first parameter has `value`.
    #[inline(always)]
    pub fn key(self, value: u64) -> CacheKey {
        self.0.push(value).key()
    }
}
