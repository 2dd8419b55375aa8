#!/usr/bin/env bash
# framegen's "ipa" block (bench_ipa) side by side with the plain PyTorch eager
# twin (torch_ipa.py) at the same thread counts; prints both JSON streams,
# then one table row per (threads, L).
#   bench/run_ipa_compare.sh [-b BUILD_DIR] [-p PYTHON] [-L 64,128,256,512] [-s SECONDS] THREADS...
# e.g. bench/run_ipa_compare.sh -b build -p python3 2 16
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=build py=python3 lens=64,128,256,512 secs=1
while getopts b:p:L:s: opt; do
  case $opt in
    b) build=$OPTARG ;;
    p) py=$OPTARG ;;
    L) lens=$OPTARG ;;
    s) secs=$OPTARG ;;
    *) echo "usage: $0 [-b BUILD_DIR] [-p PYTHON] [-L lengths] [-s seconds] THREADS..." >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || set -- 2
bench="$build/bench/bench_ipa"
[ -x "$bench" ] || { echo "$bench not found: build first (cmake --build $build)" >&2; exit 1; }
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for t in "$@"; do
  OMP_NUM_THREADS=$t "$bench" --threads "$t" --L "$lens" --seconds "$secs" | tee -a "$log"
  OMP_NUM_THREADS=$t "$py" "$here/torch_ipa.py" --threads "$t" --L "$lens" --seconds "$secs" | tee -a "$log"
done
"$py" - "$log" <<'PY'
import json, sys
rows = {}
for line in open(sys.argv[1]):
    line = line.strip()
    if line.startswith("{"):
        d = json.loads(line)
        rows.setdefault((d["threads"], d["L"]), {})["fg" if d["impl"] == "framegen" else "pt"] = d
print()
print("%3s %4s | %10s %10s %7s | %-22s | %-22s | %-22s | %s" % (
    "thr", "L", "fg ms", "torch ms", "speedup", "IPA ms fg/torch", "seq ms fg/torch", "edge ms fg/torch",
    "edge/sgemm fg (torch)"))
for (t, L) in sorted(rows):
    r = rows[(t, L)]
    fg, pt = r.get("fg"), r.get("pt")
    if not fg or not pt:
        continue
    pair = lambda k: "%9.2f / %9.2f" % (fg[k], pt[k])
    print("%3d %4d | %10.2f %10.2f %6.2fx | %-22s | %-22s | %-22s | %.2f (%.2f)" % (
        t, L, fg["block_ms"], pt["block_ms"], pt["block_ms"] / fg["block_ms"], pair("ipa_attention_ms"),
        pair("seq_transformer_ms"), pair("edge_transition_ms"), fg["edge_vs_sgemm"], pt["edge_vs_sgemm"]))
PY
