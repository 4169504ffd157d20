//! SARIF 2.1.0 output, shaped for GitHub code scanning.
//!
//! One run: the tool with a rule descriptor for every rule in effect and every rule that
//! produced a finding, one result per finding (see [`result`]), and one invocation whose
//! notifications list what could not be scanned. The log is built with `serde-sarif`'s types,
//! so its shape follows the schema those types were generated from.

mod result;

pub use result::FINGERPRINT_KEY;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write};

use serde_json::{json, Value};
use serde_sarif::sarif::{
    ArtifactLocation, Invocation, Location, Message, MultiformatMessageString, Notification,
    PhysicalLocation, PropertyBag, ReportingConfiguration, ReportingDescriptor, Run, Sarif, Tool,
    ToolComponent,
};

use super::{Report, WriteOptions};
use crate::rules::{RuleInfo, Severity};
use crate::scan::{NoticeLevel, SkipReason};

/// The `$schema` that code scanning and editors recognise.
pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The base id that every relative artifact URI is resolved against: the scan root.
pub const SOURCE_ROOT: &str = "%SRCROOT%";

/// Tags on every rule; `security` makes code scanning file results as security alerts.
const RULE_TAGS: [&str; 3] = ["security", "secret", "external/cwe/cwe-798"];

/// Writes the report as a SARIF 2.1.0 log.
pub fn write(report: &Report, options: WriteOptions, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &log(report, options))?;
    writeln!(out)
}

/// Builds the SARIF log for a report.
pub fn log(report: &Report, options: WriteOptions) -> Sarif {
    let rules = report.described_rules();
    let index: HashMap<&str, usize> = rules
        .iter()
        .enumerate()
        .map(|(position, rule)| (rule.id.as_str(), position))
        .collect();
    let results = report
        .findings
        .iter()
        .map(|finding| result::result(finding, index[finding.rule.id.as_str()], options))
        .collect::<Vec<_>>();

    let mut driver = ToolComponent::builder()
        .name(env!("CARGO_PKG_NAME"))
        .version(env!("CARGO_PKG_VERSION"))
        .semantic_version(env!("CARGO_PKG_VERSION"))
        .rules(
            rules
                .iter()
                .map(|rule| descriptor(rule))
                .collect::<Vec<_>>(),
        )
        .build();
    driver.information_uri = information_uri();
    let summary = serde_json::to_value(&report.summary).unwrap_or(Value::Null);
    let run = Run::builder()
        .tool(Tool::builder().driver(driver).build())
        .invocations(vec![invocation(report)])
        .results(results)
        .column_kind(json!("unicodeCodePoints"))
        .properties(bag(None, [("summary", summary)]))
        .build();
    Sarif::builder()
        .schema(SCHEMA_URI)
        .version(json!("2.1.0"))
        .runs(vec![run])
        .build()
}

/// The package's repository, when the manifest names one; no address is better than an
/// invented one.
fn information_uri() -> Option<String> {
    Some(env!("CARGO_PKG_REPOSITORY"))
        .filter(|uri| !uri.is_empty())
        .map(str::to_string)
}

/// The rule's descriptor: names, descriptions, help, default level and code scanning tags.
fn descriptor(rule: &RuleInfo) -> ReportingDescriptor {
    // The description already says what leaked and how to fix it.
    let help_text = format!("{}\n\nSeverity: {}.", rule.description, rule.severity);
    let help_markdown = format!(
        "**{}** (`{}`, severity {})\n\n{}",
        rule.name, rule.id, rule.severity, rule.description
    );
    ReportingDescriptor::builder()
        .id(rule.id.clone())
        .name(pascal_case(&rule.id))
        .short_description(
            MultiformatMessageString::builder()
                .text(rule.name.clone())
                .build(),
        )
        .full_description(
            MultiformatMessageString::builder()
                .text(rule.description.clone())
                .build(),
        )
        .help(
            MultiformatMessageString::builder()
                .text(help_text)
                .markdown(help_markdown)
                .build(),
        )
        .default_configuration(
            ReportingConfiguration::builder()
                .level(json!(level(rule.severity)))
                .build(),
        )
        .properties(bag(
            Some(RULE_TAGS.iter().map(|tag| tag.to_string()).collect()),
            [
                (
                    "security-severity",
                    json!(score(rule.severity.security_score())),
                ),
                ("severity", json!(rule.severity.as_str())),
            ],
        ))
        .build()
}

