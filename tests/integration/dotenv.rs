//! `.env` hygiene in working-tree scans, over throwaway repositories whose git configuration
//! (global excludes included) is entirely under the test's control.

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use tempfile::TempDir;

use crate::common::{clinescan, write, Fake};

/// A git work tree in a temporary folder, with its own home folder for global git settings.
struct Repo {
    _temp: TempDir,
    home: PathBuf,
    root: PathBuf,
}

impl Repo {
    /// A fresh repository at `<temp>/work tree é` (a space and a non-ASCII letter on purpose).
    fn new() -> Repo {
        let temp = TempDir::new().unwrap();
        let home = temp.path().join("home");
        let root = temp.path().join("work tree é");
        std::fs::create_dir_all(home.join(".config")).unwrap();
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(home.join(".gitconfig"), "").unwrap();
        let repo = Repo {
            _temp: temp,
            home,
            root,
        };
        repo.git(&["init", "-q", "-b", "main"]);
        repo
    }

    /// The environment that points git at the test's own home folder, never the developer's;
    /// `None` values are removed.
    fn environment(&self) -> Vec<(&'static str, Option<PathBuf>)> {
        vec![
            ("HOME", Some(self.home.clone())),
            ("XDG_CONFIG_HOME", Some(self.home.join(".config"))),
            ("GIT_CONFIG_GLOBAL", Some(self.home.join(".gitconfig"))),
            ("GIT_CONFIG_NOSYSTEM", Some(PathBuf::from("1"))),
            ("GIT_DIR", None),
            ("GIT_WORK_TREE", None),
            ("GIT_INDEX_FILE", None),
            ("GIT_CEILING_DIRECTORIES", None),
        ]
    }

    /// A `git` command with the test's environment.
    fn git_command(&self) -> Command {
        let mut command = Command::new("git");
        for (key, value) in self.environment() {
            match value {
                Some(value) => command.env(key, value),
                None => command.env_remove(key),
            };
        }
        command.current_dir(&self.root);
        command
    }

    /// Runs git in the work tree and returns its stdout; panics when git fails.
    fn git(&self, args: &[&str]) -> String {
        let output = self
            .git_command()
            .args(["-c", "user.name=Test", "-c", "user.email=test@example.com"])
            .args(args)
            .output()
            .expect("git runs");
        assert!(output.status.success(), "git {args:?}: {output:?}");
        String::from_utf8(output.stdout).unwrap()
    }

    /// Writes a file in the work tree.
    fn write(&self, name: &str, contents: impl AsRef<[u8]>) {
        write(&self.root, name, contents);
    }

    /// Sets a global git setting (in the test's own home folder).
    fn global(&self, key: &str, value: &str) {
        let config = self.home.join(".gitconfig").display().to_string();
        self.git(&["config", "--file", &config, key, value]);
    }

    /// Runs clinescan from the work tree with the test's git environment.
    fn clinescan(&self, args: &[&str]) -> Output {
        let mut command = clinescan();
        for (key, value) in self.environment() {
            match value {
                Some(value) => command.env(key, value),
                None => command.env_remove(key),
            };
        }
        command.args(args).current_dir(&self.root).output().unwrap()
    }

    /// Runs a JSON scan and returns its `(rule id, path)` pairs.
    fn findings(&self, args: &[&str]) -> BTreeSet<(String, String)> {
        let mut all = vec!["scan", "--format", "json"];
        all.extend_from_slice(args);
        let output = self.clinescan(&all);
        assert!(
            matches!(output.status.code(), Some(0 | 1)),
            "clinescan failed: {output:?}"
        );
        let document: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        document["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|finding| {
                let text = |key: &str| finding[key].as_str().unwrap().to_string();
                (text("rule_id"), text("path"))
            })
            .collect()
    }
}

fn pair(rule: &str, path: &str) -> (String, String) {
    (rule.to_string(), path.to_string())
}

/// The findings of one rule, by path.
fn paths_of(findings: &BTreeSet<(String, String)>, rule: &str) -> BTreeSet<String> {
    findings
        .iter()
        .filter(|(id, _)| id == rule)
        .map(|(_, path)| path.clone())
        .collect()
}

