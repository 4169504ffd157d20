//! Suppression: inline markers, `.clinescanignore`, baselines from reports and from
//! `clinescan baseline`, and baselines merging in git.

use std::path::Path;
use std::process::Command;

use predicates::prelude::*;
use serde_json::Value;
use tempfile::TempDir;

use crate::common::{clinescan, write, Fake};

/// Scans `dir` with JSON output and extra arguments: exit code, report and stderr.
fn scan_json(dir: &Path, extra: &[&str]) -> (i32, Value, String) {
    let output = clinescan()
        .arg("scan")
        .arg(dir)
        .args(["--format", "json"])
        .args(extra)
        .output()
        .unwrap();
    let report = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
    let stderr = String::from_utf8(output.stderr).unwrap();
    (output.status.code().unwrap(), report, stderr)
}

fn findings(report: &Value) -> &Vec<Value> {
    report["findings"].as_array().expect("a findings array")
}

/// The `by` of each finding's suppression (`active` when not suppressed), in order.
fn suppressions(report: &Value) -> Vec<String> {
    findings(report)
        .iter()
        .map(|finding| match finding["suppression"]["by"].as_str() {
            Some(by) => by.to_string(),
            None => "active".to_string(),
        })
        .collect()
}

fn fingerprints(report: &Value) -> Vec<String> {
    let each = findings(report).iter();
    each.map(|finding| finding["fingerprint"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn an_ignored_fingerprint_stays_suppressed_when_its_line_moves() {
    let dir = TempDir::new().unwrap();
    let key = Fake::new(601).cline_key();
    write(dir.path(), "app.env", format!("CLINE_API_KEY={key}\n"));
    let (code, report, _) = scan_json(dir.path(), &[]);
    assert_eq!(code, 1);
    let fingerprint = fingerprints(&report).remove(0);
    write(
        dir.path(),
        ".clinescanignore",
        format!("# known test fixture\n{fingerprint}  # rotated, see the wiki\n"),
    );
    write(
        dir.path(),
        "app.env",
        format!("# a comment\nDEBUG=1\n\nCLINE_API_KEY={key}\n"),
    );

    let (code, report, stderr) = scan_json(dir.path(), &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(suppressions(&report), ["ignore-file"]);
    assert_eq!(findings(&report)[0]["line"], 4);
    assert_eq!(report["summary"]["suppressed"], 1);
    assert!(!stderr.contains("matches no finding"), "{stderr}");
}

#[test]
fn a_different_secret_on_an_ignored_line_is_reported() {
    let dir = TempDir::new().unwrap();
    let mut fake = Fake::new(602);
    let (old, new) = (fake.cline_key(), fake.cline_key());
    write(dir.path(), "app.env", format!("CLINE_API_KEY={old}\n"));
    let (_, report, _) = scan_json(dir.path(), &[]);
    let ignored = fingerprints(&report).remove(0);
    write(dir.path(), ".clinescanignore", format!("{ignored}\n"));
    write(dir.path(), "app.env", format!("CLINE_API_KEY={new}\n"));

    let (code, report, stderr) = scan_json(dir.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(suppressions(&report), ["active"]);
    // The old entry now matches nothing: reported as stale, as a warning only.
    assert!(
        stderr.contains("warning: `")
            && stderr.contains(&format!("line 1: `{ignored}` matches no finding")),
        "{stderr}"
    );
}

#[test]
fn stale_ignore_entries_are_warnings_in_the_report_not_failures() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "main.rs", "fn main() {}\n");
    let stale = "0123456789abcdef0123456789abcdef";
    write(
        dir.path(),
        ".clinescanignore",
        format!("# gone\n\n{stale} # old key\n"),
    );
    let (code, report, stderr) = scan_json(dir.path(), &[]);
    assert_eq!(code, 0, "{stderr}");
    let notices = report["notices"].as_array().unwrap();
    let notice = notices
        .iter()
        .find(|notice| notice["level"] == "warning")
        .expect("a warning");
    let message = notice["message"].as_str().unwrap();
    assert!(
        message.contains(
            ".clinescanignore`, line 3: `{stale}`"
                .replace("{stale}", stale)
                .as_str()
        ),
        "{message}"
    );

    // A scan of one file in the folder does not see everything, so says nothing.
    let (_, report, _) = scan_json(&dir.path().join("main.rs"), &[]);
    let notices = report["notices"].as_array().unwrap();
    assert!(
        notices.iter().all(|notice| notice["level"] != "warning"),
        "{notices:?}"
    );
}

#[test]
fn a_malformed_ignore_file_is_an_error_naming_the_file_and_line() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), ".clinescanignore", "# reasons\napp.env:3\n");
    clinescan()
        .arg("scan")
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            ".clinescanignore`, line 2: `app.env:3`",
        ));
}

