# dom0 scenario: what torpor's panics report. One small domain per deliberate
# failure (guest option panic_test=KIND, see main/panic_test.h), plus one
# sent an NMI with `xl trigger`; each must report on its console and end
# crashed (on_crash = "preserve" keeps it listed so its state can be read).
. /harness/lib.sh

# xl_state NAME: the State column of `xl list NAME` (e.g. "----c-" once crashed).
xl_state() { bounded 15 xl list "$1" | awk 'NR == 2 { print $5 }'; }

# wait_crashed NAME SECONDS: until NAME's state shows c (crashed).
wait_crashed() {
  local end=$(($(now_ms) + $2 * 1000)) state
  while [ "$(now_ms)" -lt "$end" ]; do
    state=$(xl_state "$1")
    case $state in *c*) return 0 ;; esac
    sleep 0.3
  done
  echo "wait_crashed: $1 is '$state', not crashed, after $2 s" >&2
  return 1
}

# run_case CASE EXTRA: boot panic-CASE with `extra = EXTRA`; trigger_CASE (if
# defined) runs once it is ready; then wait for the crash and record the state.
run_case() {
  local case=$1 name=panic-$1
  cat > "/tmp/$name.cfg" <<CFG
type = "pv"
name = "$name"
kernel = "/payload/torpor.elf"
memory = 32
vcpus = 2
on_crash = "preserve"
extra = "$2"
CFG
  step "create-$case" 60 xl create "/tmp/$name.cfg" || return 1
  step "ready-$case" 60 wait_console "$name" "torpor: ready" 60
  if [ "$case" = nmi ]; then
    step "trigger-$case" 15 xl trigger "$name" nmi 0
  fi
  step "crashed-$case" 30 wait_crashed "$name" 30
  xl_state "$name" > "$RESULTS/state-$case"
  step "destroy-$case" 30 xl destroy "$name"
}

for case in assert pagefault overflow nested wx; do
  run_case "$case" "demo=quiet panic_test=$case"
done
run_case nmi "demo=quiet"
