#!/usr/bin/env bash
# Installs the Debian 12 packages framegen builds with, when any is missing.
# Needs root (or sudo) only when something has to be installed.
set -euo pipefail

PACKAGES=(gcc g++ make cmake pkg-config libopenblas-openmp-dev liblapacke-dev
          libcjson-dev gemmi-dev tao-pegtl-dev libstb-dev zlib1g-dev)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
