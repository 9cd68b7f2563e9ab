#!/usr/bin/env bash
# The demo: builds torpor and the harness, boots Xen 4.17 in QEMU, runs torpor
# as a PV domU (boot, control/shutdown handling, xl shutdown) and the Linux PV
# baseline (xl save/restore/migrate --live), then prints what happened and
# torpor's own console. Results stay in $TORPOR_BUILD_DIR/demo-results.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$(bash "$root/tools/build.sh" | tail -n 1)
results=$build/demo-results
bash "$root/tools/harness/run-suite.sh" --kernel "$build/torpor.elf" --out "$results" \
  torpor-boot linux-baseline || echo "demo: the harness run reported a failure (see above)"
for scenario in torpor-boot linux-baseline; do
  echo
  echo "=== $scenario: steps (name, rc, ms) ==="
  column -t "$results/$scenario/steps.tsv" 2>/dev/null || cat "$results/$scenario/steps.tsv"
done
echo
echo "=== torpor's console (xenconsoled log) ==="
cat "$results/torpor-boot/console/guest-torpor.log"
echo
echo "=== checks ==="
python3 "$root/tools/harness/check_torpor_boot.py" "$results/torpor-boot" \
  "$(sed -n 's/.*TORPOR_VERSION_STRING "\(.*\)"/\1/p' "$build/generated/kernel/version.h")" || true
python3 "$root/tools/harness/check_linux_baseline.py" "$results/linux-baseline" || true
