# dom0 scenario: every suspend step fails once on the real hypervisor, through
# the guest option fault=STEP:N (suspend/fault_plan.h).
#
# Six 4-vCPU guests, one per down-path step (app, xenstore, devices, cpus,
# timers, unmap), each with that fault on its suspend #1 and one resume-path
# fault on its suspend #4. Suspend #1 is an `xl save` that must fail as libxl
# defines it: the guest acknowledges the request, never suspends, and libxl
# gives up after its fixed 60 s wait (libxl_dom_suspend.c; nothing the guest
# can write ends that wait early), so the six saves run at once. Then each
# guest must still run with every vCPU, console input, watches, timers and
# heartbeat; suspend #2 (`xl save`/`xl restore`) and #3 (`xl migrate --live`)
# must succeed; suspend #4 (`xl save`/`xl restore`) injects the resume fault
# into the restored domain: remap, events, clocks, cpus and xenstore must end
# in a panic naming the step and a crashed domain, devices in a guest that
# carries on. Record: faults.tsv (guest, down step, resume step, expected end).
. /harness/lib.sh

# guest down-step resume-step expected-end
cat > /tmp/faults.plan <<'PLAN'
f-app app resume.remap panic
f-xenstore xenstore resume.events panic
f-devices devices resume.clocks panic
f-cpus cpus resume.cpus panic
f-timers timers resume.xenstore panic
f-unmap unmap resume.devices carry-on
PLAN
printf 'guest\tdown\tresume\tend\n' > "$RESULTS/faults.tsv"
while read -r g down up end; do
  printf '%s\t%s\t%s\t%s\n' "$g" "$down" "$up" "$end" >> "$RESULTS/faults.tsv"
  cat > "/tmp/$g.cfg" <<CFG
type = "pv"
name = "$g"
kernel = "/payload/torpor.elf"
memory = 32
vcpus = 4
on_crash = "preserve"
extra = "demo=quiet fault=$down:1,$up:4"
CFG
done < /tmp/faults.plan
guests_planned=$(awk '{ print $1 }' /tmp/faults.plan)

# poke NAME TAG: a watch, a console line and a vCPU check, each answered.
poke() {
  local dom tty
  dom=$(domid "$1") || return 1
  tty=$(xenstore-read "/local/domain/$dom/console/tty") || return 1
  xenstore-write "/local/domain/$dom/data/ping" "$2" || return 1
  printf 'echo-%s\ncheck-vcpus %s\n' "$2" "$2" > "$tty" || return 1
  wait_console "$1" "watch data/ping fired: value=\"$2\"" 30 &&
    wait_console "$1" "console: echo \"echo-$2\"" 30 &&
    wait_console "$1" "app: check $2 [0-9]+ of [0-9]+ vcpus advanced" 30
}

# state NAME: xl list's state column (r, b, p, s, c, d; '-' when not set).
state() { bounded 20 xl list "$1" 2>/dev/null | awk 'NR == 2 { print $5 }'; }
is_running() { state "$1" | grep -qv '[scd]'; }
# wait_crashed NAME: until Xen says NAME crashed (on_crash = "preserve" keeps it).
wait_crashed() {
  local i=0
  while [ $i -lt 40 ]; do
    state "$1" | grep -q c && return 0
    sleep 0.5; i=$((i + 1))
  done
  echo "$1 is not crashed: state $(state "$1")" >&2
  return 1
}

for g in $guests_planned; do
  step "create-$g" 60 xl create "/tmp/$g.cfg" || exit 1
done
for g in $guests_planned; do
  step "ready-$g" 240 wait_console "$g" 'demo: running' 240 || exit 1
done

# Suspend #1: all six saves at once, each must fail.
say "six xl save, each waiting out libxl's 60 s for a guest that aborted its suspend"
for g in $guests_planned; do
  step "save-fault-$g" 150 xl save "$g" "/tmp/$g.img" &
done
wait
rm -f /tmp/f-*.img
for g in $guests_planned; do
  step "alive-$g" 20 is_running "$g"
  step "poke-fault-$g" 60 poke "$g" "fault-1"
done

# Suspends #2 and #3 succeed; #4 takes the resume fault. (The plan on fd 3:
# nothing in the loop may eat it from stdin.)
while read -r g down up end <&3; do
  step "save-2-$g" 120 xl save "$g" "/tmp/$g.img"
  step "restore-2-$g" 120 xl restore "/tmp/$g.img"
  rm -f "/tmp/$g.img"
  step "resumed-2-$g" 60 wait_console "$g" "app: after resume #2 " 60
  step "migrate-3-$g" 180 xl migrate --live -s "" "$g" "xl migrate-receive"
  step "resumed-3-$g" 60 wait_console "$g" "app: after resume #3 " 60
  step "poke-3-$g" 60 poke "$g" "after-3"
  step "save-4-$g" 120 xl save "$g" "/tmp/$g.img"
  step "restore-4-$g" 120 xl restore "/tmp/$g.img"
  rm -f "/tmp/$g.img"
  if [ "$end" = panic ]; then
    step "panicked-4-$g" 60 wait_console "$g" "PANIC.*: suspend #4: resume step" 60
    step "crashed-4-$g" 30 wait_crashed "$g"
    bounded 30 xl destroy "$g"
  else
    step "resumed-4-$g" 60 wait_console "$g" "app: after resume #4 " 60
    step "poke-4-$g" 60 poke "$g" "after-4"
    step "shutdown-$g" 60 xl shutdown -w "$g"
  fi
done 3< /tmp/faults.plan
