# dom0 scenario: the measurements behind tools/bench.sh, for torpor (balloon
# on and off) and the Linux PV baseline with the same memory and vCPUs
# (256 MiB, and 1024 MiB), plus torpor at 16 MiB: the toolstack's floor for
# save and restore, and torpor at 1024 MiB with 4 vCPUs (its suspend path).
# torpor runs its demo with demo=quiet (a heartbeat and one counter tick per
# vCPU every 100 ms), as idle as the Linux baseline's 100 ms tick. A guest
# that cannot fit in Xen's free memory (Linux's live migration needs its
# memory twice: sender and receiver) is skipped with a `skipped` row: the
# 1024 MiB guests in the test command's smaller QEMU (bench-smoke).
# Every live migration, torpor's and Linux's alike, goes through a counting
# transport (the stream's bytes; count_bytes's extra copy costs both the same
# way);
# used memory is `xl list`'s before each operation.
# BENCH_REPS repetitions; BENCH_MIN_MEMORY=1 also searches the smallest
# memory= that boots and live-migrates. Writes $RESULTS/bench.tsv:
# guest, rep, metric, value (ms, bytes, MiB). Then torpor and Linux with a vif:
# HTTP requests per second and one TCP echo stream through migrate --live,
# save -c and save + restore ($RESULTS/net-KIND-REP/, see measure_net). Then
# torpor and Linux with a disk: sequential write MiB/s, 4 KiB random read IOPS
# and the longest I/O stall through migrate --live, from blkback's counters
# ($RESULTS/blk-KIND-REP/, see measure_blk).
. /harness/lib.sh

REPS=${BENCH_REPS:-5}
MIN_MEMORY=${BENCH_MIN_MEMORY:-1}
MEM=256
VCPUS=2
TSV=$RESULTS/bench.tsv
printf 'guest\trep\tmetric\tvalue\n' > "$TSV"
record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >> "$TSV"; }

FLOOR_MEM=16
BIG_MEM=1024
KINDS="torpor torpor-noballoon linux torpor-16m torpor-1g linux-1g torpor-1g-4v"
torpor_config() {  # NAME MEMORY EXTRA [VCPUS]
  printf 'type="pv"\nname="%s"\nkernel="/payload/torpor.elf"\nmemory=%s\nvcpus=%s\nextra="%s"\n' \
    "$1" "$2" "${4:-$VCPUS}" "$3"
}
memory_of() { case $1 in torpor-16m) echo $FLOOR_MEM ;; *-1g|*-1g-4v) echo $BIG_MEM ;; *) echo $MEM ;; esac; }
config() {  # KIND NAME MEMORY
  case $1 in
    torpor|torpor-16m|torpor-1g) torpor_config "$2" "$3" "demo=quiet" ;;
    torpor-1g-4v) torpor_config "$2" "$3" "demo=quiet" 4 ;;
    torpor-noballoon) torpor_config "$2" "$3" "demo=quiet balloon=off" ;;
    linux|linux-1g) sed -e "s/^name = .*/name = \"$2\"/" -e "s/^memory = .*/memory = $3/" \
             -e "s/^vcpus = .*/vcpus = $VCPUS/" /harness/linux/linux.cfg ;;
  esac > "/tmp/$2.cfg"
}
ready_line() { case $1 in linux*) echo 'linux-baseline ready' ;; *) echo 'torpor: ready' ;; esac; }

# What Xen must have free for KIND: its memory= at creation, and Linux's live
# migration holds it twice (sender and receiver); 64 MiB for the toolstack.
need_mib() { case $1 in linux*) echo $(($(memory_of "$1") * 2 + 64)) ;; *) echo $(($(memory_of "$1") + 64)) ;; esac; }
free_mib() { bounded 20 xl info | awk '$1 == "free_memory" { print $3 }'; }
# used_mib NAME: the memory Xen has given the domain now (xl list's Mem, MiB).
used_mib() { bounded 20 xl list "$1" | awk 'NR == 2 { print $3 }'; }

