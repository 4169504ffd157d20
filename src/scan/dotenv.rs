//! `.env` hygiene for working-tree scans: env files that git would let leak.
//!
//! Whether a path is ignored or tracked is asked of git itself (libgit2's ignore lookup and the
//! index), never re-implemented, so nested `.gitignore` files, negations, `.git/info/exclude`
//! and `core.excludesFile` mean exactly what they mean to `git check-ignore`. The tree source
//! ([`super::tree`]) calls in here for each scan root that lies in a git work tree; this module
//! also owns `--fix-gitignore`.

use std::collections::{HashMap, HashSet};
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::AtomicBool;
use std::sync::Mutex;

use git2::{ErrorCode, Repository, RepositoryOpenFlags};

use super::envfile::{hygiene_rule, is_hygiene_subject, HygieneRule};
use super::{Notice, NoticeLevel};
use crate::finding::{Finding, Location};

/// What can go wrong while looking at a git work tree or fixing its `.gitignore`.
#[derive(Debug, thiserror::Error)]
pub enum DotenvError {
    /// The repository exists but could not be opened or read.
    #[error("cannot read the git repository at `{path}`: {message}")]
    Git {
        /// The path the repository was looked up from.
        path: PathBuf,
        /// What libgit2 said.
        message: String,
    },
    /// The root `.gitignore` could not be read or written.
    #[error("cannot update `{path}`: {source}")]
    Gitignore {
        /// The `.gitignore` file.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
}

/// What git says about an env file that the scan root's own index does not track.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnvStatus {
    /// Git ignores it: `git add .` leaves it out.
    Ignored,
    /// Git does not ignore it: `git add .` would commit it.
    NotIgnored,
    /// A nested repository (a submodule or a clone in a subfolder) tracks it.
    Tracked,
}

/// A file a hygiene finding is about, and the work tree it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    /// Path relative to the scan folder.
    pub relative: PathBuf,
    /// The top of the work tree that holds it (a nested one for files in a submodule).
    pub top: PathBuf,
    /// Path relative to `top`.
    pub from_top: PathBuf,
}

/// A tracked file under a scan root, and whether the walker has read it yet.
#[derive(Debug)]
pub struct TrackedFile {
    /// Set once the walker has seen the path.
    pub visited: AtomicBool,
    /// A regular file (not a symbolic link or a submodule).
    pub is_regular: bool,
}

/// The git work tree a scan root lies in.
pub struct WorkTree {
    repository: Mutex<Repository>,
    workdir: PathBuf,
    prefix: PathBuf,
}

impl std::fmt::Debug for WorkTree {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("WorkTree")
            .field("workdir", &self.workdir)
            .field("prefix", &self.prefix)
            .finish()
    }
}

impl WorkTree {
    /// The work tree that holds the folder `base`, or `None` outside any work tree (a bare
    /// repository has none). Honours git's environment (`GIT_CONFIG_GLOBAL`,
    /// `GIT_CEILING_DIRECTORIES`, `GIT_INDEX_FILE`) as the `git` command does.
    pub fn discover(base: &Path) -> Result<Option<WorkTree>, DotenvError> {
        let error = |error: git2::Error| DotenvError::Git {
            path: base.to_path_buf(),
            message: error.message().to_lowercase(),
        };
        let canonical = fs::canonicalize(base).map_err(|source| DotenvError::Git {
            path: base.to_path_buf(),
            message: source.to_string().to_lowercase(),
        })?;
        let ceilings: Vec<PathBuf> = std::env::var_os("GIT_CEILING_DIRECTORIES")
            .map(|value| std::env::split_paths(&value).collect())
            .unwrap_or_default();
        let repository =
            match Repository::open_ext(&canonical, RepositoryOpenFlags::FROM_ENV, &ceilings) {
                Ok(repository) => repository,
                Err(failure) if failure.code() == ErrorCode::NotFound => return Ok(None),
                Err(failure) => return Err(error(failure)),
            };
        let Some(workdir) = repository.workdir() else {
            return Ok(None);
        };
        let workdir = fs::canonicalize(workdir).unwrap_or_else(|_| workdir.to_path_buf());
        let Ok(prefix) = canonical.strip_prefix(&workdir).map(Path::to_path_buf) else {
            return Ok(None);
        };
        if prefix.starts_with(".git") {
            return Ok(None);
        }
        Ok(Some(WorkTree {
            repository: Mutex::new(repository),
            workdir,
            prefix,
        }))
    }

    /// The top folder of the work tree.
    pub fn workdir(&self) -> &Path {
        &self.workdir
    }

