//! `clinescan history`: every secret ever committed, with the commit that introduced it.

use predicates::prelude::*;
use serde_json::Value;

use crate::common::{clinescan, Fake};
use crate::repo::TestRepo;

/// Runs `history --format json` with extra arguments; returns the exit code, the document
/// and stderr.
fn history_json(repo: &TestRepo, extra: &[&str]) -> (i32, Value, String) {
    let output = clinescan()
        .args(["history", "--format", "json"])
        .args(extra)
        .arg(repo.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let document = serde_json::from_str(&stdout).unwrap_or_else(|_| panic!("json: {stdout}"));
    let stderr = String::from_utf8(output.stderr).unwrap();
    (output.status.code().unwrap(), document, stderr)
}

fn findings<'a>(document: &'a Value, rule: &str) -> Vec<&'a Value> {
    document["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|finding| finding["rule_id"] == rule)
        .collect()
}

fn config_with(key: &str) -> String {
    format!("[service]\nurl = \"https://example.com\"\nCLINE_API_KEY = \"{key}\"\n")
}

#[test]
fn a_key_added_then_removed_is_found_with_the_commit_that_added_it() {
    let mut repo = TestRepo::new();
    let key = Fake::new(301).cline_key();
    repo.stage("README.md", "# demo\n");
    repo.commit("Start");
    repo.stage("config/app.toml", config_with(&key));
    let added = repo.commit("Add the service settings");
    repo.remove("config/app.toml");
    repo.commit("Remove the settings again");

    let (code, document, stderr) = history_json(&repo, &[]);
    assert_eq!(code, 1, "{stderr}");
    let found = findings(&document, "cline-api-key");
    assert_eq!(found.len(), 1, "{document:#}");
    let finding = found[0];
    assert_eq!(finding["path"], "config/app.toml");
    assert_eq!(finding["line"], 3);
    let commit = &finding["provenance"]["commit"];
    assert_eq!(commit["id"], added.to_string());
    assert_eq!(commit["author"], "Ada Example");
    assert_eq!(commit["email"], "ada@example.com");
    assert_eq!(commit["subject"], "Add the service settings");
    assert_eq!(commit["date"], "2023-11-15T01:13:20+01:00");
    assert_eq!(finding["provenance"]["other_commits"], 0);

    let text = document.to_string() + &stderr;
    assert!(!text.contains(&key), "the full secret leaked");
}

#[test]
fn the_text_report_shows_provenance_and_never_the_full_key() {
    let mut repo = TestRepo::new();
    let key = Fake::new(302).cline_key();
    repo.stage("deploy.sh", format!("export CLINE_API_KEY={key}\n"));
    repo.commit("Deploy script");
    clinescan()
        .arg("history")
        .arg(repo.path())
        .assert()
        .code(1)
        .stdout(
            predicate::str::contains("deploy.sh")
                .and(predicate::str::contains("introduced in"))
                .and(predicate::str::contains("Ada Example <ada@example.com>"))
                .and(predicate::str::contains("Deploy script"))
                .and(predicate::str::contains(key.as_str()).not()),
        )
        .stderr(predicate::str::contains(key.as_str()).not());
}

#[test]
fn a_key_only_on_a_side_branch_is_found_unless_history_is_narrowed() {
    let mut repo = TestRepo::new();
    let key = Fake::new(303).cline_key();
    repo.stage("main.txt", "main\n");
    repo.commit("Start");
    repo.branch_and_switch("feature");
    repo.stage("feature.env.sh", format!("CLINE_API_KEY={key}\n"));
    let on_feature = repo.commit("Try the API");
    repo.switch("main");
    repo.stage("main.txt", "main, later\n");
    repo.commit("Carry on");

    let (code, document, _) = history_json(&repo, &[]);
    assert_eq!(code, 1);
    let found = findings(&document, "cline-api-key");
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0]["provenance"]["commit"]["id"],
        on_feature.to_string()
    );

    let (code, document, _) = history_json(&repo, &["--branch", "main"]);
    assert_eq!(code, 0, "{document:#}");
    let (code, _, _) = history_json(&repo, &["--branch", "feature"]);
    assert_eq!(code, 1);
}

