//! The git side of hygiene: which work tree holds a path, what its index tracks, and what
//! its ignore rules cover, as the `git` command says.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::AtomicBool;
use std::sync::Mutex;

use git2::{ErrorCode, Repository, RepositoryOpenFlags};

use super::{DotenvError, EnvStatus, Subject};

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

    /// The scan folder, as an absolute path without symbolic links.
    pub fn scan_folder(&self) -> PathBuf {
        self.workdir.join(&self.prefix)
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
        // Nothing here needs the index; make sure no configured monitor is started for it.
        .args(["-c", "core.fsmonitor=false"])
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
