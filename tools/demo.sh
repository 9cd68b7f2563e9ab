#!/usr/bin/env bash
# The demo: builds torpor and the harness, boots Xen 4.17 in QEMU (TCG), runs
# torpor as a 4-vCPU PV domU through xl save/restore, save -c, migrate,
# migrate --live and a failed migration (plus 3 mixed cycles), and the Linux PV
# baseline through the same operations; then prints what happened and torpor's
# own console (heartbeat and counter lines left out), and what the dom0 network
# client saw where it ran (Linux, and torpor unless TORPOR_DEMO_NET=0).
# Results stay in $TORPOR_BUILD_DIR/demo-results.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$(bash "$root/tools/build.sh" | tail -n 1)
results=$build/demo-results
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sed -e 's/^CYCLES=${CYCLES:-[0-9]*}$/CYCLES=${CYCLES:-3}/' -e "s/^NET=\${NET:-1}$/NET=${TORPOR_DEMO_NET:-1}/" \
  "$root/tools/harness/scenarios/torpor-suspend.sh" > "$work/torpor-suspend.sh"
# The scenario's defaults must have been rewritten (they once drifted apart:
# the demo then ran CI's 16 cycles).
grep -qx 'CYCLES=${CYCLES:-3}' "$work/torpor-suspend.sh" &&
  grep -qx "NET=${TORPOR_DEMO_NET:-1}" "$work/torpor-suspend.sh" ||
  { echo "demo: cannot set torpor-suspend's CYCLES/NET defaults" >&2; exit 1; }
bash "$root/tools/harness/run-suite.sh" --kernel "$build/torpor.elf" --out "$results" \
  "$work/torpor-suspend.sh" linux-baseline || echo "demo: the harness run reported a failure"
for scenario in torpor-suspend linux-baseline; do
  echo
  echo "=== $scenario: steps (name, rc, ms) ==="
  column -t "$results/$scenario/steps.tsv" 2>/dev/null || cat "$results/$scenario/steps.tsv"
done
echo
echo "=== torpor's console (xenconsoled logs; heartbeats and counters left out) ==="
for log in "$results"/torpor-suspend/console/guest-s.log \
           "$results"/torpor-suspend/console/guest-s--incoming.log; do
  [ -f "$log" ] || continue
  echo "--- $(basename "$log")"
  grep -v -e '] heartbeat ' -e '] counters:' -e '] cpustats:' "$log"
done
for scenario in torpor-suspend linux-baseline; do
  net=$results/$scenario/net
  [ -f "$net/target" ] || continue
  echo
  echo "=== $scenario: the dom0 client's TCP stream to $(cut -d' ' -f1 "$net/target"):7 ==="
  cat "$net/summary" 2>/dev/null || echo "(no summary: the client did not finish)"
  echo "bytes echoed and the longest wait for an echo, per operation:"
  column -t "$net/windows.tsv" 2>/dev/null || cat "$net/windows.tsv" 2>/dev/null
  echo "gratuitous ARPs seen on xenbr0: $(awk -F'\t' 'NR > 1 && $6 == 1 { print $7 }' \
    "$net/arp.tsv" 2>/dev/null | tr '\n' ' ')"
done
echo
echo "=== checks ==="
python3 "$root/tools/harness/check_torpor_suspend.py" "$results/torpor-suspend" | tail -n 8 || true
python3 "$root/tools/harness/check_linux_baseline.py" "$results/linux-baseline" | tail -n 3 || true
