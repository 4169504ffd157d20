//! The configuration file: precedence shown by `clinescan config`, settings taking effect in
//! a scan, and each kind of error naming the file, line and key.

use std::path::Path;

use predicates::prelude::*;
use tempfile::TempDir;

use crate::common::{clinescan, write, Fake};

/// The line of `clinescan config` output for a setting.
fn setting_line<'a>(output: &'a str, name: &str) -> &'a str {
    output
        .lines()
        .find(|line| line.starts_with(&format!("{name} = ")))
        .unwrap_or_else(|| panic!("no `{name}` in {output}"))
}

fn config_output(dir: &Path, extra: &[&str]) -> String {
    let output = clinescan()
        .arg("config")
        .arg(dir)
        .args(extra)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn flags_win_over_the_file_and_the_file_over_defaults() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        ".clinescan.toml",
        "# team settings\nthreads = 2\nmax_file_size = 4096\n\n[verify]\ntimeout = 3\n",
    );
    let output = config_output(dir.path(), &["--threads", "7", "--verify-timeout", "5"]);
    let file = dir.path().join(".clinescan.toml");
    let file = file.display();

    assert!(
        setting_line(&output, "threads").starts_with("threads = 7 "),
        "{output}"
    );
    assert!(
        setting_line(&output, "threads").ends_with("# flag"),
        "{output}"
    );
    assert!(
        setting_line(&output, "max_file_size").contains("= 4096 "),
        "{output}"
    );
    assert!(
        setting_line(&output, "max_file_size").ends_with(&format!("# {file}:3")),
        "{output}"
    );
    assert!(
        setting_line(&output, "verify.timeout").contains("= 5 "),
        "{output}"
    );
    assert!(
        setting_line(&output, "format").contains("= \"text\""),
        "{output}"
    );
    assert!(
        setting_line(&output, "format").ends_with("# default"),
        "{output}"
    );
    assert!(output.contains("(found at the scan root)"), "{output}");

    // Without the flags the file's values are in effect.
    let output = config_output(dir.path(), &[]);
    let threads = setting_line(&output, "threads");
    assert!(threads.starts_with("threads = 2 ") && threads.ends_with(&format!("# {file}:2")));
    assert!(
        setting_line(&output, "verify.timeout").ends_with(&format!("# {file}:6")),
        "{output}"
    );
}

#[test]
fn an_explicit_config_file_replaces_the_one_at_the_root() {
    let dir = TempDir::new().unwrap();
    let elsewhere = TempDir::new().unwrap();
    write(dir.path(), ".clinescan.toml", "threads = 2\n");
    write(elsewhere.path(), "strict.toml", "fail_on = \"any\"\n");
    let config = elsewhere.path().join("strict.toml");
    let output = config_output(dir.path(), &["--config", config.to_str().unwrap()]);
    assert!(
        setting_line(&output, "threads").ends_with("# default"),
        "{output}"
    );
    assert!(
        setting_line(&output, "fail_on").contains("strict.toml:1"),
        "{output}"
    );
}

