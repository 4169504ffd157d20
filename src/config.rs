//! Settings: the command-line flags merged over the configuration file over defaults, in one
//! place.
//!
//! Every command reads a [`Settings`] and nothing else, so where a value came from never
//! matters past this module, except to `clinescan config`, which shows it ([`Settings::explain`]).

pub mod file;
mod merge;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::cli::CommonArgs;
use crate::finding::Secret;
use crate::report::{FailOn, Format};
use crate::suppress::FingerprintList;
use file::ConfigFile;

/// Default `--max-file-size`: 10 MiB. Larger files are skipped and reported.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 10 * 1024 * 1024;

/// The default Cline API base URL for `--verify`.
pub const DEFAULT_VERIFY_ENDPOINT: &str = "https://api.cline.bot/api/v1";

/// The environment variable that sets the verification endpoint.
pub const ENDPOINT_VARIABLE: &str = "CLINESCAN_VERIFY_ENDPOINT";

/// Everything a scan needs to know, after flags, the configuration file and defaults are merged.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The folder the scan is rooted at, where `.clinescan.toml` and `.clinescanignore` live.
    pub root: PathBuf,
    /// Whether the path scanned is the root folder itself (not a file in it), so that every
    /// finding the ignore file can refer to is in view.
    pub whole_root: bool,
    /// The configuration file read, if any.
    pub config_file: Option<PathBuf>,
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
    /// The fingerprints read from `baseline`.
    pub baseline_list: Option<FingerprintList>,
    /// The fingerprints read from `.clinescanignore` at the root.
    pub ignore_list: Option<FingerprintList>,
    /// Honour allow markers on lines.
    pub inline_allow: bool,
    /// Secret values known to be fake, never reported.
    pub allowed_values: Vec<String>,
    /// Patterns of secret values known to be fake; a secret must match one entirely.
    pub allowed_patterns: Vec<regex::Regex>,
    /// Live verification.
    pub verify: VerifySettings,
    /// Which findings fail the run.
    pub fail_on: FailOn,
    /// Where each setting came from, by name, for `clinescan config`.
    pub origins: BTreeMap<&'static str, SettingOrigin>,
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

/// Where a setting's value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettingOrigin {
    /// Built in.
    Default,
    /// A command-line flag.
    Flag,
    /// An environment variable.
    Environment(&'static str),
    /// A line of the configuration file.
    File {
        /// The file.
        path: PathBuf,
        /// The line, from 1.
        line: usize,
    },
    /// A list combining the configuration file's entries and the flags'.
    FileAndFlag,
}

impl fmt::Display for SettingOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SettingOrigin::Default => f.write_str("default"),
            SettingOrigin::Flag => f.write_str("flag"),
            SettingOrigin::Environment(name) => write!(f, "environment {name}"),
            SettingOrigin::File { path, line } => write!(f, "{}:{line}", path.display()),
            SettingOrigin::FileAndFlag => f.write_str("file and flag"),
        }
    }
}

impl Settings {
    /// Merges flags over the configuration file over defaults for a scan rooted at `root` (a
    /// folder, or a file whose folder is the root). The file is `--config FILE`, or else
    /// `.clinescan.toml` in the root when there is one. Suppression files are read now, so
    /// that a bad one fails before the scan.
    pub fn resolve(args: &CommonArgs, no_ignore: bool, root: &Path) -> anyhow::Result<Settings> {
        Settings::resolve_with(args, no_ignore, root, true)
    }

    /// As [`Settings::resolve`], but without reading the baseline, for writing a new one
    /// (which may not exist yet although the configuration file names it).
    pub fn resolve_without_baseline(
        args: &CommonArgs,
        no_ignore: bool,
        root: &Path,
    ) -> anyhow::Result<Settings> {
        Settings::resolve_with(args, no_ignore, root, false)
    }

    fn resolve_with(
        args: &CommonArgs,
        no_ignore: bool,
        root: &Path,
        read_baseline: bool,
    ) -> anyhow::Result<Settings> {
        let whole_root = root.is_dir();
        let root = scan_root(root);
        let config = match &args.config {
            Some(path) => Some(ConfigFile::read(path, true)?),
            None => {
                let path = root.join(file::FILE_NAME);
                match path.is_file() {
                    true => Some(ConfigFile::read(&path, false)?),
                    false => None,
                }
            }
        };
        let mut settings = merge::merge(args, no_ignore, root, config.as_ref(), read_baseline)?;
        settings.whole_root = whole_root;
        Ok(settings)
    }

    /// Every setting with its value as text and where it came from, in a fixed order.
    pub fn explain(&self) -> Vec<(&'static str, String, SettingOrigin)> {
        let quoted = |items: &mut dyn Iterator<Item = String>| {
            let items: Vec<String> = items.map(|item| format!("{item:?}")).collect();
            format!("[{}]", items.join(", "))
        };
        let path_text = |path: &Path| format!("{:?}", path.display().to_string());
        let entries: Vec<(&'static str, String)> = vec![
            ("format", enum_text(&self.format)),
            ("fail_on", enum_text(&self.fail_on)),
            (
                "rules",
                quoted(&mut self.rule_paths.iter().map(|p| p.display().to_string())),
            ),
            ("disable", quoted(&mut self.disabled_rules.iter().cloned())),
            ("exclude", quoted(&mut self.exclude.iter().cloned())),
            ("respect_ignore", self.respect_ignore.to_string()),
            ("max_file_size", self.max_file_size.to_string()),
            ("threads", self.threads.to_string()),
            ("inline_allow", self.inline_allow.to_string()),
            (
                "baseline",
                self.baseline.as_deref().map_or("none".into(), path_text),
            ),
            ("verify.enabled", self.verify.enabled.to_string()),
            ("verify.endpoint", format!("{:?}", self.verify.endpoint)),
            ("verify.concurrency", self.verify.concurrency.to_string()),
            (
                "verify.timeout",
                self.verify.timeout.as_secs_f64().to_string(),
            ),
            (
                "allow.values",
                // Allowlisted values are meant to be fake, but are shown redacted anyway.
                quoted(
                    &mut self
                        .allowed_values
                        .iter()
                        .map(|v| Secret::new(v.as_str()).redacted()),
                ),
            ),
            (
                "allow.patterns",
                quoted(&mut self.allowed_patterns.iter().map(|p| p.as_str().to_string())),
            ),
        ];
        entries
            .into_iter()
            .map(|(name, value)| {
                let origin = self.origins.get(name).cloned();
                (name, value, origin.unwrap_or(SettingOrigin::Default))
            })
            .collect()
    }
}

/// The folder a scan of `path` is rooted at: the path itself, or a file's folder.
fn scan_root(path: &Path) -> PathBuf {
    if path.is_dir() {
        return path.to_path_buf();
    }
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn enum_text<T: serde::Serialize>(value: &T) -> String {
    let value = serde_json::to_value(value).unwrap_or_default();
    format!("{:?}", value.as_str().unwrap_or_default())
}