#[test]
fn the_same_key_in_many_commits_is_one_finding_per_path_with_counts() {
    let mut repo = TestRepo::new();
    let key = Fake::new(304).cline_key();
    repo.stage("app.toml", config_with(&key));
    let first = repo.commit("Add settings");
    for number in 0..5 {
        repo.stage(
            "app.toml",
            format!("# revision {number}\n{}", config_with(&key)),
        );
        repo.stage("notes.txt", format!("note {number}\n"));
        repo.commit(&format!("Tweak settings {number}"));
    }
    repo.stage("copy/app.toml", config_with(&key));
    repo.commit("Copy the settings");

    let (code, document, _) = history_json(&repo, &[]);
    assert_eq!(code, 1);
    let found = findings(&document, "cline-api-key");
    assert_eq!(found.len(), 2, "one per path: {document:#}");
    let original = found.iter().find(|f| f["path"] == "app.toml").unwrap();
    let provenance = &original["provenance"];
    assert_eq!(provenance["commit"]["id"], first.to_string());
    assert_eq!(original["line"], 3, "the line in the introducing version");
    assert_eq!(provenance["other_commits"], 6);
    assert_eq!(provenance["other_paths"], 1);
    let sample = provenance["other_occurrences"].as_array().unwrap();
    assert!(!sample.is_empty() && sample.len() <= 5, "{sample:?}");
    let copy = found.iter().find(|f| f["path"] == "copy/app.toml").unwrap();
    assert_eq!(copy["provenance"]["other_commits"], 0);
    assert_eq!(copy["provenance"]["other_paths"], 1);
    // Six versions of app.toml (the copy is the first one again) and five of notes.txt.
    assert_eq!(
        document["summary"]["scanned"], 11,
        "each distinct blob read once"
    );
}

#[test]
fn a_commit_reachable_only_from_a_tag_is_scanned() {
    let mut repo = TestRepo::new();
    let key = Fake::new(305).cline_key();
    repo.stage("a.txt", "a\n");
    let start = repo.commit("Start");
    repo.stage("release.cfg", format!("cline_api_key: {key}\n"));
    let tagged = repo.commit("Release build");
    repo.tag("v1.0", tagged);
    repo.reset_hard(start);

    let (code, document, _) = history_json(&repo, &[]);
    assert_eq!(code, 1);
    let found = findings(&document, "cline-api-key");
    assert_eq!(found[0]["provenance"]["commit"]["id"], tagged.to_string());
}

#[test]
fn a_merged_key_is_attributed_to_the_branch_commit_not_the_merge() {
    let mut repo = TestRepo::new();
    let key = Fake::new(306).cline_key();
    repo.stage("a.txt", "a\n");
    repo.commit("Start");
    repo.branch_and_switch("topic");
    repo.stage("topic.cfg", format!("CLINE_API_KEY={key}\n"));
    let on_topic = repo.commit("Topic work");
    repo.switch("main");
    repo.stage("b.txt", "b\n");
    let on_main = repo.commit("Main work");
    repo.stage("topic.cfg", format!("CLINE_API_KEY={key}\n"));
    repo.commit_with_parents("Merge topic", &[on_main, on_topic]);

    let (code, document, _) = history_json(&repo, &[]);
    assert_eq!(code, 1);
    let found = findings(&document, "cline-api-key");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["provenance"]["commit"]["id"], on_topic.to_string());
    assert_eq!(
        found[0]["provenance"]["other_commits"], 1,
        "the merge holds it too"
    );
}

