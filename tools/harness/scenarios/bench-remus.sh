# dom0 scenario: the bench's continuous-checkpointing rows. torpor (demo=quiet)
# and the Linux PV baseline, the same memory and vCPUs, each under
# `xl -vvv remus -F -b -n -d -i MS NAME localhost` (unsafe blackhole: every
# checkpoint goes to /dev/null) for $REMUS_SECONDS at each interval of
# $REMUS_INTERVALS, then the save helper is killed (a failed backup: libxl
# resumes the guest) and the guest destroyed. xl's log goes through
# client/stamp_lines.c, so every line carries dom0's monotonic ms: both guests
# are timed the same way, from the toolstack's side. Writes
# $RESULTS/remus-KIND-MS.log (the stamped xl log), remus.tsv (guest,
# interval_ms, metric, value: rc of xl remus, whether the guest still ran
# after) and console-KIND-MS.log; tools/bench_remus_report.py derives the rows.
. /harness/lib.sh

REMUS_SECONDS=${BENCH_REMUS_SECONDS:-60}
REMUS_INTERVALS=${BENCH_REMUS_INTERVALS:-"100 25"}
MEM=256
VCPUS=2
TSV=$RESULTS/remus.tsv
printf 'guest\tinterval_ms\tmetric\tvalue\n' > "$TSV"
record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >> "$TSV"; }

config() {  # KIND NAME
  case $1 in
    torpor) printf 'type="pv"\nname="%s"\nkernel="/payload/torpor.elf"\nmemory=%s\nvcpus=%s\nextra="demo=quiet"\n' \
              "$2" $MEM $VCPUS ;;
    linux) sed -e "s/^name = .*/name = \"$2\"/" -e "s/^memory = .*/memory = $MEM/" \
             -e "s/^vcpus = .*/vcpus = $VCPUS/" -e "/^vif = /d" /harness/linux/linux.cfg ;;
  esac > "/tmp/$2.cfg"
}
ready_line() { case $1 in linux) echo 'linux-baseline ready' ;; *) echo 'torpor: ready' ;; esac; }

# stamped_remus MS NAME LOG: xl remus -i MS of NAME, every line stamped.
stamped_remus() {
  xl -vvv remus -F -b -n -d -i "$1" "$2" localhost 2>&1 | "$HARNESS_DIR/bin/stamp_lines" > "$3"
}

# remus_for KIND MS: one guest under xl remus -i MS for REMUS_SECONDS.
remus_for() {
  local kind=$1 ms=$2 name=x$1 log=$RESULTS/remus-$1-$2.log
  config "$kind" "$name"
  bounded 120 xl create "/tmp/$name.cfg" >/dev/null 2>&1 || { say "bench-remus: $kind create failed"; return 1; }
  wait_console "$name" "$(ready_line "$kind")" 120 || { bounded 30 xl destroy "$name"; return 1; }
  sleep 2  # let it settle
  if remus_then_fail_backup "$REMUS_SECONDS" stamped_remus "$ms" "$name" "$log" >/dev/null; then
    record "$kind" "$ms" xl_ended 1
  else
    say "bench-remus: $kind -i $ms: xl remus still running 60 s after its helper died; killed"
    record "$kind" "$ms" xl_ended 0
  fi
  if running_or_blocked "$name" 20 >/dev/null 2>&1; then record "$kind" "$ms" ran_after 1
  else record "$kind" "$ms" ran_after 0; fi
  cp "/var/log/xen/console/guest-$name.log" "$RESULTS/console-$kind-$ms.log" 2>/dev/null
  bounded 60 xl destroy "$name" >/dev/null 2>&1
  rm -f /var/log/xen/console/guest-$name*.log
}

for ms in $REMUS_INTERVALS; do
  for kind in torpor linux; do
    step "remus-$kind-$ms" $((REMUS_SECONDS + 300)) remus_for "$kind" "$ms"
  done
done
