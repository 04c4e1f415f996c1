//! The fast path of reading an access-log line: one pass over the bytes that checks the
//! JSON grammar and captures the wanted fields, without serde's per-key string parsing.
//! A string's end is the next quote, backslash or control byte in a mask computed once
//! per 64 bytes ([`special_bytes`](super::special_bytes)), which also marks bytes
//! outside ASCII: a line is checked to be UTF-8 only when a string holds one (the
//! grammar refuses them elsewhere). Keys are compared as bytes, most told apart by their
//! length alone ([`Fields::find`]); only a captured value is decoded, by serde_json, so
//! captures are exactly what the serde walk ([`Fields::extract`]) gives.
//!
//! It accepts a subset of what the serde walk accepts: anything unusual (a line that is
//! not UTF-8, an escape in a key, a `\u` surrogate, nesting deeper than 64, a number the
//! grammar allows but that does not fit) is handed back as `None`, and the caller reads
//! the line with the serde walk, whose answer (and error message) stands. A line this
//! scanner accepts, the serde walk accepts with the same captures (a differential test
//! and fuzz target hold it to that).

use std::borrow::Cow;

use serde::de::DeserializeSeed as _;

use super::json_fields::{Fields, MAX_FIELDS, Val, ValSeed};
use super::special_bytes::{BLOCK, special_at};

/// Deepest nesting taken on the fast path (serde_json's own limit is 128).
const MAX_DEPTH: usize = 64;

impl Fields {
    /// Captures each slot's field into `out[slot]` from the JSON object `line`: `None`
    /// when the fast path does not take the line (read it with [`Fields::extract`]).
    pub(super) fn scan<'a>(
        &self,
        line: &'a [u8],
        out: &mut [Option<Val<'a>>; MAX_FIELDS],
    ) -> Option<()> {
        for o in out.iter_mut() {
            *o = None;
        }
        let mut s = Scanner {
            b: line,
            i: 0,
            block: usize::MAX,
            mask: 0,
            high: false,
        };
        s.ws();
        let mut flat = 0u32;
        s.object(self, 0, 0, out, &mut flat)?;
        s.ws();
        if s.i != line.len() {
            return None;
        }
        // A byte outside ASCII in a string: the line must be UTF-8 (outside strings, the
        // grammar has refused it).
        if s.high {
            std::str::from_utf8(line).ok()?;
        }
        Some(())
    }
}

/// A cursor over a line (checked to be UTF-8 at its end, if a string held a byte
/// outside ASCII).
struct Scanner<'a> {
    b: &'a [u8],
    i: usize,
    /// The start of the 64-byte block whose special-byte mask is `mask`.
    block: usize,
    mask: u64,
    /// A string held a byte outside ASCII.
    high: bool,
}

