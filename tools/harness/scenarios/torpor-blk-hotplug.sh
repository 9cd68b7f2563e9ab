# dom0 scenario: xl block-detach and block-attach of torpor's disk while it
# runs. torpor (2 vCPUs) boots with xvda (a sparse 64 MiB raw file on a loop
# device, attached by blkback through our own hotplug script, as in
# torpor-suspend) and its demo writes records there; once some are
# acknowledged, `xl block-detach` takes xvda away: the guest must close the
# disk (one line), pause its writer (one line) and go on beating; after a few
# seconds `xl block-attach` gives the same disk back (the create's own disk
# string): the guest must reconnect (connect #2) and acknowledge more records.
# Then the same with its vif: ping, `xl network-detach` (the guest must
# disconnect and see the device go), `xl network-attach` with another MAC and
# the same address (it must find and connect the new vif and take its MAC),
# ping and HTTP again.
# After `xl shutdown` the disk's first sectors (a little past the last
# acknowledged record) are kept as disk-prefix.img for the checker.
# Record: detached_s (how long xvda was away, by dom0's clock), macs (the
# vif's MAC before the detach and after the attach).
. /harness/lib.sh

NAME=bh
DISK=/tmp/$NAME-disk.img
phy_disk "$DISK" 64 || exit 1
cat > /tmp/$NAME.cfg <<CFG
type = "pv"
name = "$NAME"
kernel = "/payload/torpor.elf"
memory = 64
vcpus = 2
on_crash = "preserve"
disk = [ "$DISK_SPEC" ]
CFG
MAC=00:16:3e:77:00:05 IP=10.77.0.5 MAC2=00:16:3e:77:00:15
vif_line $MAC $IP >> /tmp/$NAME.cfg
echo "$MAC $MAC2" > "$RESULTS/macs"

# last_acked: the highest "blk: acked N" so far (-1 before any).
last_acked() {
  console_grep $NAME 'blk: acked [0-9]+' | sed 's/.*blk: acked \([0-9]*\).*/\1/' | sort -n | tail -n 1 | grep . || echo -1
}
# acked_beyond N TIMEOUT: wait until a record past N is acknowledged.
acked_beyond() {
  local end=$(($(now_ms) + $2 * 1000))
  while [ "$(now_ms)" -lt "$end" ]; do
    [ "$(last_acked)" -gt "$1" ] && return 0
    sleep 0.2
  done
  echo "acked_beyond: nothing past record $1 acknowledged within $2 s" >&2
  return 1
}

step create 60 xl create /tmp/$NAME.cfg || exit 1
step ready 240 wait_console $NAME 'demo: running' 240 || exit 1
step acked-before 60 acked_beyond 50 60 || exit 1

t0=$(now_ms)
step detach 60 xl block-detach $NAME xvda
step closed 30 wait_console $NAME 'blkfront: xvda: closed \(#1\)' 30
step paused 30 wait_console $NAME 'blk: xvda detached: writer pauses' 30
step list-empty 15 sh -c "! xl block-list $NAME | grep -q 51712"
step away 10 sleep 4  # heartbeats go on meanwhile (checked from the log)
step attach 60 xl block-attach $NAME "$DISK_SPEC"
echo $(( ($(now_ms) - t0) / 1000 )) > "$RESULTS/detached_s"
step reconnected 60 wait_console $NAME 'blkfront: xvda: connected to backend domain [0-9]+ \(connect #2\)' 60
step resumed 30 wait_console $NAME 'blk: xvda re-attached \(connect #2\): writer resumes' 30
after=$(last_acked)
step acked-after 60 acked_beyond $((after + 20)) 60
# The reader reports every 100 re-reads (50 ms apart, none while detached).
step read-report 60 wait_console $NAME 'blk: reader checked [0-9]+ acknowledged records' 60

# vif0 away and back. xl names the device by its devid (0: the only one).
vif_lines() { console_grep $NAME "$1" | wc -l; }
connected_vifs() { vif_lines 'netfront: vif0 connected to backend domain'; }
wait_vif_connects() {  # N TIMEOUT: until vif0 connected N times
  local end=$(($(now_ms) + $2 * 1000))
  while [ "$(connected_vifs)" -lt "$1" ]; do
    [ "$(now_ms)" -lt "$end" ] || { echo "vif0 connected $(connected_vifs) times, not $1, in $2 s" >&2; return 1; }
    sleep 0.2
  done
}
step vif-ping-before 30 net_ping $IP
step vif-detach 60 xl network-detach $NAME 0
step vif-disconnected 30 wait_console $NAME 'netfront: vif0 disconnected from backend domain' 30
step vif-removed 30 wait_console $NAME 'netfront: vif0 removed from xenstore' 30
step vif-list-empty 15 sh -c "! xl network-list $NAME | grep -qi '$MAC'"
step vif-attach 60 xl network-attach $NAME bridge=$NET_BRIDGE mac=$MAC2 ip=$IP  # one key=value per argument
step vif-reconnected 60 wait_vif_connects 2 60
step vif-ping-after 60 net_ping $IP
step vif-http-after 30 net_http_get $IP /
step shutdown 60 xl shutdown -w $NAME

# Keep the disk up to a little past the last acknowledged record (records are
# one sector each; what was written but not yet acknowledged may follow).
step disk-copy 60 keep_disk_prefix $NAME "$DISK"
losetup -d "$LOOP"
rm -f "$DISK"
