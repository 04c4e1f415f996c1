//! What the trace pre-scan found, kept beside the report (`parts/traces.json`) and keyed
//! by each file's identity, so that a study run again on unchanged traces is not read
//! once more for its check: a single run then reads its trace once, as the replay loop
//! alone would. The identity is the file's device, inode, size, and modification and
//! change times to the nanosecond, as git's index and rsync's quick check use; the
//! change time is set by the kernel on every write and cannot be set back by a user.
//! An entry is kept only for a file that did not change while it was read and had not
//! changed for a while before (a later write could otherwise share its timestamps: the
//! "racy" case git's index guards against the same way). The SHA-256 depends on the
//! bytes alone; the tally also on how the trace is read, so it is keyed by that too.
//! Delete the file to have every trace checked again.

use std::path::Path;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::time::{SimDuration, SimTime};
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
    sha256: String,
    /// Hash of how it was read (the trace's settings and the run's end).
    read_as: String,
    tally: StoredTally,
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

/// [`Tally`] as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct StoredTally {
    requests: u64,
    bad: u64,
    first_bad: Vec<String>,
    unmodelled: Vec<(String, u64)>,
    reordered: u64,
    span_us: u64,
    after_end: u64,
}

/// What is known of a trace before it is read.
pub(super) enum Known {
    /// Nothing: check it.
    Nothing,
    /// Its SHA-256, but it was read another way: check it, without the hash.
    Sha256(String),
    /// Its SHA-256 and tally.
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
        let Some(e) = self
            .entries
            .iter()
            .find(|e| e.file == file && e.identity == identity)
        else {
            return Known::Nothing;
        };
        if e.read_as != read_as(model, end) {
            return Known::Sha256(e.sha256.clone());
        }
        let t = &e.tally;
        Known::All(
            e.sha256.clone(),
            Tally {
                requests: t.requests,
                bad: t.bad,
                first_bad: t.first_bad.clone(),
                unmodelled: t.unmodelled.clone(),
                reordered: t.reordered,
                span: SimDuration::from_micros(t.span_us),
                after_end: t.after_end,
            },
        )
    }

    /// Keeps what checking `model`'s file found, if it was `before` when the check
    /// started at `started`, is the same now, and had not changed for a while before.
    pub(super) fn keep(
        &mut self,
        model: &TraceModel,
        end: SimTime,
        before: Identity,
        started: SystemTime,
        sha256: &str,
        tally: &Tally,
    ) {
        if identity(&model.file) != Some(before) || racy(before, started) {
            return;
        }
        let file = model.file.display().to_string();
        self.entries.retain(|e| e.file != file);
        self.entries.push(Entry {
            file,
            identity: before,
            sha256: sha256.to_owned(),
            read_as: read_as(model, end),
            tally: StoredTally {
                requests: tally.requests,
                bad: tally.bad,
                first_bad: tally.first_bad.clone(),
                unmodelled: tally.unmodelled.clone(),
                reordered: tally.reordered,
                span_us: tally.span.as_micros(),
                after_end: tally.after_end,
            },
        });
        self.entries.sort_by(|a, b| a.file.cmp(&b.file));
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
/// which only the notes use, whether it is replayed, and the recording) and the end of
/// the run it is read for.
fn read_as(model: &TraceModel, end: SimTime) -> String {
    let mut m = model.clone();
    m.name.clear();
    m.enabled = true;
    m.recording = Default::default();
    m.read_ahead = false;
    crate::checksum::sha256(format!("{m:?}|{}", end.as_micros()).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity_at(mtime_ns: i128, ctime_ns: i128) -> Identity {
        Identity {
            dev: 1,
            ino: 2,
            size: 3,
            mtime_ns,
            ctime_ns,
        }
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
