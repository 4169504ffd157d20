//! `clinescan baseline`: scan like `scan` and write the fingerprints of the findings, so that
//! a later `--baseline FILE` lets only new findings fail.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context as _;

use crate::cli::{BaselineArgs, Verbosity};
use crate::config::Settings;
use crate::report;
use crate::scan::{collect, Tally};
use crate::suppress;

/// Scans the paths and writes a baseline to `--output` (stdout without it). Findings already
/// suppressed by an allow marker, an allowlisted value or `.clinescanignore` are left out;
/// an earlier baseline is not applied, so fixed secrets drop out of the new one.
pub fn run(args: BaselineArgs, verbosity: Verbosity) -> anyhow::Result<u8> {
    if args.common.baseline.is_some() {
        anyhow::bail!(
            "`--baseline` cannot be used with `clinescan baseline`, which writes a new baseline \
             from every current finding"
        );
    }
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths
    };
    let settings = Settings::resolve_without_baseline(&args.common, args.no_ignore, &paths[0])?;
    // Open the output first: a bad path must fail before the work, not after it.
    let mut output = super::open_output(settings.output.as_deref(), false)?;
    let source = super::scan::tree_source(paths, &settings);
    let matcher = super::load_matcher(&settings)?;
    let tally = Tally::default();
    let (mut findings, mut notices) = collect(&source, &matcher, &tally);
    notices.extend(suppress::apply(&mut findings, &settings, "scan"));

    let active: Vec<&str> = findings
        .iter()
        .filter(|finding| finding.is_active())
        .map(|finding| finding.fingerprint.as_str())
        .collect();
    let text = suppress::render_baseline(active.iter().copied());
    let count = text.lines().count() - 1;
    output
        .write_all(text.as_bytes())
        .and_then(|()| output.flush())
        .context("cannot write the baseline")?;

    let skipped = tally.skipped();
    let complete = report::is_complete(&skipped, &notices);
    super::print_problems(&notices, &skipped, verbosity.quiet);
    if !verbosity.quiet {
        let place = settings
            .output
            .as_ref()
            .map_or("stdout".to_string(), |path| format!("`{}`", path.display()));
        eprintln!(
            "baseline: {count} fingerprints written to {place} ({} files scanned)",
            tally.blobs()
        );
    }
    Ok(if complete { 0 } else { 2 })
}
