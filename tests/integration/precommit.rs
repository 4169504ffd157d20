//! The pre-commit integration, run through the real `pre-commit` framework, offline.
//!
//! The test uses the `clinescan-system` hook with the freshly built binary on `PATH`: the
//! `clinescan` hook (`language: rust`) runs `cargo install` of this crate in release mode into
//! pre-commit's cache, minutes on a small CI machine, for the same entry and arguments. Both
//! hooks are read from this repository's `.pre-commit-hooks.yaml`, committed to a throwaway
//! hook repository so that pre-commit can clone it at a `rev` without a network.

use std::path::Path;
use std::process::{Command, Output};

use crate::common::Fake;
use crate::repo::TestRepo;

/// Runs `pre-commit ARGS` in `dir`, with an isolated cache and the built binary first on
/// `PATH`. Panics (failing the test) when pre-commit is not installed.
fn pre_commit(dir: &Path, cache: &Path, args: &[&str]) -> Output {
    let binary = Path::new(env!("CARGO_BIN_EXE_clinescan"));
    let path = std::env::join_paths(
        std::iter::once(binary.parent().unwrap().to_path_buf()).chain(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        )),
    )
    .unwrap();
    let no_config = cache.join("empty.gitconfig");
    std::fs::write(&no_config, "").unwrap();
    Command::new("pre-commit")
        .args(args)
        .current_dir(dir)
        .env("PATH", path)
        .env("PRE_COMMIT_HOME", cache)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", &no_config)
        .env("NO_COLOR", "1")
        .env_remove("CLINESCAN_LOG")
        .output()
        .expect("`pre-commit` must be installed for this test: `pip install pre-commit`")
}

/// A hook repository holding this crate's `.pre-commit-hooks.yaml`, and its commit id.
fn hook_repository() -> (TestRepo, String) {
    let mut hooks = TestRepo::new();
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml");
    hooks.stage(
        ".pre-commit-hooks.yaml",
        std::fs::read(manifest).expect("the hook manifest"),
    );
    let rev = hooks.commit("Hooks").to_string();
    (hooks, rev)
}

#[test]
#[ignore = "needs `pre-commit` (pip install pre-commit); .ci/run installs it"]
fn the_pre_commit_hook_blocks_a_staged_key_and_passes_a_clean_change() {
    let (hooks, rev) = hook_repository();
    let cache = tempfile::TempDir::new().unwrap();
    let mut project = TestRepo::new();
    project.stage(
        ".pre-commit-config.yaml",
        format!(
            "repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n      - id: clinescan-system\n",
            hooks.path().display()
        ),
    );
    project.stage("README.md", "# demo\n");
    project.commit("Start");

    let key = Fake::new(501).cline_key();
    project.stage(
        "src/settings.cfg",
        format!("mode = dev\nCLINE_API_KEY={key}\n"),
    );
    let output = pre_commit(project.path(), cache.path(), &["run", "clinescan-system"]);
    let shown = String::from_utf8_lossy(&output.stdout).to_string()
        + &String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{shown}");
    assert!(shown.contains("Failed"), "{shown}");
    assert!(
        shown.contains("src/settings.cfg") && shown.contains("cline-api-key"),
        "{shown}"
    );
    assert!(
        shown.contains(&key[..4]),
        "the redacted key is shown: {shown}"
    );
    assert!(!shown.contains(&key), "the full key leaked: {shown}");

    project.remove("src/settings.cfg");
    project.stage(
        "src/settings.cfg",
        "mode = dev\nCLINE_API_KEY=${CLINE_API_KEY}\n",
    );
    let output = pre_commit(project.path(), cache.path(), &["run", "clinescan-system"]);
    let shown = String::from_utf8_lossy(&output.stdout).to_string()
        + &String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{shown}");
    assert!(shown.contains("Passed"), "{shown}");
}

#[test]
fn the_hook_manifest_declares_both_hooks_on_the_staged_scan() {
    let manifest = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml"),
    )
    .unwrap();
    for (id, language) in [("clinescan", "rust"), ("clinescan-system", "system")] {
        let block = manifest
            .split("- id: ")
            .find(|block| block.lines().next() == Some(id))
            .unwrap_or_else(|| panic!("no hook `{id}`"));
        assert!(block.contains("entry: clinescan staged\n"), "{block}");
        assert!(
            block.contains(&format!("language: {language}\n")),
            "{block}"
        );
        assert!(block.contains("pass_filenames: false\n"), "{block}");
    }
}
