# The shipped default model against the 16 samples drawn by the upstream
# sampler (../shared/models/default/samples): a reduced run (2 samples at
# lengths 60 and 100, 100 steps, exp rate 10 as that run) must agree in mean
# consecutive CA-CA distance and per-length radius of gyration within the
# tolerances of scripts/check_default_samples.py. The full comparison (4
# lengths x 4 samples) is that script; docs/default-model-check.md has its result.
set -u
fg=$1
src=${FG_SOURCE_DIR:?}
shared=${FRAMEGEN_SHARED:-$src/../shared}
ups=$shared/models/default/samples
if [ ! -d "$ups" ]; then echo "skipped: no upstream samples at $ups"; exit 77; fi
command -v python3 >/dev/null || { echo "skipped: no python3"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '60\n100\n' >"$tmp/lengths"
"$fg" generate --config "$src/configs/default.json" --lengths-file "$tmp/lengths" --num-samples 2 \
    --steps 100 --seed 1234 --out "$tmp/out" 2>"$tmp/err" || { cat "$tmp/err"; exit 1; }
grep -q "^model status: early checkpoint" "$tmp/err" || { echo "FAIL: the model's status line was not printed"; exit 1; }
python3 "$src/scripts/check_default_samples.py" "$tmp/out" "$ups"
