#!/usr/bin/env bash
# run.sh --payload DIR --out RESULTDIR [--timeout S] [--smp N] [--mem MB] [--dom0-mem MB]
#        [--results-mb MB] [--dom0-args ARGS] [--l2 SOCKET_SPEC --l2-mac MAC]
#        [--shared-disk IMAGE]
# Boots Xen + the harness dom0 in QEMU (TCG), runs `sh /payload/run.sh` in dom0
# (DIR is packed to /payload), and collects everything dom0 put in /results
# into RESULTDIR, with serial.log, payload.rc and the Xen/guest console logs.
# --dom0-args adds to dom0's kernel command line (harness.host=, harness.ip=,
# harness.mac=: dom0/lib.sh); --l2 gives dom0 a virtio-net NIC (eth0, bridged
# into xenbr0) on a QEMU socket netdev ("listen=127.0.0.1:PORT" or
# "connect=..."): run-two-hosts.sh joins two QEMUs with it. --shared-disk
# gives dom0 IMAGE as a second virtio disk (PCI slot 0x10, after the results
# disk: /dev/vdb, serial torpor-shared), opened without QEMU's image lock so
# that another QEMU can have it too: a LUN two hosts share (run-two-hosts.sh;
# QEMU's default writeback cache goes through this machine's page cache, so
# one QEMU reads what the other wrote).
# --timeout bounds the whole QEMU run (default 600 s); the payload itself gets
# that minus 45 s, leaving time for boot and result collection.
# Exit: 0 payload rc 0; 1 payload failed; 2 usage; 3 prepare failed;
#       4 QEMU hard timeout; 5 QEMU/dom0 did not finish or results missing.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/host/common.sh"

usage() { sed -n '2,5p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
payload='' out='' timeout=600 smp=2 mem=2048 dom0_mb='' results_mb=256 extra_dom0_args='' l2='' l2_mac='' shared_disk=''
while [ $# -gt 0 ]; do
  case $1 in
    --payload) payload=${2:?}; shift 2 ;;
    --out) out=${2:?}; shift 2 ;;
    --timeout) timeout=${2:?}; shift 2 ;;
    --smp) smp=${2:?}; shift 2 ;;
    --mem) mem=${2:?}; shift 2 ;;
    --dom0-mem) dom0_mb=${2:?}; shift 2 ;;
    --results-mb) results_mb=${2:?}; shift 2 ;;
    --dom0-args) extra_dom0_args=${2:?}; shift 2 ;;
    --l2) l2=${2:?}; shift 2 ;;
    --l2-mac) l2_mac=${2:?}; shift 2 ;;
    --shared-disk) shared_disk=${2:?}; shift 2 ;;
    *) usage ;;
  esac
done
[ -n "$payload" ] && [ -n "$out" ] || usage
[ -z "$l2" ] || [ -n "$l2_mac" ] || usage
[ -z "$shared_disk" ] || [ -f "$shared_disk" ] || { echo "run.sh: $shared_disk not found" >&2; exit 2; }
[ -f "$payload/run.sh" ] || { echo "run.sh: $payload/run.sh not found" >&2; exit 2; }

# RESULTDIR: created, or emptied if a previous run made it (never anything else).
if [ -d "$out" ] && [ -n "$(ls -A "$out")" ]; then
  [ -e "$out/.harness-results" ] \
    || { echo "run.sh: $out is not empty and not a harness result dir" >&2; exit 2; }
  find "$out" -mindepth 1 -delete
fi
mkdir -p "$out/.work"
touch "$out/.harness-results"
out=$(cd "$out" && pwd)
work=$out/.work

cache=$(bash "$HARNESS_DIR/prepare.sh" | tail -n 1) && [ -s "$cache/stamp" ] \
  || DIE_RC=3 die "prepare.sh failed"

