# dom0 scenario of host B in a two-host run (run-two-hosts.sh; host A runs
# torpor-two-hosts-a.sh): its receiver (nc on port 8002 running `xl
# migrate-receive`) takes the guest; once it has resumed here and run for a
# few seconds, `xl migrate --live` sends it back to host A's receiver; ROUNDS
# times. Its disk is the LUN both hosts share. Record: hops.tsv (dom0's wall clock around each hop and receive).
. /payload/scenarios/torpor-two-hosts-common.sh

step shared-disk 10 shared_disk || exit 1
phy_device_disk $SHARED_DISK
receiver_start
trap 'on_exit $NET_HOST_A_IP' EXIT
r=1
while [ $r -le "$ROUNDS" ]; do
  # the first guest comes after host A's boot, guest boot and a hop
  step arrived-$r 600 arrived $((2 * r - 1)) 600 || exit 1
  mark $r ab arrived
  step running-$r 60 running_or_blocked $NAME 30 || exit 1
  step stay-$r 20 sleep 8  # the guest runs here a while (its clocks on B)
  hop $r ba "$NET_HOST_A_IP" || exit 1
  r=$((r + 1))
done
