# torpor harness: helpers for dom0 payload and scenario scripts (busybox sh).
# Source it:  . /harness/lib.sh
# Every helper that can block is bounded.  Results go under $RESULTS (default
# /results; the scenario runner sets /results/<scenario>).  Lines starting with
# "@@harness " reach the host's run.sh, which shows them as progress.

: "${RESULTS:=/results}"
HARNESS_DIR=/harness
XEN_CONSOLE_LOGS=/var/log/xen/console
export RESULTS HARNESS_DIR
# The guests' network: a bridge in dom0 that libxl's vif-bridge plugs each vif
# into (see net_bridge_up); guests use addresses in $NET_PREFIX.0/24.
NET_BRIDGE=xenbr0
NET_PREFIX=10.77.0
NET_DOM0_IP=$NET_PREFIX.1
NET_DOM0_MAC=00:16:3e:77:00:01
# Two hosts (run-two-hosts.sh): the dom0 command line names this host
# (harness.host=a|b) and gives host B its own bridge address and MAC; the NIC
# QEMU gives a dom0 on the shared L2 (eth0) is bridged into $NET_BRIDGE.
# (/init sources this before /proc is mounted: net_bridge_up reads it again.)
NET_HOST=a
net_host_from_cmdline() {
  local w
  for w in $(cat /proc/cmdline 2>/dev/null); do
    case $w in
      harness.host=*) NET_HOST=${w#*=} ;;
      harness.ip=*) NET_DOM0_IP=${w#*=} ;;
      harness.mac=*) NET_DOM0_MAC=${w#*=} ;;
    esac
  done
}
net_host_from_cmdline
# The two dom0s' bridge addresses (host A keeps the single-host one).
NET_HOST_A_IP=$NET_PREFIX.1
NET_HOST_B_IP=$NET_PREFIX.11
# The guests' vifs: the Linux baseline (guests/linux/linux.cfg; its init sets
# the address) and torpor (the backend's ip key, see vif_line).
NET_LINUX_IP=$NET_PREFIX.2
NET_LINUX_MAC=00:16:3e:77:00:02
NET_TORPOR_IP=$NET_PREFIX.3
NET_TORPOR_MAC=00:16:3e:77:00:03

# say MSG...: progress line for the host (also lands in serial.log).
say() { echo "@@harness $*"; }

