//! Suppression: inline allow markers, the `.clinescanignore` fingerprint file, baselines and
//! allowlisted values. Suppressed findings stay in the report, marked, and do not count.
//!
//! Everything but inline markers is keyed by the content fingerprint (rule, secret, path), so
//! a suppression follows a secret when its line moves and never covers a different secret
//! later put on the same line.

mod baseline;
mod list;

use std::path::PathBuf;

pub use baseline::{read_baseline, render as render_baseline, HEADER, SARIF_FINGERPRINT_KEY};
pub use list::{is_fingerprint, FingerprintList, IGNORE_FILE_NAME};

use crate::config::Settings;
use crate::finding::{Finding, Suppression};
use crate::scan::{Notice, NoticeLevel};

/// The allow markers honoured on a finding's line: ours, and those of gitleaks and
/// detect-secrets, so that code already marked for them needs no edit.
pub const INLINE_MARKERS: [&str; 3] = [
    "clinescan:allow",
    "gitleaks:allow",
    "pragma: allowlist secret",
];

/// Scan modes that read everything an ignore file can refer to, so that an entry matching
/// nothing is stale rather than merely out of view.
const FULL_SCAN_MODES: [&str; 2] = ["scan", "history"];

/// What can go wrong reading a suppression file.
#[derive(Debug, thiserror::Error)]
pub enum SuppressError {
    /// The file could not be read.
    #[error("cannot read `{path}`: {error}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// A line of a fingerprint list is not a fingerprint.
    #[error("`{path}`, line {line}: {message}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// The line, from 1.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A report given as a baseline cannot be used.
    #[error("cannot use `{path}` as a baseline: {message}")]
    Report {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// The allow marker on a line, if any. Called once per match, never per line of a file.
pub fn inline_marker(line: &[u8]) -> Option<&'static str> {
    INLINE_MARKERS
        .into_iter()
        .find(|marker| memchr::memmem::find(line, marker.as_bytes()).is_some())
}

/// Marks the findings that the settings suppress, and returns notices about the suppressions
/// themselves: `.clinescanignore` entries that matched nothing in a full scan (`mode` names
/// the scan, as in the summary).
pub fn apply(findings: &mut [Finding], settings: &Settings, mode: &str) -> Vec<Notice> {
    for finding in findings.iter_mut() {
        finding.suppression = suppression(finding, settings);
    }
    let Some(ignore) = &settings.ignore_list else {
        return Vec::new();
    };
    if !FULL_SCAN_MODES.contains(&mode) || !settings.whole_root {
        return Vec::new();
    }
    let seen: std::collections::HashSet<&str> = findings
        .iter()
        .map(|finding| finding.fingerprint.as_str())
        .collect();
    let mut stale: Vec<(&String, &usize)> = ignore
        .entries
        .iter()
        .filter(|(fingerprint, _)| !seen.contains(fingerprint.as_str()))
        .collect();
    stale.sort_by_key(|(_, line)| **line);
    stale
        .into_iter()
        .map(|(fingerprint, line)| Notice {
            level: NoticeLevel::Warning,
            message: format!(
                "`{}`, line {line}: `{fingerprint}` matches no finding; remove the line if the \
                 secret is gone",
                ignore.path.display()
            ),
        })
        .collect()
}

/// Why a finding is suppressed, first reason first: inline marker, allowlisted value, ignore
/// file, baseline.
fn suppression(finding: &Finding, settings: &Settings) -> Option<Suppression> {
    if settings.inline_allow {
        if let Some(marker) = finding.allow_marker {
            return Some(Suppression::InlineMarker {
                marker: marker.to_string(),
            });
        }
    }
    if let Some(secret) = &finding.secret {
        let value = secret.expose();
        let allowed = settings
            .allowed_values
            .iter()
            .any(|allowed| allowed == value)
            || settings
                .allowed_patterns
                .iter()
                .any(|pattern| pattern.is_match(value));
        if allowed {
            return Some(Suppression::AllowedValue);
        }
    }
    let listed = |list: &Option<FingerprintList>| {
        list.as_ref()
            .is_some_and(|list| list.contains(&finding.fingerprint))
    };
    if listed(&settings.ignore_list) {
        return Some(Suppression::IgnoreFile);
    }
    if listed(&settings.baseline_list) {
        return Some(Suppression::Baseline);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_marker_is_found_on_its_line() {
        assert_eq!(
            inline_marker(b"key = 'x' # clinescan:allow"),
            Some("clinescan:allow")
        );
        assert_eq!(
            inline_marker(b"key = 'x' // gitleaks:allow"),
            Some("gitleaks:allow")
        );
        assert_eq!(
            inline_marker(b"key = 'x'  # pragma: allowlist secret"),
            Some("pragma: allowlist secret")
        );
        assert_eq!(inline_marker(b"key = 'x' # clinescan: allow"), None);
    }

    fn finding(secret: &str, line: &str) -> Finding {
        let rule = crate::scan::envfile::hygiene_rule(crate::scan::envfile::HygieneRule::Tracked);
        let location = crate::finding::Location::whole_file("app.env");
        Finding::new(
            rule,
            crate::finding::Secret::new(secret),
            location,
            line.as_bytes(),
        )
    }

    #[test]
    fn reasons_apply_in_order_and_stale_entries_only_after_full_scans() {
        let root = tempfile::TempDir::new().unwrap();
        let marked = finding("value-one", "KEY=value-one # gitleaks:allow");
        let listed = finding("value-two", "KEY=value-two");
        let text = format!("{}\n{}\n", marked.fingerprint, "ab".repeat(16));
        std::fs::write(root.path().join(IGNORE_FILE_NAME), text).unwrap();
        let args = crate::cli::CommonArgs::default();
        let mut settings = Settings::resolve(&args, false, root.path()).unwrap();
        settings.allowed_values = vec!["value-one".into()];

        let mut findings = vec![marked.clone(), listed.clone()];
        let notices = apply(&mut findings, &settings, "scan");
        let marker = "gitleaks:allow".to_string();
        assert_eq!(
            findings[0].suppression,
            Some(Suppression::InlineMarker { marker })
        );
        assert_eq!(findings[1].suppression, None);
        assert_eq!(notices.len(), 1, "{notices:?}");
        assert!(notices[0].message.contains("line 2"), "{notices:?}");
        assert!(apply(&mut findings, &settings, "staged").is_empty());

        settings.inline_allow = false;
        apply(&mut findings, &settings, "scan");
        assert_eq!(findings[0].suppression, Some(Suppression::AllowedValue));
        settings.allowed_values.clear();
        apply(&mut findings, &settings, "scan");
        assert_eq!(findings[0].suppression, Some(Suppression::IgnoreFile));
    }
}
