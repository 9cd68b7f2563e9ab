#!/usr/bin/env bash
# The long suspend/resume soak (not part of the test command): torpor with 4
# vCPUs through the torpor-suspend scenario with CYCLES mixed cycles (default
# 200) of save/restore, save -c and migrate --live, then the same checker.
# usage: bash tools/soak.sh [CYCLES]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cycles=${1:-200}
build=$(bash "$root/tools/build.sh" | tail -n 1)
out=$build/soak-results
start=$(date +%s)
# About 5 s a cycle under TCG; leave generous room.
bash "$root/tools/harness/run-variant.sh" --kernel "$build/torpor.elf" --out "$out" \
  --limit $((600 + cycles * 30)) torpor-suspend CYCLES "$cycles"
python3 "$root/tools/harness/check_torpor_suspend.py" "$out/torpor-suspend" | tail -n 12
echo "soak: $cycles cycles in $(( $(date +%s) - start )) s; results in $out"