# now_ms: milliseconds since dom0 boot (from /proc/uptime, 10 ms resolution).
now_ms() {
  local up s c
  read -r up _ < /proc/uptime
  s=${up%.*}; c=${up#*.}; c=${c#0}
  echo $((s * 1000 + c * 10))
}

# _descendants PID: all processes below PID (from one `ps` snapshot).
_descendants() {
  ps -o pid,ppid | awk -v root="$1" '
    NR > 1 { parent[$1] = $2 }
    END { for (p in parent) { q = parent[p]
            while (q != root && q in parent) q = parent[q]
            if (q == root) print p } }'
}

# _killtree PID: SIGKILL PID and all its descendants (stopped first, twice, so
# that nothing forks in between).
# shellcheck disable=SC2086  # $all is a list of pids
_killtree() {
  local all
  kill -STOP "$1" 2>/dev/null
  all=$(_descendants "$1"); kill -STOP $all 2>/dev/null
  all="$all $(_descendants "$1")"; kill -STOP $all 2>/dev/null
  kill -KILL "$1" $all 2>/dev/null
}

# bounded SECONDS CMD...: run CMD (program or shell function) with a hard time
# limit; on expiry kill it and every process it started, return 124.
bounded() {
  local t=$1 pid wd rc flag
  shift
  ( "$@" ) &
  pid=$!
  flag=/tmp/.bounded-timeout.$pid
  ( sleep "$t" > /dev/null 2>&1
    touch "$flag"
    echo "@@harness TIMEOUT after ${t}s: $*" >&2
    _killtree "$pid" ) &
  wd=$!
  wait "$pid"; rc=$?
  # The watchdog dies at once; its sleep (which holds no pipe open) lingers
  # harmlessly until it expires: walking /proc to kill it costs ~0.7 s under TCG.
  kill "$wd" 2>/dev/null; wait "$wd" 2>/dev/null
  if [ -e "$flag" ]; then rm -f "$flag"; rc=124; fi
  return "$rc"
}

# step NAME TIMEOUT CMD...: bounded CMD; appends "NAME rc ms" to
# $RESULTS/steps.tsv, keeps its output in $RESULTS/steps/NN-NAME.log (and on
# stdout), prints a progress line, returns CMD's rc.
step() {
  local name=$1 t=$2 start ms rc n log
  shift 2
  mkdir -p "$RESULTS/steps"
  [ -s "$RESULTS/steps.tsv" ] || printf 'step\trc\tms\n' > "$RESULTS/steps.tsv"
  n=$(wc -l < "$RESULTS/steps.tsv")
  log=$RESULTS/steps/$(printf %02d "$n")-$name.log
  start=$(now_ms)
  { bounded "$t" "$@"; echo $? > "$log.rc"; } 2>&1 | tee "$log"
  rc=$(cat "$log.rc" 2>/dev/null); rm -f "$log.rc"; : "${rc:=125}"
  ms=$(($(now_ms) - start))
  printf '%s\t%s\t%s\n' "$name" "$rc" "$ms" >> "$RESULTS/steps.tsv"
  say "step $name rc=$rc ms=$ms"
  return "$rc"
}

# domid NAME: print the domain id of NAME (fails if there is none).
domid() { bounded 15 xl domid "$1"; }

# console_logs NAME: the guest's console log files (incl. the --incoming one
# used by the receiving side of a local migration).
console_logs() {
  local f
  for f in "$XEN_CONSOLE_LOGS/guest-$1.log" "$XEN_CONSOLE_LOGS/guest-$1--incoming.log"; do
    [ -e "$f" ] && echo "$f"
  done
}

# console_grep NAME REGEX: matching lines (ERE) from all of NAME's console logs.
console_grep() {
  local files
  files=$(console_logs "$1")
  [ -n "$files" ] || return 1
  # shellcheck disable=SC2086
  grep -hE "$2" $files
}

# recent_console_has NAME REGEX: a line matching REGEX (ERE) in the last MiB of
# one of NAME's console logs. A soak's logs grow to many MiB, and grep under
# TCG reads them at a few tens of MB/s: polling the whole of them would cost
# more with every cycle.
recent_console_has() {
  local f
  for f in $(console_logs "$1"); do
    tail -c 1048576 "$f" | grep -qE "$2" && return 0
  done
  return 1
}

# wait_console NAME REGEX [TIMEOUT]: poll NAME's console logs until a line
# matches REGEX (ERE) in their last MiB; 0 on match, 1 after TIMEOUT seconds
# (default 60).
wait_console() {
  local end
  end=$(($(now_ms) + ${3:-60} * 1000))
  while [ "$(now_ms)" -lt "$end" ]; do
    recent_console_has "$1" "$2" 2>/dev/null && return 0
    sleep 0.2
  done
  echo "wait_console: no line matching '$2' from $1 within ${3:-60} s" >&2
  return 1
}

# running_or_blocked NAME [TIMEOUT]: NAME exists and Xen runs it: its `xl list`
# state shows r (running) or b (blocked). Fails at once when it is gone,
# shut down (s), crashed (c) or dying (d); a paused (p) domain, or one whose
# vCPUs wait for a CPU (no flag at all), is polled until TIMEOUT seconds
# (default 10) pass.
running_or_blocked() {
  local end state
  end=$(($(now_ms) + ${2:-10} * 1000))
  while :; do
    state=$(bounded 15 xl list "$1" 2>/dev/null | awk 'NR == 2 { print $5 }')
    echo "$1: state ${state:-gone}"
    case $state in
      "" | *[scd]*) return 1 ;;
      *p*) ;;
      *[rb]*) return 0 ;;
    esac
    [ "$(now_ms)" -lt "$end" ] || return 1
    sleep 0.2
  done
}

# guests: names of all domains except Domain-0.
guests() { bounded 20 xl list | awk 'NR > 1 && $2 != 0 { print $1 }'; }

# destroy_all: destroy every domain except Domain-0 (bounded).
destroy_all() {
  local d
  for d in $(guests); do
    echo "destroying leftover domain $d"
    bounded 30 xl destroy "$d"
  done
}

