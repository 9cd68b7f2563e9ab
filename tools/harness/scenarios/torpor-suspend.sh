# dom0 scenario: torpor with 4 vCPUs through xl save/restore, save -c, local
# migrate, migrate --live, a migration whose receiver fails after the guest
# suspended (the guest must carry on at the sender: the cancelled path), then
# $CYCLES mixed cycles of the four kinds in turn (save/restore, save -c,
# migrate --live, the failed migration; tools/soak.sh runs 1000). After every
# operation dom0 writes a xenstore key the guest watches and types a console
# line (one step, probe-k); the checker asserts the rest from the guest's own
# output. Record: ops.tsv (k, operation, expected cancel flag),
# images.tsv (k, save image bytes).
# The guest has a disk, xvda: a sparse raw file on a loop device (64 MiB, plus
# 1 MiB for every 4 cycles: the writer appends about 150 KiB a cycle),
# attached by blkback through our own hotplug script (the stock block script
# needs more than busybox offers). The demo writes its records there through
# every operation; after the shutdown the scenario keeps the disk's first
# sectors (up to a little past the last acknowledged record) as
# disk-prefix.img, which the checker reads offline.
# NET=1: the guest gets a vif (MAC 00:16:3e:77:00:03, the backend's ip key
# 10.77.0.3); dom0 pings it and fetches / before and after, and one TCP
# connection streams through its echo port across every operation (window
# "OP-k" of the client's record, $RESULTS/net/; check_torpor_suspend.py then
# asserts it). On by default; NET=0 leaves the vif out.
. /harness/lib.sh

NAME=s
CYCLES=${CYCLES:-20}
DISK=/tmp/$NAME-disk.img
phy_disk "$DISK" $((64 + CYCLES / 4)) || exit 1
NET=${NET:-1}
IP=$NET_TORPOR_IP
MAC=$NET_TORPOR_MAC
cat > /tmp/$NAME.cfg <<CFG
type = "pv"
name = "$NAME"
kernel = "/payload/torpor.elf"
memory = 64
vcpus = 4
on_crash = "preserve"
disk = [ "$DISK_SPEC" ]
CFG
[ "$NET" = 1 ] && vif_line $MAC $IP >> /tmp/$NAME.cfg
# The checker requires the network part unless the scenario says it was left out.
[ "$NET" = 1 ] || echo "NET=$NET" > "$RESULTS/net_off"
# net_window OP: the client records the coming operation (#k+1) apart.
net_window() { [ "$NET" != 1 ] || net_label "$1-$((k + 1))"; }
printf 'k\top\tcancelled\trc\n' > "$RESULTS/ops.tsv"
printf 'k\tbytes\n' > "$RESULTS/images.tsv"
k=0

# after_op OP CANCELLED RC: the guest reports resume #k, then dom0 pokes it.
after_op() {
  k=$((k + 1))
  printf '%s\t%s\t%s\t%s\n' "$k" "$1" "$2" "$3" >> "$RESULTS/ops.tsv"
  step "probe-$k" 150 probe $k
}

# probe K: wait for the guest's "after resume #K", write data/ping (it watches
# it), type a line on its console, see both echoed in its output and the TCP
# stream flowing. One step, so that a soak spends its time on the operations.
probe() {
  local dom tty
  wait_console $NAME "app: after resume #$1 " 60 || return 1
  dom=$(domid $NAME) || return 1
  xenstore-write "/local/domain/$dom/data/ping" "after-$1" || return 1
  tty=$(xenstore-read "/local/domain/$dom/console/tty") || return 1
  printf 'echo-%s\n' "$1" > "$tty" || return 1
  wait_console $NAME "console: echo \"echo-$1\"" 20 || return 1
  wait_console $NAME "watch data/ping fired: value=\"after-$1\"" 20 || return 1
  [ "$NET" != 1 ] || net_wait_echo 60
}

save_restore() {
  net_window save-restore
  step "save-$1" 120 xl -vvv save $NAME /tmp/$NAME.img; local rc=$?
  printf '%s\t%s\n' "$((k + 1))" "$(stat -c %s /tmp/$NAME.img 2>/dev/null || echo 0)" >> "$RESULTS/images.tsv"
  step "restore-$1" 120 xl restore /tmp/$NAME.img; rc=$((rc + $?))
  rm -f /tmp/$NAME.img
  after_op save-restore 0 $rc
}
checkpoint() { net_window save-c; step "checkpoint-$1" 120 xl -vvv save -c $NAME /tmp/$NAME.chk; local rc=$?; rm -f /tmp/$NAME.chk; after_op save-c 1 $rc; }
migrate() { net_window migrate; step "migrate-$1" 180 xl -vvv migrate -s "" $NAME "xl migrate-receive"; after_op migrate 0 $?; }
migrate_live() { net_window migrate-live; step "migrate-live-$1" 180 xl -vvv migrate --live -s "" $NAME "xl migrate-receive"; after_op migrate-live 0 $?; }

# A receiver that is frozen the moment the guest starts suspending (its app
# bumps data/suspend-count) and then killed, before it can acknowledge the
# transfer: xl then resumes the guest at the sender, the cancelled path.
# Args: source domid, the suspend count to wait for.
cat > /tmp/dying-receiver.sh <<'RCV'
receiver=$$
(
  i=0
  while [ $i -lt 2400 ]; do  # 2 minutes at most
    [ "$(xenstore-read /local/domain/$1/data/suspend-count 2>/dev/null)" = "$2" ] && break
    sleep 0.05
    i=$((i + 1))
  done
  kill -STOP $receiver
  sleep 1
  kill -9 $receiver
  sleep 1
  xl destroy s--incoming
) </dev/null >/dev/null 2>&1 &
exec xl migrate-receive
RCV
failed_migration() {
  local dom; dom=$(domid $NAME)
  net_window migrate-killed
  step "migrate-killed-$1" 180 xl -vvv migrate --live -s "" $NAME "sh /tmp/dying-receiver.sh $dom $((k + 1))"
  local rc=$?  # expected non-zero
  step "still-running-$1" 30 running_or_blocked $NAME 10
  after_op migrate-killed 1 $(( rc == 0 ))
}

step create 60 xl create /tmp/$NAME.cfg || exit 1
step ready 240 wait_console $NAME 'demo: running' 240 || exit 1
if [ "$NET" = 1 ]; then
  step ping 60 net_ping $IP
  step http 30 net_http_get $IP /
  net_client_start $IP $MAC
fi

save_restore 0
checkpoint 0
migrate 0
migrate_live 0
failed_migration 0

i=1
while [ $i -le "$CYCLES" ]; do
  case $((i % 4)) in
    1) save_restore $i ;;
    2) checkpoint $i ;;
    3) migrate_live $i ;;
    0) failed_migration $i ;;
  esac
  i=$((i + 1))
done
echo "$k" > "$RESULTS/op_count"
if [ "$NET" = 1 ]; then
  net_label idle
  step ping-after 30 net_ping $IP
  step http-after 30 net_http_get $IP /
  step net-stop 60 net_client_stop
fi
step shutdown 60 xl shutdown -w $NAME

# Keep the disk up to a little past the last acknowledged record (records are
# one sector each; what was written but not yet acknowledged may follow).
step disk-copy 60 keep_disk_prefix $NAME "$DISK"
losetup -d "$LOOP"
rm -f "$DISK"
