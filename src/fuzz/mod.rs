//! Mutation fuzzing on stable Rust, kept in the repository: each target takes seed
//! inputs (the example scenarios, policies, stages, traces and the tests' own), mutates
//! them (bit flips, interesting bytes and numbers, cut, copied and spliced ranges,
//! dictionary words) and feeds them to one reader, failing on a panic or an input that
//! takes too long. Failing inputs are kept under `target/fuzz-failures/`.
//!
//! `cargo test` runs every target briefly; a long campaign (seconds per target):
//! `CACHEGATE_FUZZ_SECONDS=600 cargo test --release --lib fuzz:: -- --nocapture`.

mod targets;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use rand::{RngExt as _, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// Seconds each target runs unless `CACHEGATE_FUZZ_SECONDS` says.
const DEFAULT_SECONDS: f64 = 2.0;

/// An input taking longer than this is a failure (a hang, or time out of proportion).
const SLOW: Duration = Duration::from_secs(5);

/// Numbers that find the edges of parsers and range checks.
const NUMBERS: &[&str] = &[
    "0",
    "-1",
    "1",
    "1e308",
    "-1e308",
    "nan",
    "inf",
    "-inf",
    "1e-300",
    "4294967295",
    "4294967296",
    "18446744073709551615",
    "18446744073709551616",
    "9223372036854775807",
    "-9223372036854775808",
    "99999999999999999999999",
    "0.5",
    "1_000_000_000",
];

/// Bytes that change the structure of the text formats.
const BYTES: &[u8] = b"\0\xff\"'[]{},:=\n\r\t\\#$*?/.-+0 ";

/// A target's campaign: runs `target` on mutations of `seeds` for the time budget;
/// returns how many inputs ran.
fn campaign(name: &str, seeds: &[Vec<u8>], words: &[&str], mut target: impl FnMut(&[u8])) {
    assert!(!seeds.is_empty(), "{name}: no seeds");
    let seconds: f64 = std::env::var("CACHEGATE_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_SECONDS);
    let budget = Duration::from_secs_f64(seconds);
    // A fixed seed per target: a run is reproducible, and a longer one goes further.
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(name.bytes().map(u64::from).sum());
    let started = Instant::now();
    let mut runs = 0u64;
    // The seeds themselves first, then mutations.
    let mut queue: Vec<Vec<u8>> = seeds.to_vec();
    while started.elapsed() < budget || !queue.is_empty() {
        let input = queue.pop().unwrap_or_else(|| {
            let mut input = seeds[rng.random_range(0..seeds.len())].clone();
            for _ in 0..rng.random_range(1..=4) {
                mutate(&mut input, seeds, words, &mut rng);
            }
            input
        });
        let one = Instant::now();
        let result = catch_unwind(AssertUnwindSafe(|| target(&input)));
        let took = one.elapsed();
        runs += 1;
        if result.is_err() || took > SLOW {
            let kept = keep(name, &input);
            panic!(
                "{name}: input {runs} {} (kept as {kept})",
                if result.is_err() {
                    "panicked".to_owned()
                } else {
                    format!("took {took:?}")
                }
            );
        }
    }
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "fuzz {name}: {runs} inputs in {secs:.1} s ({:.0}/s)",
        runs as f64 / secs
    );
}

/// One mutation of `input`.
fn mutate(input: &mut Vec<u8>, seeds: &[Vec<u8>], words: &[&str], rng: &mut impl rand::Rng) {
    let len = input.len();
    let at = |rng: &mut dyn rand::Rng, n: usize| {
        if n == 0 {
            0
        } else {
            (rng.next_u64() % n as u64) as usize
        }
    };
    match rng.next_u32() % 9 {
        0 if len > 0 => {
            let i = at(rng, len);
            input[i] ^= 1 << (rng.next_u32() % 8);
        }
        1 if len > 0 => {
            let i = at(rng, len);
            input[i] = BYTES[at(rng, BYTES.len())];
        }
        2 => {
            let i = at(rng, len + 1);
            let n = 1 + at(rng, 8);
            let bytes: Vec<u8> = (0..n).map(|_| rng.next_u32() as u8).collect();
            input.splice(i..i, bytes);
        }
        3 if len > 0 => {
            let i = at(rng, len);
            let n = (1 + at(rng, 32)).min(len - i);
            input.drain(i..i + n);
        }
        4 if len > 0 => {
            // A range copied elsewhere (repeats tables, statements, records).
            let i = at(rng, len);
            let n = (1 + at(rng, 256)).min(len - i);
            let copy = input[i..i + n].to_vec();
            let to = at(rng, len + 1);
            input.splice(to..to, copy);
        }
        5 => {
            // A range of another seed spliced in.
            let other = &seeds[at(rng, seeds.len())];
            if !other.is_empty() {
                let i = at(rng, other.len());
                let n = (1 + at(rng, 128)).min(other.len() - i);
                let to = at(rng, len + 1);
                input.splice(to..to, other[i..i + n].iter().copied());
            }
        }
        6 => {
            // A run of digits replaced by an interesting number.
            if let Some(start) = (0..len)
                .cycle()
                .skip(at(rng, len.max(1)))
                .take(len)
                .find(|&i| input[i].is_ascii_digit())
            {
                let end = (start..len)
                    .find(|&i| !input[i].is_ascii_digit() && input[i] != b'.')
                    .unwrap_or(len);
                let n = NUMBERS[at(rng, NUMBERS.len())];
                input.splice(start..end, n.bytes());
            }
        }
        7 if !words.is_empty() => {
            let word = words[at(rng, words.len())];
            let to = at(rng, len + 1);
            input.splice(to..to, word.bytes());
        }
        _ if len > 1 => {
            // Cut short, as a truncated file is.
            input.truncate(at(rng, len));
        }
        _ => input.push(rng.next_u32() as u8),
    }
    // Keep inputs to a size the readers are meant for.
    input.truncate(1 << 16);
}

/// Writes a failing input under `target/fuzz-failures/`; its path.
fn keep(name: &str, input: &[u8]) -> String {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/fuzz-failures");
    let _ = std::fs::create_dir_all(&dir);
    let hash = &crate::checksum::sha256(input)[..16];
    let path = dir.join(format!("{name}-{hash}"));
    let _ = std::fs::write(&path, input);
    path.display().to_string()
}

/// Every file under `dir` whose name ends in one of `exts`, as seeds.
fn seeds_in(dir: &str, exts: &[&str]) -> Vec<Vec<u8>> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut names: Vec<_> = std::fs::read_dir(&root)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    names.sort();
    names
        .into_iter()
        .filter(|p| exts.iter().any(|e| p.to_string_lossy().ends_with(e)))
        .filter_map(|p| std::fs::read(p).ok())
        .collect()
}
