//! The digest a report names a trace file by (`digest` in `[[traces]]`): what the
//! manifest, the kept check and the parts' fingerprints carry, so a changed file is
//! never taken for the one a report was made from. XXH3-128 by default: a 128-bit
//! checksum at about 24 GB/s, which a run hashes beside its parse for a few percent
//! (SHA-256, at the speed of the SHA-NI instructions, about 1.8 GB/s, is a CPU-second
//! per 1.8 GB, which a run parsing on every core pays in full). SHA-256 for a report
//! whose trace must be identified against tampering, not only against change.
//! Written `algorithm:hex`, as OCI digests are, and in the byte order `xxh128sum` and
//! `sha256sum` print, so either tool checks it.

/// The algorithm of a trace's digest.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Digest {
    /// XXH3, 128 bits (`xxh128sum`): detects any change; not a defence against a file
    /// made to match.
    #[default]
    Xxh3_128,
    /// SHA-256 (`sha256sum`).
    Sha256,
}

impl Digest {
    /// Every algorithm, as the scenario names them.
    pub const ALL: [Digest; 2] = [Digest::Xxh3_128, Digest::Sha256];

    /// Its name in a scenario and before the `:` of a digest.
    pub fn name(self) -> &'static str {
        match self {
            Digest::Xxh3_128 => "xxh3-128",
            Digest::Sha256 => "sha256",
        }
    }

    /// The algorithm named `name`.
    pub fn named(name: &str) -> Option<Digest> {
        Digest::ALL.into_iter().find(|d| d.name() == name)
    }

    /// Whether `digest` (`algorithm:hex`) was made by this algorithm.
    pub fn made(self, digest: &str) -> bool {
        digest
            .split_once(':')
            .is_some_and(|(name, _)| name == self.name())
    }

    /// A hash of bytes fed in pieces.
    pub(crate) fn hasher(self) -> Hasher {
        match self {
            Digest::Xxh3_128 => Hasher::Xxh3(Box::new(xxhash_rust::xxh3::Xxh3::new())),
            Digest::Sha256 => Hasher::Sha256(Box::default()),
        }
    }
}

/// A digest being computed.
pub(crate) enum Hasher {
    Xxh3(Box<xxhash_rust::xxh3::Xxh3>),
    Sha256(Box<sha2::Sha256>),
}

impl Default for Hasher {
    fn default() -> Hasher {
        Digest::default().hasher()
    }
}

impl Hasher {
    /// Feeds `bytes`.
    pub(crate) fn update(&mut self, bytes: &[u8]) {
        match self {
            Hasher::Xxh3(h) => h.update(bytes),
            Hasher::Sha256(h) => sha2::Digest::update(&mut **h, bytes),
        }
    }

    /// The digest of what was fed, `algorithm:hex`.
    pub(crate) fn finish(self) -> String {
        let (digest, hex) = match self {
            Hasher::Xxh3(h) => (
                Digest::Xxh3_128,
                crate::checksum::hex(&h.digest128().to_be_bytes()),
            ),
            Hasher::Sha256(h) => (
                Digest::Sha256,
                crate::checksum::hex(&sha2::Digest::finalize(*h)),
            ),
        };
        format!("{}:{hex}", digest.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest(d: Digest, pieces: &[&[u8]]) -> String {
        let mut h = d.hasher();
        pieces.iter().for_each(|p| h.update(p));
        h.finish()
    }

    #[test]
    fn digests_are_those_the_command_line_tools_print() {
        // `xxh128sum` (xxhsum 0.8.1 -H2) and `sha256sum` of an empty file and of "abc".
        assert_eq!(
            digest(Digest::Xxh3_128, &[]),
            "xxh3-128:99aa06d3014798d86001c324468d497f"
        );
        assert_eq!(
            digest(Digest::Xxh3_128, &[b"a", b"", b"bc"]),
            "xxh3-128:06b05ab6733a618578af5f94892f3950"
        );
        assert_eq!(
            digest(Digest::Sha256, &[b"ab", b"c"]),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn pieces_do_not_change_a_digest_of_many_blocks() {
        // Past XXH3's 1 KiB stripes and 256-byte buffer, cut at odd places.
        let bytes: Vec<u8> = (0..10_000u32).map(|i| (i * 7 + i / 13) as u8).collect();
        for d in Digest::ALL {
            let whole = digest(d, &[&bytes]);
            let cut = digest(
                d,
                &[
                    &bytes[..1],
                    &bytes[1..1025],
                    &bytes[1025..9999],
                    &bytes[9999..],
                ],
            );
            assert_eq!(whole, cut, "{d:?}");
            assert!(d.made(&whole) && !d.made(&whole[1..]), "{d:?}");
        }
    }

    #[test]
    fn names_round_trip_and_tell_digests_apart() {
        for d in Digest::ALL {
            assert_eq!(Digest::named(d.name()), Some(d));
        }
        assert_eq!(Digest::named("md5"), None);
        assert!(!Digest::Sha256.made("xxh3-128:00"));
        assert!(
            !Digest::Xxh3_128.made("00"),
            "an untagged digest is no algorithm's"
        );
    }
}