# Every live migration: the transport (xl runs it with -s "") counts the
# stream on its way into xl migrate-receive, whose replies go back on stdout.
COUNTING_RECEIVE=/tmp/counting-receive.sh
# client/count_bytes relays it and writes the bytes it copied. (The first
# version, tee into a fifo that busybox `wc -c` read, throttled the stream to
# ~2.5 MiB/s under TCG: Linux's 256 MiB live migration took 108 s instead of
# ~5 s, torpor's 8 MiB hardly changed, and the ratio meant nothing.)
cat > $COUNTING_RECEIVE <<EOF
$HARNESS_DIR/bin/count_bytes "\$1" | xl migrate-receive
EOF
# A Linux save image at 1024 MiB does not fit in dom0's default tmpfs (half its memory).
mount -o remount,size=90% /tmp 2>/dev/null || true

# elapsed_ms CMD...: run bounded, print the ms it took (empty on failure).
elapsed_ms() { local t0=$(now_ms); bounded 240 "$@" >/dev/null 2>&1 || return 1; echo $(($(now_ms) - t0)); }

measure() {  # KIND REP
  local kind=$1 rep=$2 name=b$1 t ms size used need free
  need=$(need_mib "$kind") free=$(free_mib)
  if [ "${free:-0}" -lt "$need" ]; then
    say "bench: $kind skipped: it needs $need MiB free in Xen, which has ${free:-?}"
    record "$kind" "$rep" skipped_need_mib "$need"
    return 0
  fi
  config "$kind" "$name" "$(memory_of "$kind")"
  bounded 120 xl create "/tmp/$name.cfg" >/dev/null 2>&1 || { say "bench: $kind create failed"; return 1; }
  t=$(now_ms)
  wait_console "$name" "$(ready_line "$kind")" 120 || { bounded 30 xl destroy "$name"; return 1; }
  record "$kind" "$rep" boot_ms $(($(now_ms) - t))
  sleep 2  # let it settle (the demo app starts its threads)
  used=$(used_mib "$name") && record "$kind" "$rep" used_before_save_mib "$used"
  if ms=$(elapsed_ms xl save "$name" /tmp/$name.img); then
    record "$kind" "$rep" save_ms "$ms"
    size=$(stat -c %s /tmp/$name.img); record "$kind" "$rep" image_bytes "$size"
    ms=$(elapsed_ms xl restore /tmp/$name.img) && record "$kind" "$rep" restore_ms "$ms"
  fi
  rm -f /tmp/$name.img
  sleep 1
  used=$(used_mib "$name") && record "$kind" "$rep" used_before_migrate_mib "$used"
  rm -f /tmp/$name.count
  ms=$(elapsed_ms xl migrate --live -s "" "$name" "sh $COUNTING_RECEIVE /tmp/$name.count") &&
    record "$kind" "$rep" migrate_live_ms "$ms" &&
    record "$kind" "$rep" stream_bytes "$(cat /tmp/$name.count)"
  rm -f /tmp/$name.count
  sleep 1
  cp "/var/log/xen/console/guest-$name.log" "$RESULTS/console-$kind-$rep.log" 2>/dev/null
  cat "/var/log/xen/console/guest-$name--incoming.log" >> "$RESULTS/console-$kind-$rep.log" 2>/dev/null
  bounded 60 xl destroy "$name" >/dev/null 2>&1
  rm -f /var/log/xen/console/guest-$name*.log
}

smallest_memory() {  # KIND SIZES...
  local kind=$1 m name
  shift
  for m in "$@"; do
    name=m$kind
    config "$kind" "$name" "$m"
    if bounded 120 xl create "/tmp/$name.cfg" >/dev/null 2>&1 &&
       wait_console "$name" "$(ready_line "$kind")" 90 &&
       bounded 240 xl migrate --live -s "" "$name" "xl migrate-receive" >/dev/null 2>&1 &&
       sleep 2 && bounded 10 xl list "$name" >/dev/null 2>&1; then
      record "$kind" 0 min_memory_mib "$m"
      bounded 60 xl destroy "$name" >/dev/null 2>&1
      rm -f /var/log/xen/console/guest-$name*.log
      return 0
    fi
    bounded 60 xl destroy "$name" >/dev/null 2>&1
    rm -f /var/log/xen/console/guest-$name*.log
  done
}

