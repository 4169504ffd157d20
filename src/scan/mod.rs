//! Scanning: one pipeline for every source.
//!
//! A [`Source`] (working tree, git history, staged index) hands [`Blob`]s to a sink, from as
//! many threads as it likes; the shared [`matcher::Matcher`] turns each blob into matches, which
//! become [`Finding`]s. The source then maps what was found back to where it lives
//! ([`Source::resolve`]), and later stages (suppression, verification, reporting) see only
//! findings, whatever was scanned.

pub mod dotenv;
pub mod envfile;
pub mod git;
pub mod history;
pub mod matcher;
pub mod staged;
pub mod tree;

use std::borrow::Cow;
use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use serde::Serialize;

use crate::finding::{Finding, Location, Secret};
use matcher::{Match, Matcher, Scratch};

/// Bytes to scan, with the path they are known under and where they came from.
#[derive(Debug, Clone, Copy)]
pub struct Blob<'a> {
    /// The content, as stored (the pipeline decodes UTF-16).
    pub data: &'a [u8],
    /// Path relative to the scan root, `/`-separated.
    pub path: &'a str,
    /// Which store the bytes came from.
    pub origin: Origin,
}

/// Which store a blob came from, so that a source can map findings back to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Origin {
    /// A file in the working tree.
    WorkTree,
    /// A blob staged in the git index, known under exactly this path.
    Index(git2::Oid),
    /// A blob from git history, scanned once under one of the paths that hold it; the source
    /// maps it back to every commit and path ([`Source::resolve`]).
    History(git2::Oid),
}

/// A finding together with the origin of the blob it was found in.
#[derive(Debug, Clone)]
pub struct Found {
    /// Where the blob came from.
    pub origin: Origin,
    /// The finding, located in the blob at the blob's path.
    pub finding: Finding,
}

/// Why an input was not scanned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "kebab-case")]
pub enum SkipReason {
    /// Contains NUL bytes and is not UTF-16 text.
    Binary,
    /// Larger than `--max-file-size`.
    TooLarge {
        /// The input's size in bytes.
        size: u64,
        /// The limit in force.
        limit: u64,
    },
    /// A symbolic link; links are not followed, their targets are scanned where they live.
    Symlink,
    /// A symbolic link whose target does not exist.
    BrokenSymlink,
    /// A FIFO, socket or device: reading it could hang or has no meaning.
    NotAFile,
    /// Reading failed.
    Unreadable {
        /// What went wrong.
        error: String,
    },
}

impl SkipReason {
    /// Whether this skip means the scan is incomplete: content existed that was not read.
    pub fn is_failure(&self) -> bool {
        matches!(self, SkipReason::Unreadable { .. })
    }

    /// A short lowercase description for people.
    pub fn describe(&self) -> String {
        match self {
            SkipReason::Binary => "binary file".into(),
            SkipReason::TooLarge { size, limit } => {
                format!("{size} bytes, over the {limit}-byte size limit")
            }
            SkipReason::Symlink => "symbolic link, not followed".into(),
            SkipReason::BrokenSymlink => "broken symbolic link".into(),
            SkipReason::NotAFile => "not a regular file".into(),
            SkipReason::Unreadable { error } => format!("could not be read: {error}"),
        }
    }
}

/// An input that was not scanned, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// Path relative to the scan root (or the object id for git objects without one).
    pub path: String,
    /// Why.
    #[serde(flatten)]
    pub reason: SkipReason,
}

/// Counts of what a scan read and skipped, shared by its threads.
#[derive(Debug, Default)]
pub struct Tally {
    blobs: AtomicU64,
    bytes: AtomicU64,
    binary: AtomicU64,
    skipped: Mutex<Vec<Skipped>>,
}

impl Tally {
    /// Records a blob that was read and matched.
    pub fn scanned(&self, bytes: u64) {
        self.blobs.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    /// Records an input that was not scanned. Binary files are only counted.
    pub fn skip(&self, path: impl Into<String>, reason: SkipReason) {
        let path = path.into();
        match &reason {
            SkipReason::Binary => {
                tracing::debug!("skipping `{path}`: binary");
                self.binary.fetch_add(1, Ordering::Relaxed);
                return;
            }
            // Named on stderr once, with the others, when the scan ends.
            SkipReason::Unreadable { error } => tracing::debug!("`{path}` {error}"),
            other => tracing::debug!("skipping `{path}`: {}", other.describe()),
        }
        self.skipped
            .lock()
            .expect("tally lock")
            .push(Skipped { path, reason });
    }

    /// Blobs read so far.
    pub fn blobs(&self) -> u64 {
        self.blobs.load(Ordering::Relaxed)
    }

    /// Bytes read so far.
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    /// Binary files skipped so far.
    pub fn binary(&self) -> u64 {
        self.binary.load(Ordering::Relaxed)
    }

    /// The inputs skipped for a reason other than being binary, sorted by path.
    pub fn skipped(&self) -> Vec<Skipped> {
        let mut skipped = self.skipped.lock().expect("tally lock").clone();
        skipped.sort_by(|a, b| a.path.cmp(&b.path));
        skipped
    }
}

/// A message about the scan as a whole (not about one finding), shown to the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notice {
    /// How serious it is; `Error` means the scan is incomplete.
    pub level: NoticeLevel,
    /// What happened, and what to do.
    pub message: String,
}

/// Severity of a [`Notice`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NoticeLevel {
    /// For information.
    Note,
    /// Worth acting on; the scan is still complete.
    Warning,
    /// Part of the input was not scanned.
    Error,
}

