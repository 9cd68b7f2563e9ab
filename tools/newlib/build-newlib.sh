#!/usr/bin/env bash
# Build newlib (libc.a, libm.a, headers) for torpor's freestanding x86-64 kernel
# with the host gcc/binutils, and install it into a content-addressed cache dir.
#
#   tools/newlib/build-newlib.sh            # builds if needed
#   TORPOR_CACHE=/some/dir tools/newlib/build-newlib.sh
#
# Progress and timing go to stderr; stdout carries exactly one line, the
# install directory (<cache>/newlib-<version>-<hash>), so CMake can read it
# with execute_process(OUTPUT_VARIABLE). Layout of the install directory:
#   include/     newlib headers          lib/libc.a, lib/libm.a
#   cxx-compat/  shims letting the host libstdc++ headers sit on newlib
# C:   -nostdinc -isystem <dir>/include -isystem $(gcc -print-file-name=include)
# C++: -nostdinc -isystem <dir>/cxx-compat -isystem /usr/include/c++/12
#      -isystem /usr/include/x86_64-linux-gnu/c++/12 -isystem <dir>/include
#      -isystem $(gcc -print-file-name=include)
# The kernel must define _write _read _sbrk _close _fstat _isatty _lseek _open
# _exit _kill _getpid _gettimeofday _times _unlink _link _wait _fork _execve _stat.
set -euo pipefail

say() { printf 'build-newlib: %s\n' "$*" >&2; }
die() { printf 'build-newlib: error: %s\n' "$*" >&2; exit 1; }

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
script_path="$script_dir/$(basename "${BASH_SOURCE[0]}")"
compat_dir="$script_dir/cxx-compat"   # C++ shims, installed as <install>/cxx-compat
[[ -f "$compat_dir/bits/c++config.h" ]] || die "missing $compat_dir"
cache_root="${TORPOR_CACHE:-$HOME/.cache/torpor}"
jobs="${NEWLIB_JOBS:-$(nproc 2>/dev/null || echo 2)}"
step_timeout="${NEWLIB_STEP_TIMEOUT:-1800}"   # seconds, per configure/make step

# Target code generation: must match the kernel (linked at 0xffffffff80000000).
# -pg -mfentry: newlib's C functions run the kernel's stack-overflow check on
# entry too (arch/x86_64/stack_check.h). -D__DYNAMIC_REENT__: every _REENT is a
# call to __getreent(), which the kernel provides (each thread has its own
# struct _reent: errno, strtok, ... are per thread; kernel/libc_reent.cpp).
target_cflags="-O2 -g -ffreestanding -fno-pie -fno-pic -mcmodel=kernel -mno-red-zone \
-fno-stack-protector -fno-omit-frame-pointer -fno-asynchronous-unwind-tables -pg -mfentry \
-D__DYNAMIC_REENT__"
# Only newlib's own headers plus gcc's freestanding ones (stddef.h, stdarg.h,
# float.h, limits.h...): never let glibc's /usr/include leak into the build.
gcc_include="$(gcc -print-file-name=include)"
[[ -d "$gcc_include" ]] || die "gcc's private include dir not found (is gcc installed?)"
# Silence warnings that are noise with gcc 12 on newlib 3.3.0 (it is not our code);
# mark newlib's .S objects (memcpy/memset/setjmp) as not needing an exec stack.
quiet_cflags="-w -Wa,--noexecstack"
# newlib's configure.host gives x86_64-elf -DMISSING_SYSCALL_NAMES, which makes
# libc call write()/sbrk()/...; undo it so libc calls the reserved names
# _write()/_sbrk()/... that the kernel provides (no clash with C++ names).
cflags_for_target="$target_cflags -nostdinc -isystem $gcc_include -UMISSING_SYSCALL_NAMES $quiet_cflags"

configure_flags=(
  --target=x86_64-elf
  --disable-multilib
  --disable-nls
  --disable-libgloss
  --disable-newlib-supplied-syscalls
  --enable-newlib-io-long-long
  --enable-newlib-io-c99-formats
  --disable-newlib-fvwrite-in-streamio
  --disable-newlib-unbuf-stream-opt
  --enable-newlib-global-atexit
  --enable-newlib-retargetable-locking   # no-op locks by default; kernel may override ALL of them
  --enable-newlib-global-stdio-streams   # one stdin/stdout/stderr for every thread's struct _reent
)

# ---- locate (or install) the newlib source tarball --------------------------
find_tarball() { ls /usr/src/newlib/newlib-*.tar.xz 2>/dev/null | sort -V | tail -n 1; }
tarball="$(find_tarball || true)"
if [[ -z "$tarball" ]]; then
  say "newlib source not found; installing Debian package newlib-source"
  command -v apt-get >/dev/null || die "no /usr/src/newlib/newlib-*.tar.xz and no apt-get"
  if ! apt-get install -y -q newlib-source >/dev/null 2>&1; then
    apt-get update -q >/dev/null 2>&1 || true
    apt-get install -y -q newlib-source >/dev/null 2>&1 \
      || die "apt-get install newlib-source failed (need root and Debian mirrors)"
  fi
  tarball="$(find_tarball || true)"
  [[ -n "$tarball" ]] || die "newlib-source installed but no /usr/src/newlib/newlib-*.tar.xz"
