//! Software prefetch: ask the CPU to start loading a cache line that will be read soon,
//! without waiting for it. The simulator knows its next requests before it serves them
//! (a trace is read ahead; a client's next request is drawn ahead), so it can overlap the
//! memory reads of several cache lookups instead of paying for them one by one.
//!
//! With `huge_pages.rs` and `trace/special_bytes.rs`, the crate's only `unsafe`: `_mm_prefetch` is an `unsafe fn` on stable Rust
//! because it takes a raw pointer, but a prefetch never dereferences it, cannot fault and
//! changes no memory (Intel SDM, PREFETCHh; `core::hint::prefetch_read`, nightly, is the
//! same operation as a safe function and says so). On other targets it does nothing.

/// Prefetches the cache line holding the start of `value` into all cache levels.
#[inline(always)]
pub fn read<T>(value: &T) {
    line(std::ptr::from_ref(value).cast::<u8>());
}

/// Prefetches the cache line holding the last byte of `value` (the second line of a value
/// that spans two).
#[inline(always)]
pub fn read_end<T>(value: &T) {
    let start = std::ptr::from_ref(value).cast::<u8>();
    line(start.wrapping_add(size_of::<T>().saturating_sub(1)));
}

#[cfg(target_arch = "x86_64")]
#[inline(always)]
#[allow(unsafe_code)]
fn line(p: *const u8) {
    use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
    // SAFETY: PREFETCHT0 is a hint; it reads nothing architecturally visible, never
    // faults, and `p` points into a live reference anyway. SSE is part of x86_64's
    // baseline, so the instruction always exists.
    unsafe { _mm_prefetch::<_MM_HINT_T0>(p.cast::<i8>()) }
}

#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn line(_p: *const u8) {}
