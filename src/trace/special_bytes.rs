//! Where a JSON string may end, 64 bytes at a time: a bit per byte that is a quote, a
//! backslash, a control byte (below 0x20) or outside ASCII (0x80 and above: the scanner
//! notes it, to check the line is UTF-8). The access-log scanner finds a string's end
//! as the next set bit instead of testing its bytes one by one or eight at a time; the
//! strings of an access-log line are short, so a mask computed once per 64-byte block and
//! shared by every string in it is what made the scan fast.
//!
//! On x86-64 the mask takes SSE2's byte compares (part of the architecture's baseline):
//! an `unsafe` block, because std's intrinsics are `#[target_feature]` functions, which
//! stable Rust lets safe code call only from a function that names the feature itself.
//! Elsewhere, and as the reference the tests hold it to, the same mask eight bytes at a
//! time in plain integer arithmetic.

/// Bytes a mask covers.
pub(super) const BLOCK: usize = 64;

/// Bit `j` is set when `block[j]` is `"`, `\`, below 0x20 or 0x80 and above.
#[inline(always)]
fn special(block: &[u8; BLOCK]) -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        sse2::special(block)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        portable::special(block)
    }
}

/// The mask of the block of `bytes` starting at `start`: bytes past the end count as
/// special (they read as zero), so a scan never runs past the end unnoticed.
#[inline(always)]
pub(super) fn special_at(bytes: &[u8], start: usize) -> u64 {
    match bytes.get(start..start + BLOCK) {
        Some(whole) => special(whole.try_into().expect("a block")),
        None => {
            let mut padded = [0u8; BLOCK];
            let rest = bytes.get(start..).unwrap_or_default();
            padded[..rest.len()].copy_from_slice(rest);
            special(&padded)
        }
    }
}

/// The mask in integer arithmetic: what other targets take, and the reference the tests
/// hold the SSE2 one to.
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
mod portable {
    use super::BLOCK;

    /// Bytes of a word equal to `byte`, as high bits (exact: no false positives).
    #[inline(always)]
    pub(super) fn eq_mask(w: u64, byte: u8) -> u64 {
        let x = w ^ (u64::from(byte) * 0x0101_0101_0101_0101);
        !(((x & 0x7f7f_7f7f_7f7f_7f7f) + 0x7f7f_7f7f_7f7f_7f7f) | x | 0x7f7f_7f7f_7f7f_7f7f)
    }

    /// Bytes of a word below 0x20, as high bits (exact).
    #[inline(always)]
    pub(super) fn control_mask(w: u64) -> u64 {
        // A byte is below 0x20 when adding 0x60 to its low seven bits leaves bit 7 clear
        // and its own bit 7 is clear.
        !(((w & 0x7f7f_7f7f_7f7f_7f7f) + 0x6060_6060_6060_6060) | w | 0x7f7f_7f7f_7f7f_7f7f)
    }

    /// [`super::special`], eight bytes at a time.
    pub(super) fn special(block: &[u8; BLOCK]) -> u64 {
        let mut mask = 0u64;
        for (k, word) in block.chunks_exact(8).enumerate() {
            let w = u64::from_le_bytes(word.try_into().expect("eight bytes"));
            let high = eq_mask(w, b'"')
                | eq_mask(w, b'\\')
                | control_mask(w)
                | (w & 0x8080_8080_8080_8080);
            // Gathers the eight high bits into the low byte (bit 7 of byte j to bit j).
            let packed = ((high >> 7).wrapping_mul(0x0102_0408_1020_4080)) >> 56;
            mask |= packed << (8 * k);
        }
        mask
    }
}

#[cfg(target_arch = "x86_64")]
mod sse2 {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_cmplt_epi8, _mm_movemask_epi8, _mm_or_si128, _mm_set_epi64x,
        _mm_set1_epi8, _mm_xor_si128,
    };

    use super::BLOCK;

    #[inline(always)]
    #[allow(unsafe_code)]
    pub(super) fn special(block: &[u8; BLOCK]) -> u64 {
        // SAFETY: SSE2 is part of the x86-64 baseline: every x86-64 CPU has it, and the
        // function touches no memory but its argument's, through references.
        unsafe { masks(block) }
    }

    #[inline]
    #[target_feature(enable = "sse2")]
    fn masks(block: &[u8; BLOCK]) -> u64 {
        let quote = _mm_set1_epi8(b'"' as i8);
        let backslash = _mm_set1_epi8(b'\\' as i8);
        // Unsigned `byte < 0x20` as a signed compare, both sides' sign bits flipped.
        let flip = _mm_set1_epi8(i8::MIN);
        let control = _mm_set1_epi8((0x20u8 ^ 0x80) as i8);
        let mut mask = 0u64;
        for (k, lane) in block.chunks_exact(16).enumerate() {
            let v = load(lane);
            let hit = _mm_or_si128(
                _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
                _mm_cmplt_epi8(_mm_xor_si128(v, flip), control),
            );
            // Bytes outside ASCII have their top bit set: they count too.
            mask |= u64::from(_mm_movemask_epi8(_mm_or_si128(hit, v)) as u16) << (16 * k);
        }
        mask
    }

    /// Sixteen bytes as a vector (the compiler makes it one unaligned load).
    #[inline]
    #[target_feature(enable = "sse2")]
    fn load(lane: &[u8]) -> __m128i {
        let word = |at: usize| i64::from_le_bytes(lane[at..at + 8].try_into().expect("8"));
        _mm_set_epi64x(word(8), word(0))
    }
}

#[cfg(test)]
mod tests {
    use super::portable::{control_mask, eq_mask};
    use super::*;

    #[test]
    fn word_masks_find_quotes_backslashes_and_control_bytes_exactly() {
        for b in 0..=255u8 {
            let w = u64::from_le_bytes([b'a', b, b'a', b'a', 0x80, 0xff, b'a', b]);
            let want_quote = if b == b'"' { 0x8000_0000_0000_8000 } else { 0 };
            assert_eq!(eq_mask(w, b'"'), want_quote, "{b}");
            let want_control = if b < 0x20 { 0x8000_0000_0000_8000 } else { 0 };
            assert_eq!(control_mask(w), want_control, "{b}");
        }
    }

    #[test]
    fn every_byte_value_at_every_position() {
        for b in 0..=255u8 {
            let is = b == b'"' || b == b'\\' || !(0x20..0x80).contains(&b);
            for at in 0..BLOCK {
                // Neighbours that are never special.
                let mut block = [if at % 2 == 0 { b'a' } else { b'~' }; BLOCK];
                block[at] = b;
                let want = if is { 1u64 << at } else { 0 };
                assert_eq!(special(&block), want, "byte {b:#x} at {at}");
                assert_eq!(portable::special(&block), want, "byte {b:#x} at {at}");
            }
        }
    }

    #[test]
    fn a_block_past_the_end_reads_as_special() {
        let line = "{\"a\":\"b\\\"c\u{e9}\"}".as_bytes();
        let want: u64 = line
            .iter()
            .enumerate()
            .filter(|(_, c)| matches!(c, b'"' | b'\\' | 0x80..))
            .map(|(i, _)| 1u64 << i)
            .sum::<u64>()
            | (u64::MAX << line.len());
        assert_eq!(special_at(line, 0), want);
        assert_eq!(special_at(line, 64), u64::MAX);
        let long = [b'x'; 100];
        assert_eq!(special_at(&long, 64), u64::MAX << 36);
    }
}
