# dom0 scenario of host A in a two-host run (run-two-hosts.sh; host B runs
# torpor-two-hosts-b.sh). torpor with 4 vCPUs and a vif (10.77.0.9) boots here
# (`demo=quiet`: its vCPU counters tick every 100 ms instead of spinning; with
# them spinning a hop took 103 s under TCG, quiet 52 s; echo and HTTP as ever);
# dom0's client keeps one TCP stream through its echo port and arp_watch logs
# its ARPs on xenbr0 (which the L2 to host B joins); ROUNDS times: `xl migrate
# --live` to B's receiver (nc on port 8002 running `xl migrate-receive`), then
# wait for B to send it back; ping and HTTP after; `xl shutdown`. Its disk,
# xvda, is the LUN both hosts share: the demo's record writer keeps writing on
# both; after the shutdown the written records are kept for the checker.
# With GUEST=linux (two-hosts.conf; the bench) the Linux PV baseline guest
# does the same with the same disk, vif, memory and vCPUs, and is destroyed.
# Record: hops.tsv (dom0's wall clock around each hop and each receive).
. /payload/scenarios/torpor-two-hosts-common.sh

step shared-disk 10 shared_disk || exit 1
phy_device_disk $SHARED_DISK
receiver_start
trap 'on_exit $NET_HOST_B_IP' EXIT
if [ "$GUEST" = linux ]; then  # the bench's baseline: the same disk and vif
  cat > /tmp/$NAME.cfg <<CFG
type = "pv"
name = "$NAME"
kernel = "/harness/linux/vmlinux"
ramdisk = "/harness/linux/guest.cpio"
extra = "console=hvc0 loglevel=4"
CFG
else
  cat > /tmp/$NAME.cfg <<CFG
type = "pv"
name = "$NAME"
kernel = "/payload/torpor.elf"
extra = "demo=quiet"
CFG
fi
cat >> /tmp/$NAME.cfg <<CFG
memory = $MEMORY
vcpus = $VCPUS
on_crash = "preserve"
disk = [ "$DISK_SPEC" ]
CFG
vif_line $GUEST_MAC $GUEST_IP >> /tmp/$NAME.cfg
READY='torpor: ready'
[ "$GUEST" != linux ] || READY='linux-baseline ready'

# host B's dom0 answers on the L2 (it boots 30 s after A)
peer_up() {
  until ping -c 1 -W 2 "$NET_HOST_B_IP" > /dev/null 2>&1; do sleep 1; done
}
step create 60 xl create /tmp/$NAME.cfg || exit 1
step ready 130 wait_console $NAME "$READY" 120 || exit 1
net_client_start $GUEST_IP $GUEST_MAC
trap 'on_exit $NET_HOST_B_IP' EXIT  # net_client_start set its own
step ping-before 30 net_ping $GUEST_IP
step peer-up 240 peer_up || exit 1
r=1
while [ $r -le "$ROUNDS" ]; do
  net_label hop-$r-ab
  hop $r ab "$NET_HOST_B_IP" || exit 1
  net_label on-b-$r
  step back-$r 600 arrived $((2 * r)) 600 || exit 1
  mark $r ba arrived
  net_label back-$r
  step echo-back-$r 70 net_wait_echo 60
  r=$((r + 1))
done
step ping-after 30 net_ping $GUEST_IP
step http-after 30 net_http_get $GUEST_IP /
net_client_stop
if [ "$GUEST" = linux ]; then  # the baseline's init has no poweroff path
  step destroy 60 xl destroy $NAME
else
  step shutdown 60 xl shutdown -w $NAME
  # The records the guest wrote on both hosts, read back here (blk_image.py).
  step disk-copy 60 keep_disk_prefix $NAME $SHARED_DISK
fi
