#!/usr/bin/env bash
# ESM-2 forward: framegen (bench_esm) against plain PyTorch (torch_esm.py) on the
# same random weights, side by side at each thread count, and a table.
#
#   bench/run_esm_compare.sh [--threads "2 16"] [--out DIR] [--build DIR]
#                            [--weights-dir DIR] [--tsv FILE] [--budget S] [--quick]
#
# Cases (both implementations, B = 1 unless varlen):
#   uniform  t6_8M, t12_35M, t30_150M, t33_650M at L = 256 and 512 tokens, logits
#   varlen   the same shapes, 16 sequences with lengths drawn from structures.tsv
#            (framegen packs them; PyTorch pads to the longest, as fair-esm does)
#   maps     t6_8M and t12_35M at L = 256, 512 with every layer's hidden states and
#            all attention maps (the frozen-ESM pair path)
#   cache    framegen only: a 100-step sampler loop over 8 all-mask samples with the
#            token-keyed cache against running ESM every step
# Output: DIR/esm_bench.jsonl (one JSON line per case) and DIR/esm_table.md.
# Budget: a case runs until 3 timed samples or --budget seconds (default 10);
# each process is stopped after 240 s. The whole run (2 and 16 threads) is
# planned to take about 5 minutes on a 16-vCPU Xeon; --quick runs only t6/t12.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
threads="2 16" out="$root/out/esm_bench" build="$root/build" wdir="${TMPDIR:-/tmp}/fg_esm_weights"
tsv="" budget=10 shapes="t6_8M,t12_35M,t30_150M,t33_650M"
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) threads=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    --weights-dir) wdir=$2; shift 2 ;;
    --tsv) tsv=$2; shift 2 ;;
    --budget) budget=$2; shift 2 ;;
    --quick) shapes="t6_8M,t12_35M"; shift ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "run_esm_compare: unknown option $1" >&2; exit 2 ;;
  esac
done
if [ -z "$tsv" ]; then
  for c in "${FRAMEGEN_SHARED:-/nonexistent}/data/structures.tsv" "$root/../shared/data/structures.tsv" \
           "$root/shared/data/structures.tsv"; do
    [ -f "$c" ] && tsv=$c && break
  done
fi
# The built-in lengths are the same 16 draws from structures.tsv.
[ -n "$tsv" ] || echo "run_esm_compare: structures.tsv not found; the benches use their built-in lengths" >&2
mkdir -p "$out" "$wdir"
jsonl="$out/esm_bench.jsonl"
: > "$jsonl"

bench="$build/bench/bench_esm"
if [ ! -x "$bench" ]; then
  echo "== building bench_esm in $build" >&2
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null &&
    cmake --build "$build" -j "$(nproc)" --target bench_esm >/dev/null || { echo "build failed" >&2; exit 1; }
fi
py=${PYTHON:-}
if [ -z "$py" ]; then
  for c in python3 /usr/bin/python3 python; do
    if command -v "$c" >/dev/null && "$c" -c "import torch" 2>/dev/null; then py=$c; break; fi
  done
fi
[ -n "$py" ] || echo "run_esm_compare: no python with torch found; framegen only" >&2

common=(--tsv "${tsv:-none}" --weights-dir "$wdir" --budget "$budget")
small=$(echo "$shapes" | tr ',' '\n' | grep -E '^t(6_8M|12_35M)$' | paste -sd, -)
for t in $threads; do
  export OMP_NUM_THREADS=$t OPENBLAS_NUM_THREADS=$t MKL_NUM_THREADS=$t
  echo "== $t threads" >&2
  # framegen first: it writes the weights files PyTorch then loads.
  timeout 240 "$bench" --threads "$t" --shapes "$shapes" --modes uniform,varlen "${common[@]}" | tee -a "$jsonl"
  if [ -n "$small" ]; then
    timeout 240 "$bench" --threads "$t" --shapes "$small" --modes maps,cache "${common[@]}" | tee -a "$jsonl"
  fi
  if [ -n "$py" ]; then
    timeout 240 "$py" "$root/bench/torch_esm.py" --threads "$t" --shapes "$shapes" --modes uniform,varlen \
      "${common[@]}" | tee -a "$jsonl"
    if [ -n "$small" ]; then
      timeout 240 "$py" "$root/bench/torch_esm.py" --threads "$t" --shapes "$small" --modes maps \
        "${common[@]}" | tee -a "$jsonl"
    fi
  fi
done

table() {
  "${py:-python3}" - "$jsonl" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip().startswith("{")]
key = lambda r: (r["shape"], r["mode"], r["L"], r["threads"])
fg = {key(r): r for r in rows if r["impl"] == "framegen" and r["mode"] != "cache"}
th = {key(r): r for r in rows if r["impl"] == "torch"}
order = {"t6_8M": 0, "t12_35M": 1, "t30_150M": 2, "t33_650M": 3}
print("| shape | case | threads | tokens (padded) | PyTorch s | framegen s | speed-up | PyTorch RSS MB | framegen RSS MB |")
print("|---|---|---|---|---|---|---|---|---|")
for k in sorted(set(fg) | set(th), key=lambda k: (k[3], order.get(k[0], 9), k[1], k[2])):
    f, t = fg.get(k), th.get(k)
    case = k[1] + ("" if k[1] == "varlen" else " L=%d" % k[2])
    tok = (f or t)["tokens"]
    pad = t["padded_tokens"] if t else tok
    fs = "%.4f" % f["median_s"] if f else "-"
    ts = "%.4f" % t["median_s"] if t else "-"
    sp = "%.2fx" % (t["median_s"] / f["median_s"]) if f and t else "-"
    fr = "%.0f" % f["peak_rss_mb"] if f else "-"
    tr = "%.0f" % t["peak_rss_mb"] if t else "-"
    print("| %s | %s | %d | %d (%d) | %s | %s | %s | %s | %s |" % (k[0], case, k[3], tok, pad, ts, fs, sp, tr, fr))
cache = [r for r in rows if r["mode"] == "cache"]
if cache:
    print("\nSampler loop, 100 steps, 8 all-mask samples of 128 residues (frozen ESM, single reps):\n")
    print("| shape | threads | ESM every step s | with cache s | ESM passes | saving |")
    print("|---|---|---|---|---|---|")
    for r in cache:
        print("| %s | %d | %.2f | %.3f | %d | %.1f%% |" % (r["shape"], r["threads"], r["total_s_no_cache"],
              r["total_s_cache"], r["esm_passes_cache"], 100 * r["saving"]))
EOF
}
table | tee "$out/esm_table.md"
