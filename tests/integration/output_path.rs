//! `--output`: a path that cannot be written fails before the scan, for every command that
//! takes it, and a report holding full secrets is readable by its owner only.

use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::Command as StdCommand;

use predicates::prelude::*;
use tempfile::TempDir;

use crate::common::{clinescan, write, Fake};

/// A work tree with one commit and one staged change, each holding a secret.
fn repository(dir: &Path) {
    let mut fake = Fake::new(801);
    write(dir, ".gitignore", ".env\n");
    write(
        dir,
        "config.env",
        format!("CLINE_API_KEY={}\n", fake.cline_key()),
    );
    for args in [
        &["init", "-q"][..],
        &["add", "."],
        &["commit", "-q", "-m", "first"],
    ] {
        git(dir, args);
    }
    write(
        dir,
        "more.env",
        format!("CLINE_API_KEY={}\n", fake.cline_key()),
    );
    git(dir, &["add", "more.env"]);
}

fn git(dir: &Path, args: &[&str]) {
    let output = StdCommand::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .output()
        .expect("git runs");
    assert!(output.status.success(), "git {args:?}");
}

#[test]
fn an_output_path_that_cannot_be_written_fails_before_any_command_scans() {
    let dir = TempDir::new().unwrap();
    repository(dir.path());
    let missing = dir.path().join("no-such-folder/report.json");
    let under_a_file = dir.path().join("config.env/report.json");
    let folder = dir.path().join("reports");
    fs::create_dir(&folder).unwrap();

    for command in ["scan", "history", "staged", "baseline"] {
        for (path, why) in [
            (&missing, "no such file or directory"),
            (&under_a_file, "not a directory"),
            (&folder, "it is a folder; name a file"),
        ] {
            let shown = format!("cannot write the report to `{}`", path.display());
            clinescan()
                .arg(command)
                .arg("--output")
                .arg(path)
                .arg(dir.path())
                .assert()
                .code(2)
                .stdout("")
                .stderr(
                    predicate::str::contains(shown)
                        .and(predicate::str::contains(why))
                        // No summary: the scan never started.
                        .and(predicate::str::contains("scanned").not()),
                );
        }
    }
    assert!(!missing.parent().unwrap().exists());
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn a_report_with_full_secrets_is_owner_only_even_over_a_wider_file() {
    let dir = TempDir::new().unwrap();
    repository(dir.path());
    let reports = TempDir::new().unwrap();

    let fresh = reports.path().join("fresh.json");
    clinescan()
        .args(["scan", "--show-secrets", "--format", "json", "--output"])
        .arg(&fresh)
        .arg(dir.path())
        .assert()
        .code(1);
    assert_eq!(mode(&fresh), 0o600);

    let existing = reports.path().join("existing.json");
    fs::write(&existing, "old").unwrap();
    fs::set_permissions(&existing, fs::Permissions::from_mode(0o644)).unwrap();
    clinescan()
        .args(["history", "--show-secrets", "--output"])
        .arg(&existing)
        .arg(dir.path())
        .assert()
        .code(1)
        .stderr(predicate::str::contains(format!(
            "`{}` was readable by others (mode 644)",
            existing.display()
        )));
    assert_eq!(mode(&existing), 0o600);
    let first_key = Fake::new(801).cline_key();
    assert!(fs::read_to_string(&existing).unwrap().contains(&first_key));

    // A redacted report leaves an existing file's permissions as they are.
    let redacted = reports.path().join("redacted.txt");
    fs::write(&redacted, "old").unwrap();
    fs::set_permissions(&redacted, fs::Permissions::from_mode(0o644)).unwrap();
    clinescan()
        .args(["scan", "--output"])
        .arg(&redacted)
        .arg(dir.path())
        .assert()
        .code(1);
    assert_eq!(mode(&redacted), 0o644);
}
