#!/usr/bin/env bash
# Builds framegen into a build directory: scripts/build.sh [release|sanitize] [DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
kind=${1:-release}
"$root/scripts/install-deps.sh"
case "$kind" in
  release)  dir=${2:-$root/build};      opts=(-DCMAKE_BUILD_TYPE=Release) ;;
  sanitize) dir=${2:-$root/build-asan}; opts=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DFG_SANITIZE=ON) ;;
  *) echo "usage: scripts/build.sh [release|sanitize] [DIR]" >&2; exit 2 ;;
esac
cmake -S "$root" -B "$dir" -DFG_WERROR=ON "${opts[@]}" >/dev/null
cmake --build "$dir" -j "$(nproc)"
