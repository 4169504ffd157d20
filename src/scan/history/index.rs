//! The compact record of a history walk: commits in order, each distinct tree's entries once,
//! and each distinct blob with one path it is known under.
//!
//! Object ids and entry names are interned to 32-bit numbers, so a tree entry costs 8 bytes
//! however long its name; entries are stored in chunks of 16, each distinct chunk once, so the
//! versions of a folder share what did not change. Which commits and paths hold a blob is not
//! stored but derived, for the few blobs that need it, by [`HistoryIndex::places`].

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::rc::Rc;
use std::sync::Arc;

use git2::{FileMode, ObjectType, Oid, Repository, Tree};

use crate::scan::Notice;

/// One entry of a recorded tree, packed in 8 bytes: the name's number, and the object's number
/// with [`SUBTREE`] set for subtrees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Entry {
    name: u32,
    object_and_kind: u32,
}

/// Entries per chunk of a recorded tree.
const CHUNK: usize = 16;

/// The bit of [`Entry::object_and_kind`] marking a subtree.
const SUBTREE: u32 = 1 << 31;

impl Entry {
    fn new(name: u32, object: u32, is_tree: bool) -> Entry {
        let kind = if is_tree { SUBTREE } else { 0 };
        Entry {
            name,
            object_and_kind: object | kind,
        }
    }

    fn object(self) -> u32 {
        self.object_and_kind & !SUBTREE
    }

    fn is_tree(self) -> bool {
        self.object_and_kind & SUBTREE != 0
    }
}

/// What a history walk found, without any blob content.
#[derive(Debug, Default)]
pub struct HistoryIndex {
    objects: Vec<Oid>,
    object_numbers: HashMap<Oid, u32, BuildHasherDefault<OidHasher>>,
    names: Vec<Arc<str>>,
    name_numbers: HashMap<Box<[u8]>, u32>,
    /// Per object number: once recorded as a tree, the numbers of the chunks holding its
    /// entries in order. A new version of a folder usually differs from the last in an entry
    /// or two, so most of its chunks are shared with earlier versions and stored once.
    trees: Vec<Option<Box<[u32]>>>,
    /// The distinct chunks of [`CHUNK`] entries (fewer at a tree's end), one after another.
    chunk_entries: Vec<Entry>,
    /// Where each chunk starts in `chunk_entries`; one more, at the end, closes the last.
    chunk_starts: Vec<u32>,
    /// A chunk's content hash to its number, to store each distinct chunk once.
    chunk_numbers: HashMap<u64, u32>,
    /// Commits, oldest first, with their root tree's object number.
    commits: Vec<(Oid, u32)>,
    blobs: Vec<(u32, Box<str>)>,
    /// Per object number: whether it is a blob already listed in `blobs`.
    is_listed: Vec<bool>,
    /// Paths of submodules (commits of other repositories, not scanned), with how often a
    /// new tree held one.
    submodules: BTreeMap<Box<str>, usize>,
}

/// Object ids are already uniformly random: their first bytes are a good hash.
#[derive(Debug, Default)]
struct OidHasher(u64);

impl Hasher for OidHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = self.0.rotate_left(23) ^ u64::from_le_bytes(word);
        }
    }
}

impl HistoryIndex {
    /// Records a commit and walks the trees below its root `tree` not recorded yet.
    pub fn add_commit(
        &mut self,
        repository: &Repository,
        commit: Oid,
        tree: Oid,
        notices: &mut Vec<Notice>,
    ) {
        let root = self.intern_object(tree);
        self.commits.push((commit, root));
        let mut pending = vec![(root, String::new())];
        while let Some((object, prefix)) = pending.pop() {
            if self.trees[object as usize].is_some() {
                continue;
            }
            let id = self.objects[object as usize];
            let entries = match repository.find_tree(id) {
                Ok(tree) => self.record_tree(&tree, &prefix, &mut pending),
                Err(error) => {
                    notices.push(super::object_notice("tree", id, &error));
                    Vec::new()
                }
            };
            let chunks = self.store_chunks(&entries);
            self.trees[object as usize] = Some(chunks);
        }
    }