    /// Every path in the index under the scan folder, relative to it.
    pub fn tracked(&self) -> Result<HashMap<PathBuf, TrackedFile>, DotenvError> {
        let repository = self.repository.lock().expect("repository lock");
        let index = repository.index().map_err(|error| DotenvError::Git {
            path: self.workdir.clone(),
            message: error.message().to_lowercase(),
        })?;
        let mut tracked = HashMap::with_capacity(index.len());
        for entry in index.iter() {
            let path = repo_path(&entry.path);
            let Ok(relative) = path.strip_prefix(&self.prefix) else {
                continue;
            };
            let is_regular = entry.mode & 0o170000 == 0o100000;
            tracked.insert(
                relative.to_path_buf(),
                TrackedFile {
                    visited: AtomicBool::new(false),
                    is_regular,
                },
            );
        }
        Ok(tracked)
    }

    /// What git says about env files under the scan folder that this work tree's index does
    /// not track (`paths` relative to the scan folder; the answers in the same order). A file
    /// inside a nested repository (a submodule or a clone in a subfolder) is judged by that
    /// repository's own index and ignore rules, as git there would.
    pub fn classify(&self, paths: &[PathBuf]) -> Vec<(EnvStatus, Subject)> {
        let folder = self.workdir.join(&self.prefix);
        let mut groups: HashMap<PathBuf, Vec<(usize, PathBuf)>> = HashMap::new();
        for (position, path) in paths.iter().enumerate() {
            let full = folder.join(path);
            let top = full
                .ancestors()
                .skip(1)
                .take_while(|folder| *folder != self.workdir && folder.starts_with(&self.workdir))
                .find(|folder| folder.join(".git").exists())
                .unwrap_or(&self.workdir)
                .to_path_buf();
            let from_top = full.strip_prefix(&top).unwrap_or(path).to_path_buf();
            groups.entry(top).or_default().push((position, from_top));
        }

        let mut statuses: Vec<(EnvStatus, Subject)> = paths
            .iter()
            .map(|path| (EnvStatus::NotIgnored, self.subject(path)))
            .collect();
        for (top, members) in groups {
            let nested = (top != self.workdir)
                .then(|| Repository::open(&top).ok())
                .flatten();
            let mut untracked = Vec::new();
            let index = nested
                .as_ref()
                .and_then(|repository| repository.index().ok());
            for (position, from_top) in members {
                statuses[position].1.top = top.clone();
                statuses[position].1.from_top = from_top.clone();
                match index
                    .as_ref()
                    .and_then(|index| index.get_path(&from_top, 0))
                {
                    Some(_) => statuses[position].0 = EnvStatus::Tracked,
                    None => untracked.push((position, from_top)),
                }
            }
            let asked: Vec<PathBuf> = untracked.iter().map(|(_, path)| path.clone()).collect();
            let ignored = match &nested {
                Some(repository) => ignored_in(&top, repository, &asked),
                None if top == self.workdir => self.ignored_from_top(&asked),
                // A nested `.git` that libgit2 cannot open: ask the outer work tree.
                None => self.ignored_from_top(&asked),
            };
            for (position, from_top) in untracked {
                if ignored.contains(&from_top) {
                    statuses[position].0 = EnvStatus::Ignored;
                }
            }
        }
        statuses
    }

    /// Which of `paths` (relative to the top of the work tree) git ignores.
    fn ignored_from_top(&self, paths: &[PathBuf]) -> HashSet<PathBuf> {
        let repository = self.repository.lock().expect("repository lock");
        ignored_in(&self.workdir, &repository, paths)
    }

    /// Whether git's ignore rules would ignore a `.env` at the top of the work tree.
    pub fn ignores_root_dotenv(&self) -> bool {
        let dotenv = PathBuf::from(".env");
        self.ignored_from_top(std::slice::from_ref(&dotenv))
            .contains(&dotenv)
    }

    /// The path of the top folder relative to the scan folder (`.` when they are the same,
    /// `..` and so on when the scan folder is deeper).
    pub fn top_from_scan_folder(&self) -> PathBuf {
        let depth = self
            .prefix
            .components()
            .filter(|part| matches!(part, Component::Normal(_)))
            .count();
        match depth {
            0 => PathBuf::from("."),
            _ => (0..depth).map(|_| "..").collect(),
        }
    }

    /// Where `gitignore-missing-dotenv` is located, relative to the scan folder: the top
    /// `.gitignore`, or the top folder when there is none.
    pub fn missing_dotenv_location(&self) -> PathBuf {
        let top = self.top_from_scan_folder();
        if self.workdir.join(".gitignore").is_file() {
            if top == Path::new(".") {
                PathBuf::from(".gitignore")
            } else {
                top.join(".gitignore")
            }
        } else {
            top
        }
    }

