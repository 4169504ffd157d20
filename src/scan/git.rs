//! What the git sources share: opening a repository, reading a blob within the size limit,
//! and describing a commit for a finding's provenance.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use git2::{ObjectType, Oid, Repository};
use ignore::overrides::{Override, OverrideBuilder};

use super::{is_binary, SkipReason, Tally};
use crate::finding::Commit;

/// Why a repository could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// No repository at or above the path.
    #[error("`{path}` is not in a git repository: {message}")]
    NotARepository {
        /// The path given.
        path: PathBuf,
        /// What libgit2 said.
        message: String,
    },
    /// The repository has no working tree, so it has no index worth scanning.
    #[error("`{path}` is a bare repository; `staged` needs a working tree")]
    Bare {
        /// The repository's path.
        path: PathBuf,
    },
    /// Another libgit2 failure, with what was being done.
    #[error("cannot {action}: {message}")]
    Other {
        /// What was being done, e.g. "read the index of `repo`".
        action: String,
        /// What libgit2 said.
        message: String,
    },
}

impl GitError {
    /// Wraps a libgit2 error with what was being done.
    pub fn other(action: impl Into<String>, error: &git2::Error) -> GitError {
        GitError::Other {
            action: action.into(),
            message: error.message().to_lowercase(),
        }
    }
}

/// Opens the repository that holds `path` (searching upwards, as git does).
pub fn open(path: &Path) -> Result<Repository, GitError> {
    Repository::discover(path).map_err(|error| GitError::NotARepository {
        path: path.to_path_buf(),
        message: error.message().to_lowercase(),
    })
}

/// The folder whose `.clinescan.toml` and `.clinescanignore` apply to a git scan of `path`:
/// the repository's working tree (wherever inside it `path` is), or the repository itself
/// when it is bare.
pub fn config_root(path: &Path) -> Result<PathBuf, GitError> {
    let repository = open(path)?;
    let root = repository.workdir().unwrap_or(repository.path());
    Ok(root.to_path_buf())
}

/// The configured `exclude` globs (gitignore syntax, as in tree scans), matched against paths
/// inside the repository: a path is left out when it or a folder holding it matches.
#[derive(Debug, Default)]
pub struct Exclusions(Option<Override>);

impl Exclusions {
    /// A matcher for the globs; none means nothing is left out.
    pub fn new(globs: &[String]) -> Exclusions {
        if globs.is_empty() {
            return Exclusions(None);
        }
        let mut overrides = OverrideBuilder::new("/");
        for glob in globs {
            // Invalid globs were rejected when settings were read.
            let _ = overrides.add(&format!("!{glob}"));
        }
        Exclusions(overrides.build().ok())
    }

    /// Whether `path` (relative to the repository root, `/`-separated) is left out.
    pub fn is_excluded(&self, path: &str) -> bool {
        let Some(overrides) = &self.0 else {
            return false;
        };
        let mut is_dir = false;
        let mut current = Some(Path::new(path));
        while let Some(path) = current.filter(|path| !path.as_os_str().is_empty()) {
            if overrides.matched(path, is_dir).is_ignore() {
                return true;
            }
            current = path.parent();
            is_dir = true;
        }
        false
    }
}

/// How much of the packs libgit2 keeps mapped at once. Every page of a mapped window that was
/// read counts in the resident set, and by default a 64-bit libgit2 maps packs in 1 GiB windows
/// up to 8 GiB, so a history scan would hold the whole pack; small windows, least recently
/// used unmapped first, hold memory to this bound whatever the size of the packs.
const MAPPED_LIMIT: usize = 32 << 20;

/// The size of one mapped pack window (libgit2 maps what a read needs, rounded to windows).
const WINDOW_SIZE: usize = 4 << 20;

/// Blobs at least this large are read and scanned one at a time, whatever the number of threads,
/// so that a raised size limit costs one such blob in memory (two for a delta in a pack:
/// base and result), not one per thread.
const LARGE_BLOB: usize = 32 << 20;

/// Held while a large blob is read and scanned.
static LARGE_BLOB_TURN: Mutex<()> = Mutex::new(());

/// Sets libgit2 up for reading many objects once each. Objects are read through zlib, whose
/// checksums catch damage, so hashing each again (which doubles the cost) is turned off; and
/// so is the object cache, which would only hold objects never asked for again. Pack windows
/// are kept small ([`MAPPED_LIMIT`]). Call it before starting threads that use libgit2.
pub fn prepare_for_bulk_reads() {
    git2::opts::strict_hash_verification(false);
    git2::opts::enable_caching(false);
    // SAFETY: these set process-wide libgit2 options; they are called from the thread that
    // starts a scan, before any worker thread that reads objects exists.
    let limited = unsafe {
        git2::opts::set_mwindow_size(WINDOW_SIZE)
            .and_then(|()| git2::opts::set_mwindow_mapped_limit(MAPPED_LIMIT))
    };
    if let Err(error) = limited {
        tracing::debug!("cannot limit libgit2's pack windows: {}", error.message());
    }
}

