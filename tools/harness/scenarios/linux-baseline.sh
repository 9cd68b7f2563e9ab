#!/bin/sh
# Scenario: the Linux PV baseline guest (vcpus=2, memory=128) through xl create,
# save, restore, local migrate, live migrate, save -c (checkpoint) and destroy.
# Its console counter ("linux-baseline tick N", every 100 ms) must advance after
# each operation.  Writes $RESULTS/steps.tsv and $RESULTS/ticks.tsv (operation;
# highest tick logged before it, when it ended, and after waiting); checked on
# the host by check_linux_baseline.py.
# Its network (10.77.0.2 on xenbr0): dom0 pings it and fetches / over HTTP
# before and after, and one TCP connection streams a checked byte sequence
# through its echo port across all the operations (each a window of the
# client's record; $RESULTS/net/, see net_client_start in lib.sh).
. /harness/lib.sh

CFG=/harness/linux/linux.cfg
SAVE=/var/lib/xen/linux.save
IP=$NET_LINUX_IP
MAC=$NET_LINUX_MAC
fail=0

# last_tick: the highest counter value in the guest's console logs (if any).
last_tick() {
  local files
  files=$(console_logs linux)
  [ -n "$files" ] || return 0
  # shellcheck disable=SC2086
  awk '/linux-baseline tick [0-9]+/ { n = $NF + 0; if (!seen || n > m) m = n; seen = 1 }
       END { if (seen) print m }' $files
}

# ticks_above N SECONDS: wait until the guest's counter passes N.
ticks_above() {
  local end t
  end=$(($(now_ms) + $2 * 1000))
  while [ "$(now_ms)" -lt "$end" ]; do
    t=$(last_tick)
    if [ -n "$t" ] && [ "$t" -gt "$1" ]; then echo "counter at $t (was $1)"; return 0; fi
    sleep 0.2
  done
  echo "counter stuck at ${t:-nothing} (was $1) for $2 s" >&2
  return 1
}

# op NAME TIMEOUT CMD...: a step, then the counter must pass the highest value
# logged when the step ended (so the guest runs after the operation).
op() {
  local name=$1 limit=$2 before mark after
  shift 2
  before=$(last_tick)
  step "$name" "$limit" "$@" || fail=1
  mark=$(last_tick)
  step "$name-ticks" 70 ticks_above "${mark:--1}" 60 || fail=1
  step "$name-echo" 70 net_wait_echo 60 || fail=1
  after=$(last_tick)
  printf '%s\t%s\t%s\t%s\n' "$name" "${before:--1}" "${mark:--1}" "${after:--1}" \
    >> "$RESULTS/ticks.tsv"
}

printf 'op\tbefore\tend\tafter\n' > "$RESULTS/ticks.tsv"
step create 120 xl create "$CFG" 'vcpus=2' 'memory=128' || fail=1
step ready 130 wait_console linux 'linux-baseline ready' 120 || fail=1
if [ $fail != 0 ]; then
  echo "the guest did not start; skipping the rest" >&2
  exit 1
fi
step ticks 70 ticks_above 3 60 || fail=1
step ping 30 net_ping $IP || fail=1
step http 30 net_http_get $IP / || fail=1
net_client_start $IP $MAC || fail=1

net_label save-restore
step save 120 xl save linux "$SAVE" || fail=1
op restore 120 xl restore "$SAVE"
rm -f "$SAVE"
net_label migrate
op migrate 180 xl migrate -s "" linux "xl migrate-receive"
net_label migrate-live
op migrate-live 180 xl migrate --live -s "" linux "xl migrate-receive"
net_label save-c
op checkpoint 120 xl save -c linux "$SAVE"
rm -f "$SAVE"
net_label idle
step ping-after 30 net_ping $IP || fail=1
step http-after 30 net_http_get $IP / || fail=1
step net-stop 60 net_client_stop || fail=1
step list 20 xl list
step destroy 60 xl destroy linux || fail=1
step gone 10 sh -c '! xl domid linux 2>/dev/null' || fail=1
exit $fail
