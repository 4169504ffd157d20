//! The working-tree source: files and folders on disk, walked in parallel.
//!
//! Folders are walked with the `ignore` crate's parallel walker, honouring `.gitignore`,
//! `.ignore` and git's excludes unless told not to, reading hidden files but never `.git/`.
//! Files named on the command line are read even when an ignore rule covers them. Symbolic
//! links are never followed; FIFOs, sockets and devices are never opened.
//!
//! A root inside a git work tree gets two more things. Every tracked file is read, even one an
//! ignore rule now covers (git ignores only untracked files), and an env file that git ignores
//! and does not track is left unread even when the walker's own rules missed it. And the env
//! files are checked for hygiene ([`super::dotenv`]): the findings join the secrets found.

use std::collections::{HashMap, HashSet};
use std::fs::{self, OpenOptions};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use ignore::overrides::{Override, OverrideBuilder};
use ignore::{WalkBuilder, WalkState};
use rayon::prelude::*;

use super::dotenv::{self, EnvStatus, RootFacts, TrackedFile, WorkTree};
use super::envfile::is_env_file;
use super::matcher::Matcher;
use super::{is_binary, Blob, Found, Notice, Origin, SkipReason, Source, Tally};
use crate::finding::Finding;

/// The largest read buffer a walker thread keeps between files; a larger one is freed.
const KEPT_BUFFER: usize = 16 << 20;

/// Files and folders on disk.
#[derive(Debug)]
pub struct TreeSource {
    roots: Vec<PathBuf>,
    options: TreeOptions,
    /// Hygiene findings gathered during [`Source::scan`], handed over in [`Source::resolve`].
    hygiene: Mutex<Vec<Finding>>,
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
    /// Check env files for hygiene in roots that lie in a git work tree.
    pub hygiene: bool,
    /// Rule ids not to report; hygiene rules listed here are not checked.
    pub disabled_rules: Vec<String>,
}

/// One root being scanned: where it is in git, if anywhere, and what the walk has seen.
struct RootScan<'a> {
    root: &'a Path,
    is_dir: bool,
    git: Option<&'a WorkTree>,
    /// Tracked paths under the root, relative to it (empty outside a work tree).
    tracked: HashMap<PathBuf, TrackedFile>,
    exclusions: Option<Override>,
    /// Untracked env files met by the walk, with their size, waiting for git's verdict.
    deferred: Mutex<Vec<(PathBuf, u64)>>,
    /// What the hygiene check needs to know, filled in as the walk goes.
    facts: Mutex<RootFacts>,
}

impl RootScan<'_> {
    fn lock_facts(&self) -> std::sync::MutexGuard<'_, RootFacts> {
        self.facts.lock().expect("facts lock")
    }

    /// The path of `path` relative to the folder the root stands for.
    fn relative<'p>(&self, path: &'p Path) -> Option<&'p Path> {
        if self.is_dir {
            path.strip_prefix(self.root).ok()
        } else {
            path.file_name().map(Path::new)
        }
    }

    /// Whether `--exclude` leaves out `relative` or a folder holding it.
    fn is_excluded(&self, relative: &Path) -> bool {
        let Some(exclusions) = &self.exclusions else {
            return false;
        };
        let mut is_dir = false;
        let mut current = Some(relative);
        while let Some(path) = current.filter(|path| !path.as_os_str().is_empty()) {
            if exclusions.matched(path, is_dir).is_ignore() {
                return true;
            }
            current = path.parent();
            is_dir = true;
        }
        false
    }
}

impl TreeSource {
    /// A source over the given roots (files or folders).
    pub fn new(roots: Vec<PathBuf>, options: TreeOptions) -> TreeSource {
        TreeSource {
            roots,
            options,
            hygiene: Mutex::new(Vec::new()),
        }
    }

    /// The path to show for `path`, found under `root`: relative to the root when one folder
    /// is scanned, the walked path otherwise; always `/`-separated without a leading `./`.
    fn display_path(&self, root: &Path, root_is_dir: bool, path: &Path) -> String {
        let shown = if self.roots.len() == 1 && root_is_dir {
            path.strip_prefix(root).unwrap_or(path)
        } else {
            path.strip_prefix("./").unwrap_or(path)
        };
        let mut text = escape_path(shown);
        if text.is_empty() {
            text = escape_path(path);
        }
        text
    }

