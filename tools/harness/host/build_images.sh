#!/usr/bin/env bash
# build_images.sh OUT LINUX_DEB TOOL_DEB...
# From the Linux image .deb and the Xen (+ libyajl2) .debs, writes into OUT:
#   xen               Xen hypervisor ELF (what QEMU's -kernel takes)
#   vmlinux           uncompressed Linux ELF (dom0 kernel and Linux PV guest kernel)
#   linux-guest.cpio  initramfs of the Linux baseline guest (busybox counter)
#   dom0-base.cpio    dom0 initramfs: busybox, Xen tools, modules, /init, /harness
#   host-packages.txt host packages whose files went into the images
set -euo pipefail
HOST=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HOST/common.sh"

out=$1 linux_deb=$2; shift 2
work=$out/build
rm -rf "$work"
mkdir -p "$work/xen" "$work/linux" "$work/guest"

hlog "extracting packages"
for deb in "$@"; do dpkg-deb -x "$deb" "$work/xen"; done
dpkg-deb --fsys-tarfile "$linux_deb" | tar -x -C "$work/linux" --wildcards \
  './boot/vmlinuz-*' './lib/modules/*/kernel/drivers/*' './lib/modules/*/kernel/net/*'

zcat "$work/xen/boot/xen-4.17-amd64.gz" > "$work/xen.elf"
hlog "extracting vmlinux"
python3 "$HOST/extract_vmlinux.py" "$work"/linux/boot/vmlinuz-* "$work/vmlinux"

# Linux baseline guest: static busybox + counter init, xen-netfront and the
# echo (port 7) and HTTP (port 80) servers; xen-blkfront and blkload (the
# bench's disk load, started with `blkbench` on the kernel command line).
hlog "building the Linux guest initramfs"
g=$work/guest
mkdir -p "$g/bin" "$g/dev" "$g/proc" "$g/sys" "$g/lib/modules" "$g/www"
cp /bin/busybox "$g/bin/busybox"
for a in sh mount mkfifo insmod ip nc httpd cat; do ln -s busybox "$g/bin/$a"; done
gcc -static -O2 -Wall -Wextra -Werror -o "$g/bin/blkload" "$HARNESS_DIR/guests/linux/blkload.c" \
  || die "compiling guests/linux/blkload.c"
for m in $(python3 "$HOST/moddeps.py" "$work"/linux/lib/modules/*/kernel xen-netfront xen-blkfront); do
  cp "$work"/linux/lib/modules/*/kernel/"$m" "$g/lib/modules/"
  basename "$m" >> "$g/lib/modules/load.list"
done
install -m 755 "$HARNESS_DIR/guests/linux/init" "$g/init"
python3 "$HOST/mkcpio.py" "$work/linux-guest.cpio" "$g" --node dev/console:c:5:1 \
  --node dev/null:c:1:3  # ash gives a background job /dev/null as stdin: without it, no echo server

hlog "building the dom0 initramfs"
bash "$HOST/build_dom0_root.sh" "$work/root" "$work/xen" "$work"/linux/lib/modules/*/kernel \
  "$work/vmlinux" "$work/linux-guest.cpio" > "$work/host-packages.txt"
python3 "$HOST/mkcpio.py" "$work/dom0-base.cpio" "$work/root" --node dev/console:c:5:1

mv "$work/xen.elf" "$out/xen"
for f in vmlinux linux-guest.cpio dom0-base.cpio host-packages.txt; do mv "$work/$f" "$out/$f"; done
rm -rf "$work"