    /// The file at `relative` (relative to the scan folder), as a subject of this work tree.
    pub fn subject(&self, relative: &Path) -> Subject {
        Subject {
            relative: relative.to_path_buf(),
            top: self.workdir.clone(),
            from_top: self.prefix.join(relative),
        }
    }
}

/// The work tree holding a scan root, or `None`: a root outside any work tree is added to
/// `outside`, and a repository that cannot be read becomes a warning.
pub fn discover_for_root(
    root: &Path,
    is_dir: bool,
    outside: &mut Vec<PathBuf>,
    notices: &mut Vec<Notice>,
) -> Option<WorkTree> {
    let base = match (is_dir, root.parent()) {
        (true, _) => root,
        (false, Some(parent)) if !parent.as_os_str().is_empty() => parent,
        (false, _) => Path::new("."),
    };
    match WorkTree::discover(base) {
        Ok(Some(tree)) => Some(tree),
        Ok(None) => {
            outside.push(root.to_path_buf());
            None
        }
        Err(error) => {
            notices.push(Notice {
                level: NoticeLevel::Warning,
                message: format!("{error}; .env hygiene checks were skipped there"),
            });
            None
        }
    }
}

/// The tracked files under the scan folder of `tree` (none without a work tree); an unreadable
/// index becomes a warning.
pub fn tracked_files(
    tree: Option<&WorkTree>,
    notices: &mut Vec<Notice>,
) -> HashMap<PathBuf, TrackedFile> {
    let Some(tree) = tree else {
        return HashMap::new();
    };
    tree.tracked().unwrap_or_else(|error| {
        notices.push(Notice {
            level: NoticeLevel::Warning,
            message: format!("{error}; tracked files that an ignore rule covers were not read"),
        });
        HashMap::new()
    })
}

/// What the walk of one root found out, for the hygiene check.
#[derive(Debug, Default)]
pub struct RootFacts {
    /// Untracked env files that git does not ignore.
    pub not_ignored: Vec<Subject>,
    /// Tracked regular files under the root that are not excluded (env files or not).
    pub tracked: Vec<Subject>,
    /// Whether to check the work tree's root `.gitignore` (once per work tree).
    pub check_root: bool,
}

/// The hygiene findings for one root, each followed by a note saying how to fix it. `shown`
/// maps a path relative to the scan folder to the path findings show.
pub fn check(
    tree: &WorkTree,
    facts: &RootFacts,
    shown: &dyn Fn(&Path) -> String,
    notices: &mut Vec<Notice>,
) -> Vec<Finding> {
    let folder = tree.workdir.join(&tree.prefix);
    let mut findings = Vec::new();
    let mut report = |rule: HygieneRule, subject: &Subject, notices: &mut Vec<Notice>| {
        let place = shown(&subject.relative);
        let fix = remedy(rule, &subject.from_top, &subject.top, subject.top == folder);
        notices.push(Notice {
            level: NoticeLevel::Note,
            message: format!("`{place}` ({}): {fix}", hygiene_rule(rule).id),
        });
        findings.push(hygiene_finding(rule, &place));
    };

    let mut not_ignored: Vec<&Subject> = facts.not_ignored.iter().collect();
    not_ignored.sort_by(|a, b| a.relative.cmp(&b.relative));
    not_ignored.dedup();
    for subject in not_ignored {
        if is_hygiene_subject(&subject.relative.to_string_lossy()) {
            report(HygieneRule::NotIgnored, subject, notices);
        }
    }
    let mut tracked: Vec<&Subject> = facts.tracked.iter().collect();
    tracked.sort_by(|a, b| a.relative.cmp(&b.relative));
    for subject in tracked {
        if is_hygiene_subject(&subject.relative.to_string_lossy()) {
            report(HygieneRule::Tracked, subject, notices);
        }
    }
    if facts.check_root && !tree.ignores_root_dotenv() {
        let location = tree.subject(&tree.missing_dotenv_location());
        let top = Subject {
            from_top: PathBuf::from(".gitignore"),
            ..location
        };
        report(HygieneRule::GitignoreMissing, &top, notices);
    }
    findings
}

/// The one note for roots outside any git work tree.
pub fn outside_notice(roots: &[PathBuf]) -> Notice {
    let roots: Vec<String> = roots
        .iter()
        .map(|root| format!("`{}`", root.display()))
        .collect();
    Notice {
        level: NoticeLevel::Note,
        message: format!(
            "{} not in a git work tree, so .env hygiene (dotenv-not-ignored, dotenv-tracked, \
             gitignore-missing-dotenv) was not checked there",
            roots.join(", ")
        ),
    }
}

