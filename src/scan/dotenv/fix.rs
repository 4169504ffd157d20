//! How to fix hygiene findings: the remedy shown for each, and `--fix-gitignore`.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::{DotenvError, WorkTree};
use crate::scan::envfile::HygieneRule;

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
    let gitignore = tree.workdir().join(".gitignore");
    if crate::scan::tree::is_special(&gitignore) {
        // Git would block reading a FIFO there, and so would appending to it.
        let source = io::Error::other("it is not a regular file");
        return Err(DotenvError::Gitignore {
            path: gitignore,
            source,
        });
    }
    if tree.ignores_root_dotenv() {
        return Ok(FixOutcome::AlreadyIgnored {
            workdir: tree.workdir().to_path_buf(),
        });
    }
    let path = tree.workdir().join(".gitignore");
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
