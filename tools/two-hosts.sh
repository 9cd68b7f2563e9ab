#!/usr/bin/env bash
# N round trips A -> B -> A of a torpor guest between two QEMU-hosted Xens
# (tools/harness/run-two-hosts.sh, outside the test command), then the checker
# and a summary of each hop (xl migrate time, the client's longest stall, the
# clocks across it). Takes the QEMU lock (/tmp/torpor-qemu.lock) for the run.
# usage: bash tools/two-hosts.sh [N]   (default 3)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
rounds=${1:-3}
[ "$rounds" -ge 1 ] 2>/dev/null || { sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
build=$(bash "$root/tools/build.sh" | tail -n 1)
out=$build/two-hosts-results
start=$(date +%s)
# about 3 min to boot both and create the guest, then ~2-3 min a round trip under TCG
flock /tmp/torpor-qemu.lock bash "$root/tools/harness/run-two-hosts.sh" \
  --kernel "$build/torpor.elf" --out "$out" --rounds "$rounds" --timeout $((480 + rounds * 420)) \
  || echo "two-hosts: the run itself failed; the checker says where" >&2
rc=0
python3 "$root/tools/harness/check_torpor_two_hosts.py" "$out/torpor-two-hosts" "$rounds" > "$out/check.txt" || rc=$?
grep -E '^(FAIL|  hop|  client)' "$out/check.txt" || true
tail -n 1 "$out/check.txt"
echo "two-hosts: $rounds round trip(s) in $(( $(date +%s) - start )) s; results in $out"
exit $rc
