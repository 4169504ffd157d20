//! The SARIF log's structure, checked on the JSON it serialises to.

use serde_json::Value;

use super::*;
use crate::report::fixture::{self, INVALID_SECRET, LIVE_SECRET};

fn document(report: &Report, show_secrets: bool) -> Value {
    let options = WriteOptions {
        show_secrets,
        color: false,
    };
    let mut bytes = Vec::new();
    write(report, options, &mut bytes).unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

fn run(document: &Value) -> &Value {
    &document["runs"][0]
}

fn result_for<'a>(document: &'a Value, path_fragment: &str) -> &'a Value {
    run(document)["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|result| {
            let uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap();
            uri.contains(path_fragment) && result["ruleId"] != "dotenv-tracked"
        })
        .unwrap_or_else(|| panic!("no result at {path_fragment}"))
}

#[test]
fn the_log_names_its_schema_version_and_column_kind() {
    let document = document(&fixture::report(), false);
    assert_eq!(document["$schema"], SCHEMA_URI);
    assert_eq!(document["version"], "2.1.0");
    assert_eq!(run(&document)["columnKind"], "unicodeCodePoints");
    let driver = &run(&document)["tool"]["driver"];
    assert_eq!(driver["name"], "clinescan");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    // The manifest names no repository, and no address is invented for it.
    assert_eq!(driver.get("informationUri"), None);
}

