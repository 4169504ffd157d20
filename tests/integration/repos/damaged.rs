//! Damaged repositories: a corrupt pack, missing blobs, trees and commits, a ref to a missing
//! commit. What cannot be read is named by id, the rest is scanned, and the scan is partial.

use std::io::Write;
use std::path::Path;
use std::process::Stdio;

use super::{config_with, found_paths, notices, Git};
use crate::common::Fake;
use crate::repo::TestRepo;

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
