//! What the trace pre-scan found, kept beside the report (`parts/traces.json`) and keyed
//! by each file's identity, so that a study run again on unchanged traces is not read
//! once more for its check: a single run then reads its trace once, as the replay loop
//! alone would. The identity is the file's device, inode, size, and modification and
//! change times to the nanosecond, as git's index and rsync's quick check use; the
//! change time is set by the kernel on every write and cannot be set back by a user.
//! An entry is kept only for a file that did not change while it was read and had not
//! changed for a while before (a later write could otherwise share its timestamps: the
//! "racy" case git's index guards against the same way). The digest depends on the
//! bytes alone (and the trace's `digest` algorithm, which it names); the tally also on
//! how the trace is read, so it is keyed by that too.
//! Delete the file to have every trace checked again.

use std::path::Path;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::time::SimTime;
use crate::trace::{Tally, TraceModel};

/// The file's name under the report folder.
pub(super) const FILE: &str = "traces.json";

/// The checks of one report folder's traces.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(super) struct TraceChecks {
    /// The version that wrote them: another version's are not used.
    cachegate_version: String,
    entries: Vec<Entry>,
}

/// What one trace file's check found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Entry {
    /// The file as the scenario names it.
    file: String,
    identity: Identity,
    /// The file's digest, `algorithm:hex`.
    digest: String,
    /// Hash of how it was read (the trace's settings and the run's end).
    read_as: String,
    tally: Tally,
}

/// What identifies a file's contents without reading them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Identity {
    dev: u64,
    ino: u64,
    size: u64,
    mtime_ns: i128,
    ctime_ns: i128,
}

/// What is known of a trace before it is read.
pub(super) enum Known {
    /// Nothing: check it.
    Nothing,
    /// Its digest, but it was read another way: check it, without the hash.
    Digest(String),
    /// Its digest and tally.
    All(String, Tally),
}

impl TraceChecks {
    /// The checks kept in `dir`: none when there are none, or they are unreadable or
    /// were written by another version.
    pub(super) fn load(dir: &Path) -> TraceChecks {
        std::fs::read(dir.join(FILE))
            .ok()
            .and_then(|bytes| serde_json::from_slice::<TraceChecks>(&bytes).ok())
            .filter(|c| c.cachegate_version == env!("CARGO_PKG_VERSION"))
            .unwrap_or_default()
    }

    /// Writes them to `dir` (atomically).
    pub(super) fn save(&self, dir: &Path) -> anyhow::Result<()> {
        use anyhow::Context as _;
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let path = dir.join(FILE);
        let checks = TraceChecks {
            cachegate_version: env!("CARGO_PKG_VERSION").to_owned(),
            entries: self.entries.clone(),
        };
        crate::report::write_atomic(&path, &serde_json::to_vec_pretty(&checks)?)
            .with_context(|| format!("writing {}", path.display()))
    }

    /// What is known of `model`'s file, now `identity`, read for a run ending at `end`.
    pub(super) fn known(&self, model: &TraceModel, end: SimTime, identity: Identity) -> Known {
        let file = model.file.display().to_string();
        let how = read_as(model, end);
        let mut same_file = self
            .entries
            .iter()
            .filter(|e| e.file == file && e.identity == identity && model.digest.made(&e.digest));
        let Some(first) = same_file.clone().next() else {
            return Known::Nothing;
        };
        let Some(e) = same_file.find(|e| e.read_as == how) else {
            return Known::Digest(first.digest.clone());
        };
        Known::All(e.digest.clone(), e.tally.clone())
    }

    /// Keeps what checking `model`'s file found, if it was `before` when the check
    /// started at `started`, is the same now, and had not changed for a while before.
    pub(super) fn keep(
        &mut self,
        model: &TraceModel,
        end: SimTime,
        before: Identity,
        started: SystemTime,
        digest: &str,
        tally: &Tally,
    ) {
        if identity(&model.file) != Some(before) || racy(before, started) {
            return;
        }
        let file = model.file.display().to_string();
        let how = read_as(model, end);
        // One entry per way the file, as it is now, is read.
        self.entries
            .retain(|e| e.file != file || (e.identity == before && e.read_as != how));
        self.entries.push(Entry {
            file,
            identity: before,
            digest: digest.to_owned(),
            read_as: how,
            tally: tally.clone(),
        });
        self.entries
            .sort_by(|a, b| (&a.file, &a.read_as).cmp(&(&b.file, &b.read_as)));
    }

