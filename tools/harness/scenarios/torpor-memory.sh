# dom0 scenario: free memory lives in Xen. A torpor whose `memory =` is more
# than half of Xen's free memory (so a Linux guest could not be migrated
# locally: sender and receiver would need it twice) runs demo=memload (malloc
# and free of 1 MiB chunks up to 16 MiB, round after round) through
# `xl migrate --live` while it allocates, then `xl mem-set` down (its mallocs
# must fail with NULL, the guest carries on) and up again. Before all that it
# waits for the load's rest, when the idle memory goes back to Xen. Record: free_mb,
# memory_mb, down_mb, list-{before,down,up}.txt (`xl list` of the guest).
. /harness/lib.sh

NAME=mem
free_mb=$(bounded 20 xl info | awk '$1 == "free_memory" { print $3 }')
MEMORY_MB=$(( ${free_mb:-0} * 6 / 10 ))
echo "$free_mb" > "$RESULTS/free_mb"
echo "$MEMORY_MB" > "$RESULTS/memory_mb"
cat > /tmp/$NAME.cfg <<CFG
type = "pv"
name = "$NAME"
kernel = "/payload/torpor.elf"
memory = $MEMORY_MB
vcpus = 2
extra = "demo=memload"
on_crash = "preserve"
CFG

memload_lines() { console_grep $NAME '^.*memload: rounds=' | wc -l; }
# wait_memload N TIMEOUT: until N more memload report lines than now.
wait_memload() {
  local want end
  want=$(( $(memload_lines) + $1 ))
  end=$(($(now_ms) + $2 * 1000))
  while [ "$(memload_lines)" -lt "$want" ]; do
    [ "$(now_ms)" -lt "$end" ] || { echo "memload: fewer than $1 new report lines in $2 s" >&2; return 1; }
    sleep 0.5
  done
}
list_to() { bounded 20 xl list $NAME | tee "$RESULTS/$1"; }

step create 120 xl create /tmp/$NAME.cfg || exit 1
step ready 240 wait_console $NAME 'demo: running' 240 || exit 1
# The load rests once, after its 5th round, with nothing allocated: what stayed free for
# a whole reclaim period goes back to Xen, and the next round populates again.
reclaimed_after_rest() {
  local before end
  wait_console $NAME 'memload: resting' 150 || return 1
  # The first give-back comes a whole idle period after the rest began.
  before=$(console_grep $NAME 'memory: gave back [0-9]+ frames unused' | wc -l)
  end=$(($(now_ms) + 30000))
  while [ "$(console_grep $NAME 'memory: gave back [0-9]+ frames unused' | wc -l)" -le "$before" ]; do
    [ "$(now_ms)" -lt "$end" ] || { echo "no idle memory given back within 30 s of the rest" >&2; return 1; }
    sleep 0.5
  done
}
step reclaimed 190 reclaimed_after_rest
step memload-after-rest 60 wait_memload 3 60
step memload 60 wait_memload 3 60
# Down to what the kernel held at boot plus 8 MiB: less than the 16 MiB the
# app wants on top, so some of its mallocs must fail.
held=$(console_grep $NAME 'memory: free memory lives in Xen' | sed -n 's/.*holding \([0-9]*\) frames.*/\1/p' | head -n 1)
DOWN_MB=$(( ${held:-6144} / 256 + 8 ))
echo "$DOWN_MB" > "$RESULTS/down_mb"
step list-before 20 list_to list-before.txt
step migrate-live 300 xl -vvv migrate --live -s "" $NAME "xl migrate-receive"
step resumed 60 wait_console $NAME 'app: after resume #1 ' 60
step memload-after-migrate 60 wait_memload 3 60
step memset-down 30 xl mem-set $NAME ${DOWN_MB}m
step target-down 30 wait_console $NAME "memory: target $((DOWN_MB * 1024)) KiB" 30
step null 60 wait_console $NAME 'memload: malloc\(1048576\) returned NULL' 60
step memload-down 60 wait_memload 3 60
step list-down 20 list_to list-down.txt
step memset-up 30 xl mem-set $NAME ${MEMORY_MB}m
step target-up 30 wait_console $NAME "memory: target $((MEMORY_MB * 1024)) KiB" 30
step memload-up 60 wait_memload 3 60
step list-up 20 list_to list-up.txt
step destroy 30 xl destroy $NAME
