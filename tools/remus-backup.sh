#!/usr/bin/env bash
# Remus to a local backup, then failover (not part of the test command; what it
# shows is documented in the README): scenarios/remus-backup.sh with
# BACKUP_SECONDS (default 30) of checkpoints before the primary is destroyed.
# Prints the outcome lines (failover, guest_resumed, tcp_stream_flows, ping,
# http, watch, ...).
# usage: bash tools/remus-backup.sh [BACKUP_SECONDS]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
seconds=${1:-30}
build=$(bash "$root/tools/build.sh" | tail -n 1)
out=$build/remus-backup-results
bash "$root/tools/harness/run-variant.sh" --kernel "$build/torpor.elf" --out "$out" \
  --limit $((600 + seconds)) remus-backup BACKUP_SECONDS "$seconds"
cat "$out/remus-backup/outcome"
echo "remus-backup: results in $out/remus-backup (remus.log, console/, net/)"
