#!/usr/bin/env bash
# Build lwIP 2.1.3 (Debian's source package `lwip`, fetched by
# fetch-lwip-source.sh) as a static library for torpor's freestanding x86-64
# kernel, against torpor's own port headers (kernel/net/lwip_port: lwipopts.h,
# arch/cc.h, arch/sys_arch.h), and install it into a content-addressed cache dir.
#
#   tools/lwip/build-lwip.sh NEWLIB_DIR      # builds if needed
#   TORPOR_CACHE=/some/dir tools/lwip/build-lwip.sh NEWLIB_DIR
#
# NEWLIB_DIR is tools/newlib/build-newlib.sh's install dir (lwIP's C library
# headers). Progress goes to stderr; stdout carries exactly one line, the
# install directory (<cache>/lwip-<version>-<hash>), for CMake. Layout:
#   include/       lwIP's headers (src/include of the source package)
#   lib/liblwip.a  core (IPv4, ARP, ICMP, UDP, TCP, DHCP), netif/ethernet,
#                  the netconn and socket APIs (api/)
# The kernel compiles with -isystem <dir>/include -I kernel/net/lwip_port and
# provides what the port headers declare (kernel/net/lwip_port/*.cpp).
#
# Only upstream's sources are built: Debian's patches are not applied
# (dpkg-source --skip-patches). They fit lwIP to Debian's own Linux port and
# shared library (its sockets.c change needs macros from Debian's port headers);
# the rest touch PPP and APIs torpor does not build.
set -euo pipefail

say() { printf 'build-lwip: %s\n' "$*" >&2; }
die() { printf 'build-lwip: error: %s\n' "$*" >&2; exit 1; }

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$script_dir/../.." && pwd)"
port_dir="$root/kernel/net/lwip_port"
newlib_dir="${1:-}"
[[ -n "$newlib_dir" ]] || die "usage: build-lwip.sh NEWLIB_DIR"
[[ -f "$newlib_dir/include/newlib.h" ]] || die "no newlib headers in '$newlib_dir'"
for f in lwipopts.h arch/cc.h arch/sys_arch.h; do
  [[ -f "$port_dir/$f" ]] || die "missing port header $port_dir/$f"
done
cache_root="${TORPOR_CACHE:-$HOME/.cache/torpor}"
jobs="${LWIP_JOBS:-$(nproc 2>/dev/null || echo 2)}"

# Code generation as the kernel's (cmake/kernel.cmake): linked at the top 2 GiB,
# no red zone, frame pointers for backtraces, -pg -mfentry for the stack check
# on entry (arch/x86_64/stack_check.h), newlib's per-thread _REENT (errno).
gcc_include="$(gcc -print-file-name=include)"
[[ -d "$gcc_include" ]] || die "gcc's private include dir not found (is gcc installed?)"
cflags="-std=gnu11 -O2 -g -ffreestanding -nostdinc -fno-pie -fno-pic -mcmodel=kernel -mno-red-zone \
-fno-stack-protector -fno-omit-frame-pointer -fno-asynchronous-unwind-tables -pg -mfentry \
-D__DYNAMIC_REENT__ -Wall -Wno-address"
includes=(-I "$port_dir" -isystem "$newlib_dir/include" -isystem "$gcc_include")

# ---- the source package ------------------------------------------------------
source_dir="$(bash "$script_dir/fetch-lwip-source.sh" | tail -n 1)"
dsc="$(ls "$source_dir"/lwip_2.1.3*.dsc 2>/dev/null | sort -V | tail -n 1)"
[[ -n "$dsc" ]] || die "fetch-lwip-source.sh left no lwip_2.1.3*.dsc in $source_dir"
deb_version="$(basename "$dsc" .dsc)"; deb_version="${deb_version#lwip_}"
version="${deb_version%%+*}"   # 2.1.3

# What lwIP is built from, relative to its source root.
sources=(
  src/core/def.c src/core/dns.c src/core/inet_chksum.c src/core/init.c src/core/ip.c
  src/core/mem.c src/core/memp.c src/core/netif.c src/core/pbuf.c src/core/raw.c
  src/core/stats.c src/core/sys.c src/core/tcp.c src/core/tcp_in.c src/core/tcp_out.c
  src/core/timeouts.c src/core/udp.c
  src/core/ipv4/autoip.c src/core/ipv4/dhcp.c src/core/ipv4/etharp.c src/core/ipv4/icmp.c
  src/core/ipv4/igmp.c src/core/ipv4/ip4.c src/core/ipv4/ip4_addr.c src/core/ipv4/ip4_frag.c
  src/api/api_lib.c src/api/api_msg.c src/api/err.c src/api/if_api.c src/api/netbuf.c
  src/api/netdb.c src/api/netifapi.c src/api/sockets.c src/api/tcpip.c
  src/netif/ethernet.c
)