    fn walk(&self, scan: &RootScan<'_>, sink: &(dyn Fn(&Blob<'_>) + Sync), tally: &Tally) {
        let root = scan.root;
        let mut builder = WalkBuilder::new(root);
        builder
            .hidden(false)
            .parents(self.options.respect_ignore)
            .ignore(self.options.respect_ignore)
            .git_ignore(self.options.respect_ignore)
            .git_global(self.options.respect_ignore)
            .git_exclude(self.options.respect_ignore)
            .require_git(true)
            .threads(self.options.threads)
            .follow_links(false);
        let unsafe_folders = Arc::new(Mutex::new(Vec::new()));
        let found = Arc::clone(&unsafe_folders);
        // Also with `--no-ignore`: git reads the same files to classify env files.
        builder.filter_entry(move |entry| {
            entry.file_name() != ".git" && !has_unsafe_ignore_file(entry, &found)
        });
        if let Some(exclusions) = &scan.exclusions {
            builder.overrides(exclusions.clone());
        }

        builder.build_parallel().run(|| {
            let mut buffer = Vec::new();
            Box::new(move |entry| {
                match entry {
                    Ok(entry) => {
                        let is_dir = entry.file_type().is_some_and(|kind| kind.is_dir());
                        if !is_dir {
                            self.visit(scan, entry.path(), &mut buffer, sink, tally);
                        }
                    }
                    Err(error) => record_walk_error(self, root, &error, tally),
                }
                WalkState::Continue
            })
        });
        for (folder, name) in std::mem::take(&mut *unsafe_folders.lock().expect("folders lock")) {
            let error = format!("its `{name}` is not a regular file, so it was not walked");
            let shown = self.display_path(root, true, &folder);
            tally.skip(shown, SkipReason::Unreadable { error });
        }
    }

    /// The tracked regular files that a root covers and `--exclude` does not leave out.
    fn tracked_in_root<'a>(&self, scan: &'a RootScan<'_>) -> Vec<&'a Path> {
        let own_name = (!scan.is_dir).then(|| scan.relative(scan.root)).flatten();
        scan.tracked
            .iter()
            .filter(|(_, file)| file.is_regular)
            .map(|(relative, _)| relative.as_path())
            .filter(|relative| own_name.is_none_or(|name| name == *relative))
            .filter(|relative| !scan.is_excluded(relative))
            .collect()
    }

    /// The path shown for `relative`, relative to the folder of a root (which may climb out of
    /// it with `..`, for the work tree's top).
    fn shown_in_folder(&self, scan: &RootScan<'_>, relative: &Path) -> String {
        let folder = match (scan.is_dir, scan.root.parent()) {
            (true, _) => scan.root,
            (false, Some(parent)) => parent,
            (false, None) => Path::new(""),
        };
        let shown = if self.roots.len() == 1 && scan.is_dir {
            escape_path(relative)
        } else {
            escape_path(&folder.join(relative))
        };
        dotenv::normalise(&shown)
    }

    /// The `--exclude` globs as an override matcher for `root`.
    fn exclusions(&self, root: &Path) -> Option<Override> {
        if self.options.exclude.is_empty() {
            return None;
        }
        let mut overrides = OverrideBuilder::new(root);
        for glob in &self.options.exclude {
            // Invalid globs were rejected when settings were read.
            let _ = overrides.add(&format!("!{glob}"));
        }
        overrides.build().ok()
    }

    /// Reads the tracked files under a folder root that the walker left out because an ignore
    /// rule covers them: git still commits them.
    fn read_tracked_leftovers(
        &self,
        scan: &RootScan<'_>,
        sink: &(dyn Fn(&Blob<'_>) + Sync),
        tally: &Tally,
    ) {
        let mut leftovers: Vec<&Path> = scan
            .tracked
            .iter()
            .filter(|(_, file)| file.is_regular && !file.visited.load(Ordering::Relaxed))
            .map(|(relative, _)| relative.as_path())
            .filter(|relative| !scan.is_excluded(relative))
            .collect();
        leftovers.sort();
        if leftovers.is_empty() {
            return;
        }
        let read_all = || {
            leftovers
                .par_iter()
                .for_each_init(Vec::new, |buffer, relative| {
                    let path = scan.root.join(relative);
                    if fs::symlink_metadata(&path).is_err() {
                        // Deleted from the work tree: there is nothing on disk to read.
                        return;
                    }
                    tracing::debug!("reading `{}`: tracked, though ignored", relative.display());
                    self.visit(scan, &path, buffer, sink, tally);
                })
        };
        // As many threads as the walker had (`--threads`; 0 is one per core).
        match rayon::ThreadPoolBuilder::new()
            .num_threads(self.options.threads)
            .build()
        {
            Ok(pool) => pool.install(read_all),
            Err(_) => read_all(),
        }
    }

    /// Reads one file and hands it to the sink, or records why it was skipped.
    fn visit(
        &self,
        scan: &RootScan<'_>,
        path: &Path,
        buffer: &mut Vec<u8>,
        sink: &(dyn Fn(&Blob<'_>) + Sync),
        tally: &Tally,
    ) {
        let shown = self.display_path(scan.root, scan.is_dir, path);
        let relative = scan.relative(path);
        let tracked = relative.and_then(|relative| scan.tracked.get(relative));
        if let Some(file) = tracked {
            file.visited.store(true, Ordering::Relaxed);
        }
        let metadata = match fs::symlink_metadata(path) {
            Ok(metadata) => metadata,
            Err(error) => return tally.skip(shown, unreadable(&error)),
        };
        let kind = metadata.file_type();
        if kind.is_symlink() {
            if let Ok(target) = fs::read_link(path) {
                tracing::debug!("`{shown}` links to `{}`; not followed", target.display());
            }
            let reason = match fs::metadata(path) {
                Ok(_) => SkipReason::Symlink,
                Err(_) => SkipReason::BrokenSymlink,
            };
            return tally.skip(shown, reason);
        }
        if !kind.is_file() {
            return tally.skip(shown, SkipReason::NotAFile);
        }
        if let (Some(_), Some(relative), None) = (scan.git, relative, tracked) {
            if is_env_file(&shown) {
                // Whether git ignores it is asked for all of them at once, after the walk.
                let entry = (relative.to_path_buf(), metadata.len());
                scan.deferred.lock().expect("deferred lock").push(entry);
                return;
            }
        }
        self.read(path, shown, metadata.len(), buffer, sink, tally);
    }

    /// Reads the untracked env files of a root once git has said which it ignores: those it
    /// does not are hygiene findings, those it does are left unread like any ignored file
    /// (unless ignore rules are off or the file was named on the command line).
    fn read_deferred(
        &self,
        scan: &RootScan<'_>,
        git: &WorkTree,
        sink: &(dyn Fn(&Blob<'_>) + Sync),
        tally: &Tally,
    ) {
        let mut deferred = std::mem::take(&mut *scan.deferred.lock().expect("deferred lock"));
        if deferred.is_empty() {
            return;
        }
        deferred.sort();
        let paths: Vec<PathBuf> = deferred.iter().map(|(path, _)| path.clone()).collect();
        let statuses = git.classify(&paths);
        let mut buffer = Vec::new();
        for ((relative, size), (status, subject)) in deferred.into_iter().zip(statuses) {
            let path = if scan.is_dir {
                scan.root.join(&relative)
            } else {
                scan.root.to_path_buf()
            };
            let shown = self.display_path(scan.root, scan.is_dir, &path);
            match status {
                EnvStatus::NotIgnored => scan.lock_facts().not_ignored.push(subject),
                EnvStatus::Tracked => scan.lock_facts().tracked.push(subject),
                EnvStatus::Ignored if scan.is_dir && self.options.respect_ignore => {
                    tracing::debug!("skipping `{shown}`: git ignores it");
                    continue;
                }
                EnvStatus::Ignored => {}
            }
            self.read(&path, shown, size, &mut buffer, sink, tally);
        }
    }

    /// Reads a regular file of `size` bytes and hands it to the sink, or records why not.
    fn read(
        &self,
        path: &Path,
        shown: String,
        size: u64,
        buffer: &mut Vec<u8>,
        sink: &(dyn Fn(&Blob<'_>) + Sync),
        tally: &Tally,
    ) {
        let limit = self.options.max_file_size;
        if size > limit {
            return tally.skip(shown, SkipReason::TooLarge { size, limit });
        }

        buffer.clear();
        if let Err(reason) = read_bounded(path, limit, buffer) {
            return tally.skip(shown, reason);
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
        if buffer.capacity() > KEPT_BUFFER {
            // One huge file (under a raised `--max-file-size`) must not pin its size in memory
            // for the rest of the walk, once per thread.
            *buffer = Vec::new();
        }
    }
}

impl Source for TreeSource {
    fn scan(&self, sink: &(dyn Fn(&Blob<'_>) + Sync), tally: &Tally) -> Vec<Notice> {
        let mut notices = Vec::new();
        let mut outside = Vec::new();
        let mut checked_workdirs = HashSet::new();
        for root in &self.roots {
            let is_dir = match fs::symlink_metadata(root) {
                Ok(metadata) => metadata.is_dir(),
                Err(error) => {
                    tally.skip(root.to_string_lossy(), unreadable(&error));
                    continue;
                }
            };
            if let Some(path) = unsafe_ancestor(root, is_dir) {
                let error = format!(
                    "`{}` is not a regular file, and the walker or git would block reading it",
                    path.display()
                );
                tally.skip(root.to_string_lossy(), SkipReason::Unreadable { error });
                continue;
            }
            let git = match self.options.hygiene {
                true => dotenv::discover_for_root(root, is_dir, &mut outside, &mut notices),
                false => None,
            };
            let scan = RootScan {
                root,
                is_dir,
                tracked: dotenv::tracked_files(git.as_ref(), &mut notices),
                git: git.as_ref(),
                exclusions: self.exclusions(if is_dir { root } else { Path::new("") }),
                deferred: Mutex::new(Vec::new()),
                facts: Mutex::new(RootFacts::default()),
            };
            if is_dir {
                self.walk(&scan, sink, tally);
                if self.options.respect_ignore {
                    self.read_tracked_leftovers(&scan, sink, tally);
                }
            } else {
                self.visit(&scan, root, &mut Vec::new(), sink, tally);
            }
            if let Some(git) = &git {
                self.read_deferred(&scan, git, sink, tally);
                let tracked: Vec<_> = self
                    .tracked_in_root(&scan)
                    .into_iter()
                    .map(|path| git.subject(path))
                    .collect();
                let mut facts = std::mem::take(&mut *scan.lock_facts());
                facts.tracked.extend(tracked);
                facts.check_root = checked_workdirs.insert(git.workdir().to_path_buf());
                let shown = |relative: &Path| self.shown_in_folder(&scan, relative);
                facts.disabled_rules = self.options.disabled_rules.clone();
                let findings = dotenv::check(git, &facts, &shown);
                self.hygiene.lock().expect("hygiene lock").extend(findings);
            }
        }
        if !outside.is_empty() {
            notices.push(dotenv::outside_notice(&outside));
        }
        notices
    }

    fn resolve(&self, found: Vec<Found>, _matcher: &Matcher) -> Vec<Finding> {
        let mut findings: Vec<Finding> = found.into_iter().map(|found| found.finding).collect();
        findings.append(&mut self.hygiene.lock().expect("hygiene lock"));
        findings
    }
}

/// Reads at most `limit + 1` bytes, so that a file that grew after its size was checked
/// cannot make the scan read without bound. The file is opened without following a symbolic
/// link and without blocking, then checked to be a regular file: a path swapped for a FIFO,
/// a link or a folder after it was listed is skipped, never read.
fn read_bounded(path: &Path, limit: u64, buffer: &mut Vec<u8>) -> Result<(), SkipReason> {
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW | libc::O_NOCTTY);
    }
    let file = options
        .open(path)
        .map_err(|error| match error.raw_os_error() {
            #[cfg(unix)]
            Some(libc::ELOOP) => SkipReason::Symlink,
            _ => unreadable(&error),
        })?;
    let kind = file
        .metadata()
        .map_err(|error| unreadable(&error))?
        .file_type();
    if kind.is_dir() {
        let error = "it was replaced by a folder before it could be read".to_string();
        return Err(SkipReason::Unreadable { error });
    }
    if !kind.is_file() {
        return Err(SkipReason::NotAFile);
    }
    file.take(limit.saturating_add(1))
        .read_to_end(buffer)
        .map_err(|error| unreadable(&error))?;
    Ok(())
}

/// Whether the folder the walker is about to enter holds an ignore file that is not a regular
/// file; such a folder is recorded in `found` and left out.
fn has_unsafe_ignore_file(
    entry: &ignore::DirEntry,
    found: &Mutex<Vec<(PathBuf, &'static str)>>,
) -> bool {
    if !entry.file_type().is_some_and(|kind| kind.is_dir()) {
        return false;
    }
    let Some(name) = special_ignore_file(entry.path()) else {
        return false;
    };
    let folder = entry.path().to_path_buf();
    found.lock().expect("folders lock").push((folder, name));
    true
}

/// An ignore file in the folder of a root or a folder above it that is not a regular file:
/// the walker reads those of the folders above, and git reads them to answer `check-ignore`.
fn unsafe_ancestor(root: &Path, is_dir: bool) -> Option<PathBuf> {
    let folder = match (is_dir, root.parent()) {
        (true, _) => root,
        (false, Some(parent)) if !parent.as_os_str().is_empty() => parent,
        (false, _) => Path::new("."),
    };
    let absolute = fs::canonicalize(folder).unwrap_or_else(|_| folder.to_path_buf());
    absolute.ancestors().find_map(|folder| {
        let exclude = folder.join(".git/info/exclude");
        match special_ignore_file(folder) {
            Some(name) => Some(folder.join(name)),
            None => is_special(&exclude).then_some(exclude),
        }
    })
}

/// The name of an ignore file in `folder` that exists but is not a regular file (nor a link
/// to one), if any: the walker would open it, and a FIFO would block it for ever.
fn special_ignore_file(folder: &Path) -> Option<&'static str> {
    [".gitignore", ".ignore"]
        .into_iter()
        .find(|name| is_special(&folder.join(name)))
}

/// Whether `path` exists and is neither a regular file nor a link to one: opening it could
/// block for ever (a FIFO) or fail.
pub fn is_special(path: &Path) -> bool {
    match fs::symlink_metadata(path) {
        Ok(metadata) if metadata.is_symlink() => {
            fs::metadata(path).is_ok_and(|target| !target.is_file())
        }
        Ok(metadata) => !metadata.is_file(),
        Err(_) => false,
    }
}

/// A path as `/`-separated text for people and reports, on one line and unambiguous: control
/// characters are written as escapes (`\n`, `\t`, `\u{1b}`), bytes that are not UTF-8 as
/// `\xff`, and a backslash in a name as `\\`.
pub fn escape_path(path: &Path) -> String {
    #[cfg(unix)]
    let bytes = std::os::unix::ffi::OsStrExt::as_bytes(path.as_os_str());
    #[cfg(not(unix))]
    let lossy = path.to_string_lossy().replace('\\', "/");
    #[cfg(not(unix))]
    let bytes = lossy.as_bytes();
    let mut text = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for character in chunk.valid().chars() {
            match character {
                '\n' => text.push_str("\\n"),
                '\r' => text.push_str("\\r"),
                '\t' => text.push_str("\\t"),
                '\\' => text.push_str("\\\\"),
                control if control.is_control() => text.extend(control.escape_unicode()),
                other => text.push(other),
            }
        }
        for byte in chunk.invalid() {
            text.push_str(&format!("\\x{byte:02x}"));
        }
    }
    text
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
        |path| source.display_path(root, true, path),
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

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn a_path_swapped_after_listing_is_skipped_not_read() {
        let dir = tempfile::TempDir::new().unwrap();
        let mut buffer = Vec::new();

        let fifo = dir.path().join("fifo");
        let status = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(status.success());
        // Opened without blocking and refused: a blocking open would never return here.
        assert_eq!(
            read_bounded(&fifo, 100, &mut buffer),
            Err(SkipReason::NotAFile)
        );

        let gone = read_bounded(&dir.path().join("gone"), 100, &mut buffer);
        let error = "it disappeared before it could be read".to_string();
        assert_eq!(gone, Err(SkipReason::Unreadable { error }));

        let folder = read_bounded(dir.path(), 100, &mut buffer);
        assert!(
            matches!(folder, Err(SkipReason::Unreadable { error }) if error.contains("folder"))
        );

        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&fifo, &link).unwrap();
        assert_eq!(
            read_bounded(&link, 100, &mut buffer),
            Err(SkipReason::Symlink)
        );
        assert!(buffer.is_empty());
    }

    #[test]
    fn read_stops_one_byte_past_the_limit() {
        let dir = tempfile::TempDir::new().unwrap();
        let path = dir.path().join("grown.txt");
        fs::write(&path, "x".repeat(50)).unwrap();
        let mut buffer = Vec::new();
        read_bounded(&path, 10, &mut buffer).unwrap();
        assert_eq!(buffer.len(), 11);
    }

    #[test]
    fn odd_names_are_escaped_on_one_line() {
        use std::os::unix::ffi::OsStrExt;
        let name = std::ffi::OsStr::from_bytes(b"a b\nc\t\x1b\xffd.env");
        assert_eq!(escape_path(Path::new(name)), "a b\\nc\\t\\u{1b}\\xffd.env");
        assert_eq!(escape_path(Path::new("back\\slash")), "back\\\\slash");
        assert_eq!(escape_path(Path::new("plain/é.txt")), "plain/é.txt");
    }
}
