//! A report with one of everything, built by hand for the reporters' unit tests: a live key
//! from history, an invalid key, an unknown one, a suppressed finding, a hygiene finding about
//! a whole file, paths with spaces and non-ASCII characters, skipped inputs and notices.

use std::sync::Arc;
use std::time::Duration;

use super::{Report, Summary};
use crate::finding::{Commit, Finding, Location, Provenance, Secret, Suppression, Verification};
use crate::rules::{RuleInfo, Severity};
use crate::scan::envfile::{hygiene_rule, HygieneRule};
use crate::scan::{Notice, NoticeLevel, SkipReason, Skipped};

/// The full value of the live key in [`report`]; no output may contain it unredacted.
pub const LIVE_SECRET: &str = "sk_0123456789abcdef0123456789abcdef01234567";

/// The full value of the invalid key in [`report`].
pub const INVALID_SECRET: &str = "sk_fedcba9876543210fedcba9876543210fedcba98";

/// A rule as the shipped rule files describe it.
pub fn rule(id: &str, name: &str, severity: Severity) -> Arc<RuleInfo> {
    Arc::new(RuleInfo {
        id: id.to_string(),
        name: name.to_string(),
        description: format!("{name} leaked. Revoke it and load it from the environment."),
        severity,
    })
}

/// A finding of `secret` at `path`, line `line`, on a line of text `text`.
pub fn finding(rule: &Arc<RuleInfo>, secret: &str, path: &str, line: u32, text: &str) -> Finding {
    let column = text
        .find(secret)
        .map_or(1, |at| text[..at].chars().count() + 1) as u32;
    let location = Location {
        path: path.to_string(),
        line,
        column,
        end_line: line,
        end_column: column + secret.chars().count() as u32,
    };
    Finding::new(rule.clone(), Secret::new(secret), location, text.as_bytes())
}

/// The report with one of everything.
pub fn report() -> Report {
    let key_rule = rule("cline-api-key", "Cline API key", Severity::Critical);
    let bearer_rule = rule("bearer-token", "Bearer token", Severity::High);

    let mut live = finding(
        &key_rule,
        LIVE_SECRET,
        "config/app settings.env",
        3,
        &format!("CLINE_API_KEY={LIVE_SECRET}"),
    );
    live.verification = Some(Verification::Live {
        key_id: Some("key_42".to_string()),
    });
    live.provenance = Some(Provenance {
        commit: Commit {
            id: "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c".to_string(),
            author: "Ada Lovelace".to_string(),
            email: "ada@example.com".to_string(),
            date: "2026-11-02T10:20:30+00:00".to_string(),
            subject: "Add deployment settings".to_string(),
        },
        other_commits: 4,
        other_paths: 1,
        other_occurrences: vec!["a1b2c3d4e5:config/old.env".to_string()],
    });

    let mut invalid = finding(
        &key_rule,
        INVALID_SECRET,
        "docs/überblick.md",
        12,
        &format!("  clineApiKey: \"{INVALID_SECRET}\""),
    );
    invalid.verification = Some(Verification::Invalid);

    let token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ0ZXN0In0.c2lnbmF0dXJlX3NpZ25hdHVyZQ";
    let mut unknown = finding(
        &bearer_rule,
        token,
        "src/client.rs",
        7,
        &format!("let header = \"Authorization: Bearer {token}\";"),
    );
    unknown.verification = Some(Verification::Unknown {
        reason: "timed out after 10 s".to_string(),
    });

    let mut suppressed = finding(
        &bearer_rule,
        "abcdefghijklmnopqrstuvwxyz012345",
        "tests/fixture.http",
        1,
        "Authorization: Bearer abcdefghijklmnopqrstuvwxyz012345 # clinescan:allow",
    );
    suppressed.suppression = Some(Suppression::InlineMarker {
        marker: "clinescan:allow".to_string(),
    });

    let tracked = Finding::about_file(
        hygiene_rule(HygieneRule::Tracked),
        Location::whole_file("config/app settings.env"),
    );

    Report {
        findings: vec![live, invalid, unknown, suppressed, tracked],
        summary: Summary {
            mode: "history".to_string(),
            scanned: 120,
            bytes: 48_000,
            binary_skipped: 2,
            skipped: vec![
                Skipped {
                    path: "data/huge dump.sql".to_string(),
                    reason: SkipReason::TooLarge {
                        size: 20_000_000,
                        limit: 10_485_760,
                    },
                },
                Skipped {
                    path: "secret/locked.txt".to_string(),
                    reason: SkipReason::Unreadable {
                        error: "permission denied".to_string(),
                    },
                },
                Skipped {
                    path: "link".to_string(),
                    reason: SkipReason::Symlink,
                },
            ],
            findings: 4,
            suppressed: 1,
            elapsed: Duration::from_millis(1234),
        },
        notices: vec![
            Notice {
                level: NoticeLevel::Warning,
                message: "history before the shallow boundary was not scanned".to_string(),
            },
            Notice {
                level: NoticeLevel::Note,
                message: "4 refs scanned".to_string(),
            },
        ],
        rules: vec![key_rule, bearer_rule],
    }
}
