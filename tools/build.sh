#!/usr/bin/env bash
# Configures and builds torpor (kernel image + host tests) into $TORPOR_BUILD_DIR
# (default: build/ in the source tree). newlib and lwIP are built once and cached under
# ${TORPOR_CACHE:-~/.cache/torpor}.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${TORPOR_BUILD_DIR:-$root/build}
bash "$root/tools/setup-host.sh"
newlib=$(bash "$root/tools/newlib/build-newlib.sh" | tail -n 1)
lwip=$(bash "$root/tools/lwip/build-lwip.sh" "$newlib" | tail -n 1)
cmake -S "$root" -B "$build" -DTORPOR_NEWLIB_DIR="$newlib" -DTORPOR_LWIP_DIR="$lwip" >/dev/null
cmake --build "$build" -j"$(nproc)"
echo "$build"
