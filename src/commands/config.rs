//! `clinescan config`: the settings in effect for a scan root, and where each came from.

use std::io::{self, Write};
use std::path::PathBuf;

use crate::cli::ConfigArgs;
use crate::config::Settings;

/// Prints every setting as a `name = value` line with its origin as a trailing comment, after
/// the files read. The settings and the rules they name are checked as a scan checks them, so
/// a bad file fails here as it would in a scan.
pub fn run(args: &ConfigArgs) -> anyhow::Result<u8> {
    let root = args.path.clone().unwrap_or_else(|| PathBuf::from("."));
    let settings = Settings::resolve(&args.common, args.no_ignore, &root)?;
    super::load_matcher(&settings)?;
    let mut out = io::stdout().lock();

    let config_file = match (&settings.config_file, &args.common.config) {
        (Some(path), Some(_)) => format!("{} (--config)", path.display()),
        (Some(path), None) => format!("{} (found at the scan root)", path.display()),
        (None, _) => "none".to_string(),
    };
    writeln!(out, "# configuration file: {config_file}")?;
    let ignore_file = match &settings.ignore_list {
        Some(list) => format!("{} ({} entries)", list.path.display(), list.entries.len()),
        None => "none".to_string(),
    };
    writeln!(out, "# ignore file: {ignore_file}")?;

    let lines: Vec<(String, String)> = settings
        .explain()
        .into_iter()
        .map(|(name, value, origin)| (format!("{name} = {value}"), origin.to_string()))
        .collect();
    let width = lines
        .iter()
        .map(|(setting, _)| setting.len())
        .max()
        .unwrap_or(0);
    for (setting, origin) in lines {
        writeln!(out, "{setting:<width$}  # {origin}")?;
    }
    Ok(0)
}