    /// The entries of `tree`, listing its new blobs and queueing its new subtrees on the way.
    fn record_tree(
        &mut self,
        tree: &Tree<'_>,
        prefix: &str,
        pending: &mut Vec<(u32, String)>,
    ) -> Vec<Entry> {
        let mut entries = Vec::with_capacity(tree.len());
        for entry in tree.iter() {
            let is_tree = match (entry.kind(), entry.filemode()) {
                (Some(ObjectType::Tree), _) => true,
                (Some(ObjectType::Blob), mode)
                    if mode == i32::from(FileMode::Blob)
                        || mode == i32::from(FileMode::BlobExecutable) =>
                {
                    false
                }
                // A submodule is a commit of another repository, whose objects this one does
                // not hold: noted, not scanned.
                (Some(ObjectType::Commit), _) => {
                    let name = String::from_utf8_lossy(entry.name_bytes());
                    let path = if prefix.is_empty() {
                        name.into_owned()
                    } else {
                        format!("{prefix}/{name}")
                    };
                    *self.submodules.entry(path.into_boxed_str()).or_default() += 1;
                    continue;
                }
                // Symbolic links hold only a target path.
                _ => continue,
            };
            let name = self.intern_name(entry.name_bytes());
            let object = self.intern_object(entry.id());
            entries.push(Entry::new(name, object, is_tree));
            // Paths are built only for what is new: most entries were seen in earlier trees.
            let is_new = if is_tree {
                self.trees[object as usize].is_none()
            } else {
                !std::mem::replace(&mut self.is_listed[object as usize], true)
            };
            if !is_new {
                continue;
            }
            let name = &self.names[name as usize];
            let path = if prefix.is_empty() {
                name.to_string()
            } else {
                format!("{prefix}/{name}")
            };
            if is_tree {
                pending.push((object, path));
            } else {
                self.blobs.push((object, path.into_boxed_str()));
            }
        }
        entries
    }

    /// Stores a tree's entries as chunks, each distinct chunk once; returns their numbers.
    fn store_chunks(&mut self, entries: &[Entry]) -> Box<[u32]> {
        if self.chunk_starts.is_empty() {
            self.chunk_starts.push(0);
        }
        entries
            .chunks(CHUNK)
            .map(|chunk| {
                let mut hasher = std::collections::hash_map::DefaultHasher::new();
                chunk.hash(&mut hasher);
                let hash = hasher.finish();
                if let Some(&number) = self.chunk_numbers.get(&hash) {
                    if self.chunk(number) == chunk {
                        return number;
                    }
                }
                let number = (self.chunk_starts.len() - 1) as u32;
                self.chunk_entries.extend_from_slice(chunk);
                self.chunk_starts.push(self.chunk_entries.len() as u32);
                // On a hash collision the first chunk keeps the slot; this one is stored apart.
                self.chunk_numbers.entry(hash).or_insert(number);
                number
            })
            .collect()
    }

    fn chunk(&self, number: u32) -> &[Entry] {
        let start = self.chunk_starts[number as usize] as usize;
        let end = self.chunk_starts[number as usize + 1] as usize;
        &self.chunk_entries[start..end]
    }

