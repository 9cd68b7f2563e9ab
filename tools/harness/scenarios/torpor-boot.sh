# dom0 scenario: boot torpor as a PV domU, poke control/shutdown with an unknown
# value (must be logged and ignored), then `xl shutdown` it. Needs /payload/torpor.elf.
. /harness/lib.sh

MEMORY_MB=64
cat > /tmp/torpor.cfg <<CFG
type = "pv"
name = "torpor"
kernel = "/payload/torpor.elf"
memory = $MEMORY_MB
vcpus = 1
on_crash = "preserve"
CFG
echo "$MEMORY_MB" > "$RESULTS/memory_mb"

step create 60 xl create /tmp/torpor.cfg || exit 1
step ready 30 wait_console torpor "torpor: ready" 30 || exit 1
domid torpor > "$RESULTS/domid" || exit 1
dom=$(cat "$RESULTS/domid")

step unknown_request 15 xenstore-write "/local/domain/$dom/control/shutdown" frobnicate
step unknown_logged 15 wait_console torpor 'unknown shutdown request "frobnicate"' 15
step shutdown 60 xl shutdown -w torpor
step gone 15 sh -c '! xl domid torpor 2>/dev/null'
