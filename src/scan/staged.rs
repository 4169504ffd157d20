//! The staged source: what the next commit would contain, read from git's object store.
//!
//! The index is compared with `HEAD`'s tree (with the empty tree before the first commit);
//! every added, modified, renamed or retyped file is read from the blob the index names, never
//! from the working tree, so a file edited after `git add` cannot hide what is staged. Deleted
//! files and symbolic links are not scanned; a staged submodule (a commit of another repository)
//! is named in a warning, since its content is staged in that repository's own index.

use std::path::PathBuf;

use git2::{Delta, DiffOptions, ErrorCode, FileMode, Oid, Repository};
use rayon::prelude::*;

use super::git::{self, GitError};
use super::{Blob, Notice, NoticeLevel, Origin, SkipReason, Source, Tally};

/// From this many staged files on, they are read by a pool of worker threads.
const PARALLEL_FROM: usize = 64;

/// The blobs staged in a repository's index that differ from `HEAD`.
#[derive(Debug)]
pub struct StagedSource {
    git_dir: PathBuf,
    staged: Vec<(String, Oid)>,
    submodules: Vec<String>,
    excluded: usize,
    max_file_size: u64,
    threads: usize,
}

impl StagedSource {
    /// Opens the repository holding `path` and lists what is staged. An unreadable index or
    /// `HEAD` is an error here, before any work.
    /// Blobs over `max_file_size` are skipped and counted; `threads` read many staged files
    /// in parallel (0: one per core); paths matching an `exclude` glob are left out.
    pub fn new(
        path: &std::path::Path,
        max_file_size: u64,
        threads: usize,
        exclude: &[String],
    ) -> Result<StagedSource, GitError> {
        let repository = git::open(path)?;
        if repository.is_bare() {
            return Err(GitError::Bare {
                path: repository.path().to_path_buf(),
            });
        }
        let exclusions = git::Exclusions::new(exclude);
        let (mut staged, submodules) = staged_blobs(&repository)?;
        let before = staged.len();
        staged.retain(|(path, _)| !exclusions.is_excluded(path));
        let excluded = before - staged.len();
        Ok(StagedSource {
            git_dir: repository.path().to_path_buf(),
            staged,
            submodules,
            excluded,
            max_file_size,
            threads,
        })
    }

    /// The staged paths and blob ids, sorted by path.
    pub fn staged(&self) -> &[(String, Oid)] {
        &self.staged
    }
}

/// What the index adds or changes relative to `HEAD`: the files, and the submodules.
type Staged = (Vec<(String, Oid)>, Vec<String>);

/// The files and submodules the index adds or changes relative to `HEAD`.
fn staged_blobs(repository: &Repository) -> Result<Staged, GitError> {
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
    options.include_typechange(true);
    let diff = repository
        .diff_tree_to_index(head.as_ref(), Some(&index), Some(&mut options))
        .map_err(|error| GitError::other(format!("compare the index of `{shown}`"), &error))?;

    let mut staged = Vec::new();
    let mut submodules = Vec::new();
    for delta in diff.deltas() {
        if !matches!(
            delta.status(),
            Delta::Added | Delta::Modified | Delta::Renamed | Delta::Copied | Delta::Typechange
        ) {
            continue;
        }
        let file = delta.new_file();
        let Some(path) = file.path_bytes() else {
            continue;
        };
        let path = String::from_utf8_lossy(path).into_owned();
        match file.mode() {
            FileMode::Blob | FileMode::BlobExecutable => staged.push((path, file.id())),
            FileMode::Commit => submodules.push(path),
            _ => {}
        }
    }
    staged.sort();
    submodules.sort();
    Ok((staged, submodules))
}

impl Source for StagedSource {
    fn scan(&self, sink: &(dyn Fn(&Blob<'_>) + Sync), tally: &Tally) -> Vec<Notice> {
        let mut notices = Vec::new();
        if !self.submodules.is_empty() {
            let paths: Vec<String> = self
                .submodules
                .iter()
                .map(|path| format!("`{path}`"))
                .collect();
            notices.push(Notice {
                level: NoticeLevel::Warning,
                message: format!(
                    "staged submodules were not scanned: {}; their changes are staged in their \
                     own repositories: run `clinescan staged` inside each",
                    paths.join(", ")
                ),
            });
        }
        if self.staged.is_empty() {
            let message = match self.excluded {
                0 if !self.submodules.is_empty() => "no files are staged; nothing to scan".into(),
                0 => "nothing is staged; nothing to scan".to_string(),
                excluded => format!("all {excluded} staged files are excluded; nothing to scan"),
            };
            notices.push(Notice {
                level: NoticeLevel::Note,
                message,
            });
            return notices;
        }
        git::prepare_for_bulk_reads();
        let limit = self.max_file_size;
        let read = |handles: &git::Handles, (path, id): &(String, Oid)| {
            let opened = handles.with(|repository| {
                git::read_blob(repository, *id, path, limit, tally, |data| {
                    tracing::trace!("scanning staged `{path}` ({} bytes)", data.len());
                    sink(&Blob {
                        data,
                        path,
                        origin: Origin::Index(*id),
                    });
                })
            });
            if let Err(error) = opened {
                let error = format!("(blob `{id}`) {}", error.message().to_lowercase());
                tally.skip(path.as_str(), SkipReason::Unreadable { error });
            }
        };

        // A small change is read on this thread: starting workers would cost more than it saves.
        if self.staged.len() < PARALLEL_FROM {
            let handles = git::Handles::new(&self.git_dir, 1);
            for entry in &self.staged {
                read(&handles, entry);
            }
            return notices;
        }
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(self.threads)
            .build();
        let pool = match pool {
            Ok(pool) => pool,
            Err(error) => {
                notices.push(Notice {
                    level: NoticeLevel::Error,
                    message: format!("cannot start worker threads: {error}"),
                });
                return notices;
            }
        };
        let handles = git::Handles::new(&self.git_dir, pool.current_num_threads());
        pool.install(|| {
            self.staged
                .par_iter()
                .for_each(|entry| read(&handles, entry));
        });
        notices
    }
}