# collect_xen_logs DEST: move guest console logs and xl logs into DEST.
collect_xen_logs() {
  local f
  mkdir -p "$1/console" "$1/xl"
  for f in "$XEN_CONSOLE_LOGS"/*; do [ -e "$f" ] && mv "$f" "$1/console/"; done
  for f in /var/log/xen/*.log*; do [ -f "$f" ] && mv "$f" "$1/xl/"; done
  rmdir "$1/console" "$1/xl" 2>/dev/null
  return 0
}

# run_scenario NAME SCRIPT TIMEOUT: run SCRIPT (sh) with RESULTS=/results/NAME,
# bounded; then destroy leftover domains and move the Xen logs into
# /results/NAME.  Writes /results/NAME/rc and returns it.
run_scenario() {
  local name=$1 script=$2 t=$3 dir=/results/$1 start rc tee_pid i
  mkdir -p "$dir"
  say "scenario $name start (limit ${t}s)"
  start=$(now_ms)
  rm -f "$dir/rc"
  { RESULTS=$dir SCENARIO_LIMIT=$t; export RESULTS SCENARIO_LIMIT
    bounded "$t" sh "$script"; echo $? > "$dir/rc"; } 2>&1 \
    | tee "$dir/output.log" &
  # tee ends when the last writer of its pipe is gone. A scenario killed at
  # its limit may leave a process behind that still holds the pipe (tee then
  # waited for QEMU's own limit, losing every later scenario): once the
  # scenario's rc is written tee gets 5 s to drain, then it goes.
  tee_pid=$!
  while [ ! -s "$dir/rc" ] && kill -0 "$tee_pid" 2>/dev/null; do sleep 1; done
  i=0
  while kill -0 "$tee_pid" 2>/dev/null && [ $i -lt 5 ]; do sleep 1; i=$((i + 1)); done
  if kill -0 "$tee_pid" 2>/dev/null; then
    say "scenario $name: something it started still holds its output; not waiting for it"
    kill "$tee_pid" 2>/dev/null
  fi
  wait "$tee_pid" 2>/dev/null
  rc=$(cat "$dir/rc" 2>/dev/null); : "${rc:=125}"
  destroy_all
  collect_xen_logs "$dir"
  say "scenario $name rc=$rc ms=$(($(now_ms) - start))"
  return "$rc"
}

# net_bridge_up: the bridge with dom0's address (run once by /init, after the
# bridge and xen-netback modules are loaded). STP off and no forward delay: a
# vif forwards the moment it is plugged (after every restore and migration).
# Its MAC is fixed so that it never takes a vif's (fe:ff:ff:ff:ff:ff).
net_bridge_up() {
  net_host_from_cmdline
  ip link set lo up &&
    brctl addbr "$NET_BRIDGE" &&
    # busybox's brctl may lack `stp`/`setfd` (no BRCTL_FANCY): the bridge's sysfs
    # does the same (a new bridge has STP off already).
    { brctl stp "$NET_BRIDGE" off 2>/dev/null ||
        echo 0 > "/sys/class/net/$NET_BRIDGE/bridge/stp_state"; } &&
    { brctl setfd "$NET_BRIDGE" 0 2>/dev/null ||
        echo 0 > "/sys/class/net/$NET_BRIDGE/bridge/forward_delay"; } &&
    ip link set "$NET_BRIDGE" address "$NET_DOM0_MAC" &&
    ip addr add "$NET_DOM0_IP/24" dev "$NET_BRIDGE" && ip link set "$NET_BRIDGE" up &&
    net_uplink_up
}

# net_uplink_up: a NIC of QEMU's (eth0, virtio-net; only run-two-hosts.sh gives
# dom0 one) joins the bridge, so that the two hosts' bridges share one L2.
net_uplink_up() {
  [ -e /sys/class/net/eth0 ] || return 0
  ip link set eth0 up && brctl addif "$NET_BRIDGE" eth0
}

# vif_line MAC [IP]: the xl config line giving a guest one vif on the bridge
# (IP: the backend's `ip` key, which a guest may read as its address).
vif_line() {
  echo "vif = [ \"bridge=$NET_BRIDGE,mac=$1${2:+,ip=$2}\" ]"
}

# phy_disk FILE MIB: a sparse raw FILE of MIB MiB on a free loop device, for a
# guest's xvda (phy_device_disk). Sets LOOP and DISK_SPEC (the xl disk
# string). Fails with one line when no loop device is left.
phy_disk() {
  rm -f "$1"
  dd if=/dev/zero of="$1" bs=1M seek="$2" count=0 2>/dev/null || { echo "cannot create $1"; return 1; }
  LOOP=$(losetup -f) && losetup "$LOOP" "$1" || { echo "no loop device for $1"; return 1; }
  phy_device_disk "$LOOP"
}

# phy_device_disk DEVICE: the block DEVICE as a guest's xvda through our own
# hotplug script (/tmp/blk-phy.sh; the stock block script needs more than
# busybox offers). Sets DISK_SPEC. A host that receives the guest by migration
# needs the same DEVICE path and runs this too, for the script.
phy_device_disk() {
  cat > /tmp/blk-phy.sh <<'HOTPLUG'
#!/bin/sh
# libxl's hotplug script for a phy: disk ($1: add or remove): blkback wants
# the device's major:minor (hex) in physical-device.
[ "$1" = add ] || exit 0
dev=$(xenstore-read "$XENBUS_PATH/params") || exit 1
mm=$(stat -L -c '%t:%T' "$dev") || exit 1
xenstore-write "$XENBUS_PATH/physical-device" "$mm" "$XENBUS_PATH/physical-device-path" "$dev"
xenstore-write "$XENBUS_PATH/hotplug-status" connected
HOTPLUG
  chmod +x /tmp/blk-phy.sh
  DISK_SPEC="format=raw,vdev=xvda,access=rw,backendtype=phy,script=/tmp/blk-phy.sh,target=$1"
}

# remus_then_fail_backup SECONDS CMD...: run CMD (a shell function that runs
# `xl remus ...` and records its output) in the background for SECONDS, then
# kill libxl-save-helper (a failed backup: libxl resumes the primary) and give
# xl 60 s to exit; fails, killing it, when it does not.
remus_then_fail_backup() {
  local seconds=$1 xl_pid end
  shift
  "$@" &
  xl_pid=$!
  sleep "$seconds"
  echo "killing libxl-save-helper: $(pidof libxl-save-helper)"
  # shellcheck disable=SC2046
  kill -9 $(pidof libxl-save-helper) 2>/dev/null
  end=$(($(now_ms) + 60000))
  while kill -0 $xl_pid 2>/dev/null && [ "$(now_ms)" -lt "$end" ]; do sleep 0.5; done
  if kill -0 $xl_pid 2>/dev/null; then
    echo "xl remus still running 60 s after its helper died; killing it"
    _killtree $xl_pid
    return 1
  fi
  echo "xl remus exited"
}

# keep_disk_prefix NAME FILE: after the guest NAME shut down, keep FILE's first
# sectors, up to a little past its last "blk: acked N", as
# $RESULTS/disk-prefix.img (the checkers read the records there, blk_image.py).
keep_disk_prefix() {
  local last
  last=$(console_grep "$1" 'blk: acked [0-9]+' | sed 's/.*blk: acked \([0-9]*\).*/\1/' | sort -n | tail -n 1)
  # A shared block device was written by blkbacks (bios, past this dom0's page
  # cache) and by another host: what the page cache holds of it may be stale.
  [ ! -b "$2" ] || { sync; echo 3 > /proc/sys/vm/drop_caches; }
  dd if="$2" of="$RESULTS/disk-prefix.img" bs=512 count=$(( ${last:-0} + 1 + 64 )) 2>/dev/null
}

