//! `clinescan scan`: files and folders on disk, with `.env` hygiene inside git work trees.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::cli::{ScanArgs, Verbosity};
use crate::config::Settings;
use crate::scan::dotenv::{self, FixOutcome};
use crate::scan::tree::{TreeOptions, TreeSource};

/// Scans the given paths (the current directory by default).
pub fn run(args: ScanArgs, verbosity: Verbosity) -> anyhow::Result<u8> {
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths
    };
    let settings = Settings::resolve(&args.common, args.no_ignore, &paths[0])?;
    if args.fix_gitignore {
        fix_gitignore(&paths, verbosity.quiet)?;
    }
    let source = tree_source(paths, &settings);
    super::execute(&source, &settings, "scan", verbosity)
}

/// The working-tree source for these paths and settings, `.env` hygiene included.
pub fn tree_source(paths: Vec<PathBuf>, settings: &Settings) -> TreeSource {
    TreeSource::new(
        paths,
        TreeOptions {
            respect_ignore: settings.respect_ignore,
            max_file_size: settings.max_file_size,
            threads: settings.threads,
            exclude: settings.exclude.clone(),
            hygiene: true,
            disabled_rules: settings.disabled_rules.clone(),
        },
    )
}

/// `--fix-gitignore`: makes the root `.gitignore` of each work tree scanned ignore `.env`,
/// before the scan, so that the scan already sees the fixed rules. Says what it did on stderr.
fn fix_gitignore(paths: &[PathBuf], quiet: bool) -> anyhow::Result<()> {
    let mut done = HashSet::new();
    for path in paths {
        let folder = match path.parent() {
            _ if path.is_dir() => path.as_path(),
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        let message = match dotenv::fix_gitignore(folder)? {
            FixOutcome::Added { path, created } => {
                let how = if created { "created" } else { "appended to" };
                let message = format!("fixed: {how} `{}`: added the line `.env`", path.display());
                done.insert(path);
                message
            }
            FixOutcome::AlreadyIgnored { workdir }
                if done.contains(&workdir.join(".gitignore")) =>
            {
                continue;
            }
            FixOutcome::AlreadyIgnored { workdir } => format!(
                "nothing to fix: the ignore rules of `{}` already ignore `.env`",
                workdir.display()
            ),
            FixOutcome::NotAWorkTree => {
                format!(
                    "nothing to fix: `{}` is not in a git work tree",
                    path.display()
                )
            }
        };
        if !quiet {
            eprintln!("{message}");
        }
    }
    Ok(())
}