# --- the network: torpor and Linux measured the same way ---------------------
# One guest of each with a vif (memory and vCPUs as above; torpor with
# demo=quiet): sequential HTTP/1.0 GETs of / from dom0 for NET_HTTP_SECONDS
# (client/http_rate.c), then one TCP connection streams a checked byte
# sequence through the echo port (lib.sh's net_client_start) while the guest
# goes through $NET_OPS, each in its own window of the client's record.
# Everything lands in $RESULTS/net-KIND-REP/: net/ (the client's record:
# windows.tsv, timeline.csv, http-rate.txt, ...), ops.tsv (op, start_ms,
# end_ms on dom0's clock, rc), console.log, steps.tsv; bench_report.py derives
# the rows (longest wait for an echo per operation, requests per second,
# torpor's own downtime) and the timeline chart from it. net_elapsed_ms in
# bench.tsv: what the part cost, boot to destroy.
NET_HTTP_SECONDS=3
NET_OPS="migrate-live save-c save-restore"
net_ip() { case $1 in linux) echo $NET_LINUX_IP ;; *) echo $NET_TORPOR_IP ;; esac; }
net_mac() { case $1 in linux) echo $NET_LINUX_MAC ;; *) echo $NET_TORPOR_MAC ;; esac; }
# torpor's ready line comes before its servers listen; "demo: running" after.
net_ready_line() { case $1 in linux) echo 'linux-baseline ready' ;; *) echo 'demo: running' ;; esac; }
net_config() {  # KIND NAME: as config, with a vif (linux.cfg has its own)
  config "$1" "$2" $MEM
  [ "$1" = linux ] || vif_line "$(net_mac "$1")" "$(net_ip "$1")" >> "/tmp/$2.cfg"
}
save_restore() {  # NAME
  local rc
  xl save "$1" "/tmp/$1.img" && xl restore "/tmp/$1.img"; rc=$?
  rm -f "/tmp/$1.img"
  return $rc
}

# net_op NAME OP: OP on the guest inside its own window of the client's
# record, its span in ops.tsv; then the echo must flow again.
net_op() {
  local t0 rc
  net_label "$2"
  t0=$(now_ms)
  case $2 in
    migrate-live) step "$2" 240 xl migrate --live -s "" "$1" "xl migrate-receive" ;;
    save-c) step "$2" 240 xl save -c "$1" "/tmp/$1.chk" ;;
    save-restore) step "$2" 240 save_restore "$1" ;;
  esac
  rc=$?
  printf '%s\t%s\t%s\t%s\n' "$2" "$t0" "$(now_ms)" "$rc" >> "$RESULTS/ops.tsv"
  rm -f "/tmp/$1.chk"
  [ $rc = 0 ] && step "$2-echo" 70 net_wait_echo 60
}

# measure_net KIND REP: run it in a subshell (RESULTS becomes its directory).
measure_net() {
  local kind=$1 name=n$1 ip op t0
  ip=$(net_ip "$kind")
  RESULTS=$RESULTS/net-$kind-$2
  mkdir -p "$RESULTS"
  printf 'op\tstart_ms\tend_ms\trc\n' > "$RESULTS/ops.tsv"
  t0=$(now_ms)
  net_config "$kind" "$name"
  if step create 120 xl create "/tmp/$name.cfg" &&
     step ready 130 wait_console "$name" "$(net_ready_line "$kind")" 120; then
    step http-rate $((NET_HTTP_SECONDS + 30)) net_http_rate "$ip" $NET_HTTP_SECONDS
    net_client_start "$ip" "$(net_mac "$kind")" && sleep 1 &&
      for op in $NET_OPS; do net_op "$name" "$op" || break; done
    net_label idle
    sleep 1
    step net-stop 60 net_client_stop
  fi
  # shellcheck disable=SC2046
  cat $(console_logs "$name") > "$RESULTS/console.log" 2>/dev/null
  bounded 60 xl destroy "$name" >/dev/null 2>&1
  rm -f /var/log/xen/console/guest-$name*.log
  record "$kind" "$2" net_elapsed_ms $(($(now_ms) - t0))
}