    /// The entries of a recorded tree, in order (none for a tree not recorded).
    fn entries(&self, tree: u32) -> impl Iterator<Item = Entry> + '_ {
        self.trees[tree as usize]
            .as_deref()
            .unwrap_or_default()
            .iter()
            .flat_map(|chunk| self.chunk(*chunk).iter().copied())
    }

    fn intern_object(&mut self, id: Oid) -> u32 {
        let next = self.objects.len() as u32;
        let number = *self.object_numbers.entry(id).or_insert(next);
        if number == next {
            self.objects.push(id);
            self.trees.push(None);
            self.is_listed.push(false);
        }
        number
    }

    fn intern_name(&mut self, name: &[u8]) -> u32 {
        if let Some(number) = self.name_numbers.get(name) {
            return *number;
        }
        let number = self.names.len() as u32;
        self.names.push(Arc::from(String::from_utf8_lossy(name)));
        self.name_numbers.insert(name.into(), number);
        number
    }

    /// The distinct blobs, each with the first path it was seen under.
    pub fn blobs(&self) -> &[(u32, Box<str>)] {
        &self.blobs
    }

    /// The paths at which some commit holds a submodule, which the scan does not enter.
    pub fn submodules(&self) -> impl ExactSizeIterator<Item = &str> {
        self.submodules.keys().map(|path| &**path)
    }

    /// The id of an interned object.
    pub fn object_id(&self, object: u32) -> Oid {
        self.objects[object as usize]
    }

    /// The interned number of a blob or tree, if the walk met it.
    pub fn object_number(&self, id: Oid) -> Option<u32> {
        self.object_numbers.get(&id).copied()
    }

    /// Commits walked, oldest first.
    pub fn commits(&self) -> &[(Oid, u32)] {
        &self.commits
    }

    /// How many commits were walked.
    pub fn commit_count(&self) -> usize {
        self.commits.len()
    }

    /// The bytes the recorded trees take: their distinct chunks of entries (8 bytes each) and
    /// each tree's list of chunk numbers (4 bytes each), the bulk of the index.
    pub fn entry_bytes(&self) -> usize {
        let chunk_numbers: usize = self.trees.iter().flatten().map(|tree| tree.len()).sum();
        self.chunk_entries.len() * std::mem::size_of::<Entry>() + chunk_numbers * 4
    }

    /// How many distinct trees were read.
    pub fn tree_count(&self) -> usize {
        self.trees.iter().filter(|tree| tree.is_some()).count()
    }

    /// Calls `visit(commit number, path, blob)` for every place, in every commit (oldest
    /// first), that holds a blob in `wanted` or a file whose name `is_wanted_name` accepts.
    /// Which trees hold something wanted is worked out once per distinct tree (one byte
    /// each); each commit's tree is then descended only into those, so no expanded list of
    /// places is ever kept per tree. Equal paths are handed out as one shared string.
    pub fn places(
        &self,
        wanted: &HashSet<u32>,
        is_wanted_name: &dyn Fn(&str) -> bool,
        visit: &mut dyn FnMut(usize, &Rc<str>, u32),
    ) {
        let mut is_wanted = vec![false; self.objects.len()];
        for object in wanted {
            is_wanted[*object as usize] = true;
        }
        let mut search = PlaceSearch {
            index: self,
            is_wanted,
            wanted_names: self.names.iter().map(|name| is_wanted_name(name)).collect(),
            holds: vec![Holds::Unknown; self.objects.len()],
            paths: HashSet::new(),
            path: String::new(),
        };
        for (number, (_, root)) in self.commits.iter().enumerate() {
            if search.holds_wanted(*root) {
                search.visit_tree(number, *root, visit);
            }
        }
    }
}

/// Whether a tree holds something wanted, at any depth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Holds {
    Unknown,
    Yes,
    No,
}

/// What [`HistoryIndex::places`] looks for, by object and name number.
struct PlaceSearch<'a> {
    index: &'a HistoryIndex,
    is_wanted: Vec<bool>,
    wanted_names: Vec<bool>,
    holds: Vec<Holds>,
    /// Every path handed out so far, shared.
    paths: HashSet<Rc<str>>,
    /// The path of the tree being visited, with a trailing `/` unless at the root.
    path: String,
}

