//! Maps what was found in history blobs back to commits and paths.
//!
//! A blob was scanned once, under one of its paths; here each finding is expanded to every
//! path that ever held the blob (keeping only paths the rule applies to), merged into one
//! finding per rule, secret and path, and given the commit that first introduced it plus
//! counts and a sample of the other places. Env files ever committed become
//! `dotenv-in-history` findings from the same pass.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::rc::Rc;

use git2::Repository;

use super::index::HistoryIndex;
use crate::finding::{fingerprint, Commit, Finding, Location, Provenance};
use crate::rules::Rule;
use crate::scan::envfile::{hygiene_rule, is_hygiene_subject, HygieneRule};
use crate::scan::matcher::Matcher;
use crate::scan::{Found, Origin};

/// How many other places a finding lists by name.
const SAMPLE: usize = 5;

/// The commits (by walk order) holding something at one path.
#[derive(Debug, Default)]
struct Commits {
    first: usize,
    count: usize,
    sample: Vec<usize>,
}

impl Commits {
    fn add(&mut self, commit: usize) {
        if self.count == 0 || commit < self.first {
            self.first = commit;
        }
        self.count += 1;
        if self.sample.len() <= SAMPLE {
            self.sample.push(commit);
        }
    }

    fn merge(&mut self, other: &Commits) {
        self.first = if self.count == 0 {
            other.first
        } else {
            self.first.min(other.first)
        };
        self.count += other.count;
        self.sample.extend_from_slice(&other.sample);
        self.sample.sort_unstable();
        self.sample.dedup();
        self.sample.truncate(SAMPLE + 1);
    }
}

/// For each rule and secret, the paths holding it with the first commit of each.
type PathsOfSecret<'a> = HashMap<(&'a str, &'a str), Vec<(usize, &'a Rc<str>)>>;

/// One finding being assembled: the earliest blob's finding and where else it is.
struct Merged {
    finding: Finding,
    commits: Commits,
}

/// What to report besides secrets, and which paths to leave out.
#[derive(Debug, Default)]
pub struct Wanted {
    /// Report each env file ever committed (`dotenv-in-history`).
    pub env_files: bool,
    /// Paths whose findings are left out.
    pub exclusions: crate::scan::git::Exclusions,
}

/// Expands, merges and annotates the findings of a history scan, leaving out excluded paths
/// and adding one finding for each env file ever committed when wanted.
pub fn resolve(
    index: &HistoryIndex,
    repository: Option<&Repository>,
    mut found: Vec<Found>,
    matcher: &Matcher,
    wanted_findings: &Wanted,
) -> Vec<Finding> {
    // One finding per blob, rule and secret: the earliest line in the blob.
    found.sort_by(|a, b| {
        (
            origin_key(a),
            &a.finding.rule.id,
            &a.finding.secret,
            &a.finding.location,
        )
            .cmp(&(
                origin_key(b),
                &b.finding.rule.id,
                &b.finding.secret,
                &b.finding.location,
            ))
    });
    found.dedup_by(|a, b| {
        origin_key(a) == origin_key(b)
            && a.finding.rule.id == b.finding.rule.id
            && a.finding.secret == b.finding.secret
    });

    let wanted: HashSet<u32> = found
        .iter()
        .filter_map(|found| index.object_number(origin_key(found)?))
        .collect();
    let mut by_blob: HashMap<u32, Vec<(Rc<str>, Commits)>> = HashMap::new();
    let mut env_files: BTreeMap<Rc<str>, Commits> = BTreeMap::new();
    let mut at: HashMap<(u32, Rc<str>), usize> = HashMap::new();
    let is_env_file = |path: &str| wanted_findings.env_files && is_hygiene_subject(path);
    let exclusions = &wanted_findings.exclusions;
    index.places(&wanted, &is_env_file, &mut |commit, path, blob| {
        if exclusions.is_excluded(path) {
            return;
        }
        if is_env_file(path) {
            env_files.entry(path.clone()).or_default().add(commit);
        }
        if wanted.contains(&blob) {
            let paths = by_blob.entry(blob).or_default();
            let slot = *at.entry((blob, path.clone())).or_insert_with(|| {
                paths.push((path.clone(), Commits::default()));
                paths.len() - 1
            });
            paths[slot].1.add(commit);
        }
    });

    let rules: HashMap<&str, &Rule> = matcher
        .rules()
        .iter()
        .map(|rule| (rule.info.id.as_str(), rule))
        .collect();
    let mut merged: BTreeMap<(String, String, Rc<str>), Merged> = BTreeMap::new();
    for found in found {
        let Some(blob) = origin_key(&found).and_then(|id| index.object_number(id)) else {
            continue;
        };
        let rule = rules.get(found.finding.rule.id.as_str());
        for (path, commits) in by_blob.get(&blob).into_iter().flatten() {
            if rule.is_some_and(|rule| !rule.applies_to(path)) {
                continue;
            }
            let secret = found
                .finding
                .secret
                .as_ref()
                .map(|s| s.expose().to_string());
            let key = (
                found.finding.rule.id.clone(),
                secret.unwrap_or_default(),
                path.clone(),
            );
            match merged.get_mut(&key) {
                Some(existing) => {
                    if commits.first < existing.commits.first {
                        existing.finding = relocate(&found.finding, path);
                    }
                    existing.commits.merge(commits);
                }
                None => {
                    let mut copy = Commits::default();
                    copy.merge(commits);
                    let finding = relocate(&found.finding, path);
                    merged.insert(
                        key,
                        Merged {
                            finding,
                            commits: copy,
                        },
                    );
                }
            }
        }
    }

    let describe = Describer::new(index, repository);
    let mut paths_of: PathsOfSecret<'_> = HashMap::new();
    for ((rule, secret, path), entry) in &merged {
        paths_of
            .entry((rule, secret))
            .or_default()
            .push((entry.commits.first, path));
    }
    let mut findings = Vec::with_capacity(merged.len() + env_files.len());
    for ((rule, secret, path), entry) in &merged {
        let others = &paths_of[&(rule.as_str(), secret.as_str())];
        let elsewhere: Vec<(usize, &str)> = others
            .iter()
            .filter(|(_, other)| *other != path)
            .map(|(commit, other)| (*commit, &***other))
            .collect();
        let mut finding = entry.finding.clone();
        finding.provenance = Some(describe.provenance(path, &entry.commits, &elsewhere));
        findings.push(finding);
    }
    for (path, commits) in &env_files {
        let mut finding = Finding::about_file(
            hygiene_rule(HygieneRule::InHistory),
            Location::whole_file(&**path),
        );
        finding.provenance = Some(describe.provenance(path, commits, &[]));
        findings.push(finding);
    }
    findings
}

