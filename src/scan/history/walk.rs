//! The commits a history scan reads: those reachable from the starting points and not from the
//! hidden commits, oldest first (every commit after its parents, earlier dates first).
//!
//! libgit2's revision walker stops at the first commit it cannot read, which in a damaged
//! repository would leave everything older unscanned without saying what. This walk reads each
//! commit itself: one that cannot be read is named in a notice and left out, and the walk goes
//! on through every other path, so only what is reachable solely through it is lost.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};

use git2::{Oid, Repository};

use crate::scan::Notice;

/// A commit met by the walk, before ordering.
struct Node {
    id: Oid,
    tree: Oid,
    time: i64,
    /// Indexes (into the walk's nodes) of its parents that are part of the walk.
    parents: Vec<u32>,
}

/// The commits reachable from `tips` and not from `hidden`, each with its root tree, oldest
/// first. Commits that cannot be read are reported in `notices` and left out.
pub fn commits(
    repository: &Repository,
    tips: &[Oid],
    hidden: &[Oid],
    notices: &mut Vec<Notice>,
) -> Vec<(Oid, Oid)> {
    let hidden = reachable(repository, hidden);
    let mut numbers: HashMap<Oid, u32> = HashMap::new();
    let mut nodes: Vec<Node> = Vec::new();
    let mut parent_ids: Vec<Vec<Oid>> = Vec::new();
    let mut unreadable: HashSet<Oid> = HashSet::new();
    let mut pending: Vec<Oid> = tips.to_vec();
    while let Some(id) = pending.pop() {
        if hidden.contains(&id) || numbers.contains_key(&id) || unreadable.contains(&id) {
            continue;
        }
        let commit = match repository.find_commit(id) {
            Ok(commit) => commit,
            Err(error) => {
                notices.push(super::object_notice("commit", id, &error));
                unreadable.insert(id);
                continue;
            }
        };
        numbers.insert(id, nodes.len() as u32);
        nodes.push(Node {
            id,
            tree: commit.tree_id(),
            time: commit.time().seconds(),
            parents: Vec::new(),
        });
        let parents: Vec<Oid> = commit.parent_ids().collect();
        pending.extend(parents.iter().copied());
        parent_ids.push(parents);
    }
    for (node, parents) in nodes.iter_mut().zip(parent_ids) {
        node.parents = parents
            .iter()
            .filter_map(|parent| numbers.get(parent).copied())
            .collect();
    }
    oldest_first(&nodes)
}

/// Every commit reachable from `starts` (those that cannot be read end their line quietly:
/// hiding less only means scanning more).
fn reachable(repository: &Repository, starts: &[Oid]) -> HashSet<Oid> {
    let mut seen = HashSet::new();
    let mut pending = starts.to_vec();
    while let Some(id) = pending.pop() {
        if !seen.insert(id) {
            continue;
        }
        match repository.find_commit(id) {
            Ok(commit) => pending.extend(commit.parent_ids()),
            Err(error) => tracing::debug!("cannot read hidden commit `{id}`: {}", error.message()),
        }
    }
    seen
}

/// Orders the nodes so that each comes after its parents, and among those ready, the earliest
/// commit date first (ties by id, so the order is deterministic).
fn oldest_first(nodes: &[Node]) -> Vec<(Oid, Oid)> {
    let mut waiting: Vec<u32> = nodes.iter().map(|node| node.parents.len() as u32).collect();
    let mut children: Vec<Vec<u32>> = vec![Vec::new(); nodes.len()];
    for (number, node) in nodes.iter().enumerate() {
        for parent in &node.parents {
            children[*parent as usize].push(number as u32);
        }
    }
    let key = |number: u32| {
        let node = &nodes[number as usize];
        Reverse((node.time, node.id, number))
    };
    let mut ready: BinaryHeap<_> = (0..nodes.len() as u32)
        .filter(|number| waiting[*number as usize] == 0)
        .map(key)
        .collect();
    let mut ordered = Vec::with_capacity(nodes.len());
    while let Some(Reverse((_, _, number))) = ready.pop() {
        let node = &nodes[number as usize];
        ordered.push((node.id, node.tree));
        for child in &children[number as usize] {
            waiting[*child as usize] -= 1;
            if waiting[*child as usize] == 0 {
                ready.push(key(*child));
            }
        }
    }
    ordered
}
