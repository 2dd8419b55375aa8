#!/usr/bin/env bash
# Runs framegen's benchmarks side by side with PyTorch on the benchmark machine
# (nothing installable there: the build uses the .debs carried in .debs/).
#   bench/device_run.sh OUTDIR STAGE...
#   stages: core double_pair ipa pairformer pairformer1024 features model esm
# Each stage writes OUTDIR/<stage>.txt; a stage is cut off after its time limit
# so the others still run.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:?usage: device_run.sh OUTDIR STAGE...}
shift
mkdir -p "$out"
if [ ! -x "$root/build-device/framegen" ]; then
  env_line=$("$root/scripts/device-build.sh") || { echo "build failed" >&2; exit 1; }
else
  env_line="export LD_LIBRARY_PATH=/tmp/fgdeps/usr/lib/x86_64-linux-gnu/openblas-openmp:/tmp/fgdeps/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}"
fi
eval "$env_line"
b="$root/build-device"
py=${PYTHON:-python3}
{ lscpu | grep -E 'Model name|^CPU\(s\)|L2|L3'; "$py" -c 'import torch; print("torch", torch.__version__)'; date -u; } > "$out/machine.txt" 2>&1

stage() { # name limit command...
  local name=$1 limit=$2; shift 2
  echo "== $name (limit ${limit}s)"
  timeout "$limit" "$@" > "$out/$name.txt" 2>&1
  echo "   exit $? ($(wc -l < "$out/$name.txt") lines)"
}

for s in "$@"; do
  case $s in
    core)
      stage core2 90 "$b/bench/bench_core" --threads 2
      stage core16 90 "$b/bench/bench_core" --threads 16 ;;
    double_pair)
      stage double_pair 150 env PYTHON="$py" "$root/bench/run_double_pair_compare.sh" -b "$b" 2 16 ;;
    ipa)
      stage ipa 240 "$root/bench/run_ipa_compare.sh" -b "$b" -p "$py" -s 1 2 16 ;;
    pairformer)
      stage pairformer 330 "$root/bench/run_pairformer_compare.sh" -b "$b/bench/bench_pairformer" -p "$py" -s 64,128,256 -S 64,128,256 -o "$out/pairformer_raw" 2 16 ;;
    pairformer1024)
      stage pairformer1024 200 "$b/bench/bench_pairformer" --threads 16 --l1024 ;;
    features)
      for t in 2 16; do
        stage "features_fg$t" 60 "$b/bench/bench_features" --threads $t --preset public --lengths 64,128,256,512
        stage "features_pt$t" 90 "$py" "$root/bench/torch_features.py" --threads $t --preset public --lengths 64,128,256,512
      done ;;
    model)
      stage model 560 "$root/bench/run_model_compare.sh" -b "$b" -p "$py" 2 16 ;;
    esm)
      stage esm 570 "$root/bench/run_esm_compare.sh" --threads "2 16" --build "$b" --out "$out/esm" ;;
    *) echo "unknown stage $s" >&2 ;;
  esac
done