impl<'a> Scanner<'a> {
    #[inline(always)]
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    #[inline(always)]
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.i += 1;
        }
    }

    /// Steps past `c`, after any whitespace: whether it was there. Compact JSON has
    /// none, so the byte is tested first.
    #[inline(always)]
    fn eat(&mut self, c: u8) -> bool {
        if self.peek() != Some(c) {
            self.ws();
            if self.peek() != Some(c) {
                return false;
            }
        }
        self.i += 1;
        true
    }

    /// The first quote, backslash or control byte at or after `i` (or a place at or
    /// past the end).
    #[inline(always)]
    fn next_special(&mut self, mut i: usize) -> usize {
        loop {
            let block = i - i % BLOCK;
            if block != self.block {
                if block >= self.b.len() {
                    return block;
                }
                self.block = block;
                self.mask = special_at(self.b, block);
            }
            let ahead = self.mask >> (i - block);
            if ahead != 0 {
                return i + ahead.trailing_zeros() as usize;
            }
            i = block + BLOCK;
        }
    }

    /// Skips the string whose opening quote is at `i`; returns its span (quotes
    /// included), whether it has escapes and whether it holds a byte outside ASCII.
    #[inline(always)]
    fn string(&mut self) -> Option<(usize, usize, bool, bool)> {
        let (b, start) = (self.b, self.i);
        let mut i = start + 1;
        let mut escaped = false;
        let mut high = false;
        loop {
            i = self.next_special(i);
            match *b.get(i)? {
                b'"' => {
                    self.i = i + 1;
                    self.high |= high;
                    return Some((start, self.i, escaped, high));
                }
                b'\\' => {
                    escaped = true;
                    i += 1;
                    match *b.get(i)? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => i += 1,
                        b'u' => {
                            let hex = b.get(i + 1..i + 5)?;
                            let text = std::str::from_utf8(hex).ok()?;
                            if !hex.iter().all(u8::is_ascii_hexdigit) {
                                return None;
                            }
                            let code = u32::from_str_radix(text, 16).ok()?;
                            // Surrogates (pairs, or lone ones serde may refuse): slow path.
                            if (0xD800..=0xDFFF).contains(&code) {
                                return None;
                            }
                            i += 5;
                        }
                        _ => return None,
                    }
                }
                c if c < 0x20 => return None,
                c => {
                    high |= c >= 0x80;
                    i += 1;
                }
            }
        }
    }

    /// Skips a number, checking JSON's grammar.
    fn number(&mut self) -> Option<()> {
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek()? {
            b'0' => self.i += 1,
            b'1'..=b'9' => self.digits(),
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if !self.peek()?.is_ascii_digit() {
                return None;
            }
            self.digits();
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.i += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.i += 1;
            }
            if !self.peek()?.is_ascii_digit() {
                return None;
            }
            self.digits();
        }
        Some(())
    }

    fn digits(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        (self.b.get(self.i..self.i + word.len())? == word).then(|| self.i += word.len())
    }

    /// Skips any value.
    fn value(&mut self, depth: usize) -> Option<()> {
        match self.peek()? {
            b'"' => self.string().map(|_| ()),
            b'{' => self.members(None, depth, None, &mut 0),
            b'[' => self.array(depth),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            _ => self.number(),
        }
    }

    /// Steps past the `[` or `{` at `i` (refusing nesting past [`MAX_DEPTH`]):
    /// whether the container is empty, its `close` then stepped past too.
    fn open(&mut self, close: u8, depth: usize) -> Option<bool> {
        if depth >= MAX_DEPTH {
            return None;
        }
        self.i += 1;
        self.ws();
        let empty = self.peek()? == close;
        if empty {
            self.i += 1;
        }
        Some(empty)
    }

    fn array(&mut self, depth: usize) -> Option<()> {
        if self.open(b']', depth)? {
            return Some(());
        }
        loop {
            self.ws();
            self.value(depth + 1)?;
            self.ws();
            match self.peek()? {
                b',' => self.i += 1,
                b']' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// An object whose keys are looked up in `fields`' level `level`.
    fn object(
        &mut self,
        fields: &Fields,
        level: usize,
        depth: usize,
        out: &mut [Option<Val<'a>>; MAX_FIELDS],
        flat: &mut u32,
    ) -> Option<()> {
        if self.peek()? != b'{' {
            return None;
        }
        self.members(Some((fields, level)), depth, Some(out), flat)
    }

    /// The members of the object whose `{` is at `i`: keys looked up in a level of
    /// `fields` and captured into `out`, or (with neither) all skipped.
    fn members(
        &mut self,
        fields: Option<(&Fields, usize)>,
        depth: usize,
        mut out: Option<&mut [Option<Val<'a>>; MAX_FIELDS]>,
        flat: &mut u32,
    ) -> Option<()> {
        if self.open(b'}', depth)? {
            return Some(());
        }
        loop {
            self.ws();
            if self.peek()? != b'"' {
                return None;
            }
            let (start, end, escaped, _) = self.string()?;
            if escaped {
                // Compared as bytes below: an escaped key takes the slow path.
                return None;
            }
            if !self.eat(b':') {
                return None;
            }
            self.ws();
            match (
                fields.and_then(|(f, l)| f.find_at(l, self.b, start + 1, end - start - 2)),
                fields,
                out.as_deref_mut(),
            ) {
                (Some(e), Some((f, _)), Some(out)) => {
                    let capture = (e.here & !*flat) | e.flat;
                    if capture != 0 {
                        let v = self.capture(depth + 1)?;
                        for (i, o) in out.iter_mut().enumerate() {
                            if capture & (1 << i) != 0 {
                                *o = Some(v.clone());
                            }
                        }
                        *flat |= e.flat;
                    } else if let (Some(child), Some(b'{')) = (e.child, self.peek()) {
                        self.object(f, child, depth + 1, out, flat)?;
                    } else {
                        self.value(depth + 1)?;
                    }
                }
                // Most values skipped are strings: their scan inlined here.
                _ if self.peek() == Some(b'"') => {
                    self.string()?;
                }
                _ => self.value(depth + 1)?,
            }
            if !self.eat(b',') {
                return self.eat(b'}').then_some(());
            }
        }
    }

    /// Skips a value and decodes it as the serde walk does.
    fn capture(&mut self, depth: usize) -> Option<Val<'a>> {
        let start = self.i;
        if self.peek()? == b'"' {
            let (s, e, escaped, high) = self.string()?;
            if !escaped {
                let text = &self.b[s + 1..e - 1];
                return Some(Val::Str(Cow::Borrowed(if high {
                    std::str::from_utf8(text).ok()?
                } else {
                    ascii_str(text)
                })));
            }
        } else {
            self.value(depth)?;
        }
        let span = &self.b[start..self.i];
        // A plain integer (the grammar checked above: no leading zero) that fits: as
        // serde reads it, without its deserializer.
        if span.len() <= 19 && span.iter().all(u8::is_ascii_digit) {
            let n = span.iter().fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
            return Some(Val::U64(n));
        }
        let mut de = serde_json::Deserializer::from_slice(span);
        let v = ValSeed.deserialize(&mut de).ok()?;
        de.end().ok()?;
        Some(v)
    }
}

/// A string's bytes that [`Scanner::string`] found to be ASCII, as `str` without
/// checking them again (the check was 3% of reading an access log, a call per captured
/// string).
#[inline(always)]
#[allow(unsafe_code)]
fn ascii_str(text: &[u8]) -> &str {
    debug_assert!(text.is_ascii());
    // SAFETY: every byte of `text` is below 0x80, so it is UTF-8. `Scanner::string`
    // stopped at every byte of 0x80 and above (the special-byte mask marks them all,
    // which its tests check for every byte value at every position) and reported none.
    unsafe { std::str::from_utf8_unchecked(text) }
}

/// The differential check the tests and the fuzz target share.
#[cfg(test)]
pub(crate) mod check {
    use super::*;

    /// Fields as an access-log mapping names them: flat, nested, a flat dotted key.
    fn fields() -> Fields {
        let wanted: Vec<Vec<String>> = [
            "time",
            "identity.userArn",
            "identity.caller",
            "size",
            "requestTimeEpoch",
            "identity.x.y",
        ]
        .iter()
        .map(|p| p.split('.').map(str::to_owned).collect())
        .collect();
        Fields::new(&wanted)
    }

    /// Whether the fast path takes `line`; panics when it does and the serde walk does
    /// not, or captures something else.
    pub(crate) fn agree(line: &[u8]) -> bool {
        let f = fields();
        let (mut fast, mut slow) = Default::default();
        let taken = f.scan(line, &mut fast).is_some();
        let walked = f.extract(line, &mut slow);
        if taken {
            assert!(
                walked.is_ok(),
                "{:?}: fast path took it, serde: {walked:?}",
                String::from_utf8_lossy(line)
            );
            assert_eq!(fast, slow, "{:?}", String::from_utf8_lossy(line));
        }
        taken
    }
}

#[cfg(test)]
mod tests {
    use super::check::agree;

    #[test]
    fn the_fast_path_takes_ordinary_lines_and_agrees_with_serde() {
        for line in [
            &br#"{"time":1764000000000,"identity":{"caller":"AIDA","userArn":"arn:x"},"size":"12","esc":"a\"b\u00e9\/"}"#[..],
            br#" { "skip" : [ 1 , -2.5e+3 , true , false , null , { "a" : [ ] } ] , "time" : "24\/Nov" } "#,
            br#"{"identity.userArn":"flat","identity":{"userArn":"nested"}}"#,
            br#"{"identity":{"userArn":"nested"},"identity.userArn":"flat"}"#,
            br#"{"identity":"none","time":-0.5,"size":{"x":1}}"#,
            br#"{"time":1,"time":2}"#,
            // Integers read without serde up to 19 digits; 20 (u64's largest, and one
            // past it) and signed ones go to serde.
            br#"{"time":0,"size":9999999999999999999}"#,
            br#"{"time":18446744073709551615,"size":18446744073709551616}"#,
            br#"{"time":-7,"size":1E2}"#,
            "{\"time\":\"caf\u{e9} \u{1F600}\"}".as_bytes(),
            b"{}",
        ] {
            assert!(agree(line), "{:?}", String::from_utf8_lossy(line));
        }
    }

    #[test]
    fn anything_unusual_is_left_to_the_serde_walk() {
        for line in [
            &b"{\"time\":\"a\x01b\"}"[..],
            br#"{"ti\u006de":1}"#,
            br#"{"time":"\ud83d\ude00"}"#,
            br#"{"time":1e999}"#,
            br#"{"time":01}"#,
            br#"{"time":1.}"#,
            br#"{"time":tru}"#,
            br#"{"time":1,}"#,
            br#"{"time":1} x"#,
            br#"[1]"#,
            b"{\"time\":\"\xff\"}",
            b"{\"skip\":\"\xc3(\",\"time\":1}",
            b"{\"\xff\":1}",
            b"{\"time\":1\xc3\xa9}",
            b"",
        ] {
            assert!(!agree(line), "{:?}", String::from_utf8_lossy(line));
        }
        let deep = format!("{{\"a\":{}1{}}}", "[".repeat(70), "]".repeat(70));
        assert!(!agree(deep.as_bytes()));
    }

    #[test]
    fn generated_access_logs_take_the_fast_path_every_line() {
        let mut log = Vec::new();
        let shape = crate::testing::AccessLogShape {
            records: 3_000,
            ..Default::default()
        };
        crate::testing::write_access_log(&shape, &mut log).unwrap();
        for line in log.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            let json = &line[line.iter().position(|&b| b == b'{').unwrap()..];
            assert!(agree(json), "{}", String::from_utf8_lossy(json));
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2_000))]
        #[test]
        fn the_fast_path_never_disagrees(line in proptest::collection::vec(
            proptest::sample::select(vec![
                b'{', b'}', b'[', b']', b'"', b':', b',', b' ', b'\\', b'u', b'0', b'1', b'9',
                b'-', b'.', b'e', b't', b'r', b'f', b'n', b'l', b'a', b's', b'i', b'm',
                b'z', 0x01, 0xc3, 0xa9, 0xff,
            ]),
            0..64,
        )) {
            agree(&line);
        }

        #[test]
        fn mutated_records_never_disagree(pos in 0usize..300, byte in proptest::prelude::any::<u8>(), cut in 0usize..300) {
            let base = br#"{"time":1764000000000,"ip":"1.2.3.4","identity":{"caller":"-","userArn":"arn:aws:iam::1:user/a\/b","n":[1,2.5e3,null,true]},"size":"12","agent":"x \"y\" \u00e9"}"#;
            let mut line = base.to_vec();
            let at = pos % line.len();
            line[at] = byte;
            line.truncate(line.len() - cut % 8);
            agree(&line);
        }
    }
}