# ---- cache key: the source package, toolchain, flags, port headers, script --
key="$( { cat "$dsc"; gcc -dumpfullversion; as --version | head -n 1
          echo "$cflags"; echo "${sources[*]}"; basename "$newlib_dir"
          cat "$script_dir/build-lwip.sh" "$script_dir/fetch-lwip-source.sh"
          (cd "$port_dir" && find . -name '*.h' -type f | LC_ALL=C sort \
             | while read -r f; do echo "$f"; cat "$f"; done); } | sha256sum | cut -c1-12 )"
install_dir="$cache_root/lwip-$version-$key"
stamp="$install_dir/.torpor-lwip-complete"
if [[ -f "$stamp" ]]; then
  say "up to date: $install_dir"
  printf '%s\n' "$install_dir"
  exit 0
fi

for tool in gcc ar ranlib dpkg-source sha256sum; do
  command -v "$tool" >/dev/null || die "required tool '$tool' not found"
done
mkdir -p "$cache_root"
log="$cache_root/lwip-$version-$key.log"
: >"$log"
work="$(mktemp -d "${TMPDIR:-/tmp}/torpor-lwip.XXXXXX")"
stage="$cache_root/.lwip-$version-$key.stage.$$"
cleanup() { rm -rf "$work" "$stage"; }
trap cleanup EXIT

fail() {
  say "FAILED: $1 (full log: $log)"
  { echo "---- first error lines ----"
    grep -n -m 12 -E 'error:|Error [0-9]|No such file' "$log" || true
    echo "---- last 30 lines of $log ----"
    tail -n 30 "$log"; } >&2
  exit 1
}

start=$(date +%s)
say "building lwIP $deb_version -> $install_dir (log: $log)"
echo "==== extract $dsc (--skip-patches)" >>"$log"
dpkg-source --skip-patches -x "$dsc" "$work/src" >>"$log" 2>&1 || fail "dpkg-source -x"
src="$work/src"
for s in "${sources[@]}"; do [[ -f "$src/$s" ]] || fail "source package has no $s"; done

mkdir -p "$work/obj" "$stage/lib"
# Compile in parallel, at most $jobs at a time; one progress line per 10 files.
compile() { # compile <source>: <obj dir>/<flattened name>.o, output in its own log
  local s="$1" o="$work/obj/${1//\//_}"; o="${o%.c}.o"
  # shellcheck disable=SC2086
  gcc $cflags "${includes[@]}" -isystem "$src/src/include" \
      -fmacro-prefix-map="$src/=lwip-$version/" -c "$src/$s" -o "$o" >"$o.log" 2>&1
}
done_count=0 failed=()
pids=() names=()
reap_one() {
  local i rc
  wait -n "${pids[@]}" 2>/dev/null || true
  for i in "${!pids[@]}"; do
    if ! kill -0 "${pids[$i]}" 2>/dev/null; then
      rc=0; wait "${pids[$i]}" || rc=$?
      { echo "==== cc ${names[$i]} (rc $rc)"; cat "$work/obj/$(basename "${names[$i]//\//_}" .c).o.log"; } >>"$log"
      ((rc == 0)) || failed+=("${names[$i]}")
      unset 'pids[i]' 'names[i]'
      done_count=$((done_count + 1))
      ((done_count % 10 == 0)) && say "compiled $done_count/${#sources[@]}"
    fi
  done
  pids=("${pids[@]}"); names=("${names[@]}")
}
for s in "${sources[@]}"; do
  while ((${#pids[@]} >= jobs)); do reap_one; done
  compile "$s" & pids+=($!); names+=("$s")
done
while ((${#pids[@]} > 0)); do reap_one; done
((${#failed[@]} == 0)) || fail "compiling ${failed[*]}"
say "compiled ${#sources[@]}/${#sources[@]}"

echo "==== ar" >>"$log"
ar rcs "$stage/lib/liblwip.a" "$work"/obj/*.o >>"$log" 2>&1 || fail "ar"
cp -a "$src/src/include" "$stage/include"
cp "$src/COPYING" "$stage/COPYING.lwip"
end=$(date +%s)
{ echo "lwIP $deb_version (Debian source package, upstream sources only)"
  echo "built $(date -u +%FT%TZ) in $((end - start)) s"
  echo "CFLAGS=$cflags"; echo "port=$port_dir"; echo "newlib=$newlib_dir"; } >"$stage/.torpor-lwip-complete"

# Publish atomically: a concurrent build of the same key simply loses the race.
[[ -e "$install_dir" && ! -f "$stamp" ]] && rm -rf "$install_dir"   # stale, unstamped
if ! mv -T "$stage" "$install_dir" 2>/dev/null; then
  [[ -f "$stamp" ]] || fail "could not move build into $install_dir"
fi
say "done in $((end - start)) s"
printf '%s\n' "$install_dir"