/// Resolves `.` and `..` in a `/`-separated path without touching the disk; `.` when nothing
/// is left.
pub fn normalise(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|last| *last != "..") => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    let joined = parts.join("/");
    match (path.starts_with('/'), joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    }
}

/// Which of `paths` (relative to `top`) git ignores in the work tree at `top`: the `git`
/// command is asked, once for all of them; without a usable `git`, libgit2 answers instead,
/// which differs in one known way: it drops a negation such as `!.env.local` that does not undo
/// a rule of its own file, where git lets it undo a rule from a folder above or the global
/// excludes.
fn ignored_in(top: &Path, repository: &Repository, paths: &[PathBuf]) -> HashSet<PathBuf> {
    if paths.is_empty() {
        return HashSet::new();
    }
    match check_ignore(top, paths) {
        Ok(ignored) => ignored,
        Err(error) => {
            tracing::debug!("cannot run `git check-ignore` ({error}); asking libgit2");
            paths
                .iter()
                .filter(|path| repository.is_path_ignored(path).unwrap_or(false))
                .cloned()
                .collect()
        }
    }
}

/// Runs `git check-ignore --no-index` in `workdir` over `paths` (relative to it) and returns
/// those it reports as ignored. The caller's `GIT_DIR` and `GIT_WORK_TREE` are cleared so that
/// git finds the repository from `workdir`, as libgit2 did.
fn check_ignore(workdir: &Path, paths: &[PathBuf]) -> io::Result<HashSet<PathBuf>> {
    let mut input = Vec::new();
    for path in paths {
        input.extend_from_slice(&path_bytes(path));
        input.push(0);
    }
    let mut child = Command::new("git")
        .arg("-C")
        .arg(workdir)
        .args(["check-ignore", "--no-index", "--stdin", "-z"])
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let mut stdin = child.stdin.take().expect("piped stdin");
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let output = child.wait_with_output()?;
    writer
        .join()
        .unwrap_or_else(|_| Err(io::Error::other("writer panicked")))?;
    // 0: some paths are ignored; 1: none is; anything else is a failure.
    if !matches!(output.status.code(), Some(0 | 1)) {
        let message = String::from_utf8_lossy(&output.stderr)
            .trim()
            .to_lowercase();
        return Err(io::Error::other(message));
    }
    Ok(output
        .stdout
        .split(|byte| *byte == 0)
        .filter(|path| !path.is_empty())
        .map(repo_path)
        .collect())
}

#[cfg(unix)]
fn path_bytes(path: &Path) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    path.as_os_str().as_bytes().to_vec()
}

#[cfg(not(unix))]
fn path_bytes(path: &Path) -> Vec<u8> {
    path.to_string_lossy().replace('\\', "/").into_bytes()
}

#[cfg(unix)]
fn repo_path(bytes: &[u8]) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    PathBuf::from(std::ffi::OsStr::from_bytes(bytes))
}

#[cfg(not(unix))]
fn repo_path(bytes: &[u8]) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(bytes).into_owned())
}

/// A finding for hygiene rule `rule` about the file (or folder) shown as `shown`.
pub fn hygiene_finding(rule: HygieneRule, shown: &str) -> Finding {
    Finding::about_file(hygiene_rule(rule), Location::whole_file(shown))
}

/// How to fix one hygiene finding, as a command or a line to add: `path` is the env file
/// relative to the top of the work tree, `workdir` that top, `scan_is_top` whether the scan
/// ran from there (so that the command works as printed).
pub fn remedy(rule: HygieneRule, path: &Path, workdir: &Path, scan_is_top: bool) -> String {
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let gitignore = if scan_is_top {
        ".gitignore".to_string()
    } else {
        workdir.join(".gitignore").display().to_string()
    };
    match rule {
        HygieneRule::NotIgnored => {
            format!("add the line `{}` to `{gitignore}`", gitignore_line(&name))
        }
        HygieneRule::Tracked => {
            let at = if scan_is_top {
                String::new()
            } else {
                format!("-C {} ", shell_quote(&workdir.to_string_lossy()))
            };
            format!(
                "run `git {at}rm --cached -- {}`, make sure `.gitignore` covers it, and rotate the \
                 keys it held",
                shell_quote(&path.to_string_lossy())
            )
        }
        HygieneRule::GitignoreMissing => format!(
            "add the line `.env` to `{gitignore}` (or run `clinescan scan --fix-gitignore`)"
        ),
        HygieneRule::InHistory => "revoke and rotate every key it held".to_string(),
    }
}

