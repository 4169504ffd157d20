//! `clinescan scan`: files and folders on disk.

use std::path::PathBuf;

use crate::cli::{ScanArgs, Verbosity};
use crate::config::Settings;
use crate::scan::tree::{TreeOptions, TreeSource};

/// Scans the given paths (the current directory by default).
pub fn run(args: ScanArgs, verbosity: Verbosity) -> anyhow::Result<u8> {
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths
    };
    let settings = Settings::resolve(&args.common, args.no_ignore, &paths[0])?;
    let source = TreeSource::new(
        paths,
        TreeOptions {
            respect_ignore: settings.respect_ignore,
            max_file_size: settings.max_file_size,
            threads: settings.threads,
            exclude: settings.exclude.clone(),
        },
    );
    super::execute(&source, &settings, "scan", verbosity)
}