#[test]
fn an_env_file_no_rule_ignores_is_reported_with_its_keys_and_the_missing_root_rule() {
    let repo = Repo::new();
    let mut fake = Fake::new(40);
    repo.write(".env", format!("CLINE_API_KEY={}\n", fake.cline_key()));
    repo.write(
        ".env.example",
        format!("CLINE_API_KEY={}\n", fake.cline_key()),
    );
    repo.write("src/main.rs", "fn main() {}\n");

    let findings = repo.findings(&[]);
    let expected: BTreeSet<_> = [
        pair("dotenv-not-ignored", ".env"),
        pair("cline-api-key", ".env"),
        pair("cline-api-key", ".env.example"),
        pair("gitignore-missing-dotenv", "."),
    ]
    .into_iter()
    .collect();
    assert_eq!(findings, expected);
}

#[test]
fn an_ignored_env_file_is_neither_reported_nor_read_unless_no_ignore() {
    let repo = Repo::new();
    repo.write(".gitignore", ".env\n");
    let key = Fake::new(41).cline_key();
    repo.write(".env", format!("CLINE_API_KEY={key}\n"));

    assert_eq!(repo.findings(&[]), BTreeSet::new());
    let audit = repo.findings(&["--no-ignore"]);
    assert_eq!(audit, [pair("cline-api-key", ".env")].into_iter().collect());
}

#[test]
fn a_tracked_env_file_is_reported_and_read_even_when_an_ignore_rule_now_covers_it() {
    let repo = Repo::new();
    let key = Fake::new(42).cline_key();
    repo.write("config/.env.local", format!("CLINE_API_KEY={key}\n"));
    repo.git(&["add", "config/.env.local"]);
    repo.git(&["commit", "-q", "-m", "add env"]);
    repo.write(".gitignore", ".env\n.env.local\n");

    let findings = repo.findings(&[]);
    let expected: BTreeSet<_> = [
        pair("dotenv-tracked", "config/.env.local"),
        pair("cline-api-key", "config/.env.local"),
    ]
    .into_iter()
    .collect();
    assert_eq!(findings, expected);

    let output = repo.clinescan(&["scan"]);
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout.contains("git rm --cached -- config/.env.local"),
        "the fix is shown with the finding: {stdout}"
    );
    assert!(!stdout.contains(&key) && !String::from_utf8_lossy(&output.stderr).contains(&key));
}

