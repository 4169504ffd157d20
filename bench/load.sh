#!/usr/bin/env bash
# Working-tree load benchmark: peak memory (maximum resident set size) and wall time of one
# release `clinescan scan` over generated corpora of several sizes (1 GB and 100 MB by default),
# under `/usr/bin/time -v`, with ripgrep's wall time on the same tree and the same patterns as
# the reference ratio. Peak memory should not grow with the corpus; the target is 150 MB.
# The corpora are generated in a temporary folder outside the repository and deleted at the
# end (keep them with --keep). See bench/README.md.
#
# Usage: bench/load.sh [--sizes "1024 100"] [--work DIR] [--keep]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
sizes="1024 100"
work=""
keep=false
generator="${MAKE_CORPUS:-$repo/../shared/bench/make_corpus.py}"
target_mb=150

while [ $# -gt 0 ]; do
    case "$1" in
        --sizes) sizes="$2"; shift 2 ;;
        --work) work="$2"; shift 2 ;;
        --keep) keep=true; shift ;;
        -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
        *) echo "load.sh: unknown argument \`$1\`" >&2; exit 2 ;;
    esac
done

if [ ! -x /usr/bin/time ]; then
    echo "load.sh: \`/usr/bin/time\` is missing; install it (apt-get install -y time)" >&2
    exit 2
fi
for tool in rg python3; do
    if ! command -v "$tool" >/dev/null; then
        echo "load.sh: \`$tool\` is missing; install it (apt-get install -y ripgrep)" >&2
        exit 2
    fi
done

if [ -z "$work" ]; then
    work="$(mktemp -d "${TMPDIR:-/tmp}/clinescan-load.XXXXXX")"
fi
mkdir -p "$work"
if ! $keep; then
    trap 'rm -rf "$work"' EXIT
fi

echo "== building clinescan (release)" >&2
cargo build --release --quiet --manifest-path "$repo/Cargo.toml"
clinescan="$repo/target/release/clinescan"
patterns="$work/patterns.txt"
python3 "$here/patterns.py" "$repo"/rules/*.toml > "$patterns"

# Runs a command under `/usr/bin/time -v`, its stdout into a file; prints "<peak KiB> <wall s>".
measure() {
    local out="$1"; shift
    local timing="$work/time.txt"
    /usr/bin/time -v -o "$timing" "$@" > "$out" 2> "$work/stderr.txt" || true
    python3 - "$timing" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
peak = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1))
clock = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", text).group(1)
seconds = 0.0
for part in clock.split(":"):
    seconds = seconds * 60 + float(part)
print(peak, f"{seconds:.2f}")
PY
}

failed=0
for size in $sizes; do
    corpus="$work/corpus-${size}m"
    echo "== generating a ${size} MB corpus in $corpus" >&2
    python3 "$generator" --out "$corpus" --size-mb "$size" --force >&2
    bytes=$(du -sb "$corpus" | cut -f1)
    files=$(find "$corpus" -type f | wc -l)

    echo "== clinescan over $corpus" >&2
    report="$work/report-${size}m.json"
    read -r peak wall < <(measure "$report" "$clinescan" scan --format json "$corpus")
    findings=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))
print(len(r["findings"]), "complete" if r["complete"] else "INCOMPLETE")' "$report")
    cp "$work/stderr.txt" "$work/clinescan-${size}m.stderr"

    echo "== ripgrep over $corpus" >&2
    read -r rg_peak rg_wall < <(measure "$work/rg-${size}m.txt" \
        rg --hidden --no-messages -f "$patterns" "$corpus")

    peak_mb=$(( peak / 1024 ))
    verdict="under the ${target_mb} MB target"
    if [ "$peak_mb" -ge "$target_mb" ]; then
        verdict="OVER the ${target_mb} MB target"
        failed=1
    fi
    ratio=$(python3 -c "print(f'{$wall / max($rg_wall, 0.01):.2f}')")
    echo "corpus ${size} MB ($files files, $(( bytes / 1048576 )) MiB): clinescan peak" \
        "${peak_mb} MB ($verdict), wall ${wall} s, findings ${findings};" \
        "ripgrep peak $(( rg_peak / 1024 )) MB, wall ${rg_wall} s; wall ratio" \
        "clinescan/ripgrep ${ratio}"
    rm -rf "$corpus" "$work/rg-${size}m.txt"
done
exit "$failed"
