#!/usr/bin/env bash
# Builds framegen and runs its main job on the default configuration.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/build.sh" release
"$root/build/framegen" --version
"$root/build/framegen" info "$root/tests/fixtures/transition.safetensors"
