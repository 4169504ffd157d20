#!/usr/bin/env bash
# Working-tree benchmark: clinescan against ripgrep given the same patterns, on a generated
# corpus with planted secrets (wall-time medians, ratio, recall and precision) and on a real
# source tree (wall-time medians and ratio). CPU times are printed too: on a shared machine
# they are steadier than wall times. See bench/README.md.
#
# Usage: bench/tree.sh [--size-mb N] [--runs N] [--work DIR] [--real-tree DIR]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
size_mb=100
runs=10
work="${TMPDIR:-/tmp}/clinescan-bench"
real_tree=""
generator="${MAKE_CORPUS:-$repo/../shared/bench/make_corpus.py}"

while [ $# -gt 0 ]; do
    case "$1" in
        --size-mb) size_mb="$2"; shift 2 ;;
        --runs) runs="$2"; shift 2 ;;
        --work) work="$2"; shift 2 ;;
        --real-tree) real_tree="$2"; shift 2 ;;
        -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
        *) echo "tree.sh: unknown argument \`$1\`" >&2; exit 2 ;;
    esac
done

if [ -z "$real_tree" ]; then
    for candidate in "$HOME"/.cargo/registry/src/*/; do
        [ -d "$candidate" ] && real_tree="$candidate" && break
    done
fi

for tool in rg hyperfine python3; do
    if ! command -v "$tool" >/dev/null; then
        echo "tree.sh: \`$tool\` is missing; install it (apt-get install -y ripgrep hyperfine)" >&2
        exit 2
    fi
done

echo "== building clinescan (release)" >&2
cargo build --release --quiet --manifest-path "$repo/Cargo.toml"
clinescan="$repo/target/release/clinescan"

mkdir -p "$work"
corpus="$work/corpus-${size_mb}m"
truth="$corpus.truth.json"
if [ ! -f "$truth" ]; then
    echo "== generating a ${size_mb} MB corpus in $corpus" >&2
    python3 "$generator" --out "$corpus" --size-mb "$size_mb" --force >&2
fi

patterns="$work/patterns.txt"
python3 "$here/patterns.py" "$repo"/rules/*.toml > "$patterns"

# Both tools: hidden files read, ignore files honoured, output discarded (clinescan exits 1
# when it finds something, hence `|| true`).
scan_cmd() { echo "$clinescan scan --format json $1 > /dev/null 2>&1 || true"; }
rg_cmd() { echo "rg --hidden --no-messages -f $patterns $1 > /dev/null || true"; }

# Prints the median wall time of clinescan and ripgrep on a tree, and their ratio. The runs
# are split into rounds that alternate the two tools, so that load from other processes on a
# shared machine weighs on both alike.
measure() {
    local name="$1" tree="$2" rounds=3 round
    local per_round=$(( (runs + rounds - 1) / rounds ))
    for round in $(seq 1 "$rounds"); do
        hyperfine --style basic --warmup 1 --runs "$per_round" \
            --export-json "$work/$name.round$round.json" \
            --command-name clinescan "$(scan_cmd "$tree")" \
            --command-name ripgrep "$(rg_cmd "$tree")" >&2
    done
    python3 - "$name" "$work/$name".round*.json <<'PY'
import json, statistics, sys
times = {"clinescan": [], "ripgrep": []}
cpu = {"clinescan": [], "ripgrep": []}
for path in sys.argv[2:]:
    for result in json.load(open(path))["results"]:
        times[result["command"]].extend(result["times"])
        cpu[result["command"]].append(result["user"] + result["system"])
scan, rg = (statistics.median(times[tool]) for tool in ("clinescan", "ripgrep"))
scan_cpu, rg_cpu = (statistics.mean(cpu[tool]) for tool in ("clinescan", "ripgrep"))
print(f"{sys.argv[1]}: clinescan {scan:.3f} s, ripgrep {rg:.3f} s (wall medians of "
      f"{len(times['clinescan'])} runs each), ratio clinescan/ripgrep {scan / rg:.2f}; "
      f"CPU (user+system) {scan_cpu:.3f} s vs {rg_cpu:.3f} s, ratio {scan_cpu / rg_cpu:.2f}")
PY
}

echo "== corpus ($size_mb MB)" >&2
measure corpus "$corpus"
"$clinescan" scan --format json --show-secrets "$corpus" > "$work/corpus.report.json" || true
python3 "$here/score.py" "$work/corpus.report.json" "$truth"

if [ -n "$real_tree" ] && [ -d "$real_tree" ]; then
    echo "== real tree: $real_tree" >&2
    measure real-tree "$real_tree"
    findings=$("$clinescan" scan --format json "$real_tree" 2>/dev/null \
        | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["findings"]))' || true)
    echo "real tree: $findings findings"
fi