    /// Forgets the files no trace of `models` reads (a study's traces change: last
    /// week's logs), so the file does not grow with every log ever replayed.
    pub(super) fn only(&mut self, models: &[&TraceModel]) {
        self.entries.retain(|e| {
            models
                .iter()
                .any(|m| m.file.display().to_string() == e.file)
        });
    }
}

/// The identity of the file at `path` now; `None` when it cannot be read (or on a
/// system without inodes, where nothing is kept).
pub(super) fn identity(path: &Path) -> Option<Identity> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        let m = std::fs::metadata(path).ok()?;
        let ns = |s: i64, n: i64| i128::from(s) * 1_000_000_000 + i128::from(n);
        Some(Identity {
            dev: m.dev(),
            ino: m.ino(),
            size: m.size(),
            mtime_ns: ns(m.mtime(), m.mtime_nsec()),
            ctime_ns: ns(m.ctime(), m.ctime_nsec()),
        })
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// Whether a write after `started` could leave the file with these same times: when
/// it last changed within a clock tick of the start. A file system that keeps whole
/// seconds (both times with no nanoseconds) gets two seconds; one with nanoseconds,
/// whose times come from the kernel's coarse clock (a tick of at most 10 ms), 50 ms.
fn racy(identity: Identity, started: SystemTime) -> bool {
    let coarse = identity.mtime_ns % 1_000_000_000 == 0 && identity.ctime_ns % 1_000_000_000 == 0;
    let margin = if coarse {
        Duration::from_secs(2)
    } else {
        Duration::from_millis(50)
    };
    let Ok(since_epoch) = started.duration_since(SystemTime::UNIX_EPOCH) else {
        return true;
    };
    let latest = identity.mtime_ns.max(identity.ctime_ns);
    i128::try_from((since_epoch.saturating_sub(margin)).as_nanos()).map_or(true, |t| latest >= t)
}