fi
version="$(basename "$tarball" .tar.xz)"; version="${version#newlib-}"

# ---- cache key: version + toolchain + flags + this script --------------------
key="$( { echo "$version"; gcc -dumpfullversion; as --version | head -n 1
          echo "$cflags_for_target"; echo "${configure_flags[*]}"
          cat "$script_path"
          (cd "$compat_dir" && find . -type f | LC_ALL=C sort | xargs cat); } | sha256sum | cut -c1-12 )"
install_dir="$cache_root/newlib-$version-$key"
stamp="$install_dir/.torpor-newlib-complete"

if [[ -f "$stamp" ]]; then
  say "up to date: $install_dir"
  printf '%s\n' "$install_dir"
  exit 0
fi

for tool in gcc ar ranlib as ld nm make tar timeout; do
  command -v "$tool" >/dev/null || die "required tool '$tool' not found"
done

mkdir -p "$cache_root"
log="$cache_root/newlib-$version-$key.log"
: >"$log"
work="$(mktemp -d "${TMPDIR:-/tmp}/torpor-newlib.XXXXXX")"
stage="$cache_root/.newlib-$version-$key.stage.$$"
cleanup() { rm -rf "$work" "$stage"; }
trap cleanup EXIT

fail() {
  say "FAILED: $1 (full log: $log)"
  { echo "---- first error lines ----"
    grep -n -m 8 -E 'error:|Error [0-9]|No such file' "$log" || true
    echo "---- last 40 lines of $log ----"
    tail -n 40 "$log"; } >&2
  exit 1
}
run() { # run <description> <cmd...>: logged, time-bounded
  local what="$1"; shift
  echo "==== $what: $*" >>"$log"
  local rc=0
  timeout "$step_timeout" "$@" >>"$log" 2>&1 || rc=$?
  ((rc == 124)) && fail "$what timed out after ${step_timeout}s"
  ((rc == 0)) || fail "$what exited with status $rc"
}

start=$(date +%s)
say "building newlib $version -> $install_dir (log: $log)"

mkdir -p "$work/src" "$work/build"
run "extract" tar -xJf "$tarball" -C "$work/src" --strip-components=1

cd "$work/build"
run "configure" "$work/src/configure" \
  --prefix="$stage" \
  "${configure_flags[@]}" \
  CC_FOR_TARGET=gcc AR_FOR_TARGET=ar RANLIB_FOR_TARGET=ranlib AS_FOR_TARGET=as \
  LD_FOR_TARGET=ld NM_FOR_TARGET=nm OBJDUMP_FOR_TARGET=objdump \
  STRIP_FOR_TARGET=strip READELF_FOR_TARGET=readelf \
  CFLAGS_FOR_TARGET="$cflags_for_target"
run "make" make -j"$jobs" all-target-newlib
run "make install" make install-target-newlib

# ---- flatten <prefix>/x86_64-elf/{include,lib} into <prefix>/{include,lib} --
out="$stage/out"
mkdir -p "$out"
src_inc="$(find "$stage" -path "$out" -prune -o -type f -name newlib.h -print | head -n 1)"
src_libc="$(find "$stage" -path "$out" -prune -o -type f -name libc.a -print | head -n 1)"
[[ -n "$src_inc" && -n "$src_libc" ]] || fail "install produced no newlib.h/libc.a"
cp -a "$(dirname "$src_inc")" "$out/include"
mkdir -p "$out/lib"
cp -a "$(dirname "$src_libc")"/libc.a "$(dirname "$src_libc")"/libm.a "$out/lib/"
[[ -f "$out/lib/libm.a" ]] || fail "install produced no libm.a"
cp -a "$compat_dir" "$out/cxx-compat"

end=$(date +%s)
{ echo "newlib $version"; echo "built $(date -u +%FT%TZ) in $((end - start)) s";
  echo "CFLAGS_FOR_TARGET=$cflags_for_target"; echo "configure ${configure_flags[*]}"; } \
  >"$out/.torpor-newlib-complete"

# Publish atomically: a concurrent build of the same key simply loses the race.
[[ -e "$install_dir" && ! -f "$stamp" ]] && rm -rf "$install_dir"   # stale, unstamped
if ! mv -T "$out" "$install_dir" 2>/dev/null; then
  [[ -f "$stamp" ]] || fail "could not move build into $install_dir"
fi
say "done in $((end - start)) s"
printf '%s\n' "$install_dir"
