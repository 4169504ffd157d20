#!/usr/bin/env bash
# History load: peak memory (`/usr/bin/time -v`) and wall time of `clinescan history` on
# synthetic histories of several sizes, next to `git cat-file --batch-all-objects --batch`
# (inflating every object: the floor for reading a whole history) run in the same session.
# Issue 7's target: under 150 MB peak on a history of at least 5000 commits, not growing with
# the history beyond the walk's compact index.
#
# The repositories are built as in bench/history.sh (bench/make_history.py over the shared
# corpus generator's 20 MB tree, git fast-import, repack). Never give a tool `/dev/null` as a
# report path: one that writes its report by renaming a temporary file over the path replaces
# the device with a regular file; reports go to temporary files here.
#
# Measured on a loaded 2-core machine (all built-in rules, median of 3):
#   commits  pack       cat-file            clinescan
#   5000     66 MiB     1.54 s, 171 MiB     2.09 s (1.36 x), 63 MiB
#   20000    246 MiB   10.24 s, 355 MiB    10.19 s (1.00 x), 122 MiB
# The walk's index of tree entries (chunks of 16 entries shared between versions of a folder)
# is 3 MiB at 5000 commits and 12 MiB at 20000 (`-v` logs it). Before this work the peaks were
# 159 MiB and 989 MiB: libgit2 mapped the whole pack (1 GiB windows; now 4 MiB windows, at
# most 32 MiB mapped: 153 -> 96 MiB at 5000 commits for the same CPU time, 2.00 against
# 2.06 s), the resolve step kept every tree's expanded places (0.75 GiB at 20000 commits),
# and the entries were stored whole per tree (154 MiB at 20000 commits).
#
# Usage: bench/history-load.sh   (SIZES="5000 20000", RUNS=3 and BENCH_DIR override the defaults)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${BENCH_DIR:-$root/target/bench-history}
sizes=${SIZES:-5000 20000}
runs=${RUNS:-3}
corpus="${MAKE_CORPUS:-$root/../shared/bench/make_corpus.py}"
export GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_NAME=Bench GIT_AUTHOR_EMAIL=bench@example.com
export GIT_COMMITTER_NAME=Bench GIT_COMMITTER_EMAIL=bench@example.com
[ -x /usr/bin/time ] || { echo "install GNU time: apt-get install time" >&2; exit 1; }

cargo build --release --quiet --manifest-path "$root/Cargo.toml"
bin=$root/target/release/clinescan
mkdir -p "$work"
cd "$work"
: >empty.gitconfig
export GIT_CONFIG_GLOBAL=$work/empty.gitconfig
report=$(mktemp "$work/report.XXXXXX.json")
trap 'rm -f "$report"' EXIT

if [ ! -d history-tree ]; then
    python3 "$corpus" --out history-tree --size-mb 20 --truth history-tree.truth.json >/dev/null
fi
for commits in $sizes; do
    repo=history-$commits
    [ "$commits" = 5000 ] && [ -d history-repo/.git ] && [ ! -e "$repo" ] && ln -s history-repo "$repo"
    if [ ! -d "$repo/.git" ]; then
        echo "== building a $commits-commit history"
        rm -rf "$repo"
        git init --quiet --initial-branch main "$repo"
        python3 "$root/bench/make_history.py" history-tree "$commits" |
            git -C "$repo" fast-import --quiet
        git -C "$repo" repack -adq --depth=50 --window=50
        git -C "$repo" checkout --quiet main
    fi
done

# Runs a command under /usr/bin/time -v; prints "seconds kibibytes".
measure() {
    /usr/bin/time -v sh -c "$1 >/dev/null 2>&1 || true" 2>&1 |
        awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0;
                        for (i = 1; i <= n; i++) s = s * 60 + t[i]; wall = s }
                    /Maximum resident set size/ { rss = $2 }
                    END { print wall, rss }'
}
# The median of the runs of a command: "seconds kibibytes" (each the median of its own).
median() {
    local samples=()
    for _ in $(seq "$runs"); do samples+=("$(measure "$1")"); done
    printf '%s\n' "${samples[@]}" | python3 -c '
import statistics, sys
rows = [tuple(map(float, l.split())) for l in sys.stdin if l.strip()]
print(statistics.median(r[0] for r in rows), statistics.median(r[1] for r in rows))'
}

printf '%-8s %-10s %8s %10s %9s %14s\n' commits command wall_s peak_MiB x_catfile pack
for commits in $sizes; do
    repo=history-$commits
    pack=$(git -C "$repo" count-objects -vH | sed -n 's/size-pack: //p')
    read -r cat_s cat_kib < <(median "git -C $repo cat-file --batch-all-objects --batch")
    read -r scan_s scan_kib < <(median "$bin history -q --format json --output $report $repo")
    printf '%-8s %-10s %8.2f %10.1f %9s %14s\n' "$commits" cat-file "$cat_s" \
        "$(echo "$cat_kib / 1024" | bc -l)" 1.00 "$pack"
    printf '%-8s %-10s %8.2f %10.1f %9.2f %14s\n' "$commits" clinescan "$scan_s" \
        "$(echo "$scan_kib / 1024" | bc -l)" "$(echo "$scan_s / $cat_s" | bc -l)" "$pack"
done