/// What a tally depends on besides the bytes: the trace's settings (but for its name,
/// which only the notes use, whether it is replayed, the recording and the digest's
/// algorithm) and the end of the run it is read for.
fn read_as(model: &TraceModel, end: SimTime) -> String {
    let mut m = model.clone();
    m.name.clear();
    m.enabled = true;
    m.recording = Default::default();
    m.read_ahead = false;
    m.check_in_run = Default::default();
    m.digest = Default::default();
    crate::checksum::sha256(format!("{m:?}|{}", end.as_micros()).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::SimDuration;

    fn identity_at(mtime_ns: i128, ctime_ns: i128) -> Identity {
        Identity {
            dev: 1,
            ino: 2,
            size: 3,
            mtime_ns,
            ctime_ns,
        }
    }

    fn model(file: &str, max_bad_lines: u64) -> TraceModel {
        TraceModel {
            name: "t".into(),
            file: file.into(),
            zstd: false,
            format: crate::trace::TraceFormat::Text { rate: 1.0 },
            start: SimTime::ZERO,
            max_bad_lines,
            digest: Default::default(),
            max_age_zero: crate::trace::MaxAgeZero::Share(0.0),
            resource: 0,
            principal: 0,
            enabled: true,
            recording: Default::default(),
            read_ahead: false,
            check_in_run: Default::default(),
        }
    }

    fn tally(requests: u64) -> Tally {
        Tally {
            requests,
            ..Tally::default()
        }
    }

    #[test]
    fn checks_are_kept_per_file_state_and_reading_and_pruned_with_the_study() {
        // The files need not exist: identities are given, and a missing file's is `None`
        // (then nothing is kept).
        let long_ago = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let now = identity_at(1, 1);
        let end = SimTime::from_micros(60_000_000);
        let (a, b, c) = (model("a.txt", 0), model("a.txt", 5), model("c.txt", 0));
        let mut checks = TraceChecks::default();
        checks.keep(&a, end, now, long_ago, "aa", &tally(3));
        assert!(
            checks.entries.is_empty(),
            "a.txt cannot be read: nothing kept"
        );
        // Entries as `keep` writes them (past its re-reading of the identity).
        let entry = |m: &TraceModel, identity, digest: &str, n| Entry {
            file: m.file.display().to_string(),
            identity,
            digest: digest.into(),
            read_as: read_as(m, end),
            tally: tally(n),
        };
        let aa = "xxh3-128:aa";
        checks.entries = vec![entry(&a, now, aa, 3), entry(&b, now, aa, 2)];
        // Two readings of one file, each its tally; a third, the hash alone.
        assert!(
            matches!(checks.known(&a, end, now), Known::All(s, t) if s == aa && t.requests == 3)
        );
        assert!(matches!(checks.known(&b, end, now), Known::All(_, t) if t.requests == 2));
        assert!(matches!(checks.known(&model("a.txt", 9), end, now), Known::Digest(s) if s == aa));
        let later = SimTime::from_micros(120_000_000);
        assert!(
            matches!(checks.known(&a, later, now), Known::Digest(_)),
            "another end"
        );
        // A digest of another algorithm is none of the trace's: it is read again.
        let mut a_sha = a.clone();
        a_sha.digest = crate::trace::Digest::Sha256;
        assert_eq!(
            read_as(&a_sha, end),
            read_as(&a, end),
            "the tally's reading"
        );
        assert!(matches!(checks.known(&a_sha, end, now), Known::Nothing));
        // The file changed: nothing is known of it.
        assert!(matches!(
            checks.known(&a, end, identity_at(2, 2)),
            Known::Nothing
        ));
        assert!(matches!(checks.known(&c, end, now), Known::Nothing));
        // Only the study's files stay.
        checks.only(&[&b]);
        assert_eq!(checks.entries.len(), 2);
        checks.only(&[&c]);
        assert!(checks.entries.is_empty());
    }

    #[test]
    fn unreadable_or_foreign_checks_are_ignored() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            TraceChecks::load(dir.path()),
            TraceChecks::default(),
            "none"
        );
        std::fs::write(dir.path().join(FILE), "{ not json").unwrap();
        assert_eq!(
            TraceChecks::load(dir.path()),
            TraceChecks::default(),
            "garbage"
        );
        std::fs::write(
            dir.path().join(FILE),
            r#"{"cachegate_version":"0.0.0-other","entries":[]}"#,
        )
        .unwrap();
        let other = TraceChecks::load(dir.path());
        assert_eq!(
            other.cachegate_version, "",
            "another version's are not taken"
        );
        // What is saved loads back.
        let mut checks = TraceChecks::default();
        checks.entries.push(Entry {
            file: "x".into(),
            identity: identity_at(5, 6),
            digest: "sha256:5e".into(),
            read_as: "r".into(),
            tally: Tally {
                requests: 1,
                bad: 2,
                first_bad: vec!["line 3: why".into()],
                unmodelled: vec![("GET /x".into(), 4)],
                reordered: 5,
                span: SimDuration::from_micros(6),
                after_end: 7,
            },
        });
        checks.save(dir.path()).unwrap();
        let back = TraceChecks::load(dir.path());
        assert_eq!(back.entries, checks.entries);
    }

    #[test]
    fn a_file_changed_within_a_tick_of_the_check_is_racy() {
        let s = 1_000_000_000i128;
        let started = SystemTime::UNIX_EPOCH + Duration::from_secs(100);
        // Nanosecond times: 50 ms before the start is the limit, on either time.
        assert!(!racy(identity_at(99 * s + 1, 99 * s + 1), started));
        assert!(!racy(identity_at(100 * s - 50_000_001, 1), started));
        assert!(racy(identity_at(100 * s - 50_000_000, 1), started));
        assert!(racy(identity_at(1, 100 * s - 10_000_001), started));
        assert!(
            racy(identity_at(1, 101 * s), started),
            "a time after the start"
        );
        // Whole seconds: two of them.
        assert!(racy(identity_at(99 * s, 99 * s), started));
        assert!(racy(identity_at(98 * s, 98 * s), started));
        assert!(!racy(identity_at(97 * s, 97 * s), started));
    }
}
