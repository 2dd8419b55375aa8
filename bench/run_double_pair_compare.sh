#!/usr/bin/env bash
# Side-by-side timing of one DoublePairAttention block: framegen
# (bench_double_pair) vs PyTorch eager (torch_double_pair.py), same sizes
# (c_z 128, bottleneck 32, FiLM, B = 1, L = 64..512), for each thread count.
#
#   bench/run_double_pair_compare.sh [-b BUILD_DIR] [-s SIZES] [THREADS ...]
#   e.g. bench/run_double_pair_compare.sh -b build 2 16
#
# Prints the JSON lines of both programs (to keep) and then a table.
# PYTHON selects the interpreter (default python3). About 15 s per thread count.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="$here/../build"
sizes="64,128,256,512"
while getopts "b:s:" opt; do
  case "$opt" in
    b) build="$OPTARG" ;;
    s) sizes="$OPTARG" ;;
    *) echo "usage: $0 [-b BUILD_DIR] [-s SIZES] [THREADS ...]" >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
threads=("$@")
[ ${#threads[@]} -gt 0 ] || threads=(2)
py="${PYTHON:-python3}"
bench="$build/bench/bench_double_pair"
[ -x "$bench" ] || { echo "$bench not found: build first (cmake --build $build)" >&2; exit 1; }

out="$(mktemp)"
trap 'rm -f "$out"' EXIT
for t in "${threads[@]}"; do
  OMP_NUM_THREADS="$t" "$bench" --threads "$t" --sizes "$sizes" | tee -a "$out"
  OMP_NUM_THREADS="$t" "$py" "$here/torch_double_pair.py" --threads "$t" --sizes "$sizes" | tee -a "$out"
done

"$py" - "$out" <<'EOF'
import json, sys
rows = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    side = "c" if r["impl"] == "framegen" else "torch"
    rows.setdefault((r["threads"], r["L"]), {})[side] = r
print()
print("%7s %5s | %12s %12s %8s | %10s %10s | %8s %8s" % (
    "threads", "L", "framegen ms", "torch ms", "speedup", "C GFLOP/s", "T GFLOP/s", "C RSS MB", "T RSS MB"))
for (t, L), r in sorted(rows.items()):
    c, p = r.get("c"), r.get("torch")
    if not c or not p:
        continue
    print("%7d %5d | %12.3f %12.3f %7.2fx | %10.1f %10.1f | %8.1f %8.1f" % (
        t, L, c["median_ms"], p["median_ms"], p["median_ms"] / c["median_ms"], c["gflops"], p["gflops"],
        c["peak_rss_mb"], p["peak_rss_mb"]))
any_torch = next((r["torch"]["impl"] for r in rows.values() if "torch" in r), "torch")
print("(%s; median of >= 5 runs each; GFLOP/s = nominal block FLOPs / median)" % any_torch)
EOF
