#!/usr/bin/env bash
# The long continuous-checkpointing run (not part of the test command): the
# torpor-remus scenario (4 vCPUs, the disk and network workloads running, `xl
# remus -F -b -n -d -i 100`, then a failed backup) for SECONDS (default 600,
# the test command runs 60), then the same checker.
# usage: bash tools/remus.sh [SECONDS]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
seconds=${1:-600}
build=$(bash "$root/tools/build.sh" | tail -n 1)
out=$build/remus-results
start=$(date +%s)
bash "$root/tools/harness/run-variant.sh" --kernel "$build/torpor.elf" --out "$out" \
  --limit $((600 + seconds)) torpor-remus REMUS_SECONDS "$seconds"
python3 "$root/tools/harness/check_torpor_remus.py" "$out/torpor-remus" | tail -n 14
echo "remus: $seconds s of checkpoints, $(( $(date +%s) - start )) s in all; results in $out"