fn origin_key(found: &Found) -> Option<git2::Oid> {
    match found.origin {
        Origin::History(id) => Some(id),
        _ => None,
    }
}

/// The finding moved to another path that holds the same blob.
fn relocate(finding: &Finding, path: &str) -> Finding {
    let mut moved = finding.clone();
    moved.location.path = path.to_string();
    let secret = moved.secret.as_ref().map(|secret| secret.expose());
    moved.fingerprint = fingerprint(&moved.rule.id, secret, path);
    moved
}

/// Turns commit numbers into described commits, reading each at most once.
struct Describer<'a> {
    index: &'a HistoryIndex,
    repository: Option<&'a Repository>,
    cache: std::cell::RefCell<HashMap<usize, Commit>>,
}

impl<'a> Describer<'a> {
    fn new(index: &'a HistoryIndex, repository: Option<&'a Repository>) -> Describer<'a> {
        Describer {
            index,
            repository,
            cache: Default::default(),
        }
    }

    fn commit(&self, number: usize) -> Commit {
        if let Some(commit) = self.cache.borrow().get(&number) {
            return commit.clone();
        }
        let id = self.index.commits()[number].0;
        let described = self
            .repository
            .and_then(|repository| repository.find_commit(id).ok())
            .map_or_else(
                || Commit {
                    id: id.to_string(),
                    author: String::new(),
                    email: String::new(),
                    date: String::new(),
                    subject: String::new(),
                },
                |commit| crate::scan::git::describe_commit(&commit),
            );
        self.cache.borrow_mut().insert(number, described.clone());
        described
    }

    fn short(&self, number: usize) -> String {
        let id = self.index.commits()[number].0.to_string();
        id[..10].to_string()
    }

    /// Provenance for `path`: its first commit, the count of the others, and a sample of
    /// other places, this path's later commits and other paths' first commits, oldest first.
    fn provenance(&self, path: &str, commits: &Commits, elsewhere: &[(usize, &str)]) -> Provenance {
        let mut places: Vec<(usize, &str)> = commits
            .sample
            .iter()
            .filter(|commit| **commit != commits.first)
            .map(|commit| (*commit, path))
            .chain(elsewhere.iter().copied())
            .collect();
        places.sort_unstable();
        places.truncate(SAMPLE);
        Provenance {
            commit: self.commit(commits.first),
            other_commits: commits.count.saturating_sub(1),
            other_paths: elsewhere.len(),
            other_occurrences: places
                .into_iter()
                .map(|(commit, path)| format!("{}:{path}", self.short(commit)))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merged_commit_lists_keep_the_first_the_count_and_a_short_sample() {
        let mut early = Commits::default();
        for commit in [3, 4, 9] {
            early.add(commit);
        }
        let mut late = Commits::default();
        for commit in 1..=8 {
            late.add(commit * 10);
        }
        assert_eq!(late.sample.len(), SAMPLE + 1);

        let mut merged = Commits::default();
        merged.merge(&late);
        merged.merge(&early);
        assert_eq!(merged.first, 3);
        assert_eq!(merged.count, 11);
        assert_eq!(merged.sample, vec![3, 4, 9, 10, 20, 30]);
    }
}