hlog "packing payload $payload"
python3 "$HARNESS_DIR/host/mkcpio.py" "$work/payload.cpio" "$payload" --prefix payload
cat "$cache/dom0-base.cpio" "$work/payload.cpio" > "$work/initrd.cpio"
rm -f "$work/payload.cpio"
truncate -s "${results_mb}M" "$work/results.img"

payload_limit=$((timeout - 45))
[ $payload_limit -ge 30 ] || payload_limit=30
q() { echo "${1//,/,,}"; }  # QEMU option values: a literal comma is written ",,"
[ -n "$dom0_mb" ] || dom0_mb=$((mem >= 2048 ? 1024 : mem / 2))  # rest for guests
xen_args="console=com1 com1=115200,8n1 dom0_mem=${dom0_mb}M,max:${dom0_mb}M"
xen_args+=" loglvl=warning guest_loglvl=warning bootscrub=0"
dom0_args="console=hvc0 loglevel=4 harness.timeout=$payload_limit${extra_dom0_args:+ $extra_dom0_args}"
devices=()
[ -z "$l2" ] || devices=(-netdev "socket,id=l2,$l2" -device "virtio-net-pci,netdev=l2,mac=$l2_mac")
[ -z "$shared_disk" ] || devices+=(-drive "file=$(q "$shared_disk"),format=raw,if=none,id=shared,file.locking=off"
  -device "virtio-blk-pci,drive=shared,share-rw=on,serial=torpor-shared,addr=0x10")
set +e
python3 "$HARNESS_DIR/host/run_qemu.py" --log "$out/serial.log" --timeout "$timeout" -- \
  qemu-system-x86_64 -accel tcg -cpu qemu64 -m "$mem" -smp "$smp" -no-reboot \
  -nodefaults -display none -chardev stdio,id=ser0,signal=off -serial chardev:ser0 \
  -kernel "$cache/xen" -append "$xen_args" \
  -initrd "$(q "$cache/vmlinux") $(q "$dom0_args"),$(q "$work/initrd.cpio")" \
  -drive "file=$(q "$work/results.img"),format=raw,if=virtio" ${devices[@]+"${devices[@]}"}
qemu_rc=$?
set -e
rm -f "$work/initrd.cpio"

status=0
if [ $qemu_rc = 124 ]; then
  hlog "FAIL: QEMU hung and was killed after ${timeout}s (see $out/serial.log)"
  status=4
elif ! grep -q '@@harness done' "$out/serial.log"; then
  hlog "FAIL: dom0 did not finish (QEMU status $qemu_rc; Xen or dom0 crash? see $out/serial.log)"
  status=5
fi
tar -x -f "$work/results.img" -C "$out" 2>"$work/tar.err" || true
if [ -e "$out/dom0-dmesg.txt" ]; then  # /init writes it last, before the tar
  hlog "results extracted into $out"
else
  hlog "FAIL: no results on the results disk $(head -c 200 "$work/tar.err")"
  [ $status != 0 ] || status=5
fi
if [ ! -s "$out/payload.rc" ]; then  # fall back to the serial line
  prc=$(sed -n 's/.*@@harness payload rc=\([0-9]*\).*/\1/p' "$out/serial.log" | tail -n 1)
  [ -z "$prc" ] || echo "$prc" > "$out/payload.rc"
fi
prc=$(cat "$out/payload.rc" 2>/dev/null || true)
for f in "$out"/*/rc; do
  [ -f "$f" ] && hlog "scenario $(basename "$(dirname "$f")"): rc=$(cat "$f")"
done
if [ -z "$prc" ]; then
  hlog "FAIL: payload exit status unknown"
  [ $status != 0 ] || status=5
elif [ "$prc" != 0 ]; then
  hlog "FAIL: payload exited with status $prc (see $out/payload.log)"
  [ $status != 0 ] || status=1
fi
[ $status = 0 ] && hlog "OK: payload exited 0"
[ $status != 0 ] || rm -rf "$work"
exit $status
