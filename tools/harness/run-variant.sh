#!/usr/bin/env bash
# run-variant.sh --kernel ELF --out RESULTDIR --limit SECONDS SCENARIO VAR VALUE [MORE...]
# One harness boot running scenarios/SCENARIO.sh with the default of VAR (its
# line `VAR=${ENV:-N}`) set to VALUE, then the scenarios MORE as they are: how
# tools/bench.sh and tools/soak.sh run longer versions of CI's scenarios. Each
# scenario may take SECONDS, the QEMU run 300 s more for each. Results land in
# RESULTDIR/SCENARIO (and RESULTDIR/MORE...).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
kernel="" out="" limit=""
while [ $# -gt 3 ]; do
  case $1 in
    --kernel) kernel=${2:?}; shift 2 ;;
    --out) out=${2:?}; shift 2 ;;
    --limit) limit=${2:?}; shift 2 ;;
    *) break ;;
  esac
done
[ $# -ge 3 ] && [ -f "$kernel" ] && [ -n "$out" ] && [ -n "$limit" ] \
  || { sed -n '2,6p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
scenario=$1 var=$2 value=$3
shift 3
source_file="$here/scenarios/$scenario.sh"
grep -q "^$var=\${[A-Z_]*:-[0-9]*}" "$source_file" \
  || { echo "run-variant: $source_file has no line $var=\${ENV:-N}" >&2; exit 2; }
bash "$here/prepare.sh" >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sed "s/^$var=\${\([A-Z_]*\):-[0-9]*}/$var=\${\1:-$value}/" "$source_file" > "$work/$scenario.sh"
export TORPOR_SCENARIO_TIMEOUT=$limit
export TORPOR_QEMU_TIMEOUT=$(((limit + 300) * ($# + 1)))
bash "$here/run-suite.sh" --kernel "$kernel" --out "$out" "$work/$scenario.sh" "$@"
