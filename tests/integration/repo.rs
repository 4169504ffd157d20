//! Throwaway git repositories built with `git2`, with explicit identities and dates, so tests
//! never depend on the machine's git configuration.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use git2::{IndexAddOption, Oid, Repository, RepositoryInitOptions, Signature, Time};
use tempfile::TempDir;

/// A repository in a temporary folder, on branch `main`.
pub struct TestRepo {
    pub dir: TempDir,
    pub repo: Repository,
    clock: i64,
}

impl TestRepo {
    /// An empty repository with an unborn `main`.
    pub fn new() -> TestRepo {
        let dir = TempDir::new().expect("temporary folder");
        let mut options = RepositoryInitOptions::new();
        options.initial_head("main");
        let repo = Repository::init_opts(dir.path(), &options).expect("init");
        TestRepo {
            dir,
            repo,
            clock: 1_700_000_000,
        }
    }

    /// The working tree.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a file in the working tree and stages it.
    pub fn stage(&self, path: &str, contents: impl AsRef<[u8]>) {
        self.write(path, contents);
        let mut index = self.repo.index().unwrap();
        index.add_path(Path::new(path)).unwrap();
        index.write().unwrap();
    }

    /// Writes a file in the working tree only.
    pub fn write(&self, path: &str, contents: impl AsRef<[u8]>) {
        crate::common::write(self.path(), path, contents);
    }

    /// Deletes a file from the working tree and the index.
    pub fn remove(&self, path: &str) {
        std::fs::remove_file(self.path().join(path)).unwrap();
        let mut index = self.repo.index().unwrap();
        index.remove_path(Path::new(path)).unwrap();
        index.write().unwrap();
    }

    /// Stages every change in the working tree.
    pub fn stage_all(&self) {
        let mut index = self.repo.index().unwrap();
        index.add_all(["*"], IndexAddOption::DEFAULT, None).unwrap();
        index.update_all(["*"], None).unwrap();
        index.write().unwrap();
    }

    fn signature(&mut self) -> Signature<'static> {
        self.clock += 3600;
        Signature::new("Ada Example", "ada@example.com", &Time::new(self.clock, 60)).unwrap()
    }

    /// Commits the index on `HEAD` with the given message; returns the commit id.
    pub fn commit(&mut self, message: &str) -> Oid {
        let parents = self.head().into_iter().collect::<Vec<_>>();
        self.commit_with_parents(message, &parents)
    }

    /// Commits the index on `HEAD` with explicit parents (two for a merge).
    pub fn commit_with_parents(&mut self, message: &str, parents: &[Oid]) -> Oid {
        let signature = self.signature();
        let mut index = self.repo.index().unwrap();
        let tree = self.repo.find_tree(index.write_tree().unwrap()).unwrap();
        let parents: Vec<_> = parents
            .iter()
            .map(|id| self.repo.find_commit(*id).unwrap())
            .collect();
        let parents: Vec<_> = parents.iter().collect();
        self.repo
            .commit(
                Some("HEAD"),
                &signature,
                &signature,
                message,
                &tree,
                &parents,
            )
            .unwrap()
    }

    /// The commit `HEAD` points at, if any.
    pub fn head(&self) -> Option<Oid> {
        self.repo.head().ok().and_then(|head| head.target())
    }

    /// Creates a branch at `HEAD` and switches to it (index and working tree included).
    pub fn branch_and_switch(&self, name: &str) {
        let head = self.repo.find_commit(self.head().unwrap()).unwrap();
        self.repo.branch(name, &head, false).unwrap();
        self.switch(name);
    }

    /// Switches to an existing branch, forcing the working tree to match.
    pub fn switch(&self, name: &str) {
        self.repo.set_head(&format!("refs/heads/{name}")).unwrap();
        let mut checkout = git2::build::CheckoutBuilder::new();
        checkout.force().remove_untracked(true);
        self.repo.checkout_head(Some(&mut checkout)).unwrap();
    }

    /// Points the current branch back at `commit`, resetting index and working tree.
    pub fn reset_hard(&self, commit: Oid) {
        let object = self.repo.find_object(commit, None).unwrap();
        self.repo
            .reset(&object, git2::ResetType::Hard, None)
            .unwrap();
    }

    /// A lightweight tag at `commit`.
    pub fn tag(&self, name: &str, commit: Oid) {
        let object = self.repo.find_object(commit, None).unwrap();
        self.repo.tag_lightweight(name, &object, false).unwrap();
    }

    /// The file of a loose object, to damage it.
    pub fn loose_object_path(&self, id: Oid) -> PathBuf {
        let hex = id.to_string();
        self.repo
            .path()
            .join("objects")
            .join(&hex[..2])
            .join(&hex[2..])
    }
}
