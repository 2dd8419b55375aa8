#!/usr/bin/env bash
# Downloads the Debian packages scripts/device-build.sh unpacks on a machine
# without a package manager. Run on a Debian 12 machine with network access.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$root/.debs"
cd "$root/.debs"
apt-get download libopenblas0-openmp libopenblas-openmp-dev liblapacke liblapacke-dev \
  libcjson1 libcjson-dev gemmi-dev tao-pegtl-dev libstb-dev libgfortran5 libtmglib3 zlib1g-dev
