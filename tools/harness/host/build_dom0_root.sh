#!/usr/bin/env bash
# build_dom0_root.sh ROOT XEN_TREE MODULES_DIR VMLINUX GUEST_CPIO
# Assembles the dom0 root tree in ROOT: static busybox, the Xen tools and
# libraries from XEN_TREE (the extracted .debs), the host libraries they link,
# the kernel modules dom0 needs, /init, /harness/lib.sh, the network clients
# (/harness/bin, built static from client/) and the Linux guest.
# Prints the host packages whose files were copied (for the cache key).
set -euo pipefail
HOST=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HOST/common.sh"

root=$1 xen=$2 mods=$3 vmlinux=$4 guest_cpio=$5
MODULES=(xen-evtchn xen-privcmd xenfs xen-gntdev xen-gntalloc virtio_pci virtio_blk
  llc stp bridge xen-netback)
# The block backend for torpor's disk (a raw file on a loop device; torpor-suspend).
MODULES+=(loop xen-blkback)
# The NIC of a two-host run (run-two-hosts.sh: the L2 between the two QEMUs).
MODULES+=(virtio_net)
XEN_BINS=(xl libxl-save-helper xenstored xenconsoled xenconsole xen-init-dom0
  xenstore-control lsevtchn xenctx xen-diag readnotes)
MA=usr/lib/x86_64-linux-gnu

mkdir -p "$root"/{bin,dev,proc,sys,run,tmp,root,etc/xen,results,harness/linux,lib64} \
  "$root"/{var/lib/xen,var/log/xen/console,usr/bin,usr/lib/modules,usr/lib/xen-4.17/bin,$MA}
ln -s ../run "$root/var/run"
ln -s usr/lib "$root/lib"

cp /bin/busybox "$root/bin/busybox"
for a in $(/bin/busybox --list); do
  [ "$a" = busybox ] || ln -s busybox "$root/bin/$a"
done

for b in "${XEN_BINS[@]}"; do cp "$xen/usr/lib/xen-4.17/bin/$b" "$root/usr/lib/xen-4.17/bin/"; done
for f in "$xen"/usr/bin/xenstore*; do [ -L "$f" ] || cp "$f" "$root/usr/bin/"; done
cp -a "$xen/$MA"/. "$root/$MA/"
cp "$xen/etc/xen/xl.conf" "$root/etc/xen/"
# libxl runs the stock hotplug scripts (vif-bridge) itself; they are bash.
cp -a "$xen/etc/xen/scripts" "$root/etc/xen/"
cp /bin/bash "$root/bin/bash"

# Host libraries (same Debian release): whatever ldd resolves outside ROOT,
# plus libgcc_s.so.1, which glibc dlopen()s for pthread_cancel (xl aborts
# at exit without it).
ldd_out=$root.ldd  # scratch, beside ROOT in the build dir
for f in "$root"/usr/lib/xen-4.17/bin/* "$root"/usr/bin/* "$root/$MA"/*.so.* "$root/bin/bash"; do
  [ -L "$f" ] && continue
  LD_LIBRARY_PATH="$root/$MA" ldd "$f" > "$ldd_out" 2>&1 || continue  # not dynamic
  if grep -q 'not found' "$ldd_out"; then die "$f: $(grep -m1 'not found' "$ldd_out")"; fi
  awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\/.*ld-linux/ { print $1 }' "$ldd_out"
done | grep -v "^$root/" | sort -u > "$ldd_out.libs"
dpkg -L libgcc-s1 | grep '/libgcc_s\.so\.1$' | head -n 1 >> "$ldd_out.libs"
while read -r l; do
  cp -L "$l" "$root/$MA/$(basename "$l")"
  { dpkg -S "$l" || dpkg -S "$(realpath "$l")" || dpkg -S "/usr$l"; } 2>/dev/null | cut -d: -f1
done < "$ldd_out.libs" | sort -u
rm -f "$ldd_out" "$ldd_out.libs"
ln -s "/$MA/ld-linux-x86-64.so.2" "$root/lib64/ld-linux-x86-64.so.2"

# Kernel modules in load order (dependencies first), uncompressed.
: > "$root/lib/modules/load.list"
for m in $(python3 "$HOST/moddeps.py" "$mods" "${MODULES[@]}"); do
  name=$(basename "${m%.xz}")
  case $m in
    *.xz) python3 -c 'import lzma, sys; sys.stdout.buffer.write(lzma.open(sys.argv[1]).read())' \
      "$mods/$m" > "$root/lib/modules/$name" ;;
    *) cp "$mods/$m" "$root/lib/modules/$name" ;;
  esac
  echo "$name" >> "$root/lib/modules/load.list"
done

# The harness's own clients and tools (client/), static (they need nothing in dom0).
mkdir -p "$root/harness/bin"
for c in echo_stream arp_watch http_rate stamp_lines blkstat count_bytes; do
  gcc -static -O2 -Wall -Wextra -Werror -o "$root/harness/bin/$c" "$HARNESS_DIR/client/$c.c" \
    || die "compiling client/$c.c"
done

install -m 755 "$HARNESS_DIR/dom0/init" "$root/init"
cp "$HARNESS_DIR/dom0/lib.sh" "$root/harness/lib.sh"
cp "$vmlinux" "$root/harness/linux/vmlinux"
cp "$guest_cpio" "$root/harness/linux/guest.cpio"
cp "$HARNESS_DIR/guests/linux/linux.cfg" "$root/harness/linux/linux.cfg"
echo 'root:x:0:0:root:/root:/bin/sh' > "$root/etc/passwd"
echo 'root:x:0:' > "$root/etc/group"