#[test]
fn tracked_files_in_an_ignored_folder_are_read_and_deleted_ones_are_not_errors() {
    let repo = Repo::new();
    let key = Fake::new(45).cline_key();
    repo.write("dist/app.js", format!("const CLINE_API_KEY = \"{key}\";\n"));
    repo.write("dist/gone.js", "x\n");
    repo.git(&["add", "dist"]);
    repo.write(".gitignore", ".env\ndist/\n");
    repo.write(
        "dist/untracked.js",
        format!("const CLINE_API_KEY = \"{key}\";\n"),
    );
    std::fs::remove_file(repo.root.join("dist/gone.js")).unwrap();

    let output = repo.clinescan(&["scan", "--format", "json"]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let paths: Vec<&str> = document["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|finding| finding["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["dist/app.js"]);
    assert_eq!(document["summary"]["skipped"], serde_json::json!([]));
}

#[test]
fn a_tracked_file_is_reported_as_tracked_only_and_templates_are_exempt() {
    let repo = Repo::new();
    repo.write(".gitignore", "/.env\n");
    repo.write("app/prod.env", "PORT=1\n");
    repo.write("app/.env.sample", "PORT=\n");
    repo.write("app/.env.TEMPLATE", "PORT=\n");
    repo.git(&["add", "."]);

    let findings = repo.findings(&[]);
    let expected: BTreeSet<_> = [pair("dotenv-tracked", "app/prod.env")]
        .into_iter()
        .collect();
    assert_eq!(findings, expected);
}

#[test]
fn nested_gitignore_files_and_negations_are_honoured() {
    let repo = Repo::new();
    repo.write(".gitignore", ".env*\n!.env.example\n!.env.shared\n");
    repo.write("app/.gitignore", "!.env.local\n");
    repo.write("lib/.gitignore", ".env.shared\n");
    for path in [
        ".env",
        ".env.example",
        ".env.shared",
        "app/.env.local",
        "app/.env",
        "lib/.env.shared",
        "lib/.env.example",
    ] {
        repo.write(path, "PORT=1\n");
    }

    let findings = repo.findings(&[]);
    let expected: BTreeSet<_> = [
        pair("dotenv-not-ignored", ".env.shared"),
        pair("dotenv-not-ignored", "app/.env.local"),
    ]
    .into_iter()
    .collect();
    assert_eq!(findings, expected);
}

#[test]
fn a_global_excludes_file_and_info_exclude_count_as_ignore_rules() {
    let repo = Repo::new();
    let excludes = repo.home.join("global ignore é");
    std::fs::write(&excludes, ".env\n").unwrap();
    repo.global("core.excludesFile", &excludes.display().to_string());
    repo.write(".git/info/exclude", "*.env\n");
    let key = Fake::new(43).cline_key();
    repo.write(".env", format!("CLINE_API_KEY={key}\n"));
    repo.write("deploy/prod.env", format!("CLINE_API_KEY={key}\n"));
    repo.write("deploy/.env.staging", "PORT=1\n");

    let findings = repo.findings(&[]);
    let expected: BTreeSet<_> = [pair("dotenv-not-ignored", "deploy/.env.staging")]
        .into_iter()
        .collect();
    assert_eq!(findings, expected);
}

#[test]
fn an_excludes_file_set_in_the_repository_config_is_honoured_like_git_does() {
    // The walker only knows the global `core.excludesFile`; git also reads the repository's
    // own configuration, and git decides which env files are ignored.
    let repo = Repo::new();
    let excludes = repo.root.join(".git/local-excludes");
    std::fs::write(&excludes, ".env\n*.env\n").unwrap();
    repo.git(&[
        "config",
        "core.excludesFile",
        &excludes.display().to_string(),
    ]);
    let key = Fake::new(44).cline_key();
    repo.write(".env", format!("CLINE_API_KEY={key}\n"));
    repo.write("app/prod.env", format!("CLINE_API_KEY={key}\n"));
    repo.write("app/.env.local", "PORT=1\n");

    let findings = repo.findings(&[]);
    let expected: BTreeSet<_> = [pair("dotenv-not-ignored", "app/.env.local")]
        .into_iter()
        .collect();
    assert_eq!(findings, expected);
}

#[test]
fn without_a_gitignore_the_missing_rule_is_located_at_the_repository_root() {
    let repo = Repo::new();
    repo.write("app/main.rs", "fn main() {}\n");
    let from_root = repo.findings(&[]);
    assert_eq!(
        from_root,
        [pair("gitignore-missing-dotenv", ".")]
            .into_iter()
            .collect()
    );
    let from_app = repo.findings(&["app"]);
    assert_eq!(
        from_app,
        [pair("gitignore-missing-dotenv", "..")]
            .into_iter()
            .collect()
    );

    repo.write(".gitignore", "target/\n");
    let from_app = repo.findings(&["app"]);
    assert_eq!(
        from_app,
        [pair("gitignore-missing-dotenv", "../.gitignore")]
            .into_iter()
            .collect()
    );
}

#[test]
fn paths_with_spaces_and_non_ascii_letters_are_reported_exactly() {
    let repo = Repo::new();
    repo.write(".gitignore", ".env\n");
    repo.write("dossier à part/été 2024.env", "PORT=1\n");
    repo.write("tracked one/.env.prod", "PORT=1\n");
    repo.git(&["add", "tracked one/.env.prod"]);
    repo.write(".gitignore", ".env\n.env.prod\n");

    let findings = repo.findings(&[]);
    let expected: BTreeSet<_> = [
        pair("dotenv-not-ignored", "dossier à part/été 2024.env"),
        pair("dotenv-tracked", "tracked one/.env.prod"),
    ]
    .into_iter()
    .collect();
    assert_eq!(findings, expected);
    let json = repo.clinescan(&["scan", "--format", "json"]).stdout;
    let report: serde_json::Value = serde_json::from_slice(&json).unwrap();
    let messages: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|finding| finding["message"].as_str())
        .collect();
    assert!(
        messages
            .iter()
            .any(|message| message.contains("git rm --cached -- 'tracked one/.env.prod'")),
        "{messages:?}"
    );
}

