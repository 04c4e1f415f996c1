//! Transparent huge pages for the cache's large arrays. The index of a 10⁵-entry cache
//! spans 12 MB: in 4 KiB pages its random accesses keep missing the TLB, and every miss
//! is a page walk. Linux backs anonymous memory with 2 MiB pages only where a program
//! asks (`madvise`, the usual setting of `/sys/kernel/mm/transparent_hugepage/enabled`),
//! so the large arrays ask, before their memory is first written (what it gains is in
//! `docs/performance.md`). Where the kernel says no, or on other systems, nothing
//! changes.
//!
//! With `prefetch.rs`, the crate's only `unsafe`: the `madvise` call itself.

use std::mem::MaybeUninit;

/// Arrays smaller than this are left alone: a huge page would mostly hold nothing.
const FROM_BYTES: usize = 4 << 20;

/// The size of a transparent huge page on x86-64 and most arm64 Linux systems.
const HUGE_PAGE: usize = 2 << 20;

/// Asks for huge pages under the whole 2 MiB pages that `spare` (memory not yet written)
/// covers, if it spans at least [`FROM_BYTES`]; whether the kernel took the advice (false
/// when `spare` is smaller, or the kernel has no transparent huge pages).
pub(crate) fn advise<T>(spare: &mut [MaybeUninit<T>]) -> bool {
    if size_of_val(spare) < FROM_BYTES {
        return false;
    }
    let start = spare.as_mut_ptr() as usize;
    let end = start + size_of_val(spare);
    let from = start.next_multiple_of(HUGE_PAGE);
    let to = end / HUGE_PAGE * HUGE_PAGE;
    if to <= from {
        return false;
    }
    madvise_huge(from, to - from)
}

#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn madvise_huge(addr: usize, len: usize) -> bool {
    // SAFETY: `[addr, addr + len)` lies inside memory the caller borrows mutably (so no
    // one else uses it) and is page-aligned, as madvise requires. MADV_HUGEPAGE only sets
    // how the kernel backs the range; it changes no byte and invalidates nothing.
    unsafe { libc::madvise(addr as *mut libc::c_void, len, libc::MADV_HUGEPAGE) == 0 }
}

#[cfg(not(target_os = "linux"))]
fn madvise_huge(_addr: usize, _len: usize) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advice_covers_whole_huge_pages_and_leaves_the_memory_usable() {
        // Under the size worth a huge page: no call, no advice.
        let mut small: Vec<u64> = Vec::with_capacity(1024);
        assert!(!advise(small.spare_capacity_mut()));
        // 8 MiB holds at least three whole 2 MiB pages: a kernel with transparent huge
        // pages (the sysfs switch exists) takes the advice.
        let mut big: Vec<u64> = Vec::with_capacity(1 << 20);
        let took = advise(big.spare_capacity_mut());
        let thp = std::path::Path::new("/sys/kernel/mm/transparent_hugepage/enabled").exists();
        assert_eq!(took, cfg!(target_os = "linux") && thp);
        big.extend(0..1 << 20);
        assert_eq!(big.iter().sum::<u64>(), (1u64 << 20) * ((1 << 20) - 1) / 2);
    }
}