/// A `.gitignore` line matching a file of this name in any folder, with the characters that
/// gitignore syntax treats specially escaped.
pub fn gitignore_line(name: &str) -> String {
    let mut line = String::with_capacity(name.len() + 2);
    for (index, character) in name.chars().enumerate() {
        let leading = index == 0 && matches!(character, '#' | '!');
        if leading || matches!(character, '*' | '?' | '[' | '\\') {
            line.push('\\');
        }
        line.push(character);
    }
    if line.ends_with(' ') {
        line.pop();
        line.push_str("\\ ");
    }
    line
}

/// Quotes `text` for a POSIX shell when it holds anything but plain path characters.
pub fn shell_quote(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '/' | '_' | '-' | '+'));
    if plain {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

/// What `--fix-gitignore` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FixOutcome {
    /// The `.env` line was appended to this `.gitignore` (created when `created`).
    Added {
        /// The root `.gitignore`.
        path: PathBuf,
        /// Whether the file did not exist before.
        created: bool,
    },
    /// The ignore rules already ignore a root `.env`; nothing was written.
    AlreadyIgnored {
        /// The top of the work tree.
        workdir: PathBuf,
    },
    /// The folder is not in a git work tree; nothing was written.
    NotAWorkTree,
}

/// Appends `.env` to the root `.gitignore` of the work tree holding `base` when git's rules
/// would not ignore a root `.env`; does nothing otherwise, so running it twice is harmless.
pub fn fix_gitignore(base: &Path) -> Result<FixOutcome, DotenvError> {
    let Some(tree) = WorkTree::discover(base)? else {
        return Ok(FixOutcome::NotAWorkTree);
    };
    if tree.ignores_root_dotenv() {
        return Ok(FixOutcome::AlreadyIgnored {
            workdir: tree.workdir.clone(),
        });
    }
    let path = tree.workdir.join(".gitignore");
    let failed = |source| DotenvError::Gitignore {
        path: path.clone(),
        source,
    };
    let existing = match fs::read(&path) {
        Ok(existing) => Some(existing),
        Err(error) if error.kind() == io::ErrorKind::NotFound => None,
        Err(error) => return Err(failed(error)),
    };
    let mut addition = String::new();
    if existing
        .as_deref()
        .is_some_and(|bytes| !bytes.is_empty() && !bytes.ends_with(b"\n"))
    {
        addition.push('\n');
    }
    addition.push_str(".env\n");
    let mut file = OpenOptions::new()
        .append(true)
        .create(true)
        .open(&path)
        .map_err(failed)?;
    file.write_all(addition.as_bytes()).map_err(failed)?;
    Ok(FixOutcome::Added {
        path,
        created: existing.is_none(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_normalised_lexically() {
        assert_eq!(normalise("sub/../.gitignore"), ".gitignore");
        assert_eq!(normalise("../.gitignore"), "../.gitignore");
        assert_eq!(normalise("./a/./b/../c"), "a/c");
        assert_eq!(normalise("a/.."), ".");
        assert_eq!(normalise("/tmp/x/."), "/tmp/x");
    }

    #[test]
    fn gitignore_lines_escape_special_characters() {
        assert_eq!(gitignore_line(".env.local"), ".env.local");
        assert_eq!(gitignore_line("#x.env"), "\\#x.env");
        assert_eq!(gitignore_line("!a[1]*.env"), "\\!a\\[1]\\*.env");
        assert_eq!(gitignore_line("é b.env"), "é b.env");
    }

    #[test]
    fn shell_quoting_leaves_plain_paths_alone() {
        assert_eq!(shell_quote("app/.env"), "app/.env");
        assert_eq!(shell_quote("a b/é.env"), "'a b/é.env'");
        assert_eq!(shell_quote("it's.env"), "'it'\\''s.env'");
    }

    #[test]
    fn remedies_name_the_exact_fix() {
        let workdir = Path::new("/repo");
        let tracked = remedy(HygieneRule::Tracked, Path::new("a b/.env"), workdir, true);
        assert_eq!(
            tracked,
            "run `git rm --cached -- 'a b/.env'`, make sure `.gitignore` covers it, and rotate \
             the keys it held"
        );
        let deeper = remedy(HygieneRule::Tracked, Path::new(".env"), workdir, false);
        assert!(
            deeper.contains("git -C /repo rm --cached -- .env"),
            "{deeper}"
        );
        let line = remedy(
            HygieneRule::NotIgnored,
            Path::new("x/.env.prod"),
            workdir,
            true,
        );
        assert_eq!(line, "add the line `.env.prod` to `.gitignore`");
    }
}
