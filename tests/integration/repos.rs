//! Awkward repositories: bare, damaged (corrupt pack, missing blob, tree or commit),
//! submodules, linked worktrees, very many refs and a very large blob. Each gives a clear
//! message, the rest is still scanned, and the exit code says when the scan was partial.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;
use tempfile::TempDir;

use crate::common::{clinescan, Fake};
use crate::repo::TestRepo;

/// Runs the `git` command with no system or user configuration but an identity and file
/// submodules allowed; holds the empty global configuration file.
struct Git {
    config: TempDir,
}

impl Git {
    fn new() -> Git {
        let config = TempDir::new().unwrap();
        std::fs::write(config.path().join("gitconfig"), "").unwrap();
        Git { config }
    }

    fn config_file(&self) -> PathBuf {
        self.config.path().join("gitconfig")
    }

    fn command(&self, dir: &Path) -> Command {
        let mut command = Command::new("git");
        command
            .current_dir(dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", self.config_file())
            .env("GIT_AUTHOR_NAME", "Ada Example")
            .env("GIT_AUTHOR_EMAIL", "ada@example.com")
            .env("GIT_COMMITTER_NAME", "Ada Example")
            .env("GIT_COMMITTER_EMAIL", "ada@example.com")
            .args([
                "-c",
                "protocol.file.allow=always",
                "-c",
                "init.defaultBranch=main",
            ]);
        command
    }

    /// Runs git in `dir`; returns stdout, panicking when git fails.
    fn run(&self, dir: &Path, args: &[&str]) -> String {
        let output = self.command(dir).args(args).output().expect("git runs");
        assert!(output.status.success(), "git {args:?}: {output:?}");
        String::from_utf8(output.stdout).unwrap()
    }

    /// `clinescan` with the same configuration isolation.
    fn clinescan(&self) -> assert_cmd::Command {
        let mut command = clinescan();
        command
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", self.config_file());
        command
    }

    /// Runs `clinescan` with `args` and `--format json`; returns the exit code, the
    /// document and stderr.
    fn json(&self, args: &[&str], path: &Path) -> (i32, Value, String) {
        let output = self
            .clinescan()
            .args(args)
            .args(["--format", "json"])
            .arg(path)
            .output()
            .unwrap();
        let stdout = String::from_utf8(output.stdout).unwrap();
        let document = serde_json::from_str(&stdout).unwrap_or_else(|_| panic!("json: {stdout}"));
        let stderr = String::from_utf8(output.stderr).unwrap();
        (output.status.code().unwrap(), document, stderr)
    }
}

fn config_with(key: &str) -> String {
    format!("[service]\nCLINE_API_KEY = \"{key}\"\n")
}

/// The paths of the findings of `rule`.
fn found_paths(document: &Value, rule: &str) -> Vec<String> {
    document["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|finding| finding["rule_id"] == rule)
        .map(|finding| finding["path"].as_str().unwrap().to_string())
        .collect()
}

fn notices(document: &Value) -> String {
    document["notices"].to_string()
}

#[test]
fn a_bare_repository_has_its_history_scanned_and_the_other_scans_say_what_does_not_apply() {
    let git = Git::new();
    let mut repo = TestRepo::new();
    let key = Fake::new(701).cline_key();
    repo.stage("config/app.toml", config_with(&key));
    repo.stage(".env", "PORT=1\n");
    repo.commit("Settings");
    let clones = TempDir::new().unwrap();
    let bare = clones.path().join("mirror.git");
    git.run(
        clones.path(),
        &[
            "clone",
            "--quiet",
            "--mirror",
            repo.path().to_str().unwrap(),
            "mirror.git",
        ],
    );

    let (code, document, stderr) = git.json(&["history"], &bare);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(found_paths(&document, "cline-api-key"), ["config/app.toml"]);
    assert_eq!(found_paths(&document, "dotenv-in-history"), [".env"]);

    let staged = git.clinescan().arg("staged").arg(&bare).output().unwrap();
    assert_eq!(staged.status.code(), Some(2));
    let stderr = String::from_utf8(staged.stderr).unwrap();
    assert!(
        stderr.contains("bare repository") && stderr.contains("mirror.git"),
        "{stderr}"
    );

    // A tree scan of git's object store: the hygiene checks say they did not apply.
    let (_, document, stderr) = git.json(&["scan"], &bare);
    assert!(
        notices(&document).contains("not in a git work tree"),
        "{document:#} {stderr}"
    );
}

/// A repository whose one commit holds a file of random text (`victim.txt`, compressed into a
/// long deflate stream) and a config file with `key`, packed.
fn packed_repository(git: &Git, key: &str) -> (TestRepo, git2::Oid) {
    let mut repo = TestRepo::new();
    let mut fake = Fake::new(702);
    let victim = (0..200)
        .map(|_| fake.string("abcdefghijklmnopqrstuvwxyz ", 60))
        .collect::<Vec<_>>()
        .join("\n");
    repo.stage("victim.txt", &victim);
    repo.stage("config/app.toml", config_with(key));
    repo.commit("Two files");
    git.run(repo.path(), &["repack", "-adq"]);
    git.run(repo.path(), &["prune-packed"]);
    let id = git2::Oid::hash_object(git2::ObjectType::Blob, victim.as_bytes()).unwrap();
    assert!(
        !repo.loose_object_path(id).exists(),
        "only the packed copy remains"
    );
    (repo, id)
}

#[test]
fn a_corrupt_object_in_a_pack_is_named_and_the_rest_is_scanned() {
    let git = Git::new();
    let key = Fake::new(703).cline_key();
    let (repo, victim) = packed_repository(&git, &key);
    let pack_dir = repo.repo.path().join("objects/pack");
    let index = std::fs::read_dir(&pack_dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|path| path.extension().is_some_and(|extension| extension == "idx"))
        .unwrap();
    // `git show-index` lists "offset id (crc)" for each packed object.
    let mut show = git
        .command(repo.path())
        .arg("show-index")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    show.stdin
        .take()
        .unwrap()
        .write_all(&std::fs::read(&index).unwrap())
        .unwrap();
    let listing = String::from_utf8(show.wait_with_output().unwrap().stdout).unwrap();
    let offset: usize = listing
        .lines()
        .find(|line| line.contains(&victim.to_string()))
        .and_then(|line| line.split(' ').next())
        .and_then(|offset| offset.parse().ok())
        .unwrap_or_else(|| panic!("{victim} in {listing}"));
    let pack = index.with_extension("pack");
    let mut bytes = std::fs::read(&pack).unwrap();
    for byte in &mut bytes[offset + 40..offset + 80] {
        *byte ^= 0x5a;
    }
    let mut permissions = std::fs::metadata(&pack).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    permissions.set_readonly(false);
    std::fs::set_permissions(&pack, permissions).unwrap();
    std::fs::write(&pack, bytes).unwrap();

    let (code, document, stderr) = git.json(&["history"], repo.path());
    assert_eq!(code, 1, "the key in the intact blob is found: {stderr}");
    assert_eq!(found_paths(&document, "cline-api-key"), ["config/app.toml"]);
    assert_eq!(document["complete"], false, "{document:#}");
    let skipped = document["summary"]["skipped"].to_string();
    assert!(skipped.contains(&victim.to_string()), "{skipped}");
    assert!(skipped.contains("victim.txt"), "{skipped}");

    // With nothing found elsewhere, the partial scan exits 2, not 0.
    let config = repo.path().join(".clinescan.toml");
    std::fs::write(config, "exclude = [\"config/\"]\n").unwrap();
    let (code, _, stderr) = git.json(&["history"], repo.path());
    assert_eq!(code, 2, "{stderr}");
}

/// Three commits on `main`: `first` adds `old.toml` with a key, `middle` removes it and adds
/// `lib/middle.txt`, `last` adds `new.toml` with another key. Returns the repository, the
/// three ids and the keys.
fn three_commits(seed: u64) -> (TestRepo, [git2::Oid; 3], [String; 2]) {
    let mut repo = TestRepo::new();
    let mut fake = Fake::new(seed);
    let keys = [fake.cline_key(), fake.cline_key()];
    repo.stage("old.toml", config_with(&keys[0]));
    let first = repo.commit("First");
    repo.remove("old.toml");
    repo.stage("lib/middle.txt", "in the middle\n");
    let middle = repo.commit("Middle");
    repo.stage("new.toml", config_with(&keys[1]));
    let last = repo.commit("Last");
    (repo, [first, middle, last], keys)
}

#[test]
fn a_missing_commit_is_named_and_the_walk_goes_on_past_it() {
    let git = Git::new();
    let (repo, [first, middle, _], _) = three_commits(704);
    // `first` stays reachable from a tag; `middle` alone is lost.
    repo.tag("v1", first);
    std::fs::remove_file(repo.loose_object_path(middle)).unwrap();

    let (code, document, stderr) = git.json(&["history"], repo.path());
    assert_eq!(code, 1, "{stderr}");
    let mut paths = found_paths(&document, "cline-api-key");
    paths.sort();
    assert_eq!(paths, ["new.toml", "old.toml"], "{document:#}");
    assert_eq!(document["complete"], false);
    let notices = notices(&document);
    assert!(notices.contains(&format!("commit `{middle}`")), "{notices}");
}

#[test]
fn a_missing_commit_with_nothing_found_elsewhere_exits_2() {
    let git = Git::new();
    let (repo, [_, middle, last], _) = three_commits(705);
    std::fs::remove_file(repo.loose_object_path(middle)).unwrap();
    // Without `last`'s key, the commits that could be read hold nothing.
    let new_blob = repo
        .repo
        .find_commit(last)
        .unwrap()
        .tree()
        .unwrap()
        .get_path(Path::new("new.toml"))
        .unwrap()
        .id();
    std::fs::remove_file(repo.loose_object_path(new_blob)).unwrap();

    let (code, document, stderr) = git.json(&["history"], repo.path());
    assert_eq!(code, 2, "{stderr}");
    assert!(notices(&document).contains(&middle.to_string()));
    let skipped = document["summary"]["skipped"].to_string();
    assert!(skipped.contains(&new_blob.to_string()), "{skipped}");
}

#[test]
fn a_missing_tree_is_named_and_the_other_trees_are_scanned() {
    let git = Git::new();
    let (repo, [_, middle, _], _) = three_commits(706);
    let lib = repo
        .repo
        .find_commit(middle)
        .unwrap()
        .tree()
        .unwrap()
        .get_path(Path::new("lib"))
        .unwrap()
        .id();
    std::fs::remove_file(repo.loose_object_path(lib)).unwrap();

    let (code, document, stderr) = git.json(&["history"], repo.path());
    assert_eq!(code, 1, "{stderr}");
    let mut paths = found_paths(&document, "cline-api-key");
    paths.sort();
    assert_eq!(paths, ["new.toml", "old.toml"]);
    assert_eq!(document["complete"], false);
    assert!(
        notices(&document).contains(&format!("tree `{lib}`")),
        "{document:#}"
    );
}

#[test]
fn a_ref_to_a_missing_commit_is_named() {
    let git = Git::new();
    let (mut repo, _, _) = three_commits(707);
    repo.branch_and_switch("lost");
    repo.stage("side.txt", "on the side\n");
    let side = repo.commit("Side");
    repo.switch("main");
    std::fs::remove_file(repo.loose_object_path(side)).unwrap();

    let (code, document, stderr) = git.json(&["history"], repo.path());
    assert_eq!(code, 1, "main is still scanned: {stderr}");
    let mut paths = found_paths(&document, "cline-api-key");
    paths.sort();
    assert_eq!(paths, ["new.toml", "old.toml"]);
    let notices = notices(&document);
    assert!(notices.contains("refs/heads/lost"), "{notices}");
    assert_eq!(document["complete"], false);
}

/// A superproject at `root/super` with a submodule `vendor/lib` (its own repository at
/// `root/lib`, holding a key in `lib.toml`), committed.
fn with_submodule(git: &Git, root: &Path, key: &str) -> PathBuf {
    let library = root.join("lib");
    std::fs::create_dir_all(&library).unwrap();
    git.run(&library, &["init", "--quiet"]);
    std::fs::write(library.join("lib.toml"), config_with(key)).unwrap();
    git.run(&library, &["add", "lib.toml"]);
    git.run(&library, &["commit", "--quiet", "-m", "Library"]);
    let main = root.join("super");
    std::fs::create_dir_all(&main).unwrap();
    git.run(&main, &["init", "--quiet"]);
    std::fs::write(main.join("README.md"), "# super\n").unwrap();
    git.run(&main, &["add", "README.md"]);
    git.run(
        &main,
        &[
            "submodule",
            "--quiet",
            "add",
            library.to_str().unwrap(),
            "vendor/lib",
        ],
    );
    git.run(&main, &["commit", "--quiet", "-m", "Add the library"]);
    main
}

#[test]
fn a_submodule_is_scanned_in_the_tree_and_named_as_not_scanned_by_history_and_staged() {
    let git = Git::new();
    let root = TempDir::new().unwrap();
    let key = Fake::new(708).cline_key();
    let main = with_submodule(&git, root.path(), &key);

    // The working tree: the submodule's checkout is files like any other, and is scanned.
    let (code, document, stderr) = git.json(&["scan"], &main);
    assert_eq!(code, 1, "{stderr}");
    let paths = found_paths(&document, "cline-api-key");
    assert_eq!(paths.len(), 1, "{document:#}");
    assert!(paths[0].ends_with("vendor/lib/lib.toml"), "{paths:?}");

    // History: the submodule is another repository; it is named, not silently passed over.
    let (code, document, stderr) = git.json(&["history"], &main);
    assert_eq!(code, 0, "{stderr}");
    let said = notices(&document);
    assert!(
        said.contains("submodules were not scanned") && said.contains("`vendor/lib`"),
        "{said}"
    );

    // Staged: a new submodule commit is named too.
    let library = main.join("vendor/lib");
    std::fs::write(library.join("more.txt"), "more\n").unwrap();
    git.run(&library, &["add", "more.txt"]);
    git.run(&library, &["commit", "--quiet", "-m", "More"]);
    git.run(&main, &["add", "vendor/lib"]);
    let (code, document, stderr) = git.json(&["staged"], &main);
    assert_eq!(code, 0, "{stderr}");
    let said = notices(&document);
    assert!(
        said.contains("staged submodules were not scanned") && said.contains("`vendor/lib`"),
        "{said}"
    );
}

#[test]
fn a_linked_worktree_is_scanned_from_inside() {
    let git = Git::new();
    let mut repo = TestRepo::new();
    let mut fake = Fake::new(709);
    let (old, staged, tree) = (fake.cline_key(), fake.cline_key(), fake.cline_key());
    repo.stage("old.toml", config_with(&old));
    repo.commit("Old");
    repo.remove("old.toml");
    repo.commit("Remove");
    let outside = TempDir::new().unwrap();
    let linked = outside.path().join("linked");
    git.run(
        repo.path(),
        &[
            "worktree",
            "add",
            "--quiet",
            "-b",
            "topic",
            linked.to_str().unwrap(),
        ],
    );
    std::fs::write(linked.join("staged.toml"), config_with(&staged)).unwrap();
    git.run(&linked, &["add", "staged.toml"]);
    std::fs::write(linked.join("tree.toml"), config_with(&tree)).unwrap();

    let (code, document, stderr) = git.json(&["history"], &linked);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(found_paths(&document, "cline-api-key"), ["old.toml"]);

    let (code, document, stderr) = git.json(&["staged"], &linked);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(found_paths(&document, "cline-api-key"), ["staged.toml"]);

    let (code, document, stderr) = git.json(&["scan"], &linked);
    assert_eq!(code, 1, "{stderr}");
    let mut paths = found_paths(&document, "cline-api-key");
    paths.sort();
    assert_eq!(paths.len(), 2, "{paths:?}");
    assert!(paths[0].ends_with("staged.toml") && paths[1].ends_with("tree.toml"));
}

#[test]
fn a_hundred_thousand_refs_are_all_followed() {
    const REFS: usize = 100_000;
    let git = Git::new();
    let mut repo = TestRepo::new();
    let mut fake = Fake::new(710);
    let mut commits = Vec::new();
    for number in 0..20 {
        repo.stage("notes.txt", format!("note {number}\n"));
        commits.push(repo.commit(&format!("Note {number}")));
    }
    // A key only on a commit that a single tag among the many reaches.
    repo.branch_and_switch("hidden");
    repo.stage("secret.toml", config_with(&fake.cline_key()));
    let hidden = repo.commit("Hidden");
    repo.switch("main");
    repo.repo
        .find_reference("refs/heads/hidden")
        .unwrap()
        .delete()
        .unwrap();
    let mut packed = String::from("# pack-refs with: peeled fully-peeled sorted \n");
    let mut refs: Vec<(String, git2::Oid)> = (0..REFS)
        .map(|number| {
            (
                format!("refs/tags/build-{number:06}"),
                commits[number % commits.len()],
            )
        })
        .collect();
    refs.push(("refs/tags/build-zzz".into(), hidden));
    refs.sort();
    for (name, id) in &refs {
        packed.push_str(&format!("{id} {name}\n"));
    }
    std::fs::write(repo.repo.path().join("packed-refs"), packed).unwrap();
    let listed = git.run(repo.path(), &["for-each-ref", "--count=3", "refs/tags/"]);
    assert_eq!(listed.lines().count(), 3, "git reads the packed refs");

    let (code, document, stderr) = git.json(&["history"], repo.path());
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(found_paths(&document, "cline-api-key"), ["secret.toml"]);
    assert_eq!(document["complete"], true);
}

/// A text file of `size` bytes (lines of words) with a key on its last line.
fn huge_text(size: usize, key: &str) -> Vec<u8> {
    let line = b"alpha beta gamma delta value buffer index cache token state retry limit\n";
    let mut text = Vec::with_capacity(size + 100);
    while text.len() + line.len() < size {
        text.extend_from_slice(line);
    }
    text.extend_from_slice(format!("CLINE_API_KEY = \"{key}\"\n").as_bytes());
    text
}

#[test]
#[ignore = "commits a 300 MB blob; run with --include-ignored (CI does)"]
fn a_blob_of_hundreds_of_megabytes_is_skipped_with_its_size_or_scanned_when_allowed() {
    let git = Git::new();
    let mut repo = TestRepo::new();
    let key = Fake::new(711).cline_key();
    let text = huge_text(300 << 20, &key);
    let size = text.len() as u64;
    repo.stage("dump/huge.log", &text);
    drop(text);
    repo.stage("config/app.toml", config_with(&Fake::new(712).cline_key()));
    repo.commit("A huge log");

    let (code, document, stderr) = git.json(&["history"], repo.path());
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(found_paths(&document, "cline-api-key"), ["config/app.toml"]);
    let skipped = &document["summary"]["skipped"];
    assert_eq!(skipped[0]["path"], "dump/huge.log", "{skipped}");
    assert_eq!(skipped[0]["reason"], "too-large");
    assert_eq!(skipped[0]["size"], size);

    let limit = (size + 1).to_string();
    let (code, document, stderr) = git.json(&["history", "--max-file-size", &limit], repo.path());
    assert_eq!(code, 1, "{stderr}");
    let mut paths = found_paths(&document, "cline-api-key");
    paths.sort();
    assert_eq!(paths, ["config/app.toml", "dump/huge.log"]);
    assert_eq!(document["summary"]["skipped"].as_array().unwrap().len(), 0);
}
