//! The working-tree source: files and folders on disk, walked in parallel.
//!
//! Folders are walked with the `ignore` crate's parallel walker, honouring `.gitignore`,
//! `.ignore` and git's excludes unless told not to, reading hidden files but never `.git/`.
//! Files named on the command line are read even when an ignore rule covers them. Symbolic
//! links are never followed; FIFOs, sockets and devices are never opened.

use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use ignore::{WalkBuilder, WalkState};

use super::{is_binary, Blob, Notice, Origin, SkipReason, Source, Tally};

/// Files and folders on disk.
#[derive(Debug, Clone)]
pub struct TreeSource {
    roots: Vec<PathBuf>,
    options: TreeOptions,
}

/// How to walk a tree.
#[derive(Debug, Clone)]
pub struct TreeOptions {
    /// Honour `.gitignore`, `.ignore` and git's excludes.
    pub respect_ignore: bool,
    /// Files larger than this are skipped and counted.
    pub max_file_size: u64,
    /// Walker threads; 0 picks one per core.
    pub threads: usize,
    /// Extra glob patterns (gitignore syntax) of paths to leave out.
    pub exclude: Vec<String>,
}

impl TreeSource {
    /// A source over the given roots (files or folders).
    pub fn new(roots: Vec<PathBuf>, options: TreeOptions) -> TreeSource {
        TreeSource { roots, options }
    }

    /// The path to show for `path`, found under `root`: relative to the root when one folder
    /// is scanned, the walked path otherwise; always `/`-separated without a leading `./`.
    fn display_path(&self, root: &Path, path: &Path) -> String {
        let shown = if self.roots.len() == 1 && root.is_dir() {
            path.strip_prefix(root).unwrap_or(path)
        } else {
            path.strip_prefix("./").unwrap_or(path)
        };
        let mut text = shown.to_string_lossy().replace('\\', "/");
        if text.is_empty() {
            text = path.to_string_lossy().into_owned();
        }
        text
    }

    fn walk(&self, root: &Path, sink: &(dyn Fn(&Blob<'_>) + Sync), tally: &Tally) {
        let mut builder = WalkBuilder::new(root);
        builder
            .hidden(false)
            .parents(self.options.respect_ignore)
            .ignore(self.options.respect_ignore)
            .git_ignore(self.options.respect_ignore)
            .git_global(self.options.respect_ignore)
            .git_exclude(self.options.respect_ignore)
            .require_git(true)
            .follow_links(false)
            .threads(self.options.threads)
            .filter_entry(|entry| entry.file_name() != ".git");
        if !self.options.exclude.is_empty() {
            let mut overrides = ignore::overrides::OverrideBuilder::new(root);
            for glob in &self.options.exclude {
                // Invalid globs were rejected when settings were read.
                let _ = overrides.add(&format!("!{glob}"));
            }
            if let Ok(overrides) = overrides.build() {
                builder.overrides(overrides);
            }
        }

        builder.build_parallel().run(|| {
            let mut buffer = Vec::new();
            Box::new(move |entry| {
                match entry {
                    Ok(entry) => {
                        let is_dir = entry.file_type().is_some_and(|kind| kind.is_dir());
                        if !is_dir {
                            self.visit(root, entry.path(), &mut buffer, sink, tally);
                        }
                    }
                    Err(error) => record_walk_error(self, root, &error, tally),
                }
                WalkState::Continue
            })
        });
    }

    /// Reads one file and hands it to the sink, or records why it was skipped.
    fn visit(
        &self,
        root: &Path,
        path: &Path,
        buffer: &mut Vec<u8>,
        sink: &(dyn Fn(&Blob<'_>) + Sync),
        tally: &Tally,
    ) {
        let shown = self.display_path(root, path);
        let metadata = match fs::symlink_metadata(path) {
            Ok(metadata) => metadata,
            Err(error) => return tally.skip(shown, unreadable(&error)),
        };
        let kind = metadata.file_type();
        if kind.is_symlink() {
            let reason = match fs::metadata(path) {
                Ok(_) => SkipReason::Symlink,
                Err(_) => SkipReason::BrokenSymlink,
            };
            return tally.skip(shown, reason);
        }
        if !kind.is_file() {
            return tally.skip(shown, SkipReason::NotAFile);
        }
        let limit = self.options.max_file_size;
        if metadata.len() > limit {
            return tally.skip(
                shown,
                SkipReason::TooLarge {
                    size: metadata.len(),
                    limit,
                },
            );
        }

        buffer.clear();
        if let Err(error) = read_bounded(path, limit, buffer) {
            return tally.skip(shown, unreadable(&error));
        }
        if buffer.len() as u64 > limit {
            let size = buffer.len() as u64;
            return tally.skip(shown, SkipReason::TooLarge { size, limit });
        }
        if is_binary(buffer) {
            return tally.skip(shown, SkipReason::Binary);
        }
        tracing::trace!("scanning `{shown}` ({} bytes)", buffer.len());
        sink(&Blob {
            data: buffer,
            path: &shown,
            origin: Origin::WorkTree,
        });
    }
}

impl Source for TreeSource {
    fn scan(&self, sink: &(dyn Fn(&Blob<'_>) + Sync), tally: &Tally) -> Vec<Notice> {
        for root in &self.roots {
            match fs::symlink_metadata(root) {
                Ok(metadata) if metadata.is_dir() => self.walk(root, sink, tally),
                Ok(_) => self.visit(root, root, &mut Vec::new(), sink, tally),
                Err(error) => tally.skip(root.to_string_lossy(), unreadable(&error)),
            }
        }
        Vec::new()
    }
}

/// Reads at most `limit + 1` bytes, so that a file that grew after its size was checked
/// cannot make the scan read without bound.
fn read_bounded(path: &Path, limit: u64, buffer: &mut Vec<u8>) -> io::Result<()> {
    let file = File::open(path)?;
    file.take(limit.saturating_add(1)).read_to_end(buffer)?;
    Ok(())
}

fn unreadable(error: &io::Error) -> SkipReason {
    let error = match error.kind() {
        io::ErrorKind::NotFound => "it disappeared before it could be read".to_string(),
        _ => error.to_string().to_lowercase(),
    };
    SkipReason::Unreadable { error }
}

fn record_walk_error(source: &TreeSource, root: &Path, error: &ignore::Error, tally: &Tally) {
    let path = walk_error_path(error);
    let shown = path.map_or_else(
        || root.to_string_lossy().into_owned(),
        |path| source.display_path(root, path),
    );
    if let Some(io) = error.io_error() {
        if io.kind() == io::ErrorKind::NotFound && path.is_some_and(|p| p.is_symlink()) {
            return tally.skip(shown, SkipReason::BrokenSymlink);
        }
    }
    let message = match error.io_error() {
        Some(io) => io.to_string().to_lowercase(),
        None => error.to_string(),
    };
    tally.skip(shown, SkipReason::Unreadable { error: message });
}

fn walk_error_path(error: &ignore::Error) -> Option<&Path> {
    match error {
        ignore::Error::WithPath { path, .. } => Some(path),
        ignore::Error::WithLineNumber { err, .. } | ignore::Error::WithDepth { err, .. } => {
            walk_error_path(err)
        }
        ignore::Error::Loop { child, .. } => Some(child),
        _ => None,
    }
}
