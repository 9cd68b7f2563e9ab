# dom0 scenario (not in the test command; tools/remus-backup.sh runs it):
# Remus to a local backup, then failover. torpor (4 vCPUs, its disk and network
# workloads as in torpor-remus) under `xl remus -F -n -d -i 100 -s "" r
# "xl migrate-receive -r"`: the backup (r--incoming) is a paused domain on the
# same host that takes every checkpoint. After $BACKUP_SECONDS the primary is
# destroyed: xl migrate-receive -r must then unpause the backup from the last
# checkpoint, where torpor resumes as in a new domain. What is recorded, not
# asserted (documentation, see the README): whether the backup took over
# (failover), whether the guest answers ping, HTTP, a xenstore watch and its
# console there, and what became of the TCP stream (with -n nothing buffers
# the guest's output between checkpoints, so the client may have seen bytes the
# backup never sent) and of the disk records (-d: no replication, the backup
# writes the same loop device). Record: remus.log, outcome (key=value lines).
. /harness/lib.sh

NAME=r
BACKUP_SECONDS=${BACKUP_SECONDS:-30}
IP=$NET_PREFIX.7
MAC=00:16:3e:77:00:07
DISK=/tmp/$NAME-disk.img
phy_disk "$DISK" 64 || exit 1
cat > /tmp/$NAME.cfg <<CFG
type = "pv"
name = "$NAME"
kernel = "/payload/torpor.elf"
memory = 64
vcpus = 4
on_crash = "preserve"
disk = [ "$DISK_SPEC" ]
CFG
vif_line $MAC $IP >> /tmp/$NAME.cfg
outcome() { echo "$1=$2" >> "$RESULTS/outcome"; }
: > "$RESULTS/outcome"

step create 60 xl create /tmp/$NAME.cfg || exit 1
step ready 240 wait_console $NAME 'demo: running' 240 || exit 1
step acking 60 wait_console $NAME 'blk: acked [0-9]+' 60
step ping 60 net_ping $IP
net_client_start $IP $MAC
net_label remus

( xl -vvv remus -F -n -d -i 100 -s "" $NAME "xl migrate-receive -r" > "$RESULTS/remus.log" 2>&1
  echo $? > "$RESULTS/remus.rc" ) &
remus_pid=$!
sleep "$BACKUP_SECONDS"
bounded 15 xl list > "$RESULTS/list-before.txt" 2>&1
outcome backup_present "$(grep -c "^$NAME--incoming " "$RESULTS/list-before.txt")"
outcome checkpoints_before "$(grep -c 'issuing PV suspend request' "$RESULTS/remus.log")"

net_label failover
step destroy-primary 60 xl destroy $NAME
end=$(($(now_ms) + 60000))
while kill -0 $remus_pid 2>/dev/null && [ "$(now_ms)" -lt "$end" ]; do sleep 0.5; done
kill -0 $remus_pid 2>/dev/null && { _killtree $remus_pid; outcome remus_killed 1; }
sleep 5
bounded 15 xl list > "$RESULTS/list-after.txt" 2>&1
if step takeover 60 running_or_blocked $NAME 60; then outcome failover 1; else outcome failover 0; fi
if step resumed 60 wait_console $NAME 'suspend #[0-9]+: resumed in a new domain' 60; then outcome guest_resumed 1; else outcome guest_resumed 0; fi
if step echo-after 70 net_wait_echo 60; then outcome tcp_stream_flows 1; else outcome tcp_stream_flows 0; fi
if step ping-after 30 net_ping $IP; then outcome ping 1; else outcome ping 0; fi
if step http-after 30 net_http_get $IP /; then outcome http 1; else outcome http 0; fi
dom=$(domid $NAME)
step poke 20 xenstore-write "/local/domain/$dom/data/ping" "after-failover"
if step watched 30 wait_console $NAME 'watch data/ping fired: value="after-failover"' 30; then outcome watch 1; else outcome watch 0; fi
step net-stop 60 net_client_stop
outcome tcp_summary "\"$(cat "$RESULTS/net/summary" 2>/dev/null)\""
step shutdown 60 xl shutdown -w $NAME
step disk-copy 60 keep_disk_prefix $NAME "$DISK"
losetup -d "$LOOP"
rm -f "$DISK"
cat "$RESULTS/outcome"