#[test]
fn the_file_excludes_paths_and_allows_values_in_a_scan() {
    let dir = TempDir::new().unwrap();
    let mut fake = Fake::new(701);
    let (fake_key, real_key, vendored) = (fake.cline_key(), fake.cline_key(), fake.cline_key());
    write(
        dir.path(),
        ".clinescan.toml",
        format!(
            "exclude = [\"vendor/**\"]\n\n[allow]\nvalues = [\"{fake_key}\"]\n\
             patterns = [\"sk_0{{40}}\"]\n"
        ),
    );
    write(
        dir.path(),
        "vendor/lib.env",
        format!("CLINE_API_KEY={vendored}\n"),
    );
    write(
        dir.path(),
        "test.env",
        format!(
            "CLINE_API_KEY={fake_key}\nCLINE_API_KEY=sk_{}\n",
            "0".repeat(40)
        ),
    );
    let output = clinescan()
        .arg("scan")
        .arg(dir.path())
        .args(["--format", "json"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(output.status.code(), Some(0), "{report}");
    let findings = report["findings"].as_array().unwrap();
    assert!(findings.iter().all(|f| f["path"] == "test.env"), "{report}");
    assert!(
        findings
            .iter()
            .all(|f| f["suppression"]["by"] == "allowed-value"),
        "{report}"
    );

    write(
        dir.path(),
        "real.env",
        format!("CLINE_API_KEY={real_key}\n"),
    );
    clinescan().arg("scan").arg(dir.path()).assert().code(1);
}

/// Runs `clinescan scan` with a configuration file holding `text` and checks that it fails
/// with exit 2 and a message containing each of `expected`.
fn assert_config_error(text: &str, expected: &[&str]) {
    let dir = TempDir::new().unwrap();
    write(dir.path(), ".clinescan.toml", text);
    let mut assert = clinescan().arg("scan").arg(dir.path()).assert().code(2);
    for part in expected {
        assert = assert.stderr(predicate::str::contains(*part));
    }
    assert.stderr(predicate::str::contains(".clinescan.toml`"));
}

#[test]
fn an_unknown_key_names_the_file_line_and_key() {
    assert_config_error(
        "threads = 2\n\n[verify]\ntimeout = 3\nendpiont = \"https://example.com\"\n",
        &["line 5", "key `verify.endpiont`", "unknown field"],
    );
}

#[test]
fn a_wrong_type_names_the_file_line_and_key() {
    assert_config_error(
        "# limits\nmax_file_size = \"ten megabytes\"\n",
        &["line 2", "key `max_file_size`", "invalid type"],
    );
    assert_config_error("format = \"yaml\"\n", &["line 1", "key `format`", "yaml"]);
}

#[test]
fn a_bad_glob_or_pattern_names_the_file_line_and_key() {
    assert_config_error(
        "exclude = [\n  \"vendor/**\",\n  \"src/[abc\",\n]\n",
        &["line 3", "key `exclude`", "`src/[abc`"],
    );
    assert_config_error(
        "[allow]\npatterns = [\"sk_(\"]\n",
        &["line 2", "key `allow.patterns`", "`sk_(`"],
    );
}

#[test]
fn a_file_cannot_turn_verification_on() {
    assert_config_error(
        "[verify]\nenabled = true\n",
        &["line 2", "key `verify.enabled`", "--verify"],
    );
}

#[test]
fn invalid_toml_names_the_file_and_line() {
    assert_config_error("threads = 2\nformat = \n", &["line 2"]);
}

#[test]
fn a_missing_config_file_is_an_error_but_a_missing_default_is_not() {
    let dir = TempDir::new().unwrap();
    clinescan()
        .arg("scan")
        .arg(dir.path())
        .args(["--config", "no-such-clinescan.toml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("`no-such-clinescan.toml`"));
    let output = config_output(dir.path(), &[]);
    assert!(output.contains("# configuration file: none"), "{output}");
}

#[test]
fn rule_files_are_found_relative_to_the_config_file_and_rules_can_be_disabled() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        "settings/clinescan.toml",
        "rules = [\"rules/extra.toml\"]\ndisable = [\"cline-api-key\"]\n",
    );
    write(
        dir.path(),
        "settings/rules/extra.toml",
        r#"
[[rule]]
id = "team-token"
name = "Team token"
description = "A token of our own service. Rotate it in the admin console."
severity = "high"
keywords = ["tt_"]
pattern = '(?P<secret>tt_[a-z0-9]{24})'
examples = ["token = tt_0123456789abcdefghijklmn"]
negative_examples = ["token = tt_short"]
"#,
    );
    let mut fake = Fake::new(702);
    let team_token = format!(
        "tt_{}",
        fake.string("abcdefghijklmnopqrstuvwxyz0123456789", 24)
    );
    write(
        dir.path(),
        "src/app.env",
        format!("CLINE_API_KEY={}\nTEAM={team_token}\n", fake.cline_key()),
    );
    let config = dir.path().join("settings/clinescan.toml");
    let output = clinescan()
        .arg("scan")
        .arg(dir.path().join("src"))
        .arg("--config")
        .arg(&config)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(output.status.code(), Some(1), "{report}");
    let rules: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|finding| finding["rule_id"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["team-token"]);
}

#[test]
fn a_baseline_named_in_the_file_can_be_written_then_applies_to_every_scan() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        ".clinescan.toml",
        "baseline = \"clinescan.baseline\"\n",
    );
    write(
        dir.path(),
        "app.env",
        format!("CLINE_API_KEY={}\n", Fake::new(703).cline_key()),
    );
    // Not written yet: a scan says so, naming the file.
    clinescan()
        .arg("scan")
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("clinescan.baseline`"));
    clinescan()
        .current_dir(dir.path())
        .args(["baseline", "--output", "clinescan.baseline"])
        .assert()
        .code(0);
    clinescan()
        .arg("scan")
        .arg(dir.path())
        .assert()
        .code(0)
        .stderr(predicate::str::contains("1 suppressed"));
}

#[test]
fn only_a_file_named_with_config_may_choose_the_verification_endpoint() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        ".clinescan.toml",
        "[verify]\nendpoint = \"https://collector.example\"\nconcurrency = 2\n",
    );
    let found = config_output(dir.path(), &[]);
    assert!(
        setting_line(&found, "verify.endpoint").contains("api.cline.bot"),
        "{found}"
    );
    assert!(
        setting_line(&found, "verify.concurrency").contains("= 2 "),
        "{found}"
    );

    let config = dir.path().join(".clinescan.toml");
    let trusted = config_output(dir.path(), &["--config", config.to_str().unwrap()]);
    let endpoint = setting_line(&trusted, "verify.endpoint");
    assert!(
        endpoint.contains("collector.example") && endpoint.ends_with(":2"),
        "{trusted}"
    );
}
