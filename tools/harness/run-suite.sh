#!/usr/bin/env bash
# run-suite.sh --kernel TORPOR_ELF --out RESULTDIR SCENARIO...
# One QEMU boot running the given scenarios with the torpor image at
# /payload/torpor.elf. Exits 0 when QEMU ran to the end and results were
# extracted (scenario verdicts are the checkers' job), non-zero otherwise.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
kernel="" out="" scenarios=()
while [ $# -gt 0 ]; do
  case $1 in
    --kernel) kernel=${2:?}; shift 2 ;;
    --out) out=${2:?}; shift 2 ;;
    *) scenarios+=("$1"); shift ;;
  esac
done
[ -f "$kernel" ] && [ -n "$out" ] && [ ${#scenarios[@]} -gt 0 ] \
  || { sed -n '2,5p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
payload=$(mktemp -d)
trap 'rm -rf "$payload"' EXIT
rm -rf "$out"
# Limits: each scenario, and the whole QEMU run; the results disk's size
# (override all three for long soaks); TORPOR_QEMU_MEM and TORPOR_DOM0_MEM
# (MiB) size the machine (tools/bench.sh).
scenario_limit=${TORPOR_SCENARIO_TIMEOUT:-900}
qemu_limit=${TORPOR_QEMU_TIMEOUT:-2300}
results_mb=${TORPOR_RESULTS_MB:-256}
bash "$here/make-payload.sh" "$payload" "${scenarios[@]}" --file "$kernel=torpor.elf" \
  --scenario-timeout "$scenario_limit" >/dev/null
rc=0
machine=()
[ -z "${TORPOR_QEMU_MEM:-}" ] || machine+=(--mem "$TORPOR_QEMU_MEM")
[ -z "${TORPOR_DOM0_MEM:-}" ] || machine+=(--dom0-mem "$TORPOR_DOM0_MEM")
bash "$here/run.sh" --payload "$payload" --out "$out" --timeout "$qemu_limit" \
  --results-mb "$results_mb" "${machine[@]}" || rc=$?
# run.sh exits 1 when a scenario failed but QEMU finished: the checkers report that.
[ "$rc" -le 1 ] && [ -f "$out/payload.rc" ] && exit 0
echo "run-suite: the harness run itself failed (rc=$rc); see $out/serial.log" >&2
exit 1