/// Something that yields blobs: the working tree, git history, the staged index.
pub trait Source: Sync {
    /// Hands every blob to `sink`, from any number of threads, recording skipped inputs in
    /// `tally` and returning notices about the scan as a whole (for example, a shallow clone).
    fn scan(&self, sink: &(dyn Fn(&Blob<'_>) + Sync), tally: &Tally) -> Vec<Notice>;

    /// Maps what was found in blobs back to the places that hold them. The default keeps each
    /// finding where its blob was found.
    fn resolve(&self, found: Vec<Found>, matcher: &Matcher) -> Vec<Finding> {
        let _ = matcher;
        found.into_iter().map(|found| found.finding).collect()
    }
}

thread_local! {
    static SCRATCH: RefCell<(Scratch, Vec<Match>)> = RefCell::new(Default::default());
}

/// Runs the matcher over every blob of a source and returns the findings, deduplicated and
/// sorted by place, with the notices the source raised.
pub fn collect(
    source: &dyn Source,
    matcher: &Matcher,
    tally: &Tally,
) -> (Vec<Finding>, Vec<Notice>) {
    let found = Mutex::new(Vec::new());
    let provoke_panic = panic_test_hook();
    let sink = |blob: &Blob<'_>| {
        if provoke_panic {
            panic!("test hook: {}", String::from_utf8_lossy(blob.data));
        }
        let text = decode(blob.data);
        tally.scanned(blob.data.len() as u64);
        let local = SCRATCH.with(|cell| {
            let (scratch, matches) = &mut *cell.borrow_mut();
            matches.clear();
            let path = (!matches!(blob.origin, Origin::History(_))).then_some(blob.path);
            matcher.find(&text, path, scratch, matches);
            matches
                .iter()
                .map(|found| to_finding(matcher, blob, &text, found))
                .collect::<Vec<_>>()
        });
        if !local.is_empty() {
            found.lock().expect("findings lock").extend(local);
        }
    };
    let notices = source.scan(&sink, tally);

    let mut findings = source.resolve(found.into_inner().expect("findings lock"), matcher);
    findings.sort_by(|a, b| {
        (&a.location, &a.rule.id, &a.secret).cmp(&(&b.location, &b.rule.id, &b.secret))
    });
    findings.dedup_by(|a, b| {
        a.location == b.location && a.rule.id == b.rule.id && a.secret == b.secret
    });
    (findings, notices)
}

/// Debug builds only: `CLINESCAN_TEST_PANIC_ON_BLOB` makes the pipeline panic with a scanned
/// blob's bytes as the panic message, so that tests can check that a panic is reported without
/// echoing them. Release builds never panic on purpose.
fn panic_test_hook() -> bool {
    cfg!(debug_assertions) && std::env::var_os("CLINESCAN_TEST_PANIC_ON_BLOB").is_some()
}

fn to_finding(matcher: &Matcher, blob: &Blob<'_>, text: &[u8], found: &Match) -> Found {
    let rule = &matcher.rules()[found.rule];
    let secret = Secret::new(String::from_utf8_lossy(&text[found.secret.clone()]));
    let location = Location {
        path: blob.path.to_string(),
        line: found.start.line,
        column: found.start.column,
        end_line: found.end.line,
        end_column: found.end.column,
    };
    let line = matcher::line_at(text, found.secret.start);
    Found {
        origin: blob.origin,
        finding: Finding::new(rule.info.clone(), secret, location, line),
    }
}

/// Whether bytes look binary: a NUL in the first 8 KiB, unless the text is UTF-16 with a BOM.
pub fn is_binary(data: &[u8]) -> bool {
    if utf16_order(data).is_some() {
        return false;
    }
    memchr::memchr(0, &data[..data.len().min(8192)]).is_some()
}

fn utf16_order(data: &[u8]) -> Option<bool> {
    match data {
        [0xFF, 0xFE, ..] => Some(false),
        [0xFE, 0xFF, ..] => Some(true),
        _ => None,
    }
}

/// The text to match: UTF-16 with a byte-order mark is decoded to UTF-8; anything else is
/// matched as it is, valid UTF-8 or not.
pub fn decode(data: &[u8]) -> Cow<'_, [u8]> {
    let Some(big_endian) = utf16_order(data) else {
        return Cow::Borrowed(data);
    };
    let units = data[2..].chunks_exact(2).map(|pair| {
        if big_endian {
            u16::from_be_bytes([pair[0], pair[1]])
        } else {
            u16::from_le_bytes([pair[0], pair[1]])
        }
    });
    let text: String = char::decode_utf16(units)
        .map(|unit| unit.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect();
    Cow::Owned(text.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_with_bom_is_decoded_and_not_binary() {
        let mut data = vec![0xFF, 0xFE];
        for unit in "key=é1".encode_utf16() {
            data.extend_from_slice(&unit.to_le_bytes());
        }
        assert!(!is_binary(&data));
        assert_eq!(&*decode(&data), "key=é1".as_bytes());

        let mut big = vec![0xFE, 0xFF];
        for unit in "ab".encode_utf16() {
            big.extend_from_slice(&unit.to_be_bytes());
        }
        assert_eq!(&*decode(&big), b"ab");
    }

    #[test]
    fn nul_bytes_mean_binary() {
        assert!(is_binary(b"PNG\0\0data"));
        assert!(!is_binary(b"plain text"));
        assert!(!is_binary(b"\xff\xfe invalid utf-8 but no nul"));
    }
}
