# dom0 scenario: torpor on 4 vCPUs (counters, IPI ping-pong, 100 pause/resume
# rounds), then a maxvcpus=4/vcpus=2 domain that must bring up exactly 2.
. /harness/lib.sh

make_cfg() {  # NAME VCPUS MAXVCPUS
  cat > "/tmp/$1.cfg" <<CFG
type = "pv"
name = "$1"
kernel = "/payload/torpor.elf"
memory = 64
vcpus = $2
maxvcpus = $3
on_crash = "preserve"
CFG
}
# wait_counters NAME N TIMEOUT: until N "counters:" lines are logged.
wait_counters() {
  local end=$(($(now_ms) + $3 * 1000))
  while [ "$(now_ms)" -lt "$end" ]; do
    [ "$(console_grep "$1" '^.*counters:' | wc -l)" -ge "$2" ] && return 0
    sleep 0.5
  done
  return 1
}

make_cfg smp4 4 4
step create4 60 xl create /tmp/smp4.cfg || exit 1
step selftest4 240 wait_console smp4 'smp self-test done' 240
n=$(console_grep smp4 '^.*counters:' | wc -l)
step counters4 30 wait_counters smp4 $((n + 2)) 30
step shutdown4 60 xl shutdown -w smp4

make_cfg smp2 2 4
step create2 60 xl create /tmp/smp2.cfg || exit 1
step ready2 120 wait_console smp2 'demo: running' 120
n=$(console_grep smp2 '^.*counters:' | wc -l)
step counters2 30 wait_counters smp2 $((n + 2)) 30
step shutdown2 60 xl shutdown -w smp2
