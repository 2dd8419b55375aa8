#!/usr/bin/env bash
# Builds framegen on a machine where nothing can be installed (the benchmark
# machine): unpacks the Debian packages carried in .debs/ (fetched here with
# `apt-get download`, see scripts/fetch-debs.sh) into a private prefix and
# points CMake at it. Prints the environment to source for running.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
prefix=${FG_DEPS_PREFIX:-/tmp/fgdeps}
mkdir -p "$prefix"
for f in "$root"/.debs/*.deb; do dpkg -x "$f" "$prefix"; done
lib="$prefix/usr/lib/x86_64-linux-gnu"
cmake -S "$root" -B "$root/build-device" -DCMAKE_BUILD_TYPE=Release -DFG_BUILD_TESTS=ON \
  -DCMAKE_PREFIX_PATH="$prefix/usr" >/dev/null
cmake --build "$root/build-device" -j "$(nproc)" >/dev/null
echo "export LD_LIBRARY_PATH=$lib/openblas-openmp:$lib:\${LD_LIBRARY_PATH:-}"
