//! The staged source: what the next commit would contain, read from git's object store.
//!
//! The index is compared with `HEAD`'s tree (with the empty tree before the first commit);
//! every added, modified, renamed or retyped file is read from the blob the index names, never
//! from the working tree, so a file edited after `git add` cannot hide what is staged. Deleted
//! files, symbolic links and submodules are not scanned.

use std::path::PathBuf;

use git2::{Delta, DiffOptions, ErrorCode, FileMode, Oid, Repository};

use super::git::{self, GitError};
use super::{Blob, Notice, NoticeLevel, Origin, Source, Tally};

/// The blobs staged in a repository's index that differ from `HEAD`.
#[derive(Debug)]
pub struct StagedSource {
    git_dir: PathBuf,
    staged: Vec<(String, Oid)>,
    max_file_size: u64,
}

impl StagedSource {
    /// Opens the repository holding `path` and lists what is staged. An unreadable index or
    /// `HEAD` is an error here, before any work.
    pub fn new(path: &std::path::Path, max_file_size: u64) -> Result<StagedSource, GitError> {
        let repository = git::open(path)?;
        if repository.is_bare() {
            return Err(GitError::Bare {
                path: repository.path().to_path_buf(),
            });
        }
        let staged = staged_blobs(&repository)?;
        Ok(StagedSource {
            git_dir: repository.path().to_path_buf(),
            staged,
            max_file_size,
        })
    }

    /// The staged paths and blob ids, sorted by path.
    pub fn staged(&self) -> &[(String, Oid)] {
        &self.staged
    }
}

/// The files the index adds or changes relative to `HEAD`.
fn staged_blobs(repository: &Repository) -> Result<Vec<(String, Oid)>, GitError> {
    let shown = repository.path().display().to_string();
    let head = match repository.head() {
        Ok(head) => Some(
            head.peel_to_tree()
                .map_err(|error| GitError::other(format!("read `HEAD` in `{shown}`"), &error))?,
        ),
        Err(error) if matches!(error.code(), ErrorCode::UnbornBranch | ErrorCode::NotFound) => None,
        Err(error) => return Err(GitError::other(format!("read `HEAD` in `{shown}`"), &error)),
    };
    let index = repository
        .index()
        .map_err(|error| GitError::other(format!("read the index of `{shown}`"), &error))?;
    let mut options = DiffOptions::new();
    options.include_typechange(true).ignore_submodules(true);
    let diff = repository
        .diff_tree_to_index(head.as_ref(), Some(&index), Some(&mut options))
        .map_err(|error| GitError::other(format!("compare the index of `{shown}`"), &error))?;

    let mut staged = Vec::new();
    for delta in diff.deltas() {
        if !matches!(
            delta.status(),
            Delta::Added | Delta::Modified | Delta::Renamed | Delta::Copied | Delta::Typechange
        ) {
            continue;
        }
        let file = delta.new_file();
        if !matches!(file.mode(), FileMode::Blob | FileMode::BlobExecutable) {
            continue;
        }
        let Some(path) = file.path_bytes() else {
            continue;
        };
        staged.push((String::from_utf8_lossy(path).into_owned(), file.id()));
    }
    staged.sort();
    Ok(staged)
}

impl Source for StagedSource {
    fn scan(&self, sink: &(dyn Fn(&Blob<'_>) + Sync), tally: &Tally) -> Vec<Notice> {
        if self.staged.is_empty() {
            return vec![Notice {
                level: NoticeLevel::Note,
                message: "nothing is staged; nothing to scan".into(),
            }];
        }
        let repository = match Repository::open(&self.git_dir) {
            Ok(repository) => repository,
            Err(error) => {
                return vec![Notice {
                    level: NoticeLevel::Error,
                    message: format!(
                        "cannot open `{}`: {}",
                        self.git_dir.display(),
                        error.message().to_lowercase()
                    ),
                }];
            }
        };
        // A handful of files: reading them one after another beats starting threads.
        let mut buffer = Vec::new();
        for (path, id) in &self.staged {
            if git::read_blob(
                &repository,
                *id,
                path,
                self.max_file_size,
                tally,
                &mut buffer,
            ) {
                tracing::trace!("scanning staged `{path}` ({} bytes)", buffer.len());
                sink(&Blob {
                    data: &buffer,
                    path,
                    origin: Origin::Index(*id),
                });
            }
        }
        Vec::new()
    }
}
