#!/usr/bin/env bash
# C (bench_pairformer) vs plain PyTorch eager (torch_pairformer.py) at the same
# thread counts; prints one table per thread count (C ms, torch ms, speed-up)
# plus the triangle multiplication's fraction of the sgemm rate at its shapes.
#
#   bench/run_pairformer_compare.sh [-b BENCH] [-p PYTHON] [-s C_SIZES] [-S TORCH_SIZES] [-r REPS] [-o DIR] THREADS...
#
#   -b  bench binary            (default build/bench/bench_pairformer)
#   -p  python with torch       (default python3)
#   -s  L values for C          (default 64,128,256,512)
#   -S  L values for torch      (default: the C sizes)
#   -r  timed repetitions per case (default: 10 / 5 / 3 for L < 256 / < 512 / >= 512)
#   -o  keep the raw JSON lines in DIR (default: a temporary directory)
# Example: bench/run_pairformer_compare.sh -S 64,128,256 2 16
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bench="$here/../build/bench/bench_pairformer"
py=python3
csizes=64,128,256,512
tsizes=""
out=""
reps=()
while getopts "b:p:s:S:r:o:h" opt; do
  case $opt in
    b) bench=$OPTARG ;;
    p) py=$OPTARG ;;
    s) csizes=$OPTARG ;;
    S) tsizes=$OPTARG ;;
    r) reps=(--reps "$OPTARG") ;;
    o) out=$OPTARG ;;
    *) sed -n '2,15p' "$0"; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || { sed -n '2,15p' "$0"; exit 2; }
tsizes=${tsizes:-$csizes}
[ -x "$bench" ] || { echo "no bench binary at $bench (build first, or pass -b)" >&2; exit 1; }
if [ -z "$out" ]; then out=$(mktemp -d); trap 'rm -rf "$out"' EXIT; fi
mkdir -p "$out"

for t in "$@"; do
  echo "== threads $t: C ($csizes)" >&2
  OMP_NUM_THREADS=$t "$bench" --threads "$t" --sizes "$csizes" "${reps[@]}" | tee "$out/c_$t.jsonl" >&2
  echo "== threads $t: torch ($tsizes)" >&2
  OMP_NUM_THREADS=$t "$py" "$here/torch_pairformer.py" --threads "$t" --sizes "$tsizes" "${reps[@]}" | tee "$out/torch_$t.jsonl" >&2
done

"$py" - "$out" "$@" <<'PY'
import json, sys, os
out, threads = sys.argv[1], sys.argv[2:]
order = ["pairformer_layer", "pairformer_noseq_layer", "pair_bias_layer", "tri_mul", "tri_att", "transition"]
for t in threads:
    rows = {}
    for impl in ("c", "torch"):
        path = os.path.join(out, f"{impl}_{t}.jsonl")
        for line in open(path):
            d = json.loads(line)
            rows[(impl, d["block"], d["L"])] = d
    torch_v = next((d.get("torch") for (i, _, _), d in rows.items() if i == "torch"), "?")
    print(f"\nthreads {t}  (torch {torch_v}; cpu-time x = torch / C process CPU time, for shared machines)")
    print(f"{'block':24s} {'L':>5s} {'C ms':>10s} {'torch ms':>10s} {'speed-up':>9s} {'C GF/s':>8s} {'C RSS MB':>9s}"
          f" {'cpu-time x':>10s}")
    sizes = sorted({L for (_, _, L) in rows})
    for b in order:
        for L in sizes:
            c = rows.get(("c", b, L))
            if not c:
                continue
            tt = rows.get(("torch", b, L))
            tms = f"{tt['median_ms']:10.1f}" if tt else f"{'skipped':>10s}"
            sp = f"{tt['median_ms'] / c['median_ms']:8.2f}x" if tt else f"{'-':>9s}"
            cx = f"{tt['cpu_ms'] / c['cpu_ms']:9.2f}x" if tt and c.get('cpu_ms') else f"{'-':>10s}"
            print(f"{b:24s} {L:5d} {c['median_ms']:10.1f} {tms} {sp} {c['gflops']:8.1f} {c['peak_rss_mb']:9.0f} {cx}")
    for name, ref, title in (("tri_mul", "sgemm_trimul", "triangle multiplication"),
                             ("transition", "sgemm_transition", "transition")):
        print(f"{title} vs sgemm at its shapes (C):")
        for L in sizes:
            m, sg = rows.get(("c", name, L)), rows.get(("c", ref, L))
            if m and sg:
                print(f"  L={L:4d}: {name} {m['gflops']:7.1f} GF/s, sgemm {sg['gflops']:7.1f} GF/s "
                      f"-> {100 * m['gflops'] / sg['gflops']:5.1f}% (by CPU time "
                      f"{100 * sg['cpu_ms'] / m['cpu_ms']:5.1f}%)")
PY