#[test]
fn every_kind_of_inline_marker_suppresses_its_line_unless_told_not_to() {
    let dir = TempDir::new().unwrap();
    let mut fake = Fake::new(603);
    let keys: Vec<String> = (0..4).map(|_| fake.cline_key()).collect();
    write(
        dir.path(),
        "settings.py",
        format!(
            "CLINE_API_KEY = '{}'  # clinescan:allow\n\
             CLINE_API_KEY = '{}'  # gitleaks:allow\n\
             CLINE_API_KEY = '{}'  # pragma: allowlist secret\n\
             CLINE_API_KEY = '{}'\n",
            keys[0], keys[1], keys[2], keys[3]
        ),
    );
    let (code, report, _) = scan_json(dir.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(
        suppressions(&report),
        ["inline-marker", "inline-marker", "inline-marker", "active"]
    );
    let markers: Vec<&str> = findings(&report)[..3]
        .iter()
        .map(|finding| finding["suppression"]["marker"].as_str().unwrap())
        .collect();
    assert_eq!(
        markers,
        [
            "clinescan:allow",
            "gitleaks:allow",
            "pragma: allowlist secret"
        ]
    );
    assert_eq!(report["summary"]["suppressed"], 3);
    assert_eq!(report["summary"]["findings"], 1);

    let (code, report, _) = scan_json(dir.path(), &["--no-inline-allow"]);
    assert_eq!(code, 1);
    assert_eq!(suppressions(&report), ["active"; 4]);
}

#[test]
fn a_json_report_as_baseline_lets_only_new_findings_fail() {
    let dir = TempDir::new().unwrap();
    let report_dir = TempDir::new().unwrap();
    let mut fake = Fake::new(604);
    let (old, new) = (fake.cline_key(), fake.cline_key());
    write(dir.path(), "a.env", format!("CLINE_API_KEY={old}\n"));
    let report_path = report_dir.path().join("report.json");
    let (code, _, _) = scan_json(dir.path(), &["--output", report_path.to_str().unwrap()]);
    assert_eq!(code, 1);

    write(dir.path(), "a.env", format!("\nCLINE_API_KEY={old}\n"));
    let (code, report, _) = scan_json(dir.path(), &["--baseline", report_path.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert_eq!(suppressions(&report), ["baseline"]);

    write(dir.path(), "b.env", format!("CLINE_API_KEY={new}\n"));
    let (code, report, _) = scan_json(dir.path(), &["--baseline", report_path.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(suppressions(&report), ["baseline", "active"]);
}

#[test]
fn a_sarif_log_as_baseline_is_read_from_partial_fingerprints() {
    let dir = TempDir::new().unwrap();
    let report_dir = TempDir::new().unwrap();
    write(
        dir.path(),
        "a.env",
        format!("CLINE_API_KEY={}\n", Fake::new(605).cline_key()),
    );
    let (_, report, _) = scan_json(dir.path(), &[]);
    let fingerprint = fingerprints(&report).remove(0);
    let sarif = serde_json::json!({
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": { "name": "clinescan" } },
            "results": [{
                "ruleId": "cline-api-key",
                "message": { "text": "a Cline API key" },
                "partialFingerprints": { "clinescan/v1": fingerprint },
            }],
        }],
    });
    let sarif_path = report_dir.path().join("old.sarif");
    std::fs::write(&sarif_path, sarif.to_string()).unwrap();
    let (code, report, _) = scan_json(dir.path(), &["--baseline", sarif_path.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert_eq!(suppressions(&report), ["baseline"]);

    // A log whose results carry no clinescan fingerprint would suppress nothing: refused.
    let foreign = serde_json::json!({ "runs": [{ "results": [{ "ruleId": "x" }] }] });
    std::fs::write(&sarif_path, foreign.to_string()).unwrap();
    clinescan()
        .arg("scan")
        .arg(dir.path())
        .arg("--baseline")
        .arg(&sarif_path)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("old.sarif").and(predicate::str::contains("fingerprint")));
}

#[test]
fn a_written_baseline_holds_sorted_fingerprints_only() {
    let dir = TempDir::new().unwrap();
    let out = TempDir::new().unwrap();
    let mut fake = Fake::new(606);
    let keys: Vec<String> = (0..3).map(|_| fake.cline_key()).collect();
    write(
        dir.path(),
        "z.env",
        format!("CLINE_API_KEY={}\nCLINE_API_KEY={}\n", keys[0], keys[1]),
    );
    write(
        dir.path(),
        "a.env",
        format!("CLINE_API_KEY={}\nCLINE_API_KEY={}\n", keys[2], keys[2]),
    );
    write(
        dir.path(),
        "b.py",
        format!("CLINE_API_KEY = '{}'  # clinescan:allow\n", keys[0]),
    );
    let path = out.path().join("baseline.txt");
    clinescan()
        .arg("baseline")
        .arg(dir.path())
        .arg("--output")
        .arg(&path)
        .assert()
        .code(0)
        .stdout("")
        .stderr(predicate::str::contains("3 fingerprints written"));

    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().filter(|line| !line.starts_with('#')).collect();
    let mut sorted = lines.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(lines, sorted, "sorted and deduplicated");
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines
        .iter()
        .all(|line| line.len() == 32 && line.bytes().all(|b| b.is_ascii_hexdigit())));
    assert!(
        keys.iter().all(|key| !text.contains(&key[3..])),
        "no secrets"
    );

    let (code, report, _) = scan_json(dir.path(), &["--baseline", path.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert_eq!(report["summary"]["suppressed"], 5);
}

fn git(repo: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .current_dir(repo)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .args(["-c", "user.name=Test", "-c", "user.email=test@example.com"])
        .args([
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .output()
        .expect("git runs");
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "git {args:?} failed: {text}");
    text
}

fn write_baseline(repo: &Path) {
    clinescan()
        .current_dir(repo)
        .args(["baseline", "--output", "clinescan.baseline"])
        .assert()
        .code(0);
}

#[test]
fn baselines_written_on_diverging_branches_merge_without_conflict() {
    let repo = TempDir::new().unwrap();
    let repo = repo.path();
    let mut fake = Fake::new(607);
    git(repo, &["init", "-q"]);
    write(repo, ".gitignore", ".env\n");
    for index in 0..6 {
        write(
            repo,
            &format!("old/{index}.sh"),
            format!("CLINE_API_KEY={}\n", fake.cline_key()),
        );
    }
    write_baseline(repo);
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-qm", "base"]);

    git(repo, &["checkout", "-qb", "left"]);
    write(
        repo,
        "left.sh",
        format!("CLINE_API_KEY={}\n", fake.cline_key()),
    );
    write_baseline(repo);
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-qm", "left"]);

    git(repo, &["checkout", "-q", "main"]);
    git(repo, &["checkout", "-qb", "right"]);
    write(
        repo,
        "right.sh",
        format!("CLINE_API_KEY={}\n", fake.cline_key()),
    );
    write_baseline(repo);
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-qm", "right"]);

    git(repo, &["merge", "-q", "--no-edit", "left"]);
    let merged = std::fs::read_to_string(repo.join("clinescan.baseline")).unwrap();
    assert!(!merged.contains("<<<<<<<"), "{merged}");
    assert_eq!(
        merged.lines().filter(|line| !line.starts_with('#')).count(),
        8
    );
    clinescan()
        .current_dir(repo)
        .args(["scan", "--baseline", "clinescan.baseline"])
        .assert()
        .code(0)
        .stderr(predicate::str::contains("8 suppressed"));
}
