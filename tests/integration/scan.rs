//! Working-tree scans: exit codes, redaction and skipped inputs.

use predicates::prelude::*;
use tempfile::TempDir;

use crate::common::{clinescan, write, Fake};

#[test]
fn a_cline_key_in_an_env_file_is_found_and_redacted() {
    let dir = TempDir::new().unwrap();
    let key = Fake::new(1).cline_key();
    write(
        dir.path(),
        "app/.env",
        format!("DEBUG=1\nCLINE_API_KEY={key}\n"),
    );

    let output = clinescan()
        .arg("scan")
        .arg(dir.path())
        .arg("-vv")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stdout.contains("app/.env") && stdout.contains("2:15"),
        "{stdout}"
    );
    assert!(stdout.contains("cline-api-key"), "{stdout}");
    assert!(
        !stdout.contains(&key) && !stderr.contains(&key),
        "the full secret leaked"
    );
    assert!(stdout.contains(&key[..4]) && stdout.contains(&key[key.len() - 4..]));
}

#[test]
fn show_secrets_prints_the_full_value() {
    let dir = TempDir::new().unwrap();
    let key = Fake::new(2).cline_key();
    write(
        dir.path(),
        "config.env",
        format!("CLINE_API_KEY=\"{key}\"\r\n"),
    );
    clinescan()
        .args(["scan", "--show-secrets"])
        .arg(dir.path())
        .assert()
        .code(1)
        .stdout(predicate::str::contains(format!("  {key}\n")));
}

#[test]
fn a_clean_tree_exits_zero_and_says_no_findings() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "src/main.rs", "fn main() {}\n");
    clinescan()
        .arg("scan")
        .arg(dir.path())
        .assert()
        .code(0)
        .stdout("")
        .stderr(
            predicate::str::contains("1 files scanned")
                .and(predicate::str::contains("no findings")),
        );
}

#[test]
fn binary_and_oversized_files_are_skipped_and_counted() {
    let dir = TempDir::new().unwrap();
    let key = Fake::new(3).cline_key();
    write(dir.path(), "image.bin", format!("\0\0CLINE_API_KEY={key}"));
    write(
        dir.path(),
        "big.txt",
        format!("{}\nCLINE_API_KEY={key}\n", "a".repeat(4096)),
    );
    clinescan()
        .args(["scan", "--max-file-size", "1024"])
        .arg(dir.path())
        .assert()
        .code(0)
        .stderr(predicate::str::contains(
            "skipped 1 binary, 1 over the size limit",
        ));
}

#[test]
fn a_missing_path_is_an_incomplete_scan_with_exit_two() {
    let dir = TempDir::new().unwrap();
    clinescan()
        .arg("scan")
        .arg(dir.path().join("does-not-exist"))
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("does-not-exist").and(predicate::str::contains("incomplete")),
        );
}

#[test]
fn a_bad_rule_file_is_an_error_naming_the_file() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "bad.toml", "[[rule]]\nid = 'x'\n");
    clinescan()
        .arg("scan")
        .arg("--rules")
        .arg(dir.path().join("bad.toml"))
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("bad.toml"));
}

#[test]
fn a_timeout_that_is_not_a_positive_finite_number_is_refused() {
    let dir = TempDir::new().unwrap();
    for bad in ["inf", "0", "-1", "NaN", "soon"] {
        clinescan()
            .arg("scan")
            .arg(format!("--verify-timeout={bad}"))
            .arg(dir.path())
            .assert()
            .code(2)
            .stderr(predicate::str::contains("--verify-timeout"));
    }
}

#[test]
fn a_missing_rule_file_names_the_file_and_the_reason_once() {
    let dir = TempDir::new().unwrap();
    let output = clinescan()
        .arg("scan")
        .arg("--rules")
        .arg(dir.path().join("absent.toml"))
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("absent.toml"), "{stderr}");
    assert_eq!(stderr.matches("os error 2").count(), 1, "{stderr}");
}

#[test]
fn an_unreadable_input_is_named_once_even_when_quiet() {
    let dir = TempDir::new().unwrap();
    let missing = dir.path().join("gone.txt");
    for quiet in [false, true] {
        let mut command = clinescan();
        command.arg("scan").arg(&missing);
        if quiet {
            command.arg("-q");
        }
        let output = command.output().unwrap();
        assert_eq!(output.status.code(), Some(2));
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(
            stderr.matches("gone.txt").count(),
            1,
            "quiet={quiet}: {stderr}"
        );
        assert!(stderr.starts_with("error: "), "quiet={quiet}: {stderr}");
    }
}

#[test]
fn a_secret_glued_to_invalid_utf8_bytes_is_still_found() {
    let dir = TempDir::new().unwrap();
    let key = Fake::new(9).cline_key();
    let mut bytes = b"\xfdCLINE_API_KEY=".to_vec();
    bytes.extend_from_slice(key.as_bytes());
    bytes.extend_from_slice(b"\xff\n");
    write(dir.path(), "settings.conf", bytes);
    clinescan()
        .args(["scan", "--show-secrets"])
        .arg(dir.path())
        .assert()
        .code(1)
        .stdout(predicate::str::contains(format!("cline-api-key  {key}\n")));
}

#[test]
fn a_reader_that_goes_away_does_not_turn_findings_into_an_error() {
    let dir = TempDir::new().unwrap();
    let mut fake = Fake::new(11);
    // Enough findings that the report overflows a pipe's buffer.
    let lines: String = (0..3000)
        .map(|_| format!("CLINE_API_KEY={}\n", fake.cline_key()))
        .collect();
    write(dir.path(), "many.env", lines);
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("clinescan"))
        .arg("scan")
        .arg(dir.path())
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(!stderr.to_lowercase().contains("broken pipe"), "{stderr}");
}
