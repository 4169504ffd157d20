//! `clinescan staged`: exactly what the next commit would contain.

use predicates::prelude::*;

use crate::common::{clinescan, Fake};
use crate::repo::TestRepo;

fn staged(repo: &TestRepo) -> assert_cmd::assert::Assert {
    clinescan().arg("staged").arg(repo.path()).assert()
}

#[test]
fn staged_files_before_the_first_commit_are_scanned() {
    let repo = TestRepo::new();
    let key = Fake::new(401).cline_key();
    repo.stage(
        "app/settings.cfg",
        format!("name = demo\nCLINE_API_KEY={key}\n"),
    );
    repo.stage("README.md", "# demo\n");
    staged(&repo)
        .code(1)
        .stdout(
            predicate::str::contains("app/settings.cfg")
                .and(predicate::str::contains("2:15"))
                .and(predicate::str::contains(key.as_str()).not()),
        )
        .stderr(
            predicate::str::contains("2 files scanned")
                .and(predicate::str::contains(key.as_str()).not()),
        );
}

#[test]
fn the_staged_version_counts_not_the_working_tree() {
    let mut repo = TestRepo::new();
    repo.stage("README.md", "# demo\n");
    repo.commit("Start");
    let key = Fake::new(402).cline_key();

    // A key staged, then removed from the working tree only: the commit would carry it.
    repo.stage(
        "deploy.sh",
        format!("#!/bin/sh\n\nexport CLINE_API_KEY={key}\n"),
    );
    repo.write("deploy.sh", "#!/bin/sh\n# nothing here\n");
    staged(&repo)
        .code(1)
        .stdout(predicate::str::contains("deploy.sh").and(predicate::str::contains("3:")));

    // A clean version staged, then a key written to the working tree only: not committed.
    repo.stage("deploy.sh", "#!/bin/sh\n");
    repo.write("deploy.sh", format!("export CLINE_API_KEY={key}\n"));
    staged(&repo).code(0);
}

#[test]
fn nothing_staged_exits_zero_with_a_note() {
    let mut repo = TestRepo::new();
    let key = Fake::new(403).cline_key();
    repo.stage("README.md", "# demo\n");
    repo.commit("Start");
    repo.write("untracked.cfg", format!("CLINE_API_KEY={key}\n"));
    staged(&repo)
        .code(0)
        .stdout("")
        .stderr(predicate::str::contains("nothing is staged"));
}

#[test]
fn only_changes_from_head_are_scanned_and_deletions_are_not() {
    let mut repo = TestRepo::new();
    let key = Fake::new(404).cline_key();
    repo.stage("old.cfg", format!("CLINE_API_KEY={key}\n"));
    repo.stage("other.txt", "one\n");
    repo.commit("Already committed");

    // The committed key is not the hook's business: `history` reports it.
    repo.stage("other.txt", "two\n");
    staged(&repo)
        .code(0)
        .stderr(predicate::str::contains("1 files scanned"));

    repo.remove("old.cfg");
    repo.stage("other.txt", "three\n");
    staged(&repo)
        .code(0)
        .stderr(predicate::str::contains("1 files scanned"));
}

#[test]
fn json_findings_from_the_index_carry_no_provenance() {
    let repo = TestRepo::new();
    let key = Fake::new(405).cline_key();
    repo.stage("a.cfg", format!("CLINE_API_KEY={key}\n"));
    let output = clinescan()
        .args(["staged", "--format", "json"])
        .arg(repo.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(document["summary"]["mode"], "staged");
    let finding = &document["findings"][0];
    assert_eq!(finding["path"], "a.cfg");
    assert!(finding.get("provenance").is_none());
}

#[test]
fn outside_a_repository_is_an_error_naming_the_path() {
    let dir = tempfile::TempDir::new().unwrap();
    clinescan()
        .arg("staged")
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is not in a git repository"));
}

#[test]
fn many_staged_files_are_all_scanned() {
    let repo = TestRepo::new();
    let key = Fake::new(406).cline_key();
    for number in 0..100 {
        repo.stage(
            &format!("src/module_{number:03}.py"),
            format!("VALUE = {number}\n"),
        );
    }
    repo.stage("src/module_042.py", format!("CLINE_API_KEY = '{key}'\n"));
    staged(&repo)
        .code(1)
        .stdout(predicate::str::contains("src/module_042.py"))
        .stderr(predicate::str::contains("100 files scanned"));
}

#[test]
fn configured_exclusions_leave_staged_paths_out() {
    let repo = TestRepo::new();
    let key = Fake::new(407).cline_key();
    repo.write(".clinescan.toml", "exclude = [\"fixtures/**\"]\n");
    repo.stage("fixtures/keys.cfg", format!("CLINE_API_KEY={key}\n"));
    staged(&repo)
        .code(0)
        .stderr(predicate::str::contains("all 1 staged files are excluded"));
    repo.stage("src/app.cfg", format!("CLINE_API_KEY={key}\n"));
    staged(&repo).code(1).stdout(
        predicate::str::contains("src/app.cfg").and(predicate::str::contains("fixtures").not()),
    );
}
