#!/usr/bin/env bash
# Runs every test: the host unit tests and the QEMU-hosted Xen harness
# scenarios (one QEMU boot), all through ctest. Installs what it needs.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$(bash "$root/tools/build.sh" | tail -n 1)
# Build the harness images up front so ctest's time limits cover only the run.
bash "$root/tools/harness/prepare.sh" >/dev/null
cd "$build"
ctest --output-on-failure --timeout 2400 "$@"
