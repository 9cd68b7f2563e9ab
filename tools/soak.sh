#!/usr/bin/env bash
# The long suspend/resume soak (not part of the test command): torpor with 4
# vCPUs, its disk writer and one dom0 TCP stream through the torpor-suspend
# scenario with CYCLES mixed cycles (default 1000) of save/restore, save -c,
# migrate --live and a migration whose receiver dies (the cancelled path), then
# the same checker: every operation, every TCP byte, every acknowledged record.
# About 12 s a cycle under TCG on a quiet machine (240 cycles: 2908 s), so
# 1000 need over 3 hours.
# usage: bash tools/soak.sh [CYCLES]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cycles=${1:-1000}
build=$(bash "$root/tools/build.sh" | tail -n 1)
out=$build/soak-results
start=$(date +%s)
# The disk image the checker reads grows by about 150 KiB a cycle.
export TORPOR_RESULTS_MB=$((256 + cycles / 2))
bash "$root/tools/harness/run-variant.sh" --kernel "$build/torpor.elf" --out "$out" \
  --limit $((600 + cycles * 30)) torpor-suspend CYCLES "$cycles"
rc=0
python3 "$root/tools/harness/check_torpor_suspend.py" "$out/torpor-suspend" > "$out/check.txt" || rc=$?
grep -v '^PASS' "$out/check.txt" | tail -n 20
echo "soak: $cycles cycles in $(( $(date +%s) - start )) s; checker rc=$rc ($(grep -c '^PASS' "$out/check.txt") passed); results in $out"
exit $rc
