#!/usr/bin/env bash
# Builds everything and runs the test suite, twice: the release build and the
# AddressSanitizer + UndefinedBehaviorSanitizer build. --release-only or
# --sanitize-only runs one of them.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
kinds=(release sanitize)
case "${1:-}" in
  --release-only) kinds=(release) ;;
  --sanitize-only) kinds=(sanitize) ;;
  "") ;;
  *) echo "usage: scripts/test.sh [--release-only|--sanitize-only]" >&2; exit 2 ;;
esac
for k in "${kinds[@]}"; do
  dir="$root/build"; [ "$k" = sanitize ] && dir="$root/build-asan"
  echo "== $k build ($dir)"
  "$root/scripts/build.sh" "$k" "$dir"
  ASAN_OPTIONS=abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir "$dir" --output-on-failure -j "$(nproc)"
done
