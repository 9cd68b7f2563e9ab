# dom0 scenario: xenstore under load across suspends. torpor with 4 vCPUs and
# extra="demo=xsload suspend_evtchn=off" (every vCPU keeps xenstore requests and transactions in
# flight; a watch on data/load counts events) while $WRITERS dom0 loops rewrite
# data/load and keys below it as fast as they can, with no pause, through
# xl save + xl restore, xl save -c and xl migrate --live. The writers follow the domain to its new id
# after a restore or migration through /tmp/xsload.dom. The checker asserts
# from the guest's console: every operation rc 0, a resume each time, watch
# events before and after each operation, the quiesce time in each suspend
# breakdown, no failed step and no failed request. Record: ops.tsv (k,
# operation, expected cancel flag, rc).
. /harness/lib.sh

NAME=xl
WRITERS=${WRITERS:-3}
cat > /tmp/$NAME.cfg <<CFG
type = "pv"
name = "$NAME"
kernel = "/payload/torpor.elf"
memory = 64
vcpus = 4
extra = "demo=xsload suspend_evtchn=off"
on_crash = "preserve"
CFG
printf 'k\top\tcancelled\trc\n' > "$RESULTS/ops.tsv"
k=0
rm -f /tmp/xsload.stop /tmp/xsload.dom

# xsload_lines: how many once-a-second xsload report lines the guest printed.
xsload_lines() { console_grep $NAME '^.*xsload: mono_ns=' | wc -l; }
# wait_xsload N TIMEOUT: until N more report lines than now.
wait_xsload() {
  local want=$(($(xsload_lines) + $1)) end=$(($(now_ms) + $2 * 1000))
  while [ "$(now_ms)" -lt "$end" ]; do
    [ "$(xsload_lines)" -ge "$want" ] && return 0
    sleep 0.5
  done
  echo "wait_xsload: fewer than $want report lines after $2 s" >&2
  return 1
}
follow_domain() { domid $NAME > /tmp/xsload.dom.new && mv /tmp/xsload.dom.new /tmp/xsload.dom; }

# writer ID: one xenstore-write after another, each rewriting data/load (the
# key every writer fights over) and 7 keys of its own below it, until
# /tmp/xsload.stop appears. xenstore-write commits its pairs in one transaction
# (retrying on conflicts), so each round fires 8 watch events in the guest.
# Errors (the domain is being saved or moved) are ignored: the next round
# writes to wherever the domain is then.
writer() {
  local n=0 d p
  while [ ! -e /tmp/xsload.stop ]; do
    read -r d < /tmp/xsload.dom
    p=/local/domain/$d/data/load
    xenstore-write $p w$1-$n $p/w$1-1 $n $p/w$1-2 $n $p/w$1-3 $n \
                   $p/w$1-4 $n $p/w$1-5 $n $p/w$1-6 $n $p/w$1-7 $n 2>/dev/null
    n=$((n + 1))
  done
  echo "writer $1: $n rounds"
}
# stop_writers: ask, then wait (bounded) until none is left; kill what is.
stop_writers() {
  local i=0 left
  touch /tmp/xsload.stop
  while [ $i -lt 40 ]; do
    left=""
    for pid in $writer_pids; do kill -0 "$pid" 2>/dev/null && left="$left $pid"; done
    [ -z "$left" ] && return 0
    sleep 0.5
    i=$((i + 1))
  done
  echo "writers still running after 20 s:$left; killing them" >&2
  # shellcheck disable=SC2086
  kill -9 $left 2>/dev/null
  return 1
}

# after_op OP CANCELLED RC: the guest resumed (#k), the writers follow it, and
# it keeps reporting watch events.
after_op() {
  k=$((k + 1))
  printf '%s\t%s\t%s\t%s\n' "$k" "$1" "$2" "$3" >> "$RESULTS/ops.tsv"
  step "resumed-$k" 60 wait_console $NAME "app: resumed \\(#$k\\) " 60
  step "follow-$k" 20 follow_domain
  step "events-after-$k" 30 wait_xsload 2 30
}

step create 60 xl create /tmp/$NAME.cfg || exit 1
step ready 240 wait_console $NAME 'xsload: started on 4 vcpus' 240 || exit 1
step follow-0 20 follow_domain || exit 1
writer_pids=""
i=1
while [ $i -le "$WRITERS" ]; do
  writer $i > "$RESULTS/writer-$i.log" 2>&1 &
  writer_pids="$writer_pids $!"
  i=$((i + 1))
done
step events-before 30 wait_xsload 2 30

step save 120 xl save $NAME /tmp/$NAME.img; rc=$?
step restore 120 xl restore /tmp/$NAME.img; rc=$((rc + $?))
rm -f /tmp/$NAME.img
after_op save-restore 0 $rc

step checkpoint 120 xl save -c $NAME /tmp/$NAME.chk; rc=$?
rm -f /tmp/$NAME.chk
after_op save-c 1 $rc

step migrate-live 180 xl migrate --live -s "" $NAME "xl migrate-receive"; rc=$?
after_op migrate-live 0 $rc

step stop-writers 30 stop_writers
step shutdown 60 xl shutdown -w $NAME
