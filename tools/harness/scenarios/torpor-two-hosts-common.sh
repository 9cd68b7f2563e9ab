# Sourced by torpor-two-hosts-a.sh and -b.sh (run-two-hosts.sh's two dom0s).
. /harness/lib.sh
ROUNDS=1
# GUEST: torpor (the test command's) or linux (the bench's baseline, the same
# way); MEMORY and VCPUS of the guest (run-two-hosts.sh writes them all).
GUEST=torpor MEMORY=64 VCPUS=4
[ -f /payload/two-hosts.conf ] && . /payload/two-hosts.conf
if [ "$GUEST" = linux ]; then
  NAME=linux GUEST_MAC=$NET_LINUX_MAC GUEST_IP=$NET_LINUX_IP
else
  NAME=th GUEST_MAC=00:16:3e:77:00:09 GUEST_IP=$NET_PREFIX.9
fi
MIGRATE_PORT=8002

# The guest's disk: the LUN both hosts share (run.sh --shared-disk: /dev/vdb,
# serial torpor-shared), so the disk follows the guest; on both hosts the same
# path and hotplug script. shared_disk (a step: a subshell) fails with one line
# when it is missing; phy_device_disk then sets DISK_SPEC here.
SHARED_DISK=/dev/vdb
shared_disk() {
  [ -b $SHARED_DISK ] && [ "$(cat /sys/block/vdb/serial 2>/dev/null)" = torpor-shared ] \
    || { echo "no shared disk: $SHARED_DISK is not the LUN torpor-shared"; return 1; }
}

# This dom0's network, for the record (the L2 to the other host is eth0 in the bridge).
{ ip addr; brctl show; } > "$RESULTS/net-state.txt" 2>&1

# wall_s: dom0's wall clock, s.us (busybox date has no %N; bash has EPOCHREALTIME).
wall_s() { bash -c 'echo $EPOCHREALTIME'; }

# mark ROUND DIR EVENT [RC]: a row of $RESULTS/hops.tsv with dom0's wall clock.
[ -f "$RESULTS/hops.tsv" ] || printf 'round\tdir\tevent\twall_s\trc\n' > "$RESULTS/hops.tsv"
mark() { printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$(wall_s)" "${4:--}" >> "$RESULTS/hops.tsv"; }

# receiver_start: busybox nc serves $MIGRATE_PORT, running `xl migrate-receive`
# for each connection with the socket as its stdin/stdout (stderr to a log);
# rows "receive start"/"receive end rc" in hops.tsv. Stopped when the scenario exits.
receiver_start() {
  cat > /tmp/receive.sh <<REC
#!/bin/sh
exec 2>> "$RESULTS/receive.log"
printf '-\treceive\tstart\t%s\t-\n' "\$(bash -c 'echo \$EPOCHREALTIME')" >> "$RESULTS/hops.tsv"
/usr/lib/xen-4.17/bin/xl migrate-receive
rc=\$?
printf '-\treceive\tend\t%s\t%s\n' "\$(bash -c 'echo \$EPOCHREALTIME')" "\$rc" >> "$RESULTS/hops.tsv"
exit \$rc
REC
  chmod +x /tmp/receive.sh
  nc -ll -p "$MIGRATE_PORT" -e /tmp/receive.sh < /dev/null > "$RESULTS/receiver.log" 2>&1 &
  RECEIVER=$!
}

# hop ROUND DIR PEER_IP: xl migrate --live to the peer's receiver over TCP
# (`-s ""`: xl runs the host argument itself as its transport), bounded, with
# dom0's wall clock logged before and after.
hop() {
  mark "$1" "$2" send-start
  step "migrate-$1-$2" 400 xl migrate --live -s "" "$NAME" "nc $3 $MIGRATE_PORT"
  local rc=$?
  mark "$1" "$2" send-end "$rc"
  return $rc
}

# The other host says on ABORT_PORT that its scenario failed (peer_abort), so
# that this one stops waiting for a guest that will not come.
ABORT_PORT=8003
rm -f /tmp/peer-abort
nc -l -p "$ABORT_PORT" < /dev/null > /tmp/peer-abort 2>/dev/null &
ABORT_LISTENER=$!
# peer_abort PEER_IP: tell the other host, retrying for up to 60 s (bounded: it
# may be gone already; early on, the L2 between the dom0s may not carry yet).
peer_abort() {
  local end=$(($(now_ms) + 60000))
  until echo "peer scenario failed" | bounded 10 nc "$1" "$ABORT_PORT" > /dev/null 2>&1; do
    [ "$(now_ms)" -lt "$end" ] || return 1
    sleep 3
  done
}
# on_exit PEER_IP: the EXIT trap: stop the client and the listeners; on
# failure tell the peer.
on_exit() {
  local rc=$?
  net_client_stop > /dev/null 2>&1
  kill "$RECEIVER" "$ABORT_LISTENER" 2>/dev/null
  [ "$rc" = 0 ] || [ -s /tmp/peer-abort ] || peer_abort "$1"
}

# arrived N SECS: the guest resumed here after its Nth suspend (torpor: its
# console says so; Linux: this host's receiver finished its (N+1)/2th
# migration with rc 0 and Xen runs the domain); fails at once when the other
# host has given up.
arrived() {
  local end=$(($(now_ms) + $2 * 1000))
  while [ "$(now_ms)" -lt "$end" ]; do
    if [ "$GUEST" = linux ]; then
      [ "$(awk -F '\t' '$2 == "receive" && $3 == "end" && $5 == "0"' "$RESULTS/hops.tsv" | wc -l)" \
        -ge $((($1 + 1) / 2)) ] && running_or_blocked "$NAME" 5 > /dev/null 2>&1 && return 0
      sleep 1
    else
      wait_console "$NAME" "app: resumed \\(#$1\\) cancelled=0 " 5 > /dev/null 2>&1 && return 0
    fi
    if [ -s /tmp/peer-abort ]; then
      echo "the other host gave up: $(cat /tmp/peer-abort)" >&2
      return 1
    fi
  done
  echo "the guest did not resume here after suspend #$1 within $2 s" >&2
  return 1
}
