//! The configuration file, `.clinescan.toml`: reading it strictly, so that a typo is an error
//! naming the file, the line and the key rather than a setting silently left at its default.

use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::report::{FailOn, Format};

/// The name of the configuration file looked for at the scan root.
pub const FILE_NAME: &str = ".clinescan.toml";

/// What can go wrong reading a configuration file.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read the configuration file `{path}`: {error}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// The file is not valid TOML.
    #[error("`{path}`, line {line}: {message}")]
    Syntax {
        /// The file.
        path: PathBuf,
        /// Line of the error, from 1.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A key is unknown, has the wrong type or an invalid value.
    #[error("`{path}`, line {line}, key `{key}`: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Line of the key or value, from 1.
        line: usize,
        /// The dotted key.
        key: String,
        /// What is wrong.
        message: String,
    },
}

/// The file as written: every key optional, unknown keys refused.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSettings {
    /// Extra rule files or folders, relative to the configuration file.
    pub rules: Option<Spanned<Vec<Spanned<String>>>>,
    /// Rule ids to leave out.
    pub disable: Option<Spanned<Vec<String>>>,
    /// Path globs (gitignore syntax) to leave out of tree scans.
    pub exclude: Option<Spanned<Vec<Spanned<String>>>>,
    /// Size limit in bytes.
    pub max_file_size: Option<Spanned<u64>>,
    /// Worker threads.
    pub threads: Option<Spanned<usize>>,
    /// Output format.
    pub format: Option<Spanned<Format>>,
    /// Which findings fail the run.
    pub fail_on: Option<Spanned<FailOn>>,
    /// Honour inline allow markers.
    pub inline_allow: Option<Spanned<bool>>,
    /// A baseline file, relative to the configuration file.
    pub baseline: Option<Spanned<String>>,
    /// `[verify]`: how verification behaves when `--verify` is given.
    pub verify: Option<VerifyFile>,
    /// `[allow]`: values known to be fake.
    pub allow: Option<AllowFile>,
}

/// The `[verify]` table.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyFile {
    /// Present only to refuse it with a clear message: a file cannot turn verification on.
    pub enabled: Option<Spanned<bool>>,
    /// API base URL.
    pub endpoint: Option<Spanned<String>>,
    /// Requests in flight at most.
    pub concurrency: Option<Spanned<usize>>,
    /// Per-request timeout in seconds.
    pub timeout: Option<Spanned<f64>>,
}

/// The `[allow]` table.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowFile {
    /// Exact secret values that are never reported.
    pub values: Option<Spanned<Vec<String>>>,
    /// Regular expressions; a secret matching one entirely is never reported.
    pub patterns: Option<Spanned<Vec<Spanned<String>>>>,
}

/// A configuration file that was read, with what it says.
#[derive(Debug)]
pub struct ConfigFile {
    /// Where it was read from.
    pub path: PathBuf,
    /// Whether it was named with `--config` (trusted) rather than found at the scan root.
    pub explicit: bool,
    /// Its text, for turning spans into line numbers.
    pub text: String,
    /// What it sets.
    pub settings: FileSettings,
}

impl ConfigFile {
    /// Reads and checks a configuration file.
    pub fn read(path: &Path, explicit: bool) -> Result<ConfigFile, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|error| ConfigError::Read {
            path: path.to_path_buf(),
            error,
        })?;
        let settings = parse(path, &text)?;
        Ok(ConfigFile {
            path: path.to_path_buf(),
            explicit,
            text,
            settings,
        })
    }

    /// The line (from 1) where a span starts.
    pub fn line(&self, span: &Range<usize>) -> usize {
        line_of(&self.text, span.start)
    }

    /// An error about the value at `span` of the key `key`.
    pub fn invalid(&self, span: &Range<usize>, key: &str, message: String) -> ConfigError {
        ConfigError::Invalid {
            path: self.path.clone(),
            line: self.line(span),
            key: key.to_string(),
            message,
        }
    }

    /// A path written in the file, taken relative to the file's folder.
    pub fn relative(&self, written: &str) -> PathBuf {
        let folder = self.path.parent().unwrap_or(Path::new(""));
        folder.join(written)
    }
}

/// Parses the text of a configuration file, locating any error by line and key.
pub fn parse(path: &Path, text: &str) -> Result<FileSettings, ConfigError> {
    let tree = DeTable::parse(text).map_err(|error| ConfigError::Syntax {
        path: path.to_path_buf(),
        line: error.span().map_or(1, |span| line_of(text, span.start)),
        message: error.message().trim().to_string(),
    })?;
    let deserializer =
        toml::de::Deserializer::parse(text).map_err(|error| ConfigError::Syntax {
            path: path.to_path_buf(),
            line: error.span().map_or(1, |span| line_of(text, span.start)),
            message: error.message().trim().to_string(),
        })?;
    FileSettings::deserialize(deserializer).map_err(|error| {
        let span = error.span().unwrap_or(0..0);
        let mut key = Vec::new();
        key_at(tree.get_ref(), span.start, &mut key);
        let mut message = error.message().trim().to_string();
        let in_allow = key.first().is_some_and(|name| name == "allow");
        if in_allow {
            // Allowlisted values may be real secrets after all: never echo one.
            message = without_quoted(&message);
        }
        // A value pasted where a key belongs must not be echoed either (see `shown_name`).
        message = with_names_shown(&message, in_allow);
        for name in &mut key {
            *name = shown_name(name, in_allow);
        }
        if key.is_empty() {
            ConfigError::Syntax {
                path: path.to_path_buf(),
                line: line_of(text, span.start),
                message,
            }
        } else {
            ConfigError::Invalid {
                path: path.to_path_buf(),
                line: line_of(text, span.start),
                key: key.join("."),
                message,
            }
        }
    })
}