# --- the dom0 network client (client/echo_stream.c, client/arp_watch.c) -------
# A scenario streams through a guest's TCP echo port while it operates on it:
#   net_client_start IP MAC     one checked TCP stream to IP:7 + ARP log of MAC
#   net_label LABEL             a new window (e.g. save-restore-3) of the record
#   step NAME 70 net_wait_echo 60   after an operation: the echo flows again
#   net_client_stop             stop, drain, summary ($RESULTS/net/summary)
# Everything lands in $RESULTS/net/ (the checkers' harness_net.py reads it):
# target (IP MAC: the client ran), client.log, status, timeline.csv,
# windows.tsv, summary, arp.tsv, arp.log, ping-*.log, http-*.txt, http-rate.txt.
NET_BIN=$HARNESS_DIR/bin
NET_RATE=${NET_RATE:-65536}  # bytes/s: TCG guests are slow; enough to see every stall

# net_client_start IP MAC [RATE]: start echo_stream against IP:7 and arp_watch
# for MAC on the bridge, in the background; wait (step net-connected) until the
# echo flows. Registers net_client_stop to run when the scenario's shell exits.
# Call it directly from the scenario (not through step/bounded: a subshell).
net_client_start() {
  local dir=$RESULTS/net
  mkdir -p "$dir"
  rm -f "$dir/stop" "$dir/summary" "$dir/status"
  echo "$1 $2" > "$dir/target"
  net_label start
  "$NET_BIN/arp_watch" --iface "$NET_BRIDGE" --mac "$2" --dir "$dir" \
    < /dev/null > "$dir/arp.log" 2>&1 &
  echo $! > "$dir/arp.pid"
  # The client stops on its own after --limit seconds: as long as the scenario
  # may run (a soak runs for hours), not its 900 s default.
  "$NET_BIN/echo_stream" --host "$1" --port 7 --dir "$dir" --rate "${3:-$NET_RATE}" \
    --limit "${SCENARIO_LIMIT:-900}" < /dev/null > "$dir/client.log" 2>&1 &
  echo $! > "$dir/client.pid"
  trap 'net_client_stop > /dev/null 2>&1' EXIT
  step net-connected 70 net_wait_echo 60
}

