#!/usr/bin/env bash
# bench: one QEMU-hosted Xen boot measuring torpor (balloon on and off) and the
# Linux PV baseline with the same memory (256 MiB) and vCPUs (2): boot, guest
# suspend/resume paths, xl save (time, image size), xl restore, xl migrate
# --live (total, guest-observed downtime) and the smallest memory= that boots
# and migrates; also torpor at 16 MiB, the toolstack's own floor; and, with a
# vif each, torpor and Linux measured the same way from dom0: HTTP requests per
# second, and the longest wait for an echo of one TCP stream through migrate
# --live, save -c and save + restore; then both under `xl remus -b` at -i 100
# and -i 25 for 60 s each (scenarios/bench-remus.sh: pause per checkpoint,
# checkpoints per second). torpor runs its demo with demo=quiet, as
# idle as the Linux guest. Medians of REPS repetitions (default 5); prints a
# table and writes bench.json, bench.png and bench_net.png (the echo stream
# across one live migration) to $TORPOR_BUILD_DIR/bench.
# usage: bash tools/bench.sh [REPS]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
reps=${1:-5}
build=$(bash "$root/tools/build.sh" | tail -n 1)
# Linux at memory = 1024 live-migrates locally only with its memory twice in
# Xen (sender and receiver), and its 1 GiB save image lives in dom0's tmpfs.
export TORPOR_QEMU_MEM=${TORPOR_QEMU_MEM:-4608} TORPOR_DOM0_MEM=${TORPOR_DOM0_MEM:-2048}
bash "$root/tools/harness/run-variant.sh" --kernel "$build/torpor.elf" --out "$build/bench-results" \
  --limit $((900 + reps * 450)) bench REPS "$reps" bench-remus
python3 "$root/tools/bench_report.py" "$build/bench-results/bench" "$build/bench"
python3 "$root/tools/bench_remus_report.py" "$build/bench-results/bench-remus" "$build/bench" | tee "$build/bench/remus.md"
echo "bench: $reps repetitions; $build/bench/bench.json, $build/bench/bench.png, $build/bench/bench_net.png, $build/bench/remus.md, $build/bench/bench_remus.png (QEMU TCG, $(nproc) host cores)"