#[test]
fn every_rule_in_effect_and_in_findings_is_described_and_indexed() {
    let document = document(&fixture::report(), false);
    let rules = run(&document)["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    let ids: Vec<&str> = rules
        .iter()
        .map(|rule| rule["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["cline-api-key", "bearer-token", "dotenv-tracked"]);

    for rule in rules {
        for field in ["shortDescription", "fullDescription"] {
            assert!(!rule[field]["text"].as_str().unwrap().is_empty(), "{rule}");
        }
        assert!(!rule["help"]["text"].as_str().unwrap().is_empty());
        assert!(!rule["help"]["markdown"].as_str().unwrap().is_empty());
        let tags = rule["properties"]["tags"].as_array().unwrap();
        assert!(tags.iter().any(|tag| tag == "security"));
        let score: f64 = rule["properties"]["security-severity"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((0.0..=10.0).contains(&score));
        assert!(rule["defaultConfiguration"]["level"].is_string());
    }
    assert_eq!(rules[0]["name"], "ClineApiKey");
    assert_eq!(rules[0]["properties"]["security-severity"], "9.0");

    let results = run(&document)["results"].as_array().unwrap();
    assert_eq!(results.len(), 5);
    for result in results {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"], "{result}");
    }
}

#[test]
fn paths_with_spaces_and_non_ascii_are_percent_encoded_relative_uris() {
    assert_eq!(encode_path("a b/é.env"), "a%20b/%C3%A9.env");
    assert_eq!(encode_path("dir/50%#?.txt"), "dir/50%25%23%3F.txt");
    assert_eq!(encode_path("src/main.rs"), "src/main.rs");

    let document = document(&fixture::report(), false);
    let location = &result_for(&document, "settings")["locations"][0]["physicalLocation"];
    assert_eq!(
        location["artifactLocation"]["uri"],
        "config/app%20settings.env"
    );
    assert_eq!(location["artifactLocation"]["uriBaseId"], SOURCE_ROOT);
    let location = &result_for(&document, "docs/")["locations"][0]["physicalLocation"];
    assert_eq!(
        location["artifactLocation"]["uri"],
        "docs/%C3%BCberblick.md"
    );
}

#[test]
fn absolute_paths_become_file_uris_without_a_base() {
    let unix = serde_json::to_value(artifact_location("/tmp/x y/.env")).unwrap();
    assert_eq!(unix["uri"], "file:///tmp/x%20y/.env");
    assert!(unix.get("uriBaseId").is_none());
    let windows = serde_json::to_value(artifact_location("C:/work/a.env")).unwrap();
    assert_eq!(windows["uri"], "file:///C:/work/a.env");
}

#[test]
fn regions_are_full_and_whole_file_findings_point_at_line_one() {
    let document = document(&fixture::report(), false);
    let region = &result_for(&document, "docs/")["locations"][0]["physicalLocation"]["region"];
    assert_eq!(region["startLine"], 12);
    assert_eq!(region["startColumn"], 17);
    assert_eq!(region["endLine"], 12);
    assert_eq!(region["endColumn"], 17 + INVALID_SECRET.len() as u64);

    let hygiene = run(&document)["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|result| result["ruleId"] == "dotenv-tracked")
        .unwrap();
    let region = &hygiene["locations"][0]["physicalLocation"]["region"];
    assert_eq!(region["startLine"], 1);
    assert_eq!(hygiene["properties"]["wholeFile"], true);
}

#[test]
fn fingerprints_are_stable_when_the_line_moves() {
    let rule = fixture::rule("cline-api-key", "Cline API key", Severity::Critical);
    let text = format!("CLINE_API_KEY={LIVE_SECRET}");
    let before = fixture::finding(&rule, LIVE_SECRET, "a.env", 3, &text);
    let after = fixture::finding(&rule, LIVE_SECRET, "a.env", 40, &format!("  {text}"));
    let options = WriteOptions::default();
    let before = serde_json::to_value(result::result(&before, 0, options)).unwrap();
    let after = serde_json::to_value(result::result(&after, 0, options)).unwrap();

    let fingerprints = |result: &Value| result["partialFingerprints"].clone();
    assert_eq!(fingerprints(&before), fingerprints(&after));
    assert_eq!(
        before["partialFingerprints"][result::FINGERPRINT_KEY]
            .as_str()
            .unwrap()
            .len(),
        32
    );
    assert!(before["partialFingerprints"]["primaryLocationLineHash"].is_string());
    assert_ne!(
        before["locations"][0]["physicalLocation"]["region"]["startLine"],
        after["locations"][0]["physicalLocation"]["region"]["startLine"]
    );
}

#[test]
fn verification_sets_level_score_and_properties() {
    let document = document(&fixture::report(), false);
    let live = result_for(&document, "settings");
    assert_eq!(live["level"], "error");
    assert_eq!(live["properties"]["security-severity"], "9.5");
    assert_eq!(live["properties"]["verification"]["status"], "live");
    assert_eq!(live["properties"]["verification"]["key_id"], "key_42");
    assert!(live["message"]["text"].as_str().unwrap().contains("key_42"));

    let invalid = result_for(&document, "docs/");
    assert_eq!(invalid["properties"]["verification"]["status"], "invalid");
    let score: f64 = invalid["properties"]["security-severity"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(score < 9.0, "{score}");
    assert_ne!(invalid["level"], "error");

    let unknown = result_for(&document, "client.rs");
    assert_eq!(unknown["properties"]["verification"]["status"], "unknown");
    assert_eq!(
        unknown["properties"]["verification"]["reason"],
        "timed out after 10 s"
    );
    assert_eq!(unknown["level"], "error");
}

#[test]
fn provenance_goes_into_properties_and_the_message() {
    let document = document(&fixture::report(), false);
    let live = result_for(&document, "settings");
    let provenance = &live["properties"]["provenance"];
    assert_eq!(
        provenance["commit"]["id"],
        "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c"
    );
    assert_eq!(provenance["commit"]["email"], "ada@example.com");
    assert_eq!(provenance["other_commits"], 4);
    assert_eq!(
        provenance["other_occurrences"][0],
        "a1b2c3d4e5:config/old.env"
    );
    assert!(live["message"]["text"]
        .as_str()
        .unwrap()
        .contains("0f1e2d3c4b5a"));
    assert!(result_for(&document, "docs/")["properties"]
        .get("provenance")
        .is_none());
}

#[test]
fn suppressed_findings_carry_a_suppression() {
    let document = document(&fixture::report(), false);
    let suppressed = result_for(&document, "fixture.http");
    let suppression = &suppressed["suppressions"][0];
    assert_eq!(suppression["kind"], "inSource");
    assert!(suppression["justification"]
        .as_str()
        .unwrap()
        .contains("clinescan:allow"));
    assert!(result_for(&document, "docs/").get("suppressions").is_none());
}

#[test]
fn unreadable_and_oversized_inputs_and_notices_become_notifications() {
    let mut report = fixture::report();
    let log = document(&report, false);
    let invocation = &run(&log)["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    let notifications = invocation["toolExecutionNotifications"].as_array().unwrap();
    let levels: Vec<&str> = notifications
        .iter()
        .map(|notification| notification["level"].as_str().unwrap())
        .collect();
    assert_eq!(levels, ["warning", "note", "warning", "error"]);
    let unreadable = &notifications[3];
    assert_eq!(
        unreadable["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "secret/locked.txt"
    );
    assert!(unreadable["message"]["text"]
        .as_str()
        .unwrap()
        .contains("permission denied"));

    report
        .summary
        .skipped
        .retain(|skipped| !skipped.reason.is_failure());
    let log = document(&report, false);
    assert_eq!(run(&log)["invocations"][0]["executionSuccessful"], true);
}

#[test]
fn secrets_are_redacted_unless_asked_for() {
    let report = fixture::report();
    let redacted = serde_json::to_string(&document(&report, false)).unwrap();
    assert!(!redacted.contains(LIVE_SECRET) && !redacted.contains(INVALID_SECRET));
    assert!(redacted.contains("sk_0…4567"));
    let shown = serde_json::to_string(&document(&report, true)).unwrap();
    assert!(shown.contains(LIVE_SECRET) && shown.contains(INVALID_SECRET));
}