#[test]
fn fix_gitignore_appends_one_line_once_and_the_finding_goes_away() {
    let repo = Repo::new();
    repo.write(".gitignore", "node_modules");
    repo.write(".env", "PORT=1\n");

    let first = repo.clinescan(&["scan", "--fix-gitignore", "--format", "json"]);
    let stderr = String::from_utf8(first.stderr).unwrap();
    assert!(stderr.contains("added the line `.env`"), "{stderr}");
    let document: serde_json::Value = serde_json::from_slice(&first.stdout).unwrap();
    assert_eq!(document["findings"], serde_json::json!([]));
    assert_eq!(first.status.code(), Some(0));
    let gitignore = repo.root.join(".gitignore");
    assert_eq!(
        std::fs::read_to_string(&gitignore).unwrap(),
        "node_modules\n.env\n"
    );

    let second = repo.clinescan(&["scan", "--fix-gitignore"]);
    let stderr = String::from_utf8(second.stderr).unwrap();
    assert!(stderr.contains("nothing to fix"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(&gitignore).unwrap(),
        "node_modules\n.env\n"
    );
}

#[test]
fn fix_gitignore_creates_the_file_when_there_is_none() {
    let repo = Repo::new();
    repo.write("app/x.txt", "x\n");
    let output = repo.clinescan(&["scan", "--fix-gitignore", "app"]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(String::from_utf8(output.stderr)
        .unwrap()
        .contains("created"));
    assert_eq!(
        std::fs::read_to_string(repo.root.join(".gitignore")).unwrap(),
        ".env\n"
    );
}

#[test]
fn outside_a_work_tree_hygiene_is_skipped_with_one_note_on_stderr() {
    let temp = TempDir::new().unwrap();
    let folder = temp.path().join("plain");
    write(&folder, ".env", "PORT=1\n");
    write(&folder, "sub/.env.local", "PORT=1\n");
    let output = clinescan()
        .env("GIT_CEILING_DIRECTORIES", temp.path())
        .args(["scan"])
        .arg(&folder)
        .arg(folder.join("sub"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert_eq!(String::from_utf8(output.stdout).unwrap(), "");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(
        stderr.matches("not in a git work tree").count(),
        1,
        "{stderr}"
    );
    assert!(stderr.starts_with("note: "), "{stderr}");
}

#[test]
fn without_git_on_the_path_libgit2_answers() {
    let repo = Repo::new();
    repo.write(".gitignore", ".env\n");
    repo.write(".env", "PORT=1\n");
    repo.write("app/.env.local", "PORT=1\n");
    let empty = TempDir::new().unwrap();
    let output = clinescan()
        .env("HOME", &repo.home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", repo.home.join(".gitconfig"))
        .env("PATH", empty.path())
        .args(["scan", "--format", "json"])
        .current_dir(&repo.root)
        .output()
        .unwrap();
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let findings: Vec<(&str, &str)> = document["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["rule_id"].as_str().unwrap(), f["path"].as_str().unwrap()))
        .collect();
    assert_eq!(findings, [("dotenv-not-ignored", "app/.env.local")]);
}

#[test]
fn env_files_in_a_nested_repository_are_judged_by_that_repository() {
    let repo = Repo::new();
    repo.write(".gitignore", ".env\n");
    let inner = repo.root.join("vendor/lib");
    std::fs::create_dir_all(&inner).unwrap();
    let git_in_inner = |args: &[&str]| {
        let mut all = vec!["-C", "vendor/lib"];
        all.extend_from_slice(args);
        repo.git(&all);
    };
    git_in_inner(&["init", "-q"]);
    repo.write("vendor/lib/.gitignore", "!.env\n.env.local\n");
    repo.write("vendor/lib/.env", "PORT=1\n");
    repo.write("vendor/lib/.env.local", "PORT=1\n");
    repo.write("vendor/lib/.env.prod", "PORT=1\n");
    git_in_inner(&["add", ".env.prod"]);

    let findings = repo.findings(&[]);
    let expected: BTreeSet<_> = [
        pair("dotenv-not-ignored", "vendor/lib/.env"),
        pair("dotenv-tracked", "vendor/lib/.env.prod"),
    ]
    .into_iter()
    .collect();
    assert_eq!(findings, expected);
    let stdout = String::from_utf8(repo.clinescan(&["scan"]).stdout).unwrap();
    assert!(stdout.contains("rm --cached -- .env.prod"), "{stdout}");
}

/// The env files git would let `git add .` pick up, according to `git check-ignore`.
fn not_ignored_by_git(repo: &Repo, paths: &[&str]) -> BTreeSet<String> {
    let mut child = repo
        .git_command()
        .args(["check-ignore", "--no-index", "--stdin", "-z"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let input: Vec<u8> = paths
        .iter()
        .flat_map(|p| [p.as_bytes(), b"\0"].concat())
        .collect();
    child.stdin.take().unwrap().write_all(&input).unwrap();
    let output = child.wait_with_output().unwrap();
    let ignored: BTreeSet<&str> = std::str::from_utf8(&output.stdout)
        .unwrap()
        .split('\0')
        .filter(|path| !path.is_empty())
        .collect();
    paths
        .iter()
        .filter(|path| !ignored.contains(**path))
        .map(|path| path.to_string())
        .collect()
}

#[test]
fn not_ignored_findings_agree_with_git_check_ignore() {
    let repo = Repo::new();
    let excludes = repo.home.join("excludes");
    std::fs::write(&excludes, "*.local.env\n").unwrap();
    repo.global("core.excludesFile", &excludes.display().to_string());
    repo.write(".git/info/exclude", "secrets/\n");
    repo.write(
        ".gitignore",
        "/.env\n.env.*\n!.env.prod\nbuild/\n**/deep/**/*.env\n# .env.comment\n\\#x.env\n",
    );
    repo.write("svc/.gitignore", "!.env.*\n.env.prod\n");
    repo.write("svc/api/.gitignore", "*.env\n!keep.env\n");
    // Literal negations undoing a rule of another file: libgit2 alone gets these wrong.
    repo.write("app/.gitignore", "!.env.dev\n!a.local.env\n");
    let paths = [
        "app/.env.dev",
        "app/a.local.env",
        "app/b.local.env",
        ".env",
        ".env.dev",
        ".env.prod",
        "x.env",
        "#x.env",
        "a b/.env",
        "a b/é.local.env",
        "build/.env.dev",
        "secrets/prod.env",
        "svc/.env",
        "svc/.env.dev",
        "svc/.env.prod",
        "svc/api/one.env",
        "svc/api/keep.env",
        "svc/api/.env.x",
        "top/deep/a/b.env",
        "top/deep/b.env",
        "top/shallow.env",
    ];
    for path in paths {
        repo.write(path, "PORT=1\n");
    }

    let expected = not_ignored_by_git(&repo, &paths);
    let reported = paths_of(&repo.findings(&[]), "dotenv-not-ignored");
    assert_eq!(reported, expected);
    // The oracle is not trivially all or nothing on this tree.
    assert!(
        expected.len() > 3 && expected.len() < paths.len() - 3,
        "{expected:?}"
    );
}

#[test]
fn a_scan_of_a_subfolder_reports_paths_relative_to_it() {
    let repo = Repo::new();
    repo.write(".gitignore", ".env\n");
    repo.write("app/.env.local", "PORT=1\n");
    let root: &Path = &repo.root;
    let findings = repo.findings(&[&root.join("app").display().to_string()]);
    assert_eq!(
        findings,
        [pair("dotenv-not-ignored", ".env.local")]
            .into_iter()
            .collect()
    );
}
