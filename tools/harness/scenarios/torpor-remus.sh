# dom0 scenario: continuous checkpointing. torpor with 4 vCPUs under
# `xl remus -F -b -n -d -i 100` (unsafe blackhole: every checkpoint goes to
# /dev/null, no network buffering, no disk replication; xl wants a host even
# with -b) for $REMUS_SECONDS, asked for each checkpoint on the suspend event
# channel, while its workloads run: the demo writes records to its disk xvda
# (a sparse 256 MiB raw file on a loop device, lib.sh's phy_disk) and one TCP
# connection from dom0 streams through its echo port over its vif (client
# window "remus"). Checkpointing then ends the way a failed backup ends it: the
# save helper dies and libxl resumes the primary. The guest must carry on: a
# watch, a console line, ping, HTTP and the same TCP stream after it, then a
# clean shutdown; the disk's first sectors are kept as disk-prefix.img for the
# checker. Record: remus.log (xl -vvv), remus.rc, net/ (the client's record).
. /harness/lib.sh

NAME=r
REMUS_SECONDS=${REMUS_SECONDS:-60}
IP=$NET_PREFIX.7
MAC=00:16:3e:77:00:07
DISK=/tmp/$NAME-disk.img
phy_disk "$DISK" 256 || exit 1  # sparse: tools/remus.sh writes about 110 MiB in 10 minutes
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

step create 60 xl create /tmp/$NAME.cfg || exit 1
step ready 240 wait_console $NAME 'demo: running' 240 || exit 1
step published 30 wait_console $NAME 'suspend: event channel [0-9]+ published' 30
step acking 60 wait_console $NAME 'blk: acked [0-9]+' 60
step ping 60 net_ping $IP
step http 30 net_http_get $IP /
net_client_start $IP $MAC
net_label remus

# xl remus, recorded; remus_then_fail_backup (lib.sh) runs it for
# REMUS_SECONDS, then kills the save helper (a failed backup).
remus_xl() {
  xl -vvv remus -F -b -n -d -i 100 $NAME localhost > "$RESULTS/remus.log" 2>&1
  echo $? > "$RESULTS/remus.rc"
}
step remus $((REMUS_SECONDS + 90)) remus_then_fail_backup "$REMUS_SECONDS" remus_xl

# A checkpoint that was cut short by the kill can leave the domain suspended
# for good (see the notes): that is the toolstack's, and the checker says so.
step still-running 30 running_or_blocked $NAME 20
dom=$(domid $NAME)
step poke 20 xenstore-write "/local/domain/$dom/data/ping" "after-remus"
step watched 30 wait_console $NAME 'watch data/ping fired: value="after-remus"' 30
tty=$(xenstore-read "/local/domain/$dom/console/tty")
step type 20 sh -c "printf 'echo-after-remus\n' > $tty"
step echoed 30 wait_console $NAME 'console: echo "echo-after-remus"' 30
net_label after
step echo-after 70 net_wait_echo 60
step ping-after 30 net_ping $IP
step http-after 30 net_http_get $IP /
step net-stop 60 net_client_stop
step shutdown 60 xl shutdown -w $NAME
step disk-copy 60 keep_disk_prefix $NAME "$DISK"
losetup -d "$LOOP"
rm -f "$DISK"