/// Pushes onto `key` the dotted path of the innermost key whose name or value holds `offset`,
/// looking inside every table (a `[table]`'s own span need not cover its keys). Returns
/// whether one was found.
fn key_at(table: &DeTable<'_>, offset: usize, key: &mut Vec<String>) -> bool {
    let holds = |span: Range<usize>| span.start <= offset && offset < span.end.max(span.start + 1);
    for (name, value) in table {
        key.push(name.get_ref().to_string());
        let found = match value.get_ref() {
            DeValue::Table(inner) => key_at(inner, offset, key),
            _ => false,
        };
        if found || holds(name.span()) || holds(value.span()) {
            return true;
        }
        key.pop();
    }
    false
}

/// `message` with everything between its first and last double quote replaced by `…`.
fn without_quoted(message: &str) -> String {
    match (message.find('"'), message.rfind('"')) {
        (Some(first), Some(last)) if first < last => {
            format!("{}\"…\"{}", &message[..first], &message[last + 1..])
        }
        _ => message.to_string(),
    }
}

/// Every name a configuration file may use, as a key or a table.
const KNOWN_NAMES: &[&str] = &[
    "rules",
    "disable",
    "exclude",
    "max_file_size",
    "threads",
    "format",
    "fail_on",
    "inline_allow",
    "baseline",
    "verify",
    "enabled",
    "endpoint",
    "concurrency",
    "timeout",
    "allow",
    "values",
    "patterns",
];

/// A key name as an error may show it: known names and short unknown ones (typos) as they
/// are; a long unknown name, or any unknown name inside `[allow]`, may be a secret pasted as
/// a key, and is shown as `…`.
fn shown_name(name: &str, in_allow: bool) -> String {
    if KNOWN_NAMES.contains(&name) || (!in_allow && name.chars().count() <= 24) {
        name.to_string()
    } else {
        "…".to_string()
    }
}

/// `message` with every backquoted name passed through [`shown_name`].
fn with_names_shown(message: &str, in_allow: bool) -> String {
    let mut shown = String::with_capacity(message.len());
    for (index, piece) in message.split('`').enumerate() {
        if index > 0 {
            shown.push('`');
        }
        // Odd pieces are between backquotes (an unclosed last one is treated the same).
        if index % 2 == 1 {
            shown.push_str(&shown_name(piece, in_allow));
        } else {
            shown.push_str(piece);
        }
    }
    shown
}

/// The line (from 1) holding byte `offset` of `text`.
pub fn line_of(text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    text.as_bytes()[..offset]
        .iter()
        .filter(|&&byte| byte == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(text: &str) -> String {
        parse(Path::new("c.toml"), text).unwrap_err().to_string()
    }

    #[test]
    fn unknown_keys_name_the_line_and_key() {
        let message = error("threads = 2\n\n[verify]\ntimeout = 3\nendpont = \"x\"\n");
        assert!(
            message.starts_with("`c.toml`, line 5, key `verify.endpont`"),
            "{message}"
        );
        let message = error("max_file_sise = 3\n");
        assert!(message.contains("line 1, key `max_file_sise`"), "{message}");
    }

    #[test]
    fn wrong_types_name_the_line_and_key() {
        let message = error("# comment\nmax_file_size = \"big\"\n");
        assert!(message.contains("line 2, key `max_file_size`"), "{message}");
        let message = error("format = \"yaml\"\n");
        assert!(
            message.contains("key `format`") && message.contains("yaml"),
            "{message}"
        );
    }

    #[test]
    fn errors_about_allowlisted_values_do_not_echo_them() {
        let message = error("[allow]\nvalues = \"sk_0123456789abcdef\"\n");
        assert!(message.contains("line 2, key `allow.values`"), "{message}");
        assert!(!message.contains("0123456789"), "{message}");
    }

    #[test]
    fn a_secret_pasted_as_a_key_is_not_echoed() {
        let key = "sk_4f00112233445566778899aabbcc9a2c";
        for text in [
            format!("[allow]\n{key} = 1\n"),
            format!("{key} = 1\n"),
            format!("[allow.{key}]\n"),
            format!("[verify]\n{key} = 1\n"),
        ] {
            let message = error(&text);
            assert!(!message.contains("112233"), "{message}");
            assert!(message.contains("line"), "{message}");
        }
        let message = error("[allow]\nvalus = 1\n");
        assert!(message.contains("key `allow.…`"), "{message}");
        assert!(
            message.contains("expected `values` or `patterns`"),
            "{message}"
        );
    }

    #[test]
    fn a_valid_file_reads_every_key() {
        let settings = parse(
            Path::new("c.toml"),
            "rules = [\"r\"]\nthreads = 3\n[verify]\ntimeout = 2\n[allow]\nvalues = [\"v\"]\n",
        )
        .unwrap();
        assert_eq!(*settings.threads.unwrap().get_ref(), 3);
        assert_eq!(*settings.verify.unwrap().timeout.unwrap().get_ref(), 2.0);
        assert_eq!(settings.allow.unwrap().values.unwrap().get_ref(), &["v"]);
    }
}