#[test]
fn since_and_ranges_narrow_the_history() {
    let mut repo = TestRepo::new();
    let key = Fake::new(307).cline_key();
    repo.stage("a.cfg", format!("CLINE_API_KEY={key}\n"));
    let old = repo.commit("Old key");
    repo.remove("a.cfg");
    repo.stage("b.txt", "b\n");
    let newer = repo.commit("Clean up");

    let (code, _, _) = history_json(&repo, &["--since", &old.to_string()]);
    assert_eq!(code, 0);
    let range = format!("{old}..{newer}");
    let (code, _, _) = history_json(&repo, &["--range", &range]);
    assert_eq!(code, 0);
    let (code, _, _) = history_json(&repo, &["--range", &format!("{newer}...{old}")]);
    assert_eq!(code, 0, "the merge base is the old commit itself");
    clinescan()
        .args(["history", "--branch", "no-such-branch"])
        .arg(repo.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no-such-branch"));
}

#[test]
fn an_env_file_ever_committed_is_reported_with_the_commit_that_added_it() {
    let mut repo = TestRepo::new();
    repo.stage("README.md", "# demo\n");
    repo.commit("Start");
    repo.stage("service/.env", "DEBUG=1\n");
    repo.stage(".env.example", "DEBUG=\n");
    let added = repo.commit("Add env");
    repo.remove("service/.env");
    repo.commit("Oops, remove env");

    let (code, document, _) = history_json(&repo, &[]);
    assert_eq!(code, 1);
    let found = findings(&document, "dotenv-in-history");
    assert_eq!(found.len(), 1, "templates are exempt: {document:#}");
    assert_eq!(found[0]["path"], "service/.env");
    assert_eq!(found[0]["provenance"]["commit"]["id"], added.to_string());
}

#[test]
fn rules_limited_to_paths_apply_to_each_path_a_blob_had() {
    let mut repo = TestRepo::new();
    let rules = tempfile::TempDir::new().unwrap();
    crate::common::write(
        rules.path(),
        "only-yaml.toml",
        r#"
[[rule]]
id = "demo-token-in-yaml"
name = "Demo token"
description = "A demo token, only in YAML files."
severity = "high"
keywords = ["demotoken"]
paths = ["**/*.yml"]
pattern = '(?x) demotoken= (?P<secret> [a-z0-9]{24} )'
examples = ['demotoken=abcdefghijklmnopqrstuvwx']
negative_examples = ['demotoken=short']
"#,
    );
    let body = "demotoken=q8w7e6r5t4y3u2i1o9p8a7s6\n";
    repo.stage("ci/deploy.yml", body);
    repo.stage("notes/deploy.txt", body);
    repo.commit("Same content under two names");

    let rule_file = rules.path().join("only-yaml.toml");
    let (code, document, stderr) = history_json(&repo, &["--rules", rule_file.to_str().unwrap()]);
    assert_eq!(code, 1, "{stderr}");
    let found = findings(&document, "demo-token-in-yaml");
    assert_eq!(found.len(), 1, "{document:#}");
    assert_eq!(found[0]["path"], "ci/deploy.yml");
}

#[test]
fn a_shallow_clone_fails_closed() {
    let mut origin = TestRepo::new();
    for number in 0..3 {
        origin.stage("a.txt", format!("{number}\n"));
        origin.commit(&format!("Commit {number}"));
    }
    let clones = tempfile::TempDir::new().unwrap();
    let shallow = clones.path().join("shallow");
    let url = format!("file://{}", origin.path().display());
    let no_config = clones.path().join("empty.gitconfig");
    std::fs::write(&no_config, "").unwrap();
    let status = std::process::Command::new("git")
        .args(["clone", "--quiet", "--depth", "1", &url])
        .arg(&shallow)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", &no_config)
        .status()
        .expect("git is installed");
    assert!(status.success());

    clinescan()
        .arg("history")
        .arg(&shallow)
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("shallow clone")
                .and(predicate::str::contains("git fetch --unshallow")),
        );
}

#[test]
fn an_empty_repository_has_nothing_to_scan_and_exits_zero() {
    let repo = TestRepo::new();
    clinescan()
        .arg("history")
        .arg(repo.path())
        .assert()
        .code(0)
        .stderr(predicate::str::contains("no commits"));
}

