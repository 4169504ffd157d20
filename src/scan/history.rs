//! The git history source: every blob reachable from the refs, each scanned once.
//!
//! The walk goes through the selected commits oldest first and reads each distinct tree once,
//! recording its entries compactly (interned ids and names) rather than every commit and path
//! that holds a blob. The distinct blobs are then read and scanned in parallel, one repository
//! handle per worker thread, so memory is bounded by the threads times the size limit. Only
//! for the few blobs with findings are the commits and paths that hold them worked out
//! afterwards, from the recorded trees ([`resolve`]).

mod index;
mod resolve;
mod walk;

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use git2::{Oid, Repository, RevparseMode};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;

use super::git::{self, GitError};
use super::matcher::Matcher;
use super::{Blob, Found, Notice, NoticeLevel, Origin, SkipReason, Source, Tally};
use crate::finding::Finding;
use index::HistoryIndex;

/// Which history to scan and how.
#[derive(Debug, Clone, Default)]
pub struct HistoryOptions {
    /// Branches to scan (with their ancestry); all refs when empty and no range is given.
    pub branches: Vec<String>,
    /// Revision ranges (`A..B`, `A...B`) to scan.
    pub ranges: Vec<String>,
    /// Leave out commits reachable from this revision.
    pub since: Option<String>,
    /// Blobs larger than this are skipped and counted.
    pub max_file_size: u64,
    /// Worker threads; 0 picks one per core.
    pub threads: usize,
    /// Draw a progress bar on stderr.
    pub progress: bool,
    /// Report env files ever committed (`dotenv-in-history`).
    pub env_files: bool,
    /// Paths to leave out (the configured `exclude` globs).
    pub exclude: Vec<String>,
}

/// Every commit reachable from the selected starting points, and the blobs they hold.
#[derive(Debug)]
pub struct HistorySource {
    git_dir: PathBuf,
    tips: Vec<Oid>,
    hidden: Vec<Oid>,
    is_shallow: bool,
    options: HistoryOptions,
    /// Problems met while resolving the starting points (refs naming missing objects).
    start_notices: Vec<Notice>,
    index: Mutex<Option<HistoryIndex>>,
}

impl HistorySource {
    /// Opens the repository holding `path` and resolves the starting points. A branch or
    /// revision that does not exist is an error here, before any work.
    pub fn new(path: &std::path::Path, options: HistoryOptions) -> Result<HistorySource, GitError> {
        let repository = git::open(path)?;
        let mut tips = Vec::new();
        let mut hidden = Vec::new();
        let mut start_notices = Vec::new();
        for branch in &options.branches {
            tips.push(resolve_branch(&repository, branch)?);
        }
        for range in &options.ranges {
            push_range(&repository, range, &mut tips, &mut hidden)?;
        }
        if options.branches.is_empty() && options.ranges.is_empty() {
            tips = every_ref(&repository, &mut start_notices);
        }
        if let Some(since) = &options.since {
            hidden.push(resolve_commit(&repository, since)?);
        }
        Ok(HistorySource {
            git_dir: repository.path().to_path_buf(),
            tips,
            hidden,
            is_shallow: repository.is_shallow(),
            options,
            start_notices,
            index: Mutex::new(None),
        })
    }

    /// Walks the commits and records their trees; problems become notices.
    fn walk(&self, repository: &Repository, notices: &mut Vec<Notice>) -> HistoryIndex {
        let mut index = HistoryIndex::default();
        let spinner = progress_bar(self.options.progress, None);
        // Oldest first, so that the first commit holding a blob is the one that introduced it.
        let commits = walk::commits(repository, &self.tips, &self.hidden, notices);
        for (id, tree) in commits {
            index.add_commit(repository, id, tree, notices);
            spinner.set_message(format!("{} commits walked", index.commit_count()));
            spinner.tick();
        }
        spinner.finish_and_clear();
        index
    }

