#!/usr/bin/env bash
# The whole flow model, framegen (bench_model) side by side with the plain
# PyTorch eager twin (torch_model.py) on the same random weights (public
# MultiFlow preset at full size, configs/multiflow.json): one sampling step
# and one whole sample of S steps at each length, one process per (impl,
# threads, L) so that peak RSS is per length. Prints both JSON streams, then
# a table with the speed-up and the memory ratio.
#   bench/run_model_compare.sh [-b BUILD_DIR] [-p PYTHON] [-L 64,128,256] [-S steps] [-s seconds] THREADS...
# e.g. bench/run_model_compare.sh -b build -p python3 2 16
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
build=$root/build py=python3 lens=64,128,256 steps=10 secs=2
while getopts b:p:L:S:s: opt; do
  case $opt in
    b) build=$OPTARG ;;
    p) py=$OPTARG ;;
    L) lens=$OPTARG ;;
    S) steps=$OPTARG ;;
    s) secs=$OPTARG ;;
    *) echo "usage: $0 [-b BUILD_DIR] [-p PYTHON] [-L lengths] [-S steps] [-s seconds] THREADS..." >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || set -- 2
bench="$build/bench/bench_model" fg="$build/framegen"
[ -x "$bench" ] && [ -x "$fg" ] || { echo "$bench or $fg not found: build first" >&2; exit 1; }
cfg="$root/configs/multiflow.json"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$fg" init-weights --config "$cfg" --out "$tmp/w.safetensors" --seed 1
log="$tmp/log"
for t in "$@"; do
  for L in ${lens//,/ }; do
    OMP_NUM_THREADS=$t "$bench" --threads "$t" --sizes "$L" --steps "$steps" --min-seconds "$secs" \
      --config "$cfg" --weights "$tmp/w.safetensors" | tee -a "$log"
    OMP_NUM_THREADS=$t "$py" "$here/torch_model.py" --threads "$t" --sizes "$L" --steps "$steps" \
      --min-seconds "$secs" --config "$cfg" --weights "$tmp/w.safetensors" | tee -a "$log"
  done
done
"$py" - "$log" <<'PY'
import json, sys
rows = {}
for line in open(sys.argv[1]):
    if line.startswith("{"):
        d = json.loads(line)
        rows.setdefault((d["threads"], d["L"]), {})["fg" if d["impl"] == "framegen" else "pt"] = d
print()
print("%3s %4s | %9s %9s %7s | %9s %9s %7s | %8s %8s %6s | %7s" % (
    "thr", "L", "step fg", "step pt", "speedup", "sample fg", "sample pt", "speedup", "RSS fg", "RSS pt",
    "ratio", "GFLOP/s"))
for (t, L) in sorted(rows):
    fg, pt = rows[(t, L)].get("fg"), rows[(t, L)].get("pt")
    if not fg or not pt:
        continue
    print("%3d %4d | %8.3fs %8.3fs %6.2fx | %8.2fs %8.2fs %6.2fx | %6.0fMB %6.0fMB %6.2f | %7.1f" % (
        t, L, fg["step_median_s"], pt["step_median_s"], pt["step_median_s"] / fg["step_median_s"],
        fg["sample_s"], pt["sample_s"], pt["sample_s"] / fg["sample_s"], fg["peak_rss_mb"], pt["peak_rss_mb"],
        fg["peak_rss_mb"] / pt["peak_rss_mb"], fg["step_gflops"]))
PY