/// One repository handle per worker thread of a rayon pool, opened on first use: a handle
/// cannot be shared between threads, and opening one per blob would be slow.
pub struct Handles {
    git_dir: PathBuf,
    slots: Vec<Mutex<Option<Repository>>>,
}

impl Handles {
    /// Room for a handle per thread (of a pool of `threads`), each opening the repository
    /// at `git_dir`. A thread outside any pool uses the first.
    pub fn new(git_dir: &Path, threads: usize) -> Handles {
        Handles {
            git_dir: git_dir.to_path_buf(),
            slots: (0..threads.max(1)).map(|_| Mutex::new(None)).collect(),
        }
    }

    /// Runs `work` with the calling worker thread's handle, or returns the error that kept
    /// the repository from opening.
    pub fn with<T>(&self, work: impl FnOnce(&Repository) -> T) -> Result<T, git2::Error> {
        let slot = rayon::current_thread_index().unwrap_or(0) % self.slots.len();
        let mut handle = self.slots[slot].lock().expect("repository handle lock");
        if handle.is_none() {
            *handle = Some(Repository::open(&self.git_dir)?);
        }
        Ok(work(handle.as_ref().expect("opened above")))
    }
}

/// Reads a blob and hands its content to `visit`, if it can and should be scanned. Its size is
/// taken from the object header first, so a blob over `limit` is never inflated; a blob within
/// it is inflated once and lent to `visit` as it is, never copied. Returns `false`, with the
/// reason recorded in `tally`, when the blob is skipped.
pub fn read_blob(
    repository: &Repository,
    id: Oid,
    shown: &str,
    limit: u64,
    tally: &Tally,
    visit: impl FnOnce(&[u8]),
) -> bool {
    let unreadable = |error: &git2::Error| SkipReason::Unreadable {
        error: format!("(blob `{id}`) {}", error.message().to_lowercase()),
    };
    let odb = match repository.odb() {
        Ok(odb) => odb,
        Err(error) => {
            tally.skip(shown, unreadable(&error));
            return false;
        }
    };
    let size = match odb.read_header(id) {
        Ok((size, ObjectType::Blob)) if size as u64 > limit => {
            let size = size as u64;
            tally.skip(shown, SkipReason::TooLarge { size, limit });
            return false;
        }
        Ok((size, _)) => size,
        Err(error) => {
            tally.skip(shown, unreadable(&error));
            return false;
        }
    };
    // A poisoned lock only means another large blob's scan panicked; the turn is still free.
    let _turn = (size >= LARGE_BLOB).then(|| {
        LARGE_BLOB_TURN
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    });
    let object = match odb.read(id) {
        Ok(object) => object,
        Err(error) => {
            tally.skip(shown, unreadable(&error));
            return false;
        }
    };
    if is_binary(object.data()) {
        tally.skip(shown, SkipReason::Binary);
        return false;
    }
    visit(object.data());
    true
}

/// The commit as shown next to a finding: id, author, RFC 3339 author date and subject.
pub fn describe_commit(commit: &git2::Commit<'_>) -> Commit {
    let author = commit.author();
    Commit {
        id: commit.id().to_string(),
        author: String::from_utf8_lossy(author.name_bytes()).into_owned(),
        email: String::from_utf8_lossy(author.email_bytes()).into_owned(),
        date: rfc3339(author.when()),
        subject: commit.summary_bytes().map_or_else(String::new, |subject| {
            String::from_utf8_lossy(subject).into_owned()
        }),
    }
}

/// Formats a git time in its own offset, e.g. `2024-05-01T09:30:00+02:00`.
pub fn rfc3339(time: git2::Time) -> String {
    let offset = i64::from(time.offset_minutes());
    let local = time.seconds() + offset * 60;
    let days = local.div_euclid(86_400);
    let seconds = local.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    let sign = if offset < 0 { '-' } else { '+' };
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}{sign}{:02}:{:02}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60,
        offset.abs() / 60,
        offset.abs() % 60,
    )
}

/// The proleptic Gregorian date of a day counted from 1970-01-01.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_rfc3339_in_the_commit_offset() {
        assert_eq!(rfc3339(git2::Time::new(0, 0)), "1970-01-01T00:00:00+00:00");
        assert_eq!(
            rfc3339(git2::Time::new(1_709_210_096, 120)),
            "2024-02-29T14:34:56+02:00"
        );
        assert_eq!(
            rfc3339(git2::Time::new(951_782_400, -330)),
            "2000-02-28T18:30:00-05:30"
        );
    }
}
