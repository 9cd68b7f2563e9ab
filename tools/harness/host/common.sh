# shellcheck shell=bash disable=SC2034
# Shared settings and helpers of the host-side harness scripts (bash; sourced).

XEN_VERSION=4.17.5+72-g01140da4e8-1
XEN_PACKAGES=(xen-hypervisor-4.17-amd64 xen-utils-4.17 xen-utils-common xenstore-utils
  libxencall1 libxenevtchn1 libxenforeignmemory1 libxengnttab1 libxenmisc4.17 libxenstore4
  libxentoollog1 libxenhypfs1 libxendevicemodel1 libxentoolcore1)
# Host packages the harness uses directly (busybox, bash and libgcc_s are copied
# into images; gcc and libc6-dev build the static network clients).
HOST_PACKAGES=(qemu-system-x86 busybox-static python3 libgcc-s1 bash gcc libc6-dev)

HARNESS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE_DIR=${TORPOR_CACHE:-$HOME/.cache/torpor}/harness
_T0=${_T0:-${EPOCHREALTIME/./}}
export _T0

# hlog MSG...: progress line on stderr with seconds since the harness started.
hlog() {
  local us=$((${EPOCHREALTIME/./} - _T0))
  printf '[harness %4d.%ds] %s\n' $((us / 1000000)) $((us / 100000 % 10)) "$*" >&2
}

die() { hlog "ERROR: $*"; exit "${DIE_RC:-1}"; }

_as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# apt_update_once: refresh the package lists (at most once per process).
apt_update_once() {
  [ -n "${_APT_UPDATED:-}" ] && return 0
  hlog "apt-get update"
  _as_root apt-get update -qq >/dev/null || die "apt-get update failed"
  _APT_UPDATED=1
}

# ensure_host_packages PKG...: install the ones that are missing (quietly).
ensure_host_packages() {
  local p missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' \
      || missing+=("$p")
  done
  [ ${#missing[@]} = 0 ] && return 0
  apt_update_once
  hlog "apt-get install ${missing[*]}"
  _as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null || die "apt-get install ${missing[*]} failed"
}

# candidate_version PKG: the version apt would pick, from the local lists.
candidate_version() {
  apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ { if ($2 != "(none)") print $2 }'
}

# shared_dir: the project's shared/ (beside the repository's top level).
shared_dir() {
  local top
  top=$(git -C "$HARNESS_DIR" rev-parse --show-toplevel 2>/dev/null) || top=$HARNESS_DIR/../..
  if [ -d "$top/../shared" ]; then (cd "$top/../shared" && pwd); fi
}
