//! The one finding model that every source produces and every reporter reads.
//!
//! A [`Finding`] is a secret (or a hygiene problem) at a place, with the rule that found it, a
//! content fingerprint that survives edits moving the line, and optional extras filled in by
//! later stages: git provenance, verification status, suppression.

use std::fmt;
use std::sync::Arc;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::rules::RuleInfo;

/// A secret value. Its `Debug` and `Display` forms are redacted, so it cannot reach a log or
/// an error message by accident; the full value is only available through [`Secret::expose`].
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Secret(String);

impl Secret {
    /// Wraps a found value.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The full value. Callers decide whether it may be shown (`--show-secrets`) or sent (the
    /// verification endpoint); nothing else should call this.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// A short prefix and suffix, e.g. `sk_4f…9a2c`, never more than a third of the value.
    pub fn redacted(&self) -> String {
        let chars: Vec<char> = self.0.chars().collect();
        let shown = (chars.len() / 6).min(4);
        if shown == 0 {
            return "…".to_string();
        }
        let head: String = chars[..shown].iter().collect();
        let tail: String = chars[chars.len() - shown..].iter().collect();
        format!("{head}…{tail}")
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({})", self.redacted())
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// Where a finding is: a path relative to the scan root (with `/` separators) and a region.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Location {
    /// Path relative to the scan root, `/`-separated.
    pub path: String,
    /// First line, from 1 (0 when the finding is about a whole file).
    pub line: u32,
    /// First column in characters, from 1 (0 for a whole file).
    pub column: u32,
    /// Last line.
    pub end_line: u32,
    /// Column just after the last character.
    pub end_column: u32,
}

impl Location {
    /// A location that stands for a whole file rather than a region in it.
    pub fn whole_file(path: impl Into<String>) -> Location {
        Location {
            path: path.into(),
            line: 0,
            column: 0,
            end_line: 0,
            end_column: 0,
        }
    }
}

/// A git commit, as shown next to a finding from history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Commit {
    /// Full hexadecimal id.
    pub id: String,
    /// Author name.
    pub author: String,
    /// Author email.
    pub email: String,
    /// Author date, RFC 3339.
    pub date: String,
    /// First line of the message.
    pub subject: String,
}

/// Where in git history a finding comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Provenance {
    /// The commit that first introduced the secret at this path.
    pub commit: Commit,
    /// How many other commits hold the same secret at this path.
    pub other_commits: usize,
    /// How many other paths hold the same secret.
    pub other_paths: usize,
    /// The first few other places (`commit:path`), for the reader.
    pub other_occurrences: Vec<String>,
}

/// The outcome of asking the issuer whether a secret still works.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum Verification {
    /// The secret is accepted.
    Live {
        /// The issuer's id of the key, when it could be matched.
        #[serde(skip_serializing_if = "Option::is_none")]
        key_id: Option<String>,
    },
    /// The secret is rejected: revoked or never valid.
    Invalid,
    /// No answer could be had.
    Unknown {
        /// Why not.
        reason: String,
    },
}

/// Why a finding is not counted against the exit code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "by", rename_all = "kebab-case")]
pub enum Suppression {
    /// An allow marker on the line (`clinescan:allow` and the markers of other scanners).
    InlineMarker {
        /// The marker found.
        marker: String,
    },
    /// The fingerprint is listed in `.clinescanignore`.
    IgnoreFile,
    /// The fingerprint is in the baseline.
    Baseline,
    /// The value is allowlisted in the configuration.
    AllowedValue,
}

/// One secret (or hygiene problem) at one place.
#[derive(Debug, Clone)]
pub struct Finding {
    /// The rule that found it.
    pub rule: Arc<RuleInfo>,
    /// The secret, absent for hygiene findings about a file rather than a value.
    pub secret: Option<Secret>,
    /// Where it is.
    pub location: Location,
    /// Content fingerprint from rule id, secret and path: stable when lines move.
    pub fingerprint: String,
    /// A hash of the line's text, for SARIF's `primaryLocationLineHash`.
    pub line_hash: String,
    /// Git history details, for findings from `history`.
    pub provenance: Option<Provenance>,
    /// Live verification outcome, when `--verify` was given.
    pub verification: Option<Verification>,
    /// Set when the finding is suppressed; it is still reported as such.
    pub suppression: Option<Suppression>,
    /// The allow marker on the finding's line, if any; suppression decides whether it counts.
    pub allow_marker: Option<&'static str>,
    /// What to do about this finding in particular, where the rule's description is not
    /// enough: hygiene findings carry the exact command or line that fixes them.
    pub message: Option<String>,
}

