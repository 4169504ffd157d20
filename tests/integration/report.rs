//! Every output format from the real binary: exit codes, shape, `--output`, and redaction.

use std::path::Path;

use predicates::prelude::*;
use serde_json::Value;
use tempfile::TempDir;

use crate::common::{clinescan, write, Fake};

const FORMATS: [&str; 3] = ["text", "json", "sarif"];

/// A tree with a Cline key in an env file under a folder with a space, and one in a script.
fn leaky_tree(seed: u64) -> (TempDir, Vec<String>) {
    let dir = TempDir::new().unwrap();
    let mut fake = Fake::new(seed);
    let keys = vec![fake.cline_key(), fake.cline_key()];
    write(
        dir.path(),
        "my app/.env",
        format!("CLINE_API_KEY={}\n", keys[0]),
    );
    write(
        dir.path(),
        "call.sh",
        format!("#!/bin/sh\nCLINE_API_KEY=\"{}\" cline task run\n", keys[1]),
    );
    (dir, keys)
}

fn json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).expect("the output is JSON")
}

#[test]
fn findings_exit_one_in_every_format() {
    let (dir, _) = leaky_tree(10);
    for format in FORMATS {
        let output = clinescan()
            .args(["scan", "--format", format])
            .arg(dir.path())
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1), "{format}");
        match format {
            "json" => {
                let document = json(&output.stdout);
                assert_eq!(document["findings"].as_array().unwrap().len(), 2);
                assert_eq!(document["summary"]["findings"], 2);
                assert_eq!(document["complete"], true);
            }
            "sarif" => {
                let log = json(&output.stdout);
                let run = &log["runs"][0];
                let results = run["results"].as_array().unwrap();
                assert_eq!(results.len(), 2);
                let uris: Vec<&str> = results
                    .iter()
                    .map(|result| {
                        result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                            .as_str()
                            .unwrap()
                    })
                    .collect();
                assert_eq!(uris, ["call.sh", "my%20app/.env"]);
                assert_eq!(run["invocations"][0]["executionSuccessful"], true);
            }
            _ => {
                let text = String::from_utf8(output.stdout).unwrap();
                assert!(text.contains("my app/.env\n") && text.contains("call.sh\n"));
            }
        }
    }
}

#[test]
fn a_clean_tree_exits_zero_in_every_format() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "README.md", "nothing to see\n");
    for format in FORMATS {
        let output = clinescan()
            .args(["scan", "--format", format])
            .arg(dir.path())
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{format}");
        match format {
            "json" => {
                let document = json(&output.stdout);
                assert!(document["findings"].as_array().unwrap().is_empty());
                assert_eq!(document["summary"]["scanned"], 1);
            }
            "sarif" => {
                let log = json(&output.stdout);
                assert!(log["runs"][0]["results"].as_array().unwrap().is_empty());
                assert_eq!(log["runs"][0]["tool"]["driver"]["name"], "clinescan");
            }
            _ => assert!(output.stdout.is_empty()),
        }
    }
}

#[test]
fn an_unreadable_input_exits_two_and_is_reported_in_every_format() {
    let dir = TempDir::new().unwrap();
    let missing = dir.path().join("no such file.env");
    for format in FORMATS {
        let output = clinescan()
            .args(["scan", "--format", format])
            .arg(&missing)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{format}");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(stderr.contains("incomplete"), "{stderr}");
        assert!(!stderr.trim_end().ends_with("; no findings"), "{stderr}");
        match format {
            "json" => {
                let document = json(&output.stdout);
                assert_eq!(document["complete"], false);
                assert_eq!(document["summary"]["skipped"][0]["reason"], "unreadable");
            }
            "sarif" => {
                let log = json(&output.stdout);
                let invocation = &log["runs"][0]["invocations"][0];
                assert_eq!(invocation["executionSuccessful"], false);
                let notification = &invocation["toolExecutionNotifications"][0];
                assert_eq!(notification["level"], "error");
                let uri = notification["locations"][0]["physicalLocation"]["artifactLocation"]
                    ["uri"]
                    .as_str()
                    .unwrap();
                assert!(
                    uri.starts_with("file:///") && uri.ends_with("/no%20such%20file.env"),
                    "{uri}"
                );
            }
            _ => assert!(output.stdout.is_empty()),
        }
    }
}

/// Everything a run wrote: stdout, stderr and the `--output` file when there is one.
fn everything_written(args: &[&str], dir: &Path, output_file: Option<&Path>) -> (i32, String) {
    let mut command = clinescan();
    command.args(args).arg(dir);
    if let Some(file) = output_file {
        command.arg("--output").arg(file);
    }
    let output = command.output().unwrap();
    let mut all = String::from_utf8_lossy(&output.stdout).into_owned();
    all.push_str(&String::from_utf8_lossy(&output.stderr));
    if let Some(file) = output_file {
        all.push_str(&std::fs::read_to_string(file).unwrap());
    }
    (output.status.code().unwrap(), all)
}

#[test]
fn secrets_are_redacted_everywhere_at_every_verbosity_unless_shown() {
    let (dir, secrets) = leaky_tree(11);
    let reports = TempDir::new().unwrap();
    for format in FORMATS {
        for output_file in [None, Some(reports.path().join(format!("report.{format}")))] {
            let args = ["scan", "-vv", "--format", format];
            let (code, all) = everything_written(&args, dir.path(), output_file.as_deref());
            assert_eq!(code, 1);
            for secret in &secrets {
                assert!(!all.contains(secret.as_str()), "{format}: a secret leaked");
                // The redacted form is there, so the finding was reported at all.
                assert!(all.contains(&secret[..4]), "{format}: {all}");
            }

            let args = ["scan", "--show-secrets", "--format", format];
            let (code, all) = everything_written(&args, dir.path(), output_file.as_deref());
            assert_eq!(code, 1);
            for secret in &secrets {
                assert!(all.contains(secret.as_str()), "{format}: --show-secrets");
            }
        }
    }
}

#[test]
fn output_goes_to_the_file_and_stdout_stays_empty() {
    let (dir, _) = leaky_tree(12);
    let reports = TempDir::new().unwrap();
    let file = reports.path().join("out.txt");
    clinescan()
        .args(["scan", "--output"])
        .arg(&file)
        .arg(dir.path())
        .env_remove("NO_COLOR")
        .assert()
        .code(1)
        .stdout("")
        .stderr(predicate::str::contains("2 findings"));
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.contains("cline-api-key") && !text.contains('\x1b'),
        "{text}"
    );
}

#[test]
fn an_output_path_in_a_missing_folder_fails_before_scanning() {
    let (dir, _) = leaky_tree(13);
    let file = dir.path().join("no-such-folder").join("report.sarif");
    clinescan()
        .args(["scan", "-vv", "--format", "sarif", "--output"])
        .arg(&file)
        .arg(dir.path())
        .assert()
        .code(2)
        .stdout("")
        .stderr(
            predicate::str::contains("no-such-folder/report.sarif")
                .and(predicate::str::contains("scanning").not())
                .and(predicate::str::contains("scanned").not()),
        );
    assert!(!file.exists());
}
