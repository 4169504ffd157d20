//! One SARIF result per finding: level, message, location, fingerprints, suppression, and
//! the provenance and verification details in the result's properties.

use std::collections::BTreeMap;

use serde_json::{json, Value};
use serde_sarif::sarif::{
    Location, Message, PhysicalLocation, Region, Result as SarifResult, ResultLevel,
    Suppression as SarifSuppression,
};

use super::{artifact_location, bag, score};
use crate::finding::{Finding, Suppression, Verification};
use crate::report::WriteOptions;

/// The `partialFingerprints` key of clinescan's content fingerprint (rule, secret, path).
pub const FINGERPRINT_KEY: &str = "clinescan/v1";

/// The `security-severity` of a finding whose secret the issuer accepted.
pub const LIVE_SCORE: f64 = 9.5;

/// The highest `security-severity` of a finding whose secret the issuer rejected.
pub const INVALID_SCORE: f64 = 3.0;

/// The result for a finding whose rule is at `rule_index` in the driver's rules.
pub fn result(finding: &Finding, rule_index: usize, options: WriteOptions) -> SarifResult {
    let severity = finding.rule.severity;
    let (level, security_score) = match &finding.verification {
        Some(Verification::Live { .. }) => (ResultLevel::Error, LIVE_SCORE),
        Some(Verification::Invalid) => (
            ResultLevel::Note,
            severity.security_score().min(INVALID_SCORE),
        ),
        _ => (
            result_level(super::level(severity)),
            severity.security_score(),
        ),
    };

    let mut fingerprints = BTreeMap::new();
    fingerprints.insert(
        "primaryLocationLineHash".to_string(),
        finding.line_hash.clone(),
    );
    fingerprints.insert(FINGERPRINT_KEY.to_string(), finding.fingerprint.clone());

    let mut result = SarifResult::builder()
        .rule_id(finding.rule.id.clone())
        .rule_index(rule_index as i64)
        .level(level)
        .message(Message::builder().text(message(finding, options)).build())
        .locations(vec![location(finding)])
        .partial_fingerprints(fingerprints)
        .properties(bag(
            None,
            [
                ("severity", json!(severity.as_str())),
                ("security-severity", json!(score(security_score))),
                ("secret", json!(finding.shown_secret(options.show_secrets))),
                (
                    "secretRedacted",
                    json!(finding.secret.is_some() && !options.show_secrets),
                ),
                ("wholeFile", json!(finding.location.line == 0)),
                ("provenance", to_value(&finding.provenance)),
                ("verification", to_value(&finding.verification)),
                ("revoke", json!(revoke_hint(finding))),
            ],
        ))
        .build();
    if let Some(suppression) = &finding.suppression {
        result.suppressions = Some(vec![suppressed(suppression)]);
    }
    result
}

fn result_level(name: &str) -> ResultLevel {
    match name {
        "error" => ResultLevel::Error,
        "warning" => ResultLevel::Warning,
        _ => ResultLevel::Note,
    }
}

fn to_value<T: serde::Serialize>(value: &Option<T>) -> Value {
    value
        .as_ref()
        .and_then(|value| serde_json::to_value(value).ok())
        .unwrap_or(Value::Null)
}

/// The message shown with the alert: what was found (redacted unless `--show-secrets`), its
/// verification outcome and, from history, the commit that introduced it.
fn message(finding: &Finding, options: WriteOptions) -> String {
    let mut text = match finding.shown_secret(options.show_secrets) {
        Some(secret) => format!("{} found: `{secret}`.", finding.rule.name),
        None => format!("{}: `{}`.", finding.rule.name, finding.location.path),
    };
    if let Some(message) = &finding.message {
        text.push(' ');
        text.push_str(message);
    }
    match &finding.verification {
        Some(Verification::Live { .. }) => {
            text.push_str(" Verified LIVE: ");
            text.push_str(&revoke_hint(finding).unwrap_or_default());
        }
        Some(Verification::Invalid) => text.push_str(" Verified invalid: rejected by the API."),
        Some(Verification::Unknown { reason }) => {
            text.push_str(&format!(" Verification unknown ({reason})."));
        }
        None => {}
    }
    if let Some(provenance) = &finding.provenance {
        let commit = &provenance.commit;
        let short = &commit.id[..commit.id.len().min(12)];
        text.push_str(&format!(
            " Introduced in commit {short} by {} on {}.",
            commit.author, commit.date
        ));
        if provenance.other_commits + provenance.other_paths > 0 {
            text.push_str(&format!(
                " Also in {} other commit(s) and {} other path(s).",
                provenance.other_commits, provenance.other_paths
            ));
        }
    }
    text
}

/// How to revoke a live key, when the finding is one.
fn revoke_hint(finding: &Finding) -> Option<String> {
    let Some(Verification::Live { key_id }) = &finding.verification else {
        return None;
    };
    Some(match key_id {
        Some(id) => format!(
            "revoke it now at app.cline.bot, Settings > API Keys (key id `{id}`), or with \
             `DELETE /api-keys/{id}` on the Cline API."
        ),
        None => "revoke it now at app.cline.bot, Settings > API Keys.".to_string(),
    })
}

/// The one location: the path and, for findings in text, the full region. A finding about a
/// whole file has line 0 in the model; it points at line 1, which code scanning requires.
fn location(finding: &Finding) -> Location {
    let place = &finding.location;
    let region = if place.line == 0 {
        Region::builder().start_line(1).build()
    } else {
        Region::builder()
            .start_line(place.line as i64)
            .start_column(place.column.max(1) as i64)
            .end_line(place.end_line.max(place.line) as i64)
            .end_column(place.end_column.max(1) as i64)
            .build()
    };
    Location::builder()
        .physical_location(
            PhysicalLocation::builder()
                .artifact_location(artifact_location(&place.path))
                .region(region)
                .build(),
        )
        .build()
}

/// A suppression in SARIF terms: an allow marker lives in the source, anything else outside.
fn suppressed(suppression: &Suppression) -> SarifSuppression {
    let (kind, justification) = match suppression {
        Suppression::InlineMarker { marker } => {
            ("inSource", format!("allow marker `{marker}` on the line"))
        }
        Suppression::IgnoreFile => (
            "external",
            "fingerprint listed in `.clinescanignore`".to_string(),
        ),
        Suppression::Baseline => ("external", "fingerprint in the baseline".to_string()),
        Suppression::AllowedValue => (
            "external",
            "value allowlisted in the configuration".to_string(),
        ),
    };
    SarifSuppression::builder()
        .kind(json!(kind))
        .status(json!("accepted"))
        .justification(justification)
        .build()
}
