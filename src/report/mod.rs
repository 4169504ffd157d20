//! Reporting: the finished scan ([`Report`]) and one writer per output format.
//!
//! Every format reads the same [`Report`]; a new format is a new file here and a new
//! [`Format`] variant, nothing else.

pub mod json;
pub mod sarif;
pub mod text;

#[cfg(test)]
pub(crate) mod fixture;

use std::collections::HashSet;
use std::io::{self, Write};
use std::sync::Arc;
use std::time::Duration;

use clap::ValueEnum;
use serde::Serialize;

use crate::finding::{Finding, Verification};
use crate::rules::RuleInfo;
use crate::scan::{Notice, NoticeLevel, Skipped};

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Human-readable text, grouped by file.
    Text,
    /// JSON: findings plus a summary, in a stable schema.
    Json,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
}

/// Which findings make the exit code 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FailOn {
    /// Any finding that is not suppressed.
    Any,
    /// Only findings verified live.
    Live,
}

/// What was scanned, in numbers.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// What kind of scan this was (`scan`, `history`, `staged`).
    pub mode: String,
    /// Files or blobs read and matched.
    pub scanned: u64,
    /// Bytes read and matched.
    pub bytes: u64,
    /// Binary inputs skipped (counted only).
    pub binary_skipped: u64,
    /// Other inputs not scanned, each with its reason.
    pub skipped: Vec<Skipped>,
    /// Findings that count.
    pub findings: usize,
    /// Findings suppressed (by inline marker, ignore file, baseline or allowlist).
    pub suppressed: usize,
    /// Wall time.
    #[serde(serialize_with = "seconds")]
    pub elapsed: Duration,
}

fn seconds<S: serde::Serializer>(duration: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_f64((duration.as_secs_f64() * 1000.0).round() / 1000.0)
}

/// A finished scan: findings, what was and was not scanned, and notices.
#[derive(Debug, Clone)]
pub struct Report {
    /// Every finding, suppressed ones included, sorted by place.
    pub findings: Vec<Finding>,
    /// Numbers about the scan.
    pub summary: Summary,
    /// Messages about the scan as a whole.
    pub notices: Vec<Notice>,
    /// Every rule in effect, for formats that describe rules (SARIF).
    pub rules: Vec<Arc<RuleInfo>>,
}

/// Options every format honours.
#[derive(Debug, Clone, Copy, Default)]
pub struct WriteOptions {
    /// Show full secret values instead of redacted ones.
    pub show_secrets: bool,
    /// Colour the text output.
    pub color: bool,
}

/// Whether a scan with these skips and notices read every input that exists: no unreadable
/// input, no error notice.
pub fn is_complete(skipped: &[Skipped], notices: &[Notice]) -> bool {
    !skipped.iter().any(|skipped| skipped.reason.is_failure())
        && !notices
            .iter()
            .any(|notice| notice.level == NoticeLevel::Error)
}

impl Report {
    /// Whether every input that exists was read: no unreadable file, no error notice.
    pub fn is_complete(&self) -> bool {
        is_complete(&self.summary.skipped, &self.notices)
    }

    /// Every rule a reader may need described: the rules in effect, then any other rule that
    /// produced a finding (hygiene checks carry their own), each id once, in that order.
    pub fn described_rules(&self) -> Vec<Arc<RuleInfo>> {
        let mut seen = HashSet::new();
        self.rules
            .iter()
            .chain(self.findings.iter().map(|finding| &finding.rule))
            .filter(|rule| seen.insert(rule.id.as_str()))
            .cloned()
            .collect()
    }

    /// The findings that count (not suppressed).
    pub fn active_findings(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|finding| finding.is_active())
    }

    /// The process exit code: 1 for findings that fail the run, else 2 when the scan was
    /// incomplete, else 0.
    pub fn exit_code(&self, fail_on: FailOn) -> u8 {
        let failing = self.active_findings().any(|finding| match fail_on {
            FailOn::Any => true,
            FailOn::Live => matches!(finding.verification, Some(Verification::Live { .. })),
        });
        if failing {
            1
        } else if !self.is_complete() {
            2
        } else {
            0
        }
    }

    /// Writes the report in a format.
    pub fn write(
        &self,
        format: Format,
        options: WriteOptions,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        match format {
            Format::Text => text::write(self, options, out),
            Format::Json => json::write(self, options, out),
            Format::Sarif => sarif::write(self, options, out),
        }
    }
}
