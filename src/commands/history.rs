//! `clinescan history`: every blob ever committed, mapped back to the commits that hold it.

use std::io::{self, IsTerminal};
use std::path::PathBuf;

use crate::cli::{HistoryArgs, Verbosity};
use crate::config::Settings;
use crate::scan::envfile::{hygiene_rule, HygieneRule};
use crate::scan::git;
use crate::scan::history::{HistoryOptions, HistorySource};

/// Scans the history of the repository at the given path (the current directory by default).
pub fn run(args: HistoryArgs, verbosity: Verbosity) -> anyhow::Result<u8> {
    let path = args.path.unwrap_or_else(|| PathBuf::from("."));
    let settings = Settings::resolve(&args.common, false, &git::config_root(&path)?)?;
    let source = HistorySource::new(
        &path,
        HistoryOptions {
            branches: args.branch,
            ranges: args.range,
            since: args.since,
            max_file_size: settings.max_file_size,
            threads: settings.threads,
            progress: !verbosity.quiet && io::stderr().is_terminal(),
            env_files: !settings
                .disabled_rules
                .iter()
                .any(|id| *id == hygiene_rule(HygieneRule::InHistory).id),
            exclude: settings.exclude.clone(),
        },
    )?;
    super::execute(&source, &settings, "history", verbosity)
}