    /// Reads and scans the distinct blobs in parallel, one repository handle per thread.
    fn scan_blobs(
        &self,
        index: &HistoryIndex,
        sink: &(dyn Fn(&Blob<'_>) + Sync),
        tally: &Tally,
    ) -> Result<(), rayon::ThreadPoolBuildError> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(self.options.threads)
            .thread_name(|number| format!("clinescan-history-{number}"))
            .build()?;
        let handles = git::Handles::new(&self.git_dir, pool.current_num_threads());
        let bar = progress_bar(self.options.progress, Some(index.blobs().len() as u64));
        let limit = self.options.max_file_size;

        pool.install(|| {
            index.blobs().par_iter().for_each(|(object, path)| {
                let id = index.object_id(*object);
                let opened = handles.with(|repository| {
                    git::read_blob(repository, id, path, limit, tally, |data| {
                        sink(&Blob {
                            data,
                            path,
                            origin: Origin::History(id),
                        });
                    })
                });
                if let Err(error) = opened {
                    let error = format!("(blob `{id}`) {}", error.message().to_lowercase());
                    tally.skip(path.as_ref(), SkipReason::Unreadable { error });
                }
                bar.inc(1);
                if bar.position().is_multiple_of(64) {
                    let mebibytes = tally.bytes() as f64 / (1024.0 * 1024.0);
                    let seconds = bar.elapsed().as_secs_f64().max(0.001);
                    let rate = mebibytes / seconds;
                    bar.set_message(format!("{mebibytes:.0} MiB at {rate:.0} MiB/s"));
                }
            });
        });
        bar.finish_and_clear();
        Ok(())
    }
}

impl Source for HistorySource {
    fn scan(&self, sink: &(dyn Fn(&Blob<'_>) + Sync), tally: &Tally) -> Vec<Notice> {
        let mut notices = self.start_notices.clone();
        if self.is_shallow {
            notices.push(error_notice(
                "this is a shallow clone: history before the shallow boundary was not scanned; \
                 run `git fetch --unshallow` (in GitHub Actions, check out with \
                 `fetch-depth: 0`) and scan again"
                    .to_string(),
            ));
        }
        git::prepare_for_bulk_reads();
        let repository = match Repository::open(&self.git_dir) {
            Ok(repository) => repository,
            Err(error) => {
                notices.push(error_notice(format!(
                    "cannot open `{}`: {}",
                    self.git_dir.display(),
                    error.message().to_lowercase()
                )));
                return notices;
            }
        };
        if self.tips.is_empty() {
            notices.push(Notice {
                level: NoticeLevel::Note,
                message: "the repository has no commits; there is no history to scan".into(),
            });
            return notices;
        }

        let started = Instant::now();
        let index = self.walk(&repository, &mut notices);
        tracing::debug!(
            "walked {} commits, {} distinct trees ({:.1} MiB of entries), {} distinct blobs in \
             {:.2?}",
            index.commit_count(),
            index.tree_count(),
            index.entry_bytes() as f64 / f64::from(1 << 20),
            index.blobs().len(),
            started.elapsed()
        );
        if let Some(notice) = submodule_notice(&index) {
            notices.push(notice);
        }
        let started = Instant::now();
        if let Err(error) = self.scan_blobs(&index, sink, tally) {
            notices.push(error_notice(format!(
                "cannot start worker threads: {error}"
            )));
        }
        tracing::debug!("read and matched the blobs in {:.2?}", started.elapsed());
        *self.index.lock().expect("history index lock") = Some(index);
        notices
    }

    fn resolve(&self, found: Vec<Found>, matcher: &Matcher) -> Vec<Finding> {
        let index = self.index.lock().expect("history index lock").take();
        let Some(index) = index else {
            return Vec::new();
        };
        let repository = Repository::open(&self.git_dir).ok();
        let wanted = resolve::Wanted {
            env_files: self.options.env_files,
            exclusions: git::Exclusions::new(&self.options.exclude),
        };
        resolve::resolve(&index, repository.as_ref(), found, matcher, &wanted)
    }
}

/// A progress bar (or spinner, without a length) on stderr, hidden unless asked for.
fn progress_bar(visible: bool, length: Option<u64>) -> ProgressBar {
    if !visible {
        return ProgressBar::hidden();
    }
    let bar = match length {
        Some(length) => {
            let bar = ProgressBar::with_draw_target(Some(length), ProgressDrawTarget::stderr());
            let style =
                ProgressStyle::with_template("{bar:30} {pos}/{len} blobs, {msg}, {eta} left")
                    .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar
        }
        None => {
            let spinner = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            spinner.set_style(ProgressStyle::default_spinner());
            spinner
        }
    };
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

fn error_notice(message: String) -> Notice {
    Notice {
        level: NoticeLevel::Error,
        message,
    }
}

/// The warning that submodules were not entered, naming them (the first few).
fn submodule_notice(index: &HistoryIndex) -> Option<Notice> {
    const SHOWN: usize = 10;
    let count = index.submodules().len();
    if count == 0 {
        return None;
    }
    let mut paths: Vec<String> = index
        .submodules()
        .take(SHOWN)
        .map(|path| format!("`{path}`"))
        .collect();
    if count > SHOWN {
        paths.push(format!("and {} more", count - SHOWN));
    }
    Some(Notice {
        level: NoticeLevel::Warning,
        message: format!(
            "submodules were not scanned: {}; each is another repository, whose history this \
             one does not hold: scan its own clone with `clinescan history`",
            paths.join(", ")
        ),
    })
}

/// A notice about an object that could not be read, naming it.
fn object_notice(kind: &str, id: Oid, error: &git2::Error) -> Notice {
    error_notice(format!(
        "{kind} `{id}` could not be read, so what only it holds was not scanned: {}",
        error.message().to_lowercase()
    ))
}

/// Every commit a ref, `HEAD` or a stash entry points at. A ref naming an object that cannot
/// be read becomes a notice; one naming a tree or blob (rare, but allowed) is left out.
fn every_ref(repository: &Repository, notices: &mut Vec<Notice>) -> Vec<Oid> {
    let mut tips = Vec::new();
    if let Ok(references) = repository.references() {
        for reference in references.flatten() {
            let name = String::from_utf8_lossy(reference.name_bytes()).into_owned();
            match reference.peel_to_commit() {
                Ok(commit) => tips.push(commit.id()),
                Err(error) if error.code() == git2::ErrorCode::NotFound => {
                    notices.push(error_notice(format!(
                        "ref `{name}` points at an object that could not be read, so what only \
                         it holds was not scanned: {}",
                        error.message().to_lowercase()
                    )));
                }
                Err(_) => tracing::debug!("skipping ref `{name}`: it does not point at a commit"),
            }
        }
    }
    if let Ok(head) = repository.head().and_then(|head| head.peel_to_commit()) {
        tips.push(head.id());
    }
    // Older stash entries live only in the stash's reflog.
    if let Ok(reflog) = repository.reflog("refs/stash") {
        tips.extend(reflog.iter().map(|entry| entry.id_new()));
    }
    tips.sort();
    tips.dedup();
    tips
}

fn resolve_commit(repository: &Repository, revision: &str) -> Result<Oid, GitError> {
    repository
        .revparse_single(revision)
        .and_then(|object| object.peel_to_commit())
        .map(|commit| commit.id())
        .map_err(|error| GitError::other(format!("find the commit `{revision}`"), &error))
}

/// A branch by name: a local branch, else a remote-tracking one, else any revision.
fn resolve_branch(repository: &Repository, name: &str) -> Result<Oid, GitError> {
    for candidate in [format!("refs/heads/{name}"), format!("refs/remotes/{name}")] {
        if let Ok(reference) = repository.find_reference(&candidate) {
            if let Ok(commit) = reference.peel_to_commit() {
                return Ok(commit.id());
            }
        }
    }
    resolve_commit(repository, name)
        .map_err(|_| GitError::other(format!("find the branch `{name}`"), &no_such(name)))
}

fn no_such(name: &str) -> git2::Error {
    git2::Error::from_str(&format!("no branch or revision is named `{name}`"))
}

/// Adds a range's ends: `A..B` scans what B has and A lacks; `A...B` what either has and
/// their merge base lacks.
fn push_range(
    repository: &Repository,
    range: &str,
    tips: &mut Vec<Oid>,
    hidden: &mut Vec<Oid>,
) -> Result<(), GitError> {
    let action = || format!("read the range `{range}`");
    let spec = repository
        .revparse(range)
        .map_err(|error| GitError::other(action(), &error))?;
    let commit = |object: Option<&git2::Object<'_>>| {
        object.map(|object| object.peel_to_commit().map(|commit| commit.id()))
    };
    let from = commit(spec.from()).transpose();
    let to = commit(spec.to()).transpose();
    let (from, to) = match (from, to) {
        (Ok(from), Ok(to)) => (from, to),
        (Err(error), _) | (_, Err(error)) => return Err(GitError::other(action(), &error)),
    };
    if !spec.mode().contains(RevparseMode::RANGE) {
        let message = "expected `A..B` or `A...B`";
        return Err(GitError::other(action(), &git2::Error::from_str(message)));
    }
    let (Some(from), Some(to)) = (from, to) else {
        let message = "both ends of the range are needed";
        return Err(GitError::other(action(), &git2::Error::from_str(message)));
    };
    tips.push(to);
    if spec.mode().contains(RevparseMode::MERGE_BASE) {
        tips.push(from);
        let base = repository
            .merge_base(from, to)
            .map_err(|error| GitError::other(action(), &error))?;
        hidden.push(base);
    } else {
        hidden.push(from);
    }
    Ok(())
}
