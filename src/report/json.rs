//! JSON output: one document with the findings, a summary and notices.
//!
//! The schema is stable and documented in the README; fields are only ever added.

use std::io::{self, Write};

use serde::Serialize;

use super::{Report, Summary, WriteOptions};
use crate::finding::{Finding, Provenance, Suppression, Verification};
use crate::scan::Notice;

/// Version of the JSON schema; bumped only for changes that are not additions.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct Document<'a> {
    schema_version: u32,
    tool: Tool,
    findings: Vec<JsonFinding<'a>>,
    summary: &'a Summary,
    notices: &'a [Notice],
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    rule_id: &'a str,
    rule_name: &'a str,
    severity: &'a str,
    path: &'a str,
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
    secret_redacted: bool,
    fingerprint: &'a str,
    suppression: Option<&'a Suppression>,
    #[serde(skip_serializing_if = "Option::is_none")]
    provenance: Option<&'a Provenance>,
    #[serde(skip_serializing_if = "Option::is_none")]
    verification: Option<&'a Verification>,
}

impl<'a> JsonFinding<'a> {
    fn new(finding: &'a Finding, options: WriteOptions) -> JsonFinding<'a> {
        JsonFinding {
            rule_id: &finding.rule.id,
            rule_name: &finding.rule.name,
            severity: finding.rule.severity.as_str(),
            path: &finding.location.path,
            line: finding.location.line,
            column: finding.location.column,
            end_line: finding.location.end_line,
            end_column: finding.location.end_column,
            secret: finding.shown_secret(options.show_secrets),
            secret_redacted: !options.show_secrets,
            fingerprint: &finding.fingerprint,
            suppression: finding.suppression.as_ref(),
            provenance: finding.provenance.as_ref(),
            verification: finding.verification.as_ref(),
        }
    }
}

/// Writes the report as one pretty-printed JSON document.
pub fn write(report: &Report, options: WriteOptions, out: &mut dyn Write) -> io::Result<()> {
    let document = Document {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: env!("CARGO_PKG_NAME"),
            version: env!("CARGO_PKG_VERSION"),
        },
        findings: report
            .findings
            .iter()
            .map(|finding| JsonFinding::new(finding, options))
            .collect(),
        summary: &report.summary,
        notices: &report.notices,
    };
    serde_json::to_writer_pretty(&mut *out, &document)?;
    writeln!(out)
}
