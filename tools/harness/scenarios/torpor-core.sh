# dom0 scenario: torpor's kernel core with the demo app. Heartbeat, wall clock,
# a watch fired from dom0, a transaction read back by dom0, console input, a
# stale event-channel handle, unknown/reboot/poweroff via control/shutdown.
. /harness/lib.sh

NAME=core
cat > /tmp/core.cfg <<CFG
type = "pv"
name = "$NAME"
kernel = "/payload/torpor.elf"
memory = 64
vcpus = 1
on_crash = "preserve"
CFG

# count_beats: heartbeat lines logged so far.
count_beats() { console_grep $NAME 'heartbeat [0-9]+ ' | wc -l; }
# wait_banners N TIMEOUT: until N boot banners are in the log.
wait_banners() {
  local end=$(($(now_ms) + $2 * 1000))
  while [ "$(now_ms)" -lt "$end" ]; do
    [ "$(console_grep $NAME 'booted on Xen' | wc -l)" -ge "$1" ] && return 0
    sleep 0.2
  done
  return 1
}

step create 60 xl create /tmp/core.cfg || exit 1
step ready 60 wait_console $NAME "demo: running" 60 || exit 1
domid $NAME > "$RESULTS/domid" || exit 1
dom=$(cat "$RESULTS/domid")

# Heartbeat over 5 s of dom0 time.
b0=$(count_beats); t0=$(now_ms)
sleep 5
b1=$(count_beats); t1=$(now_ms)
echo "$b0 $b1 $((t1 - t0))" > "$RESULTS/heartbeat_window"

step ping 15 xenstore-write "/local/domain/$dom/data/ping" hello
step ping_seen 15 wait_console $NAME 'watch data/ping fired: value="hello"' 15
xenstore-read "/local/domain/$dom/data/tx-a" > "$RESULTS/tx-a" 2>&1
xenstore-read "/local/domain/$dom/data/tx-b" > "$RESULTS/tx-b" 2>&1

tty=$(xenstore-read "/local/domain/$dom/console/tty")
echo "console tty: $tty"
step console_input 15 sh -c "printf 'hello torpor\n' > $tty"
step console_echo 15 wait_console $NAME 'console: echo "hello torpor"' 15
step invalidate 15 sh -c "printf 'invalidate-event\n' > $tty"
step stale_wait 15 wait_console $NAME 'event-wait: port [0-9]+ returned "stale handle"' 15

step unknown_request 15 xenstore-write "/local/domain/$dom/control/shutdown" frobnicate
step unknown_logged 15 wait_console $NAME 'unknown shutdown request "frobnicate"' 15

step reboot 60 xl reboot $NAME
step rebooted 90 wait_banners 2 90
step ready_again 60 wait_console $NAME 'torpor: ready' 60
domid $NAME > "$RESULTS/domid_after_reboot"
step shutdown 60 xl shutdown -w $NAME
step gone 15 sh -c "! xl domid $NAME 2>/dev/null"
