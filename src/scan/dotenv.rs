//! `.env` hygiene for working-tree scans: env files that git would let leak.
//!
//! Whether a path is ignored or tracked is asked of git itself, never re-implemented: the index
//! through libgit2, the ignore rules through `git check-ignore` (one run per work tree, for all
//! its env files at once), so nested `.gitignore` files, negations, `.git/info/exclude` and
//! `core.excludesFile` mean exactly what they mean to git. libgit2's own ignore lookup answers
//! only when the `git` command cannot be run: it drops a literal negation that undoes a rule of
//! another file. The tree source ([`super::tree`]) calls in here for each scan root that lies
//! in a git work tree; this module also owns `--fix-gitignore`.

mod fix;
mod worktree;

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};

pub use fix::{fix_gitignore, gitignore_line, remedy, shell_quote, FixOutcome};
pub use worktree::{TrackedFile, WorkTree};

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
    /// Rule ids not to report.
    pub disabled_rules: Vec<String>,
}

/// The hygiene findings for one root, each with a message saying how to fix it. `shown` maps a
/// path relative to the scan folder to the path findings show.
pub fn check(tree: &WorkTree, facts: &RootFacts, shown: &dyn Fn(&Path) -> String) -> Vec<Finding> {
    let folder = tree.scan_folder();
    let mut findings = Vec::new();
    let mut report = |rule: HygieneRule, subject: &Subject| {
        let info = hygiene_rule(rule);
        if facts.disabled_rules.contains(&info.id) {
            return;
        }
        let place = shown(&subject.relative);
        let mut finding = Finding::about_file(info, Location::whole_file(place));
        let fix = remedy(rule, &subject.from_top, &subject.top, subject.top == folder);
        finding.message = Some(fix);
        findings.push(finding);
    };

    let mut not_ignored: Vec<&Subject> = facts.not_ignored.iter().collect();
    not_ignored.sort_by(|a, b| a.relative.cmp(&b.relative));
    not_ignored.dedup();
    for subject in not_ignored {
        if is_hygiene_subject(&subject.relative.to_string_lossy()) {
            report(HygieneRule::NotIgnored, subject);
        }
    }
    let mut tracked: Vec<&Subject> = facts.tracked.iter().collect();
    tracked.sort_by(|a, b| a.relative.cmp(&b.relative));
    for subject in tracked {
        if is_hygiene_subject(&subject.relative.to_string_lossy()) {
            report(HygieneRule::Tracked, subject);
        }
    }
    if facts.check_root && !tree.ignores_root_dotenv() {
        let location = tree.subject(&tree.missing_dotenv_location());
        let top = Subject {
            from_top: PathBuf::from(".gitignore"),
            ..location
        };
        report(HygieneRule::GitignoreMissing, &top);
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

/// A finding for hygiene rule `rule` about the file (or folder) shown as `shown`.
pub fn hygiene_finding(rule: HygieneRule, shown: &str) -> Finding {
    Finding::about_file(hygiene_rule(rule), Location::whole_file(shown))
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
}
