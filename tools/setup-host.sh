#!/usr/bin/env bash
# Installs the Debian packages that building and testing torpor need (only the
# missing ones). The harness installs its own extra packages in prepare.sh.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/harness/host/common.sh"

BUILD_PACKAGES=(cmake make g++ git python3 libgtest-dev libxen-dev newlib-source dpkg-dev
  clang libclang-rt-14-dev xz-utils gnuplot-nox)
ensure_host_packages "${BUILD_PACKAGES[@]}"