# net_label LABEL: from now on the client records into a window named LABEL
# (no spaces); its bytes and longest stall are reported apart.
net_label() {
  echo "$1" > "$RESULTS/net/label.new" && mv "$RESULTS/net/label.new" "$RESULTS/net/label"
}

# net_echoed: bytes the client has had echoed so far (empty if it never ran).
net_echoed() { sed -n 's/^echoed=\([0-9]*\) .*/\1/p' "$RESULTS/net/status" 2>/dev/null; }

# net_wait_echo SECS: wait until the echo has advanced by 4 KiB from now (the
# stream flows); fails after SECS or if the client has ended.
net_wait_echo() {
  local end before now
  before=$(net_echoed)
  end=$(($(now_ms) + $1 * 1000))
  while [ "$(now_ms)" -lt "$end" ]; do
    now=$(net_echoed)
    if [ -n "$now" ] && [ "$now" -ge $((${before:-0} + 4096)) ]; then
      echo "echo flowing: ${before:-0} -> $now bytes"
      return 0
    fi
    if [ -e "$RESULTS/net/summary" ]; then
      echo "the client has ended: $(cat "$RESULTS/net/summary")" >&2
      return 1
    fi
    sleep 0.2
  done
  echo "echo stuck at ${now:-nothing} bytes (was ${before:-nothing}) for $1 s" >&2
  return 1
}

# net_client_stop: tell both programs to stop, wait for the client to drain
# and write its summary (bounded), print it. Does nothing if none runs.
net_client_stop() {
  local dir=$RESULTS/net pid i=0
  [ -f "$dir/client.pid" ] || return 0
  net_label end
  touch "$dir/stop"
  for pid in $(cat "$dir/client.pid" "$dir/arp.pid" 2>/dev/null); do
    while kill -0 "$pid" 2>/dev/null && [ $i -lt 200 ]; do sleep 0.2; i=$((i + 1)); done
    kill -9 "$pid" 2>/dev/null
  done
  rm -f "$dir/client.pid" "$dir/arp.pid"
  cat "$dir/summary"
}

# net_ping IP: three pings, at least one answered (busybox ping); output in
# net/ping-N.log.
net_ping() {
  local n
  mkdir -p "$RESULTS/net"
  n=$(ls "$RESULTS/net" | grep -c '^ping-')
  ping -c 3 -W 5 "$1" 2>&1 | tee "$RESULTS/net/ping-$((n + 1)).log"
  grep -qE ' [1-9][0-9]* packets received' "$RESULTS/net/ping-$((n + 1)).log"
}

# net_http_get IP [PATH]: HTTP GET http://IP/PATH (busybox wget); the body in
# net/http-N.txt; fails on no answer or an empty body. Bound it (step).
net_http_get() {
  local n f
  mkdir -p "$RESULTS/net"
  n=$(ls "$RESULTS/net" | grep -c '^http-')
  f=$RESULTS/net/http-$((n + 1)).txt
  wget -q -O "$f" "http://$1/${2#/}" && cat "$f" && [ -s "$f" ]  # no -T: it crashes busybox 1.35
}

# net_http_rate IP SECONDS: sequential HTTP/1.0 GETs of / for SECONDS
# (client/http_rate.c, one connection per request); its line
# "http: requests=N errors=N ... rps=R ..." in net/http-rate.txt. Fails unless
# at least one was answered and none failed. Bound it (step).
net_http_rate() {
  mkdir -p "$RESULTS/net"
  "$NET_BIN/http_rate" --host "$1" --seconds "$2" --out "$RESULTS/net/http-rate.txt" < /dev/null
}