/// The SARIF level for a severity: critical and high findings are errors.
fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

/// A `security-severity` value: a decimal number as a string, as code scanning expects.
fn score(value: f64) -> String {
    format!("{value:.1}")
}

/// `cline-api-key` as `ClineApiKey`: the identifier-like name SARIF asks for.
fn pascal_case(id: &str) -> String {
    id.split(|character: char| !character.is_ascii_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(|word| {
            let mut characters = word.chars();
            let first = characters.next().map(|c| c.to_ascii_uppercase());
            first.into_iter().chain(characters).collect::<String>()
        })
        .collect()
}

/// A property bag with optional tags and named values.
fn bag<const N: usize>(tags: Option<Vec<String>>, values: [(&str, Value); N]) -> PropertyBag {
    let additional_properties: BTreeMap<String, Value> = values
        .into_iter()
        .filter(|(_, value)| !value.is_null())
        .map(|(key, value)| (key.to_string(), value))
        .collect();
    PropertyBag {
        tags,
        additional_properties,
    }
}

/// The one invocation: whether everything was scanned, and notifications about what was not.
fn invocation(report: &Report) -> Invocation {
    let mut notifications = Vec::new();
    for notice in &report.notices {
        let level = match notice.level {
            NoticeLevel::Note => "note",
            NoticeLevel::Warning => "warning",
            NoticeLevel::Error => "error",
        };
        notifications.push(notification(level, &notice.message, None));
    }
    for skipped in &report.summary.skipped {
        let level = match skipped.reason {
            SkipReason::Unreadable { .. } => "error",
            SkipReason::TooLarge { .. } => "warning",
            _ => continue,
        };
        let message = format!(
            "`{}` was not scanned: {}",
            skipped.path,
            skipped.reason.describe()
        );
        notifications.push(notification(level, &message, Some(&skipped.path)));
    }
    Invocation::builder()
        .execution_successful(report.is_complete())
        .tool_execution_notifications(notifications)
        .build()
}

fn notification(level: &str, text: &str, path: Option<&str>) -> Notification {
    let mut text = text.to_string();
    if !text.ends_with('.') {
        text.push('.');
    }
    let mut notification = Notification::builder()
        .level(json!(level))
        .message(Message::builder().text(text).build())
        .build();
    if let Some(path) = path {
        let location = Location::builder()
            .physical_location(
                PhysicalLocation::builder()
                    .artifact_location(artifact_location(path))
                    .build(),
            )
            .build();
        notification.locations = Some(vec![location]);
    }
    notification
}

/// An artifact location for a path as the scan shows it: relative paths become URI
/// references under [`SOURCE_ROOT`]; absolute paths become `file` URIs.
pub fn artifact_location(path: &str) -> ArtifactLocation {
    let absolute = path.starts_with('/') || has_drive_letter(path);
    if absolute {
        let slash = if path.starts_with('/') { "" } else { "/" };
        return ArtifactLocation::builder()
            .uri(format!("file://{slash}{}", encode_path(path)))
            .build();
    }
    ArtifactLocation::builder()
        .uri(encode_path(path))
        .uri_base_id(SOURCE_ROOT)
        .build()
}

fn has_drive_letter(path: &str) -> bool {
    let bytes = path.as_bytes();
    bytes.len() >= 3 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' && bytes[2] == b'/'
}

/// Percent-encodes a `/`-separated path for a URI: unreserved characters, `/` and a drive
/// letter's `:` are kept; every other byte of the UTF-8 text is written as `%XX`.
pub fn encode_path(path: &str) -> String {
    let mut encoded = String::with_capacity(path.len());
    for (position, byte) in path.bytes().enumerate() {
        let keep = byte.is_ascii_alphanumeric()
            || matches!(byte, b'-' | b'.' | b'_' | b'~' | b'/')
            || (byte == b':' && position == 1 && has_drive_letter(path));
        if keep {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}