#[test]
fn a_missing_blob_is_named_and_makes_the_scan_partial() {
    let mut repo = TestRepo::new();
    repo.stage("kept.txt", "still here\n");
    repo.stage("lost.txt", "about to vanish\n");
    repo.commit("Two files");
    let lost = repo.repo.blob("about to vanish\n".as_bytes()).unwrap();
    std::fs::remove_file(repo.loose_object_path(lost)).unwrap();

    let (code, document, stderr) = history_json(&repo, &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains(&lost.to_string()), "{stderr}");
    assert_eq!(
        document["summary"]["scanned"], 1,
        "the rest was still scanned"
    );
}

#[test]
fn blobs_over_the_size_limit_are_skipped_and_counted() {
    let mut repo = TestRepo::new();
    let key = Fake::new(308).cline_key();
    repo.stage(
        "big.cfg",
        format!("{}\nCLINE_API_KEY={key}\n", "x".repeat(4096)),
    );
    repo.stage("small.txt", "small\n");
    repo.commit("Big file");
    let (code, document, _) = history_json(&repo, &["--max-file-size", "1024"]);
    assert_eq!(code, 0);
    let skipped = document["summary"]["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert_eq!(skipped[0]["path"], "big.cfg");
    assert_eq!(skipped[0]["reason"], "too-large");
}

#[test]
fn fingerprints_stay_the_same_when_more_commits_are_added() {
    let mut repo = TestRepo::new();
    let key = Fake::new(309).cline_key();
    repo.stage("app.toml", config_with(&key));
    repo.commit("Add settings");
    let (_, before, _) = history_json(&repo, &[]);

    repo.stage("app.toml", format!("# moved down\n\n{}", config_with(&key)));
    repo.commit("Move it");
    repo.stage("other.txt", "more\n");
    repo.commit("More work");
    let (_, after, _) = history_json(&repo, &[]);

    let fingerprints = |document: &Value| {
        findings(document, "cline-api-key")
            .iter()
            .map(|finding| finding["fingerprint"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(fingerprints(&before).len(), 1);
    assert_eq!(fingerprints(&before), fingerprints(&after));
}

#[test]
fn sarif_carries_the_provenance_and_keeps_fingerprints_across_new_commits() {
    let mut repo = TestRepo::new();
    let key = Fake::new(310).cline_key();
    repo.stage("app.toml", config_with(&key));
    let added = repo.commit("Add settings");
    let sarif = |repo: &TestRepo| -> Value {
        let output = clinescan()
            .args(["history", "--format", "sarif"])
            .arg(repo.path())
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1));
        let text = String::from_utf8(output.stdout).unwrap();
        assert!(!text.contains(&key), "the full secret leaked");
        serde_json::from_str(&text).unwrap()
    };
    let result = |document: &Value| -> Value {
        document["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|result| result["ruleId"] == "cline-api-key")
            .cloned()
            .unwrap()
    };

    let before = result(&sarif(&repo));
    let location = &before["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "app.toml");
    assert_eq!(location["region"]["startLine"], 3);
    let provenance = &before["properties"]["provenance"];
    assert_eq!(provenance["commit"]["id"], added.to_string());
    assert_eq!(provenance["commit"]["author"], "Ada Example");

    repo.stage("app.toml", format!("# first line\n{}", config_with(&key)));
    repo.commit("Shift the key down a line");
    let after = result(&sarif(&repo));
    assert_eq!(after["partialFingerprints"], before["partialFingerprints"]);
    assert_eq!(after["properties"]["provenance"]["other_commits"], 1);
}

#[test]
fn configured_exclusions_leave_paths_out_of_the_history() {
    let mut repo = TestRepo::new();
    let key = Fake::new(311).cline_key();
    let body = config_with(&key);
    repo.stage("fixtures/keys.toml", &body);
    repo.stage("fixtures/.env", "DEBUG=1\n");
    repo.stage("app/settings.toml", &body);
    repo.commit("Fixtures and a real leak of the same key");
    repo.write(".clinescan.toml", "exclude = [\"fixtures/**\"]\n");

    let (code, document, stderr) = history_json(&repo, &[]);
    assert_eq!(code, 1, "{stderr}");
    let paths: Vec<&str> = document["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|finding| finding["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["app/settings.toml"], "{document:#}");
}
