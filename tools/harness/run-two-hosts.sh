#!/usr/bin/env bash
# run-two-hosts.sh --kernel ELF --out OUTDIR [--rounds N] [--timeout S] [--delay S]
#                  [--first a|b] [--mem MB] [--smp N]
#                  [--guest torpor|linux] [--guest-mem MB] [--guest-vcpus N]
# Two QEMU-hosted Xens at once, their dom0s on one virtual L2 (a QEMU socket
# netdev between the QEMUs, a virtio-net NIC bridged into each dom0's xenbr0):
# host A (10.77.0.1) runs scenarios/torpor-two-hosts-a.sh, host B (10.77.0.11)
# torpor-two-hosts-b.sh; together they move a torpor guest A -> B -> A N times
# (--rounds, default 1; --guest linux: the Linux PV baseline instead, for the
# bench; --guest-mem and --guest-vcpus, default 64 and 4); the guest's disk is
# one raw image both QEMUs have as a virtio disk (a shared LUN, /dev/vdb in each
# dom0). The host named by --first (default b) boots --delay s (default 30)
# before the other, so that the two Xens' system times differ: B first means the
# guest, born on A, arrives on a host whose Xen has been up longer (its clock
# offset turns negative; A first: positive). Each QEMU is run.sh's (hard limit
# --timeout, default 900 s, for the whole run). Results: OUTDIR is host A's
# run.sh result dir, OUTDIR/host-b host B's; both scenarios are named
# torpor-two-hosts there (OUTDIR/torpor-two-hosts,
# OUTDIR/host-b/torpor-two-hosts); each host's progress in OUTDIR/host-a.log,
# host-b.log.
# Run it under `flock /tmp/torpor-qemu.lock` (one lock for both QEMUs).
# Exits 0 when both QEMUs ran to the end and returned results (the verdict is
# check_torpor_two_hosts.py's), 1 otherwise, 2 on bad usage.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/host/common.sh"
usage() { sed -n '2,4p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
kernel='' out='' rounds=1 timeout=900 delay=30 mem=1536 smp=2 first=b
guest=torpor guest_mem=64 guest_vcpus=4
while [ $# -gt 0 ]; do
  case $1 in
    --kernel) kernel=${2:?}; shift 2 ;;
    --out) out=${2:?}; shift 2 ;;
    --rounds) rounds=${2:?}; shift 2 ;;
    --timeout) timeout=${2:?}; shift 2 ;;
    --delay) delay=${2:?}; shift 2 ;;
    --mem) mem=${2:?}; shift 2 ;;
    --smp) smp=${2:?}; shift 2 ;;
    --first) first=${2:?}; shift 2 ;;
    --guest) guest=${2:?}; shift 2 ;;
    --guest-mem) guest_mem=${2:?}; shift 2 ;;
    --guest-vcpus) guest_vcpus=${2:?}; shift 2 ;;
    *) usage ;;
  esac
done
[ -f "$kernel" ] && [ -n "$out" ] || usage
[ "$rounds" -ge 1 ] && [ "$timeout" -gt $((delay + 120)) ] && [[ $first =~ ^[ab]$ ]] \
  && [[ $guest =~ ^(torpor|linux)$ ]] && [ "$guest_mem" -ge 16 ] && [ "$guest_vcpus" -ge 1 ] || usage

[ ! -e "$out" ] || [ -z "$(ls -A "$out")" ] || [ -e "$out/.harness-results" ] \
  || { echo "run-two-hosts: $out is not empty and not a harness result dir" >&2; exit 2; }
work=$(mktemp -d)
bash "$here/prepare.sh" > /dev/null || die "prepare.sh failed"  # once, before both QEMUs
printf 'ROUNDS=%s GUEST=%s MEMORY=%s VCPUS=%s\n' "$rounds" "$guest" "$guest_mem" "$guest_vcpus" \
  > "$work/two-hosts.conf"
for h in a b; do  # one scenario name on both hosts: their result dirs look alike
  mkdir -p "$work/$h"
  cp "$here/scenarios/torpor-two-hosts-$h.sh" "$work/$h/torpor-two-hosts.sh"
  bash "$here/make-payload.sh" "$work/payload-$h" "$work/$h/torpor-two-hosts.sh" \
    --file "$kernel=torpor.elf" --file "$work/two-hosts.conf=two-hosts.conf" \
    --file "$here/scenarios/torpor-two-hosts-common.sh=scenarios/torpor-two-hosts-common.sh" \
    --scenario-timeout $((timeout - delay - 90)) > /dev/null
done
# The LUN both hosts share (run.sh --shared-disk: each dom0's /dev/vdb), the
# guest's xvda on both: its disk follows it. Zeros: the checker reads the
# guest's records back from it (host A keeps them after the shutdown).
truncate -s 64M "$work/shared.img"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

pids=()
stop_all() {  # each run.sh leads its own process group (setsid): QEMU goes with it
  local p
  for p in ${pids[@]+"${pids[@]}"}; do kill -- -"$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap stop_all EXIT
trap 'exit 1' INT TERM
host() {  # host NAME TIMEOUT OUT RUN_SH_ARGS...: run.sh for one host, in the background
  local name=$1 limit=$2 dir=$3
  shift 3
  setsid bash "$here/run.sh" --payload "$work/payload-$name" --out "$dir" \
    --timeout "$limit" --mem "$mem" --smp "$smp" --shared-disk "$work/shared.img" "$@" \
    > >(sed -u "s/^/$name: /" | tee "$work/host-$name.log" >&2) 2>&1 &
  pids+=($!)
}
# The host started first listens on the L2 socket, the other connects.
start_a() {
  host a "$1" "$out" --dom0-args "harness.host=a" --l2 "$2=127.0.0.1:$port" \
    --l2-mac 52:54:00:77:00:01
}
start_b() {  # into $work/host-b, moved into OUTDIR at the end (A's run.sh empties OUTDIR)
  host b "$1" "$work/host-b" --l2 "$2=127.0.0.1:$port" --l2-mac 52:54:00:77:00:11 \
    --dom0-args "harness.host=b harness.ip=10.77.0.11 harness.mac=00:16:3e:77:00:11"
}
second=$([ "$first" = a ] && echo b || echo a)
hlog "two hosts: ${first^^} now, ${second^^} in ${delay}s; L2 on 127.0.0.1:$port; hard limit ${timeout}s"
"start_$first" "$timeout" listen
sleep "$delay"
"start_$second" $((timeout - delay)) connect
rc_a=0 rc_b=0 pid_a=${pids[0]} pid_b=${pids[1]}
[ "$first" = a ] || { pid_a=${pids[1]} pid_b=${pids[0]}; }
wait "$pid_a" || rc_a=$?
wait "$pid_b" || rc_b=$?
pids=()
rm -rf "$out/host-b"
mv "$work/host-b" "$out/host-b" 2>/dev/null || true
cp "$work/host-a.log" "$work/host-b.log" "$out/" 2>/dev/null || true
hlog "host A: run.sh rc=$rc_a; host B: run.sh rc=$rc_b"
# run.sh exits 1 when a scenario failed but QEMU finished: the checker says which.
[ "$rc_a" -le 1 ] && [ "$rc_b" -le 1 ] && [ -f "$out/payload.rc" ] \
  && [ -f "$out/host-b/payload.rc" ] && exit 0
echo "run-two-hosts: a harness run itself failed (A rc=$rc_a, B rc=$rc_b); see" \
  "$out/serial.log, $out/host-b/serial.log" >&2
exit 1
