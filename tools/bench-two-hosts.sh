#!/usr/bin/env bash
# Cross-host bench (outside the test command): torpor and then the Linux PV
# baseline, each with the same memory (128 MiB), vCPUs (2), shared disk and vif,
# moved A -> B -> A N times between two QEMU-hosted Xens
# (tools/harness/run-two-hosts.sh --guest ...); one dom0 client on host A keeps
# a TCP stream through each. Prints per hop and the medians against Linux
# (xl migrate --live time, until the guest runs on the receiver, the client's
# longest wait for an echo) and writes $TORPOR_BUILD_DIR/bench/two-hosts.md.
# Takes the QEMU lock (/tmp/torpor-qemu.lock) for each run. About 6 min for
# torpor and 10 for Linux a round trip under TCG.
# usage: bash tools/bench-two-hosts.sh [N]   (default 1)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
rounds=${1:-1}
[ "$rounds" -ge 1 ] 2>/dev/null || { sed -n '11p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
build=$(bash "$root/tools/build.sh" | tail -n 1)
mkdir -p "$build/bench"
start=$(date +%s)
for guest in torpor linux; do
  echo "bench-two-hosts: $guest, $rounds round trip(s)"
  flock /tmp/torpor-qemu.lock bash "$root/tools/harness/run-two-hosts.sh" \
    --kernel "$build/torpor.elf" --out "$build/two-hosts-bench-$guest" --rounds "$rounds" \
    --guest "$guest" --guest-mem 128 --guest-vcpus 2 --timeout $((600 + rounds * 720)) \
    || echo "bench-two-hosts: the $guest run itself failed; the report says where" >&2
done
rc=0
python3 "$root/tools/bench_two_hosts_report.py" "$build/two-hosts-bench-torpor" \
  "$build/two-hosts-bench-linux" "$build/bench/two-hosts.md" > "$build/bench/two-hosts.txt" || rc=$?
grep -vE '^PASS' "$build/bench/two-hosts.txt" || true
echo "bench-two-hosts: $rounds round trip(s) each in $(( $(date +%s) - start )) s;" \
  "$build/bench/two-hosts.md (rc=$rc)"
exit $rc