# --- block storage: torpor and Linux measured the same way -------------------
# Each guest (memory and vCPUs as above) gets xvda: a sparse BLK_MIB raw file
# on a loop device, phy: through our own hotplug script (the stock `block`
# script needs more than busybox has), as torpor-blk-hotplug does. The guest
# puts the same load on it (torpor: demo=blkbench, apps/demo/blk_bench.h;
# Linux: blkload, tools/harness/guests/linux/blkload.c): 3 s of sequential
# 4 MiB writes, then 4 KiB random reads one at a time, forever. dom0 samples
# blkback's counters every 20 ms (client/blkstat.c) into
# $RESULTS/blk-KIND-REP/blkstat.txt; after BLK_READ_SECONDS of reads, xl
# migrate --live (ops.tsv, dom0's clock), then BLK_AFTER_SECONDS more.
# bench_report.py derives write MiB/s, read IOPS and the longest interval in
# which no counter moved across the migration. torpor-transient is torpor
# with blkpersistent=0 (transient grants: blkback maps and unmaps every page
# of every request, whatever it offers), without the migration.
# blk_elapsed_ms in bench.tsv: what the part cost.
BLK_MIB=64
BLK_READ_SECONDS=2
BLK_AFTER_SECONDS=2
blk_config() {  # KIND NAME DISK_SPEC
  case $1 in
    torpor) torpor_config "$2" $MEM "demo=blkbench" ;;
    torpor-transient) torpor_config "$2" $MEM "demo=blkbench blkpersistent=0" ;;
    linux) sed -e "s/^name = .*/name = \"$2\"/" -e "s/^memory = .*/memory = $MEM/" \
             -e "s/^vcpus = .*/vcpus = $VCPUS/" -e 's/^extra = "\(.*\)"/extra = "\1 blkbench"/' \
             /harness/linux/linux.cfg ;;
  esac > "/tmp/$2.cfg"
  echo "disk = [ \"$3\" ]" >> "/tmp/$2.cfg"
}
blk_written_line() { case $1 in linux) echo 'blkload: wrote' ;; *) echo 'blkbench: wrote' ;; esac; }

# measure_blk KIND REP: run it in a subshell (RESULTS becomes its directory).
measure_blk() {
  local kind=$1 name=d$1 disk loop sampler t0 op rc
  RESULTS=$RESULTS/blk-$kind-$2
  mkdir -p "$RESULTS"
  printf 'op\tstart_ms\tend_ms\trc\n' > "$RESULTS/ops.tsv"
  t0=$(now_ms)
  disk=/tmp/$name-disk.img
  phy_disk "$disk" $BLK_MIB || return 1  # sets LOOP and DISK_SPEC
  loop=$LOOP
  blk_config "$kind" "$name" "$DISK_SPEC"
  "$NET_BIN/blkstat" "$RESULTS/blkstat.txt" 20 < /dev/null > /dev/null 2>&1 &
  sampler=$!
  if step create 120 xl create "/tmp/$name.cfg" &&
     step written 130 wait_console "$name" "$(blk_written_line "$kind")" 120; then
    sleep $BLK_READ_SECONDS
    if [ "$kind" != torpor-transient ]; then
      op=$(now_ms)
      step migrate-live 240 xl migrate --live -s "" "$name" "xl migrate-receive"
      rc=$?
      printf 'migrate-live\t%s\t%s\t%s\n' "$op" "$(now_ms)" $rc >> "$RESULTS/ops.tsv"
      sleep $BLK_AFTER_SECONDS
    fi
  fi
  kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null
  # shellcheck disable=SC2046
  cat $(console_logs "$name") > "$RESULTS/console.log" 2>/dev/null
  bounded 60 xl destroy "$name" >/dev/null 2>&1
  rm -f /var/log/xen/console/guest-$name*.log
  losetup -d "$loop"
  rm -f "$disk"
  record "$kind" "$2" blk_elapsed_ms $(($(now_ms) - t0))
}

rep=1
while [ $rep -le "$REPS" ]; do
  for kind in $KINDS; do
    say "bench: $kind rep $rep"
    measure $kind $rep
  done
  for kind in torpor linux; do
    say "bench: $kind network rep $rep"
    ( measure_net $kind $rep )
  done
  for kind in torpor torpor-transient linux; do
    say "bench: $kind disk rep $rep"
    ( measure_blk $kind $rep )
  done
  rep=$((rep + 1))
done
if [ "$MIN_MEMORY" = 1 ]; then
  smallest_memory torpor 8 12 16 24 32 48 64
  smallest_memory linux 32 48 64 96 128 192 256
fi
