//! JSON output: one document with the findings, a summary and notices.
//!
//! The schema is stable and documented field by field in `docs/output.md`; fields are only
//! ever added, and any other change bumps [`SCHEMA_VERSION`].

use std::io::{self, Write};

use serde::Serialize;

use super::{Report, Summary, WriteOptions};
use crate::finding::{Finding, Provenance, Suppression, Verification};
use crate::rules::RuleInfo;
use crate::scan::Notice;

/// Version of the JSON schema; bumped only for changes that are not additions.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct Document<'a> {
    schema_version: u32,
    tool: Tool,
    complete: bool,
    rules: Vec<JsonRule>,
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
struct JsonRule {
    id: String,
    name: String,
    description: String,
    severity: &'static str,
    security_severity: f64,
}

impl JsonRule {
    fn new(rule: &RuleInfo) -> JsonRule {
        JsonRule {
            id: rule.id.clone(),
            name: rule.name.clone(),
            description: rule.description.clone(),
            severity: rule.severity.as_str(),
            security_severity: rule.severity.security_score(),
        }
    }
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
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'a str>,
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
            message: finding.message.as_deref(),
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
        complete: report.is_complete(),
        rules: report
            .described_rules()
            .iter()
            .map(|rule| JsonRule::new(rule))
            .collect(),
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

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::report::fixture::{self, LIVE_SECRET};

    fn document(show_secrets: bool) -> Value {
        let options = WriteOptions {
            show_secrets,
            color: false,
        };
        let mut bytes = Vec::new();
        write(&fixture::report(), options, &mut bytes).unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[test]
    fn the_document_has_the_documented_top_level_fields() {
        let document = document(false);
        let keys: Vec<&str> = document
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        // serde_json's map is sorted by key.
        assert_eq!(
            keys,
            [
                "complete",
                "findings",
                "notices",
                "rules",
                "schema_version",
                "summary",
                "tool"
            ]
        );
        assert_eq!(document["schema_version"], SCHEMA_VERSION);
        assert_eq!(document["complete"], false);
        let ids: Vec<&str> = document["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|rule| rule["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["cline-api-key", "bearer-token", "dotenv-tracked"]);
        assert_eq!(document["summary"]["skipped"][0]["reason"], "too-large");
        assert_eq!(document["summary"]["elapsed"], 1.234);
    }

    #[test]
    fn findings_carry_provenance_verification_and_suppression() {
        let document = document(false);
        let findings = document["findings"].as_array().unwrap();
        let live = &findings[0];
        assert_eq!(live["verification"]["status"], "live");
        assert_eq!(live["provenance"]["commit"]["author"], "Ada Lovelace");
        assert_eq!(
            live["provenance"]["other_occurrences"][0],
            "a1b2c3d4e5:config/old.env"
        );
        assert!(live["suppression"].is_null());
        assert_eq!(live["secret"], "sk_0…4567");
        assert_eq!(live["secret_redacted"], true);
        assert_eq!(findings[3]["suppression"]["by"], "inline-marker");
        let hygiene = &findings[4];
        assert!(hygiene.get("secret").is_none() && hygiene.get("verification").is_none());
        assert_eq!(hygiene["line"], 0);
    }

    #[test]
    fn the_full_secret_appears_only_when_asked_for() {
        assert!(!document(false).to_string().contains(LIVE_SECRET));
        let shown = document(true);
        assert_eq!(shown["findings"][0]["secret"], LIVE_SECRET);
        assert_eq!(shown["findings"][0]["secret_redacted"], false);
    }
}
