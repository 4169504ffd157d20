//! `clinescan staged`: what the next commit would contain, for pre-commit hooks.

use std::path::PathBuf;

use crate::cli::{StagedArgs, Verbosity};
use crate::config::Settings;
use crate::scan::git;
use crate::scan::staged::StagedSource;

/// Scans the blobs staged in the index of the repository at the given path (the current
/// directory by default) that differ from `HEAD`.
pub fn run(args: StagedArgs, verbosity: Verbosity) -> anyhow::Result<u8> {
    let path = args.path.unwrap_or_else(|| PathBuf::from("."));
    let settings = Settings::resolve(&args.common, false, &git::config_root(&path)?)?;
    let source = StagedSource::new(
        &path,
        settings.max_file_size,
        settings.threads,
        &settings.exclude,
    )?;
    super::execute(&source, &settings, "staged", verbosity)
}
