//! Command-line definitions. No logic lives here: flags are merged with the configuration
//! file in `config`, and each subcommand runs from its own module under `commands`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::report::{FailOn, Format};

const EXIT_CODES: &str = "\
Exit codes:
  0  no findings, and everything was scanned
  1  findings (with --fail-on live: live keys)
  2  an error, or no findings but some input could not be scanned";

/// Finds leaked Cline API keys, Cline account tokens and Bearer tokens.
#[derive(Debug, Parser)]
#[command(name = "clinescan", version, about, after_help = EXIT_CODES)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Cli {
    /// What to do; without a subcommand, `scan` runs on the current directory.
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Options for the default `scan` when no subcommand is given.
    #[command(flatten)]
    pub scan: ScanArgs,

    /// Logging options.
    #[command(flatten)]
    pub verbosity: Verbosity,
}

/// Logging options, shared by every subcommand.
#[derive(Debug, Clone, Copy, Args)]
pub struct Verbosity {
    /// Print only findings and errors (no summary, no progress, no warnings).
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// More detail on stderr: -v for skip decisions, -vv for every file.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan files and folders (the working tree).
    Scan(ScanArgs),
    /// Scan every blob ever committed to a git repository.
    History(HistoryArgs),
    /// Scan what is staged in git's index, as it will be committed.
    Staged(StagedArgs),
    /// List the rules in effect, or check their examples.
    Rules(RulesArgs),
    /// Write a baseline of the current findings' fingerprints.
    Baseline(BaselineArgs),
    /// Print the settings in effect and where each came from.
    Config(ConfigArgs),
}

/// Options shared by every scan.
#[derive(Debug, Clone, Default, Args)]
pub struct CommonArgs {
    /// Output format.
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Write the report to FILE instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Extra rule files or folders of rule files (repeatable).
    #[arg(long = "rules", value_name = "PATH")]
    pub rules: Vec<PathBuf>,
    /// Configuration file (default: `.clinescan.toml` at the scan root, if present).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Skip files larger than BYTES (counted and reported as skipped).
    #[arg(long, value_name = "BYTES")]
    pub max_file_size: Option<u64>,
    /// Worker threads (default: one per core).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Show full secret values in the output instead of redacted ones.
    #[arg(long)]
    pub show_secrets: bool,
    /// Suppress findings whose fingerprint is in this earlier report (JSON, SARIF or
    /// a `clinescan baseline` file).
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Report findings even on lines with an allow marker (for audits).
    #[arg(long)]
    pub no_inline_allow: bool,
    /// Ask the Cline API whether each Cline secret found is live.
    #[arg(long)]
    pub verify: bool,
    /// API base URL for --verify [env: CLINESCAN_VERIFY_ENDPOINT]
    #[arg(long, value_name = "URL")]
    pub verify_endpoint: Option<String>,
    /// Requests in flight at most during --verify.
    #[arg(long, value_name = "N")]
    pub verify_concurrency: Option<usize>,
    /// Per-request timeout in seconds during --verify.
    #[arg(long, value_name = "SECONDS", value_parser = positive_seconds)]
    pub verify_timeout: Option<f64>,
    /// Which findings make the exit code 1.
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
}

/// `clinescan scan`.
#[derive(Debug, Clone, Default, Args)]
pub struct ScanArgs {
    /// Files and folders to scan (default: the current directory).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Do not honour .gitignore, .ignore or git's exclude files.
    #[arg(long)]
    pub no_ignore: bool,
    /// Append a `.env` line to the root .gitignore when it does not ignore `.env`.
    #[arg(long)]
    pub fix_gitignore: bool,
    /// Options shared by every scan.
    #[command(flatten)]
    pub common: CommonArgs,
}

/// `clinescan history`.
#[derive(Debug, Clone, Default, Args)]
pub struct HistoryArgs {
    /// The repository (default: the current directory).
    #[arg(value_name = "PATH")]
    pub path: Option<PathBuf>,
    /// Scan only this branch and its ancestry (repeatable; default: every branch, tag,
    /// remote-tracking ref and stash entry).
    #[arg(long, value_name = "NAME")]
    pub branch: Vec<String>,
    /// Scan only the commits of a range, `A..B` or `A...B` (repeatable).
    #[arg(long, value_name = "A..B")]
    pub range: Vec<String>,
    /// Leave out commits reachable from REV (for example the last audited release).
    #[arg(long, value_name = "REV")]
    pub since: Option<String>,
    /// Options shared by every scan.
    #[command(flatten)]
    pub common: CommonArgs,
}

/// `clinescan staged`.
#[derive(Debug, Clone, Default, Args)]
pub struct StagedArgs {
    /// The repository (default: the current directory).
    #[arg(value_name = "PATH")]
    pub path: Option<PathBuf>,
    /// Options shared by every scan.
    #[command(flatten)]
    pub common: CommonArgs,
}

/// `clinescan rules`.
#[derive(Debug, Clone, Args)]
pub struct RulesArgs {
    /// Run every rule's examples and fail on any that misbehave.
    #[arg(long)]
    pub check: bool,
    /// Extra rule files or folders of rule files (repeatable).
    #[arg(long = "rules", value_name = "PATH")]
    pub rules: Vec<PathBuf>,
    /// Configuration file (default: `.clinescan.toml` in the current directory, if present),
    /// whose extra and disabled rules are taken into account.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// `clinescan baseline`.
#[derive(Debug, Clone, Args)]
pub struct BaselineArgs {
    /// Files and folders to scan (default: the current directory).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Do not honour .gitignore, .ignore or git's exclude files.
    #[arg(long)]
    pub no_ignore: bool,
    /// Options shared by every scan (`--output` names the baseline file).
    #[command(flatten)]
    pub common: CommonArgs,
}

/// `clinescan config`.
#[derive(Debug, Clone, Args)]
pub struct ConfigArgs {
    /// The scan root whose `.clinescan.toml` is read (default: the current directory).
    #[arg(value_name = "PATH")]
    pub path: Option<PathBuf>,
    /// Do not honour .gitignore, .ignore or git's exclude files.
    #[arg(long)]
    pub no_ignore: bool,
    /// The flags of a scan, to see how they combine with the file.
    #[command(flatten)]
    pub common: CommonArgs,
}

/// Parses a timeout: a finite number of seconds above zero and at most a day.
fn positive_seconds(text: &str) -> Result<f64, String> {
    let seconds: f64 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a number"))?;
    if seconds.is_finite() && seconds > 0.0 && seconds <= 86_400.0 {
        Ok(seconds)
    } else {
        Err("the timeout must be a number of seconds above 0 and at most 86400".to_string())
    }
}
