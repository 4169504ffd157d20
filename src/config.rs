//! Settings: the command-line flags merged over defaults, in one place.
//!
//! Every command reads a [`Settings`] and nothing else, so where a value came from never
//! matters past this module.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::cli::CommonArgs;
use crate::report::{FailOn, Format};

/// Default `--max-file-size`: 10 MiB. Larger files are skipped and reported.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 10 * 1024 * 1024;

/// The default Cline API base URL for `--verify`.
pub const DEFAULT_VERIFY_ENDPOINT: &str = "https://api.cline.bot/api/v1";

/// Everything a scan needs to know, after flags and defaults are merged.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Output format.
    pub format: Format,
    /// Report file; stdout when absent.
    pub output: Option<PathBuf>,
    /// Extra rule files and folders.
    pub rule_paths: Vec<PathBuf>,
    /// Rule ids to leave out.
    pub disabled_rules: Vec<String>,
    /// Path globs to leave out of tree scans.
    pub exclude: Vec<String>,
    /// Honour ignore files in tree scans.
    pub respect_ignore: bool,
    /// Inputs larger than this many bytes are skipped and counted.
    pub max_file_size: u64,
    /// Worker threads; 0 means one per core.
    pub threads: usize,
    /// Show full secrets in output.
    pub show_secrets: bool,
    /// Earlier report whose fingerprints are suppressed.
    pub baseline: Option<PathBuf>,
    /// Honour allow markers on lines.
    pub inline_allow: bool,
    /// Secret values known to be fake, never reported.
    pub allowed_values: Vec<String>,
    /// Live verification.
    pub verify: VerifySettings,
    /// Which findings fail the run.
    pub fail_on: FailOn,
}

/// How `--verify` behaves.
#[derive(Debug, Clone)]
pub struct VerifySettings {
    /// Whether to verify at all.
    pub enabled: bool,
    /// API base URL.
    pub endpoint: String,
    /// Requests in flight at most.
    pub concurrency: usize,
    /// Per-request timeout.
    pub timeout: Duration,
}

impl Settings {
    /// Merges flags over defaults for a scan rooted at `root`.
    pub fn resolve(args: &CommonArgs, no_ignore: bool, _root: &Path) -> anyhow::Result<Settings> {
        let endpoint = args
            .verify_endpoint
            .clone()
            .or_else(|| std::env::var("CLINESCAN_VERIFY_ENDPOINT").ok())
            .unwrap_or_else(|| DEFAULT_VERIFY_ENDPOINT.to_string());
        Ok(Settings {
            format: args.format.unwrap_or(Format::Text),
            output: args.output.clone(),
            rule_paths: args.rules.clone(),
            disabled_rules: Vec::new(),
            exclude: Vec::new(),
            respect_ignore: !no_ignore,
            max_file_size: args.max_file_size.unwrap_or(DEFAULT_MAX_FILE_SIZE),
            threads: args.threads.unwrap_or(0),
            show_secrets: args.show_secrets,
            baseline: args.baseline.clone(),
            inline_allow: !args.no_inline_allow,
            allowed_values: Vec::new(),
            verify: VerifySettings {
                enabled: args.verify,
                endpoint,
                concurrency: args.verify_concurrency.unwrap_or(4).max(1),
                timeout: Duration::from_secs_f64(args.verify_timeout.unwrap_or(10.0).max(0.001)),
            },
            fail_on: args.fail_on.unwrap_or(FailOn::Any),
        })
    }
}