impl Finding {
    /// A finding for a secret found by a rule at a location; `line` is the text of the line
    /// it is on (for the line hash and allow markers).
    pub fn new(rule: Arc<RuleInfo>, secret: Secret, location: Location, line: &[u8]) -> Finding {
        let mut finding = Finding::bare(rule, Some(secret), location, line.trim_ascii());
        finding.allow_marker = crate::suppress::inline_marker(line);
        finding
    }

    /// A finding about a file or repository rather than a secret value (hygiene checks).
    pub fn about_file(rule: Arc<RuleInfo>, location: Location) -> Finding {
        let path = location.path.clone();
        Finding::bare(rule, None, location, path.as_bytes())
    }

    fn bare(
        rule: Arc<RuleInfo>,
        secret: Option<Secret>,
        location: Location,
        hashed: &[u8],
    ) -> Finding {
        let value = secret.as_ref().map(Secret::expose);
        Finding {
            fingerprint: fingerprint(&rule.id, value, &location.path),
            line_hash: hex_digest(&[hashed], 16),
            rule,
            secret,
            location,
            provenance: None,
            verification: None,
            suppression: None,
            allow_marker: None,
            message: None,
        }
    }

    /// Whether the finding counts (is not suppressed).
    pub fn is_active(&self) -> bool {
        self.suppression.is_none()
    }

    /// The secret as output should show it: redacted unless `show_secrets`.
    pub fn shown_secret(&self, show_secrets: bool) -> Option<String> {
        self.secret.as_ref().map(|secret| {
            if show_secrets {
                secret.expose().to_string()
            } else {
                secret.redacted()
            }
        })
    }
}

/// The content fingerprint: rule id, secret and path, hashed, never the line number.
pub fn fingerprint(rule_id: &str, secret: Option<&str>, path: &str) -> String {
    let secret = secret.unwrap_or_default();
    hex_digest(
        &[rule_id.as_bytes(), secret.as_bytes(), path.as_bytes()],
        32,
    )
}

/// SHA-256 over the parts (each length-prefixed), as `length` hex digits.
fn hex_digest(parts: &[&[u8]], length: usize) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    let digest = hasher.finalize();
    let mut hex = String::with_capacity(64);
    for byte in digest {
        hex.push_str(&format!("{byte:02x}"));
    }
    hex.truncate(length);
    hex
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_shows_at_most_a_third() {
        let secret = Secret::new("sk_4f00112233445566778899aabbcc9a2c");
        assert_eq!(secret.redacted(), "sk_4…9a2c");
        assert_eq!(Secret::new("abcdefghijkl").redacted(), "ab…kl");
        assert_eq!(Secret::new("abc").redacted(), "…");
    }

    #[test]
    fn debug_and_display_never_show_the_value() {
        let secret = Secret::new("sk_4f00112233445566778899aabbcc9a2c");
        assert!(!format!("{secret:?} {secret}").contains("112233"));
    }

    #[test]
    fn fingerprint_depends_on_rule_secret_and_path_only() {
        let base = fingerprint("r", Some("s"), "a.txt");
        assert_eq!(base, fingerprint("r", Some("s"), "a.txt"));
        assert_ne!(base, fingerprint("r", Some("t"), "a.txt"));
        assert_ne!(base, fingerprint("r", Some("s"), "b.txt"));
        assert_ne!(base, fingerprint("q", Some("s"), "a.txt"));
        // Length-prefixing keeps the parts apart.
        assert_ne!(
            fingerprint("ab", Some("c"), "x"),
            fingerprint("a", Some("bc"), "x")
        );
    }
}
