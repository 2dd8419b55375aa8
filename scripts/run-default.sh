#!/usr/bin/env bash
# Builds framegen and runs its main job on the default configuration: the
# small model shipped in models/default generates 2 backbones at each of two
# lengths (100 steps) into out/default, with the summary printed at the end.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/build.sh" release
"$root/build/framegen" --version
"$root/build/framegen" generate --config "$root/configs/default.json" \
    --lengths 60-80:20 --num-samples 2 --steps 100 --seed 1 \
    --out "$root/out/default" --threads "$(nproc)"
column -t -s $'\t' "$root/out/default/summary.tsv" 2>/dev/null || cat "$root/out/default/summary.tsv"
