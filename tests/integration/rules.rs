//! The shipped rules against their fixtures: every fake secret found by the right rule at the
//! right line with the exact value, near-misses silent, one finding per secret, and the
//! awkward encodings (CRLF, minified lines, JSON-escaped notebooks).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;
use tempfile::TempDir;

use crate::common::{clinescan, write, Fake};

/// The rule ids shipped with clinescan; each has `fixtures/<id>.txt`.
const RULE_IDS: &[&str] = &[
    "cline-api-key",
    "cline-account-token",
    "cline-refresh-token",
    "bearer-token",
    "openrouter-api-key",
    "anthropic-api-key",
    "openai-api-key",
];

/// A finding reduced to what these tests compare: (path, line, column, rule, secret).
type Seen = (String, u64, u64, String, String);

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// Scans `paths` with secrets shown and returns the findings and the exit code.
fn scan(paths: &[PathBuf]) -> (Vec<Seen>, Option<i32>) {
    let output = clinescan()
        .args(["scan", "--format", "json", "--show-secrets"])
        .args(paths)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).expect("the report is JSON");
    let findings = report["findings"].as_array().expect("a findings array");
    let seen = findings
        .iter()
        .map(|finding| {
            let path = finding["path"].as_str().unwrap();
            let name = Path::new(path).file_name().unwrap().to_string_lossy();
            (
                name.into_owned(),
                finding["line"].as_u64().unwrap(),
                finding["column"].as_u64().unwrap(),
                finding["rule_id"].as_str().unwrap().to_string(),
                finding["secret"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    (seen, output.status.code())
}

/// What a fixture must yield: line N of `<id>.expected` is the secret on line N of `<id>.txt`.
fn expected(rule: &str) -> BTreeSet<(String, u64, String, String)> {
    let text = std::fs::read_to_string(fixtures().join(format!("{rule}.expected"))).unwrap();
    text.lines()
        .enumerate()
        .filter(|(_, secret)| !secret.is_empty())
        .map(|(index, secret)| {
            let file = format!("{rule}.txt");
            (file, index as u64 + 1, rule.to_string(), secret.to_string())
        })
        .collect()
}

#[test]
fn every_fixture_secret_is_found_by_its_rule_at_its_line_with_its_exact_value() {
    let paths: Vec<PathBuf> = RULE_IDS
        .iter()
        .map(|rule| fixtures().join(format!("{rule}.txt")))
        .collect();
    let (seen, code) = scan(&paths);
    assert_eq!(code, Some(1));

    let found: BTreeSet<(String, u64, String, String)> = seen
        .into_iter()
        .map(|(file, line, _, rule, secret)| (file, line, rule, secret))
        .collect();
    let mut wanted = BTreeSet::new();
    for rule in RULE_IDS {
        let lines = expected(rule);
        assert!(lines.len() >= 3, "`{rule}` has too few fixture lines");
        wanted.extend(lines);
    }
    let missing: Vec<_> = wanted.difference(&found).collect();
    let extra: Vec<_> = found.difference(&wanted).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing: {missing:#?}\nextra: {extra:#?}"
    );
}

#[test]
fn near_misses_produce_no_finding() {
    let (seen, code) = scan(&[fixtures().join("near-miss")]);
    assert_eq!(seen, Vec::new());
    assert_eq!(code, Some(0));
}

#[test]
fn one_secret_in_one_place_is_one_finding_under_the_most_specific_rule() {
    let dir = TempDir::new().unwrap();
    let mut fake = Fake::new(21);
    let cline = fake.cline_key();
    let openai = format!(
        "sk-proj-{}T3BlbkFJ{}",
        fake.token(74),
        fake.string("abcdefghijklmnopqrstuvwxyz0123456789", 74)
    );
    let account = format!("workos:{}", fake.jwt());
    let text = format!(
        "curl https://api.cline.bot/api/v1/users/me -H \"Authorization: Bearer {cline}\"\n\
         headers = {{\"Authorization\": \"Bearer {openai}\"}}\n\
         Authorization: Bearer {account}\n"
    );
    write(dir.path(), "calls.sh", text);

    let (seen, _) = scan(&[dir.path().join("calls.sh")]);
    let rules: Vec<(u64, &str, &str)> = seen
        .iter()
        .map(|(_, line, _, rule, secret)| (*line, rule.as_str(), secret.as_str()))
        .collect();
    assert_eq!(
        rules,
        vec![
            (1, "cline-api-key", cline.as_str()),
            (2, "openai-api-key", openai.as_str()),
            (3, "cline-account-token", account.as_str()),
        ]
    );
}

#[test]
fn crlf_files_give_right_lines_and_secrets_without_carriage_returns() {
    let dir = TempDir::new().unwrap();
    let mut fake = Fake::new(22);
    let key = fake.cline_key();
    let token = fake.token(40);
    let lines = [
        "# settings".to_string(),
        format!("CLINE_API_KEY={key}"),
        String::new(),
        format!("Authorization: Bearer {token}"),
        format!("CLINE_API_KEY=\"{key}\""),
    ];
    let text = lines.join("\r\n") + "\r\n";
    write(dir.path(), "settings.txt", text);

    let (seen, _) = scan(&[dir.path().join("settings.txt")]);
    let expected = vec![
        (
            "settings.txt".into(),
            2,
            15,
            "cline-api-key".into(),
            key.clone(),
        ),
        ("settings.txt".into(), 4, 23, "bearer-token".into(), token),
        ("settings.txt".into(), 5, 16, "cline-api-key".into(), key),
    ];
    assert_eq!(seen, expected);
}

#[test]
fn a_secret_deep_in_a_100_kilobyte_minified_line_has_the_right_column() {
    let dir = TempDir::new().unwrap();
    let token = Fake::new(23).token(48);
    let filler = "var a=b+c;é".repeat(10_000);
    let prefix = format!("{filler}fetch(u,{{headers:{{Authorization:\"Bearer ");
    let text = format!("{prefix}{token}\"}}}});{filler}\n");
    assert!(text.len() > 200_000);
    write(dir.path(), "bundle.min.js", &text);

    let (seen, _) = scan(&[dir.path().join("bundle.min.js")]);
    let column = prefix.chars().count() as u64 + 1;
    let expected = vec![(
        "bundle.min.js".into(),
        1,
        column,
        "bearer-token".into(),
        token,
    )];
    assert_eq!(seen, expected);
}

#[test]
fn json_escaped_secrets_in_a_notebook_are_found_without_escapes() {
    let dir = TempDir::new().unwrap();
    let mut fake = Fake::new(24);
    let key = fake.cline_key();
    let token = fake.token(40);
    let refresh = fake.token(26);
    let notebook = serde_json::json!({
        "cells": [{
            "cell_type": "code",
            "source": [
                "import os\n",
                format!("os.environ[\"CLINE_API_KEY\"] = \"{key}\"\n"),
                format!("headers = {{\"Authorization\": \"Bearer {token}\"}}\n"),
                format!(
                    "secrets = {{\"cline:clineAccountId\": {}}}\n",
                    serde_json::to_string(&format!("{{\"refreshToken\":\"{refresh}\"}}")).unwrap()
                ),
            ]
        }],
        "nbformat": 4
    });
    let text = serde_json::to_string_pretty(&notebook).unwrap();
    write(dir.path(), "demo.ipynb", text);

    let (seen, _) = scan(&[dir.path().join("demo.ipynb")]);
    let found: Vec<(&str, &str)> = seen
        .iter()
        .map(|(_, _, _, rule, secret)| (rule.as_str(), secret.as_str()))
        .collect();
    assert_eq!(
        found,
        vec![
            ("cline-api-key", key.as_str()),
            ("bearer-token", token.as_str()),
            ("cline-refresh-token", refresh.as_str()),
        ]
    );
}

#[test]
fn rules_lists_the_shipped_ids_with_descriptions_and_their_examples_behave() {
    let output = clinescan().arg("rules").output().unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let listed: BTreeSet<&str> = stdout
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .collect();
    let shipped: BTreeSet<&str> = RULE_IDS.iter().copied().collect();
    assert!(shipped.is_subset(&listed), "{stdout}");
    assert!(
        listed.contains("dotenv-tracked"),
        "hygiene checks are listed: {stdout}"
    );
    // Each rule is followed by its description, indented: what leaked and how to fix it.
    let description: Vec<&str> = stdout
        .lines()
        .skip_while(|line| !line.starts_with("cline-api-key "))
        .skip(1)
        .take_while(|line| line.starts_with("    "))
        .collect();
    assert!(
        description.join(" ").contains("Revoke it at app.cline.bot"),
        "{stdout}"
    );
    clinescan().args(["rules", "--check"]).assert().code(0);
}

#[test]
fn rules_lists_what_the_configuration_leaves_in_effect() {
    let dir = tempfile::TempDir::new().unwrap();
    let config = "disable = [\"bearer-token\", \"dotenv-tracked\", \"no-such-rule\"]\n";
    std::fs::write(dir.path().join(".clinescan.toml"), config).unwrap();
    let output = clinescan()
        .current_dir(dir.path())
        .arg("rules")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    let listed: Vec<&str> = stdout
        .lines()
        .filter(|line| !line.starts_with(' '))
        .filter_map(|line| line.split_whitespace().next())
        .collect();
    assert!(listed.contains(&"cline-api-key"), "{stdout}");
    assert!(!listed.contains(&"bearer-token") && !listed.contains(&"dotenv-tracked"));
    // Disabling a hygiene check is not an unknown id; a misspelt id is.
    assert!(!stderr.contains("dotenv-tracked"), "{stderr}");
    assert!(stderr.contains("`no-such-rule`"), "{stderr}");
}