impl PlaceSearch<'_> {
    fn is_wanted_blob(&self, entry: Entry) -> bool {
        self.is_wanted[entry.object() as usize] || self.wanted_names[entry.name as usize]
    }

    fn holds_wanted(&mut self, tree: u32) -> bool {
        match self.holds[tree as usize] {
            Holds::Yes => return true,
            Holds::No => return false,
            Holds::Unknown => {}
        }
        let index = self.index;
        let holds = index.entries(tree).any(|entry| {
            if entry.is_tree() {
                self.holds_wanted(entry.object())
            } else {
                self.is_wanted_blob(entry)
            }
        });
        self.holds[tree as usize] = if holds { Holds::Yes } else { Holds::No };
        holds
    }

    fn visit_tree(
        &mut self,
        commit: usize,
        tree: u32,
        visit: &mut dyn FnMut(usize, &Rc<str>, u32),
    ) {
        let index = self.index;
        let length = self.path.len();
        for entry in index.entries(tree) {
            let name = &index.names[entry.name as usize];
            if entry.is_tree() {
                if self.holds_wanted(entry.object()) {
                    self.path.push_str(name);
                    self.path.push('/');
                    self.visit_tree(commit, entry.object(), visit);
                    self.path.truncate(length);
                }
            } else if self.is_wanted_blob(entry) {
                self.path.push_str(name);
                let path = match self.paths.get(self.path.as_str()) {
                    Some(path) => path.clone(),
                    None => {
                        let path: Rc<str> = Rc::from(self.path.as_str());
                        self.paths.insert(path.clone());
                        path
                    }
                };
                self.path.truncate(length);
                visit(commit, &path, entry.object());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use git2::{Signature, Time};

    /// Commits `files` (path, content) as the whole tree, on top of `parent`.
    fn commit(repository: &Repository, files: &[(&str, &str)], parent: Option<Oid>) -> Oid {
        let mut index = git2::Index::new().unwrap();
        for (path, content) in files {
            let blob = repository.blob(content.as_bytes()).unwrap();
            let mut entry = git2::IndexEntry {
                ctime: git2::IndexTime::new(0, 0),
                mtime: git2::IndexTime::new(0, 0),
                dev: 0,
                ino: 0,
                mode: 0o100644,
                uid: 0,
                gid: 0,
                file_size: content.len() as u32,
                id: blob,
                flags: 0,
                flags_extended: 0,
                path: path.as_bytes().to_vec(),
            };
            entry.flags = entry.path.len().min(0xfff) as u16;
            index.add(&entry).unwrap();
        }
        let tree = repository
            .find_tree(index.write_tree_to(repository).unwrap())
            .unwrap();
        let signature = Signature::new("Ada", "ada@example.com", &Time::new(1, 0)).unwrap();
        let parents: Vec<_> = parent
            .map(|id| repository.find_commit(id).unwrap())
            .into_iter()
            .collect();
        let parents: Vec<_> = parents.iter().collect();
        repository
            .commit(None, &signature, &signature, "c", &tree, &parents)
            .unwrap()
    }

    #[test]
    fn trees_and_blobs_are_recorded_once_and_places_found_in_every_commit() {
        let dir = tempfile::TempDir::new().unwrap();
        let repository = Repository::init_bare(dir.path()).unwrap();
        let shared = ("lib/shared.txt", "same in both");
        let first = commit(&repository, &[shared, ("a.txt", "one")], None);
        let second = commit(
            &repository,
            &[shared, ("a.txt", "two"), ("b/a.txt", "one")],
            Some(first),
        );

        let mut index = HistoryIndex::default();
        let mut notices = Vec::new();
        for id in [first, second] {
            let tree = repository.find_commit(id).unwrap().tree_id();
            index.add_commit(&repository, id, tree, &mut notices);
        }
        assert!(notices.is_empty());
        // Roots of both commits, `lib` once, `b` once.
        assert_eq!(index.tree_count(), 4);
        let paths: Vec<&str> = index.blobs().iter().map(|(_, path)| &**path).collect();
        assert_eq!(paths.len(), 3, "{paths:?}");

        let one = repository.blob(b"one").unwrap();
        let wanted = HashSet::from([index.object_number(one).unwrap()]);
        let mut seen = Vec::new();
        index.places(
            &wanted,
            &|name| name == "shared.txt",
            &mut |commit, path, _| {
                seen.push((commit, path.to_string()));
            },
        );
        seen.sort();
        let expected = [
            (0, "a.txt"),
            (0, "lib/shared.txt"),
            (1, "b/a.txt"),
            (1, "lib/shared.txt"),
        ];
        let expected: Vec<(usize, String)> =
            expected.iter().map(|(c, p)| (*c, p.to_string())).collect();
        assert_eq!(seen, expected);
    }
}
